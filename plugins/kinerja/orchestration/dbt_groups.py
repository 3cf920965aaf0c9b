"""The dbt task groups of the DAGs, rendered by Cosmos from the manifest.

DAG files call `dbt_task_group` at parse time, so nothing here opens a file or a connection
(Cosmos reads the dbt manifest, produced once by `kinerja dbt parse`).
"""

from __future__ import annotations

from kinerja import config
from kinerja.orchestration.dag_defaults import DBT_POOL


def dbt_task_group(
    group_id: str, select: list[str], dbt_vars: dict | None = None, exclude: list[str] | None = None
):
    """A Cosmos task group: one Airflow task per dbt model (run and tests in one `dbt build`)."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    project_dir = config.dbt_project_dir()
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=project_dir,
            manifest_path=config.dbt_manifest_path(),
            project_name="kinerja",
        ),
        profile_config=ProfileConfig(
            profile_name="kinerja",
            target_name="warehouse",
            profiles_yml_filepath=project_dir / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=select,
            exclude=exclude or [],
            test_behavior=TestBehavior.BUILD,
            enable_mock_profile=False,
            # Cosmos' per-model assets need a host in the URL; the embedded server has a
            # socket only. The DAGs publish their own assets instead.
            emit_datasets=False,
        ),
        operator_args={
            "vars": dbt_vars or {},
            # dbt's environment for the warehouse of KINERJA_WAREHOUSE_URL (string parsing only)
            "env": config.dbt_environment(config.warehouse_params()),
            "install_deps": False,
            "pool": DBT_POOL,
        },
    )
