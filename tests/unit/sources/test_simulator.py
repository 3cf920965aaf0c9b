"""The simulator: deterministic in any process, with the shapes real accounts have, and each
reality (crisis, silence, late data, restatements, missing values) doing what it says."""

from __future__ import annotations

import hashlib
import itertools
import json
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from kinerja.registry.history import VALID_FROM, VALID_TO
from kinerja.sources import CANONICAL_FIELDS, METRIC_FIELDS, simulator
from kinerja.sources.base import POST_FIELDS, NoValue, metric_day
from kinerja.sources.simulator import Realities, SimulatorSource

DAY = date(2026, 10, 14)
PLATFORMS = ("instagram", "facebook", "x", "youtube", "tiktok")


def _digest(records) -> str:
    return hashlib.sha256(json.dumps(list(records), default=str, sort_keys=True).encode()).hexdigest()


def _accounts(count: int, since: date = date(2022, 1, 1)) -> list[dict]:
    """Registry rows of `count` accounts, the platforms in turn, valid since `since`."""
    return [
        {
            "account_id": f"acct-{i}",
            "institution_id": f"inst-{i // 5}",
            "platform": PLATFORMS[i % 5],
            VALID_FROM: since,
            VALID_TO: None,
        }
        for i in range(count)
    ]


def _values(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "no_value"}


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
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout.strip()
    assert here == there


def test_a_national_harvest_is_the_same_in_a_separate_process():
    accounts = _accounts(60)
    harvest = SimulatorSource(Realities.national()).harvest(DAY, accounts, trailing_days=2)
    here = _digest([harvest.account_days, harvest.posts, [p.message for p in harvest.problems]])
    code = (
        "import hashlib, json; from datetime import date;"
        "from kinerja.registry.history import VALID_FROM, VALID_TO;"
        "from kinerja.sources.simulator import Realities, SimulatorSource;"
        "p = ('instagram', 'facebook', 'x', 'youtube', 'tiktok');"
        "a = [{'account_id': f'acct-{i}', 'institution_id': f'inst-{i // 5}', 'platform': p[i % 5],"
        " VALID_FROM: date(2022, 1, 1), VALID_TO: None} for i in range(60)];"
        "h = SimulatorSource(Realities.national()).harvest(date(2026, 10, 14), a, trailing_days=2);"
        "r = [h.account_days, h.posts, [x.message for x in h.problems]];"
        "print(hashlib.sha256(json.dumps(r, default=str, sort_keys=True).encode()).hexdigest())"
    )
    there = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "54321", "PATH": ""},
    ).stdout.strip()
    assert here == there


def test_records_have_the_canonical_shape(small_accounts):
    records = list(simulator.simulate_day(small_accounts, DAY))
    assert len(records) == len({a["account_id"] for a in small_accounts})
    assert all(tuple(r) == CANONICAL_FIELDS for r in records)
    # platforms without reach or saves report "no value", never 0
    assert all(r["reach"] is None for r in records if r["platform"] in ("x", "youtube"))
    assert all(r["saves"] is None for r in records if r["platform"] in ("facebook", "youtube", "tiktok"))
    assert all(r["replies_24h"] <= r["replies"] <= r["comments"] for r in records)


def test_followers_are_heavy_tailed():
    followers = [
        simulator.simulate_account_day(f"acct-{i}", "instagram", DAY)["followers"] for i in range(2000)
    ]
    median = statistics.median(followers)
    assert max(followers) > 30 * median
    assert statistics.mean(followers) > 1.5 * median


def test_weekly_rhythm_and_days_without_posts():
    days = [date(2026, 9, 7) + timedelta(days=i) for i in range(28)]  # four whole weeks from a Monday
    posts = {
        d: sum(simulator.simulate_account_day(f"acct-{i}", "facebook", d)["posts"] for i in range(300))
        for d in days
    }
    weekday = statistics.mean(v for d, v in posts.items() if d.weekday() < 5)
    weekend = statistics.mean(v for d, v in posts.items() if d.weekday() >= 5)
    assert weekend < 0.7 * weekday
    silent = sum(
        simulator.simulate_account_day(f"acct-{i}", "facebook", d)["posts"] == 0
        for i in range(100)
        for d in days[:7]
    )
    assert 0.1 < silent / 700 < 0.9


