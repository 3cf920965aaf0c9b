"""
### kinerja_monthly: score the month and write the scorecards

Each run is about one **month** (its data interval, WIB):

0. `wait_for_data_cut_off`: waits (deferred, no worker held) until the month's data
   cut-off, `TRAILING_DAYS` days after the month ends, when the daily runs have rebuilt
   the month's last day for the last time (Meta restates for up to 48 hours). Needs the
   triggerer; its timeout is the cut-off and one more day.
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
5. `render_province_scorecards` (mapped over the issue's provinces, listed by
   `scorecard_provinces`): per province, the scorecard of every institution in it (PDF and
   HTML, Bahasa Indonesia) and the province report ranking its kabupaten/kota;
   `render_scorecards`: the central institutions' scorecards and the national summary. All
   from the month's latest issue, under the scorecards folder (`kinerja scorecards render`
   re-renders any issue, byte-identical).
6. `deliver_scorecards`: mails each institution its scorecard (PDF attached, HTML as the
   body; cc the province's Diskominfo) over SMTP, or to the outbox folder when no server is
   set, and records each message in `publication.scorecard_deliveries`: a sent message is
   never sent twice, a failed one is retried with backoff while the others go, a send
   interrupted by a crash is reported for a person to decide (`kinerja scorecards status`).
7. `backup`: once the month is issued, what cannot be rebuilt (the issued scores,
   `publication.*`, and what was received: the file drop's archive, the API payloads) to
   `KINERJA_BACKUP_DIR`, checksummed, the oldest beyond `KINERJA_BACKUP_KEEP` removed
   (`kinerja backup` does the same by hand; `kinerja restore` restores one).
"""

from datetime import timedelta

from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from kinerja import config
from kinerja.orchestration.dag_defaults import MONTHLY_SCHEDULE, TIMEZONE, dag_defaults, month_of
from kinerja.orchestration.dbt_build import dbt_build_task

SCORECARDS = Asset(name="kinerja_scorecards_monthly", uri="kinerja://scorecards/monthly")


@dag(
    dag_id="kinerja_monthly",
    schedule=CronDataIntervalTimetable(MONTHLY_SCHEDULE, timezone=TIMEZONE),
    **dag_defaults("monthly"),
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

    @task
    def scorecard_provinces(data_interval_start=None) -> list[str]:
        from kinerja.tasks.scorecards import scorecard_provinces

        return scorecard_provinces(month_of(data_interval_start))

    @task(outlets=[SCORECARDS])
    def render_province_scorecards(province: str, data_interval_start=None) -> int:
        from kinerja.tasks.scorecards import render_scorecards

        return len(render_scorecards(month_of(data_interval_start), province=province))

    @task(outlets=[SCORECARDS])
    def render_scorecards(data_interval_start=None) -> int:
        from kinerja.tasks.scorecards import render_scorecards

        return len(render_scorecards(month_of(data_interval_start), central=True))

    @task
    def backup() -> str:
        from kinerja.tasks.backup import back_up

        return back_up()

    @task
    def deliver_scorecards(data_interval_start=None) -> dict:
        from kinerja.tasks.scorecards import deliver_scorecards

        return deliver_scorecards(month_of(data_interval_start))

    # the daily runs rebuild TRAILING_DAYS days back: after that the month's data is final
    # deferred, it waits days: its own timeout bounds the wait, and execution_timeout (which
    # Airflow applies to a task that starts deferred) must not end it first
    cut_off = TimeDeltaSensor(
        task_id="wait_for_data_cut_off",
        delta=timedelta(days=config.TRAILING_DAYS),
        deferrable=True,
        timeout=config.cut_off_wait_timeout(),
        execution_timeout=config.cut_off_wait_timeout(),
    )
    dbt_build = dbt_build_task("dbt_build", select=["tag:monthly", "tag:reference"])

    issued = cut_off >> dbt_build >> audit_build() >> publish() >> issue_scores()
    provinces = scorecard_provinces()
    issued >> provinces
    rendered = [render_scorecards(), render_province_scorecards.expand(province=provinces)]
    issued >> rendered[0]
    rendered >> deliver_scorecards()
    issued >> backup()


kinerja_monthly()
