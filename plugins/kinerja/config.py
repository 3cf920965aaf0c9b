"""All settings, from environment variables, in one place.

Nothing here opens a file or a connection: reading a setting is free, so DAG files
may call these functions at parse time.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cache
from pathlib import Path

import psycopg
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict, make_conninfo

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Every province's metric day is its own local day; central institutions use WIB.
DEFAULT_TIMEZONE = "Asia/Jakarta"


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default


def local_dir() -> Path:
    """Where the embedded warehouse, Airflow home and outputs live (`.local/`)."""
    return _path_from_env("KINERJA_HOME", PROJECT_ROOT / ".local")


def registry_dir() -> Path:
    """The registry files: institutions and official accounts."""
    return _path_from_env("KINERJA_REGISTRY_DIR", PROJECT_ROOT / "plugins" / "kinerja" / "registry" / "data")


def dbt_project_dir() -> Path:
    return _path_from_env("KINERJA_DBT_PROJECT_DIR", PROJECT_ROOT / "dbt_project")


def dbt_target_dir() -> Path:
    """Where dbt writes its manifest, partial-parse file and run results (`KINERJA_DBT_TARGET_PATH`).

    The tests give each pytest worker one of its own: concurrent dbt commands sharing a
    target folder overwrite each other's manifest.
    """
    return _path_from_env("KINERJA_DBT_TARGET_PATH", dbt_project_dir() / "target")


def cosmos_cache_dir() -> Path:
    """Where Cosmos keeps dbt's partial-parse file between dbt tasks."""
    return local_dir() / "cosmos-cache"


def dbt_manifest_path() -> Path:
    return dbt_target_dir() / "manifest.json"


def expectations_dir() -> Path:
    return PROJECT_ROOT / "expectations"


def scorecards_dir() -> Path:
    return _path_from_env("KINERJA_SCORECARDS_DIR", local_dir() / "scorecards")


def dags_dir() -> Path:
    return PROJECT_ROOT / "dags"


def landing_workers() -> int:
    """How many days of a history run land at once (`KINERJA_LANDING_WORKERS`, default: one per CPU)."""
    return _positive_int_from_env("KINERJA_LANDING_WORKERS", os.cpu_count() or 1)


def task_retries() -> int:
    """Retries of a failed task; `kinerja run` sets 0 so that a local run fails fast."""
    return int(os.environ.get("KINERJA_TASK_RETRIES", "2"))


# The sources the daily DAG can land.
SOURCES = ("simulator", "filedrop", "api")
DEFAULT_SOURCES = ("simulator", "filedrop")  # api is opt-in: it needs tokens and the network


def _names_from_env(name: str, default: tuple[str, ...], known: tuple[str, ...]) -> tuple[str, ...]:
    """A comma list of names from the environment, each one of `known`, in the order written."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"{name}={raw!r}: {', '.join(unknown)} unknown; use a comma list of {', '.join(known)}"
        )
    return names


def sources() -> tuple[str, ...]:
    """The sources the daily DAG lands (`KINERJA_SOURCES`, default simulator,filedrop)."""
    return _names_from_env("KINERJA_SOURCES", DEFAULT_SOURCES, SOURCES)


def api_platforms() -> tuple[str, ...]:
    """The platforms the API source harvests (`KINERJA_API_PLATFORMS`, default every platform)."""
    from kinerja import platforms  # the platforms seed; platforms reads its path from here

    covered = platforms.names()
    return _names_from_env("KINERJA_API_PLATFORMS", covered, covered)


def api_base_url(platform: str) -> str | None:
    """`KINERJA_API_BASE_URL_<PLATFORM>`: point a connector elsewhere (a proxy, the test server)."""
    return os.environ.get(f"KINERJA_API_BASE_URL_{platform.upper()}") or None


def api_token_name(platform: str, account: str | None = None) -> str:
    """`KINERJA_TOKEN_<PLATFORM>[_<ACCOUNT>]`, the variable holding an API token.

    `account` is the registry account_id with every character that is not a letter or
    digit already replaced by `_` (kinerja.sources.api.tokens.normalised).
    """
    return "_".join(part.upper() for part in ("KINERJA_TOKEN", platform, account) if part)


def api_token(
    platform: str, account: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The token in `api_token_name(platform, account)`, None when unset or empty.

    `environ` stands in for the process environment (the connectors' tests pass their own).
    """
    return (os.environ if environ is None else environ).get(api_token_name(platform, account)) or None


