"""Reading the inbox: each new file as received, attributed and checked; the file drop writes nothing.

Layout: `<inbox>/<institution_id>/<file>`, one folder per institution. `read_inbox` yields one
`DroppedFile` per new file (kinerja.sources.filedrop.dropped): its bytes as received, its
entry for raw.filedrop_files, its account days and posts (source "filedrop", self-reported),
and its bad rows held back with file, line, column and reason while the rest of the file
lands. The same bytes landed before are a `duplicate`: nothing new. A file that cannot be
used at all (or mostly not) is `rejected`: once landing has recorded it, `settle` moves it
to `<inbox>/_rejected/<institution_id>/` with `<name>.error.txt` beside it saying what was
wrong and what to do. A fault of ours in one file makes it `failed`, never a stop.

Nothing is followed out of the inbox: a link (to a file or a folder) is refused unread, and
files are opened without following links; hidden files, sub-folders and oversized files are
refused unread too, each with a note. Only a folder named like an institution id ever
becomes part of a path.

Landing (kinerja.landing.filedrop) archives, lands and records each file in one transaction
and settles it in the inbox only after the commit, so a crash leaves every file either fully
landed or still waiting in the inbox. Files are read one at a time, as landing asks for the
next: the plausibility check of a file sees the follower counts of the files landed before it.
"""

from __future__ import annotations

import errno
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from kinerja import config
from kinerja.registry.history import is_valid_on
from kinerja.sources.filedrop import lookups
from kinerja.sources.filedrop.accounts import AccountError, latest_day, resolve_accounts
from kinerja.sources.filedrop.cells import quoted
from kinerja.sources.filedrop.dropped import (
    NOTE_ROWS,
    Drop,
    DroppedFile,
    FileEntry,
    FileRecords,
    TooLarge,
    gone,
    read_bytes,
    unread_sha256,
)
from kinerja.sources.filedrop.parsed import AccountDayRow, AccountHint, ParsedFile, PostRow, RowProblem
from kinerja.sources.filedrop.parsers import parse_export
from kinerja.sources.filedrop.plausibility import implausible_rows
from kinerja.sources.filedrop.spooled import HeldRows
from kinerja.sources.filedrop.table import UnreadableFile

log = logging.getLogger(__name__)

SOURCE = "filedrop"
# Errors that mean the warehouse itself is gone (the server stopped, the connection broke):
# every other file would meet them too. Any other error is a fault in one file.
WAREHOUSE_GONE = (psycopg.OperationalError, psycopg.InterfaceError)

# Files still being written by a browser or a copy: taken once they are complete.
_IN_PROGRESS = (".part", ".crdownload", ".tmp")
# Folders of the inbox that are ours, not institutions' (`_rejected/`): never read.
_OURS = "_"

LINK_REFUSED = (
    "is a link, not a file: the inbox takes only files put into it, never links to elsewhere, "
    "so nothing of it was read. Copy the export itself into your institution's folder"
)
HIDDEN_REFUSED = (
    "has a name starting with a dot, which marks a hidden file, so it was not read. If it is an "
    "export, rename it without the leading dot and drop it again"
)
NOT_A_FILE_REFUSED = (
    "is a folder (or another thing that is no file), so it was not read. Put each export directly "
    "into your institution's folder, without sub-folders"
)


@dataclass(frozen=True)
class Waiting:
    """One entry of the inbox to deal with: a file to read, or a thing refused unread, and why."""

    path: Path
    institution_id: str | None  # the folder it lies in; None: the inbox itself
    refusal: str | None = None  # why it is refused without being read


