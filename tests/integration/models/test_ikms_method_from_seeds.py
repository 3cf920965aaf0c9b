"""A method unlike contoh-1231, defined through seeds alone, reproduced independently in pandas.

Weekly; engagement = likes + comments (no shares) per post; followers as the mean over the
week; posts in the week; reply rate 0 (not missing) in a week without comments; min-max
normalisation; weights 2/1/3/2 (activity, followers, engagement, responsiveness); ranked
within a comparison group of the Kalimantan provinces, one of which joins the group in
the third week. The method is added to a temporary copy of the dbt project whose models
are byte for byte the repository's: only the seeds differ. Its input comes from another
system, through `kinerja import`. The test computes every institution's score and rank of
every week from the imported file in pandas and compares them with dbt's published model.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from kinerja import config
from kinerja.cli import app
from kinerja.registry.demo import demo_handle, demo_platform_account_id
from kinerja.registry.load import load_registry
from support import SMALL_REGISTRY, dbt_build

pytestmark = pytest.mark.integration

METHOD = "contoh-kalimantan"
GROUP = "kalimantan"
PROVINCES = ("61", "62", "63", "64", "65")
LATE_MEMBER, JOINS_ON = "prov-65", date(2026, 10, 12)
PLATFORMS = ("instagram", "x")
FIRST_DAY = date(2026, 9, 28)  # a Monday: three ISO weeks, the first across a month's end
DAYS = [FIRST_DAY + timedelta(days=i) for i in range(21)]
WEIGHTS = {"activity": 2, "followers": 1, "engagement": 3, "responsiveness": 2}
MIN_COVERAGE = 0.8

METHOD_ROW = {
    "methodology_version": METHOD,
    "period": "week",
    "normalisation": "min_max",
    "account_weighting": "equal",
    "aggregation": "arithmetic",
    "min_coverage": str(MIN_COVERAGE),
    "rank_within": GROUP,
    "published_on": "2026-12-05",
    "description": "A weekly method ranked among the Kalimantan provinces (test of a method defined by seeds alone).",
}
FEATURE_ROWS = [
    # component, feature, metrics, zero_when_missing, aggregation, per, missing
    ("activity", "posts_in_week", "posts", "", "sum", "", "no_value"),
    ("followers", "followers_mean", "followers", "", "mean", "", "no_value"),
    ("engagement", "likes_comments_per_post", "likes + comments", "", "sum", "post", "no_value"),
    ("responsiveness", "reply_rate_or_zero", "replies", "", "sum", "comment", "zero"),
]


def _append_csv(path: Path, rows: list[dict]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=header, lineterminator="\n").writerows(rows)


def _seeds_only_project(tmp_path: Path) -> Path:
    """A copy of the dbt project with the method added to its seeds; its models untouched."""
    project = tmp_path / "dbt_project"
    shutil.copytree(
        config.dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    seeds = project / "seeds"
    _append_csv(seeds / "ikms_methods.csv", [METHOD_ROW])
    _append_csv(
        seeds / "ikms_features.csv",
        [
            {
                "methodology_version": METHOD,
                "component": component,
                "feature": feature,
                "metrics": metrics,
                "zero_when_missing": zero,
                "aggregation": aggregation,
                "per": per,
                "missing": missing,
                "direction": "higher_is_better",
                "normalise_within": "peer_group",
            }
            for component, feature, metrics, zero, aggregation, per, missing in FEATURE_ROWS
        ],
    )
    _append_csv(
        seeds / "ikms_weights.csv",
        [{"methodology_version": METHOD, "component": c, "weight": str(w)} for c, w in WEIGHTS.items()],
    )
    return project


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _registry(tmp_path: Path) -> tuple[Path, list[dict]]:
    """The small registry plus the five Kalimantan provinces, an Instagram and an X account each, and the group."""
    registry = tmp_path / "registry"
    shutil.copytree(SMALL_REGISTRY, registry)
    shipped = (
        config.PROJECT_ROOT / "plugins" / "kinerja" / "registry" / "data" / "regions_kepmendagri2025.csv"
    )
    with shipped.open(newline="", encoding="utf-8-sig") as handle:
        lines = [line for line in handle.read().splitlines() if line.split(",")[1] in PROVINCES]
    with (registry / "regions_kepmendagri2025.csv").open("a", newline="", encoding="utf-8") as handle:
        handle.write("".join(line + "\r\n" for line in lines))
    accounts = [
        {
            "account_id": f"prov-{code}-{platform}",
            "institution_id": f"prov-{code}",
            "platform": platform,
            "handle": demo_handle(f"prov-{code}", platform),
            "platform_account_id": demo_platform_account_id(f"prov-{code}", platform),
            "verified_on": "",
            "valid_from": "2022-01-01",
            "valid_to": "",
            "is_demo": "true",
        }
        for code in PROVINCES
        for platform in PLATFORMS
    ]
    _append_csv(registry / "accounts.csv", accounts)
    (registry / "comparison_groups.csv").write_text(
        "group_id,group_name,institution_id,valid_from,valid_to\n"
        + "".join(
            f"{GROUP},Provinsi di Kalimantan,prov-{code},"
            f"{JOINS_ON if f'prov-{code}' == LATE_MEMBER else ''},\n"
            for code in PROVINCES
        ),
        encoding="utf-8",
    )
    return registry, accounts


def _history(accounts: list[dict]) -> list[dict]:
    """Three weeks of account days from "another system": no shares column, a week without comments,
    likes not recorded on some days, and an account missing two days of the last week."""
    rng = random.Random(17)
    rows = []
    for number, account in enumerate(accounts):
        followers = 1000 * (number + 1)
        for day in DAYS:
            if account["account_id"] == "prov-63-instagram" and day in (DAYS[15], DAYS[16]):
                continue  # 5 of 7 days: below the method's coverage that week
            followers += rng.randint(-3, 25)
            posts = rng.randint(0, 3)
            comments = rng.randint(0, 12)
            if account["account_id"] == "prov-62-x" and DAYS[7] <= day <= DAYS[13]:
                comments = 0  # no comments all week: reply rate 0, not missing
            replies = rng.randint(0, comments)
            rows.append(
                {
                    "platform": account["platform"],
                    "account_id": account["account_id"],
                    "metric_date": day.isoformat(),
                    "followers": followers,
                    "posts": posts,
                    "likes": None if rng.random() < 0.1 else rng.randint(0, 40) * posts,
                    "comments": comments,
                    "replies": replies,
                    "replies_24h": rng.randint(0, replies),
                }
            )
    return rows


def _expected_scores(history: pd.DataFrame, accounts: list[dict]) -> pd.DataFrame:
    """The method written out by hand from its description, from the imported file."""
    days = history.copy()
    days["metric_date"] = pd.to_datetime(days["metric_date"])
    days["week"] = days["metric_date"] - pd.to_timedelta(days["metric_date"].dt.weekday, unit="D")
    owner = {a["account_id"]: a["institution_id"] for a in accounts}
    days["institution_id"] = days["account_id"].map(owner)
    days["engagement"] = days["likes"] + days["comments"]  # no value when likes were not recorded
    weeks = days.groupby(["week", "account_id", "institution_id", "platform"]).agg(
        days_reported=("metric_date", "size"),
        activity=("posts", lambda s: s.sum(min_count=1)),
        followers=("followers", "mean"),
        engagement=("engagement", lambda s: s.sum(min_count=1)),
        posts=("posts", "sum"),
        replies=("replies", "sum"),
        comments=("comments", "sum"),
    )
    weeks = weeks.reset_index()
    weeks["engagement"] = (weeks["engagement"] / weeks["posts"]).where(weeks["posts"] > 0)
    weeks["responsiveness"] = (weeks["replies"] / weeks["comments"]).where(weeks["comments"] > 0).fillna(0.0)
    # the group: members at the week's end; accounts covering the week
    week_end = weeks["week"] + pd.Timedelta(days=6)
    member = (weeks["institution_id"] != LATE_MEMBER) | (week_end >= pd.Timestamp(JOINS_ON))
    weeks = weeks[member & (weeks["days_reported"] / 7 >= MIN_COVERAGE)]
    scored = weeks[["week", "institution_id"]].copy()
    for component in WEIGHTS:
        value = weeks[component]
        group = value.groupby([weeks["week"], weeks["platform"]])
        low, high = group.transform("min"), group.transform("max")
        share_of_best = (100 * value.clip(lower=0) / high).where(high > 0, 0.0)
        min_max = 100 * (value - low) / (high - low)
        scored[component] = min_max.where(high != low, share_of_best).where(value.notna())
    components = scored.groupby(["week", "institution_id"]).mean()  # accounts count equally
    weights = pd.Series(WEIGHTS)
    ikms = components.mul(weights).sum(axis=1, min_count=1) / components.notna().mul(weights).sum(axis=1)
    expected = ikms.rename("ikms").dropna().reset_index()
    expected["rank"] = (
        expected.groupby("week")["ikms"].transform(lambda s: s.round(2).rank(method="min", ascending=False))
    ).astype(int)
    expected["week"] = expected["week"].dt.date
    return expected.set_index(["week", "institution_id"])


def test_a_weekly_method_defined_by_seeds_alone_matches_pandas(conn, warehouse, tmp_path, monkeypatch):
    registry, accounts = _registry(tmp_path)
    load_registry(conn, registry)
    project = _seeds_only_project(tmp_path)
    assert _tree_digest(project / "models") == _tree_digest(config.dbt_project_dir() / "models")
    assert _tree_digest(project / "macros") == _tree_digest(config.dbt_project_dir() / "macros")

    rows = _history(accounts)
    history_file = tmp_path / "history.csv"
    with history_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)  # None: an empty cell, no value
    history = pd.DataFrame(rows)
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_IMPORT_ARCHIVE", str(tmp_path / "imports"))
    result = CliRunner().invoke(app, ["import", str(history_file)])
    assert result.exit_code == 0, result.output
    assert "landed in 2 batches" in result.output  # September's days and October's
    batches = conn.execute(
        "select source, status, rows_in, rows_rejected from raw.batch_ledger order by data_day"
    ).fetchall()
    assert batches == [("import", "accepted", 30, 0), ("import", "accepted", len(history) - 30, 0)]

    monkeypatch.setenv("KINERJA_DBT_PROJECT_DIR", str(project))
    built = dbt_build(
        warehouse,
        "--select",
        "+rpt_institution_scores_by_period",
        "--vars",
        json.dumps({"ikms_methods": [METHOD]}),
        "--target-path",
        str(tmp_path / "dbt_target"),
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:]

    cursor = conn.execute(
        "select period_start as week, institution_id, ikms, rank_in_comparison_group as rank, comparison_group,"
        " period from build_reports.rpt_institution_scores_by_period where methodology_version = %s",
        [METHOD],
    )
    computed = pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    assert set(computed["comparison_group"]) == {GROUP} and set(computed["period"]) == {"week"}
    computed = computed.set_index(["week", "institution_id"])
    expected = _expected_scores(history, accounts)

    # four provinces the first two weeks (the fifth joins in the third); Bali is outside the group
    assert sorted(expected.index) == sorted(computed.index)
    assert expected.groupby(level="week").size().tolist() == [4, 4, 5]
    difference = (computed["ikms"] - expected["ikms"].reindex(computed.index)).abs()
    assert difference.max() < 1e-9, difference.sort_values().tail()
    assert (computed["rank"] == expected["rank"].reindex(computed.index)).all()
