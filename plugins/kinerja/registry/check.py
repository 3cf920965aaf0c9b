"""Check the registry files and report every problem at once.

`check_registry` reads the registry files (see `kinerja.registry.load`; the comparison
groups file is optional) and
returns one `Problem` per field it cannot accept: the file, the line, the column,
what is wrong and what to do. A reviewer of a registry change sees the whole list
in one run instead of fixing one error per run.

Nothing is fixed silently: a platform written "Youtube" is an error that suggests
'youtube', so the file is corrected in review and the warehouse loads exactly what
the file says. These are the only registry rules: `load.py` runs them before it
converts a single row.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from kinerja import platforms

REGIONS_FILE = "regions_kepmendagri2025.csv"
CENTRAL_FILE = "central_institutions.csv"
ACCOUNTS_FILE = "accounts.csv"
# Optional: named groups of institutions an index method may rank within, besides the peer groups.
COMPARISON_GROUPS_FILE = "comparison_groups.csv"
FILES = (REGIONS_FILE, CENTRAL_FILE, ACCOUNTS_FILE, COMPARISON_GROUPS_FILE)

# The old 34-province list (BPS codes, before the 2022 Papua split): reference data of
# this package, not part of a registry, so it is read from here and not from registry_dir.
LEGACY_PROVINCES_PATH = Path(__file__).resolve().parent / "data" / "legacy_provinces_34_bps.csv"

REGIONS_COLUMNS = (
    "kode_compact",
    "level",
    "jenis",
    "nama",
    "kode_provinsi",
    "penduduk_total",
    "luas_km2",
)
CENTRAL_COLUMNS = (
    "institution_id",
    "name",
    "peer_group",
    "scorecard_email",
    "source",
    "valid_from",
    "valid_to",
    "predecessor_ids",
)
ACCOUNT_COLUMNS = (
    "account_id",
    "institution_id",
    "platform",
    "handle",
    "platform_account_id",
    "verified_on",
    "valid_from",
    "valid_to",
    "is_demo",
)

COMPARISON_GROUP_COLUMNS = ("group_id", "group_name", "institution_id", "valid_from", "valid_to")

CENTRAL_PEER_GROUPS = ("kementerian", "lembaga")
REGIONAL_PEER_GROUPS = ("provinsi", "kabupaten", "kota")
PEER_GROUPS = CENTRAL_PEER_GROUPS + REGIONAL_PEER_GROUPS

# (level, jenis) of a regions row -> (peer group, institution id prefix).
REGION_KINDS = {
    (1, "Provinsi"): ("provinsi", "prov"),
    (2, "Kabupaten"): ("kabupaten", "kab"),
    (2, "Kota"): ("kota", "kota"),
}

# Names people write for a canonical value, keyed without case, spaces, '-' or '_'.
# difflib catches typos ("Intagram"); it cannot know that Twitter is now X.
PLATFORM_ALIASES = {"twitter": "x", "ig": "instagram", "fb": "facebook", "yt": "youtube", "tt": "tiktok"}
# Platforms people register accounts on that Kinerja does not cover: named as such, never
# taken for a misspelt covered one (difflib would read "Threads" as nothing, "Flick" as tiktok).
NOT_COVERED_PLATFORMS = (
    "linkedin", "flickr", "threads", "pinterest", "snapchat", "whatsapp", "telegram", "vimeo", "soundcloud",
    "spotify", "tumblr", "reddit", "line", "discord", "twitch", "mastodon", "bluesky", "weibo", "wechat",
    "dailymotion", "kakaotalk", "vk", "googleplus", "podcast", "website", "blog",
)  # fmt: skip
# What a handle may hold on any covered platform: letters, digits, '.', '_' and '-' (YouTube),
# at most 100 of them. A handle outside this (spaces, '/', ':', '<') is no platform's handle.
_ANY_PLATFORM_HANDLE = re.compile(r"@?[A-Za-z0-9._-]{1,100}")
PEER_GROUP_ALIASES = {"badan": "lembaga", "lpnk": "lembaga", "kemenko": "kementerian"}

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COUNT_RE = re.compile(r"^\d+$")
_AREA_RE = re.compile(r"^\d+(?:\.\d+)?$")
_REGIONAL_ID_RE = re.compile(r"^(?:prov|kab|kota)-(?P<code>(?P<province>\d{2})(?:\d{2})?)$")
# An empty valid_from of an institution: true since before the registry records anything.
REGISTRY_BEGINNING = date(2000, 1, 1)
_Period = tuple[date, date | None]  # valid from, valid to (inclusive; None: still true)

_BOOLS = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False, "": False}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a registry file: where (file, line, column), what, and what to do.

    `line` is the 1-based line of the CSV file (the header is line 1); 0 when the
    problem is the file itself.
    """

    path: str
    line: int
    column: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.path}, line {self.line}, column {self.column!r}" if self.line else self.path
        text = f"{where}: {self.message}"
        return f"{text}. {self.hint}" if self.hint else text


