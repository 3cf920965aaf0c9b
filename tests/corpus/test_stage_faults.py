"""Faults of the stages after a file is read: a process killed in the middle of a COPY, and the
warehouse going away in the middle of a run. Nothing partial stays, nothing is lost, a re-run lands it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date

import psycopg
import pytest

from kinerja import landing
from kinerja.landing import filedrop
from kinerja.landing.filedrop import land_dropped_files
from kinerja.sources import simulator
from kinerja.sources.filedrop.inbox import read_inbox
from kinerja.warehouse import connect
from kinerja.warehouse.fingerprint import table_fingerprint
from support import SMALL_REGISTRY

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 5)
RECEIVED = date(2026, 6, 13)
TOTALS = "Date,Views\n01-06-2026,100\n02-06-2026,200\n03-06-2026,300\n"

# A landing that stops in the middle of its COPY (after the first chunk went to the server)
# and waits there to be killed: the COPY is open, the transaction not committed.
_STOPS_IN_COPY = """
import sys, time
from datetime import date
from pathlib import Path
import psycopg
from kinerja import landing
from kinerja.config import PgParams
from kinerja.registry.load import read_accounts
from kinerja.sources import simulator
from kinerja.warehouse import connect

write = psycopg.Copy.write
def write_then_wait(self, buffer):
    write(self, buffer)
    print("in the copy", flush=True)
    time.sleep(600)
psycopg.Copy.write = write_then_wait
accounts = read_accounts(Path(sys.argv[2]))
records = [{**r, "views": r["views"] + 1} for r in simulator.simulate_day(accounts, date(2026, 10, 5))]
landing.land_batch(connect(PgParams.from_url(sys.argv[1])), "simulator", date(2026, 10, 5), records)
"""


def test_kill_9_in_the_middle_of_a_copy_leaves_no_partial_batch(conn, warehouse, small_accounts):
    landing.land_batch(conn, "simulator", DAY, simulator.simulate_day(small_accounts, DAY))
    tables = ("raw.account_daily", "raw.batch_ledger")
    before = {table: table_fingerprint(conn, table) for table in tables}
    process = subprocess.Popen(
        [sys.executable, "-c", _STOPS_IN_COPY, warehouse.conninfo(), str(SMALL_REGISTRY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "in the copy"
        copying = conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() and query ilike 'copy raw.%%'"
        ).fetchone()[0]
        assert copying == 1
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    for _ in range(100):  # the server notices the lost client and rolls its transaction back
        if not conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
            " and state <> 'idle'"
        ).fetchone()[0]:
            break
        time.sleep(0.1)
    assert {table: table_fingerprint(conn, table) for table in tables} == before
    # no lock is left behind: the same restatement lands at once, whole
    restated = [{**r, "views": r["views"] + 1} for r in simulator.simulate_day(small_accounts, DAY)]
    batch = landing.land_batch(conn, "simulator", DAY, restated)
    assert conn.execute(
        "select count(*) from raw.account_daily where batch_id = %s", [batch.batch_id]
    ).fetchone() == (len(restated),)


def test_the_warehouse_going_away_mid_run_stops_the_run_and_a_rerun_lands_the_rest(
    conn, warehouse, small_accounts, tmp_path, monkeypatch
):
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    for institution in ("kab-5101", "kab-5102", "kab-5103"):
        (inbox / institution).mkdir(parents=True)
        (inbox / institution / "totals.csv").write_text(TOTALS)
    land_one = filedrop.land_dropped_file
    landed = []

    def warehouse_gone_after_the_first(connection, dropped, archive_dir):
        if landed:  # the server ends every session, as a shutdown does
            conn.execute("select pg_terminate_backend(%s)", [connection.info.backend_pid])
        landed.append(dropped.drop.folder)
        return land_one(connection, dropped, archive_dir)

    monkeypatch.setattr(filedrop, "land_dropped_file", warehouse_gone_after_the_first)
    with connect(warehouse) as run, pytest.raises(psycopg.OperationalError):
        land_dropped_files(run, read_inbox(run, inbox, small_accounts, RECEIVED), archive)
    recorded = conn.execute("select institution_id, status from raw.filedrop_files").fetchall()
    assert recorded == [(landed[0], "landed")]
    waiting = sorted(p.parent.name for p in inbox.glob("kab-*/totals.csv"))
    assert waiting == sorted({"kab-5101", "kab-5102", "kab-5103"} - {landed[0]})  # nothing lost
    assert conn.execute("select count(*) from raw.account_daily").fetchone() == (3,)

    monkeypatch.setattr(filedrop, "land_dropped_file", land_one)
    with connect(warehouse) as rerun:
        report = land_dropped_files(rerun, read_inbox(rerun, inbox, small_accounts, RECEIVED), archive)
    assert dict(report.counts) == {"landed": 2}
    assert conn.execute("select count(*), count(distinct account_id) from raw.account_daily").fetchone() == (
        9,
        3,
    )
    assert not list(inbox.glob("kab-*/totals.csv"))
