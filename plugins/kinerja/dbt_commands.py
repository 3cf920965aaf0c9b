"""Running dbt outside Airflow: producing the manifest Cosmos renders, and builds for tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kinerja import config
from kinerja.config import PgParams

# dbt's unit tests check the models' SQL on fixed inputs, never the day's data: as dbt
# advises, they run in CI (`make test`, tests/integration/models/test_dbt_build.py), and a
# scheduled run leaves them out (orchestration/dbt_build.py), as do the tests' other builds.
UNIT_TESTS = "test_type:unit"


def run_dbt(params: PgParams, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a dbt command in a subprocess against the warehouse of `params`."""
    project = config.dbt_project_dir()
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), *args, "--project-dir", str(project), "--profiles-dir", str(project)]
    if "--target-path" not in args:  # a command may ask for a folder of its own (the watchdog's freshness)
        command += ["--target-path", str(config.dbt_target_dir())]
    env = config.process_environment(config.dbt_environment(params))
    result = subprocess.run(command, env=env, cwd=project, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"dbt {' '.join(args)} failed (exit {result.returncode}):\n{result.stdout[-4000:]}"
        )
    return result


def parse(params: PgParams) -> Path:
    """Write target/manifest.json, which the DAGs render their dbt tasks from."""
    run_dbt(params, "parse", "--quiet")
    return config.dbt_manifest_path()
