"""The plan of a daily run's days against a real warehouse: which batches are due, and when they stop being due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kinerja import landing
from kinerja.landing import plan
from kinerja.quality.account_days import audit_batch
from kinerja.sources import simulator

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 15)
OLD_DAY = date(2026, 7, 1)


def _land_and_audit(conn, small_accounts, day: date, data_day: date | None = None) -> str:
    batch_id = landing.land_batch(
        conn, "filedrop", data_day or day, simulator.simulate_day(small_accounts, day)
    ).batch_id
    audit_batch(conn, batch_id)
    return batch_id


def test_a_late_batch_is_planned_until_a_publish_records_it(conn, small_accounts, monkeypatch):
    monkeypatch.setenv("KINERJA_AUDIT_WINDOW_DAYS_FILEDROP", "400")  # an export of a day months back
    recent = _land_and_audit(conn, small_accounts, DAY)
    late = _land_and_audit(conn, small_accounts, OLD_DAY, data_day=DAY)
    unaudited = landing.land_batch(
        conn, "filedrop", DAY, simulator.simulate_day(small_accounts, DAY - timedelta(days=40))
    )

    first = plan.plan_days(conn, DAY, 2)
    assert first.days == (OLD_DAY, DAY - timedelta(days=2), DAY - timedelta(days=1), DAY)
    # not audited yet: its rows do not reach the marts, so its day waits for its audit
    assert set(first.batch_ids) == {recent, late} and unaudited.batch_id not in first.batch_ids

    assert plan.record_published(conn, first) == 2
    assert plan.plan_days(conn, DAY, 2).days == tuple(plan.window(DAY, 2))
    # recording the same plan twice changes nothing
    assert plan.record_published(conn, first) == 0


def test_a_batch_landed_again_after_the_plan_stays_due(conn, small_accounts):
    batch_id = _land_and_audit(conn, small_accounts, DAY - timedelta(days=10))
    planned = plan.plan_days(conn, DAY, 1)
    assert batch_id in planned.batch_ids
    # landed and audited again while the run built and published: its new rows were not built
    _land_and_audit(conn, small_accounts, DAY - timedelta(days=10))
    plan.record_published(conn, planned)
    again = plan.plan_days(conn, DAY, 1)
    assert batch_id in again.batch_ids and DAY - timedelta(days=10) in again.days


def test_the_post_days_of_a_due_batch_are_planned_by_their_publication_day(conn, small_accounts):
    from datetime import datetime, time

    from kinerja import platforms
    from kinerja.quality.posts import audit_post_batch
    from kinerja.sources.base import post_record

    account = next(a for a in small_accounts if a["platform"] == "youtube")
    # published late on 1 July in Jakarta: still 1 July in YouTube's own (US Pacific) day
    published = datetime.combine(OLD_DAY, time(12), platforms.platform("youtube").metric_day_zone)
    record = post_record(
        "youtube", account["account_id"], "v1", DAY, published, "video", {"views": 10, "likes": 1}
    )
    batch_id = landing.land_posts(conn, "filedrop", DAY, [record]).batch_id
    audit_post_batch(conn, batch_id)
    assert OLD_DAY in plan.plan_days(conn, DAY, 0).days
