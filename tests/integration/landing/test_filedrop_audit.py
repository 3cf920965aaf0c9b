"""The file drop's batches are audited each on its own: a fault in one never stops the others."""

from __future__ import annotations

from datetime import date

import pytest

from kinerja import landing
from kinerja.landing import harvest
from kinerja.landing.filedrop import audit_dropped_batches
from kinerja.sources.base import account_day_record

pytestmark = pytest.mark.integration


def test_a_fault_in_one_batchs_audit_leaves_the_others_audited(conn, monkeypatch):
    day = date(2026, 6, 10)
    first = landing.land_batch(
        conn, "filedrop", day, [account_day_record("youtube", "demo-kab-5101-youtube", day, {"views": 5})]
    )
    second = landing.land_batch(
        conn, "filedrop", day, [account_day_record("youtube", "demo-kab-5102-youtube", day, {"views": 7})]
    )
    real_audit = harvest.AUDITS["raw.account_daily"]

    def breaks_on_first(connection, batch_id):
        if batch_id == first.batch_id:
            raise RuntimeError("an audit bug")
        return real_audit(connection, batch_id)

    monkeypatch.setitem(harvest.AUDITS, "raw.account_daily", breaks_on_first)
    outcomes = {o["batch_id"]: o for o in audit_dropped_batches(conn)}
    assert (
        outcomes[first.batch_id]["status"] == "failed"
        and "an audit bug" in outcomes[first.batch_id]["reason"]
    )
    assert outcomes[second.batch_id]["status"] == "accepted"
    statuses = dict(conn.execute("select batch_id, status from raw.batch_ledger").fetchall())
    # the failed one waits for the next run's audit; the other is settled
    assert statuses == {first.batch_id: "landed", second.batch_id: "accepted"}
    monkeypatch.undo()
    assert [o["status"] for o in audit_dropped_batches(conn)] == ["accepted"]
