"""Read the registry files and load them into registry.institutions and registry.accounts.

The registry directory holds three files, reviewed like code:

- regions_kepmendagri2025.csv: provinces, kabupaten and kota (Kemendagri 2025 codes);
  every row becomes a regional institution.
- central_institutions.csv: ministries (kementerian) and agencies (lembaga).
- accounts.csv: the official social-media accounts of those institutions.

Reading validates every row and raises `RegistryError` naming the file, the line and
the column of the first row it cannot read. Loading replaces the content of both
tables in one transaction, so a reader never sees half a registry.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from kinerja import config
from kinerja.sources import PLATFORMS

REGIONS_FILE = "regions_kepmendagri2025.csv"
CENTRAL_FILE = "central_institutions.csv"
ACCOUNTS_FILE = "accounts.csv"

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
)
ACCOUNT_COLUMNS = (
    "account_id",
    "institution_id",
    "platform",
    "handle",
    "platform_account_id",
    "active_from",
    "active_to",
    "is_demo",
)

PEER_GROUPS = ("kementerian", "lembaga", "provinsi", "kabupaten", "kota")
CENTRAL_PEER_GROUPS = ("kementerian", "lembaga")
TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")

REGIONS_SOURCE = "Kepmendagri 2025 (cahyadsn/wilayah b7ad440a)"

# Indonesia's three time zones by province (Kemendagri 2025 codes). Every province
# not listed here is WIB. Each institution's metric day is its own local day.
WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})
WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})

REGIONS_COLUMNS = (
    "kode_compact",
    "level",
    "jenis",
    "nama",
    "kode_provinsi",
    "penduduk_total",
    "luas_km2",
)
CENTRAL_COLUMNS = ("institution_id", "name", "peer_group", "scorecard_email", "source")

# Level 2 jenis -> (peer group, id prefix).
_LEVEL2 = {"Kabupaten": ("kabupaten", "kab"), "Kota": ("kota", "kota")}

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLS = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False, "": False}


class RegistryError(ValueError):
    """A registry file row that cannot be read: says which file, line and column."""

    def __init__(self, path: Path, line: int, column: str, message: str):
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(f"{self.path}, line {line}, column {column!r}: {message}")


class _Row:
    """One CSV row with where it came from, so every parse error can say so."""

    def __init__(self, path: Path, line: int, values: dict[str, str]):
        self.path, self.line, self.values = path, line, values

    def error(self, column: str, message: str) -> RegistryError:
        return RegistryError(self.path, self.line, column, message)

    def text(self, column: str, *, required: bool = True) -> str | None:
        """The stripped value; None when empty and not required."""
        value = (self.values.get(column) or "").strip()
        if not value and required:
            raise self.error(column, "is empty")
        return value or None

    def parse(self, column: str, convert: Callable[[str], Any], *, required: bool = True) -> Any:
        """The value converted; a conversion failure becomes a RegistryError."""
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            return convert(value)
        except (ValueError, InvalidOperation) as exc:
            raise self.error(column, f"cannot read {value!r}: {exc}") from None

    def choice(self, column: str, allowed: Collection[str], what: str) -> str:
        value = self.text(column)
        if value not in allowed:
            raise self.error(column, f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
        return value

    def identifier(self, column: str) -> str:
        value = self.text(column)
        if not _ID_RE.match(value):
            raise self.error(column, f"{value!r} is not an id (lowercase a-z, 0-9 and '-')")
        return value


def _read_csv(path: Path, required: Iterable[str]) -> Iterator[_Row]:
    """The rows of a CSV file; checks the header and the number of fields of each row."""
    if not path.is_file():
        raise RegistryError(path, 0, "", "file not found")
    # utf-8-sig: files saved from spreadsheet programs often start with a BOM.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [column for column in required if column not in header]
        if missing:
            raise RegistryError(path, 1, missing[0], f"missing from the header {header}")
        for values in reader:
            row = _Row(path, reader.line_num, values)
            if None in values:
                raise row.error(str(len(header) + 1), "more fields than the header has")
            short = [column for column, value in values.items() if value is None]
            if short:
                raise row.error(short[0], "row has fewer fields than the header")
            yield row


def _integer(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _decimal(value: str) -> Decimal:
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError("must be a finite, non-negative number")
    return number


def _iso_date(value: str) -> date:
    # Only YYYY-MM-DD: fromisoformat alone also takes 20220101 and week dates.
    if not _DATE_RE.match(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return date.fromisoformat(value)


def _boolean(value: str) -> bool:
    try:
        return _BOOLS[value.lower()]
    except KeyError:
        raise ValueError("expected true or false") from None


def timezone_for_province(province_code: str) -> str:
    """The IANA time zone of a province (WIB, WITA or WIT) from its Kemendagri 2025 code."""
    if province_code in WIT_PROVINCES:
        return "Asia/Jayapura"
    if province_code in WITA_PROVINCES:
        return "Asia/Makassar"
    return "Asia/Jakarta"


def _codes(row: _Row, level: int) -> tuple[str, str]:
    """The region's compact code and its province code, checked against each other."""
    code = row.text("kode_compact")
    province = row.text("kode_provinsi")
    if not re.fullmatch(r"\d{2}", province):
        raise row.error("kode_provinsi", f"{province!r} is not a two-digit province code")
    expected = r"\d{2}" if level == 1 else r"\d{4}"
    if not re.fullmatch(expected, code) or not code.startswith(province):
        raise row.error("kode_compact", f"{code!r} is not a level {level} code in province {province}")
    return code, province


