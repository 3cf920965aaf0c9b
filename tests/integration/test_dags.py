"""The DAG folder: the expected DAGs, no import errors, the project's conventions."""

from __future__ import annotations

import sys

import pytest
from kinerja import config

pytestmark = pytest.mark.integration

EXPECTED_DAGS = {"kinerja_daily", "kinerja_monthly"}


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
    # dbt runs one build at a time
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt_")]
    assert dbt_tasks and all(t.pool == "dbt" for t in dbt_tasks)


def test_the_daily_dag_lands_before_it_audits_before_it_models(dag_bag):
    dag = dag_bag.get_dag("kinerja_daily")
    land, audit, publish = dag.get_task("land_simulator"), dag.get_task("audit_batch"), dag.get_task("publish")
    assert "audit_batch" in land.downstream_task_ids
    fact = dag.get_task("dbt_daily.fct_account_daily_model_build")
    assert audit.task_id in fact.upstream_list[0].get_flat_relative_ids(upstream=True) | {
        t.task_id for t in fact.upstream_list
    }
    assert {t.task_id for t in publish.upstream_list} <= {t.task_id for t in dag.tasks if t.task_id.startswith("dbt_daily.")}
    assert [o.name for o in publish.outlets] == ["kinerja_fct_account_daily"]


def test_no_plugin_import_errors_and_the_package_is_not_a_plugin(airflow_pipeline):
    from airflow import plugins_manager

    plugins_manager.ensure_plugins_loaded()
    assert plugins_manager.get_import_errors() == {}
    # .airflowignore keeps the package's files from being imported as top-level modules
    stray = [
        name for name, module in list(sys.modules.items())
        if "/plugins/kinerja/" in (getattr(module, "__file__", None) or "") and not name.startswith("kinerja")
    ]
    assert stray == []
