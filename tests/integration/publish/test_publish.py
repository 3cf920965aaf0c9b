"""Write-audit-publish: users see a build only after it passed, and what points at their tables survives."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from kinerja import alerts, cli, config, landing, publish
from kinerja.config import PgParams
from kinerja.landing.plan import window
from kinerja.publish import gate
from kinerja.quality import account_days as quality
from kinerja.quality import build, engine
from kinerja.registry.load import load_registry, read_accounts
from kinerja.sources import simulator
from kinerja.warehouse import connect
from kinerja.warehouse.fingerprint import table_fingerprint
from support import (
    DAILY_SELECTION,
    SMALL_REGISTRY,
    copy_database,
    create_database,
    daily_vars,
    dbt_build,
    drop_database,
)

pytestmark = [pytest.mark.integration, pytest.mark.long]

DAYS = [date(2026, 10, 1) + timedelta(days=i) for i in range(4)]
# The scenarios that start from a full build of the same days share one such build (`built`).
BUILT_DAYS = DAYS[:3]
BI_ROLE = "kinerja_bi_reader"


def _land_and_audit(conn, accounts, days):
    for day in days:
        batch = landing.land_batch(conn, "simulator", day, simulator.simulate_day(accounts, day))
        quality.audit_batch(conn, batch.batch_id)


def _build(warehouse, *extra):
    return dbt_build(warehouse, *extra, check=False)


@dataclass(frozen=True)
class Built:
    """A test's own copy of a warehouse where BUILT_DAYS were landed, audited and fully built,
    not yet published."""

    warehouse: PgParams
    conn: psycopg.Connection
    run_results: Path  # the folder of its build's run_results.json, which the publish gate reads


@pytest.fixture(scope="module")
def built_template(server, tmp_path_factory):
    """The build of BUILT_DAYS, once per module: the tests that start from it change their copy of it."""
    params = create_database(server, "kinerja_publish_built")
    with connect(params, autocommit=True) as conn:
        load_registry(conn, SMALL_REGISTRY)
        _land_and_audit(conn, read_accounts(SMALL_REGISTRY), BUILT_DAYS)
    result = _build(params)
    assert result.returncode == 0, result.stdout[-3000:]
    # the worker's target folder gets the run results of later builds (of other databases)
    run_results = tmp_path_factory.mktemp("built_run_results")
    shutil.copy(config.dbt_target_dir() / "run_results.json", run_results)
    yield params, run_results
    drop_database(server, params)


@pytest.fixture
def built(server, built_template):
    """This test's own copy of the warehouse of `built_template`, and a connection to it."""
    template, run_results = built_template
    params = copy_database(server, template, "kinerja_publish")
    with connect(params, autocommit=True) as conn:
        yield Built(params, conn, run_results)
    drop_database(server, params)


@pytest.fixture
def bi_role(conn, monkeypatch):
    conn.execute(f"do $$ begin create role {BI_ROLE}; exception when duplicate_object then null; end $$")
    monkeypatch.setenv(config.BI_ROLE_ENV, BI_ROLE)
    return BI_ROLE


def test_nothing_is_visible_to_users_before_publish(built, small_accounts):
    conn = built.conn
    assert conn.execute("select to_regclass('marts.fct_account_daily')").fetchone() == (None,)
    published = {p.table: p for p in publish.publish(conn)}
    assert published["marts.fct_account_daily"].rows == len(small_accounts) * len(BUILT_DAYS)
    for table in ("fct_account_daily", "dim_accounts", "dim_institutions", "dim_regions"):
        assert table_fingerprint(conn, f"marts.{table}") == table_fingerprint(conn, f"build_marts.{table}")
    assert table_fingerprint(conn, "reports.rpt_institution_scores_monthly") == table_fingerprint(
        conn, "build_reports.rpt_institution_scores_monthly"
    )


