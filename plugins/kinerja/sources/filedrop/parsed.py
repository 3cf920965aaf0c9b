"""What a parser makes of one export: rows by line number, problems by line and column.

Rows hold canonical metric values but no account yet: which registry account a file
belongs to is decided afterwards (`kinerja.sources.filedrop.accounts`), then the rows
become canonical records through `account_day_record` and `post_record`.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot land as it is: its line in the file, the column, and why."""

    line: int
    column: str
    reason: str
    check: str = "parse"


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


@dataclass
class ParsedFile:
    name: str
    format: str
    platform: str
    account_days: list[AccountDayRow] = field(default_factory=list)
    posts: list[PostRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # file-level remarks for the sender (nothing lost)

    @property
    def rows(self) -> list[AccountDayRow | PostRow]:
        return [*self.account_days, *self.posts]

    @property
    def hints(self) -> set[AccountHint]:
        return {row.hint for row in self.rows}
