"""A history run (one kinerja_daily run over a range of days) against the daily runs of those days."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from kinerja import config
from kinerja.landing.plan import days_between
from kinerja.orchestration import runner
from kinerja.warehouse import connect, ensure_database
from kinerja.warehouse.fingerprint import warehouse_fingerprints
from kinerja.warehouse.schema import apply_ddl

pytestmark = [pytest.mark.integration, pytest.mark.long]

DAYS = days_between(date(2026, 8, 1), date(2026, 8, 3))

# What the runs did rather than what the warehouse holds: one history run audits its build
# once where the daily runs audit it once a day.
RECORDS_OF_THE_RUNS = {"audit.validation_results"}


@pytest.fixture
def warehouses(airflow_pipeline, server, monkeypatch):
    """A function pointing the DAGs' tasks and dbt at a new warehouse of this test's own."""
    monkeypatch.setenv("KINERJA_LANDING_WORKERS", "2")  # the days land in parallel processes
    made = []

    def fresh():
        params = ensure_database(server, f"kinerja_history_{uuid.uuid4().hex[:10]}")
        with connect(params) as conn:
            apply_ddl(conn)
        # the DAG files derive dbt's environment from it when parsed, the tasks connect to it
        monkeypatch.setenv("KINERJA_WAREHOUSE_URL", params.conninfo())
        made.append(params)
        return params

    yield fresh
    _forget_runs()
    with connect(server, autocommit=True) as conn:
        for params in made:
            conn.execute(f'drop database if exists "{params.dbname}" with (force)')


def _forget_runs() -> None:
    """The end-to-end test counts the daily runs and asset events in Airflow's database."""
    from airflow.models.asset import AssetEvent
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    logical = [runner.tz_datetime(day + timedelta(days=1), config.DAILY_RUN_HOUR) for day in DAYS]
    with create_session() as session:
        session.query(DagRun).filter(
            DagRun.dag_id == "kinerja_daily", DagRun.logical_date.in_(logical)
        ).delete(synchronize_session=False)
        for event in session.query(AssetEvent).all():
            if (event.extra or {}).get("data_day") in {day.isoformat() for day in DAYS}:
                session.delete(event)


def _content(params) -> dict[str, str]:
    with connect(params) as conn:
        return {
            table: digest
            for table, digest in warehouse_fingerprints(conn).items()
            if table not in RECORDS_OF_THE_RUNS
        }


def test_a_history_run_leaves_the_warehouse_the_daily_runs_of_its_days_leave(warehouses):
    daily = warehouses()
    runner.run_daily(DAYS)
    by_day = _content(daily)

    history = warehouses()
    runner.run_range(DAYS[0], DAYS[-1])
    at_once = _content(history)

    with connect(history) as conn:
        facts = conn.execute(
            "select count(distinct metric_date), count(*) from marts.fct_account_daily"
        ).fetchone()
        ledger = conn.execute(
            "select count(*), count(*) filter (where published_at is null) from raw.batch_ledger"
        ).fetchone()
    assert facts == (len(DAYS), len(DAYS) * 65)  # every account of the small registry, every day
    assert ledger == (2 * len(DAYS), 0)  # account days and posts of each day, all published
    assert {table for table in by_day if by_day[table] != at_once.get(table)} == set()
    assert by_day.keys() == at_once.keys()


def test_every_day_of_a_range_is_tried_and_the_failures_are_named(warehouse, monkeypatch, tmp_path):
    from kinerja.tasks.sources import SourceFailed, land_simulated_days

    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_LANDING_WORKERS", "2")
    with pytest.raises(SourceFailed) as failed:
        land_simulated_days(DAYS, registry_dir=tmp_path / "no-registry")
    message = str(failed.value)
    assert message.startswith(f"{len(DAYS)} of {len(DAYS)} day(s) failed")
    assert all(f"{day}: RegistryError" in message for day in DAYS)
    assert "accounts.csv: file not found" in message
