"""
### kinerja_monthly: score the month and write the scorecards

Each run is about one **month** (its data interval, WIB):

1. `dbt_monthly`: the reference dimensions and their seeds (`tag:reference`: calendar,
   platforms, metric definition changes), the methodology seed and the reports
   (`tag:monthly`), among them
   `rpt_institution_scores_monthly` (IKMS, components, rank in the peer group).
2. `publish`: only when every model and test of the build passed, the reports are
   copied from `build_reports` into `reports`, which the scorecards and Metabase read
   (write-audit-publish: a failed test leaves what users see as it was).
3. `render_scorecards`: one HTML page per province, ranking its kabupaten/kota and
   the province itself, in Bahasa Indonesia, under the scorecards folder.
"""

from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable
from kinerja.orchestration import DAG_DEFAULTS, TIMEZONE, dbt_task_group, month_of

SCORECARDS = Asset(name="kinerja_scorecards_monthly", uri="kinerja://scorecards/monthly")


@dag(
    dag_id="kinerja_monthly",
    schedule=CronDataIntervalTimetable("0 8 1 * *", timezone=TIMEZONE),
    **DAG_DEFAULTS,
    tags=["kinerja", "monthly", "scorecards"],
    doc_md=__doc__,
)
def kinerja_monthly():
    @task
    def publish(data_interval_start=None) -> list[str]:
        from kinerja.pipeline import publish_month

        return publish_month(month_of(data_interval_start))

    @task(outlets=[SCORECARDS])
    def render_scorecards(data_interval_start=None) -> list[str]:
        from kinerja.pipeline import render_scorecards

        return render_scorecards(month_of(data_interval_start))

    dbt_task_group("dbt_monthly", select=["tag:monthly", "tag:reference"]) >> publish() >> render_scorecards()


kinerja_monthly()
