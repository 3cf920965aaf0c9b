"""Scorecards from a real issue: dbt builds the per-platform report, the issue freezes what each
scorecard shows, `kinerja scorecards render` in two separate processes writes identical files,
and a reissue changes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from kinerja import publish
from kinerja.landing.harvest import land_harvest
from kinerja.publish import issues as publication
from kinerja.scorecards.issue import NoScoresError
from kinerja.scorecards.render import render_month
from kinerja.sources.simulator import SimulatorSource
from kinerja.warehouse import connect
from scorecard_issues import national_issue, store_issue
from support import dbt_build

pytestmark = pytest.mark.integration

MONTH = date(2026, 10, 1)
DAYS = [MONTH + timedelta(days=i) for i in range(4)]
# four days of a month: score them anyway
SMALL_DATA = json.dumps({"min_coverage": 0.05})
REPORTS = {
    "reports.rpt_institution_scores_monthly",
    "reports.rpt_institution_platforms_monthly",
    "marts.fct_posts",
}


def _land(conn, day, accounts, source=None):
    land_harvest(conn, "simulator", None, day, (source or SimulatorSource()).harvest(day, accounts))


def _build_publish_issue(conn, warehouse):
    result = dbt_build(
        warehouse,
        "--select",
        "+rpt_institution_scores_monthly",
        "+rpt_institution_platforms_monthly",
        "--vars",
        SMALL_DATA,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    with connect(warehouse, autocommit=True) as published:
        publish.publish(published, only=REPORTS)
    return publication.issue_scores(conn, MONTH)


def _render(warehouse, out: Path, *args: str) -> subprocess.CompletedProcess:
    """`kinerja scorecards render` in a process of its own."""
    env = dict(os.environ, KINERJA_WAREHOUSE_URL=warehouse.conninfo(), KINERJA_SCORECARD_WORKERS="1")
    command = [
        sys.executable,
        "-c",
        "from kinerja.cli import app; app()",
        "scorecards",
        "render",
        "--month",
        "2026-10",
        "--out",
        str(out),
    ]
    return subprocess.run(
        [*command, *args], check=False, env=env, capture_output=True, text=True, timeout=600
    )


def test_an_issue_freezes_its_scorecards_and_renders_them_identically(
    conn, warehouse, small_accounts, tmp_path
):
    for day in DAYS:
        _land(conn, day, small_accounts)
    (issue,) = _build_publish_issue(conn, warehouse)
    frozen = dict(
        conn.execute(
            "select institution_id, details from publication.issued_scorecards where month = %s and issue_no = 1",
            [MONTH],
        ).fetchall()
    )
    assert len(frozen) == issue.institutions == 13
    bali = frozen["prov-51"]
    assert bali["timezone"] == "Asia/Makassar"
    assert {p["platform"] for p in bali["platforms"]} == {a["platform"] for a in bali["accounts"]}
    assert all(0 < p["coverage"] <= 1 for p in bali["platforms"])
    assert 1 <= len(bali["best_posts"]) <= publication.BEST_POSTS
    interactions = [post["interactions"] for post in bali["best_posts"]]
    assert interactions == sorted(interactions, reverse=True)
    assert [point["month"] for point in bali["trend"]] == ["2026-10-01"]
    # the grade's words in both languages come from the seed, through the report, into the issue
    seed = {"A": ("Sangat baik", "Very good"), "B": ("Baik", "Good"), "C": ("Cukup", "Fair")}
    seed |= {"D": ("Kurang", "Poor"), "E": ("Sangat kurang", "Very poor")}
    graded = conn.execute(
        "select score->>'grade', score->>'grade_label', score->>'grade_label_en' from publication.issued_scores"
        " where month = %s and score->>'grade' is not null",
        [MONTH],
    ).fetchall()
    assert graded and all(seed[grade] == (label, label_en) for grade, label, label_en in graded)

    first = _render(warehouse, tmp_path / "a", "--province", "51")
    assert first.returncode == 0, first.stdout + first.stderr
    second = _render(warehouse, tmp_path / "b", "--province", "51")
    assert second.returncode == 0, second.stdout + second.stderr
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    assert Path("2026-10/institusi/prov-51.pdf") in files and Path("2026-10/provinsi-51.html") in files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    html = (tmp_path / "a" / "2026-10" / "institusi" / "prov-51.html").read_text(encoding="utf-8")
    assert "Terbitan ke-1" in html and "WITA" in html
    assert "Instagram @" in html  # a best post, from the frozen details

    # data restated after the cut-off moves a kabupaten: a reissue, and every scorecard changes with it
    account = next(
        a for a in small_accounts if a["institution_id"] == "kab-5108" and a["platform"] == "instagram"
    )
    restated = SimulatorSource().harvest(DAYS[1], small_accounts)
    restated.account_days = [
        dict(r, likes=r["likes"] * 40 + 5000) if r["account_id"] == account["account_id"] else r
        for r in restated.account_days
    ]
    land_harvest(conn, "simulator", None, DAYS[1], restated)
    (reissue,) = _build_publish_issue(conn, warehouse)
    assert reissue.issue_no == 2
    third = _render(warehouse, tmp_path / "c", "--institution", "prov-51")
    assert third.returncode == 0, third.stdout + third.stderr
    after = tmp_path / "c" / "2026-10" / "institusi" / "prov-51"
    assert (
        after.with_suffix(".pdf").read_bytes()
        != (tmp_path / "a" / "2026-10" / "institusi" / "prov-51.pdf").read_bytes()
    )
    assert "Terbitan ke-2" in after.with_suffix(".html").read_text(encoding="utf-8")
    # issue 1 re-renders as it was
    fourth = _render(warehouse, tmp_path / "d", "--institution", "prov-51", "--issue", "1")
    assert fourth.returncode == 0, fourth.stdout + fourth.stderr
    for suffix in (".html", ".pdf"):
        again = (tmp_path / "d" / "2026-10" / "institusi" / "prov-51").with_suffix(suffix).read_bytes()
        assert (
            again == (tmp_path / "a" / "2026-10" / "institusi" / "prov-51").with_suffix(suffix).read_bytes()
        )


def test_the_monthly_task_renders_every_configured_language(conn, warehouse, tmp_path, monkeypatch):
    from kinerja.tasks.scorecards import render_scorecards

    store_issue(conn, national_issue())
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_SCORECARD_LANGUAGES", "id,en")
    written = {
        Path(p).relative_to(tmp_path).as_posix()
        for p in render_scorecards(MONTH, institution="kem-dagri", out_dir=tmp_path)
    }
    assert written == {
        "2026-10/institusi/kem-dagri.html",
        "2026-10/institusi/kem-dagri.pdf",
        "2026-10/en/institusi/kem-dagri.html",
        "2026-10/en/institusi/kem-dagri.pdf",
    }


def test_render_of_a_month_never_issued_says_what_to_do(conn, warehouse, tmp_path):
    result = _render(warehouse, tmp_path)
    assert result.returncode == 1
    assert "no issued scores for 2026-10: run the monthly DAG (or kinerja run) first" in result.stdout


def test_render_of_an_unknown_institution_or_province_names_it(conn, tmp_path):
    store_issue(conn, national_issue())

    with pytest.raises(NoScoresError, match="institution 'kab-9999' is not in issue 1 of 2026-10"):
        render_month(conn, MONTH, tmp_path, institution="kab-9999")
    with pytest.raises(NoScoresError, match="no institution of province '99' in issue 1 of 2026-10"):
        render_month(conn, MONTH, tmp_path, province="99")
    assert render_month(conn, MONTH, tmp_path, institution="kem-dagri", formats=("html",)) == [
        tmp_path / "2026-10" / "institusi" / "kem-dagri.html"
    ]
