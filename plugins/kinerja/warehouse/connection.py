"""Connections to the warehouse, whichever server it is."""

from __future__ import annotations

import os

import psycopg
from psycopg import sql

from kinerja import config
from kinerja.config import PgParams

WAREHOUSE_DATABASE = "kinerja"
AIRFLOW_DATABASE = "airflow"


def resolve_server() -> PgParams:
    """The warehouse server: KINERJA_WAREHOUSE_URL, or the embedded server under .local/."""
    url = config.warehouse_url()
    if url:
        return PgParams.from_url(url)
    from kinerja.warehouse import embedded

    return PgParams.from_url(embedded.start().url(WAREHOUSE_DATABASE))


def connect(params: PgParams | None = None, **kwargs) -> psycopg.Connection:
    params = params or resolve_server()
    return psycopg.connect(
        host=params.host,
        port=params.port,
        user=params.user,
        password=params.password or None,
        dbname=params.dbname,
        application_name=os.environ.get("KINERJA_APPLICATION_NAME", "kinerja"),
        **kwargs,
    )


def ensure_database(params: PgParams, dbname: str) -> PgParams:
    """Create database `dbname` on the server of `params` if it does not exist yet."""
    target = PgParams(params.host, params.port, params.user, params.password, dbname)
    maintenance = PgParams(params.host, params.port, params.user, params.password, "postgres")
    with connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [dbname]).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
            except psycopg.errors.DuplicateDatabase:
                pass  # created concurrently by another process: that is what we wanted
    return target


def ensure_warehouse() -> PgParams:
    """The warehouse database, created when the server is the embedded one."""
    params = resolve_server()
    if config.warehouse_url() is None:
        return ensure_database(params, WAREHOUSE_DATABASE)
    return params
