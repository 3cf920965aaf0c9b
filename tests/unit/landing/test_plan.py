"""The plan of a daily run's days (kinerja.landing.plan): the pure rule, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kinerja.landing.plan import DayPlan, days_between, days_covered, window

DAY = date(2026, 10, 15)


def test_the_window_is_the_data_day_and_its_trailing_days_oldest_first():
    assert window(DAY, 3) == [date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14), DAY]
    assert window(DAY, 0) == [DAY]


def test_days_of_batches_due_join_the_window_once_and_in_order():
    old = date(2026, 7, 1)
    landed = [DAY, old, date(2026, 10, 13), old]
    assert days_covered(DAY, 2, landed) == (old, date(2026, 10, 13), date(2026, 10, 14), DAY)


def test_nothing_due_is_the_window_alone():
    assert days_covered(DAY, 3, []) == tuple(window(DAY, 3))


def test_a_plan_travels_through_xcom_unchanged_and_gives_dbt_its_days():
    plan = DayPlan(
        DAY,
        1,
        (date(2026, 9, 1), date(2026, 10, 14), DAY),
        ("b1", "b2"),
        datetime(2026, 10, 16, 6, 0, 3, tzinfo=UTC),
    )
    value = plan.to_xcom()
    assert value["days_to_build"] == "2026-09-01,2026-10-14,2026-10-15"
    assert DayPlan.from_xcom(value) == plan


def test_the_plan_says_how_many_days_lie_before_the_window():
    plan = DayPlan(
        DAY, 1, (date(2026, 9, 1), date(2026, 10, 14), DAY), ("b1",), datetime(2026, 10, 16, tzinfo=UTC)
    )
    assert plan.describe() == (
        "3 day(s) 2026-09-01..2026-10-15, of which 1 before the trailing window from batches audited since the last publish"
    )
    assert (
        DayPlan(DAY, 1, (date(2026, 10, 14), DAY), (), plan.planned_at).describe()
        == "2 day(s) 2026-10-14..2026-10-15"
    )


def test_a_history_run_covers_its_range_and_the_trailing_days_before_it():
    first = date(2026, 10, 1)
    assert window(DAY, 2, first_day=first) == days_between(date(2026, 9, 29), DAY)
    assert days_covered(DAY, 2, [date(2026, 7, 1)], first_day=first)[:2] == (
        date(2026, 7, 1),
        date(2026, 9, 29),
    )


def test_a_range_is_every_day_from_first_to_last_and_refuses_a_reversed_one():
    assert days_between(DAY, DAY) == [DAY]
    assert len(days_between(date(2026, 1, 1), date(2026, 12, 31))) == 365
    with pytest.raises(ValueError, match="ends before it starts"):
        days_between(DAY, date(2026, 10, 14))


def test_a_history_plan_keeps_its_first_day_through_xcom():
    plan = DayPlan(
        DAY,
        3,
        tuple(window(DAY, 3, date(2026, 10, 1))),
        (),
        datetime(2026, 10, 16, tzinfo=UTC),
        date(2026, 10, 1),
    )
    assert DayPlan.from_xcom(plan.to_xcom()) == plan
    assert plan.describe() == "18 day(s) 2026-09-28..2026-10-15"
    assert DayPlan(DAY, 3, (DAY,), (), plan.planned_at).first_day == DAY
