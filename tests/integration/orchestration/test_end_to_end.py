"""The daily and monthly DAGs end to end through Airflow, with no network beyond this machine."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kinerja import config
from kinerja.orchestration import runner
from kinerja.warehouse import connect
from kinerja.warehouse.fingerprint import warehouse_fingerprints
from network_guard import OutsideConnectionRefused, only_local_network

pytestmark = [pytest.mark.integration, pytest.mark.long]

MONTH = date(2026, 9, 1)
DAYS = runner.days_of_month(MONTH)


def test_the_guard_refuses_outside_connections():
    import socket

    with only_local_network() as refused:
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo("example.org", 443)
        with pytest.raises(socket.gaierror):
            socket.create_connection(("192.0.2.1", 80), timeout=1)
        with socket.socket() as raw, pytest.raises(OutsideConnectionRefused):
            raw.connect(("192.0.2.1", 80))
    assert refused == ["example.org", "192.0.2.1", ("192.0.2.1", 80)]


@pytest.fixture(scope="module")
def month_run(airflow_pipeline):
    """A month landed and scored the way `make run` does it: one history run of the daily DAG
    over the month's days, then the monthly run, both real DAG runs."""
    with only_local_network() as refused:
        runner.run_range(DAYS[0], DAYS[-1])
        runner.run_monthly(MONTH)
    return airflow_pipeline, refused


def test_no_library_tried_to_reach_the_network(month_run):
    _, refused = month_run
    assert refused == []


def test_the_dag_runs_are_recorded_in_airflow(month_run):
    from airflow.models.dagrun import DagRun

    history = [run for run in DagRun.find(dag_id="kinerja_daily") if run.conf.get("first_day")]
    assert [(run.conf, run.state) for run in history] == [
        ({"first_day": "2026-09-01", "last_day": "2026-09-30"}, "success")
    ]
    monthly = DagRun.find(dag_id="kinerja_monthly")
    assert [run.state for run in monthly] == ["success"]
    # the UI shows how long each run took, not the weeks since its logical date
    for run in [*history, *monthly]:
        assert run.start_date == run.run_after and run.end_date - run.start_date < timedelta(minutes=30)


def test_each_task_log_is_where_the_airflow_ui_reads_it(month_run):
    from airflow.models.dagrun import DagRun
    from airflow.utils.log.log_reader import TaskLogReader

    (history,) = [run for run in DagRun.find(dag_id="kinerja_daily") if run.conf.get("first_day")]
    reader = TaskLogReader()
    events = {}
    for ti in history.get_task_instances():
        stream, _ = reader.read_log_chunks(ti, ti.try_number, {})
        events[ti.task_id] = [message.event for message in stream]
    assert set(events) >= {"land_simulator", "plan_days", "dbt_build", "audit_build", "publish"}
    # each log holds its own task's lines, and no other task's
    assert any("fct_account_daily" in event for event in events["dbt_build"])
    assert not any("fct_account_daily" in event for event in events["land_simulator"])
    assert any("2026-09-30" in event for event in events["plan_days"])


def test_every_node_of_the_dbt_builds_is_recorded_with_its_rows(month_run, small_accounts):
    params, _ = month_run
    with connect(params) as conn:
        builds = conn.execute(
            "select dag_id, count(*), count(*) filter (where status not in ('success', 'pass'))"
            " from ops.dbt_node_results where task_id = 'dbt_build' group by 1 order by 1"
        ).fetchall()
        fact = conn.execute(
            "select status, rows_affected from ops.dbt_node_results"
            " where dag_id = 'kinerja_daily' and unique_id = 'model.kinerja.fct_account_daily'"
        ).fetchall()
    assert [dag_id for dag_id, *_ in builds] == ["kinerja_daily", "kinerja_monthly"]
    assert all(nodes > 20 and not failed for _, nodes, failed in builds)
    # the history run built every day of the month at once
    assert fact == [("success", len(DAYS) * len(small_accounts))]


def test_every_day_of_every_account_is_in_the_warehouse(month_run, small_accounts):
    params, _ = month_run
    with connect(params) as conn:
        per_day = conn.execute(
            "select metric_date, count(*) from marts.fct_account_daily group by 1 order by 1"
        ).fetchall()
        ledger = conn.execute(
            "select count(*), sum(rows_accepted) from raw.batch_ledger"
            " where status = 'accepted' and raw_table = 'raw.account_daily'"
        )
        batches, accepted = ledger.fetchone()
    assert [d for d, _ in per_day] == DAYS
    assert {n for _, n in per_day} == {len(small_accounts)}
    assert (batches, accepted) == (len(DAYS), len(DAYS) * len(small_accounts))


def test_the_month_is_scored_and_ranked(month_run):
    params, _ = month_run
    with connect(params) as conn:
        rows = conn.execute(
            "select peer_group, rank_in_peer_group, peer_group_size, is_eligible"
            " from reports.rpt_institution_scores_monthly where month = %s",
            [MONTH],
        ).fetchall()
    assert len(rows) == 13 and all(eligible for *_, eligible in rows)
    kabupaten_ranks = sorted(rank for group, rank, _, _ in rows if group == "kabupaten")
    assert kabupaten_ranks[0] == 1 and len(kabupaten_ranks) == 8


def test_the_province_scorecard_is_on_disk(month_run):
    page = config.scorecards_dir() / "2026-09" / "provinsi-51.html"
    html = page.read_text()
    assert "September 2026" in html and "Terbitan ke-1 · batas data" in html
    for regency in ("Kabupaten Badung", "Kabupaten Gianyar", "Kota Denpasar"):
        assert regency in html
    assert (config.scorecards_dir() / "2026-09" / "index.html").exists()
    with connect(month_run[0]) as conn:
        issues = conn.execute("select month, issue_no, institutions from publication.score_issues").fetchall()
    assert issues == [(MONTH, 1, 13)]


def test_the_daily_asset_is_published(month_run):
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.name == "kinerja_fct_account_daily")
            .all()
        )
        assert [(event.extra["data_day"], event.extra["days"][-1]) for event in events] == [
            ("2026-09-30",) * 2
        ]


_AUDIT_ROWS = (
    "select batch_id, suite, expectation, column_name, success, unexpected, observed"
    " from audit.validation_results"
)


def test_running_the_last_week_and_the_month_again_changes_nothing_but_the_audit_log(month_run):
    params, _ = month_run
    with connect(params) as conn:
        before = warehouse_fingerprints(conn)
        audits_before = set(conn.execute(_AUDIT_ROWS).fetchall())
    # `make run` again, on the month's last week: every day of a range goes through the same
    # tasks, so a week shows what the month would (test_history.py compares a history run
    # with the daily runs of its days)
    runner.run_range(DAYS[-7], DAYS[-1])
    runner.run_monthly(MONTH)
    with connect(params) as conn:
        after = warehouse_fingerprints(conn)
        audits_after = set(conn.execute(_AUDIT_ROWS).fetchall())
    audit_log = "audit.validation_results"
    assert {t: f for t, f in after.items() if t != audit_log} == {
        t: f for t, f in before.items() if t != audit_log
    }
    # the audit log changes only in the build audit of the re-run's last day, which passed again
    changed = {batch_id for batch_id, *_ in audits_before ^ audits_after}
    assert len(changed) == 1 and changed.pop().endswith(DAYS[-1].isoformat())
    assert all(success for _, _, _, _, success, *_ in audits_after)
