"""The warehouse's database roles, their grants and the row security of the published tables.

`apply_roles` creates and keeps (idempotently, `kinerja roles apply`, and the daily DAG after
publish) these roles, named with `KINERJA_ROLE_PREFIX` (default `kinerja_`):

| role | reads | writes |
|---|---|---|
| `<prefix>loader` | registry, raw (with the quarantine), audit | the same |
| `<prefix>transformer` | registry, raw, audit and dbt's schemas | dbt's schemas |
| `<prefix>bi` (or `KINERJA_BI_ROLE`) | every row of marts and reports | nothing |
| `<prefix>prov_<code>`, one per province | the rows of its province and its kabupaten/kota in marts and reports | nothing |

A province role reads through PostgreSQL row security: every published table with a region
(a `province_code`, an `institution_id` or an `account_id` column) gets row security enabled,
one policy per province role and an all-rows policy for the national role (row security
denies by default). A published table without a region (the calendar, the platforms) is read
whole by every reader. Owners and superusers bypass row security: the pipeline's own role
sees every row, which is why BI tools must connect as these roles.

Passwords come only from the environment (`KINERJA_ROLE_PASSWORD_<SUFFIX>`, the national BI
role also `KINERJA_BI_PASSWORD`): a role created without one is NOLOGIN; an existing role
keeps the password it has. BI roles get a statement timeout, read-only transactions and no
temporary tables.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from kinerja import config

log = logging.getLogger(__name__)

PUBLISHED_LAYERS = ("marts", "reports")
# what the loader lands into: the registry files, raw rows (raw.quarantine among them), audit results
LOADER_SCHEMAS = ("registry", "raw", "audit")
# what dbt reads (sources) and what it builds (generate_schema_name's schemas)
TRANSFORMER_SOURCES = ("registry", "raw", "audit")
TRANSFORMER_SCHEMAS = ("staging", "intermediate", "build_marts", "build_reports", "reference", "snapshots")
# schemas no reader role may use, whatever was granted by hand before
READER_FORBIDDEN = ("registry", "raw", "audit", "ops", "publication", *TRANSFORMER_SCHEMAS)

# A published table's region, by the first of these columns it has: the province's own code,
# an institution (of the province or of its kabupaten/kota), an account (of such an institution).
REGION_COLUMNS = ("province_code", "institution_id", "account_id")
# tables the province filters of institutions and accounts read (dim_official_accounts holds
# each account's province, derived once in dbt: an account belongs to one province at most)
INSTITUTIONS = "marts.dim_institutions"
ACCOUNTS = "marts.dim_official_accounts"


@dataclass(frozen=True)
class Role:
    """One of the project's roles: its name, what it is for, and its password (None: unset)."""

    suffix: str
    kind: str  # loader, transformer, bi, province
    province_code: str | None = None

    @property
    def name(self) -> str:
        if self.kind == "bi":
            return config.bi_role()
        return config.role_prefix() + self.suffix

    @property
    def password_env(self) -> str:
        return config.role_password_env(self.suffix)

    @property
    def reads_published(self) -> bool:
        return self.kind in ("bi", "province")


def project_roles(province_codes: Sequence[str]) -> list[Role]:
    """The roles of the project for these provinces, in the order they are applied."""
    roles = [Role("loader", "loader"), Role("transformer", "transformer"), Role("bi", "bi")]
    roles += [Role(f"prov_{code}", "province", code) for code in sorted(province_codes)]
    return roles


@dataclass
class RolesReport:
    """What `apply_roles` did and what needs a person: roles without a password, tables it left alone."""

    created: list[str] = field(default_factory=list)
    without_login: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)  # published table -> its row rule
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"{len(self.tables)} published table(s) granted: " + (", ".join(sorted(self.tables)) or "none")
        ]
        if self.created:
            lines.append("created: " + ", ".join(self.created))
        if self.without_login:
            lines.append(
                "NOLOGIN (no password in the environment; set the variable and apply again to let it log in): "
                + ", ".join(self.without_login)
            )
        lines += self.problems
        return "\n".join(lines)


def province_codes(conn: psycopg.Connection) -> list[str]:
    """The provinces of the registry (current or past): one reader role each."""
    rows = conn.execute(
        "select distinct province_code from registry.institutions"
        " where peer_group = 'provinsi' and province_code is not null order by 1"
    )
    return [code for (code,) in rows]


