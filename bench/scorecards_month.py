"""One month of scorecards at national scale: every institution's scorecard, every province
report and the national summary, as PDF and HTML, from one issue.

The issue is built in memory from the shipped registry (every institution valid at the end
of the month, central ones included) with deterministic scores, ranks and frozen details
(five platforms, three best posts, a crisis signal, twelve months of trend): the shape the
monthly run issues (kinerja.publish.issues), without the month of data behind it. The
renderer is the one the DAG and `kinerja scorecards render` call, with WORKERS processes.

Run: .venv/bin/python bench/scorecards_month.py [--workers 2] [--lang id] [--keep DIR]
Results: bench/RESULTS.md (target: under 3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from kinerja import config
from kinerja.registry.load import read_institutions
from kinerja.scorecards.issue import IssuedMonth
from kinerja.scorecards.render import render_issue

MONTH = date(2026, 10, 1)
PLATFORMS = ("instagram", "facebook", "x", "youtube", "tiktok")


def national_issue() -> IssuedMonth:
    """An issue of MONTH for every institution of the shipped registry."""
    rng = random.Random(20261001)
    institutions = [i for i in read_institutions(config.registry_dir()) if i["valid_to"] is None]
    rows, details = [], {}
    for institution in institutions:
        eligible = rng.random() > 0.08
        components = [round(rng.uniform(20, 98), 2) for _ in range(4)] if eligible else [None] * 4
        rows.append(
            {
                "month": MONTH,
                "institution_id": institution["institution_id"],
                "institution_name": institution["name"],
                "peer_group": institution["peer_group"],
                "province_code": institution["province_code"],
                "province_name": None,
                "ikms": round(sum(components) / 4, 2) if eligible else None,
                "is_eligible": eligible,
                "activity_score": components[0],
                "reach_score": components[1],
                "engagement_score": components[2],
                "responsiveness_score": components[3],
                "accounts": 5,
                "followers": rng.randint(1_000, 2_000_000),
                "posts": rng.randint(0, 400),
                "coverage": round(rng.uniform(0.85, 1), 4) if eligible else 0.2,
                "methodology_version": "ikms-v1",
                "grade": "B" if eligible else None,
                "grade_label": "Baik" if eligible else None,
                "rank_movement": rng.randint(-5, 5) if eligible else None,
                "is_movement_comparable": True,
                "previous_rank_in_peer_group": None,
            }
        )
        details[institution["institution_id"]] = _details(rng, institution)
    _rank(rows, {i["institution_id"]: i for i in institutions})
    return IssuedMonth(
        MONTH,
        1,
        datetime(2026, 11, 4, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 3, 23, 0, tzinfo=UTC),
        "terbitan pertama",
        [],
        rows,
        details,
    )


def _details(rng: random.Random, institution: dict) -> dict:
    handle = institution["institution_id"].replace("-", "_")
    return {
        "timezone": institution["timezone"],
        "accounts": [{"platform": p, "handle": f"{handle}_{p}"} for p in PLATFORMS],
        "platforms": [
            {
                "platform": p,
                "accounts": 1,
                "coverage": round(rng.uniform(0.6, 1), 4),
                "followers_start": 10_000,
                "followers_end": rng.randint(9_000, 60_000),
                "followers_growth": rng.randint(-1_000, 50_000),
                "posts": 40,
                "posts_per_week": round(rng.uniform(0, 30), 2),
                "median_interactions_per_post": round(rng.uniform(0, 900), 1),
                "reply_rate": round(rng.uniform(0, 1), 4) if p != "x" else None,
                "median_reply_time_s": rng.randint(300, 40_000) if p != "x" else None,
            }
            for p in PLATFORMS
        ],
        "best_posts": [
            {
                "platform": "instagram",
                "handle": f"{handle}_instagram",
                "post_id": f"p{n}",
                "metric_date": f"2026-10-{n + 10}",
                "post_type": "reel",
                "interactions": 9_000 - n,
                "views": 80_000,
            }
            for n in range(3)
        ],
        "crisis_signals": [
            {
                "metric_date": "2026-10-20",
                "platform": "facebook",
                "handle": f"{handle}_facebook",
                "signals_fired": "comments,anger",
                "severity": "alert",
            }
        ],
        "trend": [
            {
                "month": f"2025-{m:02d}-01" if m > 10 else f"2026-{m:02d}-01",
                "ikms": rng.uniform(30, 90),
                "rank_in_peer_group": 1,
                "peer_group_size": 2,
                "is_movement_comparable": m != 4,
            }
            for m in (*range(11, 13), *range(1, 11))
        ],
    }


def _rank(rows: list[dict], institutions: dict[str, dict]) -> None:
    """Ranks in the peer group and nationally, as the report computes them (ties share)."""
    groups = defaultdict(list)
    for row in rows:
        row["province_name"] = _province_names(institutions).get(row["province_code"])
        groups[row["peer_group"]].append(row)
    for members in [*groups.values(), rows]:
        ranked = sorted((r for r in members if r["is_eligible"]), key=lambda r: -r["ikms"])
        key = (
            ("rank_in_peer_group", "peer_group_size")
            if members is not rows
            else ("rank_national", "national_size")
        )
        for place, row in enumerate(ranked, start=1):
            row[key[0]], row[key[1]] = place, len(ranked)
        for row in members:
            row.setdefault(key[0], None)
            row.setdefault(key[1], len(ranked))
    for row in rows:
        rank = row["rank_in_peer_group"]
        row["rank_range_best"], row["rank_range_worst"] = (rank, rank + 2) if rank else (None, None)


_NAMES: dict[str, str] = {}


def _province_names(institutions: dict[str, dict]) -> dict[str, str]:
    if not _NAMES:
        _NAMES.update(
            {i["province_code"]: i["name"] for i in institutions.values() if i["peer_group"] == "provinsi"}
        )
    return _NAMES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--lang", default="id")
    parser.add_argument("--keep", type=Path, help="write here and keep the files")
    args = parser.parse_args()
    started = time.perf_counter()
    issue = national_issue()
    built = time.perf_counter()
    out = args.keep or Path(tempfile.mkdtemp(prefix="kinerja-scorecards-bench-"))
    try:
        written = render_issue(issue, out, lang=args.lang, workers=args.workers)
        finished = time.perf_counter()
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    kinds = defaultdict(int)
    for path in written:
        kind = (
            "institution"
            if path.parent.name == "institusi"
            else "province"
            if path.name.startswith("provinsi-")
            else "national"
        )
        kinds[(kind, path.suffix)] += 1
    print(
        f"institutions in the issue: {len(issue.rows)} (provinces {sum(r['peer_group'] == 'provinsi' for r in issue.rows)})"
    )
    print("files: " + ", ".join(f"{kind}{suffix} {count}" for (kind, suffix), count in sorted(kinds.items())))
    print(
        f"issue built in {built - started:.1f} s; rendered in {finished - built:.1f} s with {args.workers} workers"
    )
    print(f"load average (1, 5, 15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
