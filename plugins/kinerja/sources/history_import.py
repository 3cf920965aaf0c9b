"""History from other systems: a file in the canonical import format, read into Harvests.

The format (docs/runbook.md, "Importing history from another system"), CSV (UTF-8, a
header row) or Parquet, one of two kinds, told apart by the `post_id` column:

- account days: `platform`, `account_id`, `metric_date` (YYYY-MM-DD), then any of the
  catalogue's metric columns (`kinerja.sources.METRIC_FIELDS`);
- posts: `platform`, `account_id`, `post_id`, `as_of_date`, `published_at` (ISO 8601 with
  its UTC offset), optionally `post_type`, then any of the post metrics
  (`kinerja.sources.base.POST_METRIC_FIELDS`), lifetime totals as of `as_of_date`.

A metric column the file lacks, or an empty cell, is "no value" (never 0). A column the
format does not know refuses the whole file (a misspelt metric would otherwise vanish
silently); a cell that cannot be read holds back its row, with a problem naming the file,
row and column, and the rest of the file lands.

The file yields one Harvest per calendar month of its days, each with its latest day as
data day: every batch then lies within the import source's audit window of a month
(`kinerja.config.audit_window_days`), however long the history. The source reads and
writes nothing else: `kinerja.landing.harvest` lands and audits each Harvest.
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kinerja import platforms
from kinerja.sources import METRIC_FIELDS
from kinerja.sources.base import POST_METRIC_FIELDS, Harvest, NoValue, account_day_record, post_record

SOURCE = "import"
ACCOUNT_DAY_KEYS = ("platform", "account_id", "metric_date")
POST_KEYS = ("platform", "account_id", "post_id", "as_of_date", "published_at")
SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong in an import file: where (row 0: the file itself), what, and what to do."""

    path: str
    row: int
    column: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.path}, row {self.row}, column {self.column!r}" if self.row else self.path
        return f"{where}: {self.message}" + (f". {self.hint}" if self.hint else "")


@dataclass
class ImportedFile:
    """What one file holds: its kind, a Harvest per month (data day -> Harvest) and its problems."""

    path: Path
    kind: str  # account_days or posts
    harvests: dict[date, Harvest] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    rows: int = 0
    rows_held: int = 0

    @property
    def refused(self) -> bool:
        """True when no row could be read at all (a problem with the file, row 0)."""
        return any(problem.row == 0 for problem in self.problems)


class CellError(ValueError):
    """A cell that cannot be read: the message says what it holds and what is expected."""


def read_history_file(path: Path) -> ImportedFile:
    """The Harvests of one import file, one per month of its days, and every problem found."""
    path = Path(path)
    imported = ImportedFile(path, "account_days")
    if path.suffix.lower() not in SUFFIXES:
        imported.problems.append(
            ImportProblem(
                path.name, 0, "", f"unknown file type {path.suffix!r}", "Give a .csv or .parquet file"
            )
        )
        return imported
    try:
        columns, rows = _read(path)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        imported.problems.append(
            ImportProblem(path.name, 0, "", f"cannot be read ({exc})", "Save it as UTF-8 CSV or as Parquet")
        )
        return imported
    imported.kind = "posts" if "post_id" in columns else "account_days"
    keys, metrics = (
        (POST_KEYS, POST_METRIC_FIELDS) if imported.kind == "posts" else (ACCOUNT_DAY_KEYS, METRIC_FIELDS)
    )
    imported.problems += _header_problems(path.name, columns, keys, metrics)
    if imported.problems:
        return imported
    for number, values in rows:
        imported.rows += 1
        record = _record(path.name, number, values, imported.kind, metrics, columns, imported.problems)
        if record is None:
            imported.rows_held += 1
            continue
        day = record["as_of_date" if imported.kind == "posts" else "metric_date"]
        month = day.replace(day=1)
        harvest = imported.harvests.setdefault(month, Harvest())
        (harvest.posts if imported.kind == "posts" else harvest.account_days).append(record)
    imported.harvests = {_data_day(h, imported.kind): h for _, h in sorted(imported.harvests.items())}
    return imported