def in_airflow_task(environ: Mapping[str, str] | None = None) -> bool:
    """True inside an Airflow task: Airflow exports AIRFLOW_CTX_DAG_ID into a task's environment."""
    return bool((os.environ if environ is None else environ).get("AIRFLOW_CTX_DAG_ID"))


REGISTRY_CHANGED_BY_ENV = "KINERJA_REGISTRY_CHANGED_BY"


def registry_changed_by() -> str | None:
    """Who a registry change is recorded under, when set (`KINERJA_REGISTRY_CHANGED_BY`)."""
    return os.environ.get(REGISTRY_CHANGED_BY_ENV) or None


BI_ROLE_ENV = "KINERJA_BI_ROLE"
ROLE_PREFIX_ENV = "KINERJA_ROLE_PREFIX"
ROLE_PASSWORD_ENV_PREFIX = "KINERJA_ROLE_PASSWORD_"
BI_STATEMENT_TIMEOUT_ENV = "KINERJA_BI_STATEMENT_TIMEOUT"
# a role prefix is spliced into role names: letters, digits and underscores only
_ROLE_PREFIX = re.compile(r"[a-z_][a-z0-9_]{0,39}")


def role_prefix() -> str:
    """What the project's database roles are named with (`KINERJA_ROLE_PREFIX`, default `kinerja_`).

    Roles are server-wide: two warehouses on one server (or a test session) each take their own.
    """
    prefix = os.environ.get(ROLE_PREFIX_ENV, "").strip() or "kinerja_"
    if not _ROLE_PREFIX.fullmatch(prefix):
        raise SettingError(
            f"{ROLE_PREFIX_ENV}={prefix!r}: use lowercase letters, digits and underscores (at most 40),"
            " starting with a letter or underscore, e.g. kinerja_"
        )
    return prefix


def bi_role() -> str:
    """The national read-only role BI tools read with: `KINERJA_BI_ROLE`, else `<prefix>bi`.

    `kinerja roles apply` creates it; publish grants it select on every published table.
    """
    return os.environ.get(BI_ROLE_ENV) or f"{role_prefix()}bi"


def role_password_env(suffix: str) -> str:
    """The variable holding the password of the role `<prefix><suffix>`, e.g. KINERJA_ROLE_PASSWORD_PROV_51."""
    return ROLE_PASSWORD_ENV_PREFIX + suffix.upper()


def role_password(suffix: str) -> str | None:
    """The password of the role `<prefix><suffix>` from the environment; None when unset (no default exists).

    The national BI role also takes `KINERJA_BI_PASSWORD`, which the production stack sets.
    """
    password = os.environ.get(role_password_env(suffix)) or None
    if password is None and suffix == "bi":
        return bi_password()
    return password


def province_role_passwords() -> dict[str, str]:
    """Province code -> password of its reader role, for each `KINERJA_ROLE_PASSWORD_PROV_<code>` set.

    Metabase gets one connection per province whose role can log in (deploy/metabase_setup.py).
    """
    prefix = ROLE_PASSWORD_ENV_PREFIX + "PROV_"
    return {
        name.removeprefix(prefix).lower(): value
        for name, value in sorted(os.environ.items())
        if name.startswith(prefix) and value
    }


def bi_statement_timeout() -> str:
    """The longest statement a BI role may run (`KINERJA_BI_STATEMENT_TIMEOUT`, PostgreSQL units, default 60s)."""
    value = os.environ.get(BI_STATEMENT_TIMEOUT_ENV, "").strip() or "60s"
    if not re.fullmatch(r"\d+\s*(ms|s|min|h)?", value):
        raise SettingError(
            f"{BI_STATEMENT_TIMEOUT_ENV}={value!r}: write a duration such as 60s, 2min or 30000ms"
        )
    return value


# Days before the data day that each daily run rebuilds (late and restated data) and then
# publishes, besides the days of batches landed late: kinerja.landing.plan plans them once.
TRAILING_DAYS = 3

# The hours (WIB) at which the daily and monthly schedules fire: the run of data day D starts
# at D+1 06:00, after the day has ended everywhere in Indonesia; the monthly run of a month
# on the 1st of the next at 08:00. The DAGs' schedules, `make run` and the watchdog read them.
DAILY_RUN_HOUR = 6
MONTHLY_RUN_HOUR = 8


