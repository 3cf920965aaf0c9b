"""Processing the inbox: archive each new file, attribute it, check it, land it, or say why not.

Layout: `<inbox>/<institution_id>/<file>`, one folder per institution. Each new file is
archived as received under `<archive>/<institution_id>/<sha256 prefix>__<name>` and
recorded in raw.filedrop_files; the same bytes dropped again change nothing. Rows land
with source "filedrop" (self-reported); bad rows go to raw.filedrop_quarantine with
file, line, column and reason while the rest of the file lands. A file that cannot be
used at all moves to `<inbox>/_rejected/<institution_id>/` with `<name>.error.txt`
beside it saying what was wrong and what to do.

Each file is committed on its own before it leaves the inbox, so a crash in the middle
leaves every file either fully processed or still waiting in the inbox.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from kinerja import config
from kinerja.registry.history import is_valid_on
from kinerja.sources.filedrop import store
from kinerja.sources.filedrop.accounts import AccountError, latest_day, resolve_accounts
from kinerja.sources.filedrop.parsed import AccountHint, ParsedFile, RowProblem
from kinerja.sources.filedrop.parsers import parse_export
from kinerja.sources.filedrop.plausibility import implausible_rows
from kinerja.sources.filedrop.store import FileEntry
from kinerja.sources.filedrop.table import UnreadableFile

log = logging.getLogger(__name__)

SOURCE = "filedrop"
REJECTED_FOLDER = "_rejected"
UNSORTED = "_unsorted"  # archive folder of files dropped outside any institution folder
SHA_PREFIX = 16
# Lands a file's account days and posts under a source name; returns the batch ids.
LandRecords = Callable[[psycopg.Connection, str, list[dict], list[dict]], list[str]]

# Files still being written by a browser or a copy, and our own notes: not exports.
_NOT_EXPORTS = (".part", ".crdownload", ".tmp", ".error.txt")


@dataclass
class InboxReport:
    counts: Counter[str] = field(default_factory=Counter)  # landed, duplicate, rejected, failed, gone
    messages: list[str] = field(default_factory=list)

    def add(self, status: str, message: str) -> None:
        self.counts[status] += 1
        self.messages.append(message)


@dataclass(frozen=True)
class Drop:
    """One new file in the inbox and everything needed to process it."""

    path: Path
    institution_id: str | None  # None: dropped outside any institution folder
    inbox: Path
    archive: Path
    registry_rows: list[dict[str, Any]]
    today: date
    land: LandRecords

    @property
    def folder(self) -> str:
        return self.institution_id or UNSORTED

    @property
    def shown_name(self) -> str:
        return f"{self.folder}/{self.path.name}"


def process_inbox(
    conn: psycopg.Connection,
    inbox: Path,
    archive: Path,
    registry_rows: Iterable[dict[str, Any]],
    today: date,
    land: LandRecords,
) -> InboxReport:
    """Process every new file of the inbox; each file is committed on its own.

    `land` lands a file's parsed account days and posts (kinerja.landing.harvest's
    land_file_records): the file drop reads and attributes, landing writes the raw rows.
    """
    rows = list(registry_rows)
    report = InboxReport()
    for path, institution_id in new_files(Path(inbox)):
        drop = Drop(path, institution_id, Path(inbox), Path(archive), rows, today, land)
        report.add(*_process_one(conn, drop))
        if not conn.autocommit:
            conn.commit()  # the file leaves the inbox only once what it did is committed
    log.info("file drop inbox %s: %s", inbox, dict(report.counts) or "nothing new")
    return report


def _process_one(conn: psycopg.Connection, drop: Drop) -> tuple[str, str]:
    """One file's outcome; a fault of ours in one file leaves it in the inbox and the others go on."""
    try:
        return process_file(conn, drop)
    except FileNotFoundError:
        return "gone", f"{drop.shown_name}: taken away while being read (another run, or its sender)"
    except psycopg.Error:
        raise  # the warehouse is unusable: no other file would fare better
    except Exception as error:  # a bug of a parser must not stop the other institutions' files
        log.exception("file drop failed on %s", drop.shown_name)
        return "failed", f"{drop.shown_name}: failed ({error!r}); it stays in the inbox for the next run"


def new_files(inbox: Path) -> Iterator[tuple[Path, str | None]]:
    """(file, institution folder) of every file waiting in the inbox, in name order."""
    for entry in sorted(inbox.iterdir()) if inbox.exists() else ():
        if entry.name.startswith((".", REJECTED_FOLDER)):
            continue
        if entry.is_dir():
            yield from ((f, entry.name) for f in sorted(entry.iterdir()) if _is_export(f))
        elif _is_export(entry):
            yield entry, None


