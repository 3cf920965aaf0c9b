"""The Great Expectations audit of a landed batch: bad rows to quarantine, the rest accepted."""

from __future__ import annotations

from datetime import date

import pytest

from kinerja import landing
from kinerja.quality import account_days as quality
from kinerja.sources import simulator

DAY = date(2026, 10, 6)

pytestmark = pytest.mark.integration


def _land_with(conn, accounts, change):
    records = list(simulator.simulate_day(accounts, DAY))
    change(records)
    return landing.land_batch(conn, "simulator", DAY, iter(records))


def _quarantine(conn, batch_id):
    return conn.execute(
        "select row_number, check_name, account_id, column_name, reason from raw.quarantine"
        " where batch_id = %s order by row_number, check_name",
        [batch_id],
    ).fetchall()


def test_a_negative_count_is_quarantined_and_the_rest_accepted(conn, small_accounts):
    def negative_followers(records):
        records[3]["followers"] = -5

    batch = _land_with(conn, small_accounts, negative_followers)
    result = quality.audit_batch(conn, batch.batch_id)
    assert (result.rows_in, result.rows_accepted, result.rows_rejected) == (
        len(small_accounts),
        len(small_accounts) - 1,
        1,
    )
    [(row_number, check, account_id, column, reason)] = _quarantine(conn, batch.batch_id)
    assert row_number == 4
    assert check == "expect_column_values_to_be_between:followers"
    assert column == "followers"
    assert account_id == sorted(a["account_id"] for a in small_accounts)[3]
    assert reason == "followers is -5: a count cannot be negative"
    ledger = conn.execute(
        "select status, rows_accepted, rows_rejected from raw.batch_ledger where batch_id = %s",
        [batch.batch_id],
    ).fetchone()
    assert ledger == ("accepted", len(small_accounts) - 1, 1)


def test_each_bad_row_gets_its_own_reason(conn, small_accounts):
    def corrupt(records):
        records[0]["account_id"] = "demo-nobody-instagram"
        records[1]["platform"] = "Youtube"
        records[2]["posts"] = -1
        records[3]["views"] = -9
        records[5] = dict(records[4])  # the same account and day twice

    batch = _land_with(conn, small_accounts, corrupt)
    result = quality.audit_batch(conn, batch.batch_id)
    reasons = {
        (row, check.split(":")[0]): reason for row, check, _, _, reason in _quarantine(conn, batch.batch_id)
    }
    assert "not in the registry" in reasons[(1, "expect_column_values_to_be_in_set")]
    assert "platform 'Youtube'" in reasons[(2, "expect_column_values_to_be_in_set")]
    assert reasons[(3, "expect_column_values_to_be_between")] == "posts is -1: a count cannot be negative"
    assert reasons[(4, "expect_column_values_to_be_between")] == "views is -9: a count cannot be negative"
    assert (5, "expect_compound_columns_to_be_unique") in reasons
    assert (6, "expect_compound_columns_to_be_unique") in reasons
    assert result.rows_rejected == 6
    assert result.rows_accepted == len(small_accounts) - 6
    failed = dict(
        conn.execute(
            "select expectation || ':' || column_name, unexpected from audit.validation_results"
            " where batch_id = %s and not success",
            [batch.batch_id],
        ).fetchall()
    )
    assert failed["expect_column_values_to_be_between:posts"] == 1
    assert failed["expect_compound_columns_to_be_unique:platform,account_id,metric_date"] == 2


def test_auditing_twice_gives_the_same_quarantine(conn, small_accounts):
    batch = _land_with(conn, small_accounts, lambda records: records[0].update(likes=-1))
    quality.audit_batch(conn, batch.batch_id)
    first = _quarantine(conn, batch.batch_id)
    quality.audit_batch(conn, batch.batch_id)
    assert _quarantine(conn, batch.batch_id) == first


def test_an_empty_batch_is_rejected_with_a_readable_summary(conn):
    batch = landing.land_batch(conn, "simulator", DAY, iter([]))
    with pytest.raises(quality.BatchRejected, match="the batch is empty"):
        quality.audit_batch(conn, batch.batch_id)
    assert conn.execute(
        "select status from raw.batch_ledger where batch_id = %s", [batch.batch_id]
    ).fetchone() == ("rejected",)


def test_a_batch_mostly_of_unknown_accounts_is_rejected_as_a_whole(conn, small_accounts):
    def unknown(records):
        for record in records[: len(records) * 2 // 3]:
            record["account_id"] = "demo-unknown-" + record["account_id"]

    batch = _land_with(conn, small_accounts, unknown)
    with pytest.raises(quality.BatchRejected, match="rows failed the audit"):
        quality.audit_batch(conn, batch.batch_id)
    ledger = conn.execute(
        "select status, rows_accepted from raw.batch_ledger where batch_id = %s", [batch.batch_id]
    )
    assert ledger.fetchone() == ("rejected", 0)