# --- how long runs and tasks may take (DAG defaults: execution_timeout, dagrun_timeout, deadline alerts)
# A task stuck on a lock or a network call is killed after its timeout and retried; a run
# that takes longer than expected raises an alert (a deadline), and one past its timeout
# is failed so that the next run (one at a time) is not held up behind it.
DEFAULT_TASK_TIMEOUT_MINUTES = 180  # a year's history run lands and builds in well under that
RUN_KINDS = ("daily", "monthly", "watchdog")
# (expected minutes, timeout minutes) from the run's queueing; the monthly run waits for the
# data cut-off, TRAILING_DAYS days after the month ends, before it builds and renders
DEFAULT_RUN_MINUTES = {
    "daily": (120, 12 * 60),
    "monthly": (TRAILING_DAYS * 24 * 60 + 6 * 60, (TRAILING_DAYS + 2) * 24 * 60),
    "watchdog": (20, 50),
}


@dataclass(frozen=True)
class RunLimits:
    """How long a DAG's run is expected to take (past it: an alert) and may take (past it: failed)."""

    expected: timedelta
    timeout: timedelta


def task_timeout() -> timedelta:
    """The execution_timeout of every task (`KINERJA_TASK_TIMEOUT_MINUTES`, default 180)."""
    return timedelta(
        minutes=_positive_int_from_env("KINERJA_TASK_TIMEOUT_MINUTES", DEFAULT_TASK_TIMEOUT_MINUTES)
    )


def run_limits(kind: str) -> RunLimits:
    """The expected duration and the dagrun_timeout of the `kind` DAG's runs (daily, monthly, watchdog).

    `KINERJA_<KIND>_RUN_EXPECTED_MINUTES` and `KINERJA_<KIND>_RUN_TIMEOUT_MINUTES`; the
    timeout must be longer than the expected duration, or the alert would never be seen.
    """
    expected_default, timeout_default = DEFAULT_RUN_MINUTES[kind]
    prefix = f"KINERJA_{kind.upper()}_RUN"
    expected = _positive_int_from_env(f"{prefix}_EXPECTED_MINUTES", expected_default)
    timeout = _positive_int_from_env(f"{prefix}_TIMEOUT_MINUTES", timeout_default)
    if timeout <= expected:
        raise SettingError(
            f"{prefix}_TIMEOUT_MINUTES={timeout} must be longer than {prefix}_EXPECTED_MINUTES={expected}: "
            f"a run is failed at its timeout, and alerted about when it passes the expected duration"
        )
    return RunLimits(expected=timedelta(minutes=expected), timeout=timedelta(minutes=timeout))


def cut_off_wait_timeout() -> timedelta:
    """How long the monthly run's `wait_for_data_cut_off` may wait, deferred: the cut-off and a day."""
    return timedelta(days=TRAILING_DAYS + 1)


def api_trailing_days() -> int:
    """Days before the data day the API source pulls again (Meta restates for up to 48 hours)."""
    return int(os.environ.get("KINERJA_API_TRAILING_DAYS", "3"))


def filedrop_inbox() -> Path:
    """Where institution admins drop their exports: `<inbox>/<institution_id>/<file>`."""
    return _path_from_env("KINERJA_FILEDROP_INBOX", local_dir() / "filedrop" / "inbox")


def import_archive() -> Path:
    """Every file `kinerja import` read, kept as received (`KINERJA_IMPORT_ARCHIVE`, else $KINERJA_HOME/imports)."""
    return _path_from_env("KINERJA_IMPORT_ARCHIVE", local_dir() / "imports")


def filedrop_archive() -> Path:
    """Where every dropped file is kept as received."""
    return _path_from_env("KINERJA_FILEDROP_ARCHIVE", local_dir() / "filedrop" / "archive")


WAREHOUSE_URL_ENV = "KINERJA_WAREHOUSE_URL"
WAREHOUSE_URL_EXAMPLE = "postgresql://USER:PASSWORD@HOST:5432/DATABASE?sslmode=require"


class SettingError(ValueError):
    """A setting that cannot be used as written; the message says how to write it."""


def warehouse_url() -> str | None:
    """The warehouse as a libpq URL or `key=value` string; None means: use the embedded server."""
    return os.environ.get(WAREHOUSE_URL_ENV) or None


def warehouse_params() -> PgParams | None:
    """KINERJA_WAREHOUSE_URL parsed (string parsing only, no connection); None when unset."""
    url = warehouse_url()
    return PgParams.from_url(url, setting=WAREHOUSE_URL_ENV) if url else None


