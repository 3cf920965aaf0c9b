"""The roles `kinerja roles apply` keeps, tested by connecting as them (owners bypass row security)."""

from __future__ import annotations

import logging

import psycopg
import pytest
from psycopg import sql

from kinerja import config, publish
from kinerja.warehouse.roles import apply_roles, region_column
from support import SMALL_REGISTRY

pytestmark = pytest.mark.integration

PUBLISHED = ("marts", "reports")
HIDDEN_FROM_READERS = ("raw.account_daily", "raw.quarantine", "raw.batch_ledger", "audit.validation_results")


def _published_tables(conn) -> dict[str, list[str]]:
    rows = conn.execute(
        "select table_schema || '.' || table_name, array_agg(column_name::text order by ordinal_position)"
        " from information_schema.columns where table_schema = any(%s) group by 1 order by 1",
        [list(PUBLISHED)],
    )
    return dict(rows.fetchall())


def _province_members(conn, province: str) -> dict[str, set[str]]:
    """Bali's institutions and accounts as the registry has them (not as the policies say)."""
    from kinerja.registry.load import read_accounts

    institutions = {
        institution_id
        for (institution_id,) in conn.execute(
            "select institution_id from registry.institutions where province_code = %s", [province]
        )
    }
    accounts = {a["account_id"] for a in read_accounts(SMALL_REGISTRY) if a["institution_id"] in institutions}
    return {"province_code": {province}, "institution_id": institutions, "account_id": accounts}


def _column_values(conn, table: str, column: str) -> list:
    layer, name = table.split(".")
    query = sql.SQL("select {} from {} order by 1").format(
        sql.Identifier(column), sql.Identifier(layer, name)
    )
    return [value for (value,) in conn.execute(query)]


def test_the_bi_role_reads_every_published_row(bi_warehouse):
    with bi_warehouse.as_owner() as owner, bi_warehouse.as_role(bi_warehouse.bi_role) as bi:
        tables = _published_tables(owner)
        assert len(tables) >= 14
        for table in tables:
            count = sql.SQL("select count(*) from {}").format(sql.Identifier(*table.split(".")))
            owned = owner.execute(count).fetchone()[0]
            assert bi.execute(count).fetchone()[0] == owned, table
        assert owner.execute("select count(*) from marts.fct_account_daily").fetchone()[0] > 0


@pytest.mark.parametrize("reader", ["bi", "province"])
def test_readers_cannot_read_raw_or_audit_nor_write_nor_make_temp_tables(bi_warehouse, reader):
    role = bi_warehouse.bi_role if reader == "bi" else bi_warehouse.province_role
    with bi_warehouse.as_role(role) as conn:
        for table in HIDDEN_FROM_READERS:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {table} limit 1")
        timeout = conn.execute("show statement_timeout").fetchone()[0]
        with bi_warehouse.as_owner() as owner:
            # the setting as the server writes it (60s reads back as 1min)
            configured = owner.execute(
                "select set_config('statement_timeout', %s, false)", [config.bi_statement_timeout()]
            ).fetchone()[0]
        assert timeout == configured != "0"
        writes = (
            "delete from marts.dim_platforms",
            "update reports.rpt_institution_scores_monthly set ikms = 100",
            "insert into marts.dim_platforms (platform) values ('x2')",
            "create table public.mine (id int)",
            "create temporary table mine (id int)",
        )
        for statement in writes:
            # read-only transactions refuse first; without them, the missing privilege would
            with pytest.raises((psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege)):
                conn.execute(statement)
        conn.execute("set default_transaction_read_only = off")
        for statement in writes:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_a_province_role_sees_only_its_province_in_every_table_with_a_region(bi_warehouse):
    with bi_warehouse.as_owner() as owner, bi_warehouse.as_role(bi_warehouse.province_role) as province:
        members = _province_members(owner, "51")
        assert len(members["institution_id"]) == 10 and members["account_id"]
        with_region, with_rows_hidden = 0, 0
        for table, columns in _published_tables(owner).items():
            column = region_column(columns)
            everything = _column_values(owner, table, column or columns[0])
            seen = _column_values(province, table, column or columns[0])
            if column is None:  # a calendar, the platforms: read whole
                assert seen == everything, table
                continue
            with_region += 1
            expected = [value for value in everything if value in members[column]]
            assert seen == expected and expected, table
            if "account_id" in columns:  # a table placed by its province_code too: its accounts
                assert set(_column_values(province, table, "account_id")) <= members["account_id"], table
            # the central institutions' rows (the small registry has no other province)
            with_rows_hidden += len(expected) < len(everything)
        assert with_region >= 10 and with_rows_hidden >= with_region - 2
        # every account of the province, the one it shares with a ministry included
        assert (
            set(_column_values(province, "marts.dim_official_accounts", "account_id"))
            == members["account_id"]
        )


def test_applying_twice_leaves_the_same_roles_grants_and_policies(bi_warehouse):
    with bi_warehouse.as_owner() as owner:
        before = _security_state(owner)
        assert before["policies"]
        apply_roles(owner)
        assert _security_state(owner) == before