def test_an_account_is_only_simulated_while_active():
    accounts = [
        {
            "account_id": "a",
            "institution_id": "i",
            "platform": "x",
            VALID_FROM: date(2026, 10, 1),
            VALID_TO: date(2026, 10, 10),
        },
        {
            "account_id": "b",
            "institution_id": "i",
            "platform": "x",
            VALID_FROM: date(2026, 10, 12),
            VALID_TO: None,
        },
    ]
    assert [r["account_id"] for r in simulator.simulate_day(accounts, date(2026, 10, 11))] == []
    assert [r["account_id"] for r in simulator.simulate_day(accounts, date(2026, 10, 12))] == ["b"]
    harvest = SimulatorSource().harvest(date(2026, 10, 12), accounts, trailing_days=2)
    assert [(r["account_id"], r["metric_date"].day) for r in harvest.account_days] == [("a", 10), ("b", 12)]


def test_a_shared_account_is_harvested_once():
    row = {"account_id": "shared", "platform": "instagram", VALID_FROM: date(2022, 1, 1), VALID_TO: None}
    accounts = [{**row, "institution_id": "prov-51"}, {**row, "institution_id": "kab-5171"}]
    assert len(list(simulator.simulate_day(accounts, DAY))) == 1
    assert len(SimulatorSource().harvest(DAY, accounts).account_days) == 1


# --- the Source interface -------------------------------------------------------------------


def _as_pulled(record: dict, pulled_on: date) -> dict:
    """A simulated day as a pull on `pulled_on` shows it: levels seen only now are not observed before."""
    if record["platform"] in simulator.LEVEL_NOW_PLATFORMS and record["metric_date"] < pulled_on:
        return {**record, "followers": None}
    return record


def test_without_realities_a_harvest_gives_the_simulated_days():
    accounts = _accounts(50)
    harvest = SimulatorSource(Realities.none()).harvest(DAY, accounts, trailing_days=2)
    window = (DAY - timedelta(days=2), DAY - timedelta(days=1), DAY)
    expected = [_as_pulled(r, DAY) for d in window for r in simulator.simulate_day(accounts, d)]
    assert [_values(r) for r in harvest.account_days] == expected
    assert harvest.problems == []


def test_follower_levels_of_x_tiktok_and_youtube_are_seen_only_on_their_day():
    harvest = SimulatorSource().harvest(DAY, _accounts(50), trailing_days=1)
    for r in harvest.account_days:
        unseen = r["platform"] in ("x", "tiktok", "youtube") and r["metric_date"] < DAY
        assert (r["followers"] is None) == unseen
        assert (r["no_value"].get("followers") == NoValue.NOT_OBSERVED) == unseen


def test_account_days_are_canonical_with_a_reason_for_every_none():
    harvest = SimulatorSource(Realities.national()).harvest(DAY, _accounts(200), trailing_days=2)
    assert {tuple(r) for r in harvest.account_days} == {CANONICAL_FIELDS + ("no_value",)}
    for r in harvest.account_days:
        assert {k for k in METRIC_FIELDS if r[k] is None} == set(r["no_value"])
        if r["no_value"].get("followers") == NoValue.FETCH_FAILED:
            continue
        if r["platform"] in ("x", "youtube"):
            assert r["reach"] is None and r["no_value"]["reach"] == NoValue.NOT_REPORTED
        if "angry" in METRIC_FIELDS:
            assert (r["angry"] is not None) == (r["platform"] == "facebook")
            if r["platform"] != "facebook":
                assert r["no_value"]["angry"] == NoValue.NOT_REPORTED


