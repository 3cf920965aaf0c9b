"""`kinerja repair`'s raw layer (kinerja.repair): a damaged day range landed again from the
file drop's archive and the simulator, then built and published; every fingerprinted table
(`kinerja warehouse fingerprint`) equal to what it was before the damage.

The warehouse after the raw layer is built and published the way a daily run does it (dbt,
then publish, without Airflow: the history run through Airflow is tested in
tests/integration/orchestration/test_history.py).
"""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime

import pytest

from kinerja import config, publish, repair
from kinerja import dbt_commands as dbt
from kinerja.landing.plan import window
from kinerja.warehouse import connect
from kinerja.warehouse.fingerprint import warehouse_fingerprints
from support import DAILY_BUILD, REPO, SMALL_REGISTRY, daily_vars

pytestmark = [pytest.mark.integration, pytest.mark.long]

# A TikTok Studio export of 12 to 18 April, dropped for kab-5101, and the simulator's days around it.
EXPORT = REPO / "tests" / "fixtures" / "exports" / "tiktok_overview_sample_en.csv"
WRITTEN = datetime(2026, 6, 13, 12, 0)
DAYS = [date(2026, 4, 17), date(2026, 4, 18), date(2026, 4, 19)]


def _build_and_publish(params) -> None:
    """What a daily run of the last day does after landing: dbt's daily build, then publish."""
    result = dbt.run_dbt(params, *DAILY_BUILD, "--vars", daily_vars(DAYS[-1]), check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    manifest = config.dbt_manifest_path()
    daily = publish.tables_tagged(manifest, "daily") - publish.tables_tagged(manifest, "reference")
    with connect(params, autocommit=True) as conn:
        publish.publish(conn, days=window(DAYS[-1], config.TRAILING_DAYS), only=daily)


def test_a_damaged_range_is_rebuilt_from_the_archive_equal_to_before(warehouse, tmp_path, monkeypatch):
    from kinerja.tasks.sources import land_file_drops, land_simulated_days

    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_FILEDROP_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("KINERJA_FILEDROP_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("KINERJA_LANDING_WORKERS", "1")
    folder = tmp_path / "inbox" / "kab-5101"
    folder.mkdir(parents=True)
    shutil.copy(EXPORT, folder / EXPORT.name)
    os.utime(folder / EXPORT.name, (WRITTEN.timestamp(), WRITTEN.timestamp()))
    land_simulated_days(DAYS, SMALL_REGISTRY)
    land_file_drops(DAYS[-1], today=WRITTEN.date(), registry_dir=SMALL_REGISTRY)
    _build_and_publish(warehouse)
    with connect(warehouse) as conn:
        before = warehouse_fingerprints(conn)
        # the damage: a day's rows lost (the simulator's and the export's), and a published row changed
        conn.execute("delete from raw.account_daily where metric_date = %s", [DAYS[1]])
        conn.execute("update marts.fct_account_daily set views = 0 where metric_date = %s", [DAYS[1]])
        conn.commit()
        damaged = warehouse_fingerprints(conn)
    assert damaged != before

    done = repair.rebuild_raw(warehouse, DAYS[1], DAYS[1], SMALL_REGISTRY)
    _build_and_publish(warehouse)

    # the export's batch has rows on the day (a file is landed again whole), the simulator's day too
    assert done.simulator_days == DAYS[1:] and done.files == [f"kab-5101/{EXPORT.name}"]
    with connect(warehouse) as conn:
        after = warehouse_fingerprints(conn)
    assert {t for t in before if before[t] != after[t]} == set()
    assert after == before


def test_a_missing_archived_file_stops_the_repair_before_anything_is_taken_out(
    warehouse, tmp_path, monkeypatch
):
    with connect(warehouse) as conn:
        conn.execute(
            "insert into raw.batch_ledger (batch_id, source, data_day, status, rows_in, rows_accepted,"
            " rows_rejected, checksum) values ('filedrop:2026-04-18:x', 'filedrop', '2026-04-18', 'accepted', 0, 0, 0, 'x')"
        )
        conn.execute(
            "insert into raw.filedrop_files (institution_id, sha256, original_name, archive_path, status, batch_ids)"
            " values ('kab-5101', 'abc', 'export.csv', %s, 'landed', array['filedrop:2026-04-18:x'])",
            [str(tmp_path / "gone.csv")],
        )
        conn.commit()
        with pytest.raises(repair.RepairError, match="gone.csv is missing: restore the archive first"):
            repair.plan(conn, DAYS[1], DAYS[1])
        # a file drop batch whose file record is gone: its file cannot be found, nothing is taken out
        conn.execute("delete from raw.filedrop_files")
        conn.commit()
        with pytest.raises(
            repair.RepairError, match=r"filedrop:2026-04-18:x have no record in raw.filedrop_files"
        ):
            repair.plan(conn, DAYS[1], DAYS[1])
        assert conn.execute("select count(*) from raw.batch_ledger").fetchone() == (1,)
