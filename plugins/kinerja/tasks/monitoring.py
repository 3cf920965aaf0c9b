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
