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
of BI tools. A column added to a model is added to its published table, and so are a
key, a not-null constraint or an index added to its contract or config; any other change
of shape is refused with what to do (`kinerja publish --recreate TABLE`).

Foreign keys exist only between published tables: the contracts declare them (dbt's
`foreign_key` constraints, read from the manifest) and publish creates them, deferred, as
soon as both tables are published. In the build schemas dbt replaces a table at every
build and the daily run builds no reference dimension, so a key there would be dropped
with its target or point at nothing (macros/get_table_columns_and_constraints.sql).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
from psycopg import errors, sql

from kinerja import config

log = logging.getLogger(__name__)

PUBLISHED_LAYERS = ("marts", "reports")
BUILD_PREFIX = "build_"
DAY_COLUMN = "metric_date"  # tables with this column may be published one window of days at a time


class PublishError(RuntimeError):
    """A published table cannot take its build's rows as they are; the message says what to do."""


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key a model's contract declares, between published tables (layer.name)."""

    table: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    name: str | None = None

    @property
    def constraint_name(self) -> str:
        # PostgreSQL's own pattern (<table>_<columns>_fkey), within its 63 characters
        return self.name or f"{self.table.split('.')[1]}_{'_'.join(self.columns)}_fkey"[:63]


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
        if node["resource_type"] == "model"
        and tag in node["tags"]
        and node["schema"].startswith(BUILD_PREFIX)
    }


def declared_foreign_keys(manifest_path: Path) -> list[ForeignKey]:
    """The foreign keys the contracts of the published models declare, from the dbt manifest."""
    if not Path(manifest_path).exists():
        raise PublishError(
            f"{manifest_path} does not exist, so the foreign keys of the published tables are unknown."
            " Nothing was published. Run `kinerja dbt-parse` (or any dbt command), then publish again."
        )
    nodes = json.loads(Path(manifest_path).read_text())["nodes"]
    published = {
        node["name"]: f"{node['schema'].removeprefix(BUILD_PREFIX)}.{node['alias']}"
        for node in nodes.values()
        if node["resource_type"] == "model" and node["schema"].startswith(BUILD_PREFIX)
    }
    keys = []
    for node in nodes.values():
        if node["resource_type"] != "model" or node["name"] not in published:
            continue
        declared = [(c, list(c.get("columns") or [])) for c in node.get("constraints", [])]
        for column in node["columns"].values():
            declared += [(c, [column["name"]]) for c in column.get("constraints", [])]
        for constraint, columns in declared:
            if constraint["type"] != "foreign_key" or not constraint.get("to"):
                continue
            target = published.get(_referenced_model(constraint["to"]))
            if target is None:
                raise PublishError(
                    f"the contract of {node['name']} declares a foreign key to {constraint['to']}, which is not"
                    " a published model (marts, reports). Point it at a mart or report, or remove it."
                )
            keys.append(
                ForeignKey(
                    published[node["name"]],
                    tuple(columns),
                    target,
                    tuple(constraint["to_columns"]),
                    constraint.get("name"),
                )
            )
    return keys


def _referenced_model(to: str) -> str:
    """The model a constraint's `to` names: ref('dim_dates') as parsed, or the relation once compiled."""
    found = re.fullmatch(r"""\s*ref\(\s*['"](\w+)['"]\s*\)\s*""", to)
    return found.group(1) if found else to.replace('"', "").split(".")[-1]


