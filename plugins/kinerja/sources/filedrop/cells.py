"""Reading one cell of an export: header names, counts, dates in English and Indonesian.

Month and weekday names come from CLDR (Babel's locale data), never from a list of our own;
Babel formats dates but parses none, so the lookups here are built from its names.

Every reader raises `CellError` with a sentence a file's sender can act on; the parser
turns it into a quarantine entry naming the file, line and column.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import get_day_names, get_month_names

# What exports write for "no value": YouTube Studio writes an em dash.
NO_VALUE_MARKS = frozenset({"", "—", "–", "-"})

# The languages whose month and weekday names dates may be written in: the interface
# languages of the exports we read (TikTok and Meta follow the admin's language setting).
READ_LANGUAGES = ("id", "en", "en_GB")
# Languages an admin's interface may be set to whose month names we recognise only to refuse
# them by name ("8 de marzo" is Spanish), instead of calling the date unreadable.
OTHER_LANGUAGES = ("es", "pt", "fr", "de", "it", "nl", "ms", "jv", "tl", "tr", "pl", "ro", "sv", "vi")


def _name_key(name: str) -> str:
    return name.casefold().strip(".")


def _month_names(locale: str) -> dict[str, int]:
    """Every month name of a language in CLDR (Babel): wide and abbreviated, in both contexts."""
    return {
        _name_key(name): number
        for width in ("wide", "abbreviated")
        for context in ("format", "stand-alone")
        for number, name in get_month_names(width, context, locale).items()
    }


def _weekday_names(locale: str) -> set[str]:
    return {
        _name_key(name)
        for width in ("wide", "abbreviated")
        for context in ("format", "stand-alone")
        for name in get_day_names(width, context, locale).values()
    }


@cache
def month_lookup() -> dict[str, int]:
    """Month name (case-folded, no trailing dot) -> month number, in the languages we read."""
    return {key: number for locale in READ_LANGUAGES for key, number in _month_names(locale).items()}


@cache
def weekday_names() -> frozenset[str]:
    return frozenset(key for locale in READ_LANGUAGES for key in _weekday_names(locale))


@cache
def foreign_months() -> dict[str, str]:
    """Month names of the other languages that are none of ours -> the language's English name."""
    ours = month_lookup()
    foreign: dict[str, str] = {}
    for locale in OTHER_LANGUAGES:
        language = Locale.parse(locale).english_name
        for key in _month_names(locale):
            if key not in ours and len(key) > 2:
                foreign.setdefault(key, language)
    return foreign


_PLAIN_COUNT = re.compile(r"\d+")
# Integers grouped by thousands: "15,000" (English) or "15.000" (Indonesian). Counts are
# whole numbers, so a dot between groups of three digits cannot be a decimal point.
_GROUPED_COUNT = re.compile(r"\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+")
# The largest count a cell may hold. The raw columns are bigint, and the marts add a month of
# an account's days and all accounts of an institution: counts far below bigint's limit keep
# those sums from overflowing. No platform has counted anything near a quadrillion.
LARGEST_COUNT = 10**15
# How much of a cell a message quotes: enough to find it, never a whole line of the file.
QUOTED_CHARACTERS = 40


