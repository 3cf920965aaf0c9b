"""Delivering a month's scorecards by mail, accounted for in a ledger (publication.scorecard_deliveries).

One message per issue and institution: to the registry's `scorecard_email`, with the
province's Diskominfo in cc for a kabupaten or kota, the PDF attached and the scorecard's
HTML as the body, under a Message-ID stable for (month, issue, institution). Each message is
a small state machine in the ledger:

    pending -> sending -> sent
                       -> failed -> (after a backoff, doubled each time) sending ...

- a sent message is never sent again unless forced;
- a failed one is retried with backoff while the others still go, and reported when its
  attempts are spent;
- a row in 'sending' whose claiming warehouse session is still alive is another run at
  work (left alone); one whose session is gone means a process died between claiming and
  recording the send: the message may or may not have left, so it is reported for a person
  to decide (check the mailbox, then `kinerja scorecards send --force --institution ID`),
  never resent blindly;
- a reissue (issue 2, 3, ...) is a new message that says it is a reissue and what changed.

Claims are conditional updates, so two runs at once never send the same message twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kinerja import config, mail
from kinerja.scorecards import document
from kinerja.scorecards.issue import IssuedMonth, load_issue
from kinerja.scorecards.locale import Formatter

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """What a delivery run did, institution ids per outcome."""

    month: date
    issue_no: int
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    # institution id -> the last error, attempts spent or waiting for the next run
    failed: dict[str, str] = field(default_factory=dict)
    # left in 'sending' by a process that died: a person decides
    interrupted: list[str] = field(default_factory=list)
    # being sent by another run at this moment
    in_progress: list[str] = field(default_factory=list)
    no_recipient: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.month:%Y-%m} issue {self.issue_no}: {len(self.sent)} sent, {len(self.already_sent)} already sent,"
            f" {len(self.failed)} failed, {len(self.interrupted)} interrupted (to decide),"
            f" {len(self.in_progress)} being sent by another run,"
            f" {len(self.no_recipient)} without a recipient"
        )


@dataclass(frozen=True)
class Recipients:
    to: str
    cc: str


_RECIPIENTS = """
with versions as (
    select distinct on (institution_id) institution_id, scorecard_email, parent_institution_id
    from registry.institutions
    where valid_from < %(month)s::date + interval '1 month'
    order by institution_id, valid_from desc
)
select institution.institution_id, institution.scorecard_email, coalesce(parent.scorecard_email, '')
from versions as institution
left join versions as parent on parent.institution_id = institution.parent_institution_id
"""

_CLAIM = """
update publication.scorecard_deliveries
set state = 'sending', attempts = attempts + 1, updated_at = now(), claimed_by = (
    select pid || ':' || backend_start from pg_stat_activity where pid = pg_backend_pid())
where month = %(month)s and issue_no = %(issue_no)s and institution_id = %(institution_id)s
  and (
    state = 'pending'
    -- a retry within the run that failed it has waited out the backoff itself
    or (state = 'failed' and attempts < %(max_attempts)s
        and (%(retrying)s or next_attempt_at is null or next_attempt_at <= now()))
    or %(force)s
  )
returning attempts
"""


def deliver_month(
    conn,
    month: date,
    out_dir: Path | None = None,
    *,
    institution: str | None = None,
    force: bool = False,
    lang: str | None = None,
    settings: config.MailSettings | None = None,
    max_attempts: int | None = None,
    backoff_seconds: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Deliver the latest issue of `month` (every institution, or `institution`); see the module.

    `lang`: the language of the message and its scorecard (default: the first of
    KINERJA_SCORECARD_LANGUAGES).
    """
    lang = Formatter(lang or config.scorecard_languages()[0]).lang
    settings = settings or config.mail_settings()
    max_attempts = max_attempts or config.delivery_max_attempts()
    backoff = config.delivery_backoff_seconds() if backoff_seconds is None else backoff_seconds
    issue = load_issue(conn, month)
    rows = [issue.row(institution)] if institution else issue.rows
    report = DeliveryReport(issue.month, issue.issue_no)
    recipients = _recipients(conn, issue.month)
    due: list[str] = []
    for row in rows:
        institution_id = row["institution_id"]
        if not (recipients.get(institution_id) and recipients[institution_id].to):
            report.no_recipient.append(institution_id)
            continue
        _record_pending(conn, issue, institution_id, recipients[institution_id], settings)
        due.append(institution_id)
    out_dir = out_dir or config.scorecards_dir()
    attempt_round = 0
    while due:
        retry = []
        for institution_id in due:
            outcome = _deliver_one(
                conn,
                issue,
                institution_id,
                out_dir,
                lang,
                settings,
                max_attempts,
                backoff,
                force,
                attempt_round > 0,
            )
            if outcome == "retry":
                retry.append(institution_id)
            else:
                _tally(report, institution_id, outcome, conn, issue)
        if not retry:
            break
        # the others went first; wait out the backoff of this round, then retry the failed
        sleep(backoff * 2**attempt_round)
        attempt_round += 1
        due, force = retry, False
    log.info("scorecard delivery %s", report.summary())
    return report


