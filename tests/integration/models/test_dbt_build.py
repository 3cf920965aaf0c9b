"""dbt build on landed, audited data: the models build, their tests pass, bad rows stay out."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from kinerja import dbt_commands as dbt
from kinerja import landing, publish
from kinerja.quality import account_days as quality
from kinerja.sources import simulator
from kinerja.warehouse import connect
from support import daily_vars, dbt_build

pytestmark = [pytest.mark.integration, pytest.mark.long]

DAYS = [date(2026, 10, 1) + timedelta(days=i) for i in range(3)]


def _land_and_audit(conn, accounts, broken_row: int | None = None):
    for day in DAYS:
        records = list(simulator.simulate_day(accounts, day))
        if broken_row is not None and day == DAYS[-1]:
            records[broken_row]["comments"] = -3
        quality.audit_batch(conn, landing.land_batch(conn, "simulator", day, iter(records)).batch_id)


def _build(warehouse, *extra, unit_tests: bool = False):
    """Build, then publish what passed (write-audit-publish), as the DAGs do; dbt's unit tests
    only when asked (the DAGs leave them out)."""
    if unit_tests:
        result = dbt.run_dbt(warehouse, "build", *extra, check=False)
    else:
        result = dbt_build(warehouse, *extra, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    with connect(warehouse, autocommit=True) as conn:
        publish.publish(conn)
    return result


def test_dbt_build_passes_and_keeps_quarantined_rows_out(conn, warehouse, small_accounts):
    from kinerja import config

    _land_and_audit(conn, small_accounts, broken_row=7)
    _build(warehouse, unit_tests=True)
    # the DAGs leave dbt's unit tests out (orchestration/dbt_build.py): this build runs every one
    results = json.loads((config.dbt_target_dir() / "run_results.json").read_text())["results"]
    unit_tests = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    manifest = json.loads((config.dbt_target_dir() / "manifest.json").read_text())
    assert set(unit_tests) == set(manifest["unit_tests"]) and len(unit_tests) >= 10
    assert set(unit_tests.values()) == {"pass"}
    fact_rows = conn.execute("select count(*) from marts.fct_account_daily").fetchone()[0]
    assert fact_rows == len(small_accounts) * len(DAYS) - 1
    negative = conn.execute("select count(*) from marts.fct_account_daily where comments < 0").fetchone()[0]
    assert negative == 0
    # three days of a 31-day month is too little data: nobody is ranked, nobody is last
    scores = conn.execute(
        "select count(*), count(*) filter (where is_eligible), count(rank_in_peer_group)"
        " from reports.rpt_institution_scores_monthly"
    ).fetchone()
    assert scores == (13, 0, 0)


def test_scores_rank_within_each_peer_group(conn, warehouse, small_accounts):
    _land_and_audit(conn, small_accounts)
    _build(warehouse, "--vars", json.dumps({"min_coverage": 0.05}))
    rows = conn.execute(
        "select peer_group, rank_in_peer_group, peer_group_size, ikms from reports.rpt_institution_scores_monthly"
        " order by peer_group, rank_in_peer_group"
    ).fetchall()
    by_group: dict[str, list] = {}
    for peer_group, rank, size, ikms in rows:
        by_group.setdefault(peer_group, []).append((rank, size, ikms))
    assert {g: len(v) for g, v in by_group.items()} == {
        "kabupaten": 8,
        "kota": 1,
        "provinsi": 1,
        "kementerian": 2,
        "lembaga": 1,
    }
    for ranked in by_group.values():
        ikms = [i for _, _, i in ranked]
        assert ikms == sorted(ikms, reverse=True)
        assert ranked[0][0] == 1 and all(size == len(ranked) for _, size, _ in ranked)
        assert all(0 < i <= 100 for i in ikms)


def test_a_daily_rerun_changes_nothing_and_tests_only_the_days_it_rebuilt(conn, warehouse, small_accounts):
    """A daily build's data tests read the rebuilt window only (macros/get_where_subquery.sql)."""
    from kinerja.warehouse.fingerprint import table_fingerprint

    _land_and_audit(conn, small_accounts)
    _build(warehouse)
    before = table_fingerprint(conn, "marts.fct_account_daily")
    _build(warehouse, "--select", "tag:daily", "--vars", daily_vars(DAYS[-1]))
    assert table_fingerprint(conn, "marts.fct_account_daily") == before

    last_day_only = daily_vars(DAYS[-1], trailing_days=0)
    # a bad value on the first day, which the daily build of the last day does not rebuild
    conn.execute(
        "update build_marts.fct_account_daily set comments = -1"
        " where (account_id, metric_date) = (select account_id, %s from build_marts.fct_account_daily limit 1)",
        [DAYS[0]],
    )
    daily = dbt_build(warehouse, "--select", "fct_account_daily", "--vars", last_day_only, check=False)
    assert daily.returncode == 0, daily.stdout[-3000:]
    full = dbt.run_dbt(warehouse, "test", "--select", "fct_account_daily", check=False)
    assert full.returncode != 0 and "non_negative_fct_account_daily" in full.stdout
    # a bad value that reaches the rebuilt day (restated raw, past its audit) fails the daily build
    conn.execute(
        "update raw.account_daily set comments = -2"
        " where (account_id, metric_date) = (select account_id, %s from raw.account_daily limit 1)",
        [DAYS[-1]],
    )
    daily = dbt_build(warehouse, "--select", "fct_account_daily", "--vars", last_day_only, check=False)
    assert daily.returncode != 0 and "non_negative_fct_account_daily" in daily.stdout


def test_the_metric_day_of_a_timestamp_is_the_seeds_in_sql_and_python(warehouse):
    """dbt's macro metric_day_of reads the platforms seed, as kinerja.platforms reads its file."""
    from datetime import UTC, datetime

    from kinerja import platforms

    # 20:30 UTC: the 5th in US Pacific, already the 6th in WIB
    moment = datetime(2026, 10, 5, 20, 30, tzinfo=UTC)
    seeded = dbt.run_dbt(warehouse, "seed", "--select", "platforms", check=False)
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    query = (
        "select platform, {{ metric_day_of('platform', \"timestamptz '"
        + moment.isoformat()
        + "'\") }} as metric_day"
        " from {{ ref('platforms') }}"
    )
    shown = dbt.run_dbt(
        warehouse, "show", "--inline", query, "--output", "json", "--log-format", "json", check=False
    )
    assert shown.returncode == 0, shown.stdout[-3000:]
    preview = next(
        json.loads(event["data"]["preview"])
        for event in map(json.loads, filter(lambda line: line.startswith("{"), shown.stdout.splitlines()))
        if event.get("info", {}).get("name") == "ShowNode"
    )
    in_sql = {row["platform"]: row["metric_day"] for row in preview}
    in_python = {
        name: moment.astimezone(zone).date().isoformat() for name, zone in platforms.day_zones().items()
    }
    assert in_sql == in_python
    assert set(in_python.values()) == {"2026-10-05", "2026-10-06"}
