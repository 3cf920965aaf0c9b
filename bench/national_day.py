"""One national day from the simulator, harvested and landed: target under 30 s on 2 cores.

Every account of the demo registry (plugins/kinerja/registry/data, read with
read_accounts), Realities.national(), posts included, a trailing window of TRAILING days
(Meta restates up to 48 h). The harvest (SimulatorSource.harvest) and the landing
(land_batch for the account days, land_posts for the post snapshots, each one committed,
ledgered batch) and the audit's acceptance step (replace_with_accepted: the re-pulled rows
the batches replace, the GX audit itself not run) are timed apart, on a throwaway warehouse
(see landing_throughput.py).

The warehouse is first filled with the days before, landed the same way and not timed,
so that the timed landing replaces re-pulled rows like a real day does.

Peak memory: the process' peak resident set (getrusage), and, in a second untimed pass,
the peak of Python allocations during the harvest (tracemalloc).

Run: .venv/bin/python bench/national_day.py [--day 2026-10-14] [--trailing 2] [--warm-days 7]
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from datetime import date, timedelta

from landing_throughput import throwaway_warehouse

from kinerja import config, landing
from kinerja.registry.load import read_accounts
from kinerja.sources.simulator import SOURCE, Realities, SimulatorSource

COUNTS = "select (select count(*) from raw.account_daily), (select count(*) from raw.post_daily)"

# Re-pulled days of platforms whose follower level is seen only "now": landing keeps the
# level of the day's own pull; a level stays missing only where that pull never saw it (late).
UNSEEN = """
    select count(*) filter (where platform in ('x', 'tiktok', 'youtube') and metric_date < %s),
           count(*) filter (where followers is null and no_value->>'followers' = 'not_observed')
    from raw.account_daily
"""


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def land(conn, data_day: date, harvest) -> tuple[float, float, float]:
    """Land the day's account days and posts, then do what the audit does when it accepts them
    (replace the rows they re-pull): the seconds of each."""
    started = time.perf_counter()
    days = landing.land_batch(conn, SOURCE, data_day, harvest.account_days)
    account_days = time.perf_counter() - started
    started = time.perf_counter()
    posts = landing.land_posts(conn, SOURCE, data_day, harvest.posts)
    posts_s = time.perf_counter() - started
    started = time.perf_counter()
    for batch, table in ((days, "raw.account_daily"), (posts, "raw.post_daily")):
        accept(conn, batch.batch_id, table)
    return account_days, posts_s, time.perf_counter() - started


def accept(conn, batch_id: str, raw_table: str) -> None:
    """The acceptance step of the audit (kinerja.quality.engine.store), without the GX audit before it."""
    from kinerja.landing.batches import replace_with_accepted

    with conn.transaction(), conn.cursor() as cur:
        cur.execute("update raw.batch_ledger set status = 'accepted' where batch_id = %s", [batch_id])
        replace_with_accepted(cur, raw_table, batch_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 10, 14))
    parser.add_argument("--trailing", type=int, default=2)
    parser.add_argument("--warm-days", type=int, default=7, help="days landed before, untimed")
    args = parser.parse_args()

    started = time.perf_counter()
    accounts = read_accounts(config.registry_dir())
    read_s = time.perf_counter() - started
    source = SimulatorSource(Realities.national())

    from kinerja.warehouse import connect

    with throwaway_warehouse("kinerja_bench_day") as params, connect(params) as conn:
        for back in range(args.warm_days, 0, -1):
            day = args.day - timedelta(days=back)
            land(conn, day, source.harvest(day, accounts, args.trailing))
        before = conn.execute(COUNTS).fetchone()
        conn.commit()  # land_batch commits only when it opens the transaction itself
        rss_before = _peak_rss_mib()

        started = time.perf_counter()
        harvest = source.harvest(args.day, accounts, args.trailing)
        harvest_s = time.perf_counter() - started
        account_days_s, posts_s, accept_s = land(conn, args.day, harvest)
        total = read_s + harvest_s + account_days_s + posts_s + accept_s
        after = conn.execute(COUNTS).fetchone()
        unseen = conn.execute(UNSEEN, [args.day]).fetchone()

    tracemalloc.start()
    source.harvest(args.day, accounts, args.trailing)
    _, harvest_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    accounts_n = len({a["account_id"] for a in accounts})
    failed = len(harvest.problems)
    print(
        f"national day {args.day} (trailing {args.trailing} days), {accounts_n:,} accounts, Realities.national()"
    )
    print(
        f"  warehouse before: {before[0]:,} account days, {before[1]:,} post snapshots ({args.warm_days} days landed)"
    )
    print(f"  read registry              {read_s:6.2f} s")
    print(
        f"  harvest                    {harvest_s:6.2f} s   {len(harvest.account_days):,} account days, "
        f"{len(harvest.posts):,} post snapshots, {failed} problems"
    )
    print(
        f"  land account days          {account_days_s:6.2f} s   ({len(harvest.account_days) / account_days_s:,.0f} rows/s)"
    )
    print(
        f"  land posts                 {posts_s:6.2f} s   ({len(harvest.posts) / max(posts_s, 1e-9):,.0f} rows/s)"
    )
    print(f"  replace at acceptance      {accept_s:6.2f} s   (both batches: the re-pulled rows they replace)")
    print(f"  total                      {total:6.2f} s   (target < 30 s)")
    print(f"  warehouse after: {after[0]:,} account days, {after[1]:,} post snapshots")
    print(
        f"  X/TikTok/YouTube days before the day: {unseen[0]:,}; follower level still not observed: {unseen[1]:,}"
    )
    print(
        f"  peak RSS {rss_before:,.0f} MiB before the day, {_peak_rss_mib():,.0f} MiB after; "
        f"harvest's peak Python allocations {harvest_peak / 2**20:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
