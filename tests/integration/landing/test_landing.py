"""Landing: idempotent by content, atomic, concurrent-safe, ledgered."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date

import psycopg
import pytest

from kinerja import landing
from kinerja.landing.batches import replace_with_accepted
from kinerja.sources import simulator
from kinerja.warehouse.fingerprint import table_fingerprint

DAY = date(2026, 10, 5)

pytestmark = pytest.mark.integration


def _ledger_totals(conn):
    return conn.execute(
        "select count(*), sum(rows_in), count(*) filter (where status = 'landed') from raw.batch_ledger"
    ).fetchone()


def _land(conn, accounts, day=DAY, records=None):
    return landing.land_batch(
        conn, "simulator", day, records if records is not None else simulator.simulate_day(accounts, day)
    )


def _accept(conn, batch, raw_table="raw.account_daily"):
    """What the audit does when it accepts a batch (the audit itself: test_replacement.py)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("update raw.batch_ledger set status = 'accepted' where batch_id = %s", [batch.batch_id])
        replace_with_accepted(cur, raw_table, batch.batch_id)
    return batch


def test_landing_a_day_twice_leaves_the_same_content(conn, small_accounts):
    first = _land(conn, small_accounts)
    content, totals = table_fingerprint(conn, "raw.account_daily"), _ledger_totals(conn)
    second = _land(conn, small_accounts)
    assert second.batch_id == first.batch_id
    assert table_fingerprint(conn, "raw.account_daily") == content
    assert _ledger_totals(conn) == totals == (1, len(small_accounts), 1)
    assert conn.execute("select land_count from raw.batch_ledger").fetchone()[0] == 2


def test_landing_concurrently_from_two_processes(conn, warehouse, small_accounts):
    from support import SMALL_REGISTRY

    code = (
        "import sys; from datetime import date; from kinerja import landing; from kinerja.config import PgParams;"
        "from kinerja.registry.load import read_accounts; from kinerja.sources import simulator;"
        "from kinerja.warehouse import connect; from pathlib import Path;"
        "accounts = read_accounts(Path(sys.argv[2]));"
        "conn = connect(PgParams.from_url(sys.argv[1]));"
        "landing.land_batch(conn, 'simulator', date(2026, 10, 5), simulator.simulate_day(accounts, date(2026, 10, 5)))"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code, warehouse.conninfo(), str(SMALL_REGISTRY)])
        for _ in range(2)
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    concurrent = table_fingerprint(conn, "raw.account_daily")
    assert _ledger_totals(conn) == (1, len(small_accounts), 1)
    conn.execute("truncate raw.account_daily, raw.batch_ledger")
    _land(conn, small_accounts)
    assert table_fingerprint(conn, "raw.account_daily") == concurrent


def test_a_failure_in_the_middle_of_the_copy_leaves_the_partition_intact(conn, small_accounts):
    _land(conn, small_accounts)
    before, totals = table_fingerprint(conn, "raw.account_daily"), _ledger_totals(conn)

    def breaks_halfway():
        for number, record in enumerate(simulator.simulate_day(small_accounts, DAY)):
            if number == len(small_accounts) // 2:
                raise ConnectionError("source went away in the middle of the batch")
            yield {**record, "followers": record["followers"] + 1}

    with pytest.raises(ConnectionError):
        _land(conn, small_accounts, records=breaks_halfway())
    assert table_fingerprint(conn, "raw.account_daily") == before
    assert _ledger_totals(conn) == totals


def test_a_restated_batch_replaces_only_the_rows_it_carries(conn, small_accounts):
    first = _land(conn, small_accounts)
    restated = [
        {**r, "views": r["views"] + 1000}
        for r in simulator.simulate_day(small_accounts, DAY)
        if r["platform"] == "instagram"
    ]
    second = _accept(conn, _land(conn, small_accounts, records=iter(restated)))
    counts = dict(
        conn.execute("select batch_id, count(*) from raw.account_daily group by batch_id").fetchall()
    )
    assert counts == {first.batch_id: len(small_accounts) - len(restated), second.batch_id: len(restated)}
    instagram_rows = conn.execute(
        "select count(*) from raw.account_daily where platform = 'instagram'"
    ).fetchone()
    assert instagram_rows[0] == len(restated)


def test_an_earlier_batch_fully_replaced_is_marked_superseded(conn, small_accounts):
    first = _land(conn, small_accounts)
    changed = [{**r, "posts": r["posts"] + 1} for r in simulator.simulate_day(small_accounts, DAY)]
    _accept(conn, _land(conn, small_accounts, records=iter(changed)))
    status = conn.execute(
        "select status from raw.batch_ledger where batch_id = %s", [first.batch_id]
    ).fetchone()
    assert status == ("superseded",)


