"""Several sources in the marts: which source gives an account-day (seed source_precedence)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from kinerja import landing, publish
from kinerja.quality import account_days as quality
from kinerja.sources import METRIC_FIELDS, simulator
from kinerja.sources.base import NoValue, account_day_record
from support import DAILY_SELECTION, dbt_build

pytestmark = pytest.mark.integration

DAYS = [date(2026, 10, 1) + timedelta(days=i) for i in range(3)]
ACCOUNT = "demo-prov-51-youtube"
# fct_account_daily and what its tests need, seeds included (a full build costs the reports too)
FACT_AND_ITS_TESTS = ("--select", "+fct_account_daily", "+dim_accounts")


def _land_and_audit(conn, source: str, data_day: date, records: list[dict]) -> str:
    batch_id = landing.land_batch(conn, source, data_day, iter(records)).batch_id
    quality.audit_batch(conn, batch_id)
    return batch_id


def _land_posts_and_audit(conn, source: str, data_day: date, records: list[dict]) -> str:
    """Land a post batch and audit it: only accepted batches reach the marts (int_posts_accepted)."""
    from kinerja.quality import posts as post_quality

    batch_id = landing.land_posts(conn, source, data_day, records).batch_id
    assert post_quality.audit_post_batch(conn, batch_id).rows_rejected == 0
    return batch_id


def _simulated(day: date, more_views: int = 0) -> dict:
    """The simulator's values of ACCOUNT on `day`, as another source would report them (views changed)."""
    values = simulator.simulate_account_day(ACCOUNT, "youtube", day)
    values = {name: values[name] for name in METRIC_FIELDS if values[name] is not None}
    return account_day_record("youtube", ACCOUNT, day, values | {"views": values["views"] + more_views})