def publish(
    conn: psycopg.Connection,
    *,
    days: Sequence[date] | None = None,
    layers: Sequence[str] = PUBLISHED_LAYERS,
    only: Collection[str] | None = None,
    recreate: Collection[str] = (),
    manifest_path: Path | None = None,
) -> list[Published]:
    """Copy the build tables of `layers` into their published tables, in one transaction.

    `only` limits it to these tables (layer.name; None: every build table). `days`: tables
    with a metric_date column take only the rows of those days (the days a daily build
    rebuilt, as planned by kinerja.landing.plan); others are replaced whole. `recreate` names published tables to
    drop and create anew from their build. The foreign keys come from the contracts in the
    dbt manifest (`manifest_path`, default: the project's target/manifest.json).
    """
    foreign_keys = declared_foreign_keys(manifest_path or config.dbt_manifest_path())
    results: list[Published] = []
    try:
        with conn.transaction():
            # one publisher at a time: two would interleave their deletes and inserts
            conn.execute("select pg_advisory_xact_lock(hashtext('kinerja.publish'))")
            tables = [(layer, name) for layer in layers for name in _build_tables(conn, layer)]
            if only is not None:
                tables = [(layer, name) for layer, name in tables if f"{layer}.{name}" in only]
            for layer, name in tables:
                created = _ensure_published(conn, layer, name, recreate=f"{layer}.{name}" in recreate)
                _add_new_columns(conn, layer, name)
                if not created:
                    _add_new_keys_and_indexes(conn, layer, name)
                results.append(_replace_rows(conn, layer, name, None if created else days, created))
                _copy_comments(conn, layer, name)
            # check the deferred keys here, where a violation can be explained (and before
            # adding a key: PostgreSQL alters no table with pending checks)
            conn.execute("set constraints all immediate")
            # every declared key whose two tables are published, also of tables not published now:
            # the first daily runs publish the fact before the monthly run publishes the calendar
            for key in foreign_keys:
                _ensure_foreign_key(conn, key)
            _grant_to_bi_role(conn, layers)
    except errors.ForeignKeyViolation as violation:
        raise PublishError(
            f"{violation.diag.table_name} cannot be published: {violation.diag.message_primary}"
            f" ({violation.diag.message_detail}). Nothing was published. The relationships tests in"
            " build_marts/build_reports check the same keys: build with them, look at the rows they"
            " return, fix the data (registry, seed or model) and build again."
        ) from violation
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
    conn: psycopg.Connection, layer: str, name: str, days: Sequence[date] | None, created: bool
) -> Published:
    """Make the published rows (of the window) those of the build: delete the rows the build no
    longer has, insert those it has anew, leave identical rows alone. Unchanged rows are not
    rewritten, so a key of someone else's table that points at them (a Metabase model, an
    analyst's table) never sees them disappear."""
    names = list(_columns(conn, build_schema(layer), name))
    columns = sql.SQL(", ").join(map(sql.Identifier, names))
    target, source = _ident(layer, name), _build_ident(layer, name)
    windowed = days is not None and DAY_COLUMN in _columns(conn, layer, name)

    def in_window(alias: str) -> sql.Composable:
        if not windowed:
            return sql.SQL("true")
        # the first day as a bound too: the index on the day column serves it
        return sql.SQL("{column} >= %s and {column} = any(%s)").format(
            column=sql.Identifier(alias, DAY_COLUMN)
        )

    def row_hash(alias: str) -> sql.Composable:
        return sql.SQL("md5(row({})::text)").format(
            sql.SQL(", ").join(sql.Identifier(alias, c) for c in names)
        )

    params = [min(days), sorted(days)] * 2 if windowed else []
    if windowed:
        # Planner statistics of the window's days first: only publish writes this table, so
        # nothing else analyzes it, and a planner that expects no published rows in the window
        # compares the two sides row by row (a nested loop) instead of hashing them.
        conn.execute(sql.SQL("analyze {}").format(target))
    # delete, not truncate: readers keep seeing the old rows until the commit
    conn.execute(
        sql.SQL(
            "delete from {target} as published where {published_window} and not exists"
            " (select 1 from {source} as build where {build_window} and {build_row} = {published_row})"
        ).format(
            target=target,
            source=source,
            published_window=in_window("published"),
            build_window=in_window("build"),
            build_row=row_hash("build"),
            published_row=row_hash("published"),
        ),
        params,
    )
    rows = conn.execute(
        sql.SQL(
            "insert into {target} ({columns}) select {build_columns} from {source} as build where {build_window}"
            " and not exists (select 1 from {target} as published where {published_window}"
            " and {published_row} = {build_row})"
        ).format(
            target=target,
            columns=columns,
            source=source,
            build_window=in_window("build"),
            build_columns=sql.SQL(", ").join(sql.Identifier("build", c) for c in names),
            published_window=in_window("published"),
            build_row=row_hash("build"),
            published_row=row_hash("published"),
        ),
        params,
    ).rowcount
    if windowed and _count(conn, target) != _count(conn, source):
        # the build changed outside the window (a full refresh): publish it whole
        log.warning(
            "%s.%s differs outside the days %s..%s: publishing it whole", layer, name, min(days), max(days)
        )
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


def _key_columns(conn: psycopg.Connection, table: str, kind: str) -> set[tuple[str, ...]]:
    """The column lists of a table's constraints of one kind (p primary, u unique, f foreign)."""
    rows = conn.execute(
        """
        select array_agg(attribute.attname order by key.position)
        from pg_constraint as constraint_row
        cross join lateral unnest(constraint_row.conkey) with ordinality as key (attnum, position)
        join pg_attribute as attribute
            on attribute.attrelid = constraint_row.conrelid and attribute.attnum = key.attnum
        where constraint_row.conrelid = %s::regclass and constraint_row.contype = %s
        group by constraint_row.oid
        """,
        [table, kind],
    )
    return {tuple(columns) for (columns,) in rows}


def _plain_indexes(conn: psycopg.Connection, table: str) -> set[str]:
    """What a table's indexes that back no constraint index, as 'btree (month)', 'unique btree (...)'."""
    rows = conn.execute(
        """
        select pg_get_indexdef(index_row.indexrelid), index_row.indisunique
        from pg_index as index_row
        where index_row.indrelid = %s::regclass
            and not exists (select 1 from pg_constraint where conindid = index_row.indexrelid)
        """,
        [table],
    )
    return {("unique " if unique else "") + definition.split(" USING ", 1)[1] for definition, unique in rows}


