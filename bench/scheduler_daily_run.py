"""National daily runs of kinerja_daily under Airflow's scheduler (LocalExecutor, a process per task).

Starts the local stack of `make airflow` (`kinerja.orchestration.services.start_local`) on a
KINERJA_HOME that already holds a warehouse (run bench/history_run.py --home DIR first), keeps
the DAGs paused, then triggers `kinerja_daily` through the REST API for each day, one after
another, and waits for each run. For each: the run's wall time (its end minus its start in
Airflow), the sum of its task tries' durations (the work) and the rest (the scheduler's
and the task processes' overhead). Stops every process it started.

Run: .venv/bin/python bench/scheduler_daily_run.py --home DIR [--first 2026-11-01] [--days 3]
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
from datetime import date, datetime, timedelta
from pathlib import Path

from daily_run import bench_home

DAG = "kinerja_daily"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="a KINERJA_HOME holding a warehouse")
    parser.add_argument("--first", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--days", type=int, default=3)
    args = parser.parse_args()

    with bench_home(args.home, "unused"):
        from kinerja import config
        from kinerja.orchestration import runner, services

        stack = services.start_local(unpause=False, progress=lambda line: print(line, flush=True))
        try:
            api = services.AirflowApi.login(stack.api_url, stack.username, stack.password)
            api.set_paused(DAG, False)  # a triggered run waits while its DAG is paused
            rows = []
            for n in range(args.days):
                day = args.first + timedelta(days=n)
                run_id = api.trigger(DAG, runner.tz_datetime(day + timedelta(days=1), config.DAILY_RUN_HOUR))
                state = api.wait_for_run(DAG, run_id, timeout=900)
                run = api.run(DAG, run_id)
                work = api.task_durations(DAG, run_id)
                wall = (_time(run["end_date"]) - _time(run["start_date"])).total_seconds()
                rows.append((day, state, wall, sum(work.values()), work, os.getloadavg()[0]))
            api.set_paused(DAG, True)
        finally:
            services.stop_local()
    print(f"\n{'day':<12}{'state':<9}{'wall s':>8}{'tasks s':>9}{'overhead s':>12}{'load':>6}  slowest tasks")
    for day, state, wall, work, tasks, load in rows:
        slowest = ", ".join(f"{t} {s:.1f}" for t, s in sorted(tasks.items(), key=lambda i: -i[1])[:4])
        print(f"{day!s:<12}{state:<9}{wall:>8.1f}{work:>9.1f}{wall - work:>12.1f}{load:>6.1f}  {slowest}")
    walls, works = [r[2] for r in rows], [r[3] for r in rows]
    print(
        f"median: {statistics.median(walls):.1f} s end to end, {statistics.median(works):.1f} s of task work, "
        f"{statistics.median(walls) - statistics.median(works):.1f} s overhead"
    )


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


if __name__ == "__main__":
    main()