# What Metabase relies on in pg_catalog: the contracts' keys on the published tables
PRIMARY_KEYS = {
    "marts.fct_account_daily": ("account_id", "metric_date"),
    "marts.dim_institutions": ("institution_version_key",),
    "marts.dim_accounts": ("account_version_key",),
    "marts.dim_regions": ("region_code",),
    "marts.dim_dates": ("date_day",),
    "marts.dim_platforms": ("platform",),
    "marts.dim_metric_definition_changes": ("change_date", "platform", "metric"),
    "reports.rpt_data_quality_daily": ("data_day", "source", "suite", "expectation", "column_name"),
    "marts.fct_posts": ("account_id", "post_id"),
    "marts.fct_institution_monthly": ("month", "institution_id"),
    "reports.rpt_institution_scores_monthly": ("month", "institution_id"),
    "reports.rpt_crisis_signals_daily": ("account_id", "metric_date"),
    "reports.rpt_region_scorecard_monthly": ("month", "province_code"),
    "reports.rpt_institution_platforms_monthly": ("month", "institution_id", "platform"),
    "reports.rpt_institution_scores_by_period": ("methodology_version", "period_start", "institution_id"),
    "reports.rpt_top_posts_monthly": ("month", "account_id", "post_id"),
}
FOREIGN_KEYS = {
    ("marts.fct_account_daily", ("metric_date",), "marts.dim_dates"),
    ("marts.fct_account_daily", ("platform",), "marts.dim_platforms"),
    ("marts.dim_accounts", ("platform",), "marts.dim_platforms"),
    ("marts.dim_institutions", ("region_code",), "marts.dim_regions"),
    ("marts.dim_institutions", ("province_code",), "marts.dim_regions"),
    ("marts.dim_metric_definition_changes", ("platform",), "marts.dim_platforms"),
    ("reports.rpt_data_quality_daily", ("data_day",), "marts.dim_dates"),
    ("marts.fct_posts", ("platform",), "marts.dim_platforms"),
    ("marts.fct_institution_monthly", ("month",), "marts.dim_dates"),
    ("marts.fct_institution_monthly", ("institution_version_key",), "marts.dim_institutions"),
    ("marts.fct_institution_monthly", ("province_code",), "marts.dim_regions"),
    ("reports.rpt_institution_scores_monthly", ("month",), "marts.dim_dates"),
    ("reports.rpt_institution_scores_monthly", ("province_code",), "marts.dim_regions"),
    ("reports.rpt_crisis_signals_daily", ("metric_date",), "marts.dim_dates"),
    ("reports.rpt_crisis_signals_daily", ("platform",), "marts.dim_platforms"),
    ("reports.rpt_region_scorecard_monthly", ("month",), "marts.dim_dates"),
    ("reports.rpt_region_scorecard_monthly", ("province_code",), "marts.dim_regions"),
    ("reports.rpt_institution_platforms_monthly", ("month",), "marts.dim_dates"),
    ("reports.rpt_institution_platforms_monthly", ("platform",), "marts.dim_platforms"),
    ("reports.rpt_institution_scores_by_period", ("period_start",), "marts.dim_dates"),
    ("reports.rpt_top_posts_monthly", ("province_code",), "marts.dim_regions"),
    ("reports.rpt_top_posts_monthly", ("account_id",), "marts.dim_official_accounts"),
}
INDEXED = {  # the common filters: month, peer group, region/province, institution
    "marts.fct_account_daily": {"metric_date"},
    "marts.dim_dates": {"month"},
    "marts.dim_institutions": {"peer_group", "province_code", "region_code", "institution_id, valid_from"},
    "marts.dim_accounts": {"institution_id"},
    "marts.dim_regions": {"province_code"},
    "reports.rpt_institution_scores_monthly": {"month, peer_group", "month, province_code", "institution_id"},
    "marts.fct_posts": {"metric_date", "interactions DESC, account_id, post_id, metric_date"},
    "marts.fct_institution_monthly": {"month, peer_group", "month, province_code", "institution_id"},
    "reports.rpt_crisis_signals_daily": {"metric_date, severity"},
    "reports.rpt_region_scorecard_monthly": {"province_code"},
    "reports.rpt_institution_platforms_monthly": {"institution_id"},
    "reports.rpt_institution_scores_by_period": {
        "methodology_version, period_start, comparison_group",
        "institution_id",
    },
    "reports.rpt_top_posts_monthly": {
        "month, interactions DESC, account_id, post_id",
        "province_code, month, interactions DESC, account_id, post_id",
    },
}


