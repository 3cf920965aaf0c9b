"""The days a daily DAG run lands: its data day, or the range its trigger asked for."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kinerja.orchestration.dag_defaults import days_of_run, pulls_api

# 06:00 WIB on 15 October is 23:00 UTC on the 14th: the data day is the WIB day
SCHEDULED = datetime(2026, 10, 14, 23, 0, tzinfo=UTC)


def test_a_scheduled_run_lands_its_data_day_in_wib():
    assert days_of_run(SCHEDULED, {"first_day": None, "last_day": None}) == [date(2026, 10, 15)]
    assert days_of_run(SCHEDULED, None) == [date(2026, 10, 15)]


def test_a_triggered_range_replaces_the_data_day():
    days = days_of_run(SCHEDULED, {"first_day": "2026-09-01", "last_day": "2026-09-30"})
    assert (days[0], days[-1], len(days)) == (date(2026, 9, 1), date(2026, 9, 30), 30)
    assert days_of_run(None, {"first_day": "2026-09-01", "last_day": "2026-09-01"}) == [date(2026, 9, 1)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"first_day": "2026-09-01", "last_day": None}, "needs both first_day and last_day"),
        ({"first_day": "2026-09-30", "last_day": "2026-09-01"}, "ends before it starts"),
    ],
)
def test_a_half_or_reversed_range_is_refused_with_what_to_give(params, message):
    with pytest.raises(ValueError, match=message):
        days_of_run(SCHEDULED, params)


def test_a_run_without_logical_date_or_range_is_refused():
    with pytest.raises(ValueError, match="must give first_day and last_day"):
        days_of_run(None, {})


def test_a_run_pulls_the_apis_unless_its_trigger_turns_pull_api_off():
    assert pulls_api(None) and pulls_api({"first_day": "2026-10-01", "last_day": "2026-10-02"})
    assert pulls_api({"pull_api": True})
    assert not pulls_api({"pull_api": False})  # kinerja repair: its API batches came from the archive