def registry_province_codes(registry_dir: Path) -> list[str]:
    """The provinces of the registry files: the province roles `apply_roles` creates once they are loaded."""
    from kinerja.registry.load import read_institutions

    institutions = read_institutions(registry_dir)
    return sorted(
        {i["province_code"] for i in institutions if i["peer_group"] == "provinsi" and i["province_code"]}
    )


def read_env_file(text: str) -> dict[str, str]:
    """The NAME=value lines of an env file (docker compose's format), comments and blank lines skipped."""
    pairs = (
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.lstrip().startswith("#")
    )
    return {name.strip(): value.strip() for name, value in pairs}


def province_passwords_env_file(codes: Sequence[str], existing: Mapping[str, str]) -> tuple[str, list[str]]:
    """An env file with a password for each province role, and the variables it added.

    A password already in `existing` is kept (the role has it: changing it here would lock out
    the office's connection); a missing one is made (48 hex digits: no quoting, no URL escaping).
    """
    names = {code: config.role_password_env(f"prov_{code}") for code in codes}
    passwords = dict(existing)
    added = [name for name in names.values() if not passwords.get(name)]
    for name in added:
        passwords[name] = secrets.token_hex(24)
    lines = [
        "# The province reader roles' passwords (kinerja roles passwords): a secret, never commit it.",
        "# docker compose gives it to the services that create the roles and connect Metabase.",
        *(f"{name}={value}" for name, value in sorted(passwords.items())),
    ]
    return "\n".join(lines) + "\n", added


def apply_roles(conn: psycopg.Connection) -> RolesReport:
    """Create the project's roles and give each exactly its grants and row policies; idempotent.

    Runs in one transaction under an advisory lock, so two runs at once end the same. Needs a
    connection as the owner of the warehouse's tables with the CREATEROLE attribute.
    """
    report = RolesReport()
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('kinerja.roles.apply'))")
        _check_can_manage_roles(conn)
        roles = project_roles(province_codes(conn))
        for role in roles:
            try:
                with conn.transaction():
                    _ensure_role(conn, role, report)
            except psycopg.errors.InsufficientPrivilege as refused:
                raise RolesError(_not_ours(conn, role.name, refused)) from None
        _grant_database(conn, roles)
        by_kind = {
            kind: [r for r in roles if r.kind == kind] for kind in ("loader", "transformer", "bi", "province")
        }
        _grant_writers(conn, by_kind["loader"], LOADER_SCHEMAS, LOADER_SCHEMAS)
        _grant_writers(conn, by_kind["transformer"], TRANSFORMER_SCHEMAS, TRANSFORMER_SOURCES)
        readers = by_kind["bi"] + by_kind["province"]
        _keep_readers_out(conn, readers)
        for layer in PUBLISHED_LAYERS:
            _grant_published_layer(conn, layer, by_kind["bi"][0], by_kind["province"], report)
    log.info("roles applied:\n%s", report.summary())
    return report


class RolesError(RuntimeError):
    """The roles cannot be applied as the connection's role: says what to do."""


def _check_can_manage_roles(conn: psycopg.Connection) -> None:
    who, can = conn.execute(
        "select current_user, rolsuper or rolcreaterole from pg_roles where rolname = current_user"
    ).fetchone()
    if not can:
        raise RolesError(
            f"the role {who} may not create roles: run `kinerja roles apply` as a role with CREATEROLE that"
            f" owns the warehouse's tables (e.g. `alter role {who} createrole` as a superuser), or have a"
            " superuser run it once; publishing goes on meanwhile, without the roles' new grants"
        )


def _not_ours(conn: psycopg.Connection, role: str, refused: psycopg.Error) -> str:
    """What to do when a role exists that the connection's role may not change."""
    who = conn.execute("select current_user").fetchone()[0]
    return (
        f"the role {role} exists but {who} may not change it ({refused.diag.message_primary}): it was"
        f" created by another role (on PostgreSQL 16 a CREATEROLE role changes only the roles it"
        f" created). As a superuser, once: `grant {role} to {who} with admin option, inherit false,"
        f" set false` (or drop {role} and apply again); publishing goes on meanwhile"
    )


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def _ensure_role(conn: psycopg.Connection, role: Role, report: RolesReport) -> None:
    password = config.role_password(role.suffix)
    exists = conn.execute("select 1 from pg_roles where rolname = %s", [role.name]).fetchone()
    login = sql.SQL("login password {}").format(sql.Literal(password)) if password else sql.SQL("nologin")
    if not exists:
        try:
            conn.execute(sql.SQL("create role {} {}").format(_ident(role.name), login))
        except psycopg.errors.DuplicateObject:
            pass  # created by a concurrent run on another database of this server
        else:
            report.created.append(role.name)
    elif password:
        conn.execute(sql.SQL("alter role {} {}").format(_ident(role.name), login))
    if not password:
        can_login = conn.execute(
            "select rolcanlogin from pg_roles where rolname = %s", [role.name]
        ).fetchone()[0]
        if not can_login:
            report.without_login.append(f"{role.name} (set {role.password_env})")
    if role.reads_published:
        # readers: bounded statements, no writes even where a grant slipped through
        for setting, value in (
            ("statement_timeout", config.bi_statement_timeout()),
            ("default_transaction_read_only", "on"),
            ("idle_in_transaction_session_timeout", "5min"),
        ):
            conn.execute(
                sql.SQL("alter role {} set {} = {}").format(
                    _ident(role.name), sql.Identifier(setting), sql.Literal(value)
                )
            )


