"""Task bodies of publishing: the build schemas into the published ones, and issuing scores."""

from __future__ import annotations

import logging
from datetime import date

from kinerja import config
from kinerja.warehouse import connect, ensure_warehouse

log = logging.getLogger(__name__)


def publish_day(day_plan: dict) -> list[str]:
    """Publish what the daily build rebuilt and tested: its daily tables, for the planned days.

    The plan (kinerja.landing.plan) named the days dbt rebuilt and tested and the build audit
    checked; publish copies exactly those days, then records the plan's batches as published,
    so that the next run's plan does not take them again.
    """
    from kinerja import publish
    from kinerja.landing.plan import DayPlan, record_published

    planned = DayPlan.from_xcom(day_plan)
    manifest = config.dbt_manifest_path()
    tables = publish.tables_tagged(manifest, "daily") - publish.tables_tagged(manifest, "reference")
    with connect(ensure_warehouse()) as conn:
        published = publish.publish(conn, days=planned.days, only=tables)
        recorded = record_published(conn, planned)
    log.info("published %s; %d batch(es) recorded as published", planned.describe(), recorded)
    return [f"{p.table} ({p.how}, {p.rows} rows)" for p in published]


def publish_month(month: date) -> list[str]:
    """Publish what the monthly build rebuilt and tested (reports, reference dimensions) before the scorecards read them."""
    from kinerja import publish

    manifest = config.dbt_manifest_path()
    tables = publish.tables_tagged(manifest, "monthly") | publish.tables_tagged(manifest, "reference")
    with connect(ensure_warehouse()) as conn:
        published = publish.publish(conn, only=tables)
    log.info("published for %s: %s", month.strftime("%B %Y"), ", ".join(p.table for p in published))
    return [f"{p.table} ({p.how}, {p.rows} rows)" for p in published]


def issue_scores(month: date) -> list[str]:
    """Issue the month's published scores (frozen, with a data cut-off) and reissue restated months."""
    from kinerja.publish.issues import issue_scores as issue

    with connect(ensure_warehouse()) as conn:
        issued = issue(conn, month)
    for item in issued:
        log.info(
            "%s issue %d: %s, %d changes",
            f"{item.month:%Y-%m}",
            item.issue_no,
            item.reason,
            len(item.changes),
        )
        for change in item.changes[:20]:
            log.info("  %(institution_name)s: %(field)s %(before)s -> %(after)s", change)
    if not issued:
        log.info("%s: the latest issue stands (no restated data changed a score)", f"{month:%Y-%m}")
    return [f"{item.month:%Y-%m} issue {item.issue_no} ({item.reason})" for item in issued]


def apply_roles() -> dict:
    """Grants and row policies for what publish just created (`kinerja roles apply`), after publish.

    Never fails the run: publish has already happened, and a table without its grants stays
    unreadable to the readers (row security fails closed). What needs a person is logged as an
    error naming the role and what to do, and returned.
    """
    from kinerja.warehouse.roles import RolesError
    from kinerja.warehouse.roles import apply_roles as apply

    with connect(ensure_warehouse()) as conn:
        try:
            report = apply(conn)
        except RolesError as error:
            log.error("roles not applied: %s", error)
            return {"applied": False, "problems": [str(error)]}
    for problem in report.problems:
        log.error("roles: %s", problem)
    for role in report.without_login:
        log.warning("roles: %s is NOLOGIN until its password is in the environment", role)
    return {"applied": True, "tables": len(report.tables), "problems": report.problems}
