"""The run history in the warehouse (`ops.dag_runs`, `ops.task_runs`): one row per DAG run and task try.

The Airflow listener plugin `plugins/kinerja_run_history.py` calls these with plain values
as runs and tasks start and end; a later call for the same run or try updates its row
(a state only moves forward: a row that ended keeps its end when a late "running" arrives).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources

import psycopg


@dataclass(frozen=True)
class DagRunEvent:
    dag_id: str
    run_id: str
    state: str
    run_type: str | None = None
    logical_date: datetime | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None
    data_day: date | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    message: str | None = None


@dataclass(frozen=True)
class TaskRunEvent:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    state: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    hostname: str | None = None
    error: str | None = None


_RECORD_DAG_RUN = """
insert into ops.dag_runs (dag_id, run_id, run_type, logical_date, data_interval_start, data_interval_end,
                          data_day, state, started_at, ended_at, message)
values (%(dag_id)s, %(run_id)s, %(run_type)s, %(logical_date)s, %(data_interval_start)s,
        %(data_interval_end)s, %(data_day)s, %(state)s, %(started_at)s, %(ended_at)s, %(message)s)
on conflict (dag_id, run_id) do update set
    run_type = coalesce(excluded.run_type, ops.dag_runs.run_type),
    logical_date = coalesce(excluded.logical_date, ops.dag_runs.logical_date),
    data_interval_start = coalesce(excluded.data_interval_start, ops.dag_runs.data_interval_start),
    data_interval_end = coalesce(excluded.data_interval_end, ops.dag_runs.data_interval_end),
    data_day = coalesce(excluded.data_day, ops.dag_runs.data_day),
    -- a cleared run starts again: its new start replaces the old one, and its end is open again
    state = excluded.state,
    started_at = coalesce(excluded.started_at, ops.dag_runs.started_at),
    ended_at = case when excluded.state = 'running' then null else excluded.ended_at end,
    message = excluded.message,
    recorded_at = now()
"""

_RECORD_TASK_RUN = """
insert into ops.task_runs (dag_id, run_id, task_id, map_index, try_number, state, started_at, ended_at,
                           hostname, error)
values (%(dag_id)s, %(run_id)s, %(task_id)s, %(map_index)s, %(try_number)s, %(state)s, %(started_at)s,
        %(ended_at)s, %(hostname)s, %(error)s)
on conflict (dag_id, run_id, task_id, map_index, try_number) do update set
    state = case when ops.task_runs.ended_at is not null and excluded.state = 'running'
                 then ops.task_runs.state else excluded.state end,
    started_at = coalesce(ops.task_runs.started_at, excluded.started_at),
    ended_at = coalesce(excluded.ended_at, ops.task_runs.ended_at),
    hostname = coalesce(excluded.hostname, ops.task_runs.hostname),
    error = coalesce(excluded.error, ops.task_runs.error),
    recorded_at = now()
"""


def _execute(conn: psycopg.Connection, statement: str, values: dict) -> None:
    """Run one upsert; on a warehouse without the ops tables yet, create them and run it again."""
    try:
        with conn.transaction():
            conn.execute(statement, values)
    except psycopg.errors.UndefinedTable:
        with conn.transaction():
            conn.execute(resources.files("kinerja.warehouse").joinpath("ddl_ops.sql").read_text())
            conn.execute(statement, values)


def record_dag_run(conn: psycopg.Connection, event: DagRunEvent) -> None:
    _execute(conn, _RECORD_DAG_RUN, vars(event))


def record_task_run(conn: psycopg.Connection, event: TaskRunEvent) -> None:
    _execute(conn, _RECORD_TASK_RUN, vars(event))