def delivery_status(conn, month: date) -> list[tuple]:
    """The ledger of the month's deliveries: (issue, institution, state, attempts, recipients, error, when)."""
    return conn.execute(
        "select issue_no, institution_id, state, attempts, recipients, cc, last_error, coalesce(sent_at, updated_at)"
        " from publication.scorecard_deliveries where month = %s order by issue_no, state, institution_id",
        [month.replace(day=1)],
    ).fetchall()


def message_id(month: date, issue_no: int, institution_id: str, sender: str) -> str:
    """Stable for what the message is: one issue's scorecard of one institution."""
    return f"<scorecard.{month:%Y-%m}.{issue_no}.{institution_id}@{mail.sender_domain(sender)}>"


# --------------------------------------------------------------------------- steps


def _recipients(conn, month: date) -> dict[str, Recipients]:
    rows = conn.execute(_RECIPIENTS, {"month": month}).fetchall()
    return {institution_id: Recipients(to or "", cc or "") for institution_id, to, cc in rows}


def _record_pending(conn, issue: IssuedMonth, institution_id: str, recipients: Recipients, settings) -> None:
    conn.execute(
        "insert into publication.scorecard_deliveries"
        " (month, issue_no, institution_id, recipients, cc, file_sha256, message_id, state)"
        " values (%s, %s, %s, %s, %s, '', %s, 'pending') on conflict do nothing",
        [
            issue.month,
            issue.issue_no,
            institution_id,
            recipients.to,
            recipients.cc if recipients.cc != recipients.to else "",
            message_id(issue.month, issue.issue_no, institution_id, settings.sender),
        ],
    )
    conn.commit()


def _deliver_one(
    conn, issue, institution_id, out_dir, lang, settings, max_attempts, backoff, force, retrying
) -> str:
    """Claim, send and record one message; returns sent, retry, or the state that blocked it."""
    key = {"month": issue.month, "issue_no": issue.issue_no, "institution_id": institution_id}
    claimed = conn.execute(
        _CLAIM, {**key, "max_attempts": max_attempts, "force": force, "retrying": retrying}
    ).fetchone()
    conn.commit()
    if claimed is None:
        return "blocked"
    html, pdf = _documents(issue, institution_id, out_dir, lang)
    ledger = conn.execute(
        "select recipients, cc, message_id from publication.scorecard_deliveries"
        " where month = %(month)s and issue_no = %(issue_no)s and institution_id = %(institution_id)s",
        key,
    ).fetchone()
    message = _message(issue, institution_id, html, pdf, ledger, settings, lang)
    try:
        via = mail.send(message, settings)
    except mail.MailError as error:
        attempts = claimed[0]
        conn.execute(
            "update publication.scorecard_deliveries set state = 'failed', last_error = %(error)s,"
            " next_attempt_at = now() + make_interval(secs => %(wait)s), updated_at = now()"
            " where month = %(month)s and issue_no = %(issue_no)s and institution_id = %(institution_id)s",
            {**key, "error": str(error), "wait": backoff * 2 ** (attempts - 1)},
        )
        conn.commit()
        log.warning(
            "scorecard of %s not sent (attempt %d of %d): %s", institution_id, attempts, max_attempts, error
        )
        return "retry" if attempts < max_attempts else "failed"
    conn.execute(
        "update publication.scorecard_deliveries set state = 'sent', via = %(via)s, file_sha256 = %(sha)s,"
        " last_error = null, next_attempt_at = null, sent_at = now(), updated_at = now()"
        " where month = %(month)s and issue_no = %(issue_no)s and institution_id = %(institution_id)s",
        {**key, "via": via, "sha": hashlib.sha256(pdf).hexdigest()},
    )
    conn.commit()
    return "sent"


