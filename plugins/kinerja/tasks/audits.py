"""Task bodies of the build audit, between dbt and publish."""

from __future__ import annotations

from datetime import date

from kinerja import config
from kinerja.quality.build import audit_fact_days, audit_scores
from kinerja.quality.engine import Outcome
from kinerja.warehouse import connect, ensure_warehouse


def audit_build_day(data_day: date, trailing_days: int = config.TRAILING_DAYS) -> dict:
    """The daily DAG's audit_build: the fact's rebuilt days; raises BuildAuditFailed."""
    with connect(ensure_warehouse(), autocommit=True) as conn:
        return _outcome(audit_fact_days(conn, data_day, trailing_days))


def audit_build_month(month: date) -> dict:
    """The monthly DAG's audit_build: the scores the run publishes; raises BuildAuditFailed."""
    with connect(ensure_warehouse(), autocommit=True) as conn:
        return _outcome(audit_scores(conn, month))


def _outcome(audit: Outcome) -> dict:
    return {"audit_id": audit.audit_id, "rows_checked": audit.rows_checked,
            "expectations": audit.expectations, "data_docs": audit.data_docs_url}