class CellError(ValueError):
    """A cell that cannot be read; `reason` says what was found and what was expected."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def header_key(header: str) -> str:
    """How headers are matched: case-insensitive, trimmed, inner spaces collapsed."""
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def is_no_value(text: str) -> bool:
    return text.strip() in NO_VALUE_MARKS


def to_count(text: str) -> int:
    """A non-negative whole number; thousands separators allowed."""
    value = text.strip()
    if _PLAIN_COUNT.fullmatch(value):
        return _in_range(int(value), value)
    if _GROUPED_COUNT.fullmatch(value):
        return _in_range(int(value.replace(",", "").replace(".", "")), value)
    if re.fullmatch(r"-\s*[\d.,]+", value):
        raise CellError(f"negative count {quoted(value)}: a count cannot be below zero")
    raise CellError(f"not a whole number: {quoted(value)}")


def _in_range(count: int, text: str) -> int:
    if count > LARGEST_COUNT:
        raise CellError(
            f"{quoted(text)} is larger than any count can be (at most {LARGEST_COUNT:,}): "
            "check the cell, it was probably edited or pasted by mistake"
        )
    return count


def quoted(text: str) -> str:
    """A cell as a message quotes it: in quotes, cut short, control characters shown escaped."""
    shown = text if len(text) <= QUOTED_CHARACTERS else text[:QUOTED_CHARACTERS] + "…"
    return repr(shown)


def to_iso_date(text: str) -> date:
    """2025-06-13, also with a time part (2025-06-13T00:00:00) as Meta writes it."""
    value = text.strip()
    try:
        return date.fromisoformat(value[:10]) if len(value) >= 10 else date.fromisoformat(value)
    except ValueError:
        raise CellError(f"not a date like 2025-06-13: {quoted(value)}") from None


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


def to_day_month_year(text: str) -> date:
    """13-06-2025 (YouTube Studio totals)."""
    # the common form without strptime, which costs several times more per row
    if (parts := _DAY_MONTH_YEAR.fullmatch(text.strip())) is not None:
        day, month, year = (int(part) for part in parts.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass  # strptime says why
    try:
        return datetime.strptime(text.strip(), "%d-%m-%Y").date()
    except ValueError:
        raise CellError(f"not a date like 13-06-2025 (day-month-year): {quoted(text.strip())}") from None


def month_day_year(text: str) -> tuple[int, int, int | None]:
    """(month, day, year or None) of a date written with a month name, in either order.

    Reads "Aug 28, 2025", "Tue, Feb 18, 2025", "Mon Feb 17 2025", "April 12", "12 April",
    "12 Mei 2025". A weekday name is ignored.
    """
    words = [w for w in re.split(r"[\s,.]+", text.strip().casefold()) if w and w not in weekday_names()]
    months = [month_lookup()[w] for w in words if w in month_lookup()]
    if not months and (languages := sorted({foreign_months()[w] for w in words if w in foreign_months()})):
        raise CellError(
            f"the date {quoted(text.strip())} is written in {' or '.join(languages)}: Kinerja reads dates in "
            "Indonesian or English only; set the tool's language to Bahasa Indonesia or English and export again"
        )
    numbers = [int(w) for w in words if w.isdigit()]
    days = [n for n in numbers if 1 <= n <= 31]
    years = [n for n in numbers if n >= 1000]
    if len(months) != 1 or len(days) != 1 or len(years) > 1 or len(words) != 1 + len(days) + len(years):
        raise CellError(
            f"not a date with a month name (like 'Aug 28, 2025' or '12 April'): {quoted(text.strip())}"
        )
    return months[0], days[0], (years[0] if years else None)


def to_named_month_date(text: str) -> date:
    """A date with a month name and a year ("Aug 28, 2025", "Tue, Feb 18, 2025")."""
    month, day, year = month_day_year(text)
    if year is None:
        raise CellError(f"the date {quoted(text.strip())} has no year")
    return _checked_date(year, month, day, text)


def to_date_before(text: str, latest: date) -> date:
    """A date written without a year ("April 12", "12 Mei"): the last such day on or before `latest`.

    TikTok leaves the year out; an export covers at most the year before it was made, so
    the year is the one that puts the day on or before the export (drop) day.
    """
    month, day, year = month_day_year(text)
    if year is not None:
        return _checked_date(year, month, day, text)
    for candidate_year in (latest.year, latest.year - 1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue  # 29 February of a year that has none
        if candidate <= latest:
            return candidate
    raise CellError(
        f"{quoted(text.strip())} is no day of the year before the export day {latest.isoformat()}"
    )


# A year-less export may end this many days after the day it was received (a clock off, a
# file saved before the export finished): its window is placed in that year and the days
# after the drop day are held. A window ending later than this is taken to be last year's.
YEARLESS_GRACE_DAYS = 31


def place_in_window(month_days: set[tuple[int, int]], latest: date) -> dict[tuple[int, int], date]:
    """The dates of the (month, day)s of an export that prints no year, as one window of days.

    The export covers one run of days of at most a year: in calendar order, the run starts after
    the largest gap between its days (counted round the year's end, so that December to January
    is one run). The run is placed so that it ends on or before `latest`, or at most
    YEARLESS_GRACE_DAYS after it, and each earlier day gets the year that keeps the run in
    order: never split across two years by day. A (month, day) that has no date in the years
    tried (29 February) is left out: the caller holds its rows.
    """
    ordered = sorted(month_days)
    if not ordered:
        return {}
    ordinal = [date(2000, m, d).timetuple().tm_yday for m, d in ordered]  # 2000: has 29 February
    gaps = [(ordinal[(i + 1) % len(ordered)] - ordinal[i]) % 366 or 366 for i in range(len(ordered))]
    end = max(range(len(ordered)), key=lambda i: (gaps[i], i))
    run = [ordered[(end - back) % len(ordered)] for back in range(len(ordered))]  # the last day first
    placed: dict[tuple[int, int], date] = {}
    bound = latest + timedelta(days=YEARLESS_GRACE_DAYS)
    for month, day in run:
        for year in range(bound.year, bound.year - 2, -1):
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate <= bound:
                placed[(month, day)] = candidate
                bound = candidate
                break
    return placed


def to_local_minute(text: str, fmt: str, zone: ZoneInfo) -> datetime:
    """A timestamp like "03/27/2026 06:08" read in `fmt`, in the time zone `zone`."""
    try:
        return datetime.strptime(text.strip(), fmt).replace(tzinfo=zone)
    except ValueError:
        example = datetime(2026, 3, 27, 6, 8).strftime(fmt)
        raise CellError(f"not a time like {example!r}: {quoted(text.strip())}") from None


def _checked_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(f"no such day: {quoted(text.strip())}") from None