class Invalid(ValueError):
    """A value a converter cannot accept: what is wrong with it and what to do."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


# --- converters: shared with load.py, which runs them on checked values only ----------


def to_level(value: str) -> int:
    """A regions row's level: 1 (provinsi) or 2 (kabupaten, kota)."""
    if value not in ("1", "2"):
        raise Invalid("is not a level", "Use 1 for a provinsi, 2 for a kabupaten or kota")
    return int(value)


def to_count(value: str) -> int:
    """A whole number of zero or more, digits only."""
    # A regex, not int(): int() also takes "1_000" and "-5".
    if not _COUNT_RE.match(value):
        raise Invalid("is not a whole number", "Write digits only, without separators, e.g. 4375263")
    return int(value)


def to_area(value: str) -> Decimal:
    """A non-negative decimal number with a dot, as a Decimal."""
    if not _AREA_RE.match(value):
        raise Invalid("is not a number", "Write a non-negative number with a dot for decimals, e.g. 5582.827")
    return Decimal(value)


def to_date(value: str) -> date:
    """A date written YYYY-MM-DD that exists in the calendar."""
    # The regex first: fromisoformat alone also takes 20220101 and week dates.
    if not _DATE_RE.match(value):
        raise Invalid("is not a date as YYYY-MM-DD", "Write the date as YYYY-MM-DD, e.g. 2022-01-01")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(f"is not a real date ({exc})", "Check the month and the day") from None


def to_bool(value: str) -> bool:
    """true/false (also t/f, 1/0); empty is false."""
    try:
        return _BOOLS[value.lower()]
    except KeyError:
        raise Invalid("is not true or false", "Write true or false") from None


def regional_identity(level: int, jenis: str, code: str) -> tuple[str, str]:
    """The peer group and institution id of a regions row, e.g. ('kota', 'kota-5171')."""
    peer_group, prefix = REGION_KINDS[(level, jenis)]
    return peer_group, f"{prefix}-{code}"


@lru_cache(maxsize=1)
def legacy_provinces() -> dict[str, str]:
    """The legacy 34-province list (BPS codes): code -> name, as written in the source."""
    with LEGACY_PROVINCES_PATH.open(newline="", encoding="utf-8") as handle:
        return {code.strip(): name.strip() for code, name in csv.reader(handle)}


# --- rows -----------------------------------------------------------------------------


class _Row:
    """One CSV row with its file and line; each check of a field records its Problem here."""

    def __init__(self, file: str, line: int, values: dict[str, str], problems: list[Problem]):
        self.file, self.line, self.values, self.problems = file, line, values, problems

    def problem(self, column: str, message: str, hint: str) -> None:
        self.problems.append(Problem(self.file, self.line, column, message, hint))

    def text(self, column: str, *, required: bool = True) -> str | None:
        """The stripped value; None when empty (a problem too when required)."""
        value = (self.values.get(column) or "").strip()
        if not value and required:
            self.problem(column, "is empty", f"Fill in {column}: it is required")
        return value or None

    def parse(self, column: str, convert: Callable[[str], Any], *, required: bool = True) -> Any:
        """The converted value; None when empty or not valid."""
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            return convert(value)
        except Invalid as exc:
            self.problem(column, f"{value!r} {exc.message}", exc.hint)
            return None

    def identifier(self, column: str) -> str | None:
        """An id of lowercase a-z, 0-9 and '-'; None when empty or not an id."""
        value = self.text(column)
        if value is None or _ID_RE.match(value):
            return value
        fixed = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
        hint = "Use lowercase a-z, 0-9 and single '-' between parts"
        self.problem(column, f"{value!r} is not an id", f"{hint}: {fixed!r}?" if fixed else hint)
        return None


def _read_rows(path: Path, required: Sequence[str], problems: list[Problem]) -> list[_Row] | None:
    """The rows of a CSV file that have as many fields as the header.

    None when the file is missing or unreadable or its header lacks a column: then
    no row can be checked, and the problem is recorded once.
    """
    if not path.is_file():
        problems.append(Problem(path.name, 0, "", "file not found", f"Put {path.name} in {path.parent}"))
        return None
    try:
        # utf-8-sig: files saved from spreadsheet programs often start with a BOM.
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _rows_of(csv.DictReader(handle), path.name, required, problems)
    except (UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem(path.name, 0, "", f"cannot be read as CSV ({exc})", "Save it as UTF-8 CSV"))
        return None