def application_name() -> str:
    """What the warehouse's sessions are called in pg_stat_activity, unless the URL names one."""
    return os.environ.get("KINERJA_APPLICATION_NAME") or "kinerja"


@dataclass(frozen=True)
class PgParams:
    """A PostgreSQL server and database: libpq's connection parameters, parsed and built by psycopg.

    `host`, `port`, `user`, `password` and `dbname` have fields of their own (dbt's profile
    takes them by name); every other libpq parameter (sslmode, sslrootcert, connect_timeout,
    application_name, options, ...) is kept as written in `extra`, so that it reaches every
    connection: psycopg, Airflow's metadata database and dbt.
    """

    host: str
    port: int
    user: str
    password: str
    dbname: str
    extra: tuple[tuple[str, str], ...] = ()  # (keyword, value), sorted by keyword

    @classmethod
    def from_url(cls, url: str, setting: str = WAREHOUSE_URL_ENV) -> PgParams:
        """Parse a libpq URL or `key=value` string; a SQLAlchemy URL (`postgresql+psycopg2://`) too.

        A socket URL keeps its directory: `postgresql://postgres@/db?host=/dir`. Without a host,
        the server is 127.0.0.1 (dbt's profile needs one); the user and database default to
        postgres. `setting` names where the URL came from, for the error message.
        """
        values = _parse_conninfo(url, setting)
        host = values.pop("host", "") or "127.0.0.1"
        port = values.pop("port", "") or "5432"
        if "," in host or "," in port:
            raise SettingError(
                f"{setting} names several hosts ({host}): name one server, e.g. {WAREHOUSE_URL_EXAMPLE}"
            )
        if "@" in host:
            raise SettingError(
                f"{setting}: the host {host!r} holds an '@': a password with @ / % : or spaces must be "
                f"percent-encoded (@ as %40, / as %2F, % as %25, : as %3A), e.g. {WAREHOUSE_URL_EXAMPLE}"
            )
        if not port.isdigit():
            raise SettingError(
                f"{setting}: the port {port!r} is not a number; write e.g. {WAREHOUSE_URL_EXAMPLE}"
            )
        return cls(
            host=host,
            port=int(port),
            user=values.pop("user", "") or "postgres",
            password=values.pop("password", ""),
            dbname=values.pop("dbname", "") or "postgres",
            extra=tuple(sorted(values.items())),
        )

    def get(self, keyword: str) -> str | None:
        """The value of a libpq parameter other than the five fields, None when not given."""
        return dict(self.extra).get(keyword)

    def with_dbname(self, dbname: str) -> PgParams:
        """Another database on the same server, with the same parameters (TLS, options, ...)."""
        return replace(self, dbname=dbname)

    def libpq(self) -> dict[str, str]:
        """Every parameter, as psycopg's `make_conninfo` and libpq take them (an empty password left out)."""
        main = {
            "host": self.host,
            "port": str(self.port),
            "user": self.user,
            "password": self.password or None,
        }
        return {k: v for k, v in {**main, "dbname": self.dbname, **dict(self.extra)}.items() if v is not None}

    def conninfo(self) -> str:
        """A libpq `key=value` connection string (psycopg, psql, KINERJA_WAREHOUSE_URL accept it)."""
        return make_conninfo(**self.libpq())

    def sqlalchemy_url(self, driver: str = "postgresql+psycopg") -> str:
        """A SQLAlchemy URL for this database, e.g. driver `postgresql+psycopg2` for Airflow's metadata.

        Every libpq parameter goes in the query string, which SQLAlchemy's PostgreSQL drivers
        pass to libpq; a socket directory goes there too (`?host=/dir`), SQLAlchemy's way.
        """
        from sqlalchemy.engine import URL

        socket = self.host.startswith("/")
        return URL.create(
            drivername=driver,
            username=self.user,
            password=self.password or None,
            host=None if socket else self.host,
            port=self.port,
            database=self.dbname,
            query={**({"host": self.host} if socket else {}), **dict(self.extra)},
        ).render_as_string(hide_password=False)

    def url(self, dbname: str | None = None, driver: str = "postgresql") -> str:
        """Kept for callers written before `conninfo` and `sqlalchemy_url`: a `+driver` gives a SQLAlchemy URL."""
        params = self.with_dbname(dbname) if dbname else self
        return params.sqlalchemy_url(driver) if "+" in driver else params.conninfo()


