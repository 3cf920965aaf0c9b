"""Accepted rows are replaced only by rows that passed their audit; a verdict is never lost to a re-landing."""

from __future__ import annotations

from datetime import date

import pytest

from kinerja import landing, publish
from kinerja.quality import account_days as quality
from kinerja.sources import simulator
from support import dbt_build

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 5)

_ACCEPTED_VIEWS = """
select sum(r.views) from raw.account_daily as r
join raw.batch_ledger as l on l.batch_id = r.batch_id and l.status = 'accepted'
where r.metric_date = %s
"""


def _status(conn, batch):
    return conn.execute(
        "select status from raw.batch_ledger where batch_id = %s", [batch.batch_id]
    ).fetchone()[0]


def _land(conn, records):
    return landing.land_batch(conn, "simulator", DAY, iter(records))


def _accepted_day(conn, accounts):
    records = list(simulator.simulate_day(accounts, DAY))
    first = _land(conn, records)
    quality.audit_batch(conn, first.batch_id)
    return first, records


def test_a_new_batch_replaces_accepted_rows_only_once_its_audit_accepted_it(conn, small_accounts):
    first, records = _accepted_day(conn, small_accounts)
    accepted_views = conn.execute(_ACCEPTED_VIEWS, [DAY]).fetchone()[0]
    restated = _land(conn, [{**r, "views": r["views"] + 10} for r in records])
    # landed, not audited: what the warehouse builds from is still the accepted batch, whole
    assert _status(conn, first) == "accepted" and _status(conn, restated) == "landed"
    assert conn.execute(_ACCEPTED_VIEWS, [DAY]).fetchone()[0] == accepted_views
    assert conn.execute("select count(*) from raw.account_daily").fetchone()[0] == 2 * len(records)
    quality.audit_batch(conn, restated.batch_id)
    assert (_status(conn, first), _status(conn, restated)) == ("superseded", "accepted")
    assert conn.execute(_ACCEPTED_VIEWS, [DAY]).fetchone()[0] == accepted_views + 10 * len(records)
    assert conn.execute("select count(*) from raw.account_daily").fetchone()[0] == len(records)


def test_landing_the_same_content_again_keeps_it_accepted(conn, small_accounts):
    first, records = _accepted_day(conn, small_accounts)
    verdict = conn.execute(
        "select status, rows_accepted, rows_rejected, audited_at, summary from raw.batch_ledger"
    ).fetchone()
    again = _land(conn, records)
    assert again.batch_id == first.batch_id
    assert (
        conn.execute(
            "select status, rows_accepted, rows_rejected, audited_at, summary from raw.batch_ledger"
        ).fetchone()
        == verdict
    )
    assert conn.execute("select land_count from raw.batch_ledger").fetchone() == (2,)


def test_a_quarantined_row_replaces_nothing(conn, small_accounts):
    first, records = _accepted_day(conn, small_accounts)
    bad = {**records[0], "views": -1}  # quarantined: a negative count
    restated = _land(conn, [bad] + [{**r, "views": r["views"] + 1} for r in records[1:]])
    quality.audit_batch(conn, restated.batch_id)
    assert _status(conn, restated) == "accepted"
    kept = conn.execute(
        "select batch_id, views from raw.account_daily where account_id = %s and batch_id = %s",
        [records[0]["account_id"], first.batch_id],
    ).fetchone()
    assert kept == (first.batch_id, records[0]["views"])
    assert _status(conn, first) == "accepted"  # it still holds the one row nothing replaced


def test_a_rejected_redelivery_leaves_the_last_accepted_data_also_after_a_full_refresh(
    conn, warehouse, small_accounts
):
    first, records = _accepted_day(conn, small_accounts)
    assert dbt_build(warehouse, check=False).returncode == 0
    publish.publish(conn)
    published = "select sum(views), count(*) from marts.fct_account_daily where metric_date = %s"
    before = conn.execute(published, [DAY]).fetchone()
    # every row negative: more than half fail, the batch as a whole is rejected
    broken = _land(conn, [{**r, "views": -5} for r in records])
    with pytest.raises(quality.BatchRejected):
        quality.audit_batch(conn, broken.batch_id)
    assert (_status(conn, first), _status(conn, broken)) == ("accepted", "rejected")
    assert conn.execute(
        "select count(*) from raw.account_daily where batch_id = %s", [first.batch_id]
    ).fetchone() == (len(records),)
    assert dbt_build(warehouse, "--full-refresh", check=False).returncode == 0
    publish.publish(conn)
    assert conn.execute(published, [DAY]).fetchone() == before
    assert before[1] == len(records)


def test_a_batch_accepted_after_a_later_delivery_gives_way_to_it(conn, small_accounts):
    """Audits may run in another order than the landings (a repair lands with the original times)."""
    records = list(simulator.simulate_day(small_accounts, DAY))
    later = _land(conn, [{**r, "views": r["views"] + 10} for r in records])
    quality.audit_batch(conn, later.batch_id)
    earlier = _land(conn, records)
    conn.execute(
        "update raw.batch_ledger set landed_at = landed_at - interval '1 hour' where batch_id = %s",
        [earlier.batch_id],
    )
    quality.audit_batch(conn, earlier.batch_id)
    assert (_status(conn, earlier), _status(conn, later)) == ("superseded", "accepted")
    assert conn.execute("select batch_id, count(*) from raw.account_daily group by batch_id").fetchall() == [
        (later.batch_id, len(records))
    ]
