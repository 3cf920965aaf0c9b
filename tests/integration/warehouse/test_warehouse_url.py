"""A warehouse URL over TCP keeps its libpq parameters in every connection: psycopg, Airflow's, dbt's.

Needs a PostgreSQL on 127.0.0.1:5432 that trusts user postgres (KINERJA_TCP_TEST_URL names
another); skipped when there is none.
"""

from __future__ import annotations

import json
import os
import uuid

import psycopg
import pytest

from kinerja import config
from kinerja import dbt_commands as dbt
from kinerja.config import PgParams

pytestmark = pytest.mark.integration

APP = "kinerja-url-test"
TCP_URL = os.environ.get(
    "KINERJA_TCP_TEST_URL",
    f"postgresql://postgres@127.0.0.1:5432/postgres?sslmode=disable&application_name={APP}"
    "&options=-c%20statement_timeout%3D61s",
)
SESSION = (
    "select current_setting('application_name') as app, current_setting('statement_timeout') as st,"
    " (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl"
)


@pytest.fixture(scope="module")
def tcp_server() -> PgParams:
    params = PgParams.from_url(TCP_URL, setting="KINERJA_TCP_TEST_URL")
    try:
        psycopg.connect(params.conninfo(), connect_timeout=3).close()
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {params.host}:{params.port}: {error}")
    return params


@pytest.fixture
def tcp_database(tcp_server, monkeypatch):
    """A database of this test's own on the TCP server, named by KINERJA_WAREHOUSE_URL as a user would."""
    from kinerja.warehouse import connect, ensure_database

    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", TCP_URL)
    params = ensure_database(config.warehouse_params(), f"kinerja_urltest_{uuid.uuid4().hex[:10]}")
    yield params
    with connect(tcp_server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{params.dbname}" with (force)')


def test_the_warehouse_connection_keeps_application_name_sslmode_and_options(tcp_database):
    from kinerja.warehouse import connect, resolve_server

    assert resolve_server().get("sslmode") == "disable"
    with connect(tcp_database) as conn:
        assert conn.execute(SESSION).fetchone() == (APP, "61s", False)
        assert conn.info.dbname == tcp_database.dbname


def test_the_airflow_metadata_url_reaches_the_same_server_with_the_same_parameters(tcp_database):
    from sqlalchemy import create_engine, text

    engine = create_engine(config.airflow_metadata_url(tcp_database))
    try:
        with engine.connect() as conn:
            row = conn.execute(text(SESSION + ", current_database() as db")).one()
    finally:
        engine.dispose()
    assert tuple(row) == (APP, "61s", False, tcp_database.dbname)


def test_dbt_sessions_keep_the_url_parameters_and_run_without_jit(tcp_database):
    query = SESSION + ", current_setting('jit') as jit"
    result = dbt.run_dbt(tcp_database, "--quiet", "show", "--inline", query, "--output", "json")
    [row] = json.loads(result.stdout[result.stdout.index("{") :])["show"]
    assert row == {"app": APP, "st": "61s", "ssl": False, "jit": "off"}
