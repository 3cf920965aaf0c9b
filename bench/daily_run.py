"""National daily runs of kinerja_daily through Airflow: end to end, the work, the overhead.

Lands the days before `--first` with one history run (not timed), then runs `kinerja_daily`
once per day for `--days` days, as the schedule would, with `dag.test()` in this process
(the runtime `make run` uses). For each run: the wall time of the DAG run, the sum of its
task instances' durations (the work: harvest, COPY, audits, dbt, publish) and the rest
(Airflow's and Cosmos' overhead between and around the tasks), and the tasks' split. The
warehouse and Airflow's database are a fresh embedded server in a temporary KINERJA_HOME,
removed afterwards, unless --home is given.

Run: .venv/bin/python bench/daily_run.py [--first 2026-10-01] [--days 5] [--warm-days 7]
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident set of this process and of its largest child (KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


@contextmanager
def bench_home(home: Path | None, prefix: str) -> Iterator[Path]:
    """KINERJA_HOME for the bench: `home` (kept), else a temporary one, removed with its server."""
    folder = home or Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["KINERJA_HOME"] = str(folder)
    os.environ["KINERJA_DBT_TARGET_PATH"] = str(folder / "dbt_target")
    from kinerja.warehouse import embedded

    try:
        yield folder
    finally:
        if home is None:
            embedded.stop(folder)
            shutil.rmtree(folder, ignore_errors=True)


def daily_run_of(last_day: date):
    """The kinerja_daily run whose data day (or a history run's last day) is `last_day`."""
    from airflow.models.dagrun import DagRun

    from kinerja import config
    from kinerja.orchestration import runner

    logical = runner.tz_datetime(last_day + timedelta(days=1), config.DAILY_RUN_HOUR)
    [run] = [r for r in DagRun.find(dag_id=runner.DAILY_DAG) if r.logical_date == logical]
    return run


def _task_durations(day: date) -> dict[str, float]:
    """The task durations of the daily run that landed `day`, from Airflow's database."""
    return {ti.task_id: ti.duration or 0.0 for ti in daily_run_of(day).get_task_instances()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--first", type=date.fromisoformat, default=date(2026, 10, 1))
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--warm-days", type=int, default=7, help="days landed before, in one history run")
    parser.add_argument("--home", type=Path, help="KINERJA_HOME to use and keep (default: a temporary one)")
    args = parser.parse_args()

    with bench_home(args.home, "kinerja-bench-daily-"):
        from kinerja.orchestration import runner
        from kinerja.warehouse import ensure_warehouse

        runner.prepare(ensure_warehouse())
        if args.warm_days:
            runner.run_range(args.first - timedelta(days=args.warm_days), args.first - timedelta(days=1))
        rows = []
        for n in range(args.days):
            day = args.first + timedelta(days=n)
            started = time.perf_counter()
            runner.run_daily([day])
            wall = time.perf_counter() - started
            tasks = _task_durations(day)
            rows.append((day, wall, sum(tasks.values()), tasks, os.getloadavg()[0]))
        print(f"\n{'day':<12}{'wall s':>8}{'tasks s':>9}{'overhead s':>12}{'load':>6}  slowest tasks")
        for day, wall, work, tasks, load in rows:
            slowest = ", ".join(f"{t} {s:.1f}" for t, s in sorted(tasks.items(), key=lambda i: -i[1])[:4])
            print(f"{day!s:<12}{wall:>8.1f}{work:>9.1f}{wall - work:>12.1f}{load:>6.1f}  {slowest}")
        walls = [wall for _, wall, *_ in rows]
        works = [work for _, _, work, *_ in rows]
        print(
            f"median: {statistics.median(walls):.1f} s end to end, {statistics.median(works):.1f} s of task work, "
            f"{statistics.median(walls) - statistics.median(works):.1f} s overhead"
        )
        own, child = peak_rss_mib()
        print(f"peak memory: {own:,.0f} MiB this process, {child:,.0f} MiB its largest child process")


if __name__ == "__main__":
    main()
