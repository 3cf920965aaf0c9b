"""
### kinerja_watchdog: notice a daily run that never happened

Runs every hour, independent of the other DAGs, and only reads the warehouse:

- `landing_completeness`: per platform the daily sources cover (`KINERJA_SOURCES`), the
  last days that should have landed by now (kinerja_daily lands day D at D+1 06:00 WIB, plus
  6 hours for the run) must have rows that passed the audit for at least half of the
  registry's active accounts. Fails naming each platform's last landed day, the missing
  days and what to do.
- `source_freshness`: `dbt source freshness` on the raw sources (the newest metric day and
  the newest batch; thresholds in `_staging__sources.yml`). Fails when a source is stale.
- `run_durations`: the project's DAG runs still running past their expected duration
  (`KINERJA_<DAG>_RUN_EXPECTED_MINUTES`; Airflow 3 has no SLA), from the run history
  (`ops.dag_runs`); each is alerted once and the task does not fail (the run's
  dagrun_timeout fails the run itself).

A failed check alerts (`KINERJA_ALERT_EMAIL_TO`, `KINERJA_ALERT_WEBHOOK_URL`) with the days
missing and what to do. See docs/runbook.md, "The watchdog failed". `kinerja watchdog` runs the same checks by hand.
"""

from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from kinerja.orchestration.dag_defaults import TIMEZONE, dag_defaults


@dag(
    dag_id="kinerja_watchdog",
    schedule=CronTriggerTimetable("0 * * * *", timezone=TIMEZONE),
    **dag_defaults("watchdog"),
    tags=["kinerja", "watchdog", "quality"],
    doc_md=__doc__,
)
def kinerja_watchdog():
    @task
    def landing_completeness(logical_date=None) -> dict:
        from kinerja.tasks.monitoring import watch_landing

        # the run's own time (a manual run without one: now), so a re-run judges the same hour
        return watch_landing(logical_date)

    @task
    def source_freshness() -> dict:
        from kinerja.tasks.monitoring import watch_source_freshness

        return watch_source_freshness()

    @task
    def run_durations(logical_date=None) -> dict:
        from kinerja.tasks.monitoring import watch_run_durations

        return watch_run_durations(logical_date)

    landing_completeness()
    source_freshness()
    run_durations()


kinerja_watchdog()
