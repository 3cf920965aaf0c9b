"""`kinerja repair`'s raw layer (kinerja.repair): a damaged day range landed again from the
file drop's archive, the archived API payloads and the simulator, then built and published;
every fingerprinted table (`kinerja warehouse fingerprint`) equal to what it was before the damage.

The warehouse after the raw layer is built and published the way a daily run does it (dbt,
then publish, without Airflow: the history run through Airflow is tested in
tests/integration/orchestration/test_history.py).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime, timedelta

import pytest

from fakeplatforms import FakeClock, FakePlatform
from kinerja import config, publish, repair
from kinerja.warehouse import connect
from kinerja.warehouse.fingerprint import warehouse_fingerprints
from support import DAILY_SELECTION, EXPIRED, REPO, SMALL_REGISTRY, dbt_build, serve_meta

pytestmark = [pytest.mark.integration, pytest.mark.long]

# A TikTok Studio export of 12 to 18 April, dropped for kab-5101, and the simulator's days around it.
EXPORT = REPO / "tests" / "fixtures" / "exports" / "tiktok_overview_sample_en.csv"
WRITTEN = datetime(2026, 6, 13, 12, 0)
DAYS = [date(2026, 4, 17), date(2026, 4, 18), date(2026, 4, 19)]
# Facebook pulled for 5 and 6 October (each with 2 trailing days: the second pull
# restates 4 and 5 October), on the day after each, as the daily runs pull them.
API_DAYS = [date(2026, 10, 5), date(2026, 10, 6)]
BUILT = [*DAYS, *(API_DAYS[0] + timedelta(days=n) for n in range(-2, 2))]


def _build_and_publish(params) -> None:
    """What a daily run does after landing: dbt's daily build of the days landed, then publish."""
    days = json.dumps({"days_to_build": ",".join(day.isoformat() for day in BUILT)})
    result = dbt_build(params, *DAILY_SELECTION, "--vars", days, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    manifest = config.dbt_manifest_path()
    daily = publish.tables_tagged(manifest, "daily") - publish.tables_tagged(manifest, "reference")
    with connect(params, autocommit=True) as conn:
        publish.publish(conn, days=BUILT, only=daily)


def _pull_api_days(monkeypatch) -> None:
    from kinerja.tasks.sources import land_api

    with FakePlatform() as server:
        serve_meta(server)
        monkeypatch.setenv("KINERJA_API_PLATFORMS", "facebook")
        monkeypatch.setenv("KINERJA_API_TRAILING_DAYS", "2")
        monkeypatch.setenv("KINERJA_API_BASE_URL_FACEBOOK", server.base_url + "/v25.0")
        monkeypatch.setenv("KINERJA_TOKEN_FACEBOOK", "EAAGkinerjaTestToken")
        # one Page's token expired: its account delivers nothing, a problem is recorded
        monkeypatch.setenv("KINERJA_TOKEN_FACEBOOK_DEMO_KAB_5101_FACEBOOK", EXPIRED)
        for day in API_DAYS:
            clock = FakeClock(
                datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=10)
            )
            land_api(day, client_options={"clock": clock, "sleep": clock.sleep})
    monkeypatch.delenv("KINERJA_API_BASE_URL_FACEBOOK")  # nothing answers there now: the repair must not ask


def test_a_damaged_range_is_rebuilt_from_the_archive_equal_to_before(warehouse, tmp_path, monkeypatch):
    from kinerja.tasks.sources import land_file_drops, land_simulated_days

    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_REGISTRY_DIR", str(SMALL_REGISTRY))
    monkeypatch.setenv("KINERJA_FILEDROP_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("KINERJA_FILEDROP_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("KINERJA_LANDING_WORKERS", "1")
    monkeypatch.delenv("AIRFLOW_CTX_DAG_ID", raising=False)
    folder = tmp_path / "inbox" / "kab-5101"
    folder.mkdir(parents=True)
    shutil.copy(EXPORT, folder / EXPORT.name)
    os.utime(folder / EXPORT.name, (WRITTEN.timestamp(), WRITTEN.timestamp()))
    land_simulated_days(DAYS, SMALL_REGISTRY)
    land_file_drops(DAYS[-1], today=WRITTEN.date(), registry_dir=SMALL_REGISTRY)
    _pull_api_days(monkeypatch)
    _build_and_publish(warehouse)
    with connect(warehouse) as conn:
        before = warehouse_fingerprints(conn)
        # the API batches of the range: both of 5 October, and the account days of 6 October,
        # which restate 4 and 5 October (its posts are as of 7 October: outside the range)
        api_batches = conn.execute(
            "select batch_id from raw.batch_ledger where source like 'api:%%' and status <> 'superseded'"
            " and (data_day = %s or raw_table = 'raw.account_daily') order by 1",
            [API_DAYS[0]],
        ).fetchall()
        # the damage: a day's rows lost (the simulator's, the export's and the APIs'), a batch's
        # posts lost, and a published row changed
        conn.execute("delete from raw.account_daily where metric_date in (%s, %s)", [DAYS[1], API_DAYS[0]])
        conn.execute(
            "delete from raw.post_daily where batch_id like %s", [f"api:facebook:posts:{API_DAYS[0]}:%"]
        )
        conn.execute("update marts.fct_account_daily set views = 0 where metric_date = %s", [DAYS[1]])
        conn.commit()
        damaged = warehouse_fingerprints(conn)
    assert damaged != before

    done = repair.rebuild_raw(warehouse, DAYS[1], API_DAYS[0], SMALL_REGISTRY)
    _build_and_publish(warehouse)

    # the export's batch has rows on the day (a file is landed again whole), the simulator's days
    # in the range too, and every API batch holding rows, made from the archived payloads
    assert done.simulator_days == DAYS[1:] and done.files == [f"kab-5101/{EXPORT.name}"]
    assert done.api_batches == [b for (b,) in api_batches] and len(done.api_batches) == 3
    with connect(warehouse) as conn:
        after = warehouse_fingerprints(conn)
        assert {t for t in before if before[t] != after[t]} == set()
        assert after == before

        # a payload gone from the archive: the repair names the account and the request, and stops
        conn.execute(
            "delete from raw.source_payloads where data_day = %s and request like %s",
            [API_DAYS[1], "%/posts?%"],
        )
        with pytest.raises(repair.RepairError) as missing:
            repair.plan(conn, API_DAYS[1], API_DAYS[1], SMALL_REGISTRY)
        assert "api:facebook 2026-10-06: Facebook account demo-" in str(missing.value)
        assert "no archived answer to GET /" in str(missing.value) and "--pull-again" in str(missing.value)
        # ... unless the operator chooses to pull the days again
        assert repair.plan(conn, API_DAYS[1], API_DAYS[1], SMALL_REGISTRY, pull_again=True)[
            0
        ].api_batches_left


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
