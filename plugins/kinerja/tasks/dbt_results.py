"""Task body of the dbt build's callback: log and record what every node did."""

from __future__ import annotations

import logging
from pathlib import Path

from kinerja.dbt_results import read_run_results, record
from kinerja.warehouse import connect, ensure_warehouse

log = logging.getLogger(__name__)


def record_build_results(project_dir: str, context=None, **_) -> None:
    """Cosmos calls this after the build, failed or not, with the folder dbt ran in."""
    path = Path(project_dir) / "target" / "run_results.json"
    if not path.is_file():  # dbt stopped before it ran a node (a parse error): its log says why
        log.warning("dbt wrote no run results under %s", path.parent)
        return
    build = read_run_results(path)
    log.info("dbt build %s, %d node(s):\n%s", build.invocation_id, len(build.nodes), build.table())
    ti = (context or {}).get("ti")
    with connect(ensure_warehouse()) as conn:
        record(
            conn,
            build,
            dag_id=getattr(ti, "dag_id", None),
            run_id=getattr(ti, "run_id", None),
            task_id=getattr(ti, "task_id", None),
        )