def read_inbox(
    conn: psycopg.Connection,
    inbox: Path,
    registry_rows: Iterable[dict[str, Any]],
    today: date,
) -> Iterator[DroppedFile]:
    """Every new file of the inbox as read, in name order, one at a time; nothing is written.

    `conn` is only read (kinerja.sources.filedrop.lookups). A fault of ours in one file
    yields it as `failed` (landing records it and moves it aside), and the other files go on.
    """
    rows = list(registry_rows)
    for waiting in new_files(Path(inbox)):
        drop = Drop(waiting.path, waiting.institution_id, Path(inbox), today)
        try:
            dropped = refused(drop, waiting.refusal) if waiting.refusal else read_file(conn, drop, rows)
        except FileNotFoundError:
            dropped = DroppedFile(drop, *gone(drop))
        except WAREHOUSE_GONE:
            raise  # the warehouse cannot be reached: no other file would fare better
        except Exception as error:  # a fault in one file must not stop the other institutions' files
            log.exception("file drop failed on %s", drop.shown_name)
            if isinstance(error, psycopg.Error):
                conn.rollback()  # a failed statement aborts the reads' transaction
            dropped = DroppedFile(drop, "failed", "")
            dropped.fail(error)
        yield dropped


def new_files(inbox: Path) -> Iterator[Waiting]:
    """Every entry waiting in the inbox, in name order; links and hidden or odd entries refused.

    Nothing is followed out of the inbox: a link (to a file or a folder) is refused without
    being read, and an institution folder that is a link is never entered.
    """
    for entry in _entries(inbox):
        if entry.name.startswith(_OURS):
            continue
        if entry.is_symlink():
            yield Waiting(entry, None, LINK_REFUSED)
        elif entry.is_dir():
            for inner in _entries(entry):
                if refusal := _refusal(inner):
                    yield Waiting(inner, entry.name, refusal)
                elif not inner.name.endswith(_IN_PROGRESS):
                    yield Waiting(inner, entry.name)
        elif refusal := _refusal(entry):
            yield Waiting(entry, None, refusal)
        elif not entry.name.endswith(_IN_PROGRESS):
            yield Waiting(entry, None)


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _refusal(path: Path) -> str | None:
    """Why an entry of an institution folder is refused unread, or None for a file to read."""
    if path.is_symlink():
        return LINK_REFUSED
    if path.name.startswith("."):
        return HIDDEN_REFUSED
    if not path.is_file():
        return NOT_A_FILE_REFUSED
    return None


def too_large(limit: int) -> str:
    return (
        f"is larger than the {limit:,} bytes the file drop takes from one file, so it was not read: "
        "export a shorter period (at most the last three months) or one account at a time"
    )


def refused(drop: Drop, reason: str) -> DroppedFile:
    """A thing of the inbox refused without reading it: recorded by its place, never its content."""
    entry = FileEntry(drop.folder, unread_sha256(drop), drop.path.name, status="rejected")
    entry.message = f"{drop.path.name} {reason}"
    return DroppedFile(drop, "rejected", f"{drop.shown_name}: rejected: {entry.message}", None, entry)


def read_file(conn: psycopg.Connection, drop: Drop, registry_rows: list[dict[str, Any]]) -> DroppedFile:
    """One file: a duplicate of bytes landed before, rejected with the reason, or its records to land."""
    limit = config.filedrop_max_bytes()
    try:
        data = read_bytes(drop.path, limit)
    except OSError as error:
        if error.errno == errno.ELOOP:  # became a link after the inbox was listed
            return refused(drop, LINK_REFUSED)
        raise
    except TooLarge:
        return refused(drop, too_large(limit))
    entry = FileEntry(drop.folder, hashlib.sha256(data).hexdigest(), drop.path.name)
    # Only a landed file (whole or in part) is final: a rejection may be cured without touching
    # the bytes (the account gets registered, the file is renamed after its handle), so those
    # are read again.
    if lookups.file_status(conn, drop.folder, entry.sha256) in lookups.FINAL_STATUSES:
        note = f"{drop.shown_name}: the same bytes were landed before; nothing new"
        return DroppedFile(drop, "duplicate", note, data, entry)
    try:
        parsed = _read(drop, data, registry_rows)
        return _to_land(conn, drop, data, entry, parsed, registry_rows)
    except (UnreadableFile, AccountError) as error:
        entry.status, entry.message = "rejected", str(error)
        return DroppedFile(drop, "rejected", f"{drop.shown_name}: rejected: {error}", data, entry)


