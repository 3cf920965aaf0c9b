"""Task bodies of the build audit, between dbt and publish."""

from __future__ import annotations

from datetime import date

from kinerja.landing.plan import DayPlan
from kinerja.quality.build import audit_fact_days, audit_scores
from kinerja.quality.engine import Outcome
from kinerja.warehouse import connect, ensure_warehouse


def audit_build_day(day_plan: dict) -> dict:
    """The daily DAG's audit_build: the fact's planned days (kinerja.landing.plan); raises BuildAuditFailed."""
    planned = DayPlan.from_xcom(day_plan)
    with connect(ensure_warehouse(), autocommit=True) as conn:
        return _outcome(audit_fact_days(conn, planned.data_day, planned.days))


def audit_build_month(month: date) -> dict:
    """The monthly DAG's audit_build: the scores the run publishes; raises BuildAuditFailed."""
    with connect(ensure_warehouse(), autocommit=True) as conn:
        return _outcome(audit_scores(conn, month))


def _outcome(audit: Outcome) -> dict:
    return {
        "audit_id": audit.audit_id,
        "rows_checked": audit.rows_checked,
        "expectations": audit.expectations,
        "data_docs": audit.data_docs_url,
    }
