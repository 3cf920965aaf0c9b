"""Content fingerprints of warehouse tables: the proof that a re-run changed nothing."""

from __future__ import annotations

import psycopg
from psycopg import sql

# The tables whose content a re-run must leave identical, and the columns that are
# bookkeeping (when, how often) rather than content.
FINGERPRINTED_TABLES = {
    "raw.account_daily": (),
    "raw.quarantine": ("quarantined_at",),
    "marts.fct_account_daily": (),
    "reports.rpt_institution_scores_monthly": (),
}


def table_fingerprint(conn: psycopg.Connection, table: str, exclude: tuple[str, ...] = ()) -> str:
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
    query = sql.SQL("select md5(coalesce(string_agg(t, E'\\n' order by t), '')) from (select {} as t from {}) rows").format(
        row_text, sql.Identifier(schema, name)
    )
    return conn.execute(query).fetchone()[0]


def warehouse_fingerprints(conn: psycopg.Connection) -> dict[str, str]:
    return {table: table_fingerprint(conn, table, exclude) for table, exclude in FINGERPRINTED_TABLES.items()}