def test_landing_is_one_transaction(warehouse, small_accounts):
    """A caller's surrounding failure after COPY rolls the whole batch back."""
    from kinerja.warehouse import connect

    with connect(warehouse) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero), conn.transaction():
            _land(conn, small_accounts)
            conn.execute("select 1 / 0")
        assert conn.execute("select count(*) from raw.account_daily").fetchone()[0] == 0


def _post(account_id, post_id, views, as_of=DAY):
    from datetime import datetime

    from kinerja.sources.base import NoValue, post_record

    published = datetime(2026, 10, 4, 3, 0, tzinfo=UTC)
    values = {"views": views, "likes": 3, "comments": 0, "shares": 1}
    return post_record(
        "facebook", account_id, post_id, as_of, published, "photo", values, {"reach": NoValue.BELOW_THRESHOLD}
    )


def test_posts_land_with_their_no_value_reasons_and_replace_their_account_day(conn):
    first = landing.land_posts(conn, "simulator", DAY, [_post("acc-1", "p1", 10), _post("acc-1", "p2", 20)])
    assert first.batch_id.startswith("simulator:posts:2026-10-05:")
    # the account's posts of that day are replaced as a whole: p2 was deleted on the platform
    second = _accept(
        conn, landing.land_posts(conn, "simulator", DAY, [_post("acc-1", "p1", 15)]), "raw.post_daily"
    )
    rows = conn.execute(
        "select post_id, views, reach, no_value->>'reach', no_value->>'saves' from raw.post_daily"
    ).fetchall()
    assert rows == [("p1", 15, None, "below_threshold", "not_reported")]
    statuses = dict(
        conn.execute("select batch_id, status from raw.batch_ledger where raw_table = 'raw.post_daily'")
    )
    assert statuses == {first.batch_id: "superseded", second.batch_id: "accepted"}


def test_post_batches_and_account_day_batches_do_not_supersede_each_other(conn, small_accounts):
    days = _land(conn, small_accounts)
    landing.land_posts(conn, "simulator", DAY, [_post("acc-1", "p1", 10)])
    assert conn.execute(
        "select status from raw.batch_ledger where batch_id = %s", [days.batch_id]
    ).fetchone() == ("landed",)


def test_days_and_posts_land_together_in_one_transaction(warehouse, small_accounts):
    from kinerja.warehouse import connect

    with connect(warehouse) as conn:
        with conn.transaction():
            _land(conn, small_accounts)
            landing.land_posts(conn, "simulator", DAY, [_post("acc-1", "p1", 10)])
        landed = conn.execute(
            "select (select count(*) from raw.account_daily), (select count(*) from raw.post_daily)"
        )
        assert landed.fetchone() == (len(small_accounts), 1)


def test_a_value_not_observed_by_a_repull_keeps_the_earlier_one(conn):
    from kinerja.sources.base import NoValue, account_day_record

    def day(views, followers, missing):
        values = {"views": views, "followers": followers, "posts": 1}
        return account_day_record("instagram", "acc-1", DAY, values, missing)

    _accept(conn, landing.land_batch(conn, "api:instagram", DAY, [day(100, 5000, {})]))
    # the re-pull of a trailing day restates views; the follower level was only visible on its day
    repull = [day(120, None, {"followers": NoValue.NOT_OBSERVED})]
    _accept(conn, landing.land_batch(conn, "api:instagram", DAY, repull))
    row = conn.execute("select views, followers, no_value ? 'followers' from raw.account_daily").fetchone()
    assert row == (120, 5000, False)
    # a value the platform reports as missing (not "not observed") does replace the earlier one
    _accept(
        conn, landing.land_batch(conn, "api:instagram", DAY, [day(120, None, {"followers": NoValue.HIDDEN})])
    )
    row = conn.execute("select followers, no_value->>'followers' from raw.account_daily").fetchone()
    assert row == (None, "hidden")


def test_text_that_copy_must_escape_lands_as_it_was_sent(conn):
    from kinerja.sources.base import account_day_record

    odd = "acc\\with\ttab"
    landing.land_batch(conn, "filedrop", DAY, [account_day_record("x", odd, DAY, {"posts": 2})])
    assert conn.execute("select account_id, posts from raw.account_daily").fetchone() == (odd, 2)


def test_a_batch_landed_again_after_a_partial_restatement_takes_its_partitions_back(conn, small_accounts):
    first = _land(conn, small_accounts)
    content = table_fingerprint(conn, "raw.account_daily")
    restated = [{**r, "views": r["views"] + 1} for r in simulator.simulate_day(small_accounts, DAY)][:5]
    _accept(conn, _land(conn, small_accounts, records=iter(restated)))
    assert table_fingerprint(conn, "raw.account_daily") != content
    again = _accept(conn, _land(conn, small_accounts))
    assert again.batch_id == first.batch_id
    assert table_fingerprint(conn, "raw.account_daily") == content
