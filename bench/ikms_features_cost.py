"""Cost of the IKMS models (dbt_project/models/intermediate/ikms) over a year of national history.

The features are computed from their seed definitions (int_ikms__account_features): every
account-day is unpivoted into the catalogue metrics a method's features use, added up per
feature and day, then aggregated per period. This measures what that costs the monthly run
against the feature catalogue fixed in SQL it replaced: run it on both commits.

National registry (plugins/kinerja/registry/data), synthetic account-days written straight
into the fact (bench/reports_models_cost.py's), the methods of a monthly run (var
methodology_version; `--methods contoh-1231` adds the daily example method). Times are dbt's
own per-model execution times (target/run_results.json).

Run: .venv/bin/python bench/ikms_features_cost.py [--months 12] [--methods contoh-1231]
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from landing_throughput import throwaway_warehouse
from reports_models_cost import _fill, _model_seconds, _rows

from kinerja import config
from kinerja import dbt_commands as dbt
from kinerja.registry.load import load_registry
from kinerja.warehouse import connect

LAST_DAY = date(2026, 10, 31)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--methods", nargs="*", default=[])
    args = parser.parse_args()
    first = date(
        (LAST_DAY.year * 12 + LAST_DAY.month - args.months) // 12, (LAST_DAY.month - args.months) % 12 + 1, 1
    )
    with throwaway_warehouse("kinerja_bench_ikms") as params:
        with connect(params) as conn:
            load_registry(conn)
            conn.commit()
        dbt.run_dbt(params, "seed")
        dbt.run_dbt(
            params,
            "run",
            "--select",
            "+int_account_days_by_institution",
            "+dim_institutions",
            "+fct_posts",
            "stg_registry__comparison_groups",
        )
        filled = _fill(params, first, LAST_DAY)
        dbt.run_dbt(
            params,
            "run",
            "--select",
            "models/intermediate/ikms",
            "--vars",
            json.dumps({"ikms_methods": args.methods}),
        )
        seconds = _model_seconds(config.dbt_target_dir() / "run_results.json")
        rows = _rows(params)
    print(
        f"{rows:,} account-days from {first} to {LAST_DAY} (filled in {filled:.0f} s), methods: ikms-1.0 {args.methods}"
    )
    for model, took in sorted(seconds.items()):
        print(f"| {model} | {took:.1f} s |")
    print(f"| all | {sum(seconds.values()):.1f} s |")


if __name__ == "__main__":
    main()
