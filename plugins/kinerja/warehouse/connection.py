"""Connections to the warehouse, whichever server it is."""

from __future__ import annotations

import psycopg
from psycopg import sql

from kinerja import config
from kinerja.config import PgParams

WAREHOUSE_DATABASE = "kinerja"
AIRFLOW_DATABASE = "airflow"


def resolve_server() -> PgParams:
    """The warehouse server: KINERJA_WAREHOUSE_URL, or the embedded server under .local/."""
    params = config.warehouse_params()
    if params:
        return params
    from kinerja.warehouse import embedded

    return embedded.start().with_dbname(WAREHOUSE_DATABASE)


def connect(params: PgParams | None = None, **kwargs) -> psycopg.Connection:
    """A connection with every parameter of `params` (sslmode, options, ...); `kwargs` go to psycopg.

    The session is named by the URL's application_name, else by KINERJA_APPLICATION_NAME.
    """
    params = params or resolve_server()
    if params.get("application_name") is None:
        kwargs.setdefault("application_name", config.application_name())
    return psycopg.connect(params.conninfo(), **kwargs)


def ensure_database(params: PgParams, dbname: str) -> PgParams:
    """Create database `dbname` on the server of `params` if it does not exist yet."""
    with connect(params.with_dbname("postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [dbname]).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
            except psycopg.errors.DuplicateDatabase:
                pass  # created concurrently by another process: that is what we wanted
    return params.with_dbname(dbname)


def ensure_warehouse() -> PgParams:
    """The warehouse database, created when the server is the embedded one."""
    params = resolve_server()
    if config.warehouse_url() is None:
        return ensure_database(params, WAREHOUSE_DATABASE)
    return params