def _is_sqlalchemy_url(url: str) -> bool:
    return url.split("://", 1)[0].startswith(("postgresql+", "postgres+"))


def _sqlalchemy_to_conninfo(url: str) -> str:
    """A SQLAlchemy URL as a libpq string (SQLAlchemy encodes its query string its own way)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ValueError(str(error)) from None
    args = parsed.translate_connect_args(username="user", database="dbname")
    return make_conninfo(**{key: str(value) for key, value in {**args, **parsed.query}.items()})


def _parse_conninfo(url: str, setting: str) -> dict[str, str]:
    """libpq's own parsing (URL or key=value), with an error that says what to write."""
    try:
        return conninfo_to_dict(_sqlalchemy_to_conninfo(url) if _is_sqlalchemy_url(url) else url)
    except (psycopg.ProgrammingError, ValueError) as error:  # ValueError: SQLAlchemy's parsing
        raise SettingError(
            f"{setting} is not a PostgreSQL connection URL: {str(error).strip()}. Write it as "
            f"{WAREHOUSE_URL_EXAMPLE} (percent-encode @ / % : in the password: %40 %2F %25 %3A; "
            f"a unix socket: postgresql://USER@/DATABASE?host=/socket/dir), or unset it to use the "
            f"embedded server"
        ) from None


# dbt's connections (psycopg2, on libpq) take the parameters with a field in the profile from
# these variables (dbt_project/profiles.yml); every other one from libpq's own variable.
DBT_PROFILE_VARIABLES = {
    "host": "KINERJA_PGHOST",
    "port": "KINERJA_PGPORT",
    "user": "KINERJA_PGUSER",
    "password": "KINERJA_PGPASSWORD",
    "dbname": "KINERJA_PGDATABASE",
    # dbt sets these two itself when the profile does not: the profile reads them with its defaults
    "connect_timeout": "KINERJA_PGCONNECT_TIMEOUT",
    "application_name": "KINERJA_PGAPPNAME",
}

# No JIT in dbt's sessions. A daily build's queries are short, and where the planner
# overestimates one (a range bounded by a value it cannot see before running), LLVM compiles
# for longer than the query runs (docs/architecture.md). libpq reads PGOPTIONS.
DBT_SESSION_OPTIONS = "-c jit=off"


@cache
def _libpq_environment_names() -> dict[str, str]:
    """libpq's own environment variable of each parameter (sslmode: PGSSLMODE), from libpq itself."""
    return {o.keyword.decode(): o.envvar.decode() for o in pq.Conninfo.get_defaults() if o.envvar}


def dbt_environment(params: PgParams | None) -> dict[str, str]:
    """The environment dbt runs with, everywhere (Cosmos tasks, `kinerja dbt-parse`, tests).

    Telemetry off, the DBT_ flags, no JIT, and the profile's variables for `params` (None:
    the profile's variables are left to the environment). A libpq parameter with no field
    in dbt's profile (sslmode, sslrootcert, options, ...) goes in libpq's own variable
    (PGSSLMODE, ...), which dbt's psycopg2 reads for whatever the profile leaves unset.
    """
    env = {**TELEMETRY_OFF, **DBT_FLAGS, "PGOPTIONS": DBT_SESSION_OPTIONS}
    if params is None:
        return env
    libpq_names = _libpq_environment_names()
    for keyword, value in params.libpq().items():
        if keyword == "options":  # the URL's session options, and no JIT after them
            env["PGOPTIONS"] = f"{value} {DBT_SESSION_OPTIONS}"
        elif keyword in DBT_PROFILE_VARIABLES:
            env[DBT_PROFILE_VARIABLES[keyword]] = value
        elif keyword in libpq_names:
            env[libpq_names[keyword]] = value
        else:
            log.warning(
                "dbt's connections leave out %s of the warehouse URL: libpq reads it from no variable",
                keyword,
            )
    env.setdefault("KINERJA_PGPASSWORD", "")  # no password: not one from the calling environment either
    return env


def process_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with `overrides` on top: what a subprocess runs with."""
    return {**os.environ, **overrides}


def airflow_metadata_url(params: PgParams) -> str:
    """Airflow's metadata database as a SQLAlchemy URL: psycopg2, the driver Airflow 3.3 is checked with."""
    return params.sqlalchemy_url("postgresql+psycopg2")


def airflow_home() -> Path:
    """AIRFLOW_HOME of this project's Airflow processes (`.local/airflow`)."""
    return local_dir() / "airflow"


