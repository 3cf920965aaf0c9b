"""What the file drop yields for each file of the inbox: a `DroppedFile`.

It holds all that landing needs and nothing it must work out again: the bytes as received
(for the archive), the file's entry (a row of raw.filedrop_files, tables in
warehouse/ddl_filedrop.sql), the records to land, the rows held back with their reasons,
and `settle`, what becomes of the file in the inbox once landing has committed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kinerja.sources.base import Harvest
from kinerja.sources.filedrop.parsed import RowProblem

REJECTED_FOLDER = "_rejected"
UNSORTED = "_unsorted"  # archive folder of files dropped outside any institution folder


@dataclass
class FileEntry:
    """One row of raw.filedrop_files."""

    institution_id: str
    sha256: str
    original_name: str
    archive_path: str = ""  # set by landing, which keeps the bytes
    status: str = "rejected"  # landed, rejected: set when the file has been dealt with
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
        return self.institution_id or UNSORTED

    @property
    def shown_name(self) -> str:
        return f"{self.folder}/{self.path.name}"


@dataclass
class DroppedFile:
    """One file as the file drop read it, and what to do with it.

    `status` says what landing does: `landed` lands `harvest` and records `entry` and `held`;
    `rejected` records `entry`; `duplicate` counts one more drop of bytes landed before;
    `failed` and `gone` write nothing and leave the file where it is.
    """

    drop: Drop
    status: str  # landed, rejected, duplicate, failed, gone
    note: str  # one sentence for the report, naming the file
    data: bytes | None = None  # the bytes as received; None when they could not be read
    entry: FileEntry | None = None  # None when the bytes could not be read
    harvest: Harvest = field(default_factory=Harvest)  # the account days and posts to land
    held: list[RowProblem] = field(default_factory=list)  # rows held back, each with its reason
    account_of_line: dict[int, str] = field(default_factory=dict)  # the account of a held row

    def settle(self) -> None:
        """Take the file out of the inbox; only once landing has committed what it did with it.

        A landed or duplicate file is removed (its bytes are in the archive); a rejected one
        moves to `_rejected/` with a note for its sender; a failed one stays for the next run.
        """
        if self.status in ("landed", "duplicate"):
            self.drop.path.unlink(missing_ok=True)
        elif self.status == "rejected":
            self._move_to_rejected()

    def _move_to_rejected(self) -> None:
        drop = self.drop
        folder = drop.inbox / REJECTED_FOLDER / drop.folder
        folder.mkdir(parents=True, exist_ok=True)
        drop.path.replace(folder / drop.path.name)
        (folder / f"{drop.path.name}.error.txt").write_text(self._error_text(), encoding="utf-8")

    def _error_text(self) -> str:
        assert self.entry is not None  # a file is only rejected once its bytes were read
        return (
            "Kinerja file drop: this file was not accepted. Nothing of it was landed.\n\n"
            f"File:     {self.drop.shown_name}\n"
            f"Received: {self.drop.today.isoformat()}\n"
            f"SHA-256:  {self.entry.sha256}\n\n"
            f"Problem:  {self.entry.message}\n\n"
            "What to do: fix what is named above and drop the file into your institution's folder again.\n"
            "The file as received is kept in the archive, so nothing is lost.\n"
        )


def gone(drop: Drop) -> tuple[str, str]:
    """(status, sentence) of a file taken away while being read or landed."""
    return "gone", f"{drop.shown_name}: taken away while being read (another run, or its sender)"


def failed(drop: Drop, error: Exception) -> tuple[str, str]:
    """(status, sentence) of a fault of ours in one file: it stays in the inbox for the next run."""
    return "failed", f"{drop.shown_name}: failed ({error!r}); it stays in the inbox for the next run"
