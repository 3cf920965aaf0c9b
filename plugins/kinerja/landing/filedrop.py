"""Landing the file drop: archive each file as received, land its rows, record it, then settle it.

The file drop (kinerja.sources.filedrop.inbox.read_inbox) yields one `DroppedFile` per new
file and writes nothing. For each, in this order:

1. its bytes are archived as received under `<archive>/<institution_id>/<sha256>.<extension>`
   (made of ids, never of the sender's file name; the same bytes are archived once): nothing
   is lost, whatever follows;
2. in one transaction its rows land as batches of source "filedrop" (`land_file_records` below),
   the file is recorded in raw.filedrop_files and its held rows in raw.filedrop_quarantine
   (tables in warehouse/ddl_filedrop.sql); a duplicate only counts one more drop;
3. after the commit, the file is settled in the inbox: removed, or moved to `_rejected/`.

A crash before the commit leaves the file in the inbox, to be read again by the next run.
The archive is landing's, as the platforms' payloads are (kinerja.landing.payloads): the
source hands over the bytes as received and keeps nothing itself, so reading the inbox
writes nowhere and only landing knows where files are kept.
The batches are audited afterwards, each on its own (`audit_dropped_batches`).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from kinerja import config, mail
from kinerja.landing import batches, harvest
from kinerja.sources.filedrop.dropped import NOTE_ROWS, OUTBOX_FOLDER, DroppedFile, FileEntry, gone
from kinerja.sources.filedrop.inbox import SOURCE, WAREHOUSE_GONE
from kinerja.sources.filedrop.parsed import RowProblem
from kinerja.sources.filedrop.spooled import FileRecords

log = logging.getLogger(__name__)

# The extension an archived file keeps, when its name ends in one of these; else `.bin`.
_KEPT_EXTENSION = re.compile(r"\.([a-z0-9]{1,5})$", re.IGNORECASE)


@dataclass
class InboxReport:
    # landed, partly_held, duplicate, rejected, failed, gone
    counts: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)

    def add(self, status: str, message: str) -> None:
        self.counts[status] += 1
        self.messages.append(message)


def land_dropped_files(
    conn: psycopg.Connection, dropped_files: Iterable[DroppedFile], archive: Path
) -> InboxReport:
    """Land every file the file drop read, each committed on its own; what became of each."""
    report = InboxReport()
    for dropped in dropped_files:
        report.add(*land_dropped_file(conn, dropped, Path(archive)))
    log.info("file drop: %s", dict(report.counts) or "nothing new")
    return report


def land_dropped_file(conn: psycopg.Connection, dropped: DroppedFile, archive: Path) -> tuple[str, str]:
    """Archive, land and record one file, commit, then settle it in the inbox; (status, sentence).

    A fault in one file (a bug of ours, a value the warehouse refuses) rolls back what it
    wrote, records the file as `failed` with why, moves it to `_rejected/`, and the other
    files go on. Only a warehouse that cannot be reached stops the run.
    """
    try:
        _record(conn, dropped, archive)
    except FileNotFoundError:
        return gone(dropped.drop)
    except WAREHOUSE_GONE:
        raise  # no other file would fare better
    except Exception as error:  # a fault in one file must not stop the other files
        log.exception("file drop failed to land %s", dropped.drop.shown_name)
        if isinstance(error, psycopg.Error) and not conn.autocommit:
            conn.rollback()
        dropped.fail(error)
        try:
            _record(conn, dropped, archive)
        except WAREHOUSE_GONE:
            raise
        except Exception:  # even recording the fault failed: the file stays where it is, the log says why
            log.exception("file drop could not record the fault of %s", dropped.drop.shown_name)
            return "failed", dropped.note
    _log(dropped)
    try:
        dropped.settle()  # only now, after the commit, may the file leave the inbox
    except FileNotFoundError:
        pass  # taken away meanwhile: it was recorded all the same
    except OSError as error:  # recorded, but it stays: the next run settles it (it is a duplicate then)
        log.exception("file drop could not take %s out of the inbox", dropped.drop.shown_name)
        return outcome(dropped), f"{dropped.note} (it stays in the inbox: {error.strerror})"
    mail_note(conn, dropped)
    return outcome(dropped), dropped.note


def mail_note(conn: psycopg.Connection, dropped: DroppedFile) -> str | None:
    """E-mail the sender's note (the text of its `_outbox/` file) where mail is configured; where it went.

    Configured: an SMTP host in the mail settings (kinerja.mail) and a `scorecard_email` of the
    institution in the registry. Without them the note in `_outbox/` is the only one (mail's own
    outbox would only copy it). A failed send never fails the file: it is logged and kept in
    the file's record (`note_mail_error`) with the note still in `_outbox/`.
    """
    entry = dropped.entry
    if entry is None or dropped.status not in ("landed", "rejected", "failed"):
        return None
    return _mail(
        conn, entry.institution_id, entry.sha256, dropped.drop.path.name, entry.status, dropped.note_text()
    )


def _mail(conn: psycopg.Connection, institution_id: str, sha256: str, file_name: str, what: str, text: str):
    settings = config.mail_settings()
    if not settings.host:
        return None
    found = conn.execute(
        "select scorecard_email from registry.institutions where institution_id = %s"
        " and coalesce(scorecard_email, '') <> '' order by valid_to is null desc, valid_from desc limit 1",
        [institution_id],
    ).fetchone()
    if found is None:
        return None
    # the sender's file name, without what a header cannot hold, shortened
    name = re.sub(r"[\x00-\x1f\x7f]+", "?", file_name)[:80]
    key = sha256.rpartition(":")[2][:16]
    message = mail.build_message(
        to=[found[0]],
        subject=f"Kinerja file drop: {name}: {what.replace('_', ' ')}",
        text=text,
        sender=settings.sender,
        # the same file's note of the same outcome is the same message, also when sent again
        message_id=f"<filedrop.{key}.{what}.{institution_id}@{mail.sender_domain(settings.sender)}>",
    )
    try:
        where = mail.send(message, settings)
        error = None
    except mail.MailError as failure:
        log.warning("file drop: the note on %s/%s was not e-mailed: %s", institution_id, name, failure)
        where, error = None, str(failure)
    conn.execute(
        "update raw.filedrop_files set note_mailed_to = %s, note_mailed_at = case when %s then now() end,"
        " note_mail_error = %s where institution_id = %s and sha256 = %s",
        [found[0], where is not None, error, institution_id, sha256],
    )
    if not conn.autocommit:
        conn.commit()
    return where


def audit_notes(conn: psycopg.Connection, outcomes: Iterable[dict], inbox: Path) -> list[Path]:
    """A second note for the sender of each file whose batch the audit rejected or held rows of.

    The first note is written when the file lands, before its audit; what the audit then
    holds (a count no account could have, a day outside the window, an account not
    registered that day) the sender learns from this one: in `_outbox/<institution_id>/`
    (`...__audit.txt`) and by e-mail where configured. Each held row is named by its account,
    day and column, with the reason.
    """
    written = []
    for audited in outcomes:
        rejected = audited["status"] == "rejected"
        if not rejected and not audited.get("rows_rejected"):
            continue
        files = conn.execute(
            "select institution_id, sha256, original_name from raw.filedrop_files where %s = any(batch_ids)",
            [audited["batch_id"]],
        ).fetchall()
        held = conn.execute(
            "select account_id, metric_date, column_name, reason from raw.quarantine where batch_id = %s"
            " order by row_number, check_name limit %s",
            [audited["batch_id"], NOTE_ROWS + 1],
        ).fetchall()
        for institution_id, sha256, original_name in files:
            text = _audit_note_text(original_name, sha256, rejected, audited, held)
            folder = inbox / OUTBOX_FOLDER / institution_id
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{date.today().isoformat()}__{sha256.rpartition(':')[2][:16]}__audit.txt"
            path.write_text(text, encoding="utf-8")
            written.append(path)
            _mail(conn, institution_id, sha256, original_name, "audit", text)
    return written


def _audit_note_text(name: str, sha256: str, rejected: bool, audited: dict, held: list) -> str:
    lines = [
        f"  {account} on {day}, column {column}: {reason}"
        for account, day, column, reason in held[:NOTE_ROWS]
    ]
    if len(held) > NOTE_ROWS:
        lines.append("  ... and more rows (the data team has the full list)")
    # the data team's wording (raw.batch_ledger.summary) names tables and pages of ours: not here
    verdict = (
        "the audit rejected its rows as a whole (too many failed its checks): none of them reach the reports."
        if rejected
        else f"the audit held {audited['rows_rejected']} of its rows; the others reach the reports."
    )
    return (
        f"Kinerja file drop: your file landed, and {verdict}\n\n"
        f"File:     {name}\nSHA-256:  {sha256}\n\n"
        + ("Rows held back:\n" + "\n".join(lines) + "\n\n" if lines else "")
        + "What to do: correct the rows named above in your export and drop the whole corrected file again.\n"
    )


def outcome(dropped: DroppedFile) -> str:
    """What became of a file: the status of its record (landed, partly_held, rejected, failed), or
    duplicate, gone."""
    recorded = dropped.entry is not None and dropped.status in ("landed", "rejected", "failed")
    return dropped.entry.status if recorded else dropped.status


def _record(conn: psycopg.Connection, dropped: DroppedFile, archive: Path) -> None:
    """Archive the bytes, write what the file's status asks of the warehouse, and commit."""
    if dropped.data is not None and not dropped.entry.archive_path:  # bytes read: kept first
        dropped.entry.archive_path = str(archive_file(archive, dropped))
    with conn.transaction():
        _write(conn, dropped)
    if not conn.autocommit:
        conn.commit()  # the reads of the file drop opened a transaction: the block was its savepoint