def _rows_of(
    reader: csv.DictReader, file: str, required: Sequence[str], problems: list[Problem]
) -> list[_Row] | None:
    header = reader.fieldnames or []
    missing = [column for column in required if column not in header]
    for column in missing:
        problems.append(Problem(file, 1, column, "missing from the header", _header_hint(column, header)))
    if missing:
        return None
    rows = []
    for values in reader:
        row = _Row(file, reader.line_num, values, problems)
        # A row with too many or too few fields has its values shifted: checking each
        # field would report misleading problems, so it gets this one only.
        if None in values:
            row.problem(str(len(header) + 1), "more fields than the header has", _FIELDS_HINT)
        elif None in values.values():
            short = next(column for column, value in values.items() if value is None)
            row.problem(short, "row has fewer fields than the header", _FIELDS_HINT)
        else:
            rows.append(row)
    return rows


_FIELDS_HINT = "Give the row one field per header column; quote a value that contains a comma"


def _header_hint(column: str, header: Sequence[str]) -> str:
    close = difflib.get_close_matches(column, header, n=1)
    rename = f"Rename {close[0]!r} to {column!r}" if close else f"Add the column {column!r}"
    return f"{rename} in the header (line 1)"


# --- suggestions ----------------------------------------------------------------------


def _key(value: str) -> str:
    """A value without case, spaces, '-' or '_': 'Tik Tok' and 'tiktok' share a key."""
    return re.sub(r"[\s_-]+", "", value.casefold())


def suggest(value: str, choices: Sequence[str], aliases: dict[str, str] | None = None) -> str | None:
    """The choice `value` most likely means: same key, a known alias, or a close spelling."""
    by_key = {_key(choice): choice for choice in choices}
    key = _key(value)
    if key in by_key:
        return by_key[key]
    if aliases and key in aliases:
        return aliases[key]
    close = difflib.get_close_matches(key, list(by_key), n=1)
    return by_key[close[0]] if close else None


def _choice_hint(suggestion: str | None, choices: Iterable[str]) -> str:
    if suggestion is not None:
        return f"Did you mean {suggestion!r}?"
    return f"Use one of: {', '.join(choices)}"


def _name_key(name: str) -> str:
    """A name without case or extra spaces: 'PAPUA BARAT' and 'Papua Barat' share a key."""
    return " ".join(name.casefold().split())


def _same_name(a: str, b: str) -> bool:
    return _name_key(a) == _name_key(b)


# --- duplicates -----------------------------------------------------------------------

_Seen = dict[Any, tuple[str, int]]


def _first(seen: _Seen, key: Any, row: _Row) -> str | None:
    """Record `key` at `row`; where it was first seen when it is a duplicate, else None."""
    if key not in seen:
        seen[key] = (row.file, row.line)
        return None
    file, line = seen[key]
    return f"line {line}" if file == row.file else f"{file} line {line}"


def _unique(row: _Row, column: str, key: Any, seen: _Seen, hint: str = "") -> bool:
    """False, and a problem, when `key` was seen before."""
    first = _first(seen, key, row)
    if first is None:
        return True
    hint = hint or f"Each {column} appears once: remove this row or give it its own {column}"
    row.problem(column, f"duplicate {column} {key!r}, first seen at {first}", hint)
    return False


# --- legacy province codes ------------------------------------------------------------


def _code_of(name: str, provinces: dict[str, str], other_than: str) -> str | None:
    """The Kemendagri 2025 code of the province called `name`, if not `other_than`."""
    return next(
        (code for code, current in provinces.items() if code != other_than and _same_name(current, name)),
        None,
    )


def _legacy_code(code: str, name: str, provinces: dict[str, str]) -> str | None:
    """The 2025 code when (code, name) is a province of the legacy list renumbered since.

    E.g. ('91', 'Papua Barat') -> '92': 91 was Papua Barat in the legacy list and
    is Papua in Kemendagri 2025. Only names that are in the regions file count.
    """
    old_name = legacy_provinces().get(code)
    if old_name is None or not _same_name(old_name, name):
        return None
    return _code_of(name, provinces, other_than=code)


def _legacy_note(code: str, provinces: dict[str, str]) -> tuple[str, str] | None:
    """What province `code` meant in the legacy list and its 2025 code, when renumbered since.

    None for the codes that kept their meaning: most did, and a code the regions file
    does not list is then just unknown, not legacy.
    """
    old_name = legacy_provinces().get(code)
    new = _legacy_code(code, old_name, provinces) if old_name is not None else None
    if new is None:
        return None
    now = f" and {code} is {provinces[code]}" if code in provinces else ""
    note = f"{code} is {provinces[new]} in the legacy 34-province list; in Kemendagri 2025 "
    return f"{note}{provinces[new]} is {new}{now}", new


