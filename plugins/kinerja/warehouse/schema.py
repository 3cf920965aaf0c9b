"""Create the schemas and tables that Python writes to (dbt owns the rest).

ddl.sql holds the core tables; a part that owns its own tables (the file drop, say)
keeps them in ddl_<part>.sql next to it, applied after ddl.sql.
"""

from __future__ import annotations

from importlib import resources

import psycopg


def ddl_files() -> list:
    """ddl.sql first, then each part's own ddl_<part>.sql in name order."""
    package = resources.files("kinerja.warehouse")
    parts = [f for f in package.iterdir() if f.name.startswith("ddl_") and f.name.endswith(".sql")]
    return [package.joinpath("ddl.sql"), *sorted(parts, key=lambda f: f.name)]


def apply_ddl(conn: psycopg.Connection) -> None:
    """Apply the warehouse DDL files; safe to run any number of times, also concurrently."""
    with conn.transaction():
        # Serialise concurrent first runs: `create ... if not exists` races otherwise.
        conn.execute("select pg_advisory_xact_lock(hashtext('kinerja.apply_ddl'))")
        for ddl in ddl_files():
            conn.execute(ddl.read_text())
