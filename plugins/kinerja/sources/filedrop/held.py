"""The rows of one dropped file held back, without holding them all in memory.

A file at the row limit may have every row held (200,000 repeats of seven days): `HeldRows`
writes each held row to a temporary file (in memory up to a megabyte, on disk beyond) and keeps
in memory only its count, a bitmap of the lines held and the first rows by line, which the
file's message and the sender's note name one by one. Landing reads them back to record them
in raw.filedrop_quarantine.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator

from kinerja.sources.filedrop.parsed import RowProblem

_SPOOL_BYTES = 1 << 20


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

    def add(self, problem: RowProblem) -> None:
        if self._spool is None:
            self._spool = tempfile.SpooledTemporaryFile(_SPOOL_BYTES, mode="w+", encoding="utf-8")  # noqa: SIM115
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
        return self._first[:n]

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
            yield RowProblem(line, column, reason, check, account_id)


def _fields(problem: RowProblem) -> list:
    return [problem.line, problem.column, problem.reason, problem.check, problem.account_id]
