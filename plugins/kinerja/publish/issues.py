"""Issuing a month's scores: a data cut-off, then frozen; restated data makes a numbered reissue.

The monthly run publishes the audited report (reports.rpt_institution_scores_monthly) and
then issues the month: issue 1 freezes its rows in publication.issued_scores with the data
cut-off (the latest landing of the month's data it includes). A regional office's scorecard
is rendered from the issue, never from the live report. When data of an issued month lands
after its cut-off (a platform restated, an agency dropped a late file), the next monthly run
recomputes the month; if a score changed, it issues the month again under the next number
with the list of what changed. Nothing issued is ever updated.

With each issue, what every institution's scorecard shows besides its score row (its time
zone, registered accounts, per-platform table, best posts, crisis signals and 12-month
trend) is frozen in publication.issued_scorecards, so that re-rendering an issue of any
month gives the same document.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg.types.json import Jsonb

log = logging.getLogger(__name__)

REPORT = "reports.rpt_institution_scores_monthly"
# the fields a change of which is worth telling a regional office
HEADLINE_FIELDS = ("ikms", "rank_in_peer_group", "grade", "is_eligible")
# why an issue was made, stored in Bahasa Indonesia; the English scorecards translate it
FIRST_ISSUE_REASON = "terbitan pertama"
RESTATED_REASON = "data direvisi setelah batas data terbitan sebelumnya"
REASONS_IN_ENGLISH = {
    FIRST_ISSUE_REASON: "first issue",
    RESTATED_REASON: "data restated after the data cut-off of the previous issue",
}


@dataclass(frozen=True)
class Issue:
    month: date
    issue_no: int
    reason: str
    data_cut_off: datetime | None
    institutions: int
    changes: list[dict]


def _month_rows(conn: psycopg.Connection, month: date) -> dict[str, dict]:
    """The published report's rows of the month, as JSON-ready dicts by institution."""
    rows = conn.execute(
        f"select institution_id, to_jsonb(r) from {REPORT} as r where month = %s order by institution_id",
        [month],
    ).fetchall()
    return dict(rows)


def _content_hash(rows: dict[str, dict]) -> str:
    canonical = json.dumps(rows, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def data_cut_offs(conn: psycopg.Connection, month: date | None = None) -> dict[date, datetime]:
    """Per month (or for `month` only): the latest landing of any raw row of its days."""
    rows = conn.execute(
        "select date_trunc('month', raw.metric_date)::date, max(ledger.landed_at)"
        " from raw.account_daily as raw"
        " join raw.batch_ledger as ledger on ledger.batch_id = raw.batch_id"
        " where %(month)s::date is null"
        "  or (raw.metric_date >= %(month)s and raw.metric_date < %(month)s::date + interval '1 month')"
        " group by 1",
        {"month": month},
    ).fetchall()
    return dict(rows)


def _latest_issue(conn: psycopg.Connection, month: date) -> tuple[int, str, str, datetime | None] | None:
    return conn.execute(
        "select issue_no, content_sha256, methodology_version, data_cut_off from publication.latest_issues"
        " where month = %s",
        [month],
    ).fetchone()


def _changes(conn: psycopg.Connection, month: date, issue_no: int, rows: dict[str, dict]) -> list[dict]:
    """Per institution and headline field, what differs from the issue `issue_no`."""
    before = dict(
        conn.execute(
            "select institution_id, score from publication.issued_scores where month = %s and issue_no = %s",
            [month, issue_no],
        ).fetchall()
    )
    changes = []
    for institution_id in sorted(before.keys() | rows.keys()):
        old, new = before.get(institution_id, {}), rows.get(institution_id, {})
        for field in HEADLINE_FIELDS:
            if old.get(field) != new.get(field):
                name = new.get("institution_name") or old.get("institution_name")
                changes.append(
                    {
                        "institution_id": institution_id,
                        "institution_name": name,
                        "field": field,
                        "before": old.get(field),
                        "after": new.get(field),
                    }
                )
    return changes


def issue_month(conn: psycopg.Connection, month: date) -> Issue | None:
    """Issue `month` if it has never been issued, or reissue it if data restated after its cut-off changed it.

    Returns the new issue, or None when the latest issue stands. Safe to run twice or
    concurrently: one transaction under an advisory lock per month.
    """
    month = month.replace(day=1)
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('kinerja.issue'), %s)", [month.toordinal()])
        rows = _month_rows(conn, month)
        if not rows:
            return None
        cut_off = data_cut_offs(conn, month).get(month)
        content = _content_hash(rows)
        version = next(iter(rows.values()))["methodology_version"]
        latest = _latest_issue(conn, month)
        if latest is None:
            return _record(conn, month, 1, FIRST_ISSUE_REASON, version, cut_off, content, rows, [])
        issue_no, issued_content, issued_version, issued_cut_off = latest
        # a month stays under the method it was issued with; only restated data reissues it
        restated = cut_off is not None and (issued_cut_off is None or cut_off > issued_cut_off)
        if issued_content == content or issued_version != version or not restated:
            return None
        changes = _changes(conn, month, issue_no, rows)
        return _record(conn, month, issue_no + 1, RESTATED_REASON, version, cut_off, content, rows, changes)


