"""Shared fixtures: a real PostgreSQL for every test that needs one.

The server is KINERJA_WAREHOUSE_URL when set, else an embedded server (pgserver) in
a folder of this test session. Each test gets its own fresh database, so tests do not
see each other's rows. Airflow's settings are fixed here, before anything imports it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from support import SMALL_REGISTRY, create_database, drop_database

# A home of this session's own: embedded server, Airflow home, scorecards, dbt's target
# folder. Kept in the environment so that the fixtures, the code under test and its
# subprocesses agree. Under pytest-xdist (`make test` runs two workers) every worker is a
# session of its own: its own server, Airflow metadata database and dbt target folder, so
# that two dbt commands at once never write the same manifest.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="kinerja-test-"))
os.environ["KINERJA_HOME"] = str(_SESSION_HOME)
os.environ["KINERJA_DBT_TARGET_PATH"] = str(_SESSION_HOME / "dbt_target")
os.environ.setdefault("KINERJA_TASK_RETRIES", "0")
# Database roles are server-wide: this session's (`kinerja roles apply`, the daily DAG's
# apply_roles) are named with a prefix of its own and dropped when the session ends.
os.environ.setdefault("KINERJA_ROLE_PREFIX", f"kt{uuid.uuid4().hex[:8]}_")
# the xdist controller imports this file too but never starts a server: leave no folder behind
atexit.register(shutil.rmtree, _SESSION_HOME, True)


# The files that share one package-scoped fixture: one worker runs them all and builds it once.
SHARED_FIXTURE_PACKAGES = ("tests/integration/bi/",)


def worker_group(nodeid: str) -> str:
    """What one xdist worker runs whole: a test's file, or its package if in SHARED_FIXTURE_PACKAGES."""
    path = nodeid.split("::", 1)[0]
    return next((package for package in SHARED_FIXTURE_PACKAGES if path.startswith(package)), path)


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, with the groups of `worker_group` (`--dist loadgroup` with xdist's
    `xdist_group` marks grouped nothing under pytest 9.2 and xdist 3.8)."""
    from xdist.scheduler import LoadScopeScheduling

    if config.getoption("dist") != "loadfile":
        return None

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """Long files first, then the other integration tests, then unit tests.

    With `--no-loadscope-reorder` xdist hands out the groups in this order: a long file that
    started last would keep one worker busy after the other has finished. Every worker sorts
    the same items the same way, as xdist requires.
    """

    def weight(item) -> int:
        if item.get_closest_marker("long"):
            return 0
        return 1 if item.get_closest_marker("integration") else 2

    first_index, group_weight = {}, {}
    for index, item in enumerate(items):
        group = worker_group(item.nodeid)
        first_index.setdefault(group, index)
        group_weight[group] = min(group_weight.get(group, 2), weight(item))
    items.sort(
        key=lambda item: (group_weight[worker_group(item.nodeid)], first_index[worker_group(item.nodeid)])
    )


@pytest.fixture(scope="session")
def server():
    """Connection parameters of the test server (database `postgres`)."""
    from kinerja import config
    from kinerja.warehouse import embedded, resolve_server

    is_embedded = config.warehouse_url() is None
    params = resolve_server()
    yield params.with_dbname("postgres")
    _drop_session_roles(params.with_dbname("postgres"))
    if is_embedded:
        embedded.stop(_SESSION_HOME)
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)


def _drop_session_roles(server) -> None:
    """Drop the roles this session created; one still granted in a database left behind stays."""
    import psycopg
    from psycopg import sql

    from kinerja import config
    from kinerja.warehouse import connect

    with connect(server, autocommit=True) as conn:
        pattern = config.role_prefix().replace("_", r"\_") + "%"
        roles = [
            name for (name,) in conn.execute("select rolname from pg_roles where rolname like %s", [pattern])
        ]
        for role in roles:
            try:
                conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
            except psycopg.errors.DependentObjectsStillInUse:
                pass


@pytest.fixture
def warehouse(server):
    """A fresh warehouse database with the Python-owned tables and the small registry loaded."""
    from kinerja.registry.load import load_registry
    from kinerja.warehouse import connect

    params = create_database(server, "kinerja_test")
    with connect(params) as conn:
        load_registry(conn, SMALL_REGISTRY)
        conn.commit()
    yield params
    drop_database(server, params)


@pytest.fixture
def conn(warehouse):
    from kinerja.warehouse import connect

    with connect(warehouse, autocommit=True) as connection:
        yield connection


@pytest.fixture(scope="session")
def small_accounts():
    from kinerja.registry.load import read_accounts

    return read_accounts(SMALL_REGISTRY)


@pytest.fixture(scope="session")
def airflow_pipeline(server):
    """A warehouse and an Airflow metadata database on the test server, Airflow configured for them.

    Airflow reads its configuration once per process: every test that imports Airflow
    goes through this fixture.
    """
    from kinerja import config
    from kinerja.orchestration import runner
    from kinerja.warehouse import ensure_database

    params = create_database(server, "kinerja_e2e")
    metadata = ensure_database(server, f"airflow_test_{uuid.uuid4().hex[:10]}")
    os.environ["KINERJA_REGISTRY_DIR"] = str(SMALL_REGISTRY)
    runner.prepare(params, airflow_url=config.airflow_metadata_url(metadata))
    yield params
    from airflow import settings

    settings.dispose_orm()
    drop_database(server, metadata)
    drop_database(server, params)
