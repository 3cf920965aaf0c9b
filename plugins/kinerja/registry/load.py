"""Read the registry files and load them into registry.institutions, .accounts and .comparison_groups.

The registry directory holds three files, and an optional fourth, reviewed like code:

- regions_kepmendagri2025.csv: provinces, kabupaten and kota (Kemendagri 2025 codes);
  every row becomes a regional institution.
- central_institutions.csv: ministries (kementerian) and agencies (lembaga).
- accounts.csv: the official social-media accounts of those institutions.
- comparison_groups.csv (optional): named groups of institutions with validity dates (a
  cluster of regions, a campaign's participants) that an index method may rank within.

Reading first runs the rules of `kinerja.registry.check` and raises `RegistryError`
listing every problem (file, line, column, what to do), one per line; only checked
rows are converted. Loading replaces the content of both tables in one transaction,
so a reader never sees half a registry.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from kinerja import config
from kinerja.registry import audit_trail
from kinerja.registry.check import (
    ACCOUNT_COLUMNS,
    ACCOUNTS_FILE,
    CENTRAL_COLUMNS,
    CENTRAL_FILE,
    CENTRAL_PEER_GROUPS,
    COMPARISON_GROUP_COLUMNS,
    COMPARISON_GROUPS_FILE,
    PEER_GROUPS,
    REGIONS_COLUMNS,
    REGIONS_FILE,
    REGISTRY_BEGINNING,
    Problem,
    check_accounts,
    check_institutions,
    check_registry,
    regional_identity,
    to_area,
    to_bool,
    to_count,
    to_date,
)
from kinerja.registry.history import accounts_on, valid_on

# The rule constants live in check.py; they stay importable from here.
__all__ = [
    "ACCOUNTS_FILE",
    "ACCOUNT_COLUMNS",
    "CENTRAL_COLUMNS",
    "CENTRAL_FILE",
    "CENTRAL_PEER_GROUPS",
    "INSTITUTION_COLUMNS",
    "PEER_GROUPS",
    "REGIONS_COLUMNS",
    "REGIONS_FILE",
    "REGIONS_SOURCE",
    "TIMEZONES",
    "RegistryError",
    "load_registry",
    "read_accounts",
    "read_institutions",
    "registry_counts",
    "timezone_for_province",
]

# The column order of the warehouse tables (warehouse/ddl.sql).
INSTITUTION_COLUMNS = (
    "institution_id",
    "name",
    "peer_group",
    "region_code",
    "province_code",
    "parent_institution_id",
    "population",
    "area_km2",
    "timezone",
    "scorecard_email",
    "source",
    "valid_from",
    "valid_to",
    "predecessor_ids",
)

TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")

REGIONS_SOURCE = "Kepmendagri 2025 (cahyadsn/wilayah b7ad440a)"

# Indonesia's three time zones by province (Kemendagri 2025 codes). Every province
# not listed here is WIB. Each institution's metric day is its own local day.
WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})
WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})


class RegistryError(ValueError):
    """Registry files that cannot be read: every problem, one per line.

    `path`, `line`, `column` and `message` describe the first problem; `problems`
    holds all of them (`kinerja.registry.check.Problem`, paths relative to the directory).
    """

    def __init__(self, path: Path, line: int, column: str, message: str, problems: Sequence[Problem] = ()):
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        self.problems = list(problems) or [Problem(self.path.name, line, column, message)]
        # Full paths in the text, so the message says which registry directory it is about.
        super().__init__(
            "\n".join(str(replace(p, path=str(self.path.parent / p.path))) for p in self.problems)
        )


def _raise_for(registry_dir: Path, problems: Sequence[Problem]) -> None:
    if problems:
        first = problems[0]
        raise RegistryError(registry_dir / first.path, first.line, first.column, first.message, problems)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a checked CSV file, every value stripped."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for values in csv.DictReader(handle):
            yield {column: value.strip() for column, value in values.items()}


def _optional(value: str, convert: Callable[[str], Any]) -> Any:
    return convert(value) if value else None


def timezone_for_province(province_code: str) -> str:
    """The IANA time zone of a province (WIB, WITA or WIT) from its Kemendagri 2025 code."""
    if province_code in WIT_PROVINCES:
        return "Asia/Jayapura"
    if province_code in WITA_PROVINCES:
        return "Asia/Makassar"
    return "Asia/Jakarta"


def _regional_institution(row: dict[str, str]) -> dict[str, Any]:
    level = int(row["level"])
    code, province = row["kode_compact"], row["kode_provinsi"]
    peer_group, institution_id = regional_identity(level, row["jenis"], code)
    return {
        "institution_id": institution_id,
        "name": row["nama"],  # stripped: the source has a trailing space in one name
        "peer_group": peer_group,
        "region_code": code,
        "province_code": province,
        "parent_institution_id": f"prov-{province}" if level == 2 else None,
        "population": _optional(row["penduduk_total"], to_count),
        "area_km2": _optional(row["luas_km2"], to_area),
        "timezone": timezone_for_province(province),
        "scorecard_email": f"diskominfo@{institution_id}.example.org",
        "source": REGIONS_SOURCE,
        "valid_from": REGISTRY_BEGINNING,
        "valid_to": None,
        "predecessor_ids": None,
    }


def _central_institution(row: dict[str, str]) -> dict[str, Any]:
    return {
        "institution_id": row["institution_id"],
        "name": row["name"],
        "peer_group": row["peer_group"],
        "region_code": None,
        "province_code": None,
        "parent_institution_id": None,
        "population": None,
        "area_km2": None,
        "timezone": config.DEFAULT_TIMEZONE,
        "scorecard_email": row["scorecard_email"] or None,
        "source": row["source"],
        "valid_from": _optional(row["valid_from"], to_date) or REGISTRY_BEGINNING,
        "valid_to": _optional(row["valid_to"], to_date),
        "predecessor_ids": [p.strip() for p in row["predecessor_ids"].split(";") if p.strip()] or None,
    }


def _institutions(registry_dir: Path) -> list[dict[str, Any]]:
    regions = [_regional_institution(row) for row in _rows(registry_dir / REGIONS_FILE)]
    central = [_central_institution(row) for row in _rows(registry_dir / CENTRAL_FILE)]
    return regions + central


def read_institutions(registry_dir: Path) -> list[dict[str, Any]]:
    """Every institution: regions first (file order), then central ones (file order).

    Raises RegistryError with every problem of the two files. Each dict has exactly
    the columns of registry.institutions.
    """
    registry_dir = Path(registry_dir)
    _raise_for(registry_dir, check_institutions(registry_dir))
    return _institutions(registry_dir)


def _account(row: dict[str, str]) -> dict[str, Any]:
    return {
        "account_id": row["account_id"],
        "institution_id": row["institution_id"],
        "platform": row["platform"],
        "handle": row["handle"],
        "platform_account_id": row["platform_account_id"] or None,
        "verified_on": _optional(row["verified_on"], to_date),
        "valid_from": to_date(row["valid_from"]),
        "valid_to": _optional(row["valid_to"], to_date),
        "is_demo": to_bool(row["is_demo"]),
    }


def _accounts(registry_dir: Path) -> list[dict[str, Any]]:
    return [_account(row) for row in _rows(registry_dir / ACCOUNTS_FILE)]


def read_accounts(
    registry_dir: Path, *, institution_ids: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """The accounts of accounts.csv, in file order, with dates as `date` and is_demo as bool.

    Raises RegistryError with every problem of the file; when `institution_ids` is
    given, an account of any other institution is one. Each dict has exactly the
    columns of registry.accounts.
    """
    registry_dir = Path(registry_dir)
    _raise_for(registry_dir, check_accounts(registry_dir, institution_ids))
    return _accounts(registry_dir)


def _comparison_groups(registry_dir: Path) -> list[dict[str, Any]]:
    path = registry_dir / COMPARISON_GROUPS_FILE
    if not path.is_file():
        return []
    return [
        {
            "group_id": row["group_id"],
            "group_name": row["group_name"],
            "institution_id": row["institution_id"],
            "valid_from": _optional(row["valid_from"], to_date) or REGISTRY_BEGINNING,
            "valid_to": _optional(row["valid_to"], to_date),
        }
        for row in _rows(path)
    ]


def _copy(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: list[dict]) -> None:
    statement = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier("registry", table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def registry_counts(institutions: list[dict], accounts: list[dict], on: date | None = None) -> dict[str, int]:
    """Institutions per peer group (every group, also when 0) and accounts, as the registry was `on` a day.

    Counts what is valid that day (today by default): a renamed institution or a shared
    account counts once, an institution that ended or an account retired not at all.
    """
    on = on or date.today()
    per_group = Counter(
        institution["peer_group"]
        for institution in {i["institution_id"]: i for i in valid_on(institutions, on)}.values()
    )
    return {**{group: per_group[group] for group in PEER_GROUPS}, "accounts": len(accounts_on(accounts, on))}


def load_registry(conn: psycopg.Connection, registry_dir: Path | None = None) -> dict[str, int]:
    """Replace registry.institutions and registry.accounts with the registry files' content.

    The files are checked together (`check_registry`) before the database is touched;
    RegistryError lists every problem. The replacement runs in one transaction under
    an advisory lock, so loading twice or concurrently leaves the same content and
    readers see either the old or the new registry.
    If the caller already has a transaction open on `conn`, the replacement joins it
    (as a savepoint) and becomes visible when the caller commits.
    Returns the number of institutions per peer group and the number of accounts.
    """
    registry_dir = Path(registry_dir) if registry_dir is not None else config.registry_dir()
    _raise_for(registry_dir, check_registry(registry_dir))
    institutions = _institutions(registry_dir)
    accounts = _accounts(registry_dir)
    comparison_groups = _comparison_groups(registry_dir)
    author = audit_trail.registry_author(registry_dir)
    stamped = {
        "institutions": [dict(row) for row in institutions],
        "accounts": [dict(row) for row in accounts],
    }
    columns = {"institutions": INSTITUTION_COLUMNS, "accounts": ACCOUNT_COLUMNS}
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('kinerja.registry'))")
        changes = [
            audit_trail.stamp_rows(conn, table, columns[table], stamped[table], author) for table in stamped
        ]
        # delete, not truncate: truncate would block every reader until commit.
        conn.execute("delete from registry.accounts")
        conn.execute("delete from registry.institutions")
        for table, rows in stamped.items():
            _copy(conn, table, columns[table] + audit_trail.STAMP_COLUMNS, rows)
        conn.execute("delete from registry.comparison_groups")
        _copy(conn, "comparison_groups", COMPARISON_GROUP_COLUMNS, comparison_groups)
        total = audit_trail.Changes(sum(c.added for c in changes), sum(c.removed for c in changes))
        if total.added or total.removed:
            files = audit_trail.files_sha256(registry_dir, (REGIONS_FILE, CENTRAL_FILE, ACCOUNTS_FILE))
            audit_trail.record_load(conn, author, files, total)
    return registry_counts(institutions, accounts)
