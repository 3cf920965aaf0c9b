"""The BI model a query builder can use: keys to one row per account, ranks and reasons, no data as null."""

from __future__ import annotations

from datetime import date

import pytest
from bi_warehouse_data import EMPTY_INSTITUTION, SHARED_ACCOUNT, SHARING_INSTITUTION

from kinerja import dbt_commands as dbt
from kinerja.quality import build
from kinerja.warehouse.fingerprint import table_fingerprint
from support import daily_vars

pytestmark = [pytest.mark.integration, pytest.mark.long]

# each account-level table, with the day its rows are of
ACCOUNT_LEVEL = {
    "marts.fct_account_daily": "metric_date",
    "marts.fct_posts": "metric_date",
    "reports.rpt_crisis_signals_daily": "metric_date",
    "reports.rpt_top_posts_monthly": "post_date",
}
SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)


def test_every_account_level_table_points_at_the_one_row_per_account_dimension(bi_warehouse):
    with bi_warehouse.as_owner() as conn:
        keys = conn.execute(
            "select conrelid::regclass::text, confrelid::regclass::text from pg_constraint"
            " where contype = 'f' and confrelid = 'marts.dim_official_accounts'::regclass"
        ).fetchall()
    assert set(keys) == {
        (table, "marts.dim_official_accounts") for table in (*ACCOUNT_LEVEL, "marts.dim_accounts")
    }


@pytest.mark.parametrize("table", ACCOUNT_LEVEL)
def test_the_obvious_join_counts_a_shared_account_once(bi_warehouse, table):
    with bi_warehouse.as_role(bi_warehouse.bi_role) as conn:
        shared = conn.execute(
            "select institutions_now, is_shared_now from marts.dim_official_accounts where account_id = %s",
            [SHARED_ACCOUNT],
        ).fetchone()
        assert shared == (2, True)
        fact = conn.execute(
            f"select count(*), count(*) filter (where account_id = %s) from {table}", [SHARED_ACCOUNT]
        )
        joined = conn.execute(
            f"select count(*), count(*) filter (where account.account_id = %s) from {table} as fact"
            " join marts.dim_official_accounts as account on account.account_id = fact.account_id",
            [SHARED_ACCOUNT],
        )
        total, of_shared = fact.fetchone()
        assert of_shared > 0 and joined.fetchone() == (total, of_shared)
        # the bridge attributes the shared account's rows to both institutions, on purpose
        day = ACCOUNT_LEVEL[table]
        bridged = conn.execute(
            f"select count(*) from {table} as fact join marts.dim_accounts as bridge"
            f" on bridge.account_id = fact.account_id and fact.{day} between bridge.valid_from"
            f" and coalesce(bridge.valid_to, 'infinity') where fact.account_id = %s",
            [SHARED_ACCOUNT],
        ).fetchone()[0]
        assert bridged > of_shared


def _scores(conn, month):
    rows = conn.execute(
        "select institution_id, peer_group, province_code, ikms, is_eligible, rank_in_province,"
        " province_size, not_ranked_reason, coverage from reports.rpt_institution_scores_monthly"
        " where month = %s",
        [month],
    )
    names = [c.name for c in rows.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows.fetchall()}


def test_kabupaten_and_kota_are_ranked_within_their_province(bi_warehouse):
    with bi_warehouse.as_role(bi_warehouse.bi_role) as conn:
        scores = _scores(conn, SEPTEMBER)
    local = {i: r for i, r in scores.items() if r["peer_group"] in ("kabupaten", "kota") and r["is_eligible"]}
    assert len(local) == 9
    for institution, row in local.items():
        better = sum(other["ikms"] > row["ikms"] for other in local.values())
        assert (row["rank_in_province"], row["province_size"]) == (better + 1, 9), institution
    for row in scores.values():
        if row["peer_group"] not in ("kabupaten", "kota"):
            assert row["rank_in_province"] is None and row["province_size"] is None


def test_an_institution_not_ranked_says_why_and_no_data_is_null(bi_warehouse):
    with bi_warehouse.as_role(bi_warehouse.bi_role) as conn:
        september, october = _scores(conn, SEPTEMBER), _scores(conn, OCTOBER)
        monthly = conn.execute(
            "select coverage, days_reported from marts.fct_institution_monthly"
            " where institution_id = %s and month = %s",
            [EMPTY_INSTITUTION, SEPTEMBER],
        ).fetchone()
    for month in (september, october):
        for row in month.values():
            assert (row["not_ranked_reason"] is None) == row["is_eligible"]
        empty = month[EMPTY_INSTITUTION]
        assert (empty["not_ranked_reason"], empty["coverage"], empty["ikms"]) == ("no_data", None, None)
    # September's 9 days cover the month (min_coverage 0.2), October's 5 do not
    assert all(row["is_eligible"] for i, row in september.items() if i != EMPTY_INSTITUTION)
    assert {row["not_ranked_reason"] for i, row in october.items() if i != EMPTY_INSTITUTION} == {
        "coverage_below_minimum"
    }
    assert monthly is None or monthly[0] is None
    assert september[SHARING_INSTITUTION]["is_eligible"]


_TOP_POSTS = "build_reports.rpt_top_posts_monthly"


def test_the_daily_path_rebuilds_the_top_posts_of_its_months_only(bi_warehouse):
    stale = (
        f"insert into {_TOP_POSTS} (month, province_code, account_id, post_id, platform, handle, post_date,"
        " interactions, rank_in_province) select month, province_code, account_id, 'stale-post', platform,"
        f" handle, post_date, 0, 999 from {_TOP_POSTS} where month = %s limit 1"
    )
    with bi_warehouse.as_owner() as owner:
        built = table_fingerprint(owner, _TOP_POSTS)
        # October as a daily run may find it: a post that fell out of the list, one that is missing
        owner.execute(stale, [OCTOBER])
        owner.execute(
            f"delete from {_TOP_POSTS} where (month, account_id, post_id) in"
            f" (select month, account_id, post_id from {_TOP_POSTS} where month = %s and rank_in_province = 1 limit 1)",
            [OCTOBER],
        )
        owner.execute(stale, [SEPTEMBER])
        daily = dbt.run_dbt(
            bi_warehouse.params,
            "run",
            "--select",
            "rpt_top_posts_monthly",
            "--vars",
            daily_vars(date(2026, 10, 5)),
            check=False,
        )
        assert daily.returncode == 0, daily.stdout[-3000:]
        # October is the daily run's month: rebuilt whole; September is not touched
        assert owner.execute(f"select month from {_TOP_POSTS} where post_id = 'stale-post'").fetchall() == [
            (SEPTEMBER,)
        ]
        owner.execute(f"delete from {_TOP_POSTS} where post_id = 'stale-post'")
        assert table_fingerprint(owner, _TOP_POSTS) == built


def test_the_scores_of_a_month_with_an_institution_without_data_pass_the_build_audit(bi_warehouse):
    """The monthly run audits the scores before publishing: no data (a null coverage) is no failure."""
    with bi_warehouse.as_owner() as owner:
        empty = owner.execute(
            f"select coverage, not_ranked_reason from {build.SCORES_TABLE} where institution_id = %s and month = %s",
            [EMPTY_INSTITUTION, SEPTEMBER],
        ).fetchone()
        assert empty == (None, "no_data")
        outcome = build.audit_scores(owner, SEPTEMBER)
    assert outcome.usable and outcome.rows_in > 0
