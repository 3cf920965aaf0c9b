"""
### kinerja_daily: land, audit and model one metric day

Each run is about one **data day** (the start of its data interval, WIB):

1. `sync_registry`: load the registry files (institutions, official accounts).
2. `land_simulator`: land every account's metrics of the day as one batch (COPY,
   idempotent, recorded in `raw.batch_ledger`).
3. `audit_batch`: Great Expectations suite `raw_account_daily`; failing rows go to
   `raw.quarantine` with their reason, the rest is accepted. Fails only when the
   batch as a whole is unusable.
4. `dbt_daily`: staging and marts (`tag:daily`), the data day and its trailing days.
5. `publish`: announces the asset `fct_account_daily` for the data day.

Re-running a day, twice or concurrently, leaves the warehouse the same.
"""

from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable
from kinerja.orchestration import DAG_DEFAULTS, DATA_DAY_TEMPLATE, TIMEZONE, data_day_of, dbt_task_group

ACCOUNT_DAILY = Asset(name="kinerja_fct_account_daily", uri="kinerja://marts/fct_account_daily")


@dag(
    dag_id="kinerja_daily",
    schedule=CronDataIntervalTimetable("0 6 * * *", timezone=TIMEZONE),
    **DAG_DEFAULTS,
    tags=["kinerja", "daily", "landing"],
    doc_md=__doc__,
)
def kinerja_daily():
    @task
    def sync_registry() -> dict:
        from kinerja.pipeline import sync_registry

        return sync_registry()

    @task
    def land_simulator(data_interval_start=None) -> str:
        from kinerja.pipeline import land_simulated_day

        return land_simulated_day(data_day_of(data_interval_start))

    @task
    def audit_batch(batch_id: str) -> dict:
        from kinerja.pipeline import audit_batch

        return audit_batch(batch_id)

    @task(outlets=[ACCOUNT_DAILY])
    def publish(data_interval_start=None, outlet_events=None) -> str:
        day = data_day_of(data_interval_start).isoformat()
        outlet_events[ACCOUNT_DAILY].extra = {"data_day": day}
        return day

    dbt_daily = dbt_task_group("dbt_daily", select=["tag:daily"], dbt_vars={"data_day": DATA_DAY_TEMPLATE})
    batch_id = land_simulator()
    sync_registry() >> batch_id
    audit_batch(batch_id) >> dbt_daily >> publish()


kinerja_daily()
