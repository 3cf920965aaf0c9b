"""All settings, from environment variables, in one place.

Nothing here opens a file or a connection: reading a setting is free, so DAG files
may call these functions at parse time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

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


def dbt_manifest_path() -> Path:
    return dbt_target_dir() / "manifest.json"


def expectations_dir() -> Path:
    return PROJECT_ROOT / "expectations"


def scorecards_dir() -> Path:
    return _path_from_env("KINERJA_SCORECARDS_DIR", local_dir() / "scorecards")


def dags_dir() -> Path:
    return PROJECT_ROOT / "dags"


def task_retries() -> int:
    """Retries of a failed task; `kinerja run` sets 0 so that a local run fails fast."""
    return int(os.environ.get("KINERJA_TASK_RETRIES", "2"))


# The sources the daily DAG can land, and the platforms the API source harvests.
SOURCES = ("simulator", "filedrop", "api")
DEFAULT_SOURCES = ("simulator", "filedrop")  # api is opt-in: it needs tokens and the network
API_PLATFORMS = ("facebook", "instagram", "x", "youtube", "tiktok")


def _names_from_env(name: str, default: tuple[str, ...], known: tuple[str, ...]) -> tuple[str, ...]:
    """A comma list of names from the environment, each one of `known`, in the order written."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{name}={raw!r}: {', '.join(unknown)} unknown; use a comma list of {', '.join(known)}")
    return names


def sources() -> tuple[str, ...]:
    """The sources the daily DAG lands (`KINERJA_SOURCES`, default simulator,filedrop)."""
    return _names_from_env("KINERJA_SOURCES", DEFAULT_SOURCES, SOURCES)


def api_platforms() -> tuple[str, ...]:
    """The platforms the API source harvests (`KINERJA_API_PLATFORMS`, default all five)."""
    return _names_from_env("KINERJA_API_PLATFORMS", API_PLATFORMS, API_PLATFORMS)


def api_base_url(platform: str) -> str | None:
    """`KINERJA_API_BASE_URL_<PLATFORM>`: point a connector elsewhere (a proxy, the test server)."""
    return os.environ.get(f"KINERJA_API_BASE_URL_{platform.upper()}") or None


# Days before the data day that each daily build rebuilds (late and restated data) and
# then publishes: the DAG passes it to dbt as the var trailing_days, so both always agree.
TRAILING_DAYS = 3


def api_trailing_days() -> int:
    """Days before the data day the API source pulls again (Meta restates for up to 48 hours)."""
    return int(os.environ.get("KINERJA_API_TRAILING_DAYS", "3"))


def filedrop_inbox() -> Path:
    """Where institution admins drop their exports: `<inbox>/<institution_id>/<file>`."""
    return _path_from_env("KINERJA_FILEDROP_INBOX", local_dir() / "filedrop" / "inbox")


def filedrop_archive() -> Path:
    """Where every dropped file is kept as received."""
    return _path_from_env("KINERJA_FILEDROP_ARCHIVE", local_dir() / "filedrop" / "archive")


def warehouse_url() -> str | None:
    """The warehouse as a libpq URL; None means: use the embedded server."""
    return os.environ.get("KINERJA_WAREHOUSE_URL") or None


@dataclass(frozen=True)
class PgParams:
    """libpq connection parameters, the shape dbt's profile and psycopg both take."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def from_url(cls, url: str) -> PgParams:
        """Parse `postgresql://user:pw@host:port/db` or a socket URL `postgresql://user@/db?host=/dir`."""
        parts = urlsplit(url.replace("postgresql+psycopg2://", "postgresql://", 1))
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        return cls(
            host=unquote(host),
            port=int(query.get("port", [parts.port or 5432])[0]),
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            dbname=(parts.path or "/postgres").lstrip("/") or "postgres",
        )

    def url(self, dbname: str | None = None, driver: str = "postgresql") -> str:
        """A URL for this server; socket directories go in the query string."""
        auth = self.user + (f":{self.password}" if self.password else "")
        db = dbname or self.dbname
        if self.host.startswith("/"):
            return f"{driver}://{auth}@/{db}?host={self.host}&port={self.port}"
        return f"{driver}://{auth}@{self.host}:{self.port}/{db}"

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt_project/profiles.yml reads."""
        return {
            "KINERJA_PGHOST": self.host,
            "KINERJA_PGPORT": str(self.port),
            "KINERJA_PGUSER": self.user,
            "KINERJA_PGPASSWORD": self.password,
            "KINERJA_PGDATABASE": self.dbname,
            # No JIT in dbt's sessions. A daily build's queries are short, and where the
            # planner overestimates one (a range bounded by a value it cannot see before
            # running), LLVM compiles for seconds: 2.6 s against 0.1 s for fct_account_daily
            # over 3 years of history (bench/warehouse_history.py). libpq reads PGOPTIONS.
            "PGOPTIONS": "-c jit=off",
        }


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
    home = home or local_dir() / "airflow"
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
        "AIRFLOW__COSMOS__CACHE_DIR": str(local_dir() / "cosmos-cache"),
        "AIRFLOW__COSMOS__PROPAGATE_LOGS": "False",
    }


# --- audits
# Days before the data day a batch may carry, per source, unless set in the environment:
# API pulls re-read api_trailing_days(); file-drop exports cover up to a quarter; the
# simulator lands a month as one batch when it backfills (tests, demos).
DEFAULT_AUDIT_WINDOW_DAYS = {"filedrop": 92, "simulator": 31}
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
    return int(os.environ.get("KINERJA_DATA_DOCS_RETENTION_DAYS", "").strip() or DEFAULT_DATA_DOCS_RETENTION_DAYS)