def archive_file(archive: Path, dropped: DroppedFile) -> Path:
    """The file as received, once, under a name made of ids: `<institution_id>/<sha256>.<extension>`.

    The name the sender gave is never part of a path (it is recorded in raw.filedrop_files);
    the same bytes of one institution are archived once.
    """
    assert dropped.entry is not None and dropped.data is not None
    entry = dropped.entry
    target = archive / entry.institution_id / f"{entry.sha256}.{archive_extension(entry.original_name)}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(dropped.data)
        partial.replace(target)  # atomic: the archive never holds half a file
    return target


def archive_extension(name: str) -> str:
    found = _KEPT_EXTENSION.search(name)
    return found.group(1).lower() if found else "bin"


def _write(conn: psycopg.Connection, dropped: DroppedFile) -> None:
    """What the file's status asks of the warehouse; a failed or vanished file asks nothing."""
    entry = dropped.entry
    if dropped.status == "landed":
        entry.batch_ids = land_file_records(conn, SOURCE, dropped.records)
        record_file(conn, entry)
        quarantine_rows(conn, entry, dropped.held)
    elif dropped.status in ("rejected", "failed"):
        record_file(conn, entry)
        quarantine_rows(conn, entry, dropped.held)  # why no row could land
    elif dropped.status == "duplicate":
        count_redrop(conn, entry.institution_id, entry.sha256)


