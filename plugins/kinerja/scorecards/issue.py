"""An issued month, read back from the publication schema: what every scorecard is rendered from.

Scorecards never read the live report: the score rows are the issue's frozen rows
(publication.issued_scores) and everything else a scorecard shows was frozen with the issue
(publication.issued_scorecards, kinerja.publish.issues), so re-rendering an issue gives the
same document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


class NoScoresError(LookupError):
    """Raised when a month (or the issue asked for) has nothing to render."""


@dataclass(frozen=True)
class IssuedMonth:
    """One issue of one month: its header, score rows and frozen details."""

    month: date
    issue_no: int
    issued_at: datetime
    data_cut_off: datetime | None
    reason: str
    changes: list[dict]
    rows: list[dict]
    # institution_id -> details frozen with the issue; missing for issues older than the freeze
    details: dict[str, dict] = field(default_factory=dict)

    def row(self, institution_id: str) -> dict:
        for row in self.rows:
            if row["institution_id"] == institution_id:
                return row
        raise NoScoresError(
            f"institution '{institution_id}' is not in issue {self.issue_no} of {self.month:%Y-%m}:"
            " check the id in the registry (kinerja registry check)"
        )


_HEADER = (
    "select month, issue_no, issued_at, data_cut_off, reason, changes from publication.score_issues"
    " where month = %(month)s and issue_no = coalesce(%(issue_no)s,"
    " (select max(issue_no) from publication.score_issues where month = %(month)s))"
)
_ROWS = (
    "select issued.score, card.details from publication.issued_scores as issued"
    " left join publication.issued_scorecards as card using (month, issue_no, institution_id)"
    " where issued.month = %s and issued.issue_no = %s order by issued.institution_id"
)


def load_issue(conn, month: date, issue_no: int | None = None) -> IssuedMonth:
    """The latest issue of `month` (or issue `issue_no`), with its rows and details."""
    month = month.replace(day=1)
    header = conn.execute(_HEADER, {"month": month, "issue_no": issue_no}).fetchone()
    if header is None:
        which = f"issue {issue_no} of {month:%Y-%m}" if issue_no else f"{month:%Y-%m}"
        raise NoScoresError(f"no issued scores for {which}: run the monthly DAG (or kinerja run) first")
    month, issue_no, issued_at, cut_off, reason, changes = header
    rows, details = [], {}
    for score, card in conn.execute(_ROWS, [month, issue_no]).fetchall():
        score = dict(score, month=month)
        rows.append(score)
        if card is not None:
            details[score["institution_id"]] = card
    return IssuedMonth(month, issue_no, issued_at, cut_off, reason, list(changes or []), rows, details)
