"""The watchdog notices a daily run that never happened: by data (landing completeness) and by dbt
source freshness, through a real kinerja_watchdog DAG run."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kinerja import config
from kinerja import monitoring as watchdog
from kinerja.tasks import registry as registry_tasks
from kinerja.tasks import sources
from kinerja.tasks.monitoring import watch_source_freshness

pytestmark = pytest.mark.integration

WIB = ZoneInfo(config.DEFAULT_TIMEZONE)


def test_expected_day_follows_the_daily_schedule():
    # day D lands at D+1 06:00 WIB; with 6 hours' grace it is due at D+1 12:00
    assert watchdog.expected_day(datetime(2026, 10, 6, 11, 59, tzinfo=WIB)) == date(2026, 10, 4)
    assert watchdog.expected_day(datetime(2026, 10, 6, 12, 0, tzinfo=WIB)) == date(2026, 10, 5)


@pytest.fixture
def watched_warehouse(airflow_pipeline, server, monkeypatch):
    """A warehouse of this test's own, which the DAG's tasks and dbt use; its watchdog runs are forgotten after."""
    from kinerja.warehouse import connect, ensure_database
    from kinerja.warehouse.schema import apply_ddl

    params = ensure_database(server, f"kinerja_watchdog_{uuid.uuid4().hex[:10]}")
    with connect(params) as conn:
        apply_ddl(conn)
    # the DAG files derive dbt's environment from it when parsed
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", params.conninfo())
    monkeypatch.setenv("KINERJA_SOURCES", "simulator,filedrop")
    yield params
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(DagRun).filter(DagRun.dag_id == "kinerja_watchdog").delete(synchronize_session=False)
    with connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{params.dbname}" with (force)')


def _watchdog_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(config.dags_dir()))
    assert bag.import_errors == {}
    return bag.get_dag("kinerja_watchdog")


def test_the_watchdog_passes_while_days_land_and_names_the_last_landed_day_when_they_stop(watched_warehouse):
    from kinerja.warehouse import connect

    registry_tasks.sync_registry()
    # an old day only: the raw sources are stale by their dbt freshness (the end of 5 January in WIB, in UTC)
    sources.land_simulated_day(date(2026, 1, 5))
    with pytest.raises(
        watchdog.WatchdogAlarm, match=r"stale sources: raw\.account_daily: newest 2026-01-05T17:00:00"
    ):
        watch_source_freshness()

    now = datetime.now(WIB)
    yesterday = now.date() - timedelta(days=1)
    for back in range(watchdog.LOOKBACK_DAYS, -1, -1):
        sources.land_simulated_day(yesterday - timedelta(days=back))
    dag = _watchdog_dag()

    run = dag.test(logical_date=now)
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {
        "landing_completeness": "success",
        "source_freshness": "success",
        "run_durations": "success",
    }, states

    # three days later nothing more has landed: the daily DAG stopped
    later = now + timedelta(days=3)
    run = dag.test(logical_date=later)
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert run.state == "failed" and states["landing_completeness"] == "failed", states
    with connect(watched_warehouse) as conn, pytest.raises(watchdog.WatchdogAlarm) as alarm:
        watchdog.check_landing(conn, later)
    message = str(alarm.value)
    due = watchdog.expected_day(later)
    for platform in ("facebook", "instagram", "tiktok", "x", "youtube"):
        assert f"{platform}: last landed day {yesterday}; missing" in message
    assert f"{due} (0 of " in message and "kinerja_daily is not paused" in message


def test_a_platform_that_stops_is_named_alone_and_the_file_drop_alone_expects_nothing(
    watched_warehouse, monkeypatch
):
    from kinerja import landing
    from kinerja.quality import account_days as quality
    from kinerja.registry.load import read_accounts
    from kinerja.sources import simulator
    from kinerja.warehouse import connect

    registry_tasks.sync_registry()
    day = date(2026, 10, 5)
    accounts = read_accounts(config.registry_dir())
    with connect(watched_warehouse) as conn:
        for back in range(watchdog.LOOKBACK_DAYS + 1):  # the days judged at 11:59 and at 12:00
            records = [
                r
                for r in simulator.simulate_day(accounts, day - timedelta(days=back))
                if r["platform"] != "youtube" or back > 0
            ]  # YouTube's last day did not come
            batch = landing.land_batch(conn, "simulator", day - timedelta(days=back), records)
            quality.audit_batch(conn, batch.batch_id)
        due = datetime(2026, 10, 6, 12, 0, tzinfo=WIB)
        with pytest.raises(watchdog.WatchdogAlarm) as alarm:
            watchdog.check_landing(conn, due)
        assert "youtube: last landed day 2026-10-04; missing 2026-10-05 (0 of " in str(alarm.value)
        assert "instagram" not in str(alarm.value)
        assert watchdog.check_landing(conn, due - timedelta(minutes=1))["expected_day"] == "2026-10-04"

    # the same check by hand: a table per platform, the alarm, exit 1
    from typer.testing import CliRunner

    from kinerja.cli import app

    result = CliRunner().invoke(app, ["watchdog", "--at", "2026-10-06T12:00", "--no-freshness"])
    assert result.exit_code == 1, result.output
    assert "youtube" in result.output and "2026-10-05 (0/13)" in result.output
    assert "kinerja_daily is not paused" in result.output
    ok = CliRunner().invoke(app, ["watchdog", "--at", "2026-10-06T11:59", "--no-freshness"])
    assert ok.exit_code == 0 and "every day due has landed" in ok.output, ok.output

    monkeypatch.setenv("KINERJA_SOURCES", "filedrop")
    with connect(watched_warehouse) as conn:
        assert watchdog.check_landing(conn, due)["platforms"] == {}