# A government system phones nowhere: every library's usage data off.
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "SCARF_ANALYTICS": "false",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "GX_ANALYTICS_ENABLED": "False",
}


# How dbt runs everywhere (Cosmos tasks, the CLI, tests). `buildable`: a test runs with a
# model when its other parents are selected or upstream of the selection, so a
# relationship test between a daily mart and a monthly report never runs before the
# report exists.
DBT_FLAGS = {"DBT_INDIRECT_SELECTION": "buildable"}


def airflow_environment(metadata_url: str, home: Path | None = None) -> dict[str, str]:
    """The environment an Airflow process of this project runs with."""
    home = home or airflow_home()
    return {
        **TELEMETRY_OFF,
        **DBT_FLAGS,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_dir()),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "utc",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
        # Cosmos keeps dbt's partial-parse file between tasks: only the first dbt task of a
        # run parses the whole project (measured: bench/RESULTS.md)
        "AIRFLOW__COSMOS__ENABLE_CACHE": "True",
        "AIRFLOW__COSMOS__CACHE_DIR": str(cosmos_cache_dir()),
        "AIRFLOW__COSMOS__PROPAGATE_LOGS": "False",
    }


# --- audits
# Days before the data day a batch may carry, per source, unless set in the environment:
# API pulls re-read api_trailing_days(); file-drop exports cover up to a quarter; the
# simulator lands a month as one batch when it backfills (tests, demos); `kinerja import`
# lands a history file as one batch per calendar month of its days.
DEFAULT_AUDIT_WINDOW_DAYS = {"filedrop": 92, "simulator": 31, "import": 31}
# Days a validation's Data Docs page is kept (a month of daily runs and a few days to look back).
DEFAULT_DATA_DOCS_RETENTION_DAYS = 35


def audit_window_days(source: str) -> int:
    """Trailing days a batch of `source` may carry before its data day.

    `KINERJA_AUDIT_WINDOW_DAYS_<SOURCE>` (API_FACEBOOK for `api:facebook`), else
    `KINERJA_AUDIT_WINDOW_DAYS`, else the source's default (API: its trailing days).
    """
    specific = "KINERJA_AUDIT_WINDOW_DAYS_" + source.upper().replace(":", "_")
    for name in (specific, "KINERJA_AUDIT_WINDOW_DAYS"):
        if os.environ.get(name, "").strip():
            return int(os.environ[name])
    return DEFAULT_AUDIT_WINDOW_DAYS.get(source.split(":")[0], api_trailing_days())


def data_docs_dir() -> Path:
    """The one Great Expectations Data Docs site of every audit (`KINERJA_DATA_DOCS_DIR`, else $KINERJA_HOME/data_docs)."""
    return _path_from_env("KINERJA_DATA_DOCS_DIR", local_dir() / "data_docs")


def data_docs_retention_days() -> int:
    """Days a validation stays in the Data Docs site (`KINERJA_DATA_DOCS_RETENTION_DAYS`); older pages go when docs are built."""
    return int(
        os.environ.get("KINERJA_DATA_DOCS_RETENTION_DAYS", "").strip() or DEFAULT_DATA_DOCS_RETENTION_DAYS
    )


# --- the file drop: limits of one dropped file
# The largest exports institutions download are YouTube Studio's per-video chart data (a few
# hundred videos by a quarter's days: some 50,000 rows, a few MB). The limits leave ample room
# above that and refuse, before reading a row, what no export of one institution can be.
DEFAULT_FILEDROP_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_FILEDROP_MAX_ROWS = 200_000


def _positive_int_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise SettingError(f"{name}={raw!r}: write a whole number above zero, e.g. {default}")
    return value


def filedrop_max_bytes() -> int:
    """The largest file the file drop reads (`KINERJA_FILEDROP_MAX_BYTES`); larger ones are refused unread."""
    return _positive_int_from_env("KINERJA_FILEDROP_MAX_BYTES", DEFAULT_FILEDROP_MAX_BYTES)


def filedrop_max_rows() -> int:
    """The most data rows a dropped file may hold (`KINERJA_FILEDROP_MAX_ROWS`); more are refused whole."""
    return _positive_int_from_env("KINERJA_FILEDROP_MAX_ROWS", DEFAULT_FILEDROP_MAX_ROWS)


# --------------------------------------------------------------------------- scorecards and mail
# Scorecards (kinerja.scorecards) and the project's one mail module (kinerja.mail).