def drop_day(path: Path, today: date) -> date:
    """The latest day the export can have been made: when the file was written, or today."""
    written = datetime.fromtimestamp(path.lstat().st_mtime, ZoneInfo(config.DEFAULT_TIMEZONE)).date()
    return min(written, today)


def _read(drop: Drop, data: bytes, registry_rows: list[dict[str, Any]]) -> ParsedFile:
    if drop.institution_id is None:
        raise AccountError(
            f"{drop.path.name} was dropped outside any institution folder: put it in your institution's "
            "folder of the inbox, <institution_id>/ (e.g. kab-5101/)"
        )
    if not any(row["institution_id"] == drop.institution_id for row in registry_rows):
        raise AccountError(
            f"the folder {quoted(drop.institution_id)} is no institution with registered accounts: drop the file in "
            "your institution's own folder (its registry id, e.g. kab-5101), or ask the data team to register it"
        )
    return parse_export(data, drop.path.name, drop_day(drop.path, drop.today), config.filedrop_max_rows())


def _to_land(
    conn: psycopg.Connection,
    drop: Drop,
    data: bytes,
    entry: FileEntry,
    parsed: ParsedFile,
    registry_rows: list[dict[str, Any]],
) -> DroppedFile:
    """The file's records to land, less the rows held back: bad, after the drop day, outside the
    account's period, repeated, implausible.

    A file's accounts are those registered on its latest day, which only a pass over its rows
    tells. So one pass decides what is held with the accounts of the drop day, resolved as their
    hints are met; if the file's latest day has the same accounts (nearly always), that pass
    stands; if not, or if an account could not be resolved, the accounts of its latest day are
    resolved first, as a separate pass, and the rows decided again with them.
    """
    received = drop_day(drop.path, drop.today)
    guessed = _AccountsMet(parsed, drop.institution_id, registry_rows, received)
    try:
        decided = _decide(conn, parsed, guessed, received)
        exact = resolve_accounts(parsed, drop.institution_id, registry_rows, decided.latest_day, guessed.met)
    except AccountError:
        exact, decided = None, None
    if decided is None or exact != guessed.met:
        latest = latest_day(parsed, received)
        exact = resolve_accounts(parsed, drop.institution_id, registry_rows, latest)  # raises as it must
        decided = _decide(
            conn, parsed, _AccountsMet(parsed, drop.institution_id, registry_rows, latest), received
        )
    _describe(entry, parsed, exact, decided.records.count, decided.held)
    status = "rejected" if entry.status == "rejected" else "landed"
    note = f"{drop.shown_name}: {'rejected: ' if status == 'rejected' else ''}{entry.message}"
    return DroppedFile(drop, status, note, data, entry, decided.records, decided.held)


class _AccountsMet:
    """The registry account of each account hint of a file, resolved on `day` as it is first met."""

    def __init__(self, parsed: ParsedFile, institution_id: str, registry_rows: list[dict], day: date):
        self.parsed, self.institution_id, self.registry_rows, self.day = (
            parsed,
            institution_id,
            registry_rows,
            day,
        )
        self.met: dict[AccountHint, dict] = {}

    def __call__(self, hint: AccountHint) -> dict:
        if hint not in self.met:
            found = resolve_accounts(self.parsed, self.institution_id, self.registry_rows, self.day, [hint])
            self.met[hint] = found[hint]
        return self.met[hint]


@dataclass
class _Decided:
    held: HeldRows
    records: FileRecords
    latest_day: date  # of the rows read; the drop day when none was


