"""One parser per export format, and the detection of a file's format from its headers.

Each parser reads the table's rows as a stream (`Table.records()`) and answers a `ParsedFile`
whose `items()` parse them again on each call: a parser keeps what the whole file decides
(the window of a year-less export, the platform of a posts export) and nothing per row, but for
YouTube's chart data, whose lifetime sums need each video's days in order (three numbers a row).

Columns are found by header name (case-insensitive, trimmed), never by position: the
platforms add, drop and reorder columns between versions. Each parser answers a
`ParsedFile` in canonical metrics; what the export does not carry is `NOT_IN_EXPORT`.

Mapping choices that are not obvious, after METHODOLOGY.md:
- X: views = Impressions, comments = Replies (replies received), shares = Reposts (the
  API's retweets); the export's Share/Shares column counts shares by DM or link, which
  the API does not count, so it is not used.
- Post exports (YouTube table data, X content, Meta posts) are lifetime totals as of the
  export, so their as-of day is the drop day; two exports are never added up.
- A publish date without a time (YouTube, X) becomes midnight of that day in the
  platform's day zone, so that `metric_day` gives back the same day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from kinerja import config, platforms
from kinerja.sources import METRIC_FIELDS
from kinerja.sources.base import POST_METRIC_FIELDS, NoValue
from kinerja.sources.filedrop import cells as c
from kinerja.sources.filedrop.parsed import AccountDayRow, AccountHint, Item, ParsedFile, PostRow
from kinerja.sources.filedrop.rows import MetricColumns, RowReader
from kinerja.sources.filedrop.table import Table, UnreadableFile, read_table

# Meta Business Suite writes times in the business's time zone; Indonesian institutions' is WIB.
META_EXPORT_ZONE = ZoneInfo(config.DEFAULT_TIMEZONE)

YOUTUBE_VIDEO_COLUMNS: MetricColumns = {"views": ("views",)}
X_COLUMNS: MetricColumns = {
    "views": ("impressions",),
    "likes": ("likes",),
    "comments": ("replies",),
    "shares": ("reposts",),
    "saves": ("bookmarks",),
    "posts": ("create post",),
}
TIKTOK_COLUMNS: MetricColumns = {
    "views": ("video views",),
    "likes": ("likes",),
    "comments": ("comments",),
    "shares": ("shares",),
}
META_POST_COLUMNS: MetricColumns = {
    "views": ("views", "impressions"),
    "reach": ("reach",),
    "likes": ("likes", "reactions"),
    "comments": ("comments",),
    "shares": ("shares",),
    "saves": ("saves",),
}
# Page-level series: the header (or title) without its platform words -> canonical metric.
META_PAGE_METRICS = {
    "followers": "followers",
    "page followers": "followers",
    "follower count": "followers",
    "views": "views",
    "media views": "views",
    "impressions": "views",
    "reach": "reach",
    "page reach": "reach",
    "accounts reached": "reach",
    "reactions": "likes",
    "comments": "comments",
    "shares": "shares",
    "saves": "saves",
}

_X_LINK_HANDLE = re.compile(r"(?:x|twitter)\.com/([A-Za-z0-9_]{1,15})/status/", re.IGNORECASE)


class UnknownFormat(UnreadableFile):
    """The headers match no export format we know."""


@dataclass(frozen=True)
class ExportFormat:
    name: str
    description: str  # as the sender knows it: where in which tool the export comes from
    identifying: frozenset[str]  # header keys that must all be present
    excluded: frozenset[str]  # header keys that must not be present
    parse: Callable[[Table, date], ParsedFile]
    needs_sep_line: bool = False

    def matches(self, table: Table) -> bool:
        keys = table.header_keys
        has_sep = any(line.casefold().startswith("sep=") for line in table.preamble)
        return (
            self.identifying <= keys and not (self.excluded & keys) and (has_sep or not self.needs_sep_line)
        )


def _reader(table: Table) -> Iterator[RowReader]:
    names, found = {c.header_key(h): h for h in table.headers}, {}
    return (RowReader(line, cells, names, found) for line, cells in table.records())


def _account_days(
    table: Table, fmt: str, platform: str, read_day: Callable[[str], date], columns: MetricColumns
) -> ParsedFile:
    def items() -> Iterator[Item]:
        for row in _reader(table):
            day = row.require(read_day, "date")
            values, missing = row.metrics(columns, METRIC_FIELDS)
            if row.problems:
                yield from row.problems
            elif day is not None:
                yield AccountDayRow(row.line, day, values, missing)

    return ParsedFile(table.name, fmt, platform, items)


def _midnight(platform: str, day: date | None) -> datetime | None:
    return (
        None if day is None else datetime.combine(day, time(), platforms.platform(platform).metric_day_zone)
    )


def parse_youtube_totals(table: Table, drop_day: date) -> ParsedFile:
    """YouTube Studio "Totals": daily channel views, dates as 13-06-2025."""
    return _account_days(table, "youtube_totals", "youtube", c.to_day_month_year, YOUTUBE_VIDEO_COLUMNS)


def parse_x_overview(table: Table, drop_day: date) -> ParsedFile:
    """X account overview: one row per day, dates as "Tue, Feb 18, 2025"."""
    return _account_days(table, "x_account_overview", "x", c.to_named_month_date, X_COLUMNS)


def parse_tiktok_overview(table: Table, drop_day: date) -> ParsedFile:
    """TikTok Studio overview: dates without a year ("April 12", "12 Mei"), placed as one window.

    The year comes from the export's own window of days, ending by the drop day
    (`cells.place_in_window`): a first pass collects the (month, day)s of the rows that read
    (at most 366 of them), so that the window is the whole export's and never split across
    two years; the note says which days the dates were read as.
    """

    def read(row: RowReader) -> tuple | None:
        written = row.require(c.month_day_year, "date")
        values, missing = row.metrics(TIKTOK_COLUMNS, METRIC_FIELDS)
        return None if row.problems or written is None else (written, values, missing)

    month_days = set()
    for row in _reader(table):
        if (found := read(row)) is not None and found[0][2] is None:
            month_days.add(found[0][:2])
    placed = c.place_in_window(month_days, drop_day)

    def items() -> Iterator[Item]:
        for row in _reader(table):
            found = read(row)
            if found is None:
                yield from row.problems
                continue
            (month, day, year), values, missing = found
            on = c.to_named_month_date(row.cells["date"]) if year is not None else placed.get((month, day))
            if on is None:
                row.problem("date", f"{c.quoted(row.cells['date'])} has no date in the year up to {drop_day}")
                yield from row.problems
            else:
                yield AccountDayRow(row.line, on, values, missing)

    parsed = ParsedFile(table.name, "tiktok_overview", "tiktok", items)
    if placed:
        first, last = min(placed.values()), max(placed.values())
        parsed.notes.append(
            f"its dates print no year and were read as {first} to {last} (the run of days ending by the day "
            "the file was received); if the export is older, export it again with the year shown"
        )
    return parsed


def parse_youtube_table(table: Table, drop_day: date) -> ParsedFile:
    """YouTube Studio "Table data": one row per video (lifetime as of the export), a Total row first."""

    def items() -> Iterator[Item]:
        for row in _reader(table):
            video = row.text("content")
            if video is not None and video.casefold() == "total":
                continue  # the channel's sum over the export window, not a video
            video = row.require(str, "content")
            published = row.read(c.to_named_month_date, "video publish time")
            values, missing = row.metrics(YOUTUBE_VIDEO_COLUMNS, POST_METRIC_FIELDS)
            if row.problems:
                yield from row.problems
                continue
            yield PostRow(row.line, video, drop_day, _midnight("youtube", published), None, values, missing)

    return ParsedFile(table.name, "youtube_table", "youtube", items)


def parse_youtube_chart(table: Table, drop_day: date) -> ParsedFile:
    """YouTube Studio "Chart data": daily views per video (long format), ISO dates.

    Daily views become lifetime totals per as-of day by adding them up, which is only
    right for videos published inside the export window: other videos' lifetime before
    the window is unknown, so they are left out with a note. The sums need each video's
    days in order, so this parser keeps (day, views, line) of every row that reads.
    """
    parsed = ParsedFile(table.name, "youtube_chart", "youtube")
    problems = []
    daily: dict[str, list[tuple[date, int, int, date | None]]] = {}
    for row in _reader(table):
        video = row.require(str, "content")
        day = row.require(c.to_iso_date, "date")
        published = row.read(c.to_named_month_date, "video publish time")
        views = row.require(c.to_count, "views")
        if row.problems:
            problems += row.problems
        else:
            daily.setdefault(video, []).append((day, views, row.line, published))
    window_start = min((d for rows in daily.values() for d, *_ in rows), default=None)
    for video, rows in daily.items():
        rows.sort(key=lambda r: r[0])
        if rows[0][3] is None or rows[0][3] < window_start:
            parsed.notes.append(
                f"video {video}: published before the export window starts ({window_start}), "
                "so its lifetime views are unknown; export from its publish day to include it"
            )

    def items() -> Iterator[Item]:
        yield from problems
        for video, rows in daily.items():
            published = rows[0][3]
            if published is None or published < window_start:
                continue
            lifetime = 0
            for day, views, line, _ in rows:
                lifetime += views
                yield PostRow(
                    line,
                    video,
                    day,
                    _midnight("youtube", published),
                    None,
                    {"views": lifetime},
                    _post_missing(),
                )

    parsed.read_items = items
    return parsed


def _post_missing() -> dict:
    return {m: NoValue.NOT_IN_EXPORT for m in POST_METRIC_FIELDS if m != "views"}


def parse_x_content(table: Table, drop_day: date) -> ParsedFile:
    """X per-post export: lifetime totals as of the export, dates as "Mon Feb 17 2025"."""

    def items() -> Iterator[Item]:
        for row in _reader(table):
            post_id = row.require(str, "post id")
            published = row.read(c.to_named_month_date, "date")
            values, missing = row.metrics(X_COLUMNS, POST_METRIC_FIELDS)
            handle = _X_LINK_HANDLE.search(row.text("link") or "")
            if row.problems:
                yield from row.problems
                continue
            hint = AccountHint(handle=handle.group(1)) if handle else AccountHint()
            yield PostRow(row.line, post_id, drop_day, _midnight("x", published), None, values, missing, hint)

    return ParsedFile(table.name, "x_content", "x", items)


def parse_meta_posts(table: Table, drop_day: date) -> ParsedFile:
    """Meta Business Suite post export: `Date` = Lifetime, totals as of the export day."""

    def items() -> Iterator[Item]:
        for row in _reader(table):
            post_id = row.require(str, "post id")
            period = row.text("date") or ""
            if period.casefold() != "lifetime":
                row.problem(
                    "date",
                    f"Date is {c.quoted(period)}, not 'Lifetime': this row holds the values of one period, not "
                    "the post's totals; export the posts again with the period set to Lifetime",
                )
            published = row.read(
                lambda t: c.to_local_minute(t, "%m/%d/%Y %H:%M", META_EXPORT_ZONE), "publish time"
            )
            values, missing = row.metrics(META_POST_COLUMNS, POST_METRIC_FIELDS)
            if row.problems:
                yield from row.problems
                continue
            hint = AccountHint(
                handle=row.text("account username"), platform_account_id=row.text("account id")
            )
            yield PostRow(
                row.line, post_id, drop_day, published, row.text("post type"), values, missing, hint
            )

    return ParsedFile(table.name, "meta_posts", _meta_posts_platform(table), items)


def _meta_posts_platform(table: Table) -> str:
    """Facebook or Instagram, from the permalinks (or the post types, "IG reel")."""
    platforms = set()
    for _, cells in table.records():
        link, kind = cells.get("permalink", "").casefold(), cells.get("post type", "").casefold()
        if "instagram.com" in link or kind.startswith("ig "):
            platforms.add("instagram")
        if "facebook.com" in link or "fb.com" in link:
            platforms.add("facebook")
    if len(platforms) != 1:
        raise UnreadableFile(
            f"{table.name}: cannot tell whether these are Facebook or Instagram posts "
            f"(found {sorted(platforms) or 'neither'} in Permalink and Post type); "
            "export each platform's posts separately, with the Permalink column"
        )
    return platforms.pop()


def parse_meta_page_series(table: Table, drop_day: date) -> ParsedFile:
    """Meta page-level daily series (UTF-16 LE, `sep=,`): wide (Date, metric, ...) or a title + Date, Primary."""
    platform, columns = _meta_page_columns(table)
    return _account_days(table, "meta_page_daily", platform, c.to_iso_date, columns)


def _meta_page_columns(table: Table) -> tuple[str, MetricColumns]:
    titles = [line for line in table.preamble if not line.casefold().startswith("sep=")]
    named = {
        key: (titles[-1] if key in ("primary", "value") and titles else key) for key in table.header_keys
    }
    platforms = {
        p for p in ("facebook", "instagram") if any(p in c.header_key(n) for n in [*named.values(), *titles])
    }
    if len(platforms) != 1:
        raise UnreadableFile(
            f"{table.name}: a Meta page-level export must say whether it is Facebook or Instagram in its "
            f"title or headers (found {sorted(platforms) or 'neither'}); export each platform separately"
        )
    platform = platforms.pop()
    columns: dict[str, tuple[str, ...]] = {}
    for key, name in named.items():
        metric = META_PAGE_METRICS.get(" ".join(c.header_key(name).replace(platform, " ").split()))
        if metric:
            columns.setdefault(metric, (key,))
    return platform, columns


# In the order they are tried: more specific signatures first.
FORMATS = (
    ExportFormat(
        "meta_page_daily",
        "Meta Business Suite page insights (daily series, UTF-16 with sep=,)",
        frozenset({"date"}),
        frozenset({"post id", "content"}),
        parse_meta_page_series,
        needs_sep_line=True,
    ),
    ExportFormat(
        "meta_posts",
        "Meta Business Suite content export (posts, Date = Lifetime)",
        frozenset({"post id", "account id", "publish time"}),
        frozenset(),
        parse_meta_posts,
    ),
    ExportFormat(
        "x_content",
        "X analytics, content (one row per post)",
        frozenset({"post id", "date", "impressions"}),
        frozenset(),
        parse_x_content,
    ),
    ExportFormat(
        "x_account_overview",
        "X analytics, account overview (one row per day)",
        frozenset({"date", "impressions", "new follows", "create post"}),
        frozenset({"post id"}),
        parse_x_overview,
    ),
    ExportFormat(
        "tiktok_overview",
        "TikTok Studio analytics, overview",
        frozenset({"date", "video views", "profile views"}),
        frozenset(),
        parse_tiktok_overview,
    ),
    ExportFormat(
        "youtube_chart",
        "YouTube Studio advanced mode, chart data",
        frozenset({"date", "content", "views"}),
        frozenset(),
        parse_youtube_chart,
    ),
    ExportFormat(
        "youtube_table",
        "YouTube Studio advanced mode, table data",
        frozenset({"content", "video title", "views"}),
        frozenset({"date"}),
        parse_youtube_table,
    ),
    ExportFormat(
        "youtube_totals",
        "YouTube Studio advanced mode, totals",
        frozenset({"date", "views"}),
        frozenset({"content", "impressions", "video views"}),
        parse_youtube_totals,
    ),
)


def detect_format(table: Table) -> ExportFormat:
    for fmt in FORMATS:
        if fmt.matches(table):
            return fmt
    known = "; ".join(f.description for f in FORMATS)
    raise UnknownFormat(
        f"{table.name}: the headers {_shown_headers(table.headers)} match no export we know. "
        f"We read: {known}. Drop the export as the tool downloads it, without editing it"
    )


def _shown_headers(headers: list[str], most: int = 12) -> str:
    """The headers as a message quotes them: each cut short, at most `most` of them."""
    shown = ", ".join(c.quoted(h) for h in headers[:most])
    return f"[{shown}{', …' if len(headers) > most else ''}]"


def parse_export(data: bytes, name: str, drop_day: date, max_rows: int | None = None) -> ParsedFile:
    """The parsed content of a dropped file; `drop_day` is the day it was exported, at the latest.

    A file of more than `max_rows` data rows is refused (`UnreadableFile`)."""
    table = read_table(data, name, max_rows)
    return detect_format(table).parse(table, drop_day)
