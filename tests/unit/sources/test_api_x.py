"""X API v2 connector against the local fake server (no network)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from fakeplatforms import FakeClock, FakePlatform, Reply, fixture
from kinerja.sources.api.x import XClient, XSource

DATA_DAY = date(2026, 10, 5)
NOW = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)  # 17:00 WIB on the 6th
ACEH, DENPASAR, GONE = "3207051532202598", "3207051532202599", "3207051532209999"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAkinerjaTestBearer"


def account(account_id: str, user_id: str) -> dict:
    return {"account_id": account_id, "platform": "x", "handle": account_id, "platform_account_id": user_id}


ACCOUNTS = [account("prov-11-x", ACEH), account("kota-5171-x", DENPASAR)]


@pytest.fixture
def server():
    with FakePlatform() as fake:
        fake.on("/2/users", fixture("x", "users_lookup"))
        fake.on("/2/users/*", {"data": [], "meta": {"result_count": 0}})
        fake.on(f"/2/users/{ACEH}/tweets", fixture("x", "user_tweets_1"))
        fake.on(
            f"/2/users/{ACEH}/tweets", fixture("x", "user_tweets_2"), when=lambda q: "pagination_token" in q
        )
        yield fake


@pytest.fixture
def clock():
    return FakeClock(NOW)


def x_source(server, clock, environ=None, **options) -> XSource:
    client = XClient(server.base_url, clock=clock, sleep=clock.sleep)
    environ = {"KINERJA_TOKEN_X": TOKEN} if environ is None else environ
    return XSource(client, environ=environ, connection_lookup=lambda conn_id: None, **options)


def test_followers_and_posts_of_the_data_day_on_jakarta_days(server, clock):
    harvest = x_source(server, clock).harvest(DATA_DAY, ACCOUNTS, 1)

    assert harvest.problems == []
    records = {record["account_id"]: record for record in harvest.account_days}
    assert records["prov-11-x"]["metric_date"] == DATA_DAY
    assert records["prov-11-x"]["followers"] == 48210
    # 18:00 UTC on the 4th is 01:00 WIB on the 5th
    assert records["prov-11-x"]["posts"] == 2
    assert records["kota-5171-x"]["posts"] == 0 and records["kota-5171-x"]["followers"] == 12005
    assert (
        records["prov-11-x"]["reach"] is None and records["prov-11-x"]["no_value"]["reach"] == "not_reported"
    )


def test_user_tweets_follow_next_token_and_sum_shares(server, clock):
    harvest = x_source(server, clock).harvest(DATA_DAY, ACCOUNTS, 1)

    pages = server.requests_to(f"/2/users/{ACEH}/tweets")
    assert [page.query.get("pagination_token") for page in pages] == [
        None,
        "7140dibdnow9c7btw421dyz6jism75z99gyxd8egarsc4",
    ]
    assert pages[0].query["start_time"] == "2026-10-03T17:00:00Z"  # 4 October 00:00 WIB
    posts = {post["post_id"]: post for post in harvest.posts}
    assert set(posts) == {"1975000000000000001", "1975000000000000002", "1975000000000000003"}
    assert posts["1975000000000000003"]["shares"] == 14 and posts["1975000000000000003"]["views"] == 4200
    assert posts["1975000000000000003"]["as_of_date"] == date(2026, 10, 6)


def test_lookup_is_batched_by_100_ids_within_the_15_minute_budget(server, clock):
    many = [account(f"acct-{n:03d}", f"{9000000000 + n}") for n in range(150)]
    users = {
        "data": [{"id": a["platform_account_id"], "public_metrics": {"followers_count": 1}} for a in many]
    }
    server.on("/2/users", users)
    harvest = x_source(server, clock, lookup_limit=1).harvest(DATA_DAY, many, 0)

    lookups = server.requests_to("/2/users")
    assert [len(seen.query["ids"].split(",")) for seen in lookups] == [100, 50]
    assert clock.waits == [900]  # a budget of one lookup per 15 minutes: the second batch waits
    assert len(harvest.account_days) == 150


def test_429_waits_until_x_rate_limit_reset(server, clock):
    reset = int(NOW.timestamp()) + 95
    server.on(
        "/2/users",
        Reply(429, fixture("x", "error_429"), {"x-rate-limit-reset": str(reset)}),
        fixture("x", "users_lookup"),
    )
    harvest = x_source(server, clock).harvest(DATA_DAY, ACCOUNTS, 0)

    assert clock.waits == [95]
    assert harvest.problems == [] and len(harvest.account_days) == 2


def test_spent_window_rests_until_reset_before_the_next_call(server, clock):
    reset = int(NOW.timestamp()) + 300
    spent = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    server.on("/2/users", Reply(200, fixture("x", "users_lookup"), spent))
    x_source(server, clock).harvest(DATA_DAY, ACCOUNTS, 0)

    assert clock.waits == [300]


def test_rejected_token_is_a_problem_of_its_accounts_only(server, clock):
    environ = {"KINERJA_TOKEN_X": TOKEN, "KINERJA_TOKEN_X_KOTA_5171_X": "revoked-bearer"}
    server.reject_token("revoked-bearer", Reply(401, fixture("x", "error_401")))
    harvest = x_source(server, clock, environ).harvest(DATA_DAY, ACCOUNTS, 0)

    assert [record["account_id"] for record in harvest.account_days] == ["prov-11-x"]
    [problem] = harvest.problems
    assert problem.account_id == "kota-5171-x" and problem.kind == "token_expired"
    assert "KINERJA_TOKEN_X_KOTA_5171_X" in problem.message and "revoked-bearer" not in problem.message


def test_unknown_user_is_named_and_the_others_land(server, clock):
    harvest = x_source(server, clock).harvest(DATA_DAY, [*ACCOUNTS, account("kab-gone-x", GONE)], 0)

    [problem] = harvest.problems
    assert (problem.account_id, problem.kind) == ("kab-gone-x", "not_found")
    assert len(harvest.account_days) == 2


def test_second_harvest_pulls_restated_counts_of_an_earlier_day(server, clock):
    source = x_source(server, clock)
    first = {post["post_id"]: post for post in source.harvest(DATA_DAY, ACCOUNTS, 1).posts}
    later = fixture("x", "user_tweets_2")
    later["data"][0]["public_metrics"]["like_count"] = 70
    server.on(f"/2/users/{ACEH}/tweets", later, when=lambda q: "pagination_token" in q)
    second = {post["post_id"]: post for post in source.harvest(DATA_DAY, ACCOUNTS, 1).posts}

    assert first["1975000000000000001"]["likes"] == 7
    assert second["1975000000000000001"]["likes"] == 70


def test_no_citizen_handle_text_or_token_in_the_harvest(server, clock):
    harvest = x_source(server, clock).harvest(DATA_DAY, ACCOUNTS, 1)

    everything = json.dumps(
        [harvest.account_days, harvest.posts, harvest.problems, harvest.payloads], default=repr
    )
    for personal in ("@warga_aceh_demo", "@budi_warga_demo", "SIM keliling", "Terima kasih"):
        assert personal not in everything
    assert TOKEN not in everything
    assert {seen.path.split("/")[-1] for seen in server.requests} <= {"users", "tweets"}