def _is_export(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and not path.name.endswith(_NOT_EXPORTS)


def process_file(conn: psycopg.Connection, drop: Drop) -> tuple[str, str]:
    data = drop.path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    entry = FileEntry(drop.folder, sha256, drop.path.name, str(_archive(drop, data, sha256)))
    # Only a landed file is final: a rejection may be cured without touching the bytes (the
    # account gets registered, the file is renamed after its handle), so those are tried again.
    if store.file_status(conn, drop.folder, sha256) == "landed":
        return _duplicate(conn, drop, entry)
    try:
        parsed, accounts = _read_and_attribute(drop, data)
    except (UnreadableFile, AccountError) as error:
        return _reject(conn, drop, entry, str(error))
    return _land(conn, drop, entry, parsed, accounts)


def _archive(drop: Drop, data: bytes, sha256: str) -> Path:
    """The file as received, once: the same bytes are archived under the same name."""
    target = drop.archive / drop.folder / f"{sha256[:SHA_PREFIX]}__{drop.path.name}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: the archive never holds half a file
    return target


def drop_day(path: Path, today: date) -> date:
    """The latest day the export can have been made: when the file was written, or today."""
    written = datetime.fromtimestamp(path.stat().st_mtime, ZoneInfo(config.DEFAULT_TIMEZONE)).date()
    return min(written, today)


def _read_and_attribute(drop: Drop, data: bytes) -> tuple[ParsedFile, dict[AccountHint, dict]]:
    if drop.institution_id is None:
        raise AccountError(
            f"{drop.path.name} was dropped outside any institution folder: put it in your institution's "
            f"folder, {drop.inbox}/<institution_id>/"
        )
    if not any(row["institution_id"] == drop.institution_id for row in drop.registry_rows):
        raise AccountError(
            f"the folder {drop.institution_id} is no institution with registered accounts: drop the file in "
            "your institution's own folder (its registry id, e.g. kab-5101), or ask the data team to register it"
        )
    day = drop_day(drop.path, drop.today)
    parsed = parse_export(data, drop.path.name, day)
    return parsed, resolve_accounts(parsed, drop.institution_id, drop.registry_rows, latest_day(parsed, day))


def _duplicate(conn: psycopg.Connection, drop: Drop, entry: FileEntry) -> tuple[str, str]:
    store.count_redrop(conn, entry.institution_id, entry.sha256)
    drop.path.unlink(missing_ok=True)
    note = f"{drop.shown_name}: the same bytes were landed before; nothing new"
    log.info(note)
    return "duplicate", note


def _reject(conn: psycopg.Connection, drop: Drop, entry: FileEntry, message: str) -> tuple[str, str]:
    entry.status, entry.message = "rejected", message
    with conn.transaction():
        store.record_file(conn, entry)
    _move_to_rejected(drop, entry, message)
    log.warning("file drop rejected %s: %s", drop.shown_name, message)
    return "rejected", f"{drop.shown_name}: rejected: {message}"


def _move_to_rejected(drop: Drop, entry: FileEntry, message: str) -> None:
    folder = drop.inbox / REJECTED_FOLDER / drop.folder
    folder.mkdir(parents=True, exist_ok=True)
    drop.path.replace(folder / drop.path.name)
    (folder / f"{drop.path.name}.error.txt").write_text(_error_text(drop, entry, message), encoding="utf-8")


def _error_text(drop: Drop, entry: FileEntry, message: str) -> str:
    return (
        "Kinerja file drop: this file was not accepted. Nothing of it was landed.\n\n"
        f"File:     {drop.shown_name}\n"
        f"Received: {drop.today.isoformat()}\n"
        f"SHA-256:  {entry.sha256}\n\n"
        f"Problem:  {message}\n\n"
        "What to do: fix what is named above and drop the file into your institution's folder again.\n"
        "The file as received is kept in the archive, so nothing is lost.\n"
    )


def _land(
    conn: psycopg.Connection,
    drop: Drop,
    entry: FileEntry,
    parsed: ParsedFile,
    accounts: dict[AccountHint, dict],
) -> tuple[str, str]:
    account_of = {row.line: accounts[row.hint]["account_id"] for row in parsed.rows}
    if len(accounts) == 1:  # rows that did not parse belong to the file's one account too
        sole = next(iter(accounts.values()))["account_id"]
        account_of |= {p.line: sole for p in parsed.problems}
    outside = _outside_account_period(parsed, accounts)
    days = [(row.line, row.record(parsed.platform, account_of[row.line])) for row in parsed.account_days]
    posts = [
        row.record(parsed.platform, account_of[row.line]) for row in parsed.posts if row.line not in outside
    ]
    with conn.transaction():
        implausible = implausible_rows(days, store.last_known_followers(conn))
        held = {problem.line for problem in implausible} | set(outside)
        landed_days = [record for line, record in days if line not in held]
        entry.batch_ids = drop.land(conn, SOURCE, landed_days, posts)
        problems = [*parsed.problems, *outside.values(), *implausible]
        _settle(entry, parsed, accounts, len(landed_days) + len(posts), len(problems))
        store.record_file(conn, entry)
        store.quarantine_rows(conn, entry, problems, account_of)
    drop.path.unlink(missing_ok=True)
    log.info("file drop %s: %s", drop.shown_name, entry.message)
    return entry.status, f"{drop.shown_name}: {entry.message}"


def _outside_account_period(parsed: ParsedFile, accounts: dict[AccountHint, dict]) -> dict[int, RowProblem]:
    """Rows of days on which their account was not (yet, or any more) the registered account."""
    outside = {}
    for row in parsed.rows:
        account, day = accounts[row.hint], row.data_day
        if not is_valid_on(account, day):
            reason = (
                f"{day} is outside the registered period of @{account['handle']} ({account['account_id']}): "
                "the registry must cover the day (ask the data team), or the file is of another account"
            )
            outside[row.line] = RowProblem(row.line, "Date", reason, check="account_period")
    return outside


def _settle(entry: FileEntry, parsed: ParsedFile, accounts: dict, landed: int, quarantined: int) -> None:
    entry.status = "landed"
    entry.export_format, entry.platform = parsed.format, parsed.platform
    entry.account_ids = sorted({a["account_id"] for a in accounts.values()})
    entry.rows_landed, entry.rows_quarantined = landed, quarantined
    held = (
        f", {quarantined} held in raw.filedrop_quarantine (file, line, column, reason)" if quarantined else ""
    )
    entry.message = f"{parsed.format} of {', '.join(entry.account_ids)}: {landed} rows landed{held}"
    entry.message += "".join(f"; {note}" for note in parsed.notes)
