"""`kinerja import`: a history file lands as source `import`, month by month, audited like any batch."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from kinerja.cli import app
from kinerja.landing.imports import import_file

pytestmark = pytest.mark.integration

# Two months, a negative count and an unreadable cell.
HISTORY = """platform,account_id,metric_date,followers,posts,likes,comments,replies
x,demo-prov-51-x,2022-11-28,499,0,0,0,0
x,demo-prov-51-x,2022-11-29,500,1,4,2,1
x,demo-prov-51-x,2022-11-30,501,1,-4,2,1
x,demo-prov-51-x,2022-12-01,502,2,seven,3,1
x,demo-prov-51-x,2022-12-02,503,0,0,0,0
instagram,demo-prov-51-instagram,2022-12-02,900,1,10,5,5
"""


def _raw(conn):
    return conn.execute(
        "select batch_id, source, data_day, status, rows_in, rows_accepted, rows_rejected, checksum"
        " from raw.batch_ledger order by data_day"
    ).fetchall()


def test_a_history_file_lands_month_by_month_and_twice_the_same(conn, tmp_path):
    path = tmp_path / "other-system.csv"
    path.write_text(HISTORY, encoding="utf-8")
    report = import_file(conn, path, archive=tmp_path / "archive")
    # the unreadable cell holds back its row only, and says where it is
    problem = (
        "other-system.csv, row 5, column 'likes': 'seven' is not a whole number: write counts as digits, "
        "without separators. Correct the cell and import the file again"
    )
    assert [str(p) for p in report.imported.problems] == [problem]
    ledger = _raw(conn)
    # November's batch: its last day is its data day; the audit quarantined the negative count
    assert [
        (source, str(day), status, rows_in, rejected)
        for _, source, day, status, rows_in, _, rejected, _ in ledger
    ] == [
        ("import", "2022-11-30", "accepted", 3, 1),
        ("import", "2022-12-02", "accepted", 2, 0),
    ]
    assert conn.execute("select count(*) from raw.quarantine").fetchone() == (1,)
    assert report.archived_as.read_bytes() == path.read_bytes()

    again = import_file(conn, path, archive=tmp_path / "archive")
    assert again.batch_ids == report.batch_ids
    assert [row[:7] for row in _raw(conn)] == [row[:7] for row in ledger]
    assert conn.execute("select count(*) from raw.account_daily").fetchone() == (5,)


def test_the_command_says_what_was_wrong_and_fails(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_IMPORT_ARCHIVE", str(tmp_path / "archive"))
    path = tmp_path / "other-system.csv"
    path.write_text(HISTORY.replace(",likes,", ",like,"), encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    assert "refused, nothing landed" in result.output and "Did you mean 'likes'?" in result.output


def test_history_older_than_the_published_calendar_extends_it(warehouse, conn, tmp_path, monkeypatch):
    from kinerja.publish import publish
    from support import dbt_build

    dbt_build(warehouse, "--select", "+dim_dates")
    publish(conn, only={"marts.dim_dates"})
    assert conn.execute("select min(date_day) from marts.dim_dates").fetchone() == (date(2022, 1, 1),)
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_IMPORT_ARCHIVE", str(tmp_path / "archive"))
    path = tmp_path / "older.csv"
    path.write_text(
        "platform,account_id,metric_date,followers\nx,demo-prov-51-x,2019-06-30,100\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["import", str(path)])
    # the account's registry period begins in 2022: the audit rejects the row, yet the day is
    # in raw and the next daily publish would need it in the calendar
    assert "marts.dim_dates) now spans 2019-06-30" in result.output, result.output
    assert conn.execute("select min(date_day) from marts.dim_dates").fetchone() == (date(2019, 1, 1),)
