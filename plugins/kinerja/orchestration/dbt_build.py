"""The dbt task of the DAGs: one `dbt build` of a selection, run by Cosmos.

A run builds its models in one dbt invocation: one task, not one per model, because each
task pays Airflow's and Cosmos' fixed cost (docs/architecture.md). What one task per model
showed is kept: dbt's log of every model and test is in the task's log, and the result of
every node is recorded in the warehouse (`ops.dbt_node_results`) by the task's callback.

DAG files call `dbt_build_task` at parse time, so nothing here opens a file or a connection
(Cosmos reads the dbt project when the task runs).
"""

from __future__ import annotations

from kinerja import config
from kinerja.dbt_commands import UNIT_TESTS
from kinerja.orchestration.dag_defaults import DBT_POOL

# Resolved by Cosmos when the task runs, so that the DAG file imports nothing of it.
RECORD_RESULTS = "kinerja.tasks.dbt_results.record_build_results"


def dbt_build_task(
    task_id: str, select: list[str], dbt_vars: dict | None = None, exclude: list[str] | None = None
):
    """A Cosmos `dbt build` of `select` (models, seeds, snapshots and their data tests) as one task."""
    from cosmos import ProfileConfig
    from cosmos.constants import InvocationMode
    from cosmos.operators.local import DbtBuildLocalOperator

    project_dir = config.dbt_project_dir()
    return DbtBuildLocalOperator(
        task_id=task_id,
        project_dir=str(project_dir),
        profile_config=ProfileConfig(
            profile_name="kinerja",
            target_name="warehouse",
            profiles_yml_filepath=project_dir / "profiles.yml",
        ),
        invocation_mode=InvocationMode.DBT_RUNNER,
        select=select,
        exclude=[*(exclude or []), UNIT_TESTS],
        vars=dbt_vars or {},
        # dbt's environment for the warehouse of KINERJA_WAREHOUSE_URL (string parsing only)
        env=config.dbt_environment(config.warehouse_params()),
        install_deps=False,
        # Cosmos' assets need a host in the URL; the embedded server has a socket only.
        # The DAGs publish their own assets instead.
        emit_datasets=False,
        callback=RECORD_RESULTS,
        # dbt's partial-parse file, kept between runs: only a changed project is parsed again
        cache_dir=config.cosmos_cache_dir() / task_id,
        pool=DBT_POOL,
    )
