"""Hostile text (quotes, semicolons, SQL, HTML) in names, handles and file names: stored as text, never
executed, escaped in every HTML page."""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest
from bi_warehouse_data import EMPTY_INSTITUTION, HOSTILE_NAME
from markupsafe import escape

from kinerja.bi import questions
from kinerja.landing.filedrop import land_dropped_files
from kinerja.sources.filedrop.inbox import read_inbox
from support import REPO

pytestmark = pytest.mark.integration

SEPTEMBER = date(2026, 9, 1)
INJECTION = "x'); drop table marts.dim_dates; --"


def test_a_hostile_institution_name_is_stored_and_published_as_text(bi_warehouse):
    with bi_warehouse.as_role(bi_warehouse.bi_role) as bi:
        names = bi.execute(
            "select distinct institution_name from reports.rpt_institution_scores_monthly where institution_id = %s",
            [EMPTY_INSTITUTION],
        ).fetchall()
        assert names == [(HOSTILE_NAME,)]
        assert bi.execute("select count(*) from marts.dim_dates").fetchone()[0] > 0


def test_a_hostile_question_parameter_is_a_value_never_sql(bi_warehouse):
    trend = next(q for q in questions() if q.slug == "03_institution_trend_12_months")
    with bi_warehouse.as_role(bi_warehouse.bi_role) as bi:
        assert trend.run(bi, institution_id=INJECTION) == []
        assert bi.execute("select count(*) from marts.dim_dates").fetchone()[0] > 0


def test_a_hostile_name_is_escaped_in_every_html_page(bi_warehouse, tmp_path):
    from kinerja.publish import issues as publication
    from kinerja.scorecards.render import render_month

    with bi_warehouse.as_owner() as owner:
        publication.issue_scores(owner, SEPTEMBER)
        written = render_month(owner, SEPTEMBER, tmp_path, central=True, formats=("html",))
    pages = {path.name: path.read_text(encoding="utf-8") for path in written if path.suffix == ".html"}
    with_the_name = [name for name, page in pages.items() if str(escape(HOSTILE_NAME)) in page]
    # its own scorecard names it (the national summary lists the ranked only)
    assert "lem-uji-kosong.html" in with_the_name and "index.html" in pages
    for name, page in pages.items():
        assert "<script>alert" not in page and "<b>" not in page, name
        assert HOSTILE_NAME not in page, name


def test_a_hostile_file_name_is_recorded_as_text(conn, small_accounts, tmp_path):
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    hostile = """O'Brien"; drop table raw.account_daily; -- <img src=x onerror=alert(1)> youtube.csv"""
    folder = inbox / "kab-5101"
    folder.mkdir(parents=True)
    path = folder / hostile
    path.write_bytes(
        (REPO / "tests" / "fixtures" / "exports" / "youtube_studio_table_data_sample.csv").read_bytes()
    )
    written = datetime(2026, 6, 13, 12).timestamp()
    os.utime(path, (written, written))
    land_dropped_files(conn, read_inbox(conn, inbox, small_accounts, date(2026, 6, 13)), archive)
    assert conn.execute("select original_name from raw.filedrop_files").fetchall() == [(hostile,)]
    assert conn.execute("select to_regclass('raw.account_daily') is not null").fetchone() == (True,)
    # archived under its content's hash, never under the sender's name
    assert all(hostile not in str(p) for p in archive.rglob("*"))
