"""The canonical import format: account-day and per-post files, CSV or Parquet, read into Harvests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq

from kinerja.sources.base import NoValue
from kinerja.sources.history_import import read_history_file

ACCOUNT_DAYS = """platform,account_id,metric_date,followers,posts,likes,comments
x,demo-prov-51-x,2021-12-30,1000,2,10,4
x,demo-prov-51-x,2021-12-31,1001,1,,3
x,demo-prov-51-x,2022-01-01,1002,0,0,0
"""


def test_account_days_split_into_one_harvest_per_month_with_the_latest_day(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(ACCOUNT_DAYS, encoding="utf-8")
    imported = read_history_file(path)
    assert (imported.kind, imported.rows, imported.problems) == ("account_days", 3, [])
    assert list(imported.harvests) == [date(2021, 12, 31), date(2022, 1, 1)]
    december = imported.harvests[date(2021, 12, 31)].account_days
    assert [r["metric_date"] for r in december] == [date(2021, 12, 30), date(2021, 12, 31)]
    second = december[1]
    # an empty cell is no value, a column the file lacks too: never 0
    assert (second["followers"], second["likes"], second["comments"], second["views"]) == (
        1001,
        None,
        3,
        None,
    )
    assert second["no_value"]["likes"] == NoValue.NOT_REPORTED
    assert second["no_value"]["views"] == NoValue.NOT_IN_EXPORT


def test_a_bad_cell_holds_back_its_row_only_and_names_row_and_column(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(ACCOUNT_DAYS.replace("1001,1,,3", "1001,1,1.234,3").replace("2022-01-01", "1 Jan 2022"))
    imported = read_history_file(path)
    assert [(p.row, p.column) for p in imported.problems] == [(3, "likes"), (4, "metric_date")]
    assert "history.csv, row 3, column 'likes'" in str(imported.problems[0])
    assert imported.rows_held == 2
    assert [r["metric_date"] for h in imported.harvests.values() for r in h.account_days] == [
        date(2021, 12, 30)
    ]


def test_a_column_the_format_does_not_know_refuses_the_file(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(ACCOUNT_DAYS.replace(",likes,", ",like,"), encoding="utf-8")
    imported = read_history_file(path)
    assert imported.refused and imported.harvests == {}
    assert [(p.row, p.column) for p in imported.problems] == [(0, "like")]
    assert "Did you mean 'likes'?" in str(imported.problems[0])


def test_posts_from_parquet_with_aware_times(tmp_path):
    wib = timezone(timedelta(hours=7))
    table = pa.table(
        {
            "platform": ["instagram", "instagram"],
            "account_id": ["demo-prov-51-instagram"] * 2,
            "post_id": ["p1", "p2"],
            "as_of_date": [date(2024, 5, 2), date(2024, 6, 1)],
            "published_at": [
                datetime(2024, 5, 1, 8, 30, tzinfo=wib),
                datetime(2024, 5, 31, 23, 0, tzinfo=UTC),
            ],
            "likes": [12, None],
            "comments": [3, 1],
        }
    )
    path = tmp_path / "posts.parquet"
    pq.write_table(table, path)
    imported = read_history_file(path)
    assert (imported.kind, imported.problems) == ("posts", [])
    assert list(imported.harvests) == [date(2024, 5, 2), date(2024, 6, 1)]
    first = imported.harvests[date(2024, 5, 2)].posts[0]
    assert (first["post_id"], first["likes"], first["comments"], first["views"]) == ("p1", 12, 3, None)
    assert first["published_at"] == datetime(2024, 5, 1, 1, 30, tzinfo=UTC)
    assert imported.harvests[date(2024, 6, 1)].posts[0]["no_value"]["likes"] == NoValue.NOT_REPORTED


def test_a_time_without_offset_is_refused_per_row(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text(
        "platform,account_id,post_id,as_of_date,published_at,likes\n"
        "x,demo-prov-51-x,p1,2024-05-02,2024-05-01T08:30:00,4\n"
        "x,demo-prov-51-x,p2,2024-05-02,2024-05-01T09:30:00+07:00,5\n",
        encoding="utf-8",
    )
    imported = read_history_file(path)
    assert [(p.row, p.column) for p in imported.problems] == [(2, "published_at")]
    assert [r["post_id"] for h in imported.harvests.values() for r in h.posts] == ["p2"]