@pytest.mark.parametrize("with_angry", [True, False])
def test_angry_is_given_only_when_the_warehouse_has_it(monkeypatch, with_angry):
    from kinerja.sources import base

    fields = tuple(f for f in METRIC_FIELDS if f != "angry")
    fields = fields[:8] + ("angry",) + fields[8:] if with_angry else fields
    monkeypatch.setattr(simulator, "METRIC_FIELDS", fields)
    monkeypatch.setattr(base, "METRIC_FIELDS", fields)
    harvest = SimulatorSource().harvest(DAY, _accounts(10))
    facebook = [r for r in harvest.account_days if r["platform"] == "facebook"]
    assert facebook and all(("angry" in r) == with_angry for r in facebook)
    assert all((r.get("angry") is not None) == with_angry for r in facebook)


def test_posts_agree_with_their_account_days():
    window = [DAY - timedelta(days=k) for k in (2, 1, 0)]
    harvest = SimulatorSource(Realities.none()).harvest(DAY, _accounts(100), trailing_days=2)
    assert harvest.posts and {tuple(p) for p in harvest.posts} == {POST_FIELDS + ("no_value",)}
    published: dict[tuple[str, date], set[str]] = defaultdict(set)
    snapshots: dict[str, list[dict]] = defaultdict(list)
    for post in harvest.posts:
        day = metric_day(post["platform"], post["published_at"])
        assert day in window and day <= post["as_of_date"] <= DAY
        published[post["account_id"], day].add(post["post_id"])
        snapshots[post["post_id"]].append(post)
        assert post["replies_24h"] <= post["replies"] <= post["comments"]
        assert (post["angry"] is None) == (post["platform"] != "facebook")
        assert (post["reach"] is None) == (post["platform"] in ("x", "youtube"))
        assert (post["reply_latency_median_s"] is None) == (post["replies"] == 0)
    for r in harvest.account_days:
        assert len(published[r["account_id"], r["metric_date"]]) == r["posts"]
    # one snapshot per post and window day from its publication on; lifetime totals never fall
    for post_id, snaps in snapshots.items():
        days = [s["as_of_date"] for s in snaps]
        first = metric_day(snaps[0]["platform"], snaps[0]["published_at"])
        assert days == [d for d in window if d >= first], post_id
        for earlier, later in itertools.pairwise(snaps):
            assert all(later[m] >= earlier[m] for m in ("views", "likes", "comments", "shares", "replies"))
    # the day's new posts draw most of the day's views, never more
    for r in harvest.account_days:
        own = [
            s
            for s in harvest.posts
            if s["account_id"] == r["account_id"] and s["as_of_date"] == r["metric_date"]
        ]
        first_day = [s for s in own if metric_day(s["platform"], s["published_at"]) == r["metric_date"]]
        assert sum(s["views"] for s in first_day) <= r["views"]
    assert Counter(p["post_type"] for p in harvest.posts if p["platform"] == "youtube").keys() <= {
        "video",
        "short",
    }


def test_a_harvest_without_posts():
    assert SimulatorSource(with_posts=False).harvest(DAY, _accounts(20), trailing_days=1).posts == []


# --- realities --------------------------------------------------------------------------------


def test_realities_are_chances():
    assert Realities.none() == Realities()
    assert all(v > 0 for v in vars(Realities.national()).values())
    with pytest.raises(ValueError, match="late_rate"):
        Realities(late_rate=1.5)


