"""
### kinerja_daily: land, audit and model one metric day, or a range of days (history)

Each scheduled run is about one **data day** (the start of its data interval, WIB). A run
triggered with the params `first_day` and `last_day` lands that range instead (a history
run, a backfill): the same tasks, each day landed as its own daily run would land it, then
built, audited and published once.

1. `sync_registry`: load the registry files (institutions, official accounts), then
   `audit_registry`: the Great Expectations suites `registry_institutions` and
   `registry_accounts` on the loaded tables (no overlapping periods, known institutions,
   time zones, regions); a failure stops the run before anything lands.
2. The sources of `KINERJA_SOURCES` (default `simulator,filedrop`), in parallel; each lands
   its rows (COPY, idempotent, recorded in `raw.batch_ledger`) and audits every batch with
   Great Expectations (`raw_account_daily`, `raw_post_daily`); failing rows go to
   `raw.quarantine` with their reason:
   - `land_simulator`: every account's simulated metrics of each day and its posts (the
     days of a range in parallel processes, `KINERJA_LANDING_WORKERS`). Fails only when a
     batch as a whole is unusable.
   - `land_filedrop`: every new file of the file drop inbox, archived, landed as
     source `filedrop` and audited (`raw.filedrop_files` says what became of each file;
     rejected files go to `_rejected/` with a note). A bad file never fails the task.
   - `land_api`: every platform's accounts through the platform APIs (opt-in), each day
     with a trailing window, in order; landed as `api:<platform>` and audited. Problems go
     to `raw.source_problems`; fails only when a platform delivered for none of its accounts.
     A run with the param `pull_api` off (`kinerja repair`) pulls nothing: its API batches
     were made again from the archived payloads.
3. `plan_days`: the days this run covers, planned once: the days landed, their trailing days
   (late and restated rows) and the days of every batch audited since it was last published
   (a file dropped for an old day). The plan goes to dbt, the build audit and publish.
4. `dbt_build`: one `dbt build` of staging, intermediate and marts (`tag:daily`) for the
   planned days, models and their tests; the reference dimensions (`tag:reference`:
   calendar, platforms) are left to the monthly run. Built in `build_marts`. Every node's
   result is in the task log and in `ops.dbt_node_results`.
5. `audit_build`: the Great Expectations suite `build_fct_account_daily` on the planned days
   (grain unique, counts not negative, accounts in the registry, no day after today); every
   result goes to `audit.validation_results`, Data Docs are linked from the log. A failure
   names the expectation, the rows and what to do, and publish does not run.
6. `publish`: only when every model, test and the audit passed, copies the planned days into
   `marts`, the schema Metabase reads, in one transaction (write-audit-publish: a failed test
   leaves what users see as it was), records the plan's batches as published and announces
   the asset `fct_account_daily` for the data day.
7. `apply_roles`: `kinerja roles apply`: the BI and province roles' grants and row policies on
   what publish created (a new published table is unreadable to them until then). A missing
   role or a role that cannot be created is logged with what to do; it never fails the run.
8. `send_alerts`: the crisis signals (two or more signals of an account's day) judged on the
   planned days, and API tokens refused or about to expire, to `KINERJA_ALERT_EMAIL_TO` and
   `KINERJA_ALERT_WEBHOOK_URL`, each sent once (`ops.alerts_sent`).

Every task alerts there when its last try fails, saying what broke and what to do
(docs/runbook.md, "Alerts"); a run past its expected duration alerts too.

Re-running a day or a range, twice or concurrently, leaves the warehouse the same; a range
run leaves it as the daily runs of its days would.
"""

from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from kinerja import config
from kinerja.orchestration.dag_defaults import (
    DAILY_SCHEDULE,
    TIMEZONE,
    dag_defaults,
    days_of_run,
    pulls_api,
    range_params,
)
from kinerja.orchestration.dbt_build import dbt_build_task

# dbt receives the plan's days from the plan_days task (rendered when its task runs)
DAYS_TO_BUILD_TEMPLATE = "{{ ti.xcom_pull(task_ids='plan_days')['days_to_build'] }}"

ACCOUNT_DAILY = Asset(name="kinerja_fct_account_daily", uri="kinerja://marts/fct_account_daily")


@dag(
    dag_id="kinerja_daily",
    schedule=CronDataIntervalTimetable(DAILY_SCHEDULE, timezone=TIMEZONE),
    **dag_defaults("daily"),
    tags=["kinerja", "daily", "landing"],
    params=range_params(),
    doc_md=__doc__,
)
def kinerja_daily():
    @task
    def sync_registry() -> dict:
        from kinerja.tasks.registry import sync_registry

        return sync_registry()

    @task
    def audit_registry() -> dict:
        from kinerja.tasks.registry import audit_registry

        return audit_registry()

    @task
    def land_simulator(data_interval_start=None, params=None) -> dict:
        from kinerja.tasks.sources import land_simulated_days

        return land_simulated_days(days_of_run(data_interval_start, params))

    @task
    def land_filedrop(data_interval_start=None, params=None) -> dict:
        from kinerja.tasks.sources import land_file_drops

        return land_file_drops(max(days_of_run(data_interval_start, params)))

    @task
    def land_api(data_interval_start=None, params=None) -> dict:
        from kinerja.tasks.sources import land_api_days

        return land_api_days(days_of_run(data_interval_start, params), pull=pulls_api(params))

    @task
    def plan_days(data_interval_start=None, params=None) -> dict:
        from kinerja.tasks.plan import plan_days

        return plan_days(days_of_run(data_interval_start, params))

    @task
    def audit_build(day_plan: dict) -> dict:
        from kinerja.tasks.audits import audit_build_day

        return audit_build_day(day_plan)

    @task(outlets=[ACCOUNT_DAILY])
    def publish(day_plan: dict, outlet_events=None) -> list[str]:
        from kinerja.tasks.publish import publish_day

        published = publish_day(day_plan)
        outlet_events[ACCOUNT_DAILY].extra = {"data_day": day_plan["data_day"], "days": day_plan["days"]}
        return published

    @task
    def apply_roles() -> dict:
        from kinerja.tasks.publish import apply_roles

        return apply_roles()

    @task
    def send_alerts(day_plan: dict) -> dict:
        from kinerja.tasks.alerts import send_day_alerts

        return send_day_alerts(day_plan)

    # the shape depends on settings only (an environment variable), never on I/O
    sources = config.sources()
    first, last = [], []  # each source's first task (after the registry) and last (before dbt)
    if "simulator" in sources:
        first.append(land_simulator())
        last.append(first[-1])
    if "filedrop" in sources:
        first.append(land_filedrop())
        last.append(first[-1])
    if "api" in sources:
        first.append(land_api())
        last.append(first[-1])
    # the reference dimensions (calendar, platforms) change rarely: the monthly run builds them
    dbt_build = dbt_build_task(
        "dbt_build",
        select=["tag:daily"],
        exclude=["tag:reference"],
        dbt_vars={"days_to_build": DAYS_TO_BUILD_TEMPLATE},
    )
    day_plan = plan_days()
    sync_registry() >> audit_registry() >> first
    published = publish(day_plan)
    last >> day_plan >> dbt_build >> audit_build(day_plan) >> published
    published >> [apply_roles(), send_alerts(day_plan)]


kinerja_daily()