def _catalog_keys(conn, kind):
    rows = conn.execute(
        """
        select c.conrelid::regclass::text, array_agg(a.attname order by k.n), c.confrelid::regclass::text
        from pg_constraint c
        cross join lateral unnest(c.conkey) with ordinality as k (attnum, n)
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
        where c.contype = %s and c.connamespace::regnamespace::text in ('marts', 'reports')
        group by c.oid
        """,
        [kind],
    )
    return {(table, tuple(columns), target) for table, columns, target in rows}


def _indexed_columns(conn, table):
    rows = conn.execute(
        "select pg_get_indexdef(indexrelid) from pg_index where indrelid = %s::regclass", [table]
    )
    return {definition.split(" USING btree (", 1)[1].rstrip(")") for (definition,) in rows}


def test_what_points_at_published_tables_survives_two_builds(conn, warehouse, small_accounts, bi_role):
    # the first daily run of a new warehouse, before any monthly run built the calendar
    _land_and_audit(conn, small_accounts, DAYS[:2])
    assert _build(warehouse, *DAILY_SELECTION).returncode == 0
    daily = {
        "marts.fct_account_daily",
        "marts.dim_accounts",
        "marts.dim_institutions",
        "marts.dim_regions",
        "reports.rpt_data_quality_daily",
    }
    publish.publish(conn, days=(DAYS[0], DAYS[1]), only=daily)
    assert conn.execute("select to_regclass('marts.dim_dates')").fetchone() == (None,)
    assert ("marts.dim_institutions", ("region_code",), "marts.dim_regions") in _catalog_keys(conn, "f")
    # then the monthly run: the reference dimensions, and the keys that waited for them
    assert _build(warehouse).returncode == 0
    publish.publish(conn)
    # what an analyst and the ministry's BI setup add to the published tables
    conn.execute(
        "create view public.daily_followers as select account_id, followers from marts.fct_account_daily"
    )
    conn.execute("alter table marts.dim_institutions enable row level security")
    conn.execute("create policy regional_only on marts.dim_institutions using (province_code is not null)")
    conn.execute(
        "create table public.platform_targets (platform text references marts.dim_platforms, target int)"
    )
    conn.execute("insert into public.platform_targets values ('instagram', 1000)")
    # two more days: a daily build, then a full build that replaces every build table
    _land_and_audit(conn, small_accounts, [DAYS[2]])
    assert _build(warehouse, *DAILY_SELECTION, "--vars", daily_vars(DAYS[2])).returncode == 0
    windowed = {p.table: p.how for p in publish.publish(conn, days=window(DAYS[2], 3), only=daily)}
    assert windowed["marts.fct_account_daily"] == "window"
    _land_and_audit(conn, small_accounts, [DAYS[3]])
    assert _build(warehouse, "--vars", daily_vars(DAYS[3])).returncode == 0
    publish.publish(conn, days=window(DAYS[3], 3))

    assert (
        conn.execute("select count(*) from public.daily_followers").fetchone()[0] == len(small_accounts) * 4
    )
    assert conn.execute(
        "select count(*) from pg_policies where schemaname = 'marts' and tablename = 'dim_institutions'"
    ).fetchone() == (1,)
    assert conn.execute(
        "select count(*) from pg_constraint where conrelid = 'public.platform_targets'::regclass"
        " and confrelid = 'marts.dim_platforms'::regclass"
    ).fetchone() == (1,)
    published = [
        f"{schema}.{name}"
        for schema, name in conn.execute(
            "select schemaname, tablename from pg_tables where schemaname in ('marts', 'reports')"
        )
    ]
    assert set(PRIMARY_KEYS) <= set(published)
    for table in published:
        assert conn.execute("select has_table_privilege(%s, %s, 'select')", [bi_role, table]).fetchone() == (
            True,
        )
    assert {(table, columns) for table, columns, _ in _catalog_keys(conn, "p")} >= set(PRIMARY_KEYS.items())
    assert _catalog_keys(conn, "f") >= FOREIGN_KEYS
    for table, columns in INDEXED.items():
        assert columns <= _indexed_columns(conn, table), table
    # every column of a contracted table carries its description, as Metabase shows it
    for table in PRIMARY_KEYS:
        assert conn.execute("select obj_description(%s::regclass, 'pg_class')", [table]).fetchone()[0]
        undescribed = conn.execute(
            "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 and not attisdropped"
            " and col_description(attrelid, attnum) is null",
            [table],
        ).fetchall()
        assert undescribed == [], (table, undescribed)
    comment = conn.execute(
        "select col_description('marts.fct_account_daily'::regclass, attnum) from pg_attribute"
        " where attrelid = 'marts.fct_account_daily'::regclass and attname = 'followers'"
    ).fetchone()[0]
    assert comment.startswith("Followers (subscribers) at the end of the day")
    assert table_fingerprint(conn, "marts.fct_account_daily") == table_fingerprint(
        conn, "build_marts.fct_account_daily"
    )