def _tally(report: DeliveryReport, institution_id: str, outcome: str, conn, issue: IssuedMonth) -> None:
    if outcome == "sent":
        report.sent.append(institution_id)
        return
    state, error, attempts, claimant_alive = conn.execute(
        "select state, last_error, attempts, exists ("
        "  select from pg_stat_activity where pid || ':' || backend_start = delivery.claimed_by)"
        " from publication.scorecard_deliveries as delivery"
        " where month = %s and issue_no = %s and institution_id = %s",
        [issue.month, issue.issue_no, institution_id],
    ).fetchone()
    if state == "sent":
        report.already_sent.append(institution_id)
    elif state == "sending" and claimant_alive:
        report.in_progress.append(institution_id)
    elif state == "sending":
        report.interrupted.append(institution_id)
    else:
        report.failed[institution_id] = f"{error} (attempt {attempts})"


def _documents(issue: IssuedMonth, institution_id: str, out_dir: Path, lang: str) -> tuple[str, bytes]:
    """The scorecard's HTML and PDF as written for this issue; rendered now when missing or of another issue."""
    from kinerja.scorecards.render import institution_path, month_folder, render_issue

    stem = institution_path(month_folder(Path(out_dir), issue, lang), institution_id)
    html_path, pdf_path = stem.with_suffix(".html"), stem.with_suffix(".pdf")
    marker = f'<meta name="kinerja-issue" content="{document.issue_key(issue)}">'
    if not (pdf_path.exists() and html_path.exists() and marker in html_path.read_text(encoding="utf-8")):
        render_issue(issue, Path(out_dir), lang=lang, institution=institution_id)
    return html_path.read_text(encoding="utf-8"), pdf_path.read_bytes()


def _message(issue: IssuedMonth, institution_id: str, html: str, pdf: bytes, ledger, settings, lang: str):
    recipients, cc, stable_id = ledger
    fmt = Formatter(lang)
    row = issue.row(institution_id)
    period = fmt.month(issue.month)
    subject = f"{fmt.text('title')} {period}: {row['institution_name']}"
    lines = [
        fmt.text("mail_greeting", name=row["institution_name"]),
        "",
        fmt.text("mail_attached", title=fmt.text("title"), period=period, issue_no=issue.issue_no),
    ]
    headers = {"X-Kinerja-Issue": document.issue_key(issue)}
    if issue.issue_no > 1:
        subject = f"{fmt.text('mail_reissue_subject', issue_no=issue.issue_no)} {subject}"
        changes = [
            document.change_text(fmt, c) for c in issue.changes if c["institution_id"] == institution_id
        ]
        lines += [
            "",
            fmt.text("mail_reissue", reason=document.reason_text(fmt, issue.reason)),
            fmt.text("mail_changed" if changes else "mail_unchanged"),
            *[f"- {change}" for change in changes],
        ]
        # mail clients thread the reissue under the message it replaces
        headers["References"] = message_id(issue.month, issue.issue_no - 1, institution_id, settings.sender)
        headers["Supersedes"] = headers["References"]
    lines += ["", settings.sender]
    return mail.build_message(
        to=[a.strip() for a in recipients.split(",") if a.strip()],
        cc=[a.strip() for a in cc.split(",") if a.strip()],
        subject=subject,
        text="\n".join(lines),
        html=html,
        attachments=[
            mail.Attachment(f"{fmt.text('mail_attachment')}-{issue.month:%Y-%m}-{institution_id}.pdf", pdf)
        ],
        message_id=stable_id,
        sender=settings.sender,
        headers=headers,
    )
