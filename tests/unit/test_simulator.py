"""The simulator: deterministic in any process, with the shapes real accounts have."""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
from datetime import date, timedelta

from kinerja.sources import CANONICAL_FIELDS, simulator

DAY = date(2026, 10, 14)


def _digest(records) -> str:
    return hashlib.sha256(json.dumps(list(records), default=str, sort_keys=True).encode()).hexdigest()


def test_same_output_in_a_separate_process(small_accounts):
    here = _digest(simulator.simulate_day(small_accounts, DAY))
    code = (
        "import hashlib, json, sys; from datetime import date;"
        "from kinerja.registry.load import read_accounts; from kinerja.sources import simulator;"
        "records = simulator.simulate_day(read_accounts(__import__('pathlib').Path(sys.argv[1])), date(2026, 10, 14));"
        "print(hashlib.sha256(json.dumps(list(records), default=str, sort_keys=True).encode()).hexdigest())"
    )
    from support import SMALL_REGISTRY

    there = subprocess.run(
        [sys.executable, "-c", code, str(SMALL_REGISTRY)],
        capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout.strip()
    assert here == there


def test_records_have_the_canonical_shape(small_accounts):
    records = list(simulator.simulate_day(small_accounts, DAY))
    assert len(records) == len(small_accounts)
    assert all(tuple(r) == CANONICAL_FIELDS for r in records)
    # platforms without reach or saves report "no value", never 0
    assert all(r["reach"] is None for r in records if r["platform"] in ("x", "youtube"))
    assert all(r["saves"] is None for r in records if r["platform"] in ("facebook", "youtube", "tiktok"))
    assert all(r["replies_24h"] <= r["replies"] <= r["comments"] for r in records)


def test_followers_are_heavy_tailed():
    followers = [simulator.simulate_account_day(f"acct-{i}", "instagram", DAY)["followers"] for i in range(2000)]
    median = statistics.median(followers)
    assert max(followers) > 30 * median
    assert statistics.mean(followers) > 1.5 * median


def test_weekly_rhythm_and_days_without_posts():
    days = [date(2026, 9, 7) + timedelta(days=i) for i in range(28)]  # four whole weeks from a Monday
    posts = {d: sum(simulator.simulate_account_day(f"acct-{i}", "facebook", d)["posts"] for i in range(300)) for d in days}
    weekday = statistics.mean(v for d, v in posts.items() if d.weekday() < 5)
    weekend = statistics.mean(v for d, v in posts.items() if d.weekday() >= 5)
    assert weekend < 0.7 * weekday
    silent = sum(
        simulator.simulate_account_day(f"acct-{i}", "facebook", d)["posts"] == 0 for i in range(100) for d in days[:7]
    )
    assert 0.1 < silent / 700 < 0.9


def test_an_account_is_only_simulated_while_active():
    accounts = [
        {"account_id": "a", "platform": "x", "active_from": date(2026, 10, 1), "active_to": date(2026, 10, 10)},
        {"account_id": "b", "platform": "x", "active_from": date(2026, 10, 12), "active_to": None},
    ]
    assert [r["account_id"] for r in simulator.simulate_day(accounts, date(2026, 10, 11))] == []
    assert [r["account_id"] for r in simulator.simulate_day(accounts, date(2026, 10, 12))] == ["b"]
