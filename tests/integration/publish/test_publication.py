"""Issued scores are frozen: restated data after the cut-off makes a numbered reissue, never a silent change."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from kinerja import landing, publish
from kinerja.publish import issues as publication
from kinerja.quality import account_days as quality
from kinerja.sources import simulator
from kinerja.warehouse import connect
from support import dbt_build

pytestmark = pytest.mark.integration

MONTH = date(2026, 10, 1)
DAYS = [MONTH + timedelta(days=i) for i in range(3)]
# three days of a month: score them anyway, to have ranks that restated data can move
SMALL_DATA = json.dumps({"min_coverage": 0.05})


def _land(conn, day, records):
    quality.audit_batch(conn, landing.land_batch(conn, "simulator", day, iter(records)).batch_id)


def _build_and_publish(warehouse):
    result = dbt_build(
        warehouse, "--select", "+rpt_institution_scores_monthly", "--vars", SMALL_DATA, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    with connect(warehouse, autocommit=True) as conn:
        publish.publish(conn, only={"reports.rpt_institution_scores_monthly"})


def _issued(conn, issue_no):
    return conn.execute(
        "select institution_id, score from publication.issued_scores where month = %s and issue_no = %s"
        " order by institution_id",
        [MONTH, issue_no],
    ).fetchall()


def test_restated_data_after_the_cut_off_makes_a_numbered_reissue(conn, warehouse, small_accounts):
    for day in DAYS:
        _land(conn, day, simulator.simulate_day(small_accounts, day))
    _build_and_publish(warehouse)
    (first,) = publication.issue_scores(conn, MONTH)
    assert (first.issue_no, first.changes) == (1, [])
    assert first.data_cut_off is not None and first.institutions == 13
    issued_first = _issued(conn, 1)

    # a second run without new data issues nothing
    assert publication.issue_scores(conn, MONTH) == []

    # the platform restates day 2: one kabupaten's Instagram engagement was far higher
    account = next(
        a for a in small_accounts if a["institution_id"] == "kab-5108" and a["platform"] == "instagram"
    )
    restated = [
        dict(record, likes=record["likes"] * 40 + 5000)
        if record["account_id"] == account["account_id"]
        else record
        for record in simulator.simulate_day(small_accounts, DAYS[1])
    ]
    _land(conn, DAYS[1], restated)
    _build_and_publish(warehouse)
    (second,) = publication.issue_scores(conn, MONTH)

    assert second.issue_no == 2 and second.data_cut_off > first.data_cut_off
    changed = {(change["institution_id"], change["field"]) for change in second.changes}
    assert ("kab-5108", "ikms") in changed
    # what regional offices hold from issue 1 is untouched, and a rerun issues nothing more
    assert _issued(conn, 1) == issued_first
    assert publication.issue_scores(conn, MONTH) == []
    latest = conn.execute(
        "select issue_no, reason from publication.latest_issues where month = %s", [MONTH]
    ).fetchone()
    assert latest == (2, "data direvisi setelah batas data terbitan sebelumnya")
