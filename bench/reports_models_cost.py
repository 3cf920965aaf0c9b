"""Daily cost of fct_institution_monthly and rpt_crisis_signals_daily: after 1 month and after 3 years.

Both models are incremental: a daily run rebuilds only the days (and months) its data day and
trailing days touch, so its cost must not grow with history; the monthly run rebuilds every
day and month. This measures the two paths on the national demo registry
(plugins/kinerja/registry/data) with synthetic account-day rows written straight into the
fact (the models' input; landing and the audit are measured elsewhere):

1. one month of history (October 2026): full build, then the daily path for 31 October;
2. 35 more months before it (3 years in all): the daily path again, then the full build.

Times are dbt's own per-model execution times (target/run_results.json), not dbt's start-up.
Each daily timing is the median of three runs.

Run: .venv/bin/python bench/reports_models_cost.py
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import date

from landing_throughput import throwaway_warehouse

from kinerja import config
from kinerja import dbt_commands as dbt
from kinerja.registry.load import load_registry
from kinerja.warehouse import connect

MODELS = ("fct_institution_monthly", "rpt_crisis_signals_daily")
LAST_DAY = date(2026, 10, 31)
TRAILING_DAYS = 3

# Deterministic synthetic account-days (setseed): counts of plausible size, some "no value".
SYNTHETIC_DAYS = """
    insert into build_marts.fct_account_daily (
        account_id, metric_date, platform, source, batch_id, followers, posts, views, reach, likes,
        comments, shares, saves, angry, replies, replies_24h, interactions)
    select account_id, day::date, platform, 'simulator', 'bench', (1000 + random() * 50000)::int,
           (random() * 3)::int, (random() * 20000)::int, null, likes, comments, (random() * 20)::int, null,
           case when platform = 'facebook' then (random() * 5)::int end, replies, (replies * 0.8)::int,
           likes + comments
    from (
        select distinct account_id, platform from registry.accounts
    ) as accounts
    cross join generate_series(%(first)s::date, %(last)s::date, interval '1 day') as day
    cross join lateral (
        select (random() * 200)::int as likes, (random() * 60)::int as comments, (random() * 30)::int as replies
    ) as metrics
"""


def _model_seconds(result_path) -> dict[str, float]:
    results = json.loads(result_path.read_text())["results"]
    return {r["unique_id"].rsplit(".", 1)[-1]: r["execution_time"] for r in results}


def _run(params, **dbt_vars) -> dict[str, float]:
    args = ["run", "--select", *MODELS]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    dbt.run_dbt(params, *args)
    return _model_seconds(config.dbt_project_dir() / "target" / "run_results.json")


def _daily(params) -> dict[str, float]:
    runs = [_run(params, data_day=LAST_DAY.isoformat(), trailing_days=TRAILING_DAYS) for _ in range(3)]
    return {model: statistics.median(run[model] for run in runs) for model in MODELS}


def _fill(params, first: date, last: date) -> float:
    started = time.perf_counter()
    with connect(params, autocommit=True) as conn:
        conn.execute("select setseed(0.42)")
        conn.execute(SYNTHETIC_DAYS, {"first": first, "last": last})
        conn.execute("analyze build_marts.fct_account_daily")
    return time.perf_counter() - started


def _rows(params) -> int:
    with connect(params) as conn:
        return conn.execute("select count(*) from build_marts.fct_account_daily").fetchone()[0]


def main() -> None:
    with throwaway_warehouse("kinerja_bench_reports") as params:
        with connect(params) as conn:
            load_registry(conn)
            conn.commit()
        dbt.run_dbt(params, "run", "--select", "+int_account_days_by_institution", "+dim_institutions")
        _fill(params, date(2026, 10, 1), LAST_DAY)
        month = {"rows": _rows(params), "full": _run(params), "daily": _daily(params)}
        filled = _fill(params, date(2023, 11, 1), date(2026, 9, 30))
        years = {"rows": _rows(params), "daily": _daily(params), "full": _run(params)}
    print(
        f"synthetic history: {month['rows']:,} account-days (1 month), {years['rows']:,} (3 years, filled in {filled:.0f} s)"
    )
    print("| model | daily, 1 month | daily, 3 years | ratio | full, 1 month | full, 3 years |")
    print("|---|---|---|---|---|---|")
    for model in MODELS:
        ratio = years["daily"][model] / month["daily"][model]
        print(
            f"| {model} | {month['daily'][model]:.2f} s | {years['daily'][model]:.2f} s | {ratio:.2f}"
            f" | {month['full'][model]:.2f} s | {years['full'][model]:.2f} s |"
        )


if __name__ == "__main__":
    main()