def test_a_table_published_before_its_contract_gets_its_keys_and_a_bad_row_is_refused(built):
    conn = built.conn
    publish.publish(conn)
    # as a warehouse published before the contracts: no key, no index, no not-null on the calendar
    conn.execute("alter table marts.dim_dates drop constraint dim_dates_pkey cascade")
    conn.execute("alter table marts.dim_dates alter column year drop not null")
    for (index,) in conn.execute(
        "select indexrelid::regclass::text from pg_index where indrelid = 'marts.dim_dates'::regclass"
    ).fetchall():
        conn.execute(f"drop index {index}")
    assert ("marts.fct_account_daily", ("metric_date",), "marts.dim_dates") not in _catalog_keys(conn, "f")
    publish.publish(conn)
    assert ("marts.dim_dates", ("date_day",), "-") in _catalog_keys(conn, "p")
    assert ("marts.fct_account_daily", ("metric_date",), "marts.dim_dates") in _catalog_keys(conn, "f")
    assert ("reports.rpt_data_quality_daily", ("data_day",), "marts.dim_dates") in _catalog_keys(conn, "f")
    assert "month" in _indexed_columns(conn, "marts.dim_dates")
    assert conn.execute(
        "select attnotnull from pg_attribute where attrelid = 'marts.dim_dates'::regclass and attname = 'year'"
    ).fetchone() == (True,)
    before = table_fingerprint(conn, "marts.fct_account_daily")
    # the build schema has no foreign keys (they live on the published tables): this insert succeeds
    # (a registry account: its key to dim_official_accounts holds, the platform's does not)
    conn.execute(
        "insert into build_marts.fct_account_daily (account_id, metric_date, platform, source, batch_id)"
        " select min(account_id), date '2026-10-20', 'myspace', 'simulator', 'b' from build_marts.dim_official_accounts"
    )
    with pytest.raises(
        publish.PublishError, match=r"fct_account_daily.*\(platform\)=\(myspace\).*Nothing was published"
    ):
        publish.publish(conn)
    assert table_fingerprint(conn, "marts.fct_account_daily") == before


def _audit_then_publish(conn, data_day, month):
    """What the DAGs do after dbt: the GX audit of the build schemas, then publish only if it passed."""
    build.audit_fact_days(conn, data_day, window(data_day, 3))
    build.audit_scores(conn, month)
    return publish.publish(conn)


def _build_results(conn, audit_id):
    return {
        (expectation, column): (success, unexpected)
        for expectation, column, success, unexpected in conn.execute(
            "select expectation, column_name, success, unexpected from audit.validation_results"
            " where batch_id = %s and level = 'build'",
            [audit_id],
        )
    }