def _record(conn, month, issue_no, reason, version, cut_off, content, rows, changes) -> Issue:
    conn.execute(
        "insert into publication.score_issues"
        " (month, issue_no, methodology_version, data_cut_off, institutions, content_sha256, reason, changes)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s)",
        [month, issue_no, version, cut_off, len(rows), content, reason, Jsonb(changes)],
    )
    with conn.cursor().copy(
        "copy publication.issued_scores (month, issue_no, institution_id, score) from stdin"
    ) as copy:
        for institution_id, score in rows.items():
            copy.write_row((month, issue_no, institution_id, json.dumps(score, default=str)))
    _freeze_scorecards(conn, month, issue_no)
    log.info(
        "issued %s as issue %d (%s): %d institutions, %d changes",
        f"{month:%Y-%m}",
        issue_no,
        reason,
        len(rows),
        len(changes),
    )
    return Issue(month, issue_no, reason, cut_off, len(rows), changes)


# how many best posts a scorecard shows, and how many months its trend covers
BEST_POSTS = 3
TREND_MONTHS = 12

# Each part of a scorecard's details, as a correlated subquery on `issued` (the issued row).
# %(month)s is the issue's month. A published table a part reads may not exist yet in a
# young warehouse (the posts before the first post batch): that part is then an empty list.
_TIMEZONE = """coalesce((
    select institution.timezone from registry.institutions as institution
    where institution.institution_id = issued.institution_id
      and institution.valid_from < %(month)s::date + interval '1 month'
    order by institution.valid_from desc limit 1), 'Asia/Jakarta')"""
_ACCOUNTS = """(
    select jsonb_agg(distinct jsonb_build_object('platform', account.platform, 'handle', account.handle))
    from registry.accounts as account
    where account.institution_id = issued.institution_id
      and account.valid_from < %(month)s::date + interval '1 month'
      and (account.valid_to is null or account.valid_to >= %(month)s))"""
