"""Counts no account could have are held at the raw audit with the metric named, a day that has not
happened yet is held at landing, and neither blocks the build for the other institutions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kinerja import landing
from kinerja.quality import account_days as quality
from kinerja.sources import simulator
from support import dbt_build

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 6)
NEAR_BIGINT = 9_000_000_000_000_000_000


def _held(conn, batch_id):
    return {
        account: (column, reason)
        for account, column, reason in conn.execute(
            "select account_id, column_name, reason from raw.quarantine where batch_id = %s", [batch_id]
        )
    }


def test_implausible_counts_are_held_naming_the_metric_and_the_build_goes_on(conn, warehouse, small_accounts):
    records = list(simulator.simulate_day(small_accounts, DAY))
    near_bigint, viral = (
        records[0],
        next(r for r in records if r["platform"] == "instagram" and r["followers"]),
    )
    near_bigint["likes"] = NEAR_BIGINT
    audience = max(viral["followers"], quality.AUDIENCE_FLOOR)
    viral["views"] = 501 * audience  # instagram: at most 500 views per follower
    batch = landing.land_batch(conn, "simulator", DAY, iter(records))
    result = quality.audit_batch(conn, batch.batch_id)
    assert result.rows_rejected == 2
    held = _held(conn, batch.batch_id)
    assert held[near_bigint["account_id"]] == (
        "likes",
        (
            f"likes {NEAR_BIGINT:,} is more than any account counts in a day (1,000,000,000,000): not plausible"
            " for this account; check that the source reports the right account and unit, fix it and land the day again"
        ),
    )
    column, reason = held[viral["account_id"]]
    assert column == "views" and f"views {501 * audience:,} is more than 500 per follower" in reason
    # the monthly fact sums a month of days into bigint: the held row never reaches it
    build = dbt_build(warehouse, "--select", "+fct_institution_monthly", check=False)
    assert build.returncode == 0, build.stdout[-3000:]
    built = conn.execute(
        "select count(*), count(*) filter (where account_id = any(%s)) from build_marts.fct_account_daily"
        " where metric_date = %s",
        [[near_bigint["account_id"], viral["account_id"]], DAY],
    ).fetchone()
    assert built == (len(records) - 2, 0)
    assert conn.execute("select count(*) from build_marts.fct_institution_monthly").fetchone()[0] > 0


def test_a_day_that_has_not_happened_yet_is_held_at_landing(conn, small_accounts):
    today = datetime.now(ZoneInfo("Asia/Jayapura")).date()
    records = list(simulator.simulate_day(small_accounts, today))
    records[0] = {**records[0], "metric_date": today + timedelta(days=1)}
    batch = landing.land_batch(conn, "simulator", today, iter(records))
    result = quality.audit_batch(conn, batch.batch_id)
    assert result.rows_rejected == 1
    [(column, reason)] = _held(conn, batch.batch_id).values()
    assert column == "metric_date"
    assert f"metric_date {today + timedelta(days=1)} is outside this batch's window" in reason
    assert f"none after the landing day {today}" in reason
    # a batch of a future day as a whole: every row held, the batch rejected before any build
    future = landing.land_batch(
        conn,
        "simulator",
        today + timedelta(days=2),
        simulator.simulate_day(small_accounts, today + timedelta(days=2)),
    )
    with pytest.raises(
        quality.BatchRejected, match=r"expect_column_values_to_be_between:metric_date: \d+ rows"
    ):
        quality.audit_batch(conn, future.batch_id)
    reasons = {reason for _, reason in _held(conn, future.batch_id).values()}
    assert len(reasons) == 1 and "one that has not happened yet" in reasons.pop()
