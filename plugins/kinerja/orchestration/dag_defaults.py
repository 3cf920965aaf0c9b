"""What the DAG files share: defaults, schedules' time zone, the days of a run.

DAG files read these at parse time, so nothing here opens a file or a connection.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pendulum

from kinerja import config
from kinerja.landing.plan import days_between
from kinerja.orchestration import alerting

TIMEZONE = pendulum.timezone(config.DEFAULT_TIMEZONE)
START_DATE = datetime(2026, 1, 1, tzinfo=TIMEZONE)

DEFAULT_ARGS = {
    "owner": "kinerja-data-team",
    "retries": config.task_retries(),
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    # a task stuck on a lock or a call is killed and retried rather than holding the run
    "execution_timeout": config.task_timeout(),
    # after the last try: an alert that says what broke and what to do (kinerja.alerts)
    "on_failure_callback": alerting.on_task_failure,
}

# What every Kinerja DAG shares: one run at a time, no automatic catch-up (backfills
# are asked for), the project's owner, retries and timeouts.
DAG_DEFAULTS = {
    "start_date": START_DATE,
    "catchup": False,
    "max_active_runs": 1,
    "default_args": DEFAULT_ARGS,
}


def dag_defaults(kind: str) -> dict:
    """DAG_DEFAULTS and the `kind` DAG's run limits (config.run_limits) with their alerts.

    Past the expected duration the watchdog alerts (kinerja.monitoring.overdue_runs); past
    dagrun_timeout the run is failed and the DAG's failure callback alerts.
    """
    return {
        **DAG_DEFAULTS,
        "dagrun_timeout": config.run_limits(kind).timeout,
        "on_failure_callback": alerting.on_dag_failure,
    }


# The schedules: cron in WIB (TIMEZONE), at the hours config owns.
DAILY_SCHEDULE = f"0 {config.DAILY_RUN_HOUR} * * *"
MONTHLY_SCHEDULE = f"0 {config.MONTHLY_RUN_HOUR} 1 * *"

# dbt builds never run concurrently: they would collide on the same tables.
DBT_POOL = "dbt"


def data_day_of(data_interval_start: datetime) -> date:
    """The metric day a daily run is about: its data interval's start, in WIB."""
    return pendulum.instance(data_interval_start).in_timezone(config.DEFAULT_TIMEZONE).date()


def range_params() -> dict:
    """The daily DAG's params: a triggered run may ask for a range of days (history) instead of its data day."""
    from airflow.sdk import Param

    def day(description: str) -> Param:
        return Param(None, type=["null", "string"], format="date", description=description)

    return {
        "first_day": day("History: the first day to land (YYYY-MM-DD). Leave both empty for the data day."),
        "last_day": day("History: the last day to land (YYYY-MM-DD), at the latest yesterday in WIB."),
        "pull_api": Param(
            True,
            type="boolean",
            description="Pull the days from the platform APIs (when the API source is on). `kinerja repair` "
            "turns it off: it made the range's API batches again from the archived payloads.",
        ),
    }


def days_of_run(data_interval_start: datetime | None, params: dict | None) -> list[date]:
    """The data days a daily run lands: the range its trigger asked for, else its data day."""
    first, last = (params or {}).get("first_day"), (params or {}).get("last_day")
    if first or last:
        if not (first and last):
            raise ValueError(f"a history run needs both first_day and last_day (got {first!r}, {last!r})")
        return days_between(date.fromisoformat(str(first)), date.fromisoformat(str(last)))
    if data_interval_start is None:
        raise ValueError("a run without a logical date must give first_day and last_day")
    return [data_day_of(data_interval_start)]


def pulls_api(params: dict | None) -> bool:
    """Whether the run's land_api pulls its days from the platforms (the param `pull_api`, default yes)."""
    return (params or {}).get("pull_api", True) is not False


def month_of(data_interval_start: datetime) -> date:
    return data_day_of(data_interval_start).replace(day=1)
