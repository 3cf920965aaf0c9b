"""File drop parsers: every real export read into the right numbers, and bad rows named."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from kinerja.sources.base import NoValue, account_day_record
from kinerja.sources.filedrop import cells
from kinerja.sources.filedrop.parsers import UnknownFormat, parse_export
from kinerja.sources.filedrop.plausibility import KnownFollowers, implausible_rows
from kinerja.sources.filedrop.table import UnreadableFile
from support import REPO

EXPORTS = REPO / "tests" / "fixtures" / "exports"
DROP_DAY = date(2026, 6, 13)


def parse(name: str, drop_day: date = DROP_DAY, data: bytes | None = None):
    return parse_export(data if data is not None else (EXPORTS / name).read_bytes(), name, drop_day)


def by_day(parsed):
    return {row.day: row for row in parsed.account_days}


def by_post(parsed):
    return {row.post_id: row for row in parsed.posts}


# --- YouTube Studio ---------------------------------------------------------------


def test_youtube_table_data_skips_the_total_row_and_reads_each_video():
    parsed = parse("youtube_studio_table_data_sample.csv")
    posts = by_post(parsed)
    assert (parsed.format, parsed.platform, parsed.problems) == ("youtube_table", "youtube", [])
    assert len(parsed.posts) == 442 and "Total" not in posts
    # The Total row says 181588; a parser that kept it would add a post with those views.
    assert 181588 not in {row.values["views"] for row in parsed.posts}
    first = posts["UWQNrpakgcA"]
    assert (first.line, first.values["views"], first.as_of) == (3, 30331, DROP_DAY)
    assert first.published_at == datetime(2025, 8, 28, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert posts["XsKvg19iU7s"].published_at.date() == date(2023, 6, 19)
    assert first.missing["likes"] == NoValue.NOT_IN_EXPORT


def test_youtube_dash_means_no_value_with_a_reason():
    text = (EXPORTS / "youtube_studio_table_data_sample.csv").read_text(encoding="utf-8")
    text = text.replace('"Aug 29, 2025",15,5051,', '"Aug 29, 2025",15,—,')
    posts = by_post(parse("youtube_table_with_dash.csv", data=text.encode()))
    record = posts["bCDnDtsTHAk"].record("youtube", "acc")
    assert record["views"] is None and record["no_value"]["views"] == NoValue.NOT_REPORTED
    assert posts["UWQNrpakgcA"].values["views"] == 30331


def test_youtube_chart_data_becomes_lifetime_views_per_day():
    parsed = parse("youtube_studio_chart_data_sample.csv")
    snapshots = {(row.post_id, row.as_of): row.values["views"] for row in parsed.posts}
    assert len({row.post_id for row in parsed.posts}) == 5 and parsed.notes == []
    # daily 334 (Aug 27), 9102 (Aug 28), 16366 (Aug 29), zero before
    assert snapshots[("UWQNrpakgcA", date(2025, 8, 26))] == 0
    assert snapshots[("UWQNrpakgcA", date(2025, 8, 28))] == 334 + 9102
    assert snapshots[("UWQNrpakgcA", date(2025, 8, 29))] == 334 + 9102 + 16366
    assert max(row.as_of for row in parsed.posts) == date(2026, 6, 12)


def test_youtube_chart_leaves_out_videos_published_before_the_window_with_a_note():
    text = (EXPORTS / "youtube_studio_chart_data_sample.csv").read_text(encoding="utf-8")
    parsed = parse("chart.csv", data=text.replace('"Sep 18, 2025"', '"Jan 3, 2025"').encode())
    assert "mx7T928-TGs" not in {row.post_id for row in parsed.posts}
    assert len({row.post_id for row in parsed.posts}) == 4
    assert any("mx7T928-TGs" in note and "lifetime views are unknown" in note for note in parsed.notes)


def test_youtube_totals_reads_day_month_year():
    parsed = parse("youtube_studio_totals_sample.csv")
    days = by_day(parsed)
    assert (parsed.format, len(days)) == ("youtube_totals", 365)
    assert days[date(2025, 6, 13)].values == {"views": 1224}
    assert days[date(2025, 7, 1)].values == {"views": 3}  # 01-07-2025 is 1 July, not 7 January
    assert days[date(2025, 8, 29)].values == {"views": 22792}
    assert days[date(2026, 6, 12)].values == {"views": 19}
    record = days[date(2025, 6, 13)].record("youtube", "acc")
    assert record["followers"] is None and record["no_value"]["followers"] == NoValue.NOT_IN_EXPORT


# --- X ------------------------------------------------------------------------------


def test_x_account_overview_one_row_per_day():
    parsed = parse("x_account_overview_analytics_sample.csv")
    days = by_day(parsed)
    assert (parsed.format, parsed.platform, len(days)) == ("x_account_overview", "x", 50)
    feb17 = days[date(2025, 2, 17)].record("x", "acc")
    expected = {"views": 426, "likes": 18, "saves": 1, "comments": 1, "shares": 2, "posts": 2}
    assert {k: feb17[k] for k in expected} == expected
    assert feb17["no_value"]["followers"] == NoValue.NOT_IN_EXPORT
    assert days[date(2024, 12, 31)].values["views"] == 222


def test_x_content_one_row_per_post_with_the_handle_from_its_link():
    parsed = parse("x_account_analytics_content_sample.csv")
    posts = by_post(parsed)
    assert (parsed.format, len(posts), parsed.problems) == ("x_content", 141, [])
    post = posts["1891472667636797659"]
    assert post.values == {"views": 197, "likes": 10, "saves": 0, "comments": 1, "shares": 0}
    assert post.published_at.date() == date(2025, 2, 17) and post.as_of == DROP_DAY
    assert post.hint.handle == "Wormhole_BR"
    assert posts["1874078422043127856"].values["views"] == 174  # the last row, Tue Dec 31 2024


def test_x_content_with_shares_instead_of_share_reads_the_same():
    text = (EXPORTS / "x_account_analytics_content_sample.csv").read_text(encoding="utf-8")
    renamed = text.replace(",Share,", ",Shares,", 1)
    assert renamed != text
    assert (
        parse("x.csv", data=renamed.encode()).posts == parse("x_account_analytics_content_sample.csv").posts
    )


def test_columns_are_found_by_name_not_position():
    text = (EXPORTS / "x_account_overview_analytics_sample.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    reordered = io.StringIO()
    csv.writer(reordered).writerows([list(reversed(row)) for row in rows])
    assert (
        parse("x.csv", data=reordered.getvalue().encode()).account_days
        == parse("x_account_overview_analytics_sample.csv").account_days
    )


# --- TikTok ------------------------------------------------------------------------------


def test_tiktok_overview_takes_the_year_from_the_drop_day():
    days = by_day(parse("tiktok_overview_sample_en.csv", drop_day=date(2026, 6, 13)))
    assert days[date(2026, 4, 12)].values == {"views": 1591, "likes": 10, "comments": 1, "shares": 0}
    assert days[date(2026, 4, 18)].values["likes"] == 22
    # dropped early the next year, April is last year's
    assert min(by_day(parse("tiktok_overview_sample_en.csv", drop_day=date(2027, 1, 5)))) == date(2026, 4, 12)


def test_tiktok_year_boundary_and_indonesian_month_names():
    text = (
        '"Date","Video Views","Profile Views","Likes","Comments","Shares"\n'
        '"30 Desember","10","1","2","0","0"\n"31 Desember","11","1","2","0","0"\n'
        '"1 Januari","12","1","2","0","0"\n"Jan 2","13","1","2","0","0"\n'
    )
    days = by_day(parse("tiktok_id.csv", drop_day=date(2026, 1, 3), data=text.encode()))
    assert sorted(days) == [date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]
    assert days[date(2026, 1, 1)].values["views"] == 12


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12 Mei", date(2026, 5, 12)), ("17 Agustus", date(2025, 8, 17)), ("April 12", date(2026, 4, 12)),
     ("25 Desember", date(2025, 12, 25)), ("1 Okt", date(2025, 10, 1)), ("Sen, 12 Mei", date(2026, 5, 12))],
)  # fmt: skip
def test_dates_without_year_in_english_and_indonesian(text, expected):
    assert cells.to_date_before(text, date(2026, 6, 13)) == expected


def test_29_february_without_year_goes_to_the_last_leap_year():
    assert cells.to_date_before("29 Februari", date(2025, 3, 1)) == date(2024, 2, 29)
    with pytest.raises(cells.CellError, match="no day of the year before"):
        cells.to_date_before("29 Februari", date(2026, 3, 1))


# --- Meta ----------------------------------------------------------------------------------


def test_meta_posts_bom_header_case_thousands_and_lifetime():
    parsed = parse("meta_posts_instagram.csv", drop_day=date(2026, 4, 2))
    posts = by_post(parsed)
    assert (parsed.format, parsed.platform, parsed.problems) == ("meta_posts", "instagram", [])
    reel = posts["18000000000000002"]
    assert reel.values == {
        "views": 1204377, "reach": 980001, "likes": 2310, "comments": 1002, "shares": 415, "saves": 367
    }  # fmt: skip
    assert reel.as_of == date(2026, 4, 2) and reel.post_type == "IG reel"
    assert reel.published_at == datetime(2026, 3, 28, 19, 45, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert posts["18000000000000001"].values["views"] == 15000
    empty_reach = posts["18000000000000003"].record("instagram", "acc")
    assert empty_reach["reach"] is None and empty_reach["no_value"]["reach"] == NoValue.NOT_REPORTED
    assert reel.hint.platform_account_id == "4521388957411885" and reel.hint.handle == "demo_prov51_ig"


def test_meta_posts_in_lower_case_headers_are_facebook_by_permalink():
    parsed = parse("meta_posts_facebook.csv", drop_day=date(2026, 4, 2))
    assert (parsed.platform, by_post(parsed)["1203000000000001"].values["views"]) == ("facebook", 2500)


def test_meta_posts_not_lifetime_is_a_problem_of_that_row():
    text = (EXPORTS / "meta_posts_instagram.csv").read_bytes().replace(b"Lifetime", b"03/27/2026", 1)
    parsed = parse("meta.csv", drop_day=date(2026, 4, 2), data=text)
    assert len(parsed.posts) == 2
    (problem,) = parsed.problems
    assert (problem.line, problem.column) == (2, "Date") and "Lifetime" in problem.reason


def test_meta_page_daily_series_utf16_with_sep_line():
    parsed = parse("meta_page_daily_facebook.csv")
    days = by_day(parsed)
    assert (parsed.format, parsed.platform) == ("meta_page_daily", "facebook")
    assert days[date(2026, 3, 2)].values == {
        "followers": 12051, "views": 4870, "reach": 3411, "likes": 198, "comments": 27
    }  # fmt: skip
    assert days[date(2026, 3, 1)].line == 3  # sep=, is line 1, the header line 2
    march3 = days[date(2026, 3, 3)].record("facebook", "acc")
    assert (
        march3["no_value"]["likes"] == NoValue.NOT_REPORTED
        and march3["no_value"]["saves"] == NoValue.NOT_IN_EXPORT
    )


def test_meta_insights_title_names_the_metric_and_platform():
    parsed = parse("meta_insights_instagram_followers.csv")
    assert parsed.platform == "instagram"
    assert by_day(parsed)[date(2026, 3, 2)].values == {"followers": 48310}


# --- bad rows, bad files ----------------------------------------------------------------------


def test_bad_rows_are_named_by_line_and_column_and_the_rest_is_read():
    text = 'Date,Views\n13-06-2025,10\n14-06-2025,abc\n15-06-2025,-5\n31-02-2025,7\n,3\n16-06-2025,"1,500"\n'
    parsed = parse("totals.csv", data=text.encode())
    assert [(p.line, p.column) for p in parsed.problems] == [
        (3, "Views"),
        (4, "Views"),
        (5, "Date"),
        (6, "Date"),
    ]
    assert "negative" in parsed.problems[1].reason and "abc" in parsed.problems[0].reason
    assert {d: r.values["views"] for d, r in by_day(parsed).items()} == {
        date(2025, 6, 13): 10,
        date(2025, 6, 16): 1500,
    }


def test_line_numbers_count_line_breaks_inside_quoted_cells():
    parsed = parse("x_account_analytics_content_sample.csv")
    lines = (EXPORTS / "x_account_analytics_content_sample.csv").read_text(encoding="utf-8").split("\n")
    for post in parsed.posts[:20]:
        assert lines[post.line - 1].startswith(post.post_id)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
        (b"", "empty"),
        (b"\xff\xfeD\x00", "no header row"),
        (b"Date,Views\n\xff\xfe\xfa,1\n", "not UTF-8"),
    ],
)
def test_unreadable_files_say_why(data, message):
    with pytest.raises(UnreadableFile, match=message):
        parse("bad.csv", data=data)


def test_unknown_headers_name_the_formats_we_read():
    with pytest.raises(UnknownFormat, match=r"match no export we know.*TikTok Studio"):
        parse("mystery.csv", data=b"Tanggal,Jumlah\n2026-01-01,3\n")


@pytest.mark.parametrize(
    ("text", "value"), [("15,000", 15000), ("1.204.377", 1204377), (" 42 ", 42), ("0", 0)]
)
def test_counts_with_thousands_separators(text, value):
    assert cells.to_count(text) == value


@pytest.mark.parametrize("text", ["1,50", "12.5", "-3", "1e3", "lots"])
def test_counts_that_are_not_whole_numbers_are_refused(text):
    with pytest.raises(cells.CellError):
        cells.to_count(text)


# --- plausibility -------------------------------------------------------------------------------


def _followers(day: int, value: int | None) -> tuple[int, dict]:
    return day + 1, account_day_record("facebook", "acc", date(2026, 3, day), {"followers": value})


def test_a_tenfold_jump_against_the_warehouse_is_held_and_later_days_compare_to_the_last_good_one():
    def last_known(platform, account_id, before):
        assert (platform, account_id, before) == ("facebook", "acc", date(2026, 3, 1))
        return KnownFollowers(1200, date(2026, 2, 28), "simulator")

    rows = [_followers(3, 1250), _followers(1, 1210), _followers(2, 13000), _followers(4, None)]
    problems = implausible_rows(rows, last_known)
    assert [(p.line, p.column, p.check) for p in problems] == [(3, "followers", "plausibility")]
    assert "13,000" in problems[0].reason and "1,210 on 2026-03-01 (source this file)" in problems[0].reason


def test_a_fall_to_under_a_tenth_is_held_and_small_accounts_may_jump():
    assert [
        p.line for p in implausible_rows([_followers(1, 90)], lambda *_: KnownFollowers(1000, None, "x"))
    ] == [2]
    assert implausible_rows([_followers(1, 900)], lambda *_: KnownFollowers(99, None, "x")) == []
    assert implausible_rows([_followers(1, 10**6)], lambda *_: None) == []


# --- dates: CLDR month names, the year of a year-less export ----------------------------------

TIKTOK_HEADER = '"Date","Video Views","Profile Views","Likes","Comments","Shares"\n'


def tiktok(*days: str) -> bytes:
    return (TIKTOK_HEADER + "".join(f'"{d}","10","1","2","0","0"\n' for d in days)).encode()


def test_month_names_come_from_cldr_for_indonesian_and_english():
    from babel.dates import get_month_names

    lookup = cells.month_lookup()
    for locale in ("id", "en"):
        for number, name in get_month_names("wide", locale=locale).items():
            assert lookup[name.casefold()] == number
    assert (lookup["agu"], lookup["mei"], lookup["sept"], lookup["okt"]) == (8, 5, 9, 10)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("8 de marzo", "Spanish"),
        ("12 mars", "French"),
        ("3 de março", "Portuguese"),
        ("5 Oktober 2025", None),
    ],
)
def test_a_month_name_of_another_language_is_refused_naming_it(text, language):
    if language is None:  # German and Indonesian share "Oktober": it is read
        assert cells.to_named_month_date(text) == date(2025, 10, 5)
        return
    with pytest.raises(
        cells.CellError, match=f"written in {language}: Kinerja reads dates in Indonesian or English"
    ):
        cells.month_day_year(text)


def test_a_spanish_tiktok_export_holds_every_row_naming_the_language():
    parsed = parse("tiktok_es.csv", data=tiktok("8 de marzo", "9 de marzo"))
    assert parsed.account_days == [] and len(parsed.problems) == 2
    assert all(p.column == "Date" and "Spanish" in p.reason for p in parsed.problems)


def test_a_yearless_window_across_new_year_is_never_split():
    # received on 1 January: the run 28 December - 3 January is one window, placed to end after
    # the drop day (the two last days are then held as after it), not split into two years
    parsed = parse(
        "tiktok.csv",
        drop_day=date(2027, 1, 1),
        data=tiktok(*[f"Dec {d}" for d in (28, 29, 30, 31)], "Jan 1", "Jan 2", "Jan 3"),
    )
    assert sorted(by_day(parsed)) == [date(2026, 12, d) for d in (28, 29, 30, 31)] + [
        date(2027, 1, d) for d in (1, 2, 3)
    ]
    assert "read as 2026-12-28 to 2027-01-03" in parsed.notes[0]


def test_a_yearless_window_ending_well_before_the_drop_day_is_last_years_when_it_must_be():
    # received on 5 March: 20-26 December can only be the December before
    days = sorted(
        by_day(
            parse(
                "tiktok.csv",
                drop_day=date(2027, 3, 5),
                data=tiktok(*[f"{d} Desember" for d in range(20, 27)]),
            )
        )
    )
    assert (days[0], days[-1]) == (date(2026, 12, 20), date(2026, 12, 26))


def test_29_february_in_a_yearless_export_without_a_leap_year_is_held():
    parsed = parse(
        "tiktok.csv", drop_day=date(2026, 3, 5), data=tiktok("28 Februari", "29 Februari", "1 Maret")
    )
    assert [p.line for p in parsed.problems] == [3] and "has no date" in parsed.problems[0].reason
    assert sorted(by_day(parsed)) == [date(2026, 2, 28), date(2026, 3, 1)]
