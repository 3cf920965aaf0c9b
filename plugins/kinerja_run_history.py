"""Airflow plugin: every DAG run and task try of this deployment, recorded in the warehouse (ops.*).

A listener: Airflow calls it as a DAG run starts and ends (in the scheduler, or in the
process of `dag.test()`) and as a task try starts and ends (in the process that runs the
task, on a worker). Each call writes one row of `ops.dag_runs` or `ops.task_runs` through
kinerja.warehouse.run_history, so that the data team's dashboard is SQL on the warehouse.
Recording never fails a run: a warehouse that cannot be reached costs a warning in the log.
Only processes that know the warehouse's address (KINERJA_WAREHOUSE_URL, which `make run`,
`make airflow` and docker-compose.yml give every process) record anything.
"""

from __future__ import annotations

import logging
import socket
import sys
from datetime import UTC, datetime
from typing import ClassVar

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5


def _record(what: str, event) -> None:
    try:
        from kinerja import config
        from kinerja.warehouse import connect, run_history

        params = config.warehouse_params()
        if params is None:
            return
        with connect(params, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            if isinstance(event, run_history.DagRunEvent):
                run_history.record_dag_run(conn, event)
            else:
                run_history.record_task_run(conn, event)
    except Exception:  # the run matters more than its history
        log.warning("kinerja run history: %s not recorded", what, exc_info=True)


def _dag_run_event(dag_run, state: str, msg: str | None):
    from kinerja.orchestration.dag_defaults import data_day_of
    from kinerja.warehouse.run_history import DagRunEvent

    interval_start = getattr(dag_run, "data_interval_start", None)
    ended = getattr(dag_run, "end_date", None) or (None if state == "running" else datetime.now(UTC))
    return DagRunEvent(
        dag_id=dag_run.dag_id,
        run_id=dag_run.run_id,
        state=state,
        run_type=str(getattr(dag_run, "run_type", "") or "") or None,
        logical_date=getattr(dag_run, "logical_date", None),
        data_interval_start=interval_start,
        data_interval_end=getattr(dag_run, "data_interval_end", None),
        data_day=data_day_of(interval_start) if interval_start else None,
        started_at=_run_started(dag_run),
        ended_at=None if state == "running" else ended,
        message=msg or None,
    )


def _run_started(dag_run) -> datetime | None:
    """When the run started: its start date, but never before it was due (`run_after`).

    `dag.test()` (`make run`) gives a run the start date of its logical date, weeks before it ran.
    """
    known = [d for d in (getattr(dag_run, "start_date", None), getattr(dag_run, "run_after", None)) if d]
    return max(known) if known else None


def _task_run_event(task_instance, state: str, error=None):
    from kinerja.warehouse.run_history import TaskRunEvent

    ended = None if state == "running" else (getattr(task_instance, "end_date", None) or datetime.now(UTC))
    return TaskRunEvent(
        dag_id=task_instance.dag_id,
        run_id=task_instance.run_id,
        task_id=task_instance.task_id,
        map_index=getattr(task_instance, "map_index", -1)
        if getattr(task_instance, "map_index", None) is not None
        else -1,
        try_number=getattr(task_instance, "try_number", None) or 1,
        state=state,
        started_at=getattr(task_instance, "start_date", None) or datetime.now(UTC),
        ended_at=ended,
        hostname=getattr(task_instance, "hostname", None) or socket.gethostname(),
        error=(f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error) or None,
    )


@hookimpl
def on_dag_run_running(dag_run, msg: str):
    _record(f"{dag_run.dag_id} {dag_run.run_id}", _dag_run_event(dag_run, "running", msg))


@hookimpl
def on_dag_run_success(dag_run, msg: str):
    _record(f"{dag_run.dag_id} {dag_run.run_id}", _dag_run_event(dag_run, "success", msg))


@hookimpl
def on_dag_run_failed(dag_run, msg: str):
    _record(f"{dag_run.dag_id} {dag_run.run_id}", _dag_run_event(dag_run, "failed", msg))


@hookimpl
def on_task_instance_running(previous_state, task_instance):
    _record(f"{task_instance.task_id} of {task_instance.run_id}", _task_run_event(task_instance, "running"))


@hookimpl
def on_task_instance_success(previous_state, task_instance):
    _record(f"{task_instance.task_id} of {task_instance.run_id}", _task_run_event(task_instance, "success"))


@hookimpl
def on_task_instance_failed(previous_state, task_instance, error):
    _record(
        f"{task_instance.task_id} of {task_instance.run_id}", _task_run_event(task_instance, "failed", error)
    )


@hookimpl
def on_task_instance_skipped(previous_state, task_instance):
    _record(f"{task_instance.task_id} of {task_instance.run_id}", _task_run_event(task_instance, "skipped"))


class KinerjaRunHistoryPlugin(AirflowPlugin):
    name = "kinerja_run_history"
    listeners: ClassVar[list] = [sys.modules[__name__]]