# --- regions --------------------------------------------------------------------------


@dataclass
class _Region:
    row: _Row
    level: int
    code: str | None
    province: str | None
    name: str
    institution_id: str | None
    legacy_of: str | None = None  # a province row with a legacy code: the code in 2025


def _region_codes(row: _Row, level: int) -> tuple[str | None, str | None]:
    """kode_compact and kode_provinsi, each None when not valid; checked against each other."""
    province = row.text("kode_provinsi")
    if province is not None and not re.fullmatch(r"\d{2}", province):
        row.problem("kode_provinsi", f"{province!r} is not a province code", "Use two digits, e.g. 51")
        province = None
    code = row.text("kode_compact")
    digits = 2 if level == 1 else 4
    if code is not None and not re.fullmatch(rf"\d{{{digits}}}", code):
        row.problem("kode_compact", f"{code!r} is not a level {level} code", f"Use {digits} digits")
        return None, province
    if code is not None and province is not None and not code.startswith(province):
        row.problem(
            "kode_compact",
            f"{code!r} does not start with its kode_provinsi {province}",
            "A region's code starts with its province's code: correct kode_compact or kode_provinsi",
        )
    _check_dotted(row, code)
    return code, province


def _check_dotted(row: _Row, code: str | None) -> None:
    """The dotted `kode` (optional column) must be kode_compact with dots."""
    dotted = (row.values.get("kode") or "").strip()
    if code is not None and dotted and dotted.replace(".", "") != code:
        row.problem("kode", f"{dotted!r} does not match kode_compact {code!r}", "Correct one of the two")


def _region_identity(row: _Row, level: int, code: str | None) -> str | None:
    jenis = row.text("jenis")
    if jenis is None:
        return None
    allowed = [kind for lvl, kind in REGION_KINDS if lvl == level]
    if jenis not in allowed:
        row.problem(
            "jenis",
            f"unknown jenis {jenis!r} for level {level}",
            _choice_hint(suggest(jenis, allowed), allowed),
        )
        return None
    return regional_identity(level, jenis, code)[1] if code is not None else None


def _region(row: _Row) -> _Region | None:
    """Checks the fields of one regions row; the region, or None when its level is unusable."""
    level = row.parse("level", to_level)
    name = row.text("nama") or ""
    row.parse("penduduk_total", to_count, required=False)
    row.parse("luas_km2", to_area, required=False)
    if level is None:
        return None
    code, province = _region_codes(row, level)
    return _Region(row, level, code, province, name, _region_identity(row, level, code))


def _province_names(regions: list[_Region]) -> dict[str, str]:
    """code -> nama of the Kemendagri 2025 province rows (the first row of each code).

    Sets `legacy_of` on the level 1 rows that use a legacy code and leaves them out,
    so their kabupaten and kota are compared with the 2025 province of that code.
    """
    level1 = [r for r in regions if r.level == 1 and r.code is not None and r.name]
    names: dict[str, str] = {}
    for region in level1:
        names.setdefault(region.code, region.name)
    provinces: dict[str, str] = {}
    for region in level1:
        region.legacy_of = _legacy_code(region.code, region.name, names)
        if region.legacy_of is None:
            provinces.setdefault(region.code, region.name)
    return provinces


def _check_province_row(region: _Region, seen: dict[str, _Seen]) -> bool:
    """A level 1 row: not a legacy code, unique code and name. True when it is usable."""
    row, code = region.row, region.code
    if code is None:
        return False
    if region.legacy_of is not None:
        row.problem(
            "kode_compact",
            f"{code} is {region.name}'s code in the legacy 34-province list, not in Kemendagri 2025",
            f"{region.name} is {region.legacy_of} in Kemendagri 2025, in its own row: remove this row "
            f"or make it the Kemendagri 2025 province {code}",
        )
        return False
    _check_own_province_name(region)
    unique = _unique(row, "kode_compact", code, seen["code"])
    first = _first(seen["name"], _name_key(region.name), row) if region.name else None
    if first is not None:
        row.problem(
            "nama",
            f"duplicate province name {region.name!r}, first seen at {first}",
            "Each province appears once: remove this row or correct its nama",
        )
    return unique


def _check_own_province_name(region: _Region) -> None:
    """A province row's nama_provinsi (optional column) is its own nama."""
    value = (region.row.values.get("nama_provinsi") or "").strip()
    if value and region.name and not _same_name(value, region.name):
        region.row.problem(
            "nama_provinsi", f"{value!r} differs from nama {region.name!r}", f"Write {region.name!r}"
        )


