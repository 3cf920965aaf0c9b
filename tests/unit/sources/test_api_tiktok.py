"""TikTok Display API connector against the local fake server (no network)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from fakeplatforms import FakeClock, FakePlatform, Reply, fixture
from kinerja.sources.api.tiktok import TikTokClient, TikTokSource

DATA_DAY = date(2026, 10, 5)
NOW = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)  # 17:00 WIB on the 6th
OPEN_ID = "-000demoOpenIdProv11"
ACEH = {
    "account_id": "prov-11-tt",
    "platform": "tiktok",
    "handle": "demo_prov11_tt",
    "platform_account_id": OPEN_ID,
}
BALI = {
    "account_id": "prov-51-tt",
    "platform": "tiktok",
    "handle": "demo_prov51_tt",
    "platform_account_id": "-000other",
}
ENV = {
    "KINERJA_TOKEN_TIKTOK_PROV_11_TT": "act.kinerjaTestAceh",
    "KINERJA_TOKEN_TIKTOK_PROV_51_TT": "act.kinerjaTestBali",
}


@pytest.fixture
def server():
    with FakePlatform() as fake:
        fake.on("/v2/user/info/", fixture("tiktok", "user_info"))
        yield fake


@pytest.fixture
def clock():
    return FakeClock(NOW)


def tiktok(server, clock, environ=ENV) -> TikTokSource:
    client = TikTokClient(server.base_url, clock=clock, sleep=clock.sleep)
    return TikTokSource(client, environ=environ, connection_lookup=lambda conn_id: None)


@pytest.fixture
def paging_server(server):
    """The video list answers page 2 to a request whose JSON body carries page 1's cursor."""
    real = server.answer

    def answer(method, path, query, headers, body):
        if path == "/v2/video/list/":
            real(method, path, query, headers, body)  # record the request
            page = "video_list_2" if body and "cursor" in body else "video_list_1"
            return Reply(200, server.pages.get(page) or fixture("tiktok", page))
        return real(method, path, query, headers, body)

    server.pages = {}
    server.answer = answer
    return server


def test_followers_and_videos_of_the_window_on_jakarta_days(paging_server, clock):
    harvest = tiktok(paging_server, clock).harvest(DATA_DAY, [ACEH], 1)

    assert harvest.problems == []
    [record] = harvest.account_days
    assert (record["metric_date"], record["followers"]) == (DATA_DAY, 30150)
    assert record["posts"] == 2  # 20:00 UTC on the 4th is 03:00 WIB on the 5th
    posts = {post["post_id"]: post for post in harvest.posts}
    assert set(posts) == {"730000000000000003", "730000000000000002", "730000000000000001"}
    assert posts["730000000000000003"]["views"] == 15000 and posts["730000000000000003"]["shares"] == 25


def test_video_list_follows_the_cursor_and_stops_before_the_window(paging_server, clock):
    tiktok(paging_server, clock).harvest(DATA_DAY, [ACEH], 1)

    pages = paging_server.requests_to("/v2/video/list/")
    assert [page.body.get("cursor") for page in pages] == [
        None,
        int(datetime(2026, 10, 4, 20, tzinfo=UTC).timestamp()) * 1000,
    ]
    assert pages[0].body["max_count"] == 20  # page 2 reached 28 September: no third page


def test_rate_limit_waits_a_sliding_minute(paging_server, clock):
    paging_server.on(
        "/v2/user/info/", Reply(429, fixture("tiktok", "error_rate_limit")), fixture("tiktok", "user_info")
    )
    harvest = tiktok(paging_server, clock).harvest(DATA_DAY, [ACEH], 0)

    assert clock.waits == [60] and harvest.problems == []


def test_invalid_token_is_a_problem_of_that_account_only(paging_server, clock):
    paging_server.reject_token("act.kinerjaTestBali", Reply(401, fixture("tiktok", "error_token")))
    harvest = tiktok(paging_server, clock).harvest(DATA_DAY, [BALI, ACEH], 0)

    [problem] = harvest.problems
    assert (problem.account_id, problem.kind) == ("prov-51-tt", "token_expired")
    assert (
        "KINERJA_TOKEN_TIKTOK_PROV_51_TT" in problem.message and "act.kinerjaTestBali" not in problem.message
    )
    assert [record["account_id"] for record in harvest.account_days] == ["prov-11-tt"]


def test_token_of_another_account_is_refused(paging_server, clock):
    environ = {"KINERJA_TOKEN_TIKTOK": "act.kinerjaTestAceh"}
    harvest = tiktok(paging_server, clock, environ).harvest(DATA_DAY, [BALI], 0)

    [problem] = harvest.problems
    assert problem.kind == "token_wrong_account" and "another TikTok account" in problem.message
    assert "env KINERJA_TOKEN_TIKTOK" in problem.message
    assert harvest.account_days == [] and harvest.posts == []


def test_restated_video_counts_in_the_next_harvest(paging_server, clock):
    source = tiktok(paging_server, clock)
    first = {p["post_id"]: p for p in source.harvest(DATA_DAY, [ACEH], 1).posts}
    restated = fixture("tiktok", "video_list_2")
    restated["data"]["videos"][0]["view_count"] = 6400
    paging_server.pages["video_list_2"] = restated
    second = {p["post_id"]: p for p in source.harvest(DATA_DAY, [ACEH], 1).posts}

    assert first["730000000000000001"]["views"] == 5000 and second["730000000000000001"]["views"] == 6400


def test_no_token_and_no_personal_data_in_the_harvest(paging_server, clock):
    harvest = tiktok(paging_server, clock).harvest(DATA_DAY, [ACEH], 1)

    everything = json.dumps(
        [harvest.account_days, harvest.posts, harvest.problems, harvest.payloads], default=repr
    )
    assert "act.kinerjaTestAceh" not in everything
    # only the account's own profile counts and videos are read: no comments, no viewers
    assert {seen.path for seen in paging_server.requests} == {"/v2/user/info/", "/v2/video/list/"}