def _peer_group_and_id(row: _Row, level: int, code: str) -> tuple[str, str]:
    if level == 1:
        row.choice("jenis", ("Provinsi",), "jenis for level 1")
        return "provinsi", f"prov-{code}"
    peer_group, prefix = _LEVEL2[row.choice("jenis", tuple(_LEVEL2), "jenis for level 2")]
    return peer_group, f"{prefix}-{code}"


def _regional_institution(row: _Row) -> dict[str, Any]:
    level = row.parse("level", int)
    if level not in (1, 2):
        raise row.error("level", f"unknown level {level}; expected 1 (provinsi) or 2 (kabupaten/kota)")
    code, province = _codes(row, level)
    peer_group, institution_id = _peer_group_and_id(row, level, code)
    return {
        "institution_id": institution_id,
        "name": row.text("nama"),  # stripped: the source has a trailing space in one name
        "peer_group": peer_group,
        "region_code": code,
        "province_code": province,
        "parent_institution_id": f"prov-{province}" if level == 2 else None,
        "population": row.parse("penduduk_total", _integer, required=False),
        "area_km2": row.parse("luas_km2", _decimal, required=False),
        "timezone": timezone_for_province(province),
        "scorecard_email": f"diskominfo@{institution_id}.example.go.id",
        "source": REGIONS_SOURCE,
    }


def _central_institution(row: _Row) -> dict[str, Any]:
    return {
        "institution_id": row.identifier("institution_id"),
        "name": row.text("name"),
        "peer_group": row.choice("peer_group", CENTRAL_PEER_GROUPS, "peer group"),
        "region_code": None,
        "province_code": None,
        "parent_institution_id": None,
        "population": None,
        "area_km2": None,
        "timezone": config.DEFAULT_TIMEZONE,
        "scorecard_email": row.text("scorecard_email", required=False),
        "source": row.text("source"),
    }


def _check_unique(row: _Row, column: str, key: Any, seen: dict[Any, str]) -> None:
    """Record `key`; a second occurrence is an error that names the first one."""
    if key in seen:
        raise row.error(column, f"duplicate {key!r}, first seen at {seen[key]}")
    seen[key] = f"{row.path.name} line {row.line}"


