"""The days a daily run covers, planned once, after every source has landed and been audited.

A daily run rebuilds, tests, audits and publishes the same days: its data day and the
trailing days before it (late and restated rows), and every day of the batches audited since
they were last published (a file dropped for a day months back, a batch whose publish failed).
A history run lands a range of days at once; its plan is the range with the trailing days
before its first day, and the same batches due: the rule is the same, the window wider.
This module is the one owner of that rule. The plan goes forward as a value: to dbt as the
var `days_to_build` (what the incremental models rebuild and what their tests read), to the
build audit and to publish, which records the plan's batches as published.

"Since they were last published" is read from the ledger, not from a clock: a batch is
published when a publish recorded it (`raw.batch_ledger.published_at`), and landing or
auditing it again after that time makes it due again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg

from kinerja import platforms

# A post without a publication time keeps the day users already have for it, else its as-of day.
FACT_POSTS = "marts.fct_posts"


@dataclass(frozen=True)
class DayPlan:
    """The days one daily run covers and the batches that brought the days beyond its window."""

    data_day: date  # the last day landed
    trailing_days: int
    days: tuple[date, ...]  # sorted, without repeats
    batch_ids: tuple[str, ...]  # batches audited since last published, recorded as published by publish
    planned_at: datetime  # the warehouse's clock at planning: later landings or audits stay due
    first_day: date | None = None  # the first day landed (a history run's range); default: the data day

    def __post_init__(self) -> None:
        if self.first_day is None:
            object.__setattr__(self, "first_day", self.data_day)

    def dbt_var(self) -> str:
        """The days for dbt's var `days_to_build`."""
        return ",".join(day.isoformat() for day in self.days)

    def to_xcom(self) -> dict:
        return {
            "data_day": self.data_day.isoformat(),
            "trailing_days": self.trailing_days,
            "days": [day.isoformat() for day in self.days],
            "days_to_build": self.dbt_var(),
            "batch_ids": list(self.batch_ids),
            "planned_at": self.planned_at.isoformat(),
            "first_day": self.first_day.isoformat(),
        }

    @classmethod
    def from_xcom(cls, value: dict) -> DayPlan:
        return cls(
            data_day=date.fromisoformat(value["data_day"]),
            trailing_days=int(value["trailing_days"]),
            days=tuple(date.fromisoformat(day) for day in value["days"]),
            batch_ids=tuple(value["batch_ids"]),
            planned_at=datetime.fromisoformat(value["planned_at"]),
            first_day=date.fromisoformat(value["first_day"]) if value.get("first_day") else None,
        )

    def describe(self) -> str:
        first = self.first_day - timedelta(days=self.trailing_days)
        beyond = [day for day in self.days if day < first]
        text = f"{len(self.days)} day(s) {self.days[0]}..{self.days[-1]}"
        if beyond:
            text += f", of which {len(beyond)} before the trailing window from batches audited since the last publish"
        return text


def days_between(first_day: date, last_day: date) -> list[date]:
    """Every day from `first_day` to `last_day`, both included: the days a history run lands."""
    if last_day < first_day:
        raise ValueError(f"the range {first_day}..{last_day} ends before it starts: swap the two days")
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def window(data_day: date, trailing_days: int, first_day: date | None = None) -> list[date]:
    """The days landed (the data day, or `first_day`..`data_day`) and the trailing days before them."""
    return days_between((first_day or data_day) - timedelta(days=trailing_days), data_day)


def days_covered(
    data_day: date, trailing_days: int, landed_days: Iterable[date], first_day: date | None = None
) -> tuple[date, ...]:
    """The trailing window and the days of the batches due, sorted and without repeats."""
    return tuple(sorted({*window(data_day, trailing_days, first_day), *landed_days}))


def plan_days(
    conn: psycopg.Connection, data_day: date, trailing_days: int, first_day: date | None = None
) -> DayPlan:
    """Plan a run: the trailing window (of `first_day`..`data_day` for a history run) and the
    days of every batch due for publishing."""
    planned_at = conn.execute("select clock_timestamp()").fetchone()[0]
    due = batches_due(conn, planned_at)
    landed = _account_days_of(conn, due) | _post_days_of(conn, due)
    days = days_covered(data_day, trailing_days, landed, first_day)
    return DayPlan(data_day, trailing_days, days, tuple(due), planned_at, first_day)


def batches_due(conn: psycopg.Connection, until: datetime) -> list[str]:
    """Batches audited (accepted or rejected) before `until` and not published since.

    A rejected batch is due too: the rows an earlier audit accepted must leave the marts.
    """
    rows = conn.execute(
        """
        select batch_id from raw.batch_ledger
        where audited_at is not null and audited_at <= %(until)s and landed_at <= %(until)s
          and (published_at is null or published_at < greatest(audited_at, landed_at))
        order by batch_id
        """,
        {"until": until},
    ).fetchall()
    return [batch_id for (batch_id,) in rows]


def _account_days_of(conn: psycopg.Connection, batch_ids: list[str]) -> set[date]:
    # `= any(array(...))`: with `in`, the planner reads the whole raw table
    rows = conn.execute(
        "select distinct metric_date from raw.account_daily where batch_id = any(%s)", [batch_ids]
    ).fetchall()
    return {day for (day,) in rows}


def _post_days_of(conn: psycopg.Connection, batch_ids: list[str]) -> set[date]:
    held = "null::date"
    if conn.execute("select to_regclass(%s)", [FACT_POSTS]).fetchone()[0] is not None:
        held = f"""(select held.metric_date from {FACT_POSTS} as held
                    where held.account_id = landed.account_id and held.post_id = landed.post_id)"""
    rows = conn.execute(
        f"""
        select distinct coalesce({platforms.metric_day_sql("landed.platform", "landed.published_at")},
                                 {held}, landed.as_of_date)
        from raw.post_daily as landed
        where landed.batch_id = any(%s)
        """,
        [batch_ids],
    ).fetchall()
    return {day for (day,) in rows}


def record_published(conn: psycopg.Connection, plan: DayPlan) -> int:
    """Record the plan's batches as published as of the plan: what landed or was audited later stays due."""
    return conn.execute(
        """
        update raw.batch_ledger set published_at = %(planned_at)s
        where batch_id = any(%(batch_ids)s)
          and greatest(audited_at, landed_at) <= %(planned_at)s
          and (published_at is null or published_at < %(planned_at)s)
        """,
        {"batch_ids": list(plan.batch_ids), "planned_at": plan.planned_at},
    ).rowcount
