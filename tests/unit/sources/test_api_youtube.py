"""YouTube Data API and Analytics connector against the local fake server (no network)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from fakeplatforms import FakeClock, FakePlatform, Reply, fixture
from kinerja.sources.api.youtube import YouTubeClient, YouTubeSource, next_quota_reset

DATA_DAY = date(2026, 10, 5)
NOW = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)  # 03:00 PDT on the 6th
ACEH, DENPASAR = "UCdemoProv11aaaaaaaaaaaa", "UCdemoKota5171bbbbbbbbbbb"
TOKEN = "ya29.kinerjaTestOAuthToken"


def account(account_id: str, channel: str) -> dict:
    return {
        "account_id": account_id,
        "platform": "youtube",
        "handle": account_id,
        "platform_account_id": channel,
    }


ACCOUNTS = [account("prov-11-yt", ACEH), account("kota-5171-yt", DENPASAR)]


def is_channel(channel):
    return lambda query: query.get("id") == channel or query.get("ids") == f"channel=={channel}"


@pytest.fixture
def server():
    with FakePlatform() as fake:
        fake.on("/youtube/v3/channels", fixture("youtube", "channels"))
        fake.on("/youtube/v3/channels", fixture("youtube", "channels_hidden"), when=is_channel(DENPASAR))
        fake.on("/v2/reports", fixture("youtube", "analytics_report"))
        fake.on("/v2/reports", Reply(403, fixture("youtube", "error_forbidden")), when=is_channel(DENPASAR))
        yield fake


@pytest.fixture
def clock():
    return FakeClock(NOW)


def youtube(server, clock, environ=None) -> YouTubeSource:
    client = YouTubeClient(server.base_url, clock=clock, sleep=clock.sleep)
    environ = {"KINERJA_TOKEN_YOUTUBE": TOKEN} if environ is None else environ
    return YouTubeSource(client, environ=environ, connection_lookup=lambda conn_id: None)


def records_of(harvest, account_id):
    return {r["metric_date"]: r for r in harvest.account_days if r["account_id"] == account_id}


def test_analytics_days_and_subscribers_of_the_data_day(server, clock):
    harvest = youtube(server, clock).harvest(DATA_DAY, ACCOUNTS, 2)

    assert harvest.problems == []
    aceh = records_of(harvest, "prov-11-yt")
    assert sorted(aceh) == [date(2026, 10, 3), date(2026, 10, 4), DATA_DAY]
    assert aceh[date(2026, 10, 4)]["views"] == 1350 and aceh[date(2026, 10, 4)]["shares"] == 4
    assert aceh[DATA_DAY]["followers"] == 24300
    # Analytics has no row for the 5th yet: not yet available, never 0
    assert aceh[DATA_DAY]["views"] is None and aceh[DATA_DAY]["no_value"]["views"] == "not_yet_available"


def test_hidden_subscribers_and_analytics_not_granted(server, clock):
    harvest = youtube(server, clock).harvest(DATA_DAY, ACCOUNTS, 2)

    denpasar = records_of(harvest, "kota-5171-yt")
    assert list(denpasar) == [DATA_DAY]  # without Analytics only the level of the data day exists
    assert denpasar[DATA_DAY]["followers"] is None
    assert denpasar[DATA_DAY]["no_value"]["followers"] == "hidden"
    assert denpasar[DATA_DAY]["no_value"]["views"] == "not_granted"


def test_quota_exhausted_stops_the_harvest_with_one_platform_problem(server, clock):
    server.on("/youtube/v3/channels", Reply(403, fixture("youtube", "error_quota")))
    harvest = youtube(server, clock).harvest(DATA_DAY, ACCOUNTS, 2)

    [problem] = harvest.problems
    assert problem.account_id is None and problem.kind == "quota_exhausted"
    assert problem.retry_after == datetime(2026, 10, 7, 7, 0, tzinfo=UTC)  # midnight PDT
    assert len(server.requests) == 1 and clock.waits == []  # no retry loop, no second account
    assert harvest.account_days == []


def test_next_quota_reset_is_midnight_pacific_across_daylight_saving():
    assert next_quota_reset(datetime(2026, 11, 1, 12, 0, tzinfo=UTC)) == datetime(
        2026, 11, 2, 8, 0, tzinfo=UTC
    )


def test_rate_limited_reason_backs_off_and_retries(server, clock):
    throttled = fixture("youtube", "error_quota")
    throttled["error"]["errors"][0]["reason"] = "rateLimitExceeded"
    server.on(
        "/youtube/v3/channels", Reply(403, throttled), fixture("youtube", "channels"), when=is_channel(ACEH)
    )
    harvest = youtube(server, clock).harvest(DATA_DAY, ACCOUNTS[:1], 0)

    assert clock.waits == [30] and harvest.problems == []


def test_expired_token_is_named_and_the_other_channel_lands(server, clock):
    environ = {"KINERJA_TOKEN_YOUTUBE": TOKEN, "KINERJA_TOKEN_YOUTUBE_PROV_11_YT": "ya29.expired"}
    server.reject_token("ya29.expired", Reply(401, fixture("youtube", "error_401")))
    harvest = youtube(server, clock, environ).harvest(DATA_DAY, ACCOUNTS, 0)

    [problem] = harvest.problems
    assert (problem.account_id, problem.kind) == ("prov-11-yt", "token_expired")
    assert "KINERJA_TOKEN_YOUTUBE_PROV_11_YT" in problem.message and "ya29.expired" not in problem.message
    assert {r["account_id"] for r in harvest.account_days} == {"kota-5171-yt"}


def test_restated_analytics_replace_the_earlier_day(server, clock):
    source = youtube(server, clock)
    first = records_of(source.harvest(DATA_DAY, ACCOUNTS, 2), "prov-11-yt")
    restated = fixture("youtube", "analytics_report")
    restated["rows"][0][1] = 1999
    server.on("/v2/reports", restated, when=is_channel(ACEH))
    second = records_of(source.harvest(DATA_DAY, ACCOUNTS, 2), "prov-11-yt")

    assert first[date(2026, 10, 3)]["views"] == 1200 and second[date(2026, 10, 3)]["views"] == 1999


def test_no_token_and_no_personal_data_in_the_harvest(server, clock):
    harvest = youtube(server, clock).harvest(DATA_DAY, ACCOUNTS, 2)

    everything = json.dumps(
        [harvest.account_days, harvest.posts, harvest.problems, harvest.payloads], default=repr
    )
    assert TOKEN not in everything
    # only channel statistics and channel reports are read: no comment threads, no viewers
    assert {seen.path for seen in server.requests} == {"/youtube/v3/channels", "/v2/reports"}
    assert all(seen.headers["authorization"] == f"Bearer {TOKEN}" for seen in server.requests)
