"""The DAG folder: the expected DAGs, no import errors, the project's conventions."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from datetime import date, datetime, timedelta

import pytest

from kinerja import config
from kinerja.orchestration import runner
from kinerja.tasks import registry as registry_tasks
from kinerja.tasks import sources
from support import DAILY_SELECTION, REPO, daily_vars, dbt_build

pytestmark = [pytest.mark.integration, pytest.mark.long]

EXPECTED_DAGS = {"kinerja_daily", "kinerja_monthly", "kinerja_watchdog"}


@pytest.fixture(scope="module")
def dag_bag(airflow_pipeline):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(config.dags_dir()))


def test_the_dag_folder_yields_exactly_the_expected_dags(dag_bag):
    assert dag_bag.import_errors == {}
    assert set(dag_bag.dag_ids) == EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_each_dag_follows_the_conventions(dag_bag, dag_id):
    dag = dag_bag.get_dag(dag_id)
    assert dag.doc_md and dag_id in dag.doc_md
    assert "kinerja" in dag.tags and len(dag.tags) >= 2
    assert dag.catchup is False and dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.owner == "kinerja-data-team", task.task_id
        assert task.retries == config.task_retries(), task.task_id
        assert task.execution_timeout is not None, task.task_id
    # a run longer than its timeout is failed, after its expected duration has been alerted on
    limits = config.run_limits(dag_id.removeprefix("kinerja_"))
    assert dag.dagrun_timeout == limits.timeout > limits.expected
    # dbt runs one build at a time
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt_")]
    assert all(t.pool == "dbt" for t in dbt_tasks)
    assert dbt_tasks or dag_id == "kinerja_watchdog"  # the watchdog only reads


def test_the_daily_dag_lands_before_it_audits_before_it_models(dag_bag):
    dag = dag_bag.get_dag("kinerja_daily")
    # land_simulator lands and audits its batches (kinerja.landing.harvest), then the days are
    # planned once and built in one dbt build
    build, publish = dag.get_task("dbt_build"), dag.get_task("publish")
    assert build.upstream_task_ids == {"plan_days"}
    assert "land_simulator" in dag.get_task("plan_days").upstream_task_ids
    assert build.select == ["tag:daily"] and build.exclude == ["tag:reference", "test_type:unit"]
    assert "plan_days" in build.vars["days_to_build"]  # the plan's days, from XCom
    # write-audit-publish: the GX audit of the build schema sits between dbt and publish, and
    # both take the days of the one plan made before dbt
    assert publish.upstream_task_ids == {"audit_build", "plan_days"}
    assert dag.get_task("audit_build").upstream_task_ids == {"dbt_build", "plan_days"}
    assert [o.name for o in publish.outlets] == ["kinerja_fct_account_daily"]
    # grants and row policies of what publish created, after it (never before: it must not block it)
    assert dag.get_task("apply_roles").upstream_task_ids == {"publish"}
    # the day's crisis signals and token warnings go out once what they read is published
    assert dag.get_task("send_alerts").upstream_task_ids == {"publish", "plan_days"}
    # a history run is the same DAG triggered with a range; a repair's also turns the API pull off
    assert set(dag.params) == {"first_day", "last_day", "pull_api"}


def test_the_monthly_cut_off_wait_keeps_its_own_timeout_of_days(dag_bag):
    dag = dag_bag.get_dag("kinerja_monthly")
    wait = dag.get_task("wait_for_data_cut_off")
    ordinary = [t for t in dag.tasks if t.task_id != wait.task_id]
    assert wait.deferrable and wait.delta == timedelta(days=config.TRAILING_DAYS)
    # neither its timeout nor execution_timeout (Airflow applies it to a deferred task too)
    # ends the wait before the cut-off, and the run outlasts both
    assert wait.delta < timedelta(seconds=wait.timeout) <= wait.execution_timeout < dag.dagrun_timeout
    assert {t.execution_timeout for t in ordinary} == {config.task_timeout()}
    assert config.task_timeout() < wait.delta


def test_the_monthly_dag_audits_the_build_before_it_publishes(dag_bag):
    dag = dag_bag.get_dag("kinerja_monthly")
    assert dag.get_task("publish").upstream_task_ids == {"audit_build"}
    # the scorecards are rendered from the issue, which freezes what was published
    assert dag.get_task("issue_scores").upstream_task_ids == {"publish"}
    assert dag.get_task("render_scorecards").upstream_task_ids == {"issue_scores"}
    # the issued month is backed up as soon as it is issued
    assert dag.get_task("backup").upstream_task_ids == {"issue_scores"}
    assert dag.get_task("audit_build").upstream_task_ids == {"dbt_build"}
    # nothing is built before the month's data cut-off
    assert dag.get_task("dbt_build").upstream_task_ids == {"wait_for_data_cut_off"}


def test_no_plugin_import_errors_and_the_package_is_not_a_plugin(airflow_pipeline):
    from airflow import plugins_manager

    plugins_manager.ensure_plugins_loaded()
    assert plugins_manager.get_import_errors() == {}
    # .airflowignore keeps the package's files from being imported as top-level modules
    stray = [
        name
        for name, module in list(sys.modules.items())
        if "/plugins/kinerja/" in (getattr(module, "__file__", None) or "") and not name.startswith("kinerja")
    ]
    assert stray == []


def _daily_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(config.dags_dir()))
    assert bag.import_errors == {}
    return bag.get_dag("kinerja_daily")


def test_the_daily_dag_lands_each_configured_source_in_parallel_before_dbt(airflow_pipeline, monkeypatch):
    monkeypatch.delenv("KINERJA_SOURCES", raising=False)
    dag = _daily_dag()
    assert {"land_simulator", "land_filedrop"} <= set(dag.task_ids) and "land_api" not in dag.task_ids
    # every source lands and audits before the run's days are planned, and dbt follows the plan
    assert {"land_simulator", "land_filedrop"} == dag.get_task("plan_days").upstream_task_ids
    assert dag.get_task("dbt_build").upstream_task_ids == {"plan_days"}
    assert dag.get_task("audit_registry").upstream_task_ids == {"sync_registry"}
    for task_id in ("land_simulator", "land_filedrop"):
        assert dag.get_task(task_id).upstream_task_ids == {"audit_registry"}

    monkeypatch.setenv("KINERJA_SOURCES", "filedrop, api")
    dag = _daily_dag()
    assert "land_simulator" not in dag.task_ids
    assert dag.get_task("land_api").upstream_task_ids == {"audit_registry"}
    assert {"land_api", "land_filedrop"} == dag.get_task("plan_days").upstream_task_ids


def test_an_unknown_source_is_refused_with_the_known_ones():
    import os

    saved = os.environ.get("KINERJA_SOURCES")
    os.environ["KINERJA_SOURCES"] = "simulator,instagram"
    try:
        with pytest.raises(
            ValueError, match="instagram unknown; use a comma list of simulator, filedrop, api"
        ):
            config.sources()
    finally:
        os.environ.pop("KINERJA_SOURCES")
        if saved is not None:
            os.environ["KINERJA_SOURCES"] = saved


# --- a file dropped into the inbox reaches the marts through a daily DAG run ----------------

# A real TikTok Studio overview export: daily views of 12 to 18 April, written without a year
# (the day the file was written decides it: 2026 here).
EXPORT = "tiktok_overview_sample_en.csv"
WRITTEN = datetime(2026, 6, 13, 12, 0)
DROP_ACCOUNT = "demo-kab-5101-tiktok"  # kab-5101's one TikTok account in the small registry
FIRST_DAY, DATA_DAY = date(2026, 4, 10), date(2026, 4, 19)


@pytest.fixture
def fresh_pipeline(airflow_pipeline, server, tmp_path, monkeypatch):
    """A warehouse of this test's own (the DAG's tasks and dbt pointed at it) and a file drop inbox.

    The runs are removed from Airflow's metadata database afterwards: the end-to-end test
    counts the daily runs and asset events there.
    """
    from kinerja.warehouse import connect, ensure_database
    from kinerja.warehouse.schema import apply_ddl

    params = ensure_database(server, f"kinerja_dagtest_{uuid.uuid4().hex[:10]}")
    with connect(params) as conn:
        apply_ddl(conn)
    # the DAG files derive dbt's environment from it when parsed
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", params.conninfo())
    monkeypatch.setenv("KINERJA_FILEDROP_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("KINERJA_FILEDROP_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.delenv("KINERJA_SOURCES", raising=False)
    yield params, tmp_path / "inbox", tmp_path / "archive"
    _forget_runs([FIRST_DAY, DATA_DAY])
    with connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{params.dbname}" with (force)')


def _forget_runs(days: list[date]) -> None:
    from airflow.models.asset import AssetEvent
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    logical = [runner.tz_datetime(day + timedelta(days=1), config.DAILY_RUN_HOUR) for day in days]
    with create_session() as session:
        session.query(DagRun).filter(
            DagRun.dag_id == "kinerja_daily", DagRun.logical_date.in_(logical)
        ).delete(synchronize_session=False)
        for event in session.query(AssetEvent).all():
            if (event.extra or {}).get("data_day") in {day.isoformat() for day in days}:
                session.delete(event)


def test_a_file_dropped_in_the_inbox_reaches_the_marts_as_filedrop(fresh_pipeline):
    from kinerja.warehouse import connect

    params, inbox, archive = fresh_pipeline
    # an earlier day, landed and built as a run would (one dbt build is faster than its tasks):
    # the marts exist, so the DAG run below builds only its data day and trailing days
    registry_tasks.sync_registry()
    sources.land_simulated_day(FIRST_DAY)
    dbt_build(
        params,
        *DAILY_SELECTION,
        "--vars",
        daily_vars(FIRST_DAY),
    )
    dag = _daily_dag()
    folder = inbox / "kab-5101"
    folder.mkdir(parents=True)
    shutil.copy(REPO / "tests" / "fixtures" / "exports" / EXPORT, folder / EXPORT)
    os.utime(folder / EXPORT, (WRITTEN.timestamp(), WRITTEN.timestamp()))

    run = dag.test(logical_date=runner.tz_datetime(DATA_DAY + timedelta(days=1), config.DAILY_RUN_HOUR))

    assert run.state == "success", [(ti.task_id, ti.state) for ti in run.get_task_instances()]
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["land_filedrop"] == states["land_simulator"] == "success"
    assert list(folder.iterdir()) == [] and len(list((archive / "kab-5101").iterdir())) == 1
    with connect(params) as conn:
        files = conn.execute(
            "select status, rows_landed, account_ids, batch_ids from raw.filedrop_files"
        ).fetchall()
        [(status, rows_landed, account_ids, [batch_id])] = files
        assert (status, rows_landed, account_ids) == ("landed", 7, [DROP_ACCOUNT])
        ledger = conn.execute(
            "select source, status, rows_accepted from raw.batch_ledger where batch_id = %s", [batch_id]
        ).fetchone()
        assert ledger == ("filedrop", "accepted", 7)
        # the run rebuilds its data day and trailing days: the export's last three days are in the fact
        facts = conn.execute(
            "select metric_date, source, views from marts.fct_account_daily"
            " where account_id = %s and metric_date between %s and %s order by metric_date",
            [DROP_ACCOUNT, DATA_DAY - timedelta(days=3), DATA_DAY],
        ).fetchall()
        assert facts[:3] == [
            (date(2026, 4, 16), "filedrop", 561),
            (date(2026, 4, 17), "filedrop", 310),
            (date(2026, 4, 18), "filedrop", 1484),
        ]
        assert facts[3][:2] == (DATA_DAY, "simulator")  # the export ends the day before
        others = conn.execute(
            "select count(*) from marts.fct_account_daily where metric_date = %s and source = 'simulator'",
            [DATA_DAY],
        ).fetchone()[0]
        assert others == 65  # every account of the small registry, as before