def _security_state(conn) -> dict:
    prefix = config.role_prefix().replace("_", r"\_") + "%"
    return {
        "roles": conn.execute(
            "select rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolbypassrls"
            " from pg_roles where rolname like %s order by 1",
            [prefix],
        ).fetchall(),
        "settings": conn.execute(
            "select r.rolname, s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole"
            " where r.rolname like %s order by 1",
            [prefix],
        ).fetchall(),
        "acl": conn.execute(
            "select c.oid::regclass::text, c.relacl::text, c.relrowsecurity from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace where n.nspname = any(%s) order by 1",
            [list(PUBLISHED)],
        ).fetchall(),
        "schemas": conn.execute("select nspname, nspacl::text from pg_namespace order by 1").fetchall(),
        "database": conn.execute(
            "select datacl::text from pg_database where datname = current_database()"
        ).fetchall(),
        "policies": conn.execute(
            "select polrelid::regclass::text, polname, pg_get_expr(polqual, polrelid), polroles::regrole[]::text,"
            " obj_description(oid, 'pg_policy'), oid from pg_policy order by 1, 2"
        ).fetchall(),
    }


def test_roles_without_a_password_cannot_log_in_and_are_reported(bi_warehouse):
    report = bi_warehouse.report
    loader = f"{config.role_prefix()}loader"
    assert any(
        line.startswith(loader) and "KINERJA_ROLE_PASSWORD_LOADER" in line for line in report.without_login
    )
    assert not any(line.startswith(bi_warehouse.bi_role) for line in report.without_login)
    with pytest.raises(psycopg.OperationalError):
        bi_warehouse.as_role(loader).close()


def test_a_missing_bi_role_is_named_and_does_not_block_publish(bi_warehouse, monkeypatch, caplog):
    missing = f"{config.role_prefix()}nobody"
    monkeypatch.setenv(config.BI_ROLE_ENV, missing)
    with bi_warehouse.as_owner() as owner, caplog.at_level(logging.WARNING):
        published = publish.publish(owner)
    assert {p.table for p in published} >= {
        "marts.fct_account_daily",
        "reports.rpt_institution_scores_monthly",
    }
    assert any(
        missing in record.getMessage() and "kinerja roles apply" in record.getMessage()
        for record in caplog.records
    )


def test_every_published_model_says_who_reads_it_in_its_meta(bi_warehouse):
    import json

    manifest = json.loads(config.dbt_manifest_path().read_text())
    with bi_warehouse.as_owner() as owner:
        published = set(_published_tables(owner))
    readers = {
        f"{node['config']['schema']}.{node['name']}": node["config"]["meta"].get("readers")
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") in PUBLISHED
    }
    assert published <= set(readers)
    assert all(
        reader and set(reader) == {"national", "province", "nobody_else"} for reader in readers.values()
    )


def test_the_roles_command_lists_every_published_table_with_its_row_rule(bi_warehouse, monkeypatch):
    from typer.testing import CliRunner

    from kinerja.cli import app

    monkeypatch.setenv(config.WAREHOUSE_URL_ENV, bi_warehouse.params.conninfo())
    result = CliRunner().invoke(app, ["roles", "apply"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "row security by account_id" in result.output and "marts.fct_posts" in result.output
    assert "KINERJA_ROLE_PASSWORD_LOADER" in result.output  # the NOLOGIN roles, with what to set


def test_a_role_the_owner_did_not_create_is_named_with_the_grant_that_lets_it_apply(bi_warehouse):
    """The production stack's owner has CREATEROLE, not superuser: on PostgreSQL 16 it may change
    only roles it created (a stack whose init script created the BI role as the superuser)."""
    from kinerja.warehouse.roles import RolesError

    owner = f"{config.role_prefix()}owner_not_super"
    with bi_warehouse.as_owner() as superuser:
        if superuser.info.server_version < 160000:
            pytest.skip("PostgreSQL 15 lets a CREATEROLE role change any role that is not a superuser")
        superuser.execute(sql.SQL("create role {} login createrole").format(sql.Identifier(owner)))
        try:
            superuser.execute(sql.SQL("grant usage on schema registry to {}").format(sql.Identifier(owner)))
            superuser.execute(
                sql.SQL("grant select on registry.institutions to {}").format(sql.Identifier(owner))
            )
            with bi_warehouse.as_role(owner) as conn, pytest.raises(RolesError) as refused:
                apply_roles(conn)
        finally:
            superuser.execute(sql.SQL("drop owned by {}").format(sql.Identifier(owner)))
            superuser.execute(sql.SQL("drop role {}").format(sql.Identifier(owner)))
    # the first role it must change: the BI role's settings (the stack's case: created by init)
    bi = bi_warehouse.bi_role
    assert f"the role {bi} exists but {owner} may not change it" in str(refused.value)
    assert f"grant {bi} to {owner} with admin option" in str(refused.value)