def _check_parent(region: _Region, provinces: dict[str, str], legacy_rows: Collection[str]) -> None:
    """A kabupaten/kota: its province is a level 1 row and has the name it gives."""
    row, province = region.row, region.province
    if province is None or (province not in provinces and province in legacy_rows):
        return  # its province row has a legacy code, reported there: fixing it settles this row
    if province not in provinces:
        note = _legacy_note(province, provinces)
        hint = f"Add the province (a level 1 row) {province} or correct kode_provinsi"
        if note is not None:
            hint = f"{note[0]}: use {note[1]}"
        row.problem("kode_provinsi", f"{province} is not a province (level 1 row) of {REGIONS_FILE}", hint)
        return
    _check_parent_name(row, province, provinces)


def _check_parent_name(row: _Row, province: str, provinces: dict[str, str]) -> None:
    value = (row.values.get("nama_provinsi") or "").strip()
    if not value or _same_name(value, provinces[province]):
        return
    new = _legacy_code(province, value, provinces)
    if new is not None:
        row.problem(
            "kode_provinsi",
            f"{province} is {value}'s code in the legacy 34-province list; "
            f"in Kemendagri 2025 {province} is {provinces[province]}",
            f"Use {new}, the Kemendagri 2025 code of {provinces[new]}, in kode_provinsi and kode_compact",
        )
        return
    row.problem(
        "nama_provinsi",
        f"{value!r} is not the name of province {province} ({provinces[province]!r})",
        f"Write {provinces[province]!r} or correct kode_provinsi",
    )


def _check_regions(rows: list[_Row], institutions: _Seen) -> tuple[dict[str, str], set[str]]:
    """Checks the regions rows and records their institution ids.

    Returns the province names by code and the codes of rows whose institution id
    cannot be told (their level, jenis or code is wrong).
    """
    regions = [region for region in map(_region, rows) if region is not None]
    registered: set[str] = set()
    provinces = _province_names(regions)
    legacy_rows = {region.code for region in regions if region.legacy_of is not None}
    seen: dict[str, _Seen] = {"code": {}, "name": {}}
    for region in regions:
        if region.level == 1:
            usable = _check_province_row(region, seen)
        else:
            usable = region.code is not None and _unique(
                region.row, "kode_compact", region.code, seen["code"]
            )
            _check_parent(region, provinces, legacy_rows)
        # A duplicate code is reported once, as a code, not again as an institution id.
        if usable and region.institution_id is not None:
            _first(institutions, region.institution_id, region.row)
            registered.add(region.code)
    unresolved = {(row.values.get("kode_compact") or "").strip() for row in rows} - registered
    return provinces, unresolved


# --- central institutions -------------------------------------------------------------


def _check_peer_group(row: _Row) -> None:
    value = row.text("peer_group")
    if value is None or value in CENTRAL_PEER_GROUPS:
        return
    if value.casefold() in REGIONAL_PEER_GROUPS:
        hint = f"{value} institutions come from {REGIONS_FILE}; this file lists kementerian and lembaga only"
    else:
        hint = _choice_hint(suggest(value, CENTRAL_PEER_GROUPS, PEER_GROUP_ALIASES), CENTRAL_PEER_GROUPS)
    row.problem("peer_group", f"unknown peer group {value!r}", hint)


def _period(row: _Row, *, from_required: bool) -> _Period | None:
    """The row's valid_from..valid_to; None when a date is wrong (reported)."""
    valid_from = row.parse("valid_from", to_date, required=from_required)
    valid_to = row.parse("valid_to", to_date, required=False)
    if row.text("valid_from", required=False) and valid_from is None:
        return None
    if row.text("valid_to", required=False) and valid_to is None:
        return None
    valid_from = valid_from or REGISTRY_BEGINNING
    if valid_to is not None and valid_to < valid_from:
        row.problem(
            "valid_to",
            f"{valid_to} is before valid_from {valid_from}",
            "Set valid_to on or after valid_from, or leave it empty while the row is still true",
        )
        return None
    return valid_from, valid_to


def _overlaps(a: _Period, b: _Period) -> bool:
    return (a[1] is None or b[0] <= a[1]) and (b[1] is None or a[0] <= b[1])


