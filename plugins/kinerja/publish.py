"""Write-audit-publish: what users see changes only after the audit passed.

dbt builds the BI-facing layers (marts, reports) in `build_<layer>`, where its tests and
the Great Expectations audit check them. `dbt build` commits each model before its tests
run, so a failing test would otherwise already be visible to Metabase and the scorecards.
Only when every check passed does `publish` copy the build tables into `<layer>`, the
schema users read, in one transaction: readers see the old content or the new, never a
mix, and a failed audit leaves the published tables exactly as they were.

The published tables are created once (from the build table: columns, keys, indexes,
comments) and then only their rows change. So everything that points at them survives
every rebuild: grants, foreign keys, row-security policies, views and saved questions
of BI tools. A column added to a model is added to its published table; any other change
of shape is refused with what to do (`kinerja publish --recreate TABLE`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

PUBLISHED_LAYERS = ("marts", "reports")
BUILD_PREFIX = "build_"
DAY_COLUMN = "metric_date"  # tables with this column may be published one window of days at a time
BI_ROLE_ENV = (
    "KINERJA_BI_ROLE"  # the database role BI tools read with, granted select on every published table
)


class PublishError(RuntimeError):
    """A published table cannot take its build's rows as they are; the message says what to do."""


@dataclass(frozen=True)
class Published:
    table: str  # layer.name
    rows: int  # rows written
    how: str  # created, full, window


def build_schema(layer: str) -> str:
    return BUILD_PREFIX + layer


def tables_tagged(manifest_path: Path, tag: str) -> set[str]:
    """The published tables (layer.name) whose models carry `tag` in the dbt manifest.

    A DAG publishes exactly what its own build selected and tested: the daily run never
    publishes a report the monthly build left behind after a failed test.
    """
    nodes = json.loads(Path(manifest_path).read_text())["nodes"].values()
    return {
        f"{node['schema'].removeprefix(BUILD_PREFIX)}.{node['alias']}"
        for node in nodes
        if node["resource_type"] == "model" and tag in node["tags"] and node["schema"].startswith(BUILD_PREFIX)
    }


def publish(
    conn: psycopg.Connection,
    *,
    days: tuple[date, date] | None = None,
    layers: Sequence[str] = PUBLISHED_LAYERS,
    only: Collection[str] | None = None,
    recreate: Collection[str] = (),
) -> list[Published]:
    """Copy the build tables of `layers` into their published tables, in one transaction.

    `only` limits it to these tables (layer.name; None: every build table). `days` (first,
    last): tables with a metric_date column take only the rows of those days (the days a
    daily build rebuilt); others are replaced whole. `recreate` names published tables to
    drop and create anew from their build.
    """
    results: list[Published] = []
    with conn.transaction():
        # one publisher at a time: two would interleave their deletes and inserts
        conn.execute("select pg_advisory_xact_lock(hashtext('kinerja.publish'))")
        tables = [(layer, name) for layer in layers for name in _build_tables(conn, layer)]
        if only is not None:
            tables = [(layer, name) for layer, name in tables if f"{layer}.{name}" in only]
        for layer, name in tables:
            created = _ensure_published(conn, layer, name, recreate=f"{layer}.{name}" in recreate)
            _add_new_columns(conn, layer, name)
            results.append(_replace_rows(conn, layer, name, None if created else days, created))
            _copy_comments(conn, layer, name)
        for layer, name in tables:
            _ensure_foreign_keys(conn, layer, name)
        _grant_to_bi_role(conn, layers)
    for result in results:
        log.info("published %s: %d rows (%s)", result.table, result.rows, result.how)
    return results


def _build_tables(conn: psycopg.Connection, layer: str) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables"
        " where table_schema = %s and table_type = 'BASE TABLE' order by table_name",
        [build_schema(layer)],
    )
    return [name for (name,) in rows]


def _ident(layer: str, name: str) -> sql.Composed:
    return sql.Identifier(layer, name)


def _build_ident(layer: str, name: str) -> sql.Composed:
    return sql.Identifier(build_schema(layer), name)


def _ensure_published(conn: psycopg.Connection, layer: str, name: str, *, recreate: bool) -> bool:
    """Create the published table from its build (keys, indexes, comments); True when created now."""
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(layer)))
    if recreate:
        log.warning("recreating %s.%s: what pointed at it (views, foreign keys) is dropped", layer, name)
        conn.execute(sql.SQL("drop table if exists {} cascade").format(_ident(layer, name)))
    exists = conn.execute("select to_regclass(%s) is not null", [f'"{layer}"."{name}"']).fetchone()[0]
    if exists:
        return False
    conn.execute(
        sql.SQL("create table {} (like {} including all)").format(
            _ident(layer, name), _build_ident(layer, name)
        )
    )
    return True


def _columns(conn: psycopg.Connection, schema: str, name: str) -> dict[str, str]:
    rows = conn.execute(
        "select column_name, format_type(atttypid, atttypmod)"
        " from information_schema.columns"
        " join pg_attribute on attrelid = format('%%I.%%I', table_schema, table_name)::regclass"
        "  and attname = column_name"
        " where table_schema = %s and table_name = %s order by ordinal_position",
        [schema, name],
    )
    return dict(rows.fetchall())


