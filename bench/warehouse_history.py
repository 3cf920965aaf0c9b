"""Does the daily dbt build grow with history? And how long does a full rebuild of 3 years take?

Two throwaway warehouses with the full demo registry (3,340 account rows):

- **1 month**: the simulator's October 2026 for every account, landed with land_batch,
  and its posts: each day's pull with its trailing days, as the daily DAG lands them.
- **3 years**: the same month, then 1,096 days (2023-11-01 .. 2026-10-31) written by SQL
  from it: day d takes the template day (d - start) mod 31, its levels scaled by a slow
  deterministic trend, so that the row count and shape are national, at a fraction of
  the simulator's time. Post snapshots go back in whole 31-day cycles of the template
  month, each under post ids of its own. Rows of accounts outside their registry period
  are dropped by the models, as in production.

Batches are marked accepted in the ledger without the GX audit (the audit is per batch
and does not depend on history; what is measured here is dbt), and dated as if each had
landed with its own daily run, the morning after its day. Each warehouse gets one
full `dbt build` (timed: the full rebuild), then the daily build of the DAG, timed
--repeat times, alternating between the two warehouses so that other load on the
machine weighs on both alike: `dbt build --select tag:daily --exclude tag:reference` with data_day
2026-10-31 and the trailing days, in one dbt invocation (the DAG runs the same selection
as one Cosmos task per model; their fixed cost per task is measured in
cosmos_task_overhead.py, not here).

Target (issue 6): daily build after 3 years / after 1 month <= 1.3; full rebuild of 3
years under 10 minutes, on 2 cores.

Run: .venv/bin/python bench/warehouse_history.py [--years 3] [--repeat 3]
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date, timedelta

from landing_throughput import throwaway_warehouse

from kinerja import config, landing
from kinerja import dbt_commands as dbt
from kinerja.registry.load import load_registry, read_accounts
from kinerja.sources import simulator
from kinerja.warehouse import connect

TEMPLATE_MONTH = [date(2026, 10, 1) + timedelta(days=i) for i in range(31)]
LAST_DAY = TEMPLATE_MONTH[-1]

# day d of the history copies template day (d - first) mod 31, levels on a slow trend
HISTORY = """
insert into raw.account_daily (batch_id, row_number, source, platform, account_id, metric_date,
    followers, posts, views, reach, likes, comments, shares, saves, replies, replies_24h, angry, no_value)
select
    'bench-history-' || days.day, row_number() over (partition by days.day order by t.account_id, t.platform),
    t.source, t.platform, t.account_id, days.day,
    round(t.followers * (0.6 + 0.4 * (days.day - %(first)s::date) / greatest(%(last)s::date - %(first)s::date, 1))),
    t.posts, t.views, t.reach, t.likes, t.comments, t.shares, t.saves, t.replies, t.replies_24h, t.angry, t.no_value
from (
    select generate_series(%(first)s::date, %(last)s::date - 31, interval '1 day')::date as day
) as days
join raw.account_daily as t
    on t.metric_date = date '2026-10-01' + ((days.day::date - %(first)s::date) %% 31)
"""
LEDGER = """
insert into raw.batch_ledger (batch_id, source, data_day, rows_in, rows_accepted, rows_rejected, checksum, status)
select batch_id, 'simulator', min(metric_date), count(*), count(*), 0, md5(batch_id), 'accepted'
from raw.account_daily where batch_id like 'bench-history-%%' group by batch_id
"""
# post snapshots go back in whole 31-day cycles: cycle k copies every snapshot of the
# template month k * 31 days earlier, under post ids of their own
POST_HISTORY = """
insert into raw.post_daily (batch_id, row_number, source, platform, account_id, post_id, as_of_date,
    published_at, post_type, views, reach, likes, comments, shares, saves, angry, replies, replies_24h,
    reply_latency_median_s, no_value)
select
    'bench-post-history-' || (t.as_of_date - 31 * cycles.k),
    row_number() over (partition by t.as_of_date - 31 * cycles.k order by t.account_id, t.post_id),
    t.source, t.platform, t.account_id, t.post_id || '~' || cycles.k, t.as_of_date - 31 * cycles.k,
    t.published_at - make_interval(days => 31 * cycles.k), t.post_type, t.views, t.reach, t.likes,
    t.comments, t.shares, t.saves, t.angry, t.replies, t.replies_24h, t.reply_latency_median_s, t.no_value
from generate_series(1, %(cycles)s) as cycles (k)
cross join raw.post_daily as t
where t.batch_id not like 'bench-%%'
    -- the template's snapshots as of its own days only: the days before it are other cycles' days
    and t.as_of_date >= date '2026-10-01'
