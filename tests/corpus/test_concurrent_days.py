"""Two landings of the same day at once: both succeed (one waits for the other), the warehouse ends the same."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from kinerja import landing
from kinerja.landing import batches
from kinerja.quality import account_days, engine
from kinerja.sources import simulator
from kinerja.tasks.sources import land_simulated_day
from kinerja.warehouse import connect
from kinerja.warehouse.fingerprint import table_fingerprint
from support import SMALL_REGISTRY

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 5)
TABLES = ("raw.account_daily", "raw.post_daily", "raw.batch_ledger", "raw.quarantine", "audit.completeness")
WHEN = (
    "landed_at",
    "audited_at",
    "land_count",
    "judged_at",
    "quarantined_at",
    "first_landed_at",
    "published_at",
)


def _content(conn):
    return {table: table_fingerprint(conn, table, WHEN) for table in TABLES}


def _in_threads(*calls):
    """Run each call in a thread of its own, started together; the exceptions they raised."""
    errors, start = [], threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            call()
        except Exception as error:  # noqa: BLE001 - the caller asserts on them
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def test_two_landings_of_the_same_day_at_once_both_succeed(conn, warehouse, monkeypatch):
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    outcomes = []
    errors = _in_threads(*[lambda: outcomes.append(land_simulated_day(DAY, SMALL_REGISTRY))] * 2)
    assert errors == [] and len(outcomes) == 2
    assert outcomes[0]["batch_ids"] == outcomes[1]["batch_ids"]
    assert all(audit["status"] == "accepted" for outcome in outcomes for audit in outcome["audits"])
    concurrent = _content(conn)
    land_simulated_day(DAY, SMALL_REGISTRY)  # once more, alone: the same content
    assert _content(conn) == concurrent


def test_a_second_judge_of_completeness_waits_for_the_first(conn, warehouse, small_accounts):
    """The race itself, made certain: the first audit's judgement is written and not yet committed."""
    batch = landing.land_batch(conn, "simulator", DAY, simulator.simulate_day(small_accounts, DAY))

    def judge(connection):
        landed = account_days._read_landed(connection, batch.batch_id)
        window = engine.batch_parameters(connection, "simulator", DAY)["window_days"]
        names = account_days._institution_names(connection, DAY)
        account_days._judge_completeness(connection, batch.batch_id, "simulator", DAY, landed, window, names)

    with connect(warehouse) as first, connect(warehouse, autocommit=True) as second:
        judge(first)  # in a transaction left open
        waiting = threading.Thread(target=lambda: errors.extend(_in_threads(lambda: judge(second))))
        errors: list[Exception] = []
        waiting.start()
        for _ in range(100):  # until the second judge waits on the first
            blocked = conn.execute(
                "select wait_event_type from pg_stat_activity where pid = %s", [second.info.backend_pid]
            ).fetchone()
            if blocked and blocked[0] == "Lock":
                break
            time.sleep(0.05)
        first.commit()
        waiting.join(timeout=60)
    assert errors == []
    judged = conn.execute(
        "select count(*), count(distinct (metric_date, institution_id, platform)) from audit.completeness"
    )
    total, distinct = judged.fetchone()
    assert total == distinct > 0


def _wait_until_blocked(conn, pid):
    for _ in range(200):
        blocked = conn.execute(
            "select wait_event_type from pg_stat_activity where pid = %s", [pid]
        ).fetchone()
        if blocked and blocked[0] == "Lock":
            return True
        time.sleep(0.05)
    return False


def test_an_audit_storing_its_verdict_waits_for_a_landing_of_the_same_day(conn, warehouse, small_accounts):
    """The landing holds its partition locks and is about to write the ledger row the audit also
    writes: the audit must wait for the partitions first, or each waits for the other (deadlock)."""
    records = list(simulator.simulate_day(small_accounts, DAY))
    batch = landing.land_batch(conn, "simulator", DAY, records)
    errors: list[Exception] = []
    with connect(warehouse) as landing_again, connect(warehouse, autocommit=True) as auditing:
        with landing_again.cursor() as cur:  # a landing of the same day, between its locks and its ledger row
            batches._lock_partitions(cur, batches.ACCOUNT_DAILY, "simulator", {DAY})
        audit = threading.Thread(
            target=lambda: errors.extend(
                _in_threads(lambda: account_days.audit_batch(auditing, batch.batch_id))
            )
        )
        audit.start()
        assert _wait_until_blocked(conn, auditing.info.backend_pid)
        landing.land_batch(landing_again, "simulator", DAY, records)  # the ledger row, then commit
        landing_again.commit()
        audit.join(timeout=120)
    assert errors == []
    assert conn.execute("select status from raw.batch_ledger").fetchone() == ("accepted",)
