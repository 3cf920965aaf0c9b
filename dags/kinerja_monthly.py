"""
### kinerja_monthly: score the month and write the scorecards

Each run is about one **month** (its data interval, WIB):

0. `wait_for_data_cut_off`: waits (deferred, no worker held) until the month's data
   cut-off, `TRAILING_DAYS` days after the month ends, when the daily runs have rebuilt
   the month's last day for the last time (Meta restates for up to 48 hours).
1. `dbt_build`: one `dbt build` of the reference dimensions and their seeds
   (`tag:reference`: calendar, platforms, metric definition changes), the methodology seed
   and the reports (`tag:monthly`), among them `rpt_institution_scores_monthly` (IKMS,
   components, rank in the peer group); every node's result is in the task log and in
   `ops.dbt_node_results`.
2. `audit_build`: the Great Expectations suite `build_rpt_institution_scores_monthly` on
   the scores in `build_reports` (one row per institution and month, IKMS and components
   within 0-100, ranks within the peer group and null exactly for "Data tidak cukup",
   coverage within 0-1, the month scored); every result goes to `audit.validation_results`,
   Data Docs are linked from the log. A failure names the expectation, the rows and what to
   do, and publish does not run.
3. `publish`: only when every model, test and the audit passed, the reports are
   copied from `build_reports` into `reports`, which the scorecards and Metabase read
   (write-audit-publish: a failed test or audit leaves what users see as it was).
4. `issue_scores`: freezes the month's scores as issue 1 with its data cut-off
   (`publication.score_issues`, `publication.issued_scores`); an earlier month whose
   data was restated after its cut-off, changing a score, gets a numbered reissue listing
   what changed. What was issued is never updated.
5. `render_scorecards`: one HTML page per province from the month's latest issue,
   ranking its kabupaten/kota and the province itself, in Bahasa Indonesia, under the
   scorecards folder.
"""

from datetime import timedelta

from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from kinerja import config
from kinerja.orchestration.dag_defaults import DAG_DEFAULTS, MONTHLY_SCHEDULE, TIMEZONE, month_of
from kinerja.orchestration.dbt_build import dbt_build_task

SCORECARDS = Asset(name="kinerja_scorecards_monthly", uri="kinerja://scorecards/monthly")


@dag(
    dag_id="kinerja_monthly",
    schedule=CronDataIntervalTimetable(MONTHLY_SCHEDULE, timezone=TIMEZONE),
    **DAG_DEFAULTS,
    tags=["kinerja", "monthly", "scorecards"],
    doc_md=__doc__,
)
def kinerja_monthly():
    @task
    def audit_build(data_interval_start=None) -> dict:
        from kinerja.tasks.audits import audit_build_month

        return audit_build_month(month_of(data_interval_start))

    @task
    def publish(data_interval_start=None) -> list[str]:
        from kinerja.tasks.publish import publish_month

        return publish_month(month_of(data_interval_start))

    @task
    def issue_scores(data_interval_start=None) -> list[str]:
        from kinerja.tasks.publish import issue_scores

        return issue_scores(month_of(data_interval_start))

    @task(outlets=[SCORECARDS])
    def render_scorecards(data_interval_start=None) -> list[str]:
        from kinerja.tasks.scorecards import render_scorecards

        return render_scorecards(month_of(data_interval_start))

    # the daily runs rebuild TRAILING_DAYS days back: after that the month's data is final
    cut_off = TimeDeltaSensor(
        task_id="wait_for_data_cut_off", delta=timedelta(days=config.TRAILING_DAYS), deferrable=True
    )
    dbt_build = dbt_build_task("dbt_build", select=["tag:monthly", "tag:reference"])
    cut_off >> dbt_build >> audit_build() >> publish() >> issue_scores() >> render_scorecards()


kinerja_monthly()