def _check_no_overlap(
    row: _Row, what: str, period: _Period, earlier: list[tuple[_Period, int, tuple[str, ...]]]
) -> None:
    """A problem when `period` overlaps an earlier row of the same thing; records it otherwise.

    A row that repeats an earlier one cell for cell is a copy, not a change: its hint is to
    delete it, where an overlap of two different rows needs the earlier one ended.
    """
    cells = tuple((row.values.get(column) or "").strip() for column in sorted(row.values))
    clash = next(((line, same) for other, line, same in earlier if _overlaps(period, other)), None)
    if clash is None:
        earlier.append((period, row.line, cells))
        return
    line, same = clash
    if same == cells:
        row.problem(
            "valid_from",
            f"the row repeats line {line} exactly",
            f"Delete the duplicate row (this line, {row.line}): line {line} already says the same",
        )
        return
    row.problem(
        "valid_from",
        f"{what} is already valid on some of these days (line {line})",
        "End the earlier row (valid_to) the day before this one starts: one row per period",
    )


def _check_central(rows: list[_Row], institutions: _Seen, periods: dict[str, list[_Period]]) -> None:
    """Central institutions: one row per period in which its name and facts held (renames, splits)."""
    versions: dict[str, list[tuple[_Period, int, tuple[str, ...]]]] = {}
    successors: list[tuple[_Row, date]] = []
    for row in rows:
        institution_id = row.identifier("institution_id")
        row.text("name")
        _check_peer_group(row)
        row.text("scorecard_email", required=False)
        row.text("source")
        period = _period(row, from_required=False)
        if institution_id is None or period is None:
            continue
        if institution_id in institutions and institution_id not in versions:
            _unique(row, "institution_id", institution_id, institutions)  # a regional id
            continue
        _first(institutions, institution_id, row)
        _check_no_overlap(
            row, f"institution {institution_id!r}", period, versions.setdefault(institution_id, [])
        )
        periods.setdefault(institution_id, []).append(period)
        successors.append((row, period[0]))
    for row, starts in successors:
        _check_predecessors(row, starts, periods)


def _check_predecessors(row: _Row, starts: date, periods: dict[str, list[_Period]]) -> None:
    """A successor names institutions that exist and ended before it began."""
    for predecessor in (row.text("predecessor_ids", required=False) or "").split(";"):
        predecessor = predecessor.strip()
        if not predecessor:
            continue
        if predecessor not in periods:
            row.problem(
                "predecessor_ids",
                f"unknown institution {predecessor!r}",
                "Name the institution this one replaces by its institution_id (several: separate with ';')",
            )
            continue
        ended = _last_day(periods[predecessor])
        if ended is None or ended >= starts:
            row.problem(
                "predecessor_ids",
                f"{predecessor!r} is still valid when this institution begins",
                f"Set valid_to of {predecessor!r} to the day before this row's valid_from",
            )


def _last_day(periods: list[_Period]) -> date | None:
    """The last day an institution is valid; None while it still is."""
    return None if any(to is None for _, to in periods) else max(to for _, to in periods)


# --- accounts -------------------------------------------------------------------------


@dataclass
class _Known:
    """What the accounts check knows of the institutions."""

    ids: Collection[str]
    periods: dict[str, list[_Period]] | None = None  # when each institution is valid; None: not read
    provinces: dict[str, str] | None = None  # code -> name; None when the regions were not read
    unresolved: Collection[str] = ()  # region codes whose institution id is not known


def _unknown_institution_hint(institution_id: str, known: _Known) -> str:
    add = f"add the institution to {REGIONS_FILE} or {CENTRAL_FILE}"
    match = _REGIONAL_ID_RE.match(institution_id)
    if match is None:
        close = difflib.get_close_matches(institution_id, sorted(known.ids), n=1)
        return f"Did you mean {close[0]!r}? Otherwise {add}" if close else f"Correct institution_id or {add}"
    # A regional id is its region's code: a near spelling is another region, so no difflib.
    for _, prefix in REGION_KINDS.values():
        other = f"{prefix}-{match['code']}"
        if other in known.ids:
            return f"Did you mean {other!r}?"
    note = _legacy_note(match["province"], known.provinces or {})
    if note is not None:
        legacy = f"Its province code may be a legacy one: {note[0]}"
        return f"{legacy}. Use the Kemendagri 2025 id from {REGIONS_FILE}"
    return f"Use the id of a region of {REGIONS_FILE} (prov-, kab- or kota- and its kode_compact)"


def _check_institution(row: _Row, known: _Known | None) -> str | None:
    """The row's institution id when it is known (or cannot be checked), else None and a problem."""
    institution_id = row.text("institution_id")
    if institution_id is None or known is None or institution_id in known.ids:
        return institution_id
    match = _REGIONAL_ID_RE.match(institution_id)
    if match and match["code"] in known.unresolved:
        return None  # its regions row is reported already; fixing it settles this account too
    row.problem(
        "institution_id",
        f"unknown institution {institution_id!r}",
        _unknown_institution_hint(institution_id, known),
    )
    return None