def test_the_first_source_by_precedence_that_reports_a_day_gives_all_its_metrics(
    conn, warehouse, small_accounts
):
    first, second, third = DAYS
    for day in DAYS:
        _land_and_audit(conn, "simulator", day, list(simulator.simulate_day(small_accounts, day)))
    # the institution's own export: every day, and one day no other source has
    extra_day = third + timedelta(days=1)
    _land_and_audit(
        conn, "filedrop", extra_day, [_simulated(day, more_views=1000) for day in [*DAYS, extra_day]]
    )
    # the platform API: the second day measured (no follower level: not observed by this pull),
    # the third a failed pull, every value missing
    from_api = _simulated(second, more_views=500)
    from_api["followers"], from_api["no_value"] = None, {"followers": str(NoValue.NOT_OBSERVED)}
    failed = account_day_record(
        "youtube", ACCOUNT, third, {}, {name: NoValue.FETCH_FAILED for name in METRIC_FIELDS}
    )
    api_batch = _land_and_audit(conn, "api:youtube", third, [from_api, failed])

    result = dbt_build(warehouse, *FACT_AND_ITS_TESTS, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    publish.publish(conn)

    rows = conn.execute(
        "select metric_date, source, batch_id, views, followers from marts.fct_account_daily"
        " where account_id = %s order by metric_date",
        [ACCOUNT],
    ).fetchall()
    truth = {day: simulator.simulate_account_day(ACCOUNT, "youtube", day) for day in [*DAYS, extra_day]}
    assert [(day, source) for day, source, *_ in rows] == [
        (first, "simulator"),  # the simulator stands in for the API: ahead of the file drop
        (second, "api:youtube"),  # measured by the platform: ahead of everything
        (third, "simulator"),  # the API's row of "no value" only does not win
        (extra_day, "filedrop"),  # only the institution reported it
    ]
    by_day = {day: (batch, views, followers) for day, _, batch, views, followers in rows}
    assert by_day[second] == (api_batch, truth[second]["views"] + 500, None)  # not filled from the simulator
    assert by_day[third][1:] == (truth[third]["views"], truth[third]["followers"])
    assert by_day[extra_day][1] == truth[extra_day]["views"] + 1000
    # the other accounts keep their single source
    others = conn.execute(
        "select count(*), count(*) filter (where source = 'simulator') from marts.fct_account_daily where account_id <> %s",
        [ACCOUNT],
    ).fetchone()
    assert others == ((len(small_accounts) - 1) * len(DAYS),) * 2


RUN_DAYS = [date(2026, 10, 10) + timedelta(days=i) for i in range(4)]
OLD_DAY = RUN_DAYS[-1] - timedelta(days=20)  # far outside the run's trailing window


@pytest.fixture
def daily_pipeline(warehouse, monkeypatch):
    """The pipeline's task functions and dbt pointed at this test's warehouse and the small registry."""
    from support import SMALL_REGISTRY

    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_REGISTRY_DIR", str(SMALL_REGISTRY))
    return warehouse


def _daily_run(warehouse, day: date) -> list[str]:
    """Land the simulator's day (account days and posts), plan, build the daily models, audit
    the build, publish: as kinerja_daily does."""
    return _planned_daily_run(warehouse, day)[1]


def _planned_daily_run(warehouse, day: date) -> tuple[dict, list[str]]:
    from kinerja.tasks import audits, plan, sources
    from kinerja.tasks import publish as publish_tasks

    sources.land_simulated_day(day)
    day_plan = plan.plan_days([day])
    daily_vars = json.dumps({"days_to_build": day_plan["days_to_build"]})
    result = dbt_build(
        warehouse,
        *DAILY_SELECTION,
        "--vars",
        daily_vars,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    audits.audit_build_day(day_plan)
    return day_plan, publish_tasks.publish_day(day_plan)


def test_posts_and_a_file_for_an_old_day_reach_the_published_marts_with_the_daily_run(
    conn, daily_pipeline, small_accounts
):
    from kinerja import config
    from kinerja.warehouse.fingerprint import table_fingerprint

    for day in RUN_DAYS[:-1]:
        _daily_run(daily_pipeline, day)
    # a file dropped since: the account's numbers of a day 20 days back
    _land_and_audit(conn, "filedrop", RUN_DAYS[-2], [_simulated(OLD_DAY)])
    last = RUN_DAYS[-1]
    day_plan, published = _planned_daily_run(daily_pipeline, last)

    # the run's plan took the old day; dbt's tests, the build audit and publish saw exactly its days
    assert OLD_DAY in [date.fromisoformat(d) for d in day_plan["days"]]
    planned = [date.fromisoformat(d) for d in day_plan["days"]]
    in_build = conn.execute(
        "select count(*) from build_marts.fct_account_daily where metric_date = any(%s)", [planned]
    ).fetchone()[0]
    audited = conn.execute(
        "select distinct rows_checked from audit.validation_results where batch_id = %s",
        [f"build_marts.fct_account_daily:{last}"],
    ).fetchall()
    assert audited == [(in_build,)] and in_build > 0
    # published: the batches of the plan are not planned again
    assert (
        conn.execute(
            "select count(*) from raw.batch_ledger where batch_id = any(%s) and published_at is null",
            [day_plan["batch_ids"]],
        ).fetchone()[0]
        == 0
    )

    assert any(line.startswith("marts.fct_posts") for line in published), published
    old = conn.execute(
        "select source, views from marts.fct_account_daily where account_id = %s and metric_date = %s",
        [ACCOUNT, OLD_DAY],
    ).fetchall()
    assert old == [("filedrop", simulator.simulate_account_day(ACCOUNT, "youtube", OLD_DAY)["views"])]

    # one row per post the simulator published on each run day, as many as the day's `posts`
    per_day = conn.execute(
        """
        select days.metric_date, days.posts, count(posts.post_id)
        from marts.fct_account_daily as days
        left join marts.fct_posts as posts on posts.account_id = days.account_id and posts.metric_date = days.metric_date
        where days.metric_date >= %s group by days.metric_date, days.posts, days.account_id
        """,
        [RUN_DAYS[0]],
    ).fetchall()
    assert len(per_day) == len(small_accounts) * len(RUN_DAYS)
    assert all(posts == counted for _, posts, counted in per_day)
    assert sum(posts for _, posts, _ in per_day) > 0
    # each post carries its latest snapshot: that of the last run still holding it in its
    # window (the first run saw the posts of its trailing days too)
    latest = conn.execute(
        "select metric_date, max(as_of_date), min(as_of_date), bool_and(source = 'simulator')"
        " from marts.fct_posts group by metric_date order by 1"
    ).fetchall()
    trailing = timedelta(days=config.TRAILING_DAYS)
    posted = [RUN_DAYS[0] - trailing + timedelta(days=i) for i in range(config.TRAILING_DAYS + len(RUN_DAYS))]
    assert latest == [(day, min(day + trailing, last), min(day + trailing, last), True) for day in posted]
    # lifetime totals grew since the first day, and engagement is per follower on the day of posting
    first_post = conn.execute(
        """
        select posts.views, snapshot.views, posts.interactions, posts.followers_at_posting, posts.engagement_per_follower,
               days.followers
        from marts.fct_posts as posts
        join raw.post_daily as snapshot
            on snapshot.post_id = posts.post_id and snapshot.as_of_date = posts.metric_date
        join marts.fct_account_daily as days on days.account_id = posts.account_id and days.metric_date = posts.metric_date
        where posts.metric_date = %s and posts.platform = 'youtube' and posts.views > 100
        order by posts.views desc limit 1
        """,
        [RUN_DAYS[0]],
    ).fetchone()
    views, first_views, interactions, followers_at_posting, per_follower, followers = first_post
    assert views > first_views
    assert followers_at_posting == followers and float(per_follower) == pytest.approx(
        interactions / followers
    )

    # the same run again leaves what users see the same
    before = {
        table: table_fingerprint(conn, table) for table in ("marts.fct_posts", "marts.fct_account_daily")
    }
    _daily_run(daily_pipeline, last)
    assert {table: table_fingerprint(conn, table) for table in before} == before


def _exported_post(post_id: str, as_of: date, published_on: date | None, likes: int) -> dict:
    """A post of ACCOUNT as an institution's export gives it; `published_on` None: the export has no publication time."""
    from datetime import datetime, time

    from kinerja import platforms
    from kinerja.sources.base import post_record

    published_at = (
        None
        if published_on is None
        else datetime.combine(published_on, time(12), platforms.platform("youtube").metric_day_zone)
    )
    values = {"views": 10 * likes, "likes": likes, "comments": 1, "shares": 0}
    return post_record("youtube", ACCOUNT, post_id, as_of, published_at, "video", values)


def test_old_posts_and_posts_without_a_publication_time_keep_their_day_in_the_daily_runs(
    conn, daily_pipeline
):
    """A daily run after a pause longer than its window still takes what landed meanwhile,
    and a post without a publication time keeps the day it was first seen."""
    first_seen, first_run = date(2026, 10, 6), date(2026, 10, 10)
    after_pause, next_run = date(2026, 10, 20), date(2026, 10, 21)
    old_day = date(2026, 9, 20)
    _land_posts_and_audit(
        conn, "filedrop", first_seen, [_exported_post("undated", first_seen, None, likes=5)]
    )
    _daily_run(daily_pipeline, first_run)
    # ten days without a run; meanwhile an export with a video of a month back
    _land_posts_and_audit(
        conn,
        "filedrop",
        after_pause - timedelta(days=1),
        [_exported_post("old", after_pause, old_day, likes=7)],
    )
    _daily_run(daily_pipeline, after_pause)
    # the undated post again, with more likes, far outside the window of its first day
    _land_posts_and_audit(conn, "filedrop", next_run, [_exported_post("undated", next_run, None, likes=9)])
    _daily_run(daily_pipeline, next_run)

    for layer in ("build_marts", "marts"):
        exported = conn.execute(
            f"select post_id, metric_date, as_of_date, likes from {layer}.fct_posts where source = 'filedrop' order by post_id"
        ).fetchall()
        assert exported == [("old", old_day, after_pause, 7), ("undated", first_seen, next_run, 9)], layer
