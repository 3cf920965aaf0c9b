"""What the file drop yields for each file of the inbox: a `DroppedFile`.

It holds all that landing needs and nothing it must work out again: the bytes as received
(for the archive), the file's entry (a row of raw.filedrop_files, tables in
warehouse/ddl_filedrop.sql), the records to land, the rows held back with their reasons,
and `settle`, what becomes of the file in the inbox once landing has committed it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kinerja.sources.filedrop.spooled import FileRecords, HeldRows

REJECTED_FOLDER = "_rejected"
OUTBOX_FOLDER = "_outbox"  # a note for the sender of every file recorded: landed, held, refused, failed
UNSORTED = "_unsorted"  # where files go that lie outside any folder named like an institution id
# What an institution id looks like (kab-5101, kem-komdigi): only such a folder name is ever
# used to build a path of the archive or of `_rejected/`.
INSTITUTION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass
class FileEntry:
    """One row of raw.filedrop_files."""

    institution_id: str
    sha256: str
    original_name: str
    archive_path: str = ""  # set by landing, which keeps the bytes
    status: str = "rejected"  # landed, rejected, failed: set when the file has been dealt with
    message: str = ""
    export_format: str | None = None
    platform: str | None = None
    account_ids: list[str] = field(default_factory=list)
    rows_landed: int = 0
    rows_quarantined: int = 0
    batch_ids: list[str] = field(default_factory=list)  # set by landing


@dataclass(frozen=True)
class Drop:
    """One new file in the inbox: where it lies and the day it counts as received."""

    path: Path
    institution_id: str | None  # None: dropped outside any institution folder
    inbox: Path
    today: date

    @property
    def folder(self) -> str:
        """The institution id the file is kept under: its folder's name when it is one."""
        if self.institution_id and INSTITUTION_ID.fullmatch(self.institution_id):
            return self.institution_id
        return UNSORTED

    @property
    def shown_name(self) -> str:
        return f"{self.folder}/{self.path.name}"