def _check_within_institution(row: _Row, institution_id: str, period: _Period, known: _Known) -> None:
    """An account row is valid only while its institution is: a split ends its accounts' rows."""
    periods = (known.periods or {}).get(institution_id)
    if not periods:
        return
    begins, ends = min(start for start, _ in periods), _last_day(periods)
    if period[0] < begins:
        row.problem(
            "valid_from",
            f"{period[0]} is before institution {institution_id!r} begins ({begins})",
            "Give the days before that to the predecessor institution, in a row of their own",
        )
    if ends is not None and (period[1] is None or period[1] > ends):
        row.problem(
            "valid_to",
            f"{period[1] or 'empty (still valid)'} is after institution {institution_id!r} ends ({ends})",
            f"End this row on {ends} and add a row for the institution that took the account over",
        )


def _check_platform(row: _Row) -> str | None:
    """The platform, or the one it is taken for (to compare handles); a problem unless canonical."""
    # Not stripped: " x" is not "x" and must be corrected in the file, not here.
    value = row.values.get("platform") or ""
    if value in platforms.names():
        return value
    if not value.strip():
        row.problem("platform", "is empty", f"Fill in platform: one of {', '.join(platforms.names())}")
        return None
    if _key(value) in NOT_COVERED_PLATFORMS:
        row.problem(
            "platform",
            f"{value!r} is a platform not covered by Kinerja",
            f"Kinerja covers {', '.join(platforms.names())}: leave this account out of the registry "
            "(covering a new platform is a change of the platforms seed and the sources)",
        )
        return None
    suggestion = suggest(value, platforms.names(), PLATFORM_ALIASES)
    row.problem(
        "platform", f"{value!r} is not a canonical platform name", _choice_hint(suggestion, platforms.names())
    )
    return suggestion


@dataclass
class _AccountSeen:
    """What earlier rows said about each account and handle."""

    platforms: dict[str, tuple[str | None, str | None, int]]  # account -> platform, platform id, line
    # (account, institution) -> periods, with the line and cells of their rows
    periods: dict[tuple[str, str], list[tuple[_Period, int, tuple[str, ...]]]]
    handles: dict[tuple[str, str], list[tuple[str, _Period, int]]]  # (platform, handle) -> account, period


def _check_handle(
    row: _Row, account_id: str, platform: str | None, period: _Period, seen: _AccountSeen
) -> None:
    """A handle names one account at a time (a renamed account may pass its old handle on later)."""
    handle = row.text("handle")
    if handle is not None and not _ANY_PLATFORM_HANDLE.fullmatch(handle):
        row.problem(
            "handle",
            f"{handle!r} is no handle any platform allows",
            "Write the account's handle alone (letters, digits, '.', '_', '-'), e.g. 'diskominfo_bali', "
            "not its name or the address of its page",
        )
        return
    if handle is None or platform is None:
        return
    # Platforms treat handles without case, and people write them with or without '@'.
    key = (platform, handle.lstrip("@").casefold())
    for other_account, other_period, line in seen.handles.get(key, []):
        if other_account != account_id and _overlaps(period, other_period):
            row.problem(
                "handle",
                f"duplicate handle {handle!r} on {platform}, first seen at line {line} ({other_account!r})",
                "Handles are compared without case and without a leading '@': "
                "one handle belongs to one account at a time",
            )
            return
    seen.handles.setdefault(key, []).append((account_id, period, row.line))


def _check_same_account(row: _Row, account_id: str, platform: str | None, seen: _AccountSeen) -> None:
    """The rows of one account (its handles, its institutions) agree on platform and platform id."""
    platform_id = row.text("platform_account_id", required=False)
    first = seen.platforms.setdefault(account_id, (platform, platform_id, row.line))
    if first[0] is not None and platform is not None and first[0] != platform:
        row.problem(
            "platform",
            f"account {account_id!r} is on {first[0]} at line {first[2]}",
            "An account lives on one platform: give this row its own account_id",
        )
    if first[1] and platform_id and first[1] != platform_id:
        row.problem(
            "platform_account_id",
            f"account {account_id!r} has platform id {first[1]} at line {first[2]}",
            "A platform id never changes: give this row its own account_id, or correct the id",
        )