def test_a_failed_audit_leaves_what_users_see_unchanged(built, small_accounts):
    warehouse, conn = built.warehouse, built.conn
    # a good build passes the GX audit of the build schemas and the gate, and is published
    _audit_then_publish(conn, BUILT_DAYS[-1], BUILT_DAYS[-1].replace(day=1))
    assert gate.check_before_publish(conn, target_dir=built.run_results) == []
    scores_audit = f"{build.SCORES_TABLE}:2026-10"
    passed = _build_results(conn, scores_audit)
    assert passed and all(success for success, _ in passed.values())
    assert len(passed) == len(engine.expectation_entries(engine.load_suite_spec(build.SCORES_SUITE)))
    before = {
        t: table_fingerprint(conn, t)
        for t in ("marts.fct_account_daily", "reports.rpt_institution_scores_monthly")
    }
    # a negative count that went around the raw audit (an accepted batch with a bad row)
    records = list(simulator.simulate_day(small_accounts, DAYS[3]))
    records[0]["comments"] = -40
    batch = landing.land_batch(conn, "simulator", DAYS[3], iter(records))
    conn.execute(
        "update raw.batch_ledger set status = 'accepted', rows_accepted = rows_in where batch_id = %s",
        [batch.batch_id],
    )
    result = _build(warehouse, "--vars", daily_vars(DAYS[3]))
    assert result.returncode != 0 and "non_negative_fct_account_daily" in result.stdout
    # the pipeline publishes only after a passing build: users still see the audited content
    assert {t: table_fingerprint(conn, t) for t in before} == before
    bad = "select count(*) from {} where comments < 0"
    assert conn.execute(bad.format("build_marts.fct_account_daily")).fetchone() == (1,)
    assert conn.execute(bad.format("marts.fct_account_daily")).fetchone() == (0,)

    # the GX audit of the build catches it too, and names the row
    with pytest.raises(build.BuildAuditFailed, match=r"comments: 1 row\(s\) \(e\.g\. account_id=") as failed:
        build.audit_fact_days(conn, DAYS[3], window(DAYS[3], 3))
    assert "nothing was published" in str(failed.value)
    # the failure's alert names the row's institution (from the registry) and day
    bad_institution = conn.execute(
        "select i.name || ' (' || i.institution_id || ')' from registry.accounts a"
        " join registry.institutions i using (institution_id) where a.account_id = %s and i.valid_to is null",
        [records[0]["account_id"]],
    ).fetchone()[0]
    assert alerts.audit_scope(failed.value.outcome.failures, conn) == [(bad_institution, str(DAYS[3]))]
    assert _build_results(conn, f"{build.FACT_TABLE}:{DAYS[3]}")[
        ("expect_column_values_to_be_between", "comments")
    ] == (False, 1)

    # `kinerja publish` by hand refuses this build, naming the failed dbt test and the audit;
    # forced with a reason, it publishes and the override is recorded
    _publish_by_hand_is_gated(conn, warehouse, before)
    before = {t: table_fingerprint(conn, t) for t in before}

    # a score out of range in the build schema: the audit fails before publish, users keep the old scores
    institution = conn.execute(
        f"select institution_id from {build.SCORES_TABLE} order by institution_id limit 1"
    ).fetchone()[0]
    conn.execute(
        f"update {build.SCORES_TABLE} set ikms = 140 where institution_id = %s and month = '2026-10-01'",
        [institution],
    )
    with pytest.raises(build.BuildAuditFailed) as failed:
        build.audit_scores(conn, date(2026, 10, 1))
    message = str(failed.value)
    assert (
        f"expect_column_values_to_be_between on ikms: 1 row(s) (e.g. month=2026-10-01, institution_id={institution}, ikms=140"
        in message
    )
    assert "ikms is outside 0..100" in message and "Data Docs: file://" in message
    results = _build_results(conn, scores_audit)
    assert results[("expect_column_values_to_be_between", "ikms")] == (False, 1)
    assert [k for k, (success, _) in results.items() if not success] == [
        ("expect_column_values_to_be_between", "ikms")
    ]
    assert {t: table_fingerprint(conn, t) for t in before} == before
    over = "select count(*) from {} where ikms > 100"
    assert conn.execute(over.format(build.SCORES_TABLE)).fetchone() == (1,)
    assert conn.execute(over.format("reports.rpt_institution_scores_monthly")).fetchone() == (0,)

    # each of the scores' rules catches its own kind of bad row
    others = [
        i
        for (i,) in conn.execute(
            f"select institution_id from {build.SCORES_TABLE} where month = '2026-10-01' and institution_id <> %s"
            " order by institution_id limit 6",
            [institution],
        )
    ]
    table = build.SCORES_TABLE
    conn.execute(
        f"update {table} set rank_in_peer_group = peer_group_size + 5, is_eligible = false"
        " where institution_id = %s",
        [others[0]],
    )
    conn.execute(f"update {table} set coverage = 1.5 where institution_id = %s", [others[1]])
    # the contract's not null and primary key would refuse a missing method and a duplicate:
    # without them (a model changed), the suite still catches both
    primary_key = conn.execute(
        "select conname from pg_constraint where conrelid = %s::regclass and contype = 'p'", [table]
    ).fetchone()[0]
    conn.execute(f'alter table {table} drop constraint "{primary_key}"')
    conn.execute(f"alter table {table} alter column methodology_version drop not null")
    conn.execute(f"update {table} set methodology_version = null where institution_id = %s", [others[2]])
    conn.execute(f"insert into {table} select * from {table} where institution_id = %s", [others[3]])
    # an institution without data has no coverage (null, never 0): that is right; a coverage
    # missing for an institution with data is not
    conn.execute(
        f"update {table} set coverage = null, ikms = null, is_eligible = false, rank_in_peer_group = null,"
        " not_ranked_reason = 'no_data' where institution_id = %s",
        [others[4]],
    )
    conn.execute(f"update {table} set coverage = null where institution_id = %s", [others[5]])
    with pytest.raises(build.BuildAuditFailed):
        build.audit_scores(conn, date(2026, 12, 1))  # a month the build did not score
    failed = {k for k, (success, _) in _build_results(conn, f"{table}:2026-12").items() if not success}
    assert failed == {
        ("expect_column_values_to_be_between", "ikms"),
        ("expect_column_values_to_be_in_set", "rank_null_exactly_when_not_eligible"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "peer_group_size,rank_in_peer_group"),
        ("expect_column_values_to_be_between", "coverage"),
        ("expect_column_values_to_be_in_set", "coverage_null_exactly_when_no_data"),
        ("expect_column_values_to_not_be_null", "methodology_version"),
        ("expect_compound_columns_to_be_unique", "month,institution_id"),
        ("expect_column_distinct_values_to_contain_set", "month"),
    }