@dataclass
class DroppedFile:
    """One file as the file drop read it, and what to do with it.

    `status` says what landing does: `landed` lands `records` and records `entry` and `held`;
    `rejected` records `entry` (and the held rows that explain it); `duplicate` counts one more
    drop of bytes landed before; `failed` (a fault of ours) records `entry` with the fault;
    `gone` writes nothing.
    """

    drop: Drop
    status: str  # landed, rejected, duplicate, failed, gone
    note: str  # one sentence for the report, naming the file
    data: bytes | None = None  # the bytes as received; None when they could not be read
    entry: FileEntry | None = None  # None when the bytes could not be read
    records: FileRecords = field(default_factory=FileRecords)  # the account days and posts to land
    held: HeldRows = field(
        default_factory=lambda: HeldRows(NOTE_ROWS)
    )  # rows held back, each with its reason

    def settle(self) -> None:
        """Take the file out of the inbox; only once landing has committed what it did with it.

        A landed or duplicate file is removed (its bytes are in the archive); a rejected or
        failed one moves to `_rejected/` with a note for its sender beside it, so that it never
        stops a later run: the data team moves a failed file back into the inbox once the fault is
        fixed. Every recorded file's note also goes to `_outbox/<institution_id>/`, where the
        sender (and later, e-mail) finds it.
        """
        if self.status in ("landed", "duplicate"):
            self.drop.path.unlink(missing_ok=True)
        elif self.status in ("rejected", "failed"):
            self._move_to_rejected()
        self.write_note(self.drop.inbox / OUTBOX_FOLDER)

    def fail(self, error: BaseException) -> None:
        """This file met a fault of ours: nothing of it lands, its entry says why."""
        self.status, self.note = failed(self.drop, error)
        self.records, self.held = FileRecords(), HeldRows(NOTE_ROWS)
        if self.entry is None:
            try:
                self.data = read_bytes(self.drop.path)
                sha256 = hashlib.sha256(self.data).hexdigest()
            except OSError:
                sha256 = unread_sha256(self.drop)
            self.entry = FileEntry(self.drop.folder, sha256, self.drop.path.name)
        self.entry.status, self.entry.message = "failed", failure_reason(error)
        self.entry.rows_landed = self.entry.rows_quarantined = 0
        self.entry.batch_ids = []

    def _move_to_rejected(self) -> None:
        drop = self.drop
        folder = drop.inbox / REJECTED_FOLDER / drop.folder
        folder.mkdir(parents=True, exist_ok=True)
        name = drop.path.name
        if drop.path.is_symlink():
            drop.path.unlink()  # removes the link itself, never what it points at
        else:
            # a file of the same name replaces the one rejected before (that one is archived); a
            # folder cannot replace a folder, so it gets a name of its own
            copies = 1
            while drop.path.is_dir() and (folder / name).exists():
                copies += 1
                name = f"{drop.path.name}~{copies}"
            drop.path.replace(folder / name)
        (folder / f"{name}.error.txt").write_text(self._error_text(), encoding="utf-8")

    def _error_text(self) -> str:
        return self.note_text()

    def note_text(self) -> str:
        """The note for the file's sender: what became of the file, each held row, what to do."""
        assert self.entry is not None  # a recorded file always has its entry
        header = (
            f"File:     {self.drop.shown_name}\n"
            f"Received: {self.drop.today.isoformat()}\n"
            f"SHA-256:  {self.entry.sha256}\n\n"
        )
        if self.status == "failed":
            return (
                "Kinerja file drop: this file could not be processed because of a fault on our side, "
                "not in your file. Nothing of it was landed yet.\n\n"
                + header
                + "What to do: nothing. The data team has been told; once the fault is fixed they process\n"
                "the file again. The file as received is kept, so nothing is lost.\n"
            )
        if self.status == "rejected":
            return (
                "Kinerja file drop: this file was not accepted. Nothing of it was landed.\n\n"
                + header
                + f"Problem:  {self.entry.message}\n\n"
                + self._held_text()
                + "What to do: fix what is named above and drop the file into your institution's folder again.\n"
                "The file as received is kept, so nothing is lost.\n"
            )
        what_to_do = (
            "What to do: correct the rows named above and drop the whole corrected file again; the rows\n"
            "that landed are replaced by the corrected ones. The same file unchanged adds nothing.\n"
            if self.held
            else "Nothing to do.\n"
        )
        return (
            f"Kinerja file drop: this file was received and {self.entry.rows_landed} of its rows landed.\n\n"
            + header
            + f"Result:   {self.entry.message}\n\n"
            + self._held_text()
            + what_to_do
        )

    def _held_text(self) -> str:
        if not self.held:
            return ""
        shown = self.held.first(NOTE_ROWS)
        lines = [f"  line {p.line}, column {p.column}: {p.reason}" for p in shown]
        if len(self.held) > NOTE_ROWS:
            lines.append(
                f"  ... and {len(self.held) - NOTE_ROWS} more rows (the data team has the full list)"
            )
        return "Rows held back (not landed):\n" + "\n".join(lines) + "\n\n"

    def write_note(self, outbox: Path) -> Path | None:
        """The note for the sender, in `<outbox>/<institution_id>/` under a name made of ids; None
        when the file was not recorded (a duplicate, gone)."""
        if self.entry is None or self.status not in ("landed", "rejected", "failed"):
            return None
        folder = outbox / self.drop.folder
        folder.mkdir(parents=True, exist_ok=True)
        key = self.entry.sha256.rpartition(":")[2][:16]
        path = folder / f"{self.drop.today.isoformat()}__{key}__{self.entry.status}.txt"
        path.write_text(self.note_text(), encoding="utf-8")
        return path


# How many held rows a note lists one by one; raw.filedrop_quarantine has them all.
NOTE_ROWS = 50
# How much of a fault's text the file's record keeps: enough to find the bug.
FAULT_CHARACTERS = 300


def gone(drop: Drop) -> tuple[str, str]:
    """(status, sentence) of a file taken away while being read or landed."""
    return "gone", f"{drop.shown_name}: taken away while being read (another run, or its sender)"


def failure_reason(error: BaseException) -> str:
    """The record of a fault of ours: its kind and its first words, for the data team."""
    text = " ".join(str(error).split())
    text = text if len(text) <= FAULT_CHARACTERS else text[:FAULT_CHARACTERS] + "…"
    return f"a fault in Kinerja, not in the file ({type(error).__name__}: {text}); once fixed, move the file from _rejected/ back into its folder"


def failed(drop: Drop, error: BaseException) -> tuple[str, str]:
    """(status, sentence) of a fault of ours in one file: it is recorded and moved to `_rejected/`."""
    return "failed", f"{drop.shown_name}: failed: {failure_reason(error)}"


class TooLarge(ValueError):
    """The file holds more bytes than the file drop reads."""


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a file of the inbox, never through a link, never more than `limit` of them.

    A link put there after the inbox was listed fails here (ELOOP) instead of reading what it
    points at; a file larger than `limit` raises `TooLarge` after reading `limit` + 1 bytes.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(descriptor, "rb") as file:
        data = file.read() if limit is None else file.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise TooLarge(path.name)
    return data


def unread_sha256(drop: Drop) -> str:
    """The key of a file whose bytes were not (or could not be) read: a hash of its place, marked as such."""
    return "unread:" + hashlib.sha256(drop.shown_name.encode("utf-8", "surrogateescape")).hexdigest()
