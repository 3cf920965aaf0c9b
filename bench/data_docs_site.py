"""The one Data Docs site: what an audit's docs cost as the site fills up, and its size on disk.

Every audit adds its validation to one GX site (kinerja.quality.data_docs) and rebuilds the
index, which reads every validation result the site keeps. This measures, in a temporary
folder, one audit's `Validation.build_docs` (prune, its page, the index) when the site
already holds N validations, N up to a month of daily audits at national scale.

The validated frame is national scale (ROWS rows, a few failing) with the suite
raw_post_daily's shape reduced to generic checks. The site is filled by copying one real
validation's result and page under N run names (rendering N pages for real would take
N audits); each copy is a real GX result, so the index reads and lists it as it would.

Run: .venv/bin/python bench/data_docs_site.py [--sizes 0 300 1000] [--rows 3300]
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

SUITE = {
    "name": "bench_rows",
    "expectations": [
        {
            "type": "expect_column_values_to_not_be_null",
            "columns": ["account_id", "platform"],
            "reason": "{column} is empty",
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "platform", "value_set": {"$PARAMETER": "platforms"}},
            "reason": "unknown platform",
        },
        {
            "type": "expect_column_values_to_be_between",
            "columns": ["likes", "comments", "followers"],
            "kwargs": {"min_value": 0},
            "reason": "{column} is negative",
        },
        {
            "type": "expect_compound_columns_to_be_unique",
            "kwargs": {"column_list": ["account_id", "platform"]},
            "reason": "duplicate",
        },
    ],
}


def frame(rows: int) -> pd.DataFrame:
    data = pd.DataFrame(
        {
            "row_number": range(1, rows + 1),
            "account_id": [f"acc-{n}" for n in range(rows)],
            "platform": ["instagram", "facebook", "x", "youtube", "tiktok"] * (rows // 5)
            + ["x"] * (rows % 5),
            "likes": pd.array([n % 50 for n in range(rows)], dtype="Int64"),
            "comments": pd.array([n % 7 for n in range(rows)], dtype="Int64"),
            "followers": pd.array([1000 + n for n in range(rows)], dtype="Int64"),
        }
    )
    data.loc[:4, "likes"] = -1  # a few failing rows, as a usual day has
    return data


def audit(engine, audit_id: str, rows: pd.DataFrame) -> tuple[float, float, str | None]:
    started = time.perf_counter()
    validation = engine.Validation(audit_id)
    validation.run(rows, SUITE)
    validated = time.perf_counter()
    url = validation.build_docs(SUITE["name"])
    return validated - started, time.perf_counter() - validated, url


def fill(root: Path, template_run: str, count: int) -> None:
    """Copy the template run's result and page under `count` run names."""
    for base in (root / "results" / SUITE["name"], root / "site" / "validations" / SUITE["name"]):
        for n in range(count):
            target = base / f"audit-filler_{n:05d}"
            if not target.exists():
                shutil.copytree(base / template_run, target)


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 300, 1000])
    parser.add_argument("--rows", type=int, default=3300)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kinerja-docs-bench-"))
    os.environ["KINERJA_DATA_DOCS_DIR"] = str(root)
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    from kinerja.quality import engine

    rows = frame(args.rows)
    try:
        audit(engine, "warm-up", rows)  # imports GX, copies the static assets once
        per_page = size_mb(root / "results") + size_mb(root / "site" / "validations")
        print(
            f"one validation: {per_page:.2f} MB (result + page); static assets {size_mb(root / 'site' / 'static'):.1f} MB"
        )
        print("| validations in the site | validate | build docs (prune, page, index) |")
        print("|---|---|---|")
        for size in sorted(args.sizes):
            fill(root, "audit-warm-up", size)
            validate, docs, url = audit(engine, f"measured-{size}", rows)
            assert url and url.startswith("file://"), url
            print(f"| {size} | {validate:.2f} s | {docs:.2f} s |")
        print(f"site after the largest: {size_mb(root):.0f} MB")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
