"""Issuing a month's scores: a data cut-off, then frozen; restated data makes a numbered reissue.

The monthly run publishes the audited report (reports.rpt_institution_scores_monthly) and
then issues the month: issue 1 freezes its rows in publication.issued_scores with the data
cut-off (the latest landing of the month's data it includes). A regional office's scorecard
is rendered from the issue, never from the live report. When data of an issued month lands
after its cut-off (a platform restated, an agency dropped a late file), the next monthly run
recomputes the month; if a score changed, it issues the month again under the next number
with the list of what changed. Nothing issued is ever updated.
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
            return _record(conn, month, 1, "terbitan pertama", version, cut_off, content, rows, [])
        issue_no, issued_content, issued_version, issued_cut_off = latest
        # a month stays under the method it was issued with; only restated data reissues it
        restated = cut_off is not None and (issued_cut_off is None or cut_off > issued_cut_off)
        if issued_content == content or issued_version != version or not restated:
            return None
        changes = _changes(conn, month, issue_no, rows)
        reason = "data direvisi setelah batas data terbitan sebelumnya"
        return _record(conn, month, issue_no + 1, reason, version, cut_off, content, rows, changes)


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
    log.info(
        "issued %s as issue %d (%s): %d institutions, %d changes",
        f"{month:%Y-%m}",
        issue_no,
        reason,
        len(rows),
        len(changes),
    )
    return Issue(month, issue_no, reason, cut_off, len(rows), changes)


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
