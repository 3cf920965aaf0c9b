"""Run the DAGs through Airflow itself, on this machine, without a scheduler.

`make run` uses this: it prepares the Airflow metadata database on the warehouse's
server, then creates real DAG runs with `dag.test()` (tasks run in this process, one
after another, recorded in the metadata database like any run).
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kinerja import config
from kinerja import dbt_commands as dbt
from kinerja.config import PgParams
from kinerja.warehouse.connection import AIRFLOW_DATABASE, ensure_database

log = logging.getLogger(__name__)

DAILY_DAG = "kinerja_daily"
MONTHLY_DAG = "kinerja_monthly"


class DagRunFailed(RuntimeError):
    pass


def prepare(params: PgParams, airflow_url: str | None = None) -> None:
    """Set this process's environment for Airflow and the DAGs' tasks, then migrate Airflow's database.

    Must run before anything imports airflow: Airflow reads its configuration at import.
    dbt's settings are not written here: dbt gets them as arguments (Cosmos' operator
    `env`, built when the DAG files are parsed; `env=` of the dbt subprocess).
    """
    if airflow_url is None:
        airflow_url = config.airflow_metadata_url(ensure_database(params, AIRFLOW_DATABASE))
    # Airflow's configuration is its environment, read once, at import: no argument reaches it.
    os.environ.update(config.airflow_environment(airflow_url))
    # The DAG files are parsed by a DagBag and their tasks run by dag.test() in this process:
    # both find the warehouse the way every scheduled task does, through config.warehouse_params()
    # (the dbt task groups derive dbt's environment from it at parse time). Neither takes an
    # argument that could carry it, so it goes where a scheduler's tasks find it.
    os.environ[config.WAREHOUSE_URL_ENV] = params.conninfo()
    # One-shot local runs fail fast and say why; scheduled runs keep their retries. The DAG
    # files read it at parse time (dag_defaults), like the URL above.
    os.environ.setdefault("KINERJA_TASK_RETRIES", "0")
    dbt.parse(params)
    _migrate_metadata()


def _migrate_metadata() -> None:
    from airflow.models.pool import Pool
    from airflow.utils import db

    from kinerja.orchestration.dag_defaults import DBT_POOL

    db.initdb()
    # one dbt build at a time: concurrent builds of the same models collide
    Pool.create_or_update_pool(
        DBT_POOL, slots=1, description="one dbt build at a time", include_deferred=False
    )


def _dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(config.dags_dir()))
    if bag.import_errors:
        raise DagRunFailed(f"DAG import errors: {bag.import_errors}")
    return bag.get_dag(dag_id)


def _run(dag, logical_date: datetime, conf: dict | None = None) -> None:
    from kinerja.orchestration.task_logs import task_log_files

    with _old_objects_frozen(), task_log_files():
        dag_run = dag.test(logical_date=logical_date, run_conf=conf)
    _start_when_created(dag_run)
    if dag_run.state != "success":
        failed = [ti.task_id for ti in dag_run.get_task_instances() if ti.state == "failed"]
        raise DagRunFailed(
            f"{dag.dag_id} run for {logical_date:%Y-%m-%d} ended {dag_run.state}; failed tasks: {failed}. "
            f"Each task's log is in the Airflow UI (make airflow) and under {config.airflow_home() / 'logs'}"
        )


def _start_when_created(dag_run) -> None:
    """Record the run's real start in Airflow's database: the moment dag.test() created it.

    dag.test() gives a run the start date of its logical date, so the UI showed a history
    run of a month, minutes of work, as lasting weeks. The run was created when it was due,
    `run_after` (dag.test's "now"), just before its first task.
    """
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import update

    with create_session() as session:
        session.execute(update(DagRun).where(DagRun.id == dag_run.id).values(start_date=DagRun.run_after))


@contextmanager
def _old_objects_frozen() -> Iterator[None]:
    """Keep what exists before a DAG run out of the garbage collections during it.

    Cosmos runs a full collection after every dbt task (cosmos.dbt.runner), which in a
    process holding Airflow, dbt and earlier runs scans every one of their objects: about
    a quarter of a DAG run's time (bench/RESULTS.md). Frozen, they are not scanned; they
    are unfrozen afterwards, so that what becomes garbage later is still collected.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def tz_datetime(day: date, hour: int) -> datetime:
    import pendulum

    return datetime.combine(day, time(hour), tzinfo=pendulum.timezone(config.DEFAULT_TIMEZONE))


def run_daily(days: list[date], on_day_done: Callable[[date], None] | None = None) -> None:
    """One kinerja_daily run per day, in order: each at the hour its schedule fires
    (config.DAILY_RUN_HOUR) on the day after, which gives it the data interval of that day."""
    dag = _dag(DAILY_DAG)
    for day in days:
        _run(dag, tz_datetime(day + timedelta(days=1), config.DAILY_RUN_HOUR))
        if on_day_done:
            on_day_done(day)


def run_range(first_day: date, last_day: date, pull_api: bool = True) -> None:
    """One kinerja_daily history run that lands `first_day`..`last_day` and builds, audits and
    publishes them once. Its logical date is that of the scheduled run of `last_day`. `pull_api`
    false: the API source pulls nothing (a repair landed its batches from the archive)."""
    dag = _dag(DAILY_DAG)
    conf = {"first_day": first_day.isoformat(), "last_day": last_day.isoformat()}
    if not pull_api:
        conf["pull_api"] = False
    _run(dag, tz_datetime(last_day + timedelta(days=1), config.DAILY_RUN_HOUR), conf)


@dataclass(frozen=True)
class RangeProgress:
    days_landed: int  # days of the range with an account-day batch landed during the run
    days_audited: int  # ... and audited
    running: str | None  # the task running now
    finished: bool = False


@contextmanager
def watching_range(
    params: PgParams,
    first_day: date,
    last_day: date,
    report: Callable[[RangeProgress], None],
    every: float = 1.0,
) -> Iterator[None]:
    """While the block runs a history run, call `report` every `every` seconds from a thread with
    how far it got: read from the ledger and from Airflow's task instances, as the UI would."""
    from kinerja.warehouse import connect

    stop = threading.Event()
    with connect(params, autocommit=True) as conn:
        started = conn.execute("select clock_timestamp()").fetchone()[0]

        def watch() -> None:
            while not stop.wait(every):
                try:
                    report(RangeProgress(*_days_done(conn, first_day, last_day, started), _running_task()))
                except Exception:  # progress is a view: the run goes on without it
                    log.debug("no progress this time", exc_info=True)

        watcher = threading.Thread(target=watch, name="kinerja-progress", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
            report(RangeProgress(*_days_done(conn, first_day, last_day, started), None, finished=True))


def _days_done(conn, first_day: date, last_day: date, since: datetime) -> tuple[int, int]:
    """Days of the range landed, and audited, since `since`."""
    if conn.execute("select to_regclass('raw.batch_ledger')").fetchone()[0] is None:
        return 0, 0  # a new warehouse: the run's first task creates the tables
    return conn.execute(
        """
        select count(distinct data_day) filter (where landed_at >= %(since)s),
               count(distinct data_day) filter (where audited_at >= %(since)s)
        from raw.batch_ledger
        where raw_table = 'raw.account_daily' and data_day between %(first)s and %(last)s
        """,
        {"first": first_day, "last": last_day, "since": since},
    ).fetchone()


def _running_task() -> str | None:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        running = (
            session.query(TaskInstance.task_id)
            .filter(TaskInstance.dag_id == DAILY_DAG, TaskInstance.state == "running")
            .first()
        )
    return running[0] if running else None


def run_monthly(month: date) -> None:
    """The kinerja_monthly run of `month` (first day of the month)."""
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    _run(_dag(MONTHLY_DAG), tz_datetime(next_month, config.MONTHLY_RUN_HOUR))


def days_of_month(month: date) -> list[date]:
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [month + timedelta(days=i) for i in range((next_month - month).days)]


def last_complete_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
