"""A national history run (backfill) through Airflow: one kinerja_daily run over a range of days.

Runs `kinerja_daily` once with the params first_day/last_day, with `dag.test()` in this
process (the runtime `make run` and `kinerja history` use), on a fresh embedded server in a
temporary KINERJA_HOME (removed afterwards unless --home is given), the demo registry
(3,000+ accounts). Prints the wall time, each task's duration, the rows landed and built,
and the peak memory of this process and of its largest child (the landing workers).

Run: .venv/bin/python bench/history_run.py [--first 2025-11-01] [--last 2026-10-31]
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path

from daily_run import bench_home, daily_run_of, peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--first", type=date.fromisoformat, default=date(2025, 11, 1))
    parser.add_argument("--last", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--home", type=Path, help="KINERJA_HOME to use and keep (default: a temporary one)")
    args = parser.parse_args()

    with bench_home(args.home, "kinerja-bench-history-"):
        from kinerja.orchestration import runner
        from kinerja.warehouse import connect, ensure_warehouse

        params = ensure_warehouse()
        runner.prepare(params)  # before anything imports Airflow: it reads its settings at import
        load = os.getloadavg()
        started = time.perf_counter()
        runner.run_range(args.first, args.last)
        wall = time.perf_counter() - started
        run = daily_run_of(args.last)
        days = (args.last - args.first).days + 1
        print(f"\nhistory run {args.first}..{args.last} ({days} days): {wall / 60:.1f} min end to end")
        print(f"load average before: {load[0]:.1f}, after: {os.getloadavg()[0]:.1f}")
        for ti in sorted(run.get_task_instances(), key=lambda t: t.start_date):
            print(f"  {ti.task_id:<16}{ti.duration or 0:>9.1f} s")
        with connect(params) as conn:
            raw, facts, posts = conn.execute(
                "select (select count(*) from raw.account_daily), (select count(*) from marts.fct_account_daily),"
                " (select count(*) from marts.fct_posts)"
            ).fetchone()
        print(f"raw account days {raw:,}; published: {facts:,} account days, {posts:,} posts")
        own, child = peak_rss_mib()
        print(f"peak memory: {own:,.0f} MiB this process, {child:,.0f} MiB its largest child process")


if __name__ == "__main__":
    main()
