"""Write-audit-publish: users see a build only after it passed, and what points at their tables survives."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from kinerja import dbt, landing, publish, quality
from kinerja.quality import build
from kinerja.sources import simulator
from kinerja.warehouse.fingerprint import table_fingerprint

pytestmark = pytest.mark.integration

DAYS = [date(2026, 10, 1) + timedelta(days=i) for i in range(4)]
BI_ROLE = "kinerja_bi_reader"


def _land_and_audit(conn, accounts, days):
    for day in days:
        batch = landing.land_batch(conn, "simulator", day, simulator.simulate_day(accounts, day))
        quality.audit_batch(conn, batch.batch_id)


def _build(warehouse, *extra):
    return dbt.run_dbt(warehouse, "build", *extra, check=False)


@pytest.fixture
def bi_role(conn, monkeypatch):
    conn.execute(f"do $$ begin create role {BI_ROLE}; exception when duplicate_object then null; end $$")
    monkeypatch.setenv(publish.BI_ROLE_ENV, BI_ROLE)
    return BI_ROLE


def test_nothing_is_visible_to_users_before_publish(conn, warehouse, small_accounts):
    _land_and_audit(conn, small_accounts, DAYS)
    assert _build(warehouse).returncode == 0
    assert conn.execute("select to_regclass('marts.fct_account_daily')").fetchone() == (None,)
    published = {p.table: p for p in publish.publish(conn)}
    assert published["marts.fct_account_daily"].rows == len(small_accounts) * len(DAYS)
    for table in ("fct_account_daily", "dim_accounts", "dim_institutions", "dim_regions"):
        assert table_fingerprint(conn, f"marts.{table}") == table_fingerprint(conn, f"build_marts.{table}")
    assert table_fingerprint(conn, "reports.rpt_institution_scores_monthly") == table_fingerprint(
        conn, "build_reports.rpt_institution_scores_monthly"
    )


def test_what_points_at_published_tables_survives_two_builds(conn, warehouse, small_accounts, bi_role):
    _land_and_audit(conn, small_accounts, DAYS[:2])
    assert _build(warehouse).returncode == 0
    publish.publish(conn)
    # what an analyst and the ministry's BI setup add to the published tables
    conn.execute(
        "create view public.daily_followers as select account_id, followers from marts.fct_account_daily"
    )
    conn.execute("alter table marts.dim_institutions enable row level security")
    conn.execute("create policy regional_only on marts.dim_institutions using (province_code is not null)")
    for day in DAYS[2:]:
        _land_and_audit(conn, small_accounts, [day])
        assert _build(warehouse, "--vars", f'{{"data_day": "{day}"}}').returncode == 0
        windowed = {p.table: p.how for p in publish.publish(conn, days=(day - timedelta(days=3), day))}
        assert windowed["marts.fct_account_daily"] == "window"
    assert (
        conn.execute("select count(*) from public.daily_followers").fetchone()[0] == len(small_accounts) * 4
    )
    assert conn.execute(
        "select count(*) from pg_policies where schemaname = 'marts' and tablename = 'dim_institutions'"
    ).fetchone() == (1,)
    assert conn.execute(
        "select has_table_privilege(%s, 'marts.fct_account_daily', 'select'),"
        " has_table_privilege(%s, 'reports.rpt_institution_scores_monthly', 'select')",
        [bi_role, bi_role],
    ).fetchone() == (True, True)
    comment = conn.execute(
        "select col_description('marts.fct_account_daily'::regclass, attnum) from pg_attribute"
        " where attrelid = 'marts.fct_account_daily'::regclass and attname = 'followers'"
    ).fetchone()[0]
    assert comment.startswith("Followers (subscribers) at the end of the day")
    table_comment = conn.execute(
        "select obj_description('marts.dim_accounts'::regclass, 'pg_class')"
    ).fetchone()[0]
    assert table_comment.startswith("Type 2: one row per official account")
    assert table_fingerprint(conn, "marts.fct_account_daily") == table_fingerprint(
        conn, "build_marts.fct_account_daily"
    )


def _audit_then_publish(conn, data_day, month):
    """What the DAGs do after dbt: the GX audit of the build schemas, then publish only if it passed."""
    build.audit_fact_days(conn, data_day)
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


def test_a_failed_audit_leaves_what_users_see_unchanged(conn, warehouse, small_accounts):
    _land_and_audit(conn, small_accounts, DAYS[:3])
    assert _build(warehouse).returncode == 0
    # a good build passes the GX audit of the build schemas, and is published
    _audit_then_publish(conn, DAYS[2], DAYS[2].replace(day=1))
    scores_audit = f"{build.SCORES_TABLE}:2026-10"
    passed = _build_results(conn, scores_audit)
    assert passed and all(success for success, _ in passed.values())
    assert len(passed) == len(quality._expectation_entries(quality.load_suite_spec(build.SCORES_SUITE)))
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
    result = _build(warehouse, "--vars", f'{{"data_day": "{DAYS[3]}"}}')
    assert result.returncode != 0 and "non_negative_fct_account_daily" in result.stdout
    # the pipeline publishes only after a passing build: users still see the audited content
    assert {t: table_fingerprint(conn, t) for t in before} == before
    bad = "select count(*) from {} where comments < 0"
    assert conn.execute(bad.format("build_marts.fct_account_daily")).fetchone() == (1,)
    assert conn.execute(bad.format("marts.fct_account_daily")).fetchone() == (0,)

    # the GX audit of the build catches it too, and names the row
    with pytest.raises(build.BuildAuditFailed, match=r"comments: 1 row\(s\) \(e\.g\. account_id=") as failed:
        build.audit_fact_days(conn, DAYS[3])
    assert "nothing was published" in str(failed.value)
    assert _build_results(conn, f"{build.FACT_TABLE}:{DAYS[3]}")[
        ("expect_column_values_to_be_between", "comments")
    ] == (False, 1)

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
    assert f"expect_column_values_to_be_between on ikms: 1 row(s) (e.g. month=2026-10-01, institution_id={institution}, ikms=140" in message
    assert "ikms is outside 0..100" in message and "Data Docs: file://" in message
    results = _build_results(conn, scores_audit)
    assert results[("expect_column_values_to_be_between", "ikms")] == (False, 1)
    assert [k for k, (success, _) in results.items() if not success] == [("expect_column_values_to_be_between", "ikms")]
    assert {t: table_fingerprint(conn, t) for t in before} == before
    over = "select count(*) from {} where ikms > 100"
    assert conn.execute(over.format(build.SCORES_TABLE)).fetchone() == (1,)
    assert conn.execute(over.format("reports.rpt_institution_scores_monthly")).fetchone() == (0,)

    # each of the scores' rules catches its own kind of bad row
    others = [i for (i,) in conn.execute(
        f"select institution_id from {build.SCORES_TABLE} where month = '2026-10-01' and institution_id <> %s"
        " order by institution_id limit 4", [institution])]
    table = build.SCORES_TABLE
    conn.execute(f"update {table} set rank_in_peer_group = peer_group_size + 5, is_eligible = false"
                 " where institution_id = %s", [others[0]])
    conn.execute(f"update {table} set coverage = 1.5 where institution_id = %s", [others[1]])
    conn.execute(f"update {table} set methodology_version = null where institution_id = %s", [others[2]])
    # the build's unique index would refuse a duplicate: without it (a model changed), the suite still does
    for (index,) in conn.execute("select indexname from pg_indexes where schemaname = 'build_reports'"
                                 " and tablename = 'rpt_institution_scores_monthly'").fetchall():
        conn.execute(f'drop index build_reports."{index}"')
    conn.execute(f"insert into {table} select * from {table} where institution_id = %s", [others[3]])
    with pytest.raises(build.BuildAuditFailed):
        build.audit_scores(conn, date(2026, 12, 1))  # a month the build did not score
    failed = {k for k, (success, _) in _build_results(conn, f"{table}:2026-12").items() if not success}
    assert failed == {
        ("expect_column_values_to_be_between", "ikms"),
        ("expect_column_values_to_be_in_set", "rank_null_exactly_when_not_eligible"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "peer_group_size,rank_in_peer_group"),
        ("expect_column_values_to_be_between", "coverage"),
        ("expect_column_values_to_not_be_null", "methodology_version"),
        ("expect_compound_columns_to_be_unique", "month,institution_id"),
        ("expect_column_distinct_values_to_contain_set", "month"),
    }


def test_a_model_that_changed_shape_is_refused_with_what_to_do(conn, warehouse, small_accounts):
    _land_and_audit(conn, small_accounts, DAYS[:1])
    assert _build(warehouse).returncode == 0
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
