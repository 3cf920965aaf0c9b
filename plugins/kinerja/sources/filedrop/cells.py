"""Reading one cell of an export: header names, counts, dates in English and Indonesian.

Every reader raises `CellError` with a sentence a file's sender can act on; the parser
turns it into a quarantine entry naming the file, line and column.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

# What exports write for "no value": YouTube Studio writes an em dash.
NO_VALUE_MARKS = frozenset({"", "—", "–", "-"})

_MONTHS = {
    # English, full and short
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # Indonesian, full and short (TikTok and Meta follow the interface language)
    "januari": 1, "februari": 2, "maret": 3, "mei": 5, "juni": 6, "juli": 7, "agustus": 8,
    "oktober": 10, "desember": 12, "agu": 8, "agt": 8, "ags": 8, "okt": 10, "des": 12,
}  # fmt: skip
_WEEKDAYS = frozenset({
    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "sen", "sel", "rab", "kam", "jum", "sab", "min",
    "senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu",
})  # fmt: skip
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


def to_day_month_year(text: str) -> date:
    """13-06-2025 (YouTube Studio totals)."""
    try:
        return datetime.strptime(text.strip(), "%d-%m-%Y").date()
    except ValueError:
        raise CellError(f"not a date like 13-06-2025 (day-month-year): {quoted(text.strip())}") from None


def month_day_year(text: str) -> tuple[int, int, int | None]:
    """(month, day, year or None) of a date written with a month name, in either order.

    Reads "Aug 28, 2025", "Tue, Feb 18, 2025", "Mon Feb 17 2025", "April 12", "12 April",
    "12 Mei 2025". A weekday name is ignored.
    """
    words = [w for w in re.split(r"[\s,.]+", text.strip().casefold()) if w and w not in _WEEKDAYS]
    months = [_MONTHS[w] for w in words if w in _MONTHS]
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
