"""What a parser makes of one export: rows by line number, problems by line and column.

A `ParsedFile` holds no rows: `items()` parses them from the file's bytes again each time it is
called, in the file's order, so that a file of many rows costs one row's memory at a time.
`survey()` is what one pass tells of the whole file (its accounts, its latest day, how many
rows and problems); `account_days`, `posts`, `problems` and `rows` materialise a small file's
rows as lists, for tests and the few callers that need them.

Rows hold canonical metric values but no account yet: which registry account a file
belongs to is decided afterwards (`kinerja.sources.filedrop.accounts`), then the rows
become canonical records through `account_day_record` and `post_record`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from kinerja.sources.base import NoValue, account_day_record, post_record


@dataclass(frozen=True)
class AccountHint:
    """What a file says about its account, where the format carries it."""

    handle: str | None = None
    platform_account_id: str | None = None

    def __bool__(self) -> bool:
        return bool(self.handle or self.platform_account_id)

    def __str__(self) -> str:
        parts = [
            f"@{self.handle}" if self.handle else "",
            f"id {self.platform_account_id}" if self.platform_account_id else "",
        ]
        return " / ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that cannot land as it is: its line in the file, the column, and why."""

    line: int
    column: str
    reason: str
    check: str = "parse"
    account_id: str | None = None  # the registry account of the row, once the file's accounts are known


@dataclass(frozen=True)
class AccountDayRow:
    line: int
    day: date
    values: dict[str, int | None]
    missing: dict[str, NoValue]
    hint: AccountHint = AccountHint()

    @property
    def data_day(self) -> date:
        return self.day

    def record(self, platform: str, account_id: str) -> dict:
        return account_day_record(platform, account_id, self.day, self.values, self.missing)


@dataclass(frozen=True)
class PostRow:
    line: int
    post_id: str
    as_of: date
    published_at: datetime | None
    post_type: str | None
    values: dict[str, int | None]
    missing: dict[str, NoValue]
    hint: AccountHint = AccountHint()

    @property
    def data_day(self) -> date:
        return self.as_of

    def record(self, platform: str, account_id: str) -> dict:
        return post_record(
            platform,
            account_id,
            self.post_id,
            self.as_of,
            self.published_at,
            self.post_type,
            self.values,
            self.missing,
        )


Item = AccountDayRow | PostRow | RowProblem


@dataclass(frozen=True)
class Survey:
    """What one pass over a parsed file tells of it as a whole."""

    hints: frozenset[AccountHint]
    latest_day: date | None  # the latest day of its rows; None: no row read
    rows: int  # rows read (account days and posts)
    problems: int  # rows that did not parse


def _nothing() -> Iterator[Item]:
    return iter(())


@dataclass
class ParsedFile:
    name: str
    format: str
    platform: str
    read_items: Callable[[], Iterator[Item]] = field(default=_nothing, repr=False)
    notes: list[str] = field(default_factory=list)  # file-level remarks for the sender (nothing lost)
    _survey: Survey | None = field(default=None, repr=False)

    def items(self) -> Iterator[Item]:
        """Every row and every problem of the file, parsed afresh, in the file's order."""
        return self.read_items()

    def survey(self) -> Survey:
        """Hints, latest day and counts of the whole file: one pass, made once."""
        if self._survey is None:
            hints, latest, rows, problems = set(), None, 0, 0
            for item in self.items():
                if isinstance(item, RowProblem):
                    problems += 1
                    continue
                rows += 1
                hints.add(item.hint)
                latest = item.data_day if latest is None else max(latest, item.data_day)
            self._survey = Survey(frozenset(hints), latest, rows, problems)
        return self._survey

    @property
    def account_days(self) -> list[AccountDayRow]:
        return [item for item in self.items() if isinstance(item, AccountDayRow)]

    @property
    def posts(self) -> list[PostRow]:
        return [item for item in self.items() if isinstance(item, PostRow)]

    @property
    def problems(self) -> list[RowProblem]:
        return [item for item in self.items() if isinstance(item, RowProblem)]

    @property
    def rows(self) -> list[AccountDayRow | PostRow]:
        return [*self.account_days, *self.posts]

    @property
    def hints(self) -> set[AccountHint]:
        return set(self.survey().hints)