def read_institutions(registry_dir: Path) -> list[dict[str, Any]]:
    """Every institution: regions first (file order), then central ones (file order).

    Each dict has exactly the columns of registry.institutions.
    """
    registry_dir = Path(registry_dir)
    institutions: list[dict[str, Any]] = []
    seen: dict[Any, str] = {}
    provinces: set[str] = set()
    for row in _read_csv(registry_dir / REGIONS_FILE, REGIONS_COLUMNS):
        institution = _regional_institution(row)
        _check_unique(row, "kode_compact", institution["institution_id"], seen)
        parent = institution["parent_institution_id"]
        # The source lists each province before its kabupaten and kota; rely on it.
        if parent is not None and parent not in provinces:
            raise row.error("kode_provinsi", f"province {institution['province_code']} is not listed above")
        if parent is None:
            provinces.add(institution["institution_id"])
        institutions.append(institution)
    for row in _read_csv(registry_dir / CENTRAL_FILE, CENTRAL_COLUMNS):
        institution = _central_institution(row)
        _check_unique(row, "institution_id", institution["institution_id"], seen)
        institutions.append(institution)
    return institutions


def _account(row: _Row, institution_ids: Collection[str] | None) -> dict[str, Any]:
    institution_id = row.text("institution_id")
    if institution_ids is not None and institution_id not in institution_ids:
        raise row.error("institution_id", f"unknown institution {institution_id!r}")
    active_from = row.parse("active_from", _iso_date)
    active_to = row.parse("active_to", _iso_date, required=False)
    if active_to is not None and active_to < active_from:
        raise row.error("active_to", f"{active_to} is before active_from {active_from}")
    return {
        "account_id": row.identifier("account_id"),
        "institution_id": institution_id,
        "platform": row.choice("platform", PLATFORMS, "platform"),
        "handle": row.text("handle"),
        "platform_account_id": row.text("platform_account_id", required=False),
        "active_from": active_from,
        "active_to": active_to,
        "is_demo": row.parse("is_demo", _boolean, required=False) or False,
    }


def read_accounts(
    registry_dir: Path, *, institution_ids: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """The accounts of accounts.csv, in file order, with dates as `date` and is_demo as bool.

    When `institution_ids` is given, an account of any other institution is an error.
    Each dict has exactly the columns of registry.accounts.
    """
    accounts: list[dict[str, Any]] = []
    seen_ids: dict[Any, str] = {}
    seen_handles: dict[Any, str] = {}
    for row in _read_csv(Path(registry_dir) / ACCOUNTS_FILE, ACCOUNT_COLUMNS):
        account = _account(row, institution_ids)
        _check_unique(row, "account_id", account["account_id"], seen_ids)
        # Handles are case-insensitive on every platform: the same account twice would count twice.
        handle_key = (account["platform"], account["handle"].lower())
        _check_unique(row, "handle", handle_key, seen_handles)
        accounts.append(account)
    return accounts


def _copy(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: list[dict]) -> None:
    statement = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier("registry", table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def registry_counts(institutions: list[dict], accounts: list[dict]) -> dict[str, int]:
    """Institutions per peer group (every group, also when 0) and the number of accounts."""
    per_group = Counter(institution["peer_group"] for institution in institutions)
    return {**{group: per_group[group] for group in PEER_GROUPS}, "accounts": len(accounts)}


def load_registry(conn: psycopg.Connection, registry_dir: Path | None = None) -> dict[str, int]:
    """Replace registry.institutions and registry.accounts with the registry files' content.

    The files are read and validated before the database is touched. The replacement
    runs in one transaction under an advisory lock, so loading twice or concurrently
    leaves the same content and readers see either the old or the new registry.
    If the caller already has a transaction open on `conn`, the replacement joins it
    (as a savepoint) and becomes visible when the caller commits.
    Returns the number of institutions per peer group and the number of accounts.
    """
    registry_dir = Path(registry_dir) if registry_dir is not None else config.registry_dir()
    institutions = read_institutions(registry_dir)
    known = {institution["institution_id"] for institution in institutions}
    accounts = read_accounts(registry_dir, institution_ids=known)
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('kinerja.registry'))")
        # delete, not truncate: truncate would block every reader until commit.
        conn.execute("delete from registry.accounts")
        conn.execute("delete from registry.institutions")
        _copy(conn, "institutions", INSTITUTION_COLUMNS, institutions)
        _copy(conn, "accounts", ACCOUNT_COLUMNS, accounts)
    return registry_counts(institutions, accounts)