def _log(dropped: DroppedFile) -> None:
    if dropped.status == "rejected":
        log.warning("file drop rejected %s: %s", dropped.drop.shown_name, dropped.entry.message)
    elif dropped.status == "failed":
        log.error("file drop %s", dropped.note)
    elif dropped.status in ("landed", "duplicate"):
        log.info("file drop %s", dropped.note)


def count_redrop(conn: psycopg.Connection, institution_id: str, sha256: str) -> None:
    conn.execute(
        """
        update raw.filedrop_files set drop_count = drop_count + 1, last_dropped_at = now()
        where institution_id = %s and sha256 = %s
        """,
        [institution_id, sha256],
    )


def record_file(conn: psycopg.Connection, entry: FileEntry) -> None:
    conn.execute(
        """
        insert into raw.filedrop_files (institution_id, sha256, original_name, archive_path, export_format,
            platform, account_ids, status, message, rows_landed, rows_quarantined, batch_ids)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (institution_id, sha256) do update set
            status = excluded.status, message = excluded.message, export_format = excluded.export_format,
            platform = excluded.platform, account_ids = excluded.account_ids,
            rows_landed = excluded.rows_landed, rows_quarantined = excluded.rows_quarantined,
            batch_ids = excluded.batch_ids, original_name = excluded.original_name,
            archive_path = excluded.archive_path, drop_count = raw.filedrop_files.drop_count + 1,
            last_dropped_at = now()
        """,
        [
            entry.institution_id,
            entry.sha256,
            entry.original_name,
            entry.archive_path,
            entry.export_format,
            entry.platform,
            entry.account_ids,
            entry.status,
            entry.message,
            entry.rows_landed,
            entry.rows_quarantined,
            entry.batch_ids,
        ],
    )