def _add_new_columns(conn: psycopg.Connection, layer: str, name: str) -> None:
    built = _columns(conn, build_schema(layer), name)
    published = _columns(conn, layer, name)
    for column, type_ in built.items():
        if column not in published:
            log.info("adding column %s (%s) to %s.%s", column, type_, layer, name)
            conn.execute(
                sql.SQL("alter table {} add column {} " + type_).format(
                    _ident(layer, name), sql.Identifier(column)
                )
            )
        elif published[column] != type_:
            raise _shape_error(
                layer, name, f"column {column} is {published[column]} there and {type_} in the build"
            )
    gone = [column for column in published if column not in built]
    if gone:
        raise _shape_error(layer, name, f"the build no longer has the column(s) {', '.join(gone)}")


def _shape_error(layer: str, name: str, difference: str) -> PublishError:
    return PublishError(
        f"{layer}.{name} cannot be published: {difference}. Nothing was published. If the model changed on"
        f" purpose, run `kinerja publish --recreate {layer}.{name}` (views and foreign keys pointing at"
        " it are dropped and must be recreated), then the pipeline again."
    )


def _replace_rows(
    conn: psycopg.Connection, layer: str, name: str, days: tuple[date, date] | None, created: bool
) -> Published:
    columns = sql.SQL(", ").join(map(sql.Identifier, _columns(conn, build_schema(layer), name)))
    target, source = _ident(layer, name), _build_ident(layer, name)
    windowed = days is not None and DAY_COLUMN in _columns(conn, layer, name)
    where = (
        sql.SQL(" where {} between %s and %s").format(sql.Identifier(DAY_COLUMN)) if windowed else sql.SQL("")
    )
    params = list(days) if windowed else []
    # delete, not truncate: readers keep seeing the old rows until the commit
    conn.execute(sql.SQL("delete from {}").format(target) + where, params)
    insert = sql.SQL("insert into {} ({}) select {} from {}").format(target, columns, columns, source) + where
    rows = conn.execute(insert, params).rowcount
    if windowed and _count(conn, target) != _count(conn, source):
        # the build changed outside the window (a full refresh): publish it whole
        log.warning("%s.%s differs outside the days %s..%s: publishing it whole", layer, name, *days)
        return _replace_rows(conn, layer, name, None, created)
    how = "created" if created else "window" if windowed else "full"
    return Published(f"{layer}.{name}", rows, how)


def _count(conn: psycopg.Connection, table: sql.Composed) -> int:
    return conn.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()[0]


def _copy_comments(conn: psycopg.Connection, layer: str, name: str) -> None:
    """The build's descriptions (dbt persist_docs) on the published table: Metabase shows them."""
    source = f'"{build_schema(layer)}"."{name}"'
    table_comment = conn.execute("select obj_description(%s::regclass, 'pg_class')", [source]).fetchone()[0]
    conn.execute(sql.SQL("comment on table {} is {}").format(_ident(layer, name), sql.Literal(table_comment)))
    rows = conn.execute(
        "select attname, col_description(attrelid, attnum) from pg_attribute"
        " where attrelid = %s::regclass and attnum > 0 and not attisdropped",
        [source],
    )
    for column, comment in rows.fetchall():
        conn.execute(
            sql.SQL("comment on column {}.{} is {}").format(
                _ident(layer, name), sql.Identifier(column), sql.Literal(comment)
            )
        )


def _ensure_foreign_keys(conn: psycopg.Connection, layer: str, name: str) -> None:
    """The build's foreign keys between published layers, on the published tables (deferred)."""
    rows = conn.execute(
        """
        select constraint_row.conname, pg_get_constraintdef(constraint_row.oid), referenced_ns.nspname
        from pg_constraint as constraint_row
        join pg_class as referenced on referenced.oid = constraint_row.confrelid
        join pg_namespace as referenced_ns on referenced_ns.oid = referenced.relnamespace
        where constraint_row.contype = 'f' and constraint_row.conrelid = %s::regclass
        """,
        [f'"{build_schema(layer)}"."{name}"'],
    )
    for constraint, definition, referenced_schema in rows.fetchall():
        target_layer = referenced_schema.removeprefix(BUILD_PREFIX)
        exists = conn.execute(
            "select 1 from pg_constraint where conname = %s and conrelid = %s::regclass",
            [constraint, f'"{layer}"."{name}"'],
        ).fetchone()
        if exists:
            continue
        definition = definition.replace(f"{referenced_schema}.", f"{target_layer}.")
        # deferred: a publish replaces both sides of a key within one transaction
        conn.execute(
            sql.SQL(
                "alter table {} add constraint {} " + definition + " deferrable initially deferred"
            ).format(_ident(layer, name), sql.Identifier(constraint))
        )


def _grant_to_bi_role(conn: psycopg.Connection, layers: Sequence[str]) -> None:
    role = os.environ.get(BI_ROLE_ENV)
    if not role:
        return
    for layer in layers:
        conn.execute(
            sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(layer), sql.Identifier(role))
        )
        conn.execute(
            sql.SQL("grant select on all tables in schema {} to {}").format(
                sql.Identifier(layer), sql.Identifier(role)
            )
        )
