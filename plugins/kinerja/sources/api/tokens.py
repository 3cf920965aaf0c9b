"""Where a connector finds the access token of an account, and how it tells someone to fix it.

Tokens come only from the environment or from Airflow connections, never from the repo:

1. the account's own token: env `KINERJA_TOKEN_<PLATFORM>_<ACCOUNT>`, else the password of
   the Airflow connection `kinerja_<platform>_<account>`;
2. the platform-wide token: env `KINERJA_TOKEN_<PLATFORM>`, else the connection
   `kinerja_<platform>` (an X app bearer token, a YouTube OAuth token of a content owner).

`<ACCOUNT>` is the registry account_id with every character that is not a letter or digit
replaced by `_` (upper case in env names, lower case in connection ids).

Airflow connections are looked up only inside an Airflow task (Airflow exports
`AIRFLOW_CTX_DAG_ID` into the task's environment), lazily, with
`airflow.sdk.BaseHook.get_connection` (Airflow 3 Task SDK; checked in apache-airflow-task-sdk
1.3.2, `airflow/sdk/bases/hook.py`), falling back to `airflow.hooks.base.BaseHook`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kinerja import config

ConnectionLookup = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Token:
    """A token and the place it came from. The value never appears in repr, logs or errors."""

    value: str | None
    where: str  # "env KINERJA_TOKEN_X" or "Airflow connection kinerja_x"; "" when missing
    places: tuple[str, ...]  # every place that was looked in, in order, for a "set one of" hint

    def __repr__(self) -> str:
        return f"Token(where={self.where!r}, present={self.value is not None})"

    @property
    def fix_hint(self) -> str:
        if self.where:
            return f"renew the token and store it in {self.where}"
        return "set one of: " + ", ".join(self.places)


def normalised(account_id: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "_", account_id)


def env_names(platform: str, account_id: str) -> tuple[str, str]:
    return config.api_token_name(platform, normalised(account_id)), config.api_token_name(platform)


def connection_ids(platform: str, account_id: str) -> tuple[str, str]:
    prefix = f"kinerja_{platform.lower()}"
    return f"{prefix}_{normalised(account_id).lower()}", prefix


def airflow_connection_password(conn_id: str) -> str | None:
    """The password of an Airflow connection, None when it does not exist."""
    try:
        from airflow.sdk import BaseHook
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:  # Airflow 2 layout
        from airflow.exceptions import AirflowNotFoundException
        from airflow.hooks.base import BaseHook
    try:
        return BaseHook.get_connection(conn_id).password or None
    except AirflowNotFoundException:
        return None


def find_token(
    platform: str,
    account_id: str,
    environ: Mapping[str, str] | None = None,
    connection_lookup: ConnectionLookup | None = None,
) -> Token:
    """The token of `account_id` on `platform`, looked up in the documented order."""
    if connection_lookup is None and config.in_airflow_task(environ):
        connection_lookup = airflow_connection_password
    account = normalised(account_id)
    account_env, platform_env = env_names(platform, account_id)
    account_conn, platform_conn = connection_ids(platform, account_id)
    candidates = (
        (f"env {account_env}", lambda: config.api_token(platform, account, environ)),
        (f"Airflow connection {account_conn}", lambda: connection_lookup and connection_lookup(account_conn)),
        (f"env {platform_env}", lambda: config.api_token(platform, None, environ)),
        (
            f"Airflow connection {platform_conn}",
            lambda: connection_lookup and connection_lookup(platform_conn),
        ),
    )
    for where, lookup in candidates:
        value = lookup()
        if value:
            return Token(value, where, tuple(place for place, _ in candidates))
    return Token(None, "", tuple(place for place, _ in candidates))