def quarantine_rows(conn: psycopg.Connection, entry: FileEntry, problems: Iterable[RowProblem]) -> None:
    """The file's held rows, replacing any recorded for the same bytes before (COPY, as they are
    read: a file may hold many). Of the problems of one line with the same column and check,
    which come one after another, the last is kept."""
    conn.execute(
        "delete from raw.filedrop_quarantine where institution_id = %s and sha256 = %s",
        [entry.institution_id, entry.sha256],
    )
    with (
        conn.cursor() as cur,
        cur.copy(
            """
        copy raw.filedrop_quarantine (institution_id, sha256, file_name, line_number, column_name,
            check_name, reason, platform, account_id) from stdin
        """
        ) as copy,
    ):
        for line, of_line in itertools.groupby(problems, key=lambda p: p.line):
            last = {(p.column, p.check): p for p in of_line}
            for p in last.values():
                copy.write_row(
                    (
                        entry.institution_id,
                        entry.sha256,
                        entry.original_name,
                        line,
                        p.column,
                        p.check,
                        p.reason,
                        entry.platform,
                        p.account_id,
                    )
                )


def land_file_records(conn: psycopg.Connection, source: str, records: FileRecords) -> list[str]:
    """Land a file's account days and posts, each as one batch of the latest day it carries; the batch ids.

    The records are read from the file as the batch is formatted, never all held at once.
    Their audit follows with `audit_dropped_batches`, after every file of the inbox has landed.
    """
    batch_ids = []
    if records.latest_account_day is not None:
        batch_ids.append(
            batches.land_batch(conn, source, records.latest_account_day, records.account_days()).batch_id
        )
    if records.latest_post_day is not None:
        batch_ids.append(batches.land_posts(conn, source, records.latest_post_day, records.posts()).batch_id)
    return batch_ids


def audit_dropped_batches(conn: psycopg.Connection) -> list[dict]:
    """Audit every batch of the file drop still waiting for its audit, each on its own.

    A fault in the audit of one batch (status `failed`, with why) never stops the audit of
    the others; the batch stays waiting and the next run audits it again.
    """
    outcomes = []
    for table, batch_ids in harvest.pending_batches(conn, SOURCE).items():
        for batch_id in batch_ids:
            try:
                outcomes += harvest.audit_all(conn, [batch_id], harvest.AUDITS[table])
            except WAREHOUSE_GONE:
                raise
            except Exception as error:  # one batch's audit must not stop the others'
                log.exception("the audit of batch %s failed", batch_id)
                conn.rollback()
                outcomes.append({"batch_id": batch_id, "status": "failed", "reason": f"{batch_id}: {error}"})
            conn.commit()
    return outcomes


def file_statuses(conn: psycopg.Connection, institution: str | None = None, limit: int = 50) -> list[dict]:
    """Every recorded file, latest first, with what its audit made of the rows that landed.

    `audit` is the status of its batches in raw.batch_ledger (accepted, rejected, waiting for
    the audit; several when they differ), `rows_audit_rejected` the rows the audit quarantined,
    `audit_summary` why a batch was rejected.
    """
    rows = conn.execute(
        """
        select files.institution_id, files.original_name, files.status, files.export_format,
               array_to_string(files.account_ids, ', ') as accounts, files.rows_landed, files.rows_quarantined,
               audit.statuses, coalesce(audit.rows_rejected, 0), audit.summary, files.drop_count,
               files.last_dropped_at, files.message
        from raw.filedrop_files as files
        left join lateral (
            select string_agg(distinct replace(ledger.status, 'landed', 'waiting'), ', ') as statuses,
                   sum(ledger.rows_rejected) as rows_rejected,
                   string_agg(ledger.summary, '; ') filter (where ledger.status = 'rejected') as summary
            from raw.batch_ledger as ledger
            where ledger.batch_id = any(files.batch_ids)
        ) as audit on true
        where %(institution)s::text is null or files.institution_id = %(institution)s
        order by files.last_dropped_at desc, files.institution_id, files.original_name
        limit %(limit)s
        """,
        {"institution": institution, "limit": limit},
    ).fetchall()
    keys = (
        "institution_id",
        "file",
        "status",
        "format",
        "accounts",
        "rows_landed",
        "rows_held",
        "audit",
        "rows_audit_rejected",
        "audit_summary",
        "drops",
        "last_dropped_at",
        "message",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]