def _grant_database(conn: psycopg.Connection, roles: Sequence[Role]) -> None:
    database = _ident(conn.execute("select current_database()").fetchone()[0])
    for role in roles:
        conn.execute(sql.SQL("grant connect on database {} to {}").format(database, _ident(role.name)))
    # Temporary tables are granted to PUBLIC by default: taken back, and given to the writers
    # only (landing stages its COPY in a temporary table), so no reader can create one.
    conn.execute(sql.SQL("revoke temporary on database {} from public").format(database))
    writers = [_ident(r.name) for r in roles if not r.reads_published]
    conn.execute(
        sql.SQL("grant temporary on database {} to {}").format(database, sql.SQL(", ").join(writers))
    )
    # PostgreSQL 15 stopped granting create on the public schema to everyone; older servers did
    conn.execute("revoke create on schema public from public")


def _existing_schemas(conn: psycopg.Connection, schemas: Sequence[str]) -> list[str]:
    rows = conn.execute("select nspname from pg_namespace where nspname = any(%s)", [list(schemas)])
    found = {name for (name,) in rows}
    return [schema for schema in schemas if schema in found]


def _grant_writers(
    conn: psycopg.Connection, writers: Sequence[Role], writes: Sequence[str], reads: Sequence[str]
) -> None:
    """Read `reads`, read and write the tables of `writes` (those that exist; future tables too)."""
    for role in writers:
        grantee = _ident(role.name)
        for schema in _existing_schemas(conn, sorted(set(reads) | set(writes))):
            schema_id = _ident(schema)
            writable = schema in writes
            privileges = "select, insert, update, delete" if writable else "select"
            conn.execute(sql.SQL("grant usage on schema {} to {}").format(schema_id, grantee))
            if writable and schema in TRANSFORMER_SCHEMAS:
                conn.execute(sql.SQL("grant create on schema {} to {}").format(schema_id, grantee))
            conn.execute(
                sql.SQL("grant " + privileges + " on all tables in schema {} to {}").format(
                    schema_id, grantee
                )
            )
            conn.execute(
                sql.SQL(
                    "alter default privileges in schema {} grant " + privileges + " on tables to {}"
                ).format(schema_id, grantee)
            )
            if writable:
                conn.execute(
                    sql.SQL("grant usage on all sequences in schema {} to {}").format(schema_id, grantee)
                )


def _keep_readers_out(conn: psycopg.Connection, readers: Sequence[Role]) -> None:
    """Take back from the readers anything on the schemas they must not read (a grant by hand)."""
    for schema in _existing_schemas(conn, READER_FORBIDDEN):
        grantees = sql.SQL(", ").join(_ident(r.name) for r in readers)
        conn.execute(
            sql.SQL("revoke all on all tables in schema {} from {}").format(_ident(schema), grantees)
        )
        conn.execute(sql.SQL("revoke all on schema {} from {}").format(_ident(schema), grantees))


def _published_relations(conn: psycopg.Connection, layer: str) -> list[tuple[str, str, list[str]]]:
    """(name, kind 'r' table or 'v' view, columns) of every table and view of a published schema."""
    rows = conn.execute(
        """
        select class.relname, class.relkind, array_agg(attribute.attname::text order by attribute.attnum)
        from pg_class as class
        join pg_namespace as namespace on namespace.oid = class.relnamespace
        join pg_attribute as attribute on attribute.attrelid = class.oid and attribute.attnum > 0
            and not attribute.attisdropped
        where namespace.nspname = %s and class.relkind in ('r', 'v', 'p')
        group by class.relname, class.relkind
        order by class.relname
        """,
        [layer],
    )
    return [(name, "v" if kind == "v" else "r", columns) for name, kind, columns in rows]


