"""The bodies of the DAGs' tasks: plain functions, testable without Airflow.

Each opens its own connection to the warehouse (tasks may run in separate processes,
on separate workers) and works on a definite partition: a data day or a month.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from kinerja import config, landing, quality
from kinerja.registry.load import load_registry, read_accounts
from kinerja.sources import simulator
from kinerja.warehouse import connect, ensure_warehouse
from kinerja.warehouse.schema import apply_ddl

log = logging.getLogger(__name__)


def sync_registry(registry_dir: Path | None = None) -> dict[str, int]:
    """Create the warehouse's Python-owned tables and load the registry files."""
    with connect(ensure_warehouse()) as conn:
        apply_ddl(conn)
        counts = load_registry(conn, registry_dir or config.registry_dir())
    log.info("registry loaded: %s", counts)
    return counts


def land_simulated_day(data_day: date, registry_dir: Path | None = None) -> str:
    """Land the simulator's metrics of every registry account for `data_day`; returns the batch id."""
    accounts = read_accounts(registry_dir or config.registry_dir())
    with connect(ensure_warehouse()) as conn:
        batch = landing.land_batch(conn, simulator.SOURCE, data_day, simulator.simulate_day(accounts, data_day))
    log.info("landed %d rows for %s as batch %s", batch.rows_in, data_day, batch.batch_id)
    return batch.batch_id


def audit_batch(batch_id: str) -> dict[str, int | str]:
    """Audit a landed batch; raises quality.BatchRejected when it is unusable."""
    with connect(ensure_warehouse()) as conn:
        result = quality.audit_batch(conn, batch_id)
    log.info(result.summary())
    return {"batch_id": batch_id, "rows_accepted": result.rows_accepted, "rows_rejected": result.rows_rejected}


def render_scorecards(month: date, out_dir: Path | None = None) -> list[str]:
    """Render the month's scorecards; returns the paths written."""
    from kinerja.scorecards.render import render_month

    with connect(ensure_warehouse()) as conn:
        paths = render_month(conn, month, out_dir or config.scorecards_dir())
    log.info("wrote %d scorecard files under %s", len(paths), paths[-1].parent if paths else out_dir)
    return [str(p) for p in paths]
