"""What one Airflow task per dbt model costs, against one dbt build for the whole selection.

Cosmos can render the daily dbt models as one task per model (ExecutionMode.LOCAL with
TestBehavior.BUILD: `dbt build --select <model>` per task, in-process dbtRunner) or run
one `dbt build` for the selection. This measures the dbt side of both on the same
warehouse, the way the tasks invoke it (in-process dbtRunner, a fresh invocation each
time, a new `data_day` var each run as in production), and the Airflow side from the
task instances of real runs when a metadata database is given.

Run: .venv/bin/python bench/cosmos_task_overhead.py   (uses the embedded warehouse of
`make run`; run `make run` first so that there is data). Results: bench/RESULTS.md.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time

from kinerja import config
from kinerja import dbt_commands as dbt
from kinerja.warehouse import ensure_warehouse

DAILY_MODELS = [
    "stg_raw__account_daily",
    "stg_raw__batch_ledger",
    "stg_raw__quarantine",
    "int_batches_accepted",
    "int_batch_rows_quarantined",
    "int_account_days_accepted",
    "stg_registry__accounts",
    "stg_registry__institutions",
    "dim_accounts",
    "dim_institutions",
    "fct_account_daily",
]
REPEATS = 3


def _invoke(args: list[str]) -> float:
    from dbt.cli.main import dbtRunner

    started = time.perf_counter()
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt {' '.join(args)} failed: {result.exception}")
    return time.perf_counter() - started


def main() -> None:
    import os

    params = ensure_warehouse()
    os.environ.update(config.dbt_environment(params))
    project = str(config.dbt_project_dir())
    dbt.parse(params)
    per_model_runs, one_build_runs = [], []
    for repeat in range(REPEATS):
        data_day = f"2026-10-{28 + repeat:02d}"
        with tempfile.TemporaryDirectory() as target:
            common = [
                "--project-dir",
                project,
                "--profiles-dir",
                project,
                "--target-path",
                target,
                "--quiet",
                "--vars",
                json.dumps({"data_day": data_day}),
            ]
            per_model_runs.append(
                sum(_invoke(["build", "--select", model, *common]) for model in DAILY_MODELS)
            )
        with tempfile.TemporaryDirectory() as target:
            common = [
                "--project-dir",
                project,
                "--profiles-dir",
                project,
                "--target-path",
                target,
                "--quiet",
                "--vars",
                json.dumps({"data_day": data_day}),
            ]
            one_build_runs.append(_invoke(["build", "--select", "tag:daily", *common]))
    per_model, one_build = statistics.median(per_model_runs), statistics.median(one_build_runs)
    print(f"daily models: {len(DAILY_MODELS)}; repeats: {REPEATS} (median)")
    print(f"one dbt build per model: {per_model:.2f} s ({per_model / len(DAILY_MODELS):.2f} s per model)")
    print(f"one dbt build for all:   {one_build:.2f} s")
    print(f"overhead per extra task: {(per_model - one_build) / (len(DAILY_MODELS) - 1):.2f} s")
    _airflow_side(params)


def _airflow_side(params) -> None:
    """Durations of the dbt tasks and of whole runs in the latest real kinerja_daily runs."""
    import psycopg

    from kinerja.warehouse.connection import AIRFLOW_DATABASE

    try:
        conn = psycopg.connect(host=params.host, port=params.port, user=params.user, dbname=AIRFLOW_DATABASE)
    except psycopg.OperationalError:
        print("no Airflow metadata database: run `make run` first for the Airflow side")
        return
    with conn:
        # dag.test() sets a run's start_date to its logical date: time runs by their tasks
        runs = conn.execute(
            "select run_id, extract(epoch from max(end_date) - min(start_date)) from task_instance"
            " where dag_id = 'kinerja_daily' and state = 'success'"
            " group by run_id order by max(end_date) desc limit 5"
        ).fetchall()
        tasks = conn.execute(
            "select task_id, extract(epoch from end_date - start_date) from task_instance"
            " where dag_id = 'kinerja_daily' and state = 'success' and run_id = any(%s)",
            [[run_id for run_id, _ in runs]],
        ).fetchall()
    dbt_tasks = [float(seconds) for task_id, seconds in tasks if task_id.startswith("dbt_daily.")]
    other_tasks = [float(seconds) for task_id, seconds in tasks if not task_id.startswith("dbt_daily.")]
    print(
        f"Airflow, last {len(runs)} kinerja_daily runs: run {statistics.median(float(s) for _, s in runs):.1f} s"
        f" (median); dbt task {statistics.median(dbt_tasks):.2f} s (median of {len(dbt_tasks)});"
        f" other tasks {sum(other_tasks) / len(runs):.2f} s per run"
    )


if __name__ == "__main__":
    main()