def _data_day(harvest: Harvest, kind: str) -> date:
    """A month's data day: its latest day in the file."""
    if kind == "posts":
        return max(record["as_of_date"] for record in harvest.posts)
    return max(record["metric_date"] for record in harvest.account_days)


def _read(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """Column names and (row number, values) pairs; a CSV's row number is its line (header = 1)."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return list(table.column_names), ((n, values) for n, values in enumerate(table.to_pylist(), start=1))
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [name.strip() for name in reader.fieldnames or []]
        rows = [
            (reader.line_num, {k.strip(): v for k, v in values.items() if k is not None}) for values in reader
        ]
    return columns, iter(rows)


def _header_problems(
    name: str, columns: list[str], keys: tuple[str, ...], metrics: tuple[str, ...]
) -> list[ImportProblem]:
    known = (*keys, "post_type", *metrics) if "post_id" in keys else (*keys, *metrics)
    problems = [
        ImportProblem(name, 0, key, f"the column {key!r} is missing", f"Every row needs {', '.join(keys)}")
        for key in keys
        if key not in columns
    ]
    for column in columns:
        if column not in known:
            close = difflib.get_close_matches(column, known, n=1)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            problems.append(
                ImportProblem(
                    name,
                    0,
                    column,
                    f"the column {column!r} is not in the import format",
                    f"{hint}Name metric columns as the catalogue does: {', '.join(metrics)}",
                )
            )
    return problems


def _record(
    name: str,
    number: int,
    values: dict[str, Any],
    kind: str,
    metrics: tuple[str, ...],
    columns: list[str],
    problems: list[ImportProblem],
) -> dict | None:
    """The canonical record of one row, or None (and a problem per bad cell) when a cell cannot be read."""
    found: dict[str, Any] = {}
    bad = False

    def read(column: str, convert) -> None:
        nonlocal bad
        try:
            found[column] = convert(values.get(column))
        except CellError as exc:
            bad = True
            problems.append(
                ImportProblem(name, number, column, str(exc), "Correct the cell and import the file again")
            )

    read("platform", _platform)
    read("account_id", _text)
    if kind == "posts":
        read("post_id", _text)
        read("as_of_date", _date)
        read("published_at", _moment)
    else:
        read("metric_date", _date)
    for metric in metrics:
        if metric in columns:
            read(metric, _decimal if metric == "reply_latency_median_s" else _count)
    if bad:
        return None
    present = {metric: found[metric] for metric in metrics if metric in columns and found[metric] is not None}
    missing = {metric: NoValue.NOT_IN_EXPORT for metric in metrics if metric not in columns}
    if kind == "posts":
        post_type = values.get("post_type")
        return post_record(
            found["platform"],
            found["account_id"],
            found["post_id"],
            found["as_of_date"],
            found["published_at"],
            str(post_type).strip() or None if post_type is not None else None,
            present,
            missing,
        )
    return account_day_record(found["platform"], found["account_id"], found["metric_date"], present, missing)


def _is_empty(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def _text(value: Any) -> str:
    if _is_empty(value):
        raise CellError("is empty: every row needs it")
    return str(value).strip()


def _platform(value: Any) -> str:
    text = _text(value)
    if text not in platforms.names():
        raise CellError(f"{text!r} is not a platform: use one of {', '.join(platforms.names())}")
    return text


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        raise CellError(f"{value!r} is a moment, not a day: give the day as YYYY-MM-DD")
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text!r} is not a day: write it as YYYY-MM-DD") from None


def _moment(value: Any) -> datetime | None:
    if _is_empty(value):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise CellError(
                f"{value!r} is not a moment: write it as ISO 8601, e.g. 2024-05-01T08:30:00+07:00"
            ) from None
    if moment.tzinfo is None:
        raise CellError(f"{value!r} has no UTC offset: add it (+07:00 for WIB), or the post's day is a guess")
    return moment


def _count(value: Any) -> int | None:
    """A whole number (negative ones too: the audit quarantines them with its reason); empty is no value."""
    if _is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not a count")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        raise CellError(
            f"{text!r} is not a whole number: write counts as digits, without separators"
        ) from None


def _decimal(value: Any) -> float | None:
    if _is_empty(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CellError(f"{value!r} is not a number of seconds") from None