_PARTS_FROM_PUBLISHED = {
    "platforms": (
        "reports.rpt_institution_platforms_monthly",
        """(
    select jsonb_agg(to_jsonb(platform_month) - 'month' - 'institution_id' order by platform_month.platform)
    from reports.rpt_institution_platforms_monthly as platform_month
    where platform_month.institution_id = issued.institution_id and platform_month.month = %(month)s)""",
    ),
    "best_posts": (
        "marts.fct_posts",
        f"""(
    select jsonb_agg(best order by best.interactions desc nulls last, best.post_id)
    from (
        select post.platform, account.handle, post.post_id, post.published_at, post.metric_date,
               post.post_type, post.interactions, post.views
        from marts.fct_posts as post
        join registry.accounts as account
          on account.account_id = post.account_id and account.institution_id = issued.institution_id
         and post.metric_date >= account.valid_from
         and (account.valid_to is null or post.metric_date <= account.valid_to)
        where post.metric_date >= %(month)s and post.metric_date < %(month)s::date + interval '1 month'
        order by post.interactions desc nulls last, post.post_id
        limit {BEST_POSTS}) as best)""",
    ),
    "crisis_signals": (
        "reports.rpt_crisis_signals_daily",
        """(
    select jsonb_agg(jsonb_build_object(
        'metric_date', signal.metric_date, 'platform', signal.platform, 'handle', account.handle,
        'signals_fired', signal.signals_fired, 'severity', signal.severity)
        order by signal.metric_date, signal.platform, account.handle)
    from reports.rpt_crisis_signals_daily as signal
    join registry.accounts as account
      on account.account_id = signal.account_id and account.institution_id = issued.institution_id
     and signal.metric_date >= account.valid_from
     and (account.valid_to is null or signal.metric_date <= account.valid_to)
    where signal.signal_count > 0
      and signal.metric_date >= %(month)s and signal.metric_date < %(month)s::date + interval '1 month')""",
    ),
}
# the latest issue of each of the last TREND_MONTHS months, this one included
_TREND = f"""(
    select jsonb_agg(jsonb_build_object(
        'month', prior.month, 'ikms', prior.score -> 'ikms',
        'rank_in_peer_group', prior.score -> 'rank_in_peer_group',
        'peer_group_size', prior.score -> 'peer_group_size',
        'is_movement_comparable', prior.score -> 'is_movement_comparable') order by prior.month)
    from publication.latest_issues as latest
    join publication.issued_scores as prior using (month, issue_no)
    where prior.institution_id = issued.institution_id
      and latest.month > %(month)s::date - interval '{TREND_MONTHS} months'
      and latest.month <= %(month)s)"""


def _freeze_scorecards(conn: psycopg.Connection, month: date, issue_no: int) -> None:
    """Freeze what each institution's scorecard shows besides its score row, with the issue."""
    parts = {"timezone": _TIMEZONE, "accounts": _ACCOUNTS, "trend": _TREND}
    for name, (table, query) in _PARTS_FROM_PUBLISHED.items():
        exists = conn.execute("select to_regclass(%s) is not null", [table]).fetchone()[0]
        parts[name] = query if exists else "null"
    details = ", ".join(
        f"'{name}', coalesce({query}, '[]'::jsonb)" if name != "timezone" else f"'{name}', {query}"
        for name, query in parts.items()
    )
    conn.execute(
        "insert into publication.issued_scorecards (month, issue_no, institution_id, details)"
        f" select issued.month, issued.issue_no, issued.institution_id, jsonb_build_object({details})"
        " from publication.issued_scores as issued where issued.month = %(month)s and issued.issue_no = %(issue_no)s",
        {"month": month, "issue_no": issue_no},
    )


def months_restated_since_issue(conn: psycopg.Connection) -> list[date]:
    """Issued months with data landed after their latest issue's cut-off."""
    cut_offs = data_cut_offs(conn)
    issued = conn.execute(
        "select month, data_cut_off from publication.latest_issues order by month"
    ).fetchall()
    return [
        month
        for month, cut_off in issued
        if month in cut_offs and (cut_off is None or cut_offs[month] > cut_off)
    ]


def issue_scores(conn: psycopg.Connection, month: date) -> list[Issue]:
    """The monthly run's step: issue `month`, and reissue earlier months whose data was restated."""
    months = [
        month.replace(day=1),
        *[m for m in months_restated_since_issue(conn) if m != month.replace(day=1)],
    ]
    return [issue for m in months if (issue := issue_month(conn, m)) is not None]