SCORECARD_ISSUER_DEFAULT = "Kementerian Komunikasi dan Digital · Tim Data Kinerja"


def scorecard_issuer() -> str:
    """The issuing unit printed on every scorecard (`KINERJA_SCORECARD_ISSUER`)."""
    return os.environ.get("KINERJA_SCORECARD_ISSUER", SCORECARD_ISSUER_DEFAULT)


def scorecard_workers() -> int:
    """Processes that render a month's scorecards (`KINERJA_SCORECARD_WORKERS`, default: the CPUs)."""
    return int(os.environ.get("KINERJA_SCORECARD_WORKERS", "0")) or (os.cpu_count() or 1)


SCORECARD_LANGUAGES_ENV = "KINERJA_SCORECARD_LANGUAGES"


def scorecard_languages() -> tuple[str, ...]:
    """The languages the monthly run renders the scorecards in (`KINERJA_SCORECARD_LANGUAGES`, e.g. `id,en`).

    Default `id`. The first is the language of the mail and of the scorecard it carries.
    """
    from kinerja.scorecards.locale import LANGUAGES

    raw = os.environ.get(SCORECARD_LANGUAGES_ENV, "id")
    languages = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown or not languages:
        raise SettingError(
            f"{SCORECARD_LANGUAGES_ENV}='{raw}' names no language or one not offered ({', '.join(unknown)}):"
            f" write a comma-separated list of {', '.join(LANGUAGES)}, the mail's language first"
        )
    return languages


@dataclass(frozen=True)
class MailSettings:
    """How kinerja.mail sends: an SMTP server, or the outbox folder when no host is set."""

    host: str | None
    port: int
    user: str | None
    password: str | None
    sender: str
    # starttls (port 587), ssl (implicit TLS, port 465) or none (a local relay only)
    tls: str
    outbox: Path
    timeout: float


MAIL_TLS_MODES = ("starttls", "ssl", "none")


def mail_settings() -> MailSettings:
    """The mail settings from the environment (`KINERJA_SMTP_*`, `KINERJA_MAIL_FROM`, `KINERJA_MAIL_OUTBOX`)."""
    tls = os.environ.get("KINERJA_SMTP_TLS", "starttls").strip().lower()
    if tls not in MAIL_TLS_MODES:
        raise SettingError(
            f"KINERJA_SMTP_TLS='{tls}' is not a TLS mode: write one of {', '.join(MAIL_TLS_MODES)}"
        )
    port = os.environ.get("KINERJA_SMTP_PORT") or ("465" if tls == "ssl" else "587")
    if not port.isdigit():
        raise SettingError(f"KINERJA_SMTP_PORT='{port}' is not a port number: write e.g. 587")
    return MailSettings(
        host=os.environ.get("KINERJA_SMTP_HOST") or None,
        port=int(port),
        user=os.environ.get("KINERJA_SMTP_USER") or None,
        password=os.environ.get("KINERJA_SMTP_PASSWORD") or None,
        sender=os.environ.get("KINERJA_MAIL_FROM", "Kinerja <kinerja@example.org>"),
        tls=tls,
        outbox=_path_from_env("KINERJA_MAIL_OUTBOX", local_dir() / "outbox"),
        timeout=float(os.environ.get("KINERJA_SMTP_TIMEOUT", "30")),
    )


def delivery_max_attempts() -> int:
    """Attempts per scorecard message before it is left failed for a person (`KINERJA_DELIVERY_MAX_ATTEMPTS`)."""
    return int(os.environ.get("KINERJA_DELIVERY_MAX_ATTEMPTS", "4"))


def delivery_backoff_seconds() -> float:
    """The wait before the first retry of a failed send, doubled at each retry (`KINERJA_DELIVERY_BACKOFF_SECONDS`)."""
    return float(os.environ.get("KINERJA_DELIVERY_BACKOFF_SECONDS", "30"))


# --- the Airflow services (`kinerja airflow start|stop|status`, docker-compose.yml)
AIRFLOW_HOST_ENV = "KINERJA_AIRFLOW_HOST"
AIRFLOW_PORT_ENV = "KINERJA_AIRFLOW_PORT"
AIRFLOW_START_TIMEOUT_ENV = "KINERJA_AIRFLOW_START_TIMEOUT"
# The user the local stack's development login (Airflow's SimpleAuthManager) creates; Airflow
# generates its password on first start and keeps it in AIRFLOW_HOME.
AIRFLOW_LOCAL_USER = "admin"