def _decide(
    conn: psycopg.Connection, parsed: ParsedFile, account_of: _AccountsMet, received: date
) -> _Decided:
    """One pass over the file's rows: what is held and the records of the rest.

    In memory it keeps only a digest per account day or post (`RepeatSieve`) and the follower
    counts the plausibility check needs; the held rows and the records to land go to temporary
    files (`HeldRows`, `FileRecords`).
    """
    held = HeldRows(NOTE_ROWS)
    # the first row of an account day or post that a later row contradicts: its reason names the
    # latest contradiction, so it is added to `held` only at the end (at most one per key)
    contradicted: dict[int, RowProblem] = {}
    repeats = RepeatSieve()
    landing_days: dict[type, Counter[date]] = {AccountDayRow: Counter(), PostRow: Counter()}
    followers: dict[int, dict] = {}  # the first row of each account day, for the plausibility check
    records = FileRecords()
    rows = rows_held = 0
    latest = None
    for item in parsed.items():
        if isinstance(item, RowProblem):
            held.add(item)
            continue
        rows += 1
        latest = item.data_day if latest is None else max(latest, item.data_day)
        account = account_of(item.hint)
        account_id = account["account_id"]
        if problem := _after_drop_day(item, received) or _outside_account_period(item, account):
            held.add(replace(problem, account_id=account_id))
        elif repeated := repeats.see(item, account_id):
            for problem in repeated:
                if problem.line == item.line:
                    held.add(replace(problem, account_id=account_id))
                else:
                    if problem.line not in contradicted:
                        landing_days[type(item)][item.data_day] -= 1
                        rows_held += 1
                    contradicted[problem.line] = replace(problem, account_id=account_id)
        else:
            landing_days[type(item)][item.data_day] += 1
            records.add(item.line, isinstance(item, PostRow), item.record(parsed.platform, account_id))
            if isinstance(item, AccountDayRow) and item.values.get("followers") is not None:
                followers[item.line] = _followers_record(parsed.platform, account_id, item)
            continue
        rows_held += 1
    if rows == 0:
        account_of(AccountHint())  # a file without rows is still the folder's account's (or refused)
    checked = [(line, record) for line, record in followers.items() if line not in contradicted]
    implausible = implausible_rows(checked, lookups.last_known_followers(conn))
    for problem in implausible:
        record = followers[problem.line]
        landing_days[AccountDayRow][record["metric_date"]] -= 1
        rows_held += 1
    for problem in [*contradicted.values(), *implausible]:
        held.add(replace(problem, account_id=problem.account_id or followers[problem.line]["account_id"]))
    # rows that did not parse belong to the file's one account too, where it has one
    accounts = {account["account_id"] for account in account_of.met.values()}
    held.default_account_id = next(iter(accounts)) if len(account_of.met) == 1 else None
    records.not_landing = held.lines
    records.latest_account_day = max(
        (d for d, n in landing_days[AccountDayRow].items() if n > 0), default=None
    )
    records.latest_post_day = max((d for d, n in landing_days[PostRow].items() if n > 0), default=None)
    records.count = rows - rows_held
    return _Decided(held, records, received if latest is None else latest)


def _followers_record(platform: str, account_id: str, row: AccountDayRow) -> dict:
    """What the plausibility check reads of an account day."""
    return {
        "platform": platform,
        "account_id": account_id,
        "metric_date": row.day,
        "followers": row.values["followers"],
    }


def _after_drop_day(row: AccountDayRow | PostRow, latest: date) -> RowProblem | None:
    """A row of a day after the file was received: no export holds a day that has not come yet."""
    if row.data_day <= latest:
        return None
    return RowProblem(
        row.line,
        "Date",
        f"{row.data_day} is after {latest}, the day the file was received: no export holds a day "
        "that has not come yet; check the dates (the year) and export again",
        check="date_after_drop",
    )


