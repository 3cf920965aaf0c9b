"""The plan of a daily run's days (kinerja.landing.plan): the pure rule, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kinerja.landing.plan import DayPlan, days_covered, window

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