def airflow_host() -> str:
    """The address the local Airflow UI and API listen on (`KINERJA_AIRFLOW_HOST`, default 127.0.0.1)."""
    return os.environ.get(AIRFLOW_HOST_ENV) or "127.0.0.1"


def airflow_port() -> int:
    """The port of the local Airflow UI and API (`KINERJA_AIRFLOW_PORT`, default 8080)."""
    return int(os.environ.get(AIRFLOW_PORT_ENV, "").strip() or 8080)


def airflow_api_url() -> str:
    """Where the local Airflow UI and its REST API answer, e.g. http://127.0.0.1:8080."""
    return f"http://{airflow_host()}:{airflow_port()}"


def airflow_services_dir() -> Path:
    """The pid files and logs of the local Airflow processes (`.local/airflow/services`)."""
    return airflow_home() / "services"


def airflow_start_timeout() -> float:
    """Seconds `kinerja airflow start` waits for every process to report healthy (`KINERJA_AIRFLOW_START_TIMEOUT`)."""
    return float(os.environ.get(AIRFLOW_START_TIMEOUT_ENV, "").strip() or 180)


# The settings a deployment must give every Airflow process of the production stack
# (docker-compose.yml sets each; its test checks): the warehouse, where files and outputs
# live (a volume), and the role BI tools read with.
PRODUCTION_SETTINGS = (WAREHOUSE_URL_ENV, "KINERJA_HOME", BI_ROLE_ENV)
BI_PASSWORD_ENV = "KINERJA_BI_PASSWORD"


def bi_password() -> str | None:
    """The BI role's password (`KINERJA_BI_PASSWORD`): only the production stack's Metabase set-up reads it."""
    return os.environ.get(BI_PASSWORD_ENV) or None


# --- alerts (kinerja.alerts): to whom, where, and how early a token's expiry is told
DEFAULT_TOKEN_WARNING_DAYS = 7


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go: mail to `email_to` (kinerja.mail: SMTP or the outbox), JSON to `webhook_url`."""

    email_to: tuple[str, ...]
    webhook_url: str | None
    token_warning_days: int
    webhook_timeout: float = 10.0


def alert_settings() -> AlertSettings:
    """`KINERJA_ALERT_EMAIL_TO` (a comma list), `KINERJA_ALERT_WEBHOOK_URL`, `KINERJA_ALERT_TOKEN_WARNING_DAYS`."""
    recipients = os.environ.get("KINERJA_ALERT_EMAIL_TO", "")
    return AlertSettings(
        email_to=tuple(a.strip() for a in recipients.split(",") if a.strip()),
        webhook_url=os.environ.get("KINERJA_ALERT_WEBHOOK_URL") or None,
        token_warning_days=_positive_int_from_env(
            "KINERJA_ALERT_TOKEN_WARNING_DAYS", DEFAULT_TOKEN_WARNING_DAYS
        ),
    )


def api_token_expiry_name(platform: str, account: str | None = None) -> str:
    """`KINERJA_TOKEN_EXPIRES_<PLATFORM>[_<ACCOUNT>]`: the day the token in api_token_name(...) expires."""
    return "_".join(part.upper() for part in ("KINERJA_TOKEN_EXPIRES", platform, account) if part)


def api_token_expiries(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every token expiry day set (`KINERJA_TOKEN_EXPIRES_*`, YYYY-MM-DD): variable name -> day as written.

    Platforms do not say when a token expires until it is refused; a Meta long-lived token
    lasts 60 days from its issue, so whoever stores one can set its expiry beside it.
    """
    environ = os.environ if environ is None else environ
    prefix = "KINERJA_TOKEN_EXPIRES_"
    return {name: value for name, value in environ.items() if name.startswith(prefix) and value.strip()}


# --- backups (kinerja.backup): what cannot be rebuilt, outside the warehouse
DEFAULT_BACKUP_KEEP = 14


def backup_dir() -> Path:
    """Where backups go (`KINERJA_BACKUP_DIR`, default $KINERJA_HOME/backups): put it on another disk."""
    return _path_from_env("KINERJA_BACKUP_DIR", local_dir() / "backups")


def backup_keep() -> int:
    """How many complete backups are kept (`KINERJA_BACKUP_KEEP`, default 14); older ones are removed."""
    return _positive_int_from_env("KINERJA_BACKUP_KEEP", DEFAULT_BACKUP_KEEP)