def _add_new_keys_and_indexes(conn: psycopg.Connection, layer: str, name: str) -> None:
    """What a contract or an indexes config added since the published table was created: its
    not-null columns, primary and unique keys and indexes, added to the published table."""
    build, target = f'"{build_schema(layer)}"."{name}"', f'"{layer}"."{name}"'
    nullable = conn.execute(
        "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0"
        " and not attisdropped and attnotnull"
        " except select attname from pg_attribute where attrelid = %s::regclass and attnotnull",
        [build, target],
    ).fetchall()
    for (column,) in nullable:
        log.info("%s.%s: column %s becomes not null, as in its contract", layer, name, column)
        conn.execute(
            sql.SQL("alter table {} alter column {} set not null").format(
                _ident(layer, name), sql.Identifier(column)
            )
        )
    for kind, clause in (("p", "primary key"), ("u", "unique")):
        for columns in _key_columns(conn, build, kind) - _key_columns(conn, target, kind):
            if kind == "p" and _key_columns(conn, target, "p"):
                raise _shape_error(layer, name, f"its primary key is now ({', '.join(columns)})")
            log.info("%s.%s: adding its %s (%s)", layer, name, clause, ", ".join(columns))
            conn.execute(
                sql.SQL("alter table {} add " + clause + " ({})").format(
                    _ident(layer, name), sql.SQL(", ").join(map(sql.Identifier, columns))
                )
            )
    published_indexes = _plain_indexes(conn, target)
    for indexed in _plain_indexes(conn, build) - published_indexes:
        log.info("%s.%s: adding an index %s", layer, name, indexed)
        # the build's index, on the published table, under a name PostgreSQL chooses
        conn.execute(
            sql.SQL(
                "create " + ("unique " if indexed.startswith("unique ") else "") + "index on {} using "
            ).format(_ident(layer, name))
            + sql.SQL(indexed.removeprefix("unique "))
        )


def _ensure_foreign_key(conn: psycopg.Connection, key: ForeignKey) -> None:
    """Create a declared foreign key between published tables once both exist (deferred)."""
    table, target = (sql.Identifier(*name.split(".")) for name in (key.table, key.target))
    both_published = conn.execute(
        "select to_regclass(%s) is not null and to_regclass(%s) is not null",
        [_regclass_name(key.table), _regclass_name(key.target)],
    ).fetchone()[0]
    if not both_published:
        log.info("foreign key %s waits until %s is published", key.constraint_name, key.target)
        return
    target_keys = _key_columns(conn, _regclass_name(key.target), "p") | _key_columns(
        conn, _regclass_name(key.target), "u"
    )
    if set(key.target_columns) not in [set(columns) for columns in target_keys]:
        # a table published before its contract gets its key when it is published next
        log.info("foreign key %s waits until %s has its key", key.constraint_name, key.target)
        return
    existing = conn.execute(
        "select 1 from pg_constraint where contype = 'f' and conrelid = %s::regclass and confrelid = %s::regclass"
        " and conkey = (select array_agg(attnum order by position) from unnest(%s::text[]) with ordinality"
        "   as wanted (attname, position) join pg_attribute using (attname) where attrelid = %s::regclass)",
        [_regclass_name(key.table), _regclass_name(key.target), list(key.columns), _regclass_name(key.table)],
    ).fetchone()
    if existing:
        return
    log.info("adding foreign key %s: %s -> %s", key.constraint_name, key.table, key.target)
    # deferred: a publish replaces both sides of a key within one transaction
    conn.execute(
        sql.SQL(
            "alter table {} add constraint {} foreign key ({}) references {} ({}) deferrable initially deferred"
        ).format(
            table,
            sql.Identifier(key.constraint_name),
            sql.SQL(", ").join(map(sql.Identifier, key.columns)),
            target,
            sql.SQL(", ").join(map(sql.Identifier, key.target_columns)),
        )
    )


def _regclass_name(table: str) -> str:
    layer, name = table.split(".")
    return f'"{layer}"."{name}"'


def _grant_to_bi_role(conn: psycopg.Connection, layers: Sequence[str]) -> None:
    """Select on every published table for the national BI role, when it exists.

    A missing role never fails a publish (BI users would be left on stale data): it is logged
    by name with what to do. The province roles and the row policies are `kinerja roles apply`'s,
    which the daily DAG runs after publish.
    """
    role = config.bi_role()
    if not conn.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone():
        log.warning(
            "the BI role %s does not exist: published without granting it. Run `kinerja roles apply`"
            " (it creates %s and the province roles), or set %s to an existing role",
            role,
            role,
            config.BI_ROLE_ENV,
        )
        return
    for layer in layers:
        # a publish of some tables only (`only=`) may come before the layer's first table
        if not conn.execute("select 1 from pg_namespace where nspname = %s", [layer]).fetchone():
            continue
        conn.execute(
            sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(layer), sql.Identifier(role))
        )
        conn.execute(
            sql.SQL("grant select on all tables in schema {} to {}").format(
                sql.Identifier(layer), sql.Identifier(role)
            )
        )
