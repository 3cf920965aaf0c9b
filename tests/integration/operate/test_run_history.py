"""The run-history listener (plugins/kinerja_run_history.py): a dag.test() run recorded in ops.*.

The run is kinerja_watchdog's on a warehouse with the registry and no landed day, so that
its completeness check fails with the watchdog's own message: the history must show the
run, each task's try and outcome as Airflow recorded them, and the failure's message.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kinerja import config
from kinerja.orchestration.dag_defaults import TIMEZONE
from support import SMALL_REGISTRY


def test_a_dag_run_and_each_task_try_are_recorded_in_the_warehouse(airflow_pipeline):
    from airflow.dag_processing.dagbag import DagBag
    from airflow.plugins_manager import get_plugin_info

    from kinerja.registry.load import load_registry
    from kinerja.warehouse import connect

    assert "kinerja_run_history" in {plugin["name"] for plugin in get_plugin_info()}
    with connect(airflow_pipeline) as conn:
        load_registry(conn, SMALL_REGISTRY)
        conn.commit()
    watchdog = DagBag(dag_folder=str(config.dags_dir())).get_dag("kinerja_watchdog")
    logical_date = datetime(2026, 11, 3, 12, tzinfo=TIMEZONE)

    before = datetime.now(UTC)

    dag_run = watchdog.test(logical_date=logical_date)

    airflow_says = {ti.task_id: (ti.try_number, ti.state) for ti in dag_run.get_task_instances()}
    assert airflow_says["landing_completeness"][1] == "failed"  # no day landed: the alarm
    with connect(airflow_pipeline) as conn:
        runs = conn.execute(
            "select run_id, state, started_at, ended_at, duration_seconds, logical_date, data_day "
            "from ops.dag_runs where dag_id = 'kinerja_watchdog'"
        ).fetchall()
        tasks = conn.execute(
            "select task_id, try_number, state, started_at, ended_at, duration_seconds, hostname, error "
            "from ops.task_runs where dag_id = 'kinerja_watchdog' and run_id = %s",
            [dag_run.run_id],
        ).fetchall()
    assert len(runs) == 1
    run_id, state, started, ended, duration, logical, data_day = runs[0]
    assert (run_id, state) == (dag_run.run_id, dag_run.state) == (dag_run.run_id, "failed")
    # the times the run really took, not its logical date (dag.test() starts a run "on" it)
    assert before <= started <= ended <= datetime.now(UTC)
    assert float(duration) == pytest.approx((ended - started).total_seconds())
    assert logical == logical_date and data_day == logical_date.date()
    recorded = {task_id: (try_number, state) for task_id, try_number, state, *_ in tasks}
    assert recorded == airflow_says
    for task_id, _, state, task_started, task_ended, task_duration, hostname, error in tasks:
        assert before <= task_started <= task_ended <= ended and task_duration >= 0 and hostname
        assert (error is not None) == (state == "failed"), task_id
    completeness_error = next(row[7] for row in tasks if row[0] == "landing_completeness")
    assert completeness_error.startswith("WatchdogAlarm: ")
