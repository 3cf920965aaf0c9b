"""Task bodies of publishing: the build schemas into the published ones, and issuing scores."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import psycopg

from kinerja import config
from kinerja.warehouse import connect, ensure_warehouse

log = logging.getLogger(__name__)


def publish_day(data_day: date, trailing_days: int = config.TRAILING_DAYS) -> list[str]:
    """Publish what the daily build rebuilt and tested: its tables, for the days it rebuilt.

    Those are the data day and its trailing days, and every day of the batches landed since
    what users see was published (a file dropped for an old day): one window of days from
    the oldest of them to the newest. The build holds every day, so a wider window publishes
    nothing the build does not hold; its data tests read the data day and trailing days, and
    the constraints of the contract (primary key, not null) hold for every row.
    """
    from kinerja import publish

    manifest = config.dbt_manifest_path()
    tables = publish.tables_tagged(manifest, "daily") - publish.tables_tagged(manifest, "reference")
    with connect(ensure_warehouse()) as conn:
        landed = set()
        for table in sorted(tables & LANDED_DAYS.keys()):
            landed |= days_landed_since_published(conn, table, data_day - timedelta(days=trailing_days))
        window = _window_with(data_day - timedelta(days=trailing_days), data_day, landed)
        if window != (data_day - timedelta(days=trailing_days), data_day):
            log.info("publishing %s..%s: days landed since the last publish reach back to %s", *window, min(landed))
        published = publish.publish(conn, days=window, only=tables)
    return [f"{p.table} ({p.how}, {p.rows} rows)" for p in published]


def _window_with(first: date, last: date, days: set[date]) -> tuple[date, date]:
    return (min(days | {first}), max(days | {last}))


def _metric_day_sql(platform: str, moment: str) -> str:
    """SQL for the metric day of a timestamp (the platforms seed's zones), as dbt's macro metric_day_of."""
    from kinerja import platforms

    return platforms.metric_day_sql(platform, moment)


# Each published daily fact: the raw table its rows come from and the day column's value
# of a raw row, as the dbt macro days_landed_since_last_build reads them.


# Each published daily fact: the raw table its rows come from and the day column's value
# of a raw row, as the dbt macro days_landed_since_last_build reads them.
LANDED_DAYS = {
    "marts.fct_account_daily": ("raw.account_daily", "landed.metric_date"),
    # a post without a publication time keeps the day it was first seen: the day users
    # already have for it, else its as-of day
    "marts.fct_posts": (
        "raw.post_daily",
        f"""coalesce(
            {_metric_day_sql('landed.platform', 'landed.published_at')},
            (select held_post.metric_date from marts.fct_posts as held_post
                where held_post.account_id = landed.account_id and held_post.post_id = landed.post_id),
            landed.as_of_date
        )""",
    ),
}


def days_landed_since_published(conn: psycopg.Connection, table: str, held_since: date) -> set[date]:
    """The days of the batches landed (or audited) since the published `table` was last published.

    The same rule as dbt's days_landed_since_last_build, applied to what users see rather
    than to the build: when a publish failed, the next one takes its days too. "Since" is
    the latest landing or audit time of the batches behind the published rows from
    `held_since` on (the latest ones; reading every row would grow with history); in the
    hour before it, the batches those rows do not hold yet. All published rows are read
    only when none is as recent as held_since (publishing stopped for longer than that).
    `= any(array(...))`, as in the macro: with `in`, the planner reads the whole raw table.
    """
    if conn.execute("select to_regclass(%s)", [table]).fetchone()[0] is None:
        return set()  # publish creates it whole
    raw_table, day = LANDED_DAYS[table]
    rows = conn.execute(
        f"""
        select distinct {day}
        from {raw_table} as landed
        where landed.batch_id = any(array(
            select ledger.batch_id
            from raw.batch_ledger as ledger
            cross join (
                select
                    recent.batch_ids as recently_held,
                    coalesce(
                        (
                            select max(coalesce(published.audited_at, published.landed_at))
                            from raw.batch_ledger as published
                            where published.batch_id = any(recent.batch_ids)
                        ),
                        -- run only when the first finds nothing
                        (
                            select max(coalesce(published.audited_at, published.landed_at))
                            from raw.batch_ledger as published
                            where published.batch_id = any(array(select distinct held.batch_id from {table} as held))
                        ),
                        '-infinity'
                    ) as published_until
                from (
                    select array(
                        select distinct held.batch_id from {table} as held where held.metric_date >= %(held_since)s
                    ) as batch_ids
                ) as recent
            ) as last_publish
            where coalesce(ledger.audited_at, ledger.landed_at) >= last_publish.published_until - interval '1 hour'
                and not (
                    coalesce(ledger.audited_at, ledger.landed_at) < last_publish.published_until
                    and ledger.batch_id = any(last_publish.recently_held)
                )
        ))
        """,
        {"held_since": held_since},
    )
    return {landed_day for (landed_day,) in rows}


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
        log.info("%s issue %d: %s, %d changes", f"{item.month:%Y-%m}", item.issue_no, item.reason, len(item.changes))
        for change in item.changes[:20]:
            log.info("  %(institution_name)s: %(field)s %(before)s -> %(after)s", change)
    if not issued:
        log.info("%s: the latest issue stands (no restated data changed a score)", f"{month:%Y-%m}")
    return [f"{item.month:%Y-%m} issue {item.issue_no} ({item.reason})" for item in issued]
