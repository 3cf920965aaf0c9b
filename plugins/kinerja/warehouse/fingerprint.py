"""Content fingerprints of warehouse tables: the proof that a re-run changed nothing."""

from __future__ import annotations

from collections.abc import Collection

import psycopg
from psycopg import sql

# The schemas whose every table a re-run must leave identical: what landed (raw, with the
# ledger and quarantine), the audit's records, the registry, what users read (marts,
# reports) and what was issued (publication). The build schemas and dbt's snapshots are
# not: they hold what the next publish may replace, and the snapshots' times of the run.
FINGERPRINTED_SCHEMAS = ("registry", "raw", "audit", "marts", "reports", "publication")

# Columns that record when or how often something happened rather than what: a re-run
# changes them by design.
BOOKKEEPING_COLUMNS = frozenset(
    {
        "recorded_at",
        "loaded_at",
        "first_landed_at",
        "landed_at",
        "audited_at",
        "land_count",
        "quarantined_at",
        "validated_at",
        "judged_at",
        "drop_count",
        "first_dropped_at",
        "last_dropped_at",
        "note_mailed_at",
        "received_at",
        "archived_at",
        "issued_at",
    }
)
# ... and those whose name means content elsewhere (raw.post_daily.published_at is a post's time).
BOOKKEEPING_COLUMNS_OF = {"raw.batch_ledger": ("published_at",)}


def table_fingerprint(conn: psycopg.Connection, table: str, exclude: Collection[str] = ()) -> str:
    """md5 over every row of `table` (in a fixed order), leaving out the `exclude` columns."""
    schema, name = table.split(".")
    columns = [
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = %s and table_name = %s order by ordinal_position",
            [schema, name],
        )
        if row[0] not in exclude
    ]
    if not columns:
        raise LookupError(f"table {table} does not exist or has no columns")
    row_text = sql.SQL("row({})::text").format(sql.SQL(", ").join(map(sql.Identifier, columns)))
    query = sql.SQL(
        "select md5(coalesce(string_agg(t, E'\\n' order by t), '')) from (select {} as t from {}) rows"
    ).format(row_text, sql.Identifier(schema, name))
    return conn.execute(query).fetchone()[0]


def fingerprinted_tables(conn: psycopg.Connection) -> list[str]:
    """Every table of the fingerprinted schemas, as schema.name, in name order."""
    rows = conn.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
        " where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1",
        [list(FINGERPRINTED_SCHEMAS)],
    )
    return [table for (table,) in rows]


def warehouse_fingerprints(conn: psycopg.Connection) -> dict[str, str]:
    """The content hash of every fingerprinted table, without its bookkeeping columns."""
    return {
        table: table_fingerprint(conn, table, (*BOOKKEEPING_COLUMNS, *BOOKKEEPING_COLUMNS_OF.get(table, ())))
        for table in fingerprinted_tables(conn)
    }