def test_a_crisis_stands_out_of_its_week():
    realities = Realities(crisis_rate=0.02)
    starts = 0
    for i in range(150):
        account_id, platform = f"acct-{i}", PLATFORMS[i % 5]
        for k in range(60):
            day = date(2026, 7, 1) + timedelta(days=k)
            crisis = simulator.crisis_on(account_id, day, realities)
            if (
                crisis is None
                or crisis.day_index
                or any(
                    simulator.crisis_on(account_id, day - timedelta(days=j), realities) for j in range(1, 8)
                )
            ):
                continue
            starts += 1
            week = [
                simulator.simulate_account_day(account_id, platform, day - timedelta(days=j), realities)
                for j in range(1, 8)
            ]
            today = simulator.simulate_account_day(account_id, platform, day, realities)
            calm = simulator.simulate_account_day(account_id, platform, day)
            comments = [r["comments"] for r in week]
            assert today["comments"] > statistics.mean(comments) + 2 * statistics.stdev(comments)
            assert today["comments"] > calm["comments"]
            if platform == "facebook":
                angry = [r["angry"] for r in week]
                assert today["angry"] > statistics.mean(angry) + 2 * statistics.stdev(angry)
            week_replies = sum(r["replies"] for r in week)
            if week_replies >= 5:  # the reply rate collapses
                assert today["replies"] / today["comments"] < 0.5 * week_replies / sum(comments)
    assert starts > 50
    # a crisis lasts days, fading, and is not there without the reality
    crisis = next(
        c for k in range(200) if (c := simulator.crisis_on("acct-7", DAY + timedelta(days=k), realities))
    )
    assert 2 <= crisis.length <= simulator.CRISIS_MAX_DAYS
    assert simulator.crisis_on("acct-7", crisis.start, Realities.none()) is None


def test_a_silent_account_stops_posting_for_weeks_but_reports_followers():
    realities = Realities(silent_rate=1.0)
    account = {
        "account_id": "acct-3",
        "institution_id": "i",
        "platform": "x",
        VALID_FROM: date(2022, 1, 1),
        VALID_TO: None,
    }
    days = [date(2026, 1, 1) + timedelta(days=k) for k in range(182)]
    silent = [d for d in days if simulator.silent_on("acct-3", d, realities)]
    assert len(silent) >= 14
    spell = [silent[0] + timedelta(days=k) for k in range(14)]
    assert all(simulator.silent_on("acct-3", d, realities) for d in spell)
    for day in spell:
        harvest = SimulatorSource(realities).harvest(day, [account])
        (record,) = harvest.account_days
        assert record["posts"] == 0 and record["followers"] > 0 and record["views"] is not None
        assert harvest.posts == []
    outside = [d for d in days if d not in silent]
    assert sum(simulator.simulate_account_day("acct-3", "x", d, realities)["posts"] for d in outside) > 0
    assert not any(simulator.silent_on("acct-3", d, Realities.none()) for d in days)


def test_late_data_is_missing_on_its_day_and_arrives_in_the_trailing_window():
    realities = Realities(late_rate=0.3)
    accounts = _accounts(100)
    on_time = SimulatorSource(realities).harvest(DAY, accounts)
    present = {r["account_id"] for r in on_time.account_days}
    late = [a["account_id"] for a in accounts if a["account_id"] not in present]
    assert 15 <= len(late) <= 45
    assert all(simulator.arrival_lag(a, DAY, realities) in (1, 2) for a in late)
    next_day = SimulatorSource(realities).harvest(DAY + timedelta(days=1), accounts, trailing_days=1)
    by_lag = {a: simulator.arrival_lag(a, DAY, realities) for a in late}
    arrived = {r["account_id"] for r in next_day.account_days if r["metric_date"] == DAY}
    assert {a for a, lag in by_lag.items() if lag == 1} <= arrived
    assert not {a for a, lag in by_lag.items() if lag == 2} & arrived
    later = SimulatorSource(realities).harvest(DAY + timedelta(days=2), accounts, trailing_days=2)
    final = {r["account_id"]: r for r in later.account_days if r["metric_date"] == DAY}
    assert set(late) <= set(final)
    truth = {
        r["account_id"]: _as_pulled(r, DAY + timedelta(days=2)) for r in simulator.simulate_day(accounts, DAY)
    }
    assert all(_values(final[a]) == truth[a] for a in late)


