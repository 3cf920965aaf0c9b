"""What Cosmos' garbage collection after every dbt task costs a DAG run, with and without freezing.

Cosmos (cosmos.dbt.runner) runs `gc.collect()` after every in-process dbt task. In a
process that runs many DAG runs (`make run`, the test suite) every collection scans all
objects of Airflow, dbt and the earlier runs. kinerja.runner freezes the objects that
exist before a run (`gc.freeze()`), so that the collections scan only the run's own.

This re-runs the `kinerja_daily` run of one day of the `make run` warehouse (a re-run
changes nothing), alternating with and without the freeze, and times each run and the
collections inside it.

Run: .venv/bin/python bench/dag_run_gc.py [--day 2026-10-31] [--repeat 3]   (after
`make run MONTH=2026-10`, in the same checkout). Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import time
from datetime import date


class _TimedCollections:
    """Stands in for the `gc` module inside cosmos.dbt.runner: times every collect()."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __getattr__(self, name: str):
        return getattr(gc, name)

    def collect(self, *args) -> int:
        started = time.perf_counter()
        try:
            return gc.collect(*args)
        finally:
            self.seconds.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from kinerja.orchestration import runner
    from kinerja.warehouse import ensure_warehouse

    runner.prepare(ensure_warehouse())
    import cosmos.dbt.runner as cosmos_runner

    collections = _TimedCollections()
    cosmos_runner.gc = collections
    frozen = runner._old_objects_frozen
    results: dict[str, list[tuple[float, float, int]]] = {"frozen": [], "not frozen": []}
    runner.run_daily([args.day])  # the first run in a process imports and parses: not counted
    for _ in range(args.repeat):
        for mode, runs in results.items():
            runner._old_objects_frozen = frozen if mode == "frozen" else contextlib.nullcontext
            collections.seconds.clear()
            started = time.perf_counter()
            runner.run_daily([args.day])
            runs.append((time.perf_counter() - started, sum(collections.seconds), len(collections.seconds)))
    runner._old_objects_frozen = frozen
    for mode, runs in results.items():
        print(
            f"{mode:>10}: daily run {', '.join(f'{wall:.1f}' for wall, _, _ in runs)} s"
            f" (median {statistics.median(wall for wall, _, _ in runs):.1f} s);"
            f" in gc.collect {', '.join(f'{spent:.1f}' for _, spent, _ in runs)} s over {runs[0][2]} collections"
        )


if __name__ == "__main__":
    main()
