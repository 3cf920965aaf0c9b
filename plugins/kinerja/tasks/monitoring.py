"""Task bodies of the watchdog: the days due by now landed, and the raw sources fresh."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kinerja import config
from kinerja.monitoring import check_landing, check_source_freshness
from kinerja.warehouse import connect, ensure_warehouse


def watch_landing(now: datetime | None = None) -> dict:
    """The watchdog DAG's landing check, on the configured warehouse."""
    with connect(ensure_warehouse(), autocommit=True) as conn:
        return check_landing(conn, now or datetime.now(ZoneInfo(config.DEFAULT_TIMEZONE)))


def watch_source_freshness() -> dict:
    """The watchdog DAG's dbt source freshness, on the configured warehouse."""
    return check_source_freshness(ensure_warehouse())


def watch_run_durations(now: datetime | None = None) -> dict:
    """The watchdog DAG's check of runs past their expected duration: each alerted once, none fails the task."""
    from kinerja import alerts
    from kinerja.monitoring import overdue_runs

    now = now or datetime.now(ZoneInfo(config.DEFAULT_TIMEZONE))
    with connect(ensure_warehouse(), autocommit=True) as conn:
        overdue = overdue_runs(conn, now)
        new = alerts.not_sent_before(conn, "run_overdue", [f"{r.dag_id}:{r.run_id}" for r in overdue])
    for run in overdue:
        if f"{run.dag_id}:{run.run_id}" in new:
            alerts.send(
                alerts.run_overdue(
                    dag_id=run.dag_id,
                    run_id=run.run_id,
                    started=run.started_at.isoformat(),
                    expected=run.limits.expected,
                    timeout=run.limits.timeout,
                )
            )
    return {"overdue": [f"{r.dag_id}:{r.run_id}" for r in overdue], "alerted": sorted(new)}
