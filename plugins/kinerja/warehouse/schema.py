"""Create the schemas and tables that Python writes to (dbt owns the rest)."""

from __future__ import annotations

from importlib import resources

import psycopg


def apply_ddl(conn: psycopg.Connection) -> None:
    """Apply warehouse/ddl.sql; safe to run any number of times, also concurrently."""
    ddl = resources.files("kinerja.warehouse").joinpath("ddl.sql").read_text()
    with conn.transaction():
        # Serialise concurrent first runs: `create ... if not exists` races otherwise.
        conn.execute("select pg_advisory_xact_lock(hashtext('kinerja.apply_ddl'))")
        conn.execute(ddl)