def _publish_by_hand_is_gated(conn, warehouse, before):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli.console, "width", 250)
        patch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
        refused = CliRunner().invoke(cli.app, ["publish"])
        assert refused.exit_code == 1, refused.output
        assert "dbt test non_negative_fct_account_daily" in refused.output
        assert (
            f"build audit build_marts.fct_account_daily:{DAYS[3]}: expect_column_values_to_be_between on comments, 1 row(s)"
            in refused.output
        )
        assert "nothing was published" in refused.output
        assert {t: table_fingerprint(conn, t) for t in before} == before
        no_reason = CliRunner().invoke(cli.app, ["publish", "--force"])
        assert no_reason.exit_code == 1 and "--force needs --reason" in no_reason.output
        assert conn.execute("select count(*) from ops.publish_overrides").fetchone() == (0,)
        forced = CliRunner().invoke(cli.app, ["publish", "--force", "--reason", "ticket 42: known bad row"])
        assert forced.exit_code == 0, forced.output
    reason, overridden = conn.execute("select reason, overridden from ops.publish_overrides").fetchone()
    assert reason == "ticket 42: known bad row"
    assert any("non_negative_fct_account_daily" in failure for failure in overridden)
    assert conn.execute("select count(*) from marts.fct_account_daily where comments < 0").fetchone() == (1,)


def test_a_model_that_changed_shape_is_refused_with_what_to_do(built):
    conn = built.conn
    publish.publish(conn)
    before = table_fingerprint(conn, "marts.fct_account_daily")
    conn.execute("alter table build_marts.dim_regions drop column population_per_km2")
    with pytest.raises(publish.PublishError, match=r"kinerja publish --recreate marts.dim_regions"):
        publish.publish(conn)
    assert table_fingerprint(conn, "marts.fct_account_daily") == before  # nothing was published
    publish.publish(conn, recreate={"marts.dim_regions"})
    assert "population_per_km2" not in {
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = 'dim_regions'"
        )
    }
