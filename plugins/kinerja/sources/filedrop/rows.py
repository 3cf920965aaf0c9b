"""Reading the cells of one row by header name, collecting every problem of the row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from kinerja.sources.base import NoValue
from kinerja.sources.filedrop.cells import CellError, is_no_value, to_count
from kinerja.sources.filedrop.parsed import RowProblem

T = TypeVar("T")

# A metric of the canonical shape and the headers (header keys) that carry it in one format,
# the first present one wins: {"shares": ("reposts",)}.
MetricColumns = Mapping[str, tuple[str, ...]]


class RowReader:
    """One data row; `problems` collects one entry per unreadable cell.

    Every row of a file has the same columns, so the rows of one file share `found`: which of a
    set of header keys the file has is looked up once per file, not once per row.
    """

    def __init__(
        self,
        line: int,
        cells: Mapping[str, str],
        header_names: Mapping[str, str],
        found: dict[tuple, Any] | None = None,
    ):
        self.line = line
        self.cells = cells
        self.header_names = header_names  # header key -> the header as written, for messages
        self.found = {} if found is None else found
        self.problems: list[RowProblem] = []

    def column(self, *keys: str) -> str | None:
        """The first of `keys` the file has."""
        try:
            return self.found[keys]
        except KeyError:
            found = self.found[keys] = next((key for key in keys if key in self.cells), None)
            return found

    def text(self, *keys: str) -> str | None:
        key = self.column(*keys)
        return None if key is None or is_no_value(self.cells[key]) else self.cells[key]

    def read(self, convert: Callable[[str], T], *keys: str) -> T | None:
        """The converted cell, or None: no column, a no-value mark, or a problem (recorded)."""
        key = self.column(*keys)
        if key is None or is_no_value(self.cells[key]):
            return None
        try:
            return convert(self.cells[key])
        except CellError as error:
            self.problem(key, error.reason)
            return None

    def require(self, convert: Callable[[str], T], *keys: str) -> T | None:
        """Like `read`, but an empty cell is a problem too (a row without its date or post id)."""
        key = self.column(*keys)
        if key is not None and is_no_value(self.cells[key]):
            self.problem(key, "the cell is empty, but every row needs it")
            return None
        return self.read(convert, *keys)

    def problem(self, key: str, reason: str) -> None:
        self.problems.append(RowProblem(self.line, self.header_names.get(key, key), reason))

    def metrics(
        self, columns: MetricColumns, metric_fields: Iterable[str]
    ) -> tuple[dict[str, Any], dict[str, NoValue]]:
        """Canonical values and, for each None, its reason; metrics without a column: not in the export."""
        values: dict[str, Any] = {}
        missing: dict[str, NoValue] = {}
        plan_key = ("metrics", id(columns), id(metric_fields))  # the same constants for every row of a file
        plan = self.found.get(plan_key)
        if plan is None:
            plan = self.found[plan_key] = [(m, self.column(*columns.get(m, ()))) for m in metric_fields]
        for metric, key in plan:
            if key is None:
                missing[metric] = NoValue.NOT_IN_EXPORT
            elif is_no_value(self.cells[key]):
                missing[metric] = NoValue.NOT_REPORTED  # the column is there, the platform left it empty
            else:
                values[metric] = self.read(to_count, key)
        return values, missing
