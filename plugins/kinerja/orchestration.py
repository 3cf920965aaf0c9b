"""What the DAG files share: defaults, the data day of a run, the dbt task groups.

This module imports Airflow and Cosmos; the core modules do not. DAG files call
these functions at parse time, so nothing here opens a file or a connection
(Cosmos reads the dbt manifest, produced once by `kinerja dbt parse`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pendulum

from kinerja import config
from kinerja.config import PgParams

TIMEZONE = pendulum.timezone(config.DEFAULT_TIMEZONE)
START_DATE = datetime(2026, 1, 1, tzinfo=TIMEZONE)

DEFAULT_ARGS = {
    "owner": "kinerja-data-team",
    "retries": config.task_retries(),
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
}

# What every Kinerja DAG shares: one run at a time, no automatic catch-up (backfills
# are asked for), the project's owner and retries.
DAG_DEFAULTS = {
    "start_date": START_DATE,
    "catchup": False,
    "max_active_runs": 1,
    "default_args": DEFAULT_ARGS,
}

# The Jinja expression of a run's data day (the start of its data interval, in WIB).
DATA_DAY_TEMPLATE = "{{ data_interval_start.in_timezone('Asia/Jakarta').strftime('%Y-%m-%d') }}"

# dbt builds never run concurrently: they would collide on the same tables.
DBT_POOL = "dbt"


def data_day_of(data_interval_start: datetime) -> date:
    """The metric day a daily run is about: its data interval's start, in WIB."""
    return pendulum.instance(data_interval_start).in_timezone(config.DEFAULT_TIMEZONE).date()


def month_of(data_interval_start: datetime) -> date:
    return data_day_of(data_interval_start).replace(day=1)


def _dbt_env() -> dict[str, str]:
    """The profile's variables, derived from KINERJA_WAREHOUSE_URL (string parsing only)."""
    url = config.warehouse_url()
    env = {**config.TELEMETRY_OFF, **config.DBT_FLAGS}
    if url:
        env.update(PgParams.from_url(url).dbt_env())
    return env


def dbt_task_group(group_id: str, select: list[str], dbt_vars: dict | None = None, exclude: list[str] | None = None):
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
            "env": _dbt_env(),
            "install_deps": False,
            "pool": DBT_POOL,
        },
    )
