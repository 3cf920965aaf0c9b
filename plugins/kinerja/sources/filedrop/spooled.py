"""What the file drop keeps of one file between reading it and landing it, without holding it in memory.

Each is a temporary file, in memory while small and on disk beyond a megabyte, so that a file
at the row limit costs as little memory as a small one:

- `HeldRows`: the rows held back with their reasons (a file may have every row held: 200,000
  repeats of seven days); in memory only their count, a bitmap of their lines (`LineSet`) and
  the first ones by line, which the file's message and the sender's note name one by one.
  Landing reads them back into raw.filedrop_quarantine.
- `FileRecords`: the canonical records of the rows that may land, made once while the file is
  read; landing reads them back, less the rows held meanwhile (a later row contradicting an
  earlier one, an implausible follower count).
"""

from __future__ import annotations

import json
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

from kinerja.sources.filedrop.parsed import RowProblem

_SPOOL_BYTES = 1 << 20


def _spool(mode: str):
    # closed with the object that keeps it (garbage collection removes the file)
    if mode == "text":
        return tempfile.SpooledTemporaryFile(_SPOOL_BYTES, mode="w+", encoding="utf-8")
    return tempfile.SpooledTemporaryFile(_SPOOL_BYTES)


class LineSet:
    """A set of line numbers as a bitmap: one bit per line of the file, whatever is held."""

    def __init__(self) -> None:
        self._bits = bytearray()

    def add(self, line: int) -> None:
        byte = line >> 3
        if byte >= len(self._bits):
            self._bits.extend(bytes(byte + 1 - len(self._bits) + 4096))
        self._bits[byte] |= 1 << (line & 7)

    def __contains__(self, line: int) -> bool:
        byte = line >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (line & 7)))


class HeldRows:
    """Held rows in the order they were added; `first(n)` are the first by line (n up to `keep`)."""

    def __init__(self, keep: int = 50) -> None:
        self.keep = keep
        self.lines = LineSet()
        self._count = 0
        self._first: list[RowProblem] = []
        self._spool = None
        self.default_account_id: str | None = None  # the account of a held row that names none

    def add(self, problem: RowProblem) -> None:
        if self._spool is None:
            self._spool = _spool("text")
        self._spool.seek(0, 2)  # append, also after a read
        self._spool.write(json.dumps(_fields(problem)) + "\n")
        self._count += 1
        self.lines.add(problem.line)
        first = self._first
        if len(first) < self.keep or problem.line < first[-1].line:
            first.append(problem)
            first.sort(key=lambda p: p.line)  # stable: rows of one line keep their order
            del first[self.keep :]

    def first(self, n: int) -> list[RowProblem]:
        assert n <= self.keep, "only the first `keep` rows are kept in memory"
        return [self._with_account(p) for p in self._first[:n]]

    def _with_account(self, problem: RowProblem) -> RowProblem:
        if problem.account_id is not None or self.default_account_id is None:
            return problem
        return replace(problem, account_id=self.default_account_id)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[RowProblem]:
        if self._spool is None:
            return
        self._spool.seek(0)
        for text in self._spool:
            line, column, reason, check, account_id = json.loads(text)
            yield self._with_account(RowProblem(line, column, reason, check, account_id))


def _fields(problem: RowProblem) -> list:
    return [problem.line, problem.column, problem.reason, problem.check, problem.account_id]


class FileRecords:
    """The records of a file to land, by kind, each with the line it came from.

    `latest_account_day`, `latest_post_day` (the batches' data days) and `count` are set once the
    file has been read; `not_landing` are the lines held after their record was added.
    """

    def __init__(self) -> None:
        self._spool = None
        self.latest_account_day: date | None = None  # None: no account day lands
        self.latest_post_day: date | None = None
        self.count = 0  # records of both kinds that land
        self.not_landing = LineSet()

    def add(self, line: int, is_post: bool, record: dict) -> None:
        if self._spool is None:
            self._spool = _spool("binary")
        self._spool.seek(0, 2)
        pickle.dump((line, is_post, record), self._spool, protocol=pickle.HIGHEST_PROTOCOL)

    def account_days(self) -> Iterator[dict]:
        return self._read(is_post=False)

    def posts(self) -> Iterator[dict]:
        return self._read(is_post=True)

    def _read(self, is_post: bool) -> Iterator[dict]:
        if self._spool is None:
            return
        self._spool.seek(0)
        while True:
            try:
                line, post, record = pickle.load(self._spool)
            except EOFError:
                return
            if post == is_post and line not in self.not_landing:
                yield record
