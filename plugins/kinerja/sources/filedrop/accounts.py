"""Which registry account a dropped file belongs to, and the guard between institutions.

A file names its account where the format carries one (X post links, Meta account id and
username); otherwise it belongs to the one account of its platform that the institution
whose folder it was dropped in has. A file in one institution's folder never writes
rows of another institution's account.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from kinerja.registry.history import accounts_on
from kinerja.sources.filedrop.parsed import AccountHint, ParsedFile


class AccountError(ValueError):
    """The file cannot be attributed to exactly one account of the institution."""


class ForeignAccount(AccountError):
    """The file names an account of another institution: refused."""


def latest_day(parsed: ParsedFile, default: date) -> date:
    latest = parsed.survey().latest_day
    return default if latest is None else latest


def resolve_accounts(
    parsed: ParsedFile,
    institution_id: str,
    registry_rows: Iterable[dict[str, Any]],
    day: date,
    hints: Iterable[AccountHint] | None = None,
) -> dict[AccountHint, dict[str, Any]]:
    """The registry account of each distinct account hint in the file (the empty hint: the folder's).

    `hints` default to the file's own (a pass over its rows), or the empty hint when it has none.
    """
    hints = (parsed.hints or {AccountHint()}) if hints is None else hints
    on_platform = [a for a in accounts_on(registry_rows, day) if a["platform"] == parsed.platform]
    return {
        hint: _named(parsed, hint, institution_id, on_platform)
        if hint
        else _of_folder(parsed, institution_id, on_platform)
        for hint in hints
    }


def _handle_key(handle: str | None) -> str:
    return (handle or "").strip().lstrip("@").casefold()


def _matches(account: dict[str, Any], hint: AccountHint) -> bool:
    same_id = (
        bool(hint.platform_account_id) and account.get("platform_account_id") == hint.platform_account_id
    )
    same_handle = bool(hint.handle) and _handle_key(account["handle"]) == _handle_key(hint.handle)
    return same_id or same_handle


def _named(
    parsed: ParsedFile, hint: AccountHint, institution_id: str, accounts: list[dict]
) -> dict[str, Any]:
    found = [a for a in accounts if _matches(a, hint)]
    if not found:
        raise AccountError(
            f"{parsed.name} holds {parsed.platform} data of {hint}, which is no registered account "
            f"(registered {parsed.platform} accounts of {institution_id}: {_handles(accounts, institution_id)}). "
            "If the account is new, ask the ministry's data team to add it to the registry, then drop the file again"
        )
    account = found[0]
    if institution_id not in account["institution_ids"]:
        owners = ", ".join(account["institution_ids"])
        raise ForeignAccount(
            f"{parsed.name} was dropped in the folder of {institution_id} but holds data of {hint}, the "
            f"{parsed.platform} account of {owners}. Refused: a folder only takes its own institution's "
            f"accounts. Drop it in the folder of {owners}, or check that you exported the right account"
        )
    return account


def _of_folder(parsed: ParsedFile, institution_id: str, accounts: list[dict]) -> dict[str, Any]:
    own = [a for a in accounts if institution_id in a["institution_ids"]]
    named_in_file_name = [a for a in own if _handle_key(a["handle"]) in parsed.name.casefold()]
    if len(own) == 1:
        return own[0]
    if len(named_in_file_name) == 1:
        return named_in_file_name[0]
    if not own:
        raise AccountError(
            f"{parsed.name} is a {parsed.platform} export, but {institution_id} has no registered "
            f"{parsed.platform} account. Ask the ministry's data team to register it, then drop the file again"
        )
    raise AccountError(
        f"{parsed.name} is a {parsed.platform} export and does not say which account it is; {institution_id} "
        f"has several {parsed.platform} accounts ({_handles(own, institution_id)}). Put the account's handle "
        f"in the file name, e.g. {own[0]['handle']}__{parsed.name}, and drop it again"
    )


def _handles(accounts: list[dict], institution_id: str) -> str:
    own = [f"@{a['handle']}" for a in accounts if institution_id in a["institution_ids"]]
    return ", ".join(own) or "none"