def region_column(columns: Sequence[str]) -> str | None:
    """The column that places a published table's rows in a province, None for a table without region."""
    return next((column for column in REGION_COLUMNS if column in columns), None)


def province_filter(column: str, province_code: str) -> sql.Composable:
    """The rows of one province, by a table's region column (the policy of its reader role)."""
    code = sql.Literal(province_code)
    institutions = sql.SQL("select institution_id from {} where province_code = {}").format(
        sql.SQL(INSTITUTIONS), code
    )
    if column == "province_code":
        return sql.SQL("province_code = {}").format(code)
    if column == "institution_id":
        return sql.SQL("institution_id in ({})").format(institutions)
    # The account's province (dim_official_accounts.province_code) through its
    # (province_code, account_id) index: one small index range per query.
    return sql.SQL("account_id in (select account_id from {} where province_code = {})").format(
        sql.SQL(ACCOUNTS), code
    )


def _grant_published_layer(
    conn: psycopg.Connection, layer: str, bi: Role, provinces: Sequence[Role], report: RolesReport
) -> None:
    conn.execute(sql.SQL("create schema if not exists {}").format(_ident(layer)))
    readers = sql.SQL(", ").join(_ident(r.name) for r in (bi, *provinces))
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(_ident(layer), readers))
    for name, kind, columns in _published_relations(conn, layer):
        qualified = f"{layer}.{name}"
        try:
            with conn.transaction():
                report.tables[qualified] = _grant_relation(conn, layer, name, kind, columns, bi, provinces)
        except psycopg.errors.InsufficientPrivilege as refused:
            # an analyst's table or view in a published schema: only its owner can change it
            report.problems.append(
                f"{qualified}: left unread by the readers ({refused.diag.message_primary}); its owner"
                " can grant it, or move it out of the published schema"
            )


def _grant_relation(
    conn: psycopg.Connection,
    layer: str,
    name: str,
    kind: str,
    columns: Sequence[str],
    bi: Role,
    provinces: Sequence[Role],
) -> str:
    """Grant one published table or view to the readers with its row rule; returns the rule."""
    table = sql.Identifier(layer, name)
    everyone = sql.SQL(", ").join(_ident(r.name) for r in (bi, *provinces))
    conn.execute(sql.SQL("revoke all on {} from {}").format(table, everyone))
    if kind == "v":
        # a view reads its tables as its owner, who bypasses row security, unless security_invoker
        conn.execute(sql.SQL("alter view {} set (security_invoker = true)").format(table))
        conn.execute(sql.SQL("grant select on {} to {}").format(table, everyone))
        return "view (security_invoker: its tables' row security applies)"
    column = region_column(columns)
    if column is None:
        conn.execute(sql.SQL("grant select on {} to {}").format(table, everyone))
        return "no region: every row to every reader"
    conn.execute(sql.SQL("alter table {} enable row level security").format(table))
    _ensure_policy(conn, layer, name, f"{bi.name}_rows", bi.name, sql.SQL("true"))
    for province in provinces:
        policy = province_filter(column, province.province_code)
        _ensure_policy(conn, layer, name, f"{province.name}_rows", province.name, policy)
    conn.execute(sql.SQL("grant select on {} to {}").format(table, everyone))
    return f"row security by {column}"


def _ensure_policy(
    conn: psycopg.Connection, layer: str, name: str, policy: str, role: str, using: sql.Composable
) -> None:
    """A select policy for one role; replaced only when its definition changed (the comment holds its
    digest), so that applying twice takes no lock a reader would wait for."""
    definition = f"{role}|{using.as_string(conn)}"
    digest = "kinerja:" + hashlib.sha256(definition.encode()).hexdigest()[:16]
    current = conn.execute(
        "select obj_description(oid, 'pg_policy') from pg_policy where polrelid = %s::regclass and polname = %s",
        [f'"{layer}"."{name}"', policy],
    ).fetchone()
    if current and current[0] == digest:
        return
    table, policy_id = sql.Identifier(layer, name), _ident(policy)
    if current:
        conn.execute(sql.SQL("drop policy {} on {}").format(policy_id, table))
    conn.execute(
        sql.SQL("create policy {} on {} as permissive for select to {} using ({})").format(
            policy_id, table, _ident(role), using
        )
    )
    conn.execute(sql.SQL("comment on policy {} on {} is {}").format(policy_id, table, sql.Literal(digest)))
