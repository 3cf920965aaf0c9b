"""Streamed reading of a dropped file: memory that does not grow with its rows, and what is spooled."""

from __future__ import annotations

import tracemalloc
from datetime import date, timedelta

import pytest

from kinerja.sources.filedrop.parsed import RowProblem
from kinerja.sources.filedrop.parsers import parse_export
from kinerja.sources.filedrop.spooled import HeldRows, LineSet
from kinerja.sources.filedrop.table import UnreadableFile, read_table

RECEIVED = date(2026, 6, 13)


def totals(rows: int) -> bytes:
    days = [f"{RECEIVED - timedelta(days=1 + n % 7):%d-%m-%Y},{100 + n}\n" for n in range(7)]
    return ("Date,Views\n" + "".join(days[n % 7] for n in range(rows))).encode()


def peak_of_a_pass(rows: int) -> int:
    parsed = parse_export(totals(rows), "totals.csv", RECEIVED)
    tracemalloc.start()
    try:
        assert sum(1 for _ in parsed.items()) == rows
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_pass_over_a_file_costs_the_same_memory_for_four_times_the_rows():
    small, large = peak_of_a_pass(1_000), peak_of_a_pass(4_000)
    # holding the rows would cost about a kilobyte each: 3 MB more for the larger file
    assert large < small + 256 * 1024, (small, large)


def test_held_rows_keep_the_first_by_line_in_memory_and_give_every_row_back():
    held = HeldRows(keep=3)
    lines = [9, 2, 7, 5, 3, 8, 1]
    for line in lines:
        held.add(RowProblem(line, "Date", f"reason {line}", "duplicate", "acc-1"))
    assert len(held) == 7 and [p.line for p in held.first(3)] == [1, 2, 3]
    assert [(p.line, p.reason, p.account_id) for p in held] == [(n, f"reason {n}", "acc-1") for n in lines]
    assert all(n in held.lines for n in lines) and 4 not in held.lines and not HeldRows()


def test_a_line_set_holds_any_line_number():
    seen = LineSet()
    seen.add(200_001)
    assert 200_001 in seen and 200_000 not in seen and 10**9 not in seen


def test_a_bad_byte_past_the_first_chunk_is_named_by_its_place_in_the_file():
    data = b"Date,Views\n" + b"01-06-2026,1\n" * 100_000 + "é".encode() + b"\xff"
    with pytest.raises(UnreadableFile, match=f"byte {len(data) - 1} cannot be read"):
        read_table(data, "x.csv")