def test_a_restated_day_changes_between_the_first_pull_and_a_later_one():
    realities = Realities(restatement_rate=1.0)
    accounts = _accounts(50)
    first = SimulatorSource(realities).harvest(DAY, accounts)
    later = SimulatorSource(realities).harvest(DAY + timedelta(days=2), accounts, trailing_days=2)
    final = {r["account_id"]: r for r in later.account_days if r["metric_date"] == DAY}
    truth = {r["account_id"]: r for r in simulator.simulate_day(accounts, DAY)}
    restated = 0
    for record in first.account_days:
        account_id = record["account_id"]
        assert _values(final[account_id]) == _as_pulled(
            truth[account_id], DAY + timedelta(days=2)
        )  # final after 48 h
        if record["platform"] in ("facebook", "instagram", "youtube"):
            assert record["followers"] == truth[account_id]["followers"]
            assert record["views"] <= truth[account_id]["views"]
            restated += record["views"] != final[account_id]["views"]
        else:  # X and TikTok give lifetime counts: nothing to restate
            assert _values(record) == truth[account_id]
    assert restated >= 25


def test_missing_values_come_with_their_reasons():
    realities = Realities(missing_rate=1.0)
    harvest = SimulatorSource(realities).harvest(DAY, _accounts(100), trailing_days=1)
    # a fifth of the pulls fail: the account's day is None with the reason, and a problem says so
    failed = {p.account_id for p in harvest.problems}
    assert 10 <= len(failed) <= 35 and {p.kind for p in harvest.problems} == {"fetch_failed"}
    assert all(p.account_id in p.message and "trailing window" in p.message for p in harvest.problems)
    for record in harvest.account_days:
        if record["account_id"] in failed:
            assert record["metric_date"] == DAY
            assert set(record["no_value"]) == set(METRIC_FIELDS)
            assert set(record["no_value"].values()) == {NoValue.FETCH_FAILED}
    assert Counter(
        r["account_id"] for r in harvest.account_days if r["account_id"] in failed
    ) == dict.fromkeys(failed, 1)
    assert not {p["account_id"] for p in harvest.posts} & failed
    # a pull of another day succeeds for most of them
    assert (
        len(
            {
                p.account_id
                for p in SimulatorSource(realities).harvest(DAY + timedelta(days=1), _accounts(100)).problems
            }
            & failed
        )
        < len(failed) / 2
    )
    # YouTube channels that hide their subscriber count
    youtube = [
        r for r in harvest.account_days if r["platform"] == "youtube" and r["account_id"] not in failed
    ]
    assert youtube and all(
        r["followers"] is None and r["no_value"]["followers"] == NoValue.HIDDEN for r in youtube
    )
    assert all(r["views"] is not None for r in youtube)
    some = SimulatorSource(Realities(missing_rate=0.5)).harvest(DAY, _accounts(200)).account_days
    hidden = [r for r in some if r["no_value"].get("followers") == NoValue.HIDDEN]
    assert 0 < len(hidden) < len([r for r in some if r["platform"] == "youtube"])
    assert not [
        r for r in SimulatorSource().harvest(DAY, _accounts(50)).account_days if r["followers"] is None
    ]


def test_small_facebook_pages_get_no_insights():
    small = next(
        f"page-{i}"
        for i in range(20000)
        if simulator.simulate_account_day(f"page-{i}", "facebook", DAY)["followers"]
        < simulator.FACEBOOK_INSIGHTS_THRESHOLD
        and not simulator.pull_fails(f"page-{i}", DAY, Realities.national())
    )
    accounts = [
        {
            "account_id": small,
            "institution_id": "i",
            "platform": "facebook",
            VALID_FROM: date(2022, 1, 1),
            VALID_TO: None,
        }
    ]
    (record,) = SimulatorSource(Realities.national()).harvest(DAY, accounts).account_days
    assert record["views"] is None and record["reach"] is None
    assert record["no_value"]["views"] == record["no_value"]["reach"] == NoValue.BELOW_THRESHOLD
    assert record["followers"] is not None and record["likes"] is not None
    (plain,) = SimulatorSource(Realities.none()).harvest(DAY, accounts).account_days
    assert plain["views"] is not None