class RepeatSieve:
    """Rows that repeat the key of an earlier row of the file (an account's day, a post's as-of day).

    A repeat with the same values is counted once (the repeat is held, the first lands); when
    the values differ, which is right cannot be told, so every row of that key is held. Of each
    key only the first line and a digest of its values are kept, so a file of many rows costs
    about 140 bytes per distinct key (two 128-bit numbers and their slot), not per row.
    """

    def __init__(self) -> None:
        # digest of the key -> the first row's line (low 32 bits) and a digest of its values above them
        self._first: dict[int, int] = {}

    def see(self, row: AccountDayRow | PostRow, account_id: str) -> list[RowProblem]:
        """The rows this row holds back: none, itself (a copy), or itself and the first of its key."""
        key = _digest((account_id, getattr(row, "post_id", None), row.data_day), 16)
        values = _digest((sorted(row.values.items()), sorted(row.missing.items())), 12)
        first = self._first.setdefault(key, values << 32 | row.line)
        earlier_line, earlier_values = first & 0xFFFFFFFF, first >> 32
        if earlier_line == row.line:
            return []
        what = f"{row.data_day}" + (f" of post {quoted(row.post_id)}" if isinstance(row, PostRow) else "")
        if earlier_values == values:
            reason = f"{what} repeats line {earlier_line} with the same values: counted once"
            return [RowProblem(row.line, "Date", reason, check="duplicate")]
        reason = (
            f"{what} appears on line {earlier_line} and line {row.line} with different values; which is "
            "right cannot be told, so neither landed: export the period again"
        )
        return [
            RowProblem(earlier_line, "Date", reason, check="duplicate"),
            RowProblem(row.line, "Date", reason, check="duplicate"),
        ]


def _digest(value: object, size: int) -> int:
    """A number of `size` bytes from a cryptographic hash: two different keys or values share one
    with a chance of about one in 2**(8 * size) per pair, far below anything a file could meet."""
    return int.from_bytes(hashlib.blake2b(repr(value).encode(), digest_size=size).digest(), "big")


def repeated_rows(
    rows: Iterable[AccountDayRow | PostRow], account_of: dict[int, str]
) -> dict[int, RowProblem]:
    """The rows `RepeatSieve` holds back among `rows`, by line."""
    sieve, held = RepeatSieve(), {}
    for row in rows:
        held |= {problem.line: problem for problem in sieve.see(row, account_of[row.line])}
    return held


def _outside_account_period(row: AccountDayRow | PostRow, account: dict) -> RowProblem | None:
    """A row of a day on which its account was not (yet, or any more) the registered account."""
    day = row.data_day
    if is_valid_on(account, day):
        return None
    reason = (
        f"{day} is outside the registered period of @{account['handle']} ({account['account_id']}): "
        "the registry must cover the day (ask the data team), or the file is of another account"
    )
    return RowProblem(row.line, "Date", reason, check="account_period")


# How many held rows a file's message names one by one; raw.filedrop_quarantine has them all.
NAMED_PROBLEMS = 3


def _describe(entry: FileEntry, parsed: ParsedFile, accounts: dict, landed: int, held: HeldRows) -> None:
    """Fill in the entry of a file read whole, and its sentence for the sender.

    `landed` when every row lands, `partly_held` when some are held, `rejected` when no row
    can land (a file of only a header, or every row held) or more than half are held: the
    message says why.
    """
    entry.export_format, entry.platform = parsed.format, parsed.platform
    entry.account_ids = sorted({a["account_id"] for a in accounts.values()})
    entry.rows_landed, entry.rows_quarantined = landed, len(held)
    what = f"{parsed.format} of {', '.join(entry.account_ids)}"
    if landed == 0 and not held:
        entry.status = "rejected"
        entry.message = f"{what}: the file has a header but no data rows: export a period with data"
    elif landed == 0:
        entry.status = "rejected"
        entry.message = f"{what}: none of its {len(held)} rows could land: {_named(held)}"
    elif len(held) > landed:  # as the audit judges a batch: mostly wrong is no file to build on
        entry.status, entry.rows_landed = "rejected", 0
        entry.message = (
            f"{what}: {len(held)} of its {landed + len(held)} rows could not land, more than half, so none "
            f"landed: {_named(held)}"
        )
    else:
        entry.status = "partly_held" if held else "landed"
        entry.message = f"{what}: {landed} rows landed"
        if held:
            entry.message += f", {len(held)} held back: {_named(held)}"
    entry.message += "".join(f"; {note}" for note in parsed.notes)


def _named(held: HeldRows) -> str:
    named = "; ".join(f"line {p.line}, {p.column}: {p.reason}" for p in held.first(NAMED_PROBLEMS))
    return named + (f"; and {len(held) - NAMED_PROBLEMS} more" if len(held) > NAMED_PROBLEMS else "")
