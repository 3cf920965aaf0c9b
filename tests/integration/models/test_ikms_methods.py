"""The IKMS method is configuration: a different published method is reproduced by seeds alone.

The example (seed rows `contoh-1231`): followers, posts per day, engagement per post and
response rate, weighted 1/2/3/1, each as a share of the peer group's maximum on the same
platform, per day, accounts of an institution weighted equally. The test computes that
method here, independently, in pandas from the published fact and dimensions, and compares
it value for value with what dbt computed from the configuration.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest

from kinerja import landing
from kinerja.quality import account_days as quality
from kinerja.sources import simulator
from support import dbt_build

pytestmark = pytest.mark.integration

DAYS = [date(2026, 10, 1) + timedelta(days=i) for i in range(3)]
WEIGHTS = {"followers": 1, "activity": 2, "engagement": 3, "responsiveness": 1}


def _frame(conn, query: str) -> pd.DataFrame:
    cursor = conn.execute(query)
    return pd.DataFrame(cursor.fetchall(), columns=[column.name for column in cursor.description])


def _published_method(conn) -> pd.Series:
    """The example method, written out by hand from its description."""
    days = _frame(
        conn,
        "select f.metric_date, f.account_id, f.platform, f.followers::float8, f.posts::float8,"
        " f.interactions::float8, f.replies::float8, f.comments::float8,"
        " a.institution_id, i.peer_group"
        " from build_marts.fct_account_daily f"
        " join build_marts.dim_accounts a on a.account_id = f.account_id"
        "  and f.metric_date between a.valid_from and coalesce(a.valid_to, 'infinity')"
        " join build_marts.dim_institutions i on i.institution_id = a.institution_id"
        "  and f.metric_date between i.valid_from and coalesce(i.valid_to, 'infinity')",
    )
    with_posts = days["posts"] > 0
    with_comments = days["comments"] > 0
    features = {
        "followers": days["followers"],
        "activity": days["posts"],
        "engagement": (days["interactions"] / days["posts"]).where(with_posts),
        "responsiveness": (days["replies"] / days["comments"]).where(with_comments),
    }
    group = [days["metric_date"], days["platform"], days["peer_group"]]
    scored = days[["metric_date", "institution_id"]].copy()
    for component, value in features.items():
        best = value.groupby(group).transform("max")
        scored[component] = (100 * value.clip(lower=0) / best).where(best > 0, 0).where(value.notna())
    # accounts count equally; a component nobody could be scored on is left out with its weight
    components = scored.groupby(["metric_date", "institution_id"]).mean()
    weights = pd.Series(WEIGHTS)
    weighted = components.mul(weights).sum(axis=1, min_count=1)
    available = components.notna().mul(weights).sum(axis=1)
    return (weighted / available).rename("ikms").dropna()


def test_a_published_method_is_reproduced_by_configuration_alone(conn, warehouse, small_accounts):
    for day in DAYS:
        records = simulator.simulate_day(small_accounts, day)
        quality.audit_batch(conn, landing.land_batch(conn, "simulator", day, records).batch_id)
    result = dbt_build(
        warehouse,
        "--select",
        "+int_ikms__institution_scores",
        "--vars",
        json.dumps({"ikms_methods": ["contoh-1231"]}),
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]

    expected = _published_method(conn)
    computed = _frame(
        conn,
        "select period_start as metric_date, institution_id, ikms from intermediate.int_ikms__institution_scores"
        " where methodology_version = 'contoh-1231'",
    ).set_index(["metric_date", "institution_id"])["ikms"]

    assert len(expected) == 13 * len(DAYS)
    assert sorted(computed.index) == sorted(expected.index)
    difference = (computed - expected.reindex(computed.index)).abs()
    assert difference.max() < 1e-9, difference.sort_values().tail()
    # the monthly method was computed alongside: three days of October do not cover the month
    not_covered, account_months = conn.execute(
        "select count(*) filter (where not is_covered), count(*) from intermediate.int_ikms__account_periods"
        " where methodology_version = 'ikms-1.0'"
    ).fetchone()
    assert not_covered == account_months == len(small_accounts)