def _check_accounts(rows: list[_Row], known: _Known | None) -> None:
    """Accounts: one row per account, institution and period; several rows for shared or renamed ones."""
    seen = _AccountSeen({}, {}, {})
    for row in rows:
        account_id = row.identifier("account_id")
        institution_id = _check_institution(row, known)
        platform = _check_platform(row)
        row.parse("verified_on", to_date, required=False)
        row.parse("is_demo", to_bool, required=False)
        period = _period(row, from_required=True)
        if account_id is None or period is None:
            continue
        _check_handle(row, account_id, platform, period, seen)
        _check_same_account(row, account_id, platform, seen)
        if institution_id is None:
            continue
        owner = f"account {account_id!r} of {institution_id!r}"
        _check_no_overlap(row, owner, period, seen.periods.setdefault((account_id, institution_id), []))
        if known is not None:
            _check_within_institution(row, institution_id, period, known)


def _check_comparison_groups(rows: list[_Row], known: _Known | None) -> None:
    """Groups: one row per group, member institution and period; one name per group."""
    names: dict[str, tuple[str, int]] = {}
    periods: dict[tuple[str, str], list] = {}
    for row in rows:
        group_id = row.identifier("group_id")
        name = row.text("group_name")
        institution_id = _check_institution(row, known)
        period = _period(row, from_required=False)
        if group_id in PEER_GROUPS:
            row.problem(
                "group_id",
                f"{group_id!r} is a peer group",
                "Peer groups need no rows: a method ranks within them by default; give this group its own id",
            )
            continue
        if group_id is None or name is None:
            continue
        first_name, line = names.setdefault(group_id, (name, row.line))
        if first_name != name:
            row.problem(
                "group_name",
                f"group {group_id!r} is named {first_name!r} at line {line}",
                "Give every row of a group the same name",
            )
        if institution_id is None or period is None:
            continue
        member = f"{institution_id!r} in group {group_id!r}"
        _check_no_overlap(row, member, period, periods.setdefault((group_id, institution_id), []))


def check_comparison_groups(registry_dir: Path, known: _Known | None = None) -> list[Problem]:
    """Every problem of comparison_groups.csv; [] when the file is absent (it is optional)."""
    problems: list[Problem] = []
    path = Path(registry_dir) / COMPARISON_GROUPS_FILE
    if path.is_file():
        rows = _read_rows(path, COMPARISON_GROUP_COLUMNS, problems)
        if rows is not None:
            _check_comparison_groups(rows, known)
    return problems


# --- entry points ---------------------------------------------------------------------


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Problems by file (regions, central, accounts), then line; stable within a line."""
    return sorted(problems, key=lambda p: (FILES.index(p.path) if p.path in FILES else 0, p.line))


def _institution_problems(registry_dir: Path, problems: list[Problem]) -> _Known | None:
    """Checks the regions and central files; what is known of the institutions, or None."""
    regions = _read_rows(registry_dir / REGIONS_FILE, REGIONS_COLUMNS, problems)
    central = _read_rows(registry_dir / CENTRAL_FILE, CENTRAL_COLUMNS, problems)
    institutions: _Seen = {}
    provinces, unresolved = _check_regions(regions, institutions) if regions is not None else ({}, set())
    periods: dict[str, list[_Period]] = {
        institution: [(REGISTRY_BEGINNING, None)] for institution in institutions
    }
    if central is not None:
        _check_central(central, institutions, periods)
    if regions is None or central is None:
        return None  # without all institutions every account would look unknown
    return _Known(set(institutions), periods, provinces, unresolved)


def check_institutions(registry_dir: Path) -> list[Problem]:
    """Every problem of the regions and central institution files."""
    problems: list[Problem] = []
    _institution_problems(Path(registry_dir), problems)
    return _in_file_order(problems)


def check_accounts(registry_dir: Path, institution_ids: Collection[str] | None = None) -> list[Problem]:
    """Every problem of accounts.csv; accounts of other institutions too when ids are given."""
    problems: list[Problem] = []
    rows = _read_rows(Path(registry_dir) / ACCOUNTS_FILE, ACCOUNT_COLUMNS, problems)
    known = _Known(institution_ids) if institution_ids is not None else None
    if rows is not None:
        _check_accounts(rows, known)
    return _in_file_order(problems)


def check_registry(registry_dir: Path) -> list[Problem]:
    """Every problem of the registry in `registry_dir`, in file and line order; [] when valid.

    Checks the regions, central institutions, accounts and comparison groups files together, so an
    account of an institution that no file lists is a problem too.
    """
    registry_dir = Path(registry_dir)
    problems: list[Problem] = []
    known = _institution_problems(registry_dir, problems)
    rows = _read_rows(registry_dir / ACCOUNTS_FILE, ACCOUNT_COLUMNS, problems)
    if rows is not None:
        _check_accounts(rows, known)
    problems += check_comparison_groups(registry_dir, known)
    return _in_file_order(problems)