"""
POST_LEDGER = """
insert into raw.batch_ledger (batch_id, source, data_day, rows_in, rows_accepted, rows_rejected, checksum,
    status, raw_table)
select batch_id, 'simulator', min(as_of_date), count(*), count(*), 0, md5(batch_id), 'accepted', 'raw.post_daily'
from raw.post_daily where batch_id like 'bench-post-history-%%' group by batch_id
"""


def fill(params, years: int) -> tuple[int, int]:
    accounts = read_accounts(config.registry_dir())
    with connect(params, autocommit=True) as conn:
        load_registry(conn, config.registry_dir())
        posts = simulator.SimulatorSource()
        for day in TEMPLATE_MONTH:
            landing.land_batch(conn, simulator.SOURCE, day, simulator.simulate_day(accounts, day))
            # the posts of the day's pull: its trailing window, as the daily DAG lands them
            landing.land_posts(
                conn, simulator.SOURCE, day, posts.harvest(day, accounts, config.TRAILING_DAYS).posts
            )
        # no audit runs here: every batch is taken as accepted, as the marts take accepted
        # batches only (int_batches_accepted)
        conn.execute(
            "update raw.batch_ledger set status = 'accepted', rows_accepted = rows_in, rows_rejected = 0"
        )
        if years:
            first = LAST_DAY - timedelta(days=365 * years) + timedelta(days=1)
            conn.execute(HISTORY, {"first": first, "last": LAST_DAY})
            conn.execute(LEDGER)
            conn.execute(POST_HISTORY, {"cycles": (LAST_DAY - first).days // 31})
            conn.execute(POST_LEDGER)
        # as if each day's batch had landed with its own daily run (the next morning, WIB):
        # the daily build rebuilds the days of batches landed since its last build
        conn.execute(
            "update raw.batch_ledger set landed_at = data_day + interval '1 day 6 hours',"
            " first_landed_at = data_day + interval '1 day 6 hours', audited_at = data_day + interval '1 day 6 hours'"
        )
        conn.execute("analyze")
        return conn.execute(
            "select (select count(*) from raw.account_daily), (select count(*) from raw.post_daily)"
        ).fetchone()


def timed_dbt(params, *args: str) -> float:
    started = time.perf_counter()
    result = dbt.run_dbt(params, *args, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{result.stdout[-3000:]}")
    return elapsed


def daily_build(params) -> float:
    variables = json.dumps({"data_day": LAST_DAY.isoformat(), "trailing_days": config.TRAILING_DAYS})
    return timed_dbt(
        params, "build", "--select", "tag:daily", "--exclude", "tag:reference", "--vars", variables
    )


def prepare(params, years: int) -> dict:
    started = time.perf_counter()
    raw_rows, raw_post_rows = fill(params, years)
    filled = time.perf_counter() - started
    full = timed_dbt(params, "build", "--full-refresh")
    with connect(params) as conn:
        fact_rows, post_rows = conn.execute(
            "select (select count(*) from build_marts.fct_account_daily), (select count(*) from build_marts.fct_posts)"
        ).fetchone()
    return {
        "raw_rows": raw_rows,
        "raw_post_rows": raw_post_rows,
        "fact_rows": fact_rows,
        "post_rows": post_rows,
        "fill_s": filled,
        "full_build_s": full,
        "daily_s": [],
    }


def report(name: str, result: dict) -> dict:
    print(
        f"{name:>8}: {result['raw_rows']:>10,} raw account-days, {result['fact_rows']:>10,} in fct_account_daily;"
        f" {result['raw_post_rows']:>10,} raw post snapshots, {result['post_rows']:>9,} in fct_posts;"
        f" filled in {result['fill_s']:.0f} s; full build {result['full_build_s']:.1f} s;"
        f" daily build {', '.join(f'{s:.1f}' for s in result['daily_s'])} s",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with (
        throwaway_warehouse("kinerja_month") as month_db,
        throwaway_warehouse("kinerja_history") as history_db,
    ):
        month = prepare(month_db, 0)
        history = prepare(history_db, args.years)
        # the daily builds alternate between the two warehouses, so that whatever else the
        # machine does weighs on both alike
        for _ in range(args.repeat):
            month["daily_s"].append(daily_build(month_db))
            history["daily_s"].append(daily_build(history_db))
    report("1 month", month)
    report(f"{args.years} years", history)
    ratio = statistics.median(history["daily_s"]) / statistics.median(month["daily_s"])
    print(f"daily build, {args.years} years / 1 month (medians): {ratio:.2f} (target <= 1.3)")
    print(f"full rebuild of {args.years} years: {history['full_build_s'] / 60:.1f} min (target < 10)")


if __name__ == "__main__":
    main()
