"""Facebook and Instagram connectors against the local fake Graph API (no network)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from fakeplatforms import FakeClock, FakePlatform, Reply, fixture
from kinerja.sources.api.meta import FacebookSource, InstagramSource, MetaClient
from support import serve_instagram_user, serve_meta_page, serve_meta_post_comments

DATA_DAY = date(2026, 10, 5)
# 03:00 PDT on the 6th, 17:00 WIB: the run after Meta's 5 October closed
NOW = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)
PAGE_ID, IG_ID = "104000000000001", "17841400000000001"
FB_TOKEN, IG_TOKEN = "EAAGkinerjaTestTokenFB", "EAAGkinerjaTestTokenIG"
POST_A, POST_B, POST_C = (f"{PAGE_ID}_90000000000000{n}" for n in (1, 2, 0))
PERSONAL = [
    "Budi Santoso",
    "Rina Marlina",
    "Siti Rahayu",
    "Andi Wijaya",
    "Dewi Lestari",
    "5171010101010001",
    "Jalan di depan rumah",
    "vaksinasi",
    "Pelayanan lambat",
    "7000000000000901",
    "warga_kota_demo",
    "ibu_ani_1980",
    "17841499999999901",
    "Lampu jalan mati",
    "beasiswa",
]


def account(platform: str, account_id: str, platform_id: str) -> dict:
    handle = f"demo_{account_id.replace('-', '_')}"
    return {
        "account_id": account_id,
        "platform": platform,
        "handle": handle,
        "platform_account_id": platform_id,
    }


FB = account("facebook", "prov-11-fb", PAGE_ID)
FB_OTHER = account("facebook", "prov-12-fb", "104000000000002")
IG = account("instagram", "prov-11-ig", IG_ID)


@pytest.fixture
def server():
    with FakePlatform() as fake:
        yield fake


@pytest.fixture
def clock():
    return FakeClock(NOW)


def source(cls, server, clock, environ):
    client = MetaClient(server.base_url + "/v25.0", clock=clock, sleep=clock.sleep)
    return cls(client, environ=environ, connection_lookup=lambda conn_id: None)


def serve_page(server, page_id=PAGE_ID):
    serve_meta_page(server, page_id)
    serve_meta_post_comments(server)


def serve_instagram(server):
    serve_instagram_user(server, IG_ID)


def by_day(harvest) -> dict:
    return {record["metric_date"]: record for record in harvest.account_days}


def test_facebook_daily_insights_land_on_their_pacific_day(server, clock):
    serve_page(server)
    harvest = source(FacebookSource, server, clock, {"KINERJA_TOKEN_FACEBOOK": FB_TOKEN}).harvest(
        DATA_DAY, [FB], 2
    )

    assert harvest.problems == []
    days = by_day(harvest)
    assert sorted(days) == [date(2026, 10, 3), date(2026, 10, 4), date(2026, 10, 5)]
    # end_time 2026-10-06T07:00+0000 closes the Pacific day 5 October
    assert days[DATA_DAY]["followers"] == 15230 and days[DATA_DAY]["views"] == 6300
    assert days[date(2026, 10, 3)]["reach"] == 2900
    # no reach for the 5th yet: Meta lags up to 48 hours; never a zero
    assert days[DATA_DAY]["reach"] is None
    assert days[DATA_DAY]["no_value"]["reach"] == "not_yet_available"
    # post A was published 02:15 UTC on the 5th: 19:15 PDT on the 4th, its metric day
    assert [days[day]["posts"] for day in sorted(days)] == [1, 1, 1]


def test_facebook_posts_follow_pagination_and_count_anger(server, clock):
    serve_page(server)
    harvest = source(FacebookSource, server, clock, {"KINERJA_TOKEN_FACEBOOK": FB_TOKEN}).harvest(
        DATA_DAY, [FB], 2
    )

    posts = {post["post_id"]: post for post in harvest.posts}
    assert set(posts) == {POST_A, POST_B, POST_C}  # POST_C only on the second page
    assert [seen.query.get("after") for seen in server.requests_to(f"/v25.0/{PAGE_ID}/posts")] == [
        None,
        "QVFIUnBhZ2Uy",
    ]
    assert posts[POST_B]["likes"] == 133 and posts[POST_B]["angry"] == 5 and posts[POST_B]["shares"] == 4
    assert posts[POST_A]["angry"] == 0 and posts[POST_A]["shares"] == 0
    assert posts[POST_B]["as_of_date"] == date(2026, 10, 6)


def test_facebook_reply_latency_from_both_comment_pages(server, clock):
    serve_page(server)
    harvest = source(FacebookSource, server, clock, {"KINERJA_TOKEN_FACEBOOK": FB_TOKEN}).harvest(
        DATA_DAY, [FB], 2
    )

    post_b = next(post for post in harvest.posts if post["post_id"] == POST_B)
    # answered: Budi after 2 h, Rina (same thread) after 1.5 h, Siti after 15 h; Andi never
    assert (post_b["replies"], post_b["replies_24h"]) == (3, 3)
    assert post_b["reply_latency_median_s"] == 7200
    post_a = next(post for post in harvest.posts if post["post_id"] == POST_A)
    assert (post_a["replies"], post_a["replies_24h"], post_a["reply_latency_median_s"]) == (1, 0, 27 * 3600)


def test_no_comment_author_or_text_or_token_reaches_the_harvest(server, clock):
    serve_page(server)
    serve_instagram(server)
    environ = {"KINERJA_TOKEN_FACEBOOK": FB_TOKEN, "KINERJA_TOKEN_INSTAGRAM": IG_TOKEN}
    harvest = source(FacebookSource, server, clock, environ).harvest(DATA_DAY, [FB], 2)
    harvest.extend(source(InstagramSource, server, clock, environ).harvest(DATA_DAY, [IG], 2))

    everything = json.dumps(
        [harvest.account_days, harvest.posts, harvest.problems, harvest.payloads], default=repr
    )
    assert harvest.payloads and harvest.posts
    for personal in PERSONAL:
        assert personal not in everything
    assert FB_TOKEN not in everything and IG_TOKEN not in everything
    # the archive still shows what was asked, with the credential parameter blanked
    assert "access_token=[redacted]" in everything


def test_expired_token_is_a_problem_for_that_page_only(server, clock):
    serve_page(server)
    server.on(f"/v25.0/{FB_OTHER['platform_account_id']}", Reply(400, fixture("meta", "error_190")))
    environ = {"KINERJA_TOKEN_FACEBOOK": FB_TOKEN, "KINERJA_TOKEN_FACEBOOK_PROV_12_FB": "EAAGexpired"}
    harvest = source(FacebookSource, server, clock, environ).harvest(DATA_DAY, [FB_OTHER, FB], 0)

    assert {record["account_id"] for record in harvest.account_days} == {"prov-11-fb"}
    [problem] = harvest.problems
    assert problem.account_id == "prov-12-fb" and problem.kind == "token_expired"
    assert "env KINERJA_TOKEN_FACEBOOK_PROV_12_FB" in problem.message and "EAAGexpired" not in problem.message


def test_missing_token_names_where_to_put_one(server, clock):
    harvest = source(FacebookSource, server, clock, {}).harvest(DATA_DAY, [FB], 0)

    [problem] = harvest.problems
    assert problem.kind == "token_missing" and problem.account_id == "prov-11-fb"
    assert "KINERJA_TOKEN_FACEBOOK_PROV_11_FB" in problem.message
    assert "Airflow connection kinerja_facebook_prov_11_fb" in problem.message
    assert server.requests == []


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_throttling_codes_wait_and_retry(server, clock, code):
    serve_page(server)
    throttled = fixture("meta", "error_throttled")
    throttled["error"]["code"] = code
    usage = {
        PAGE_ID: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 10,
                "total_time": 10,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
    server.on(f"/v25.0/{PAGE_ID}/insights", Reply(400, throttled, headers), fixture("meta", "page_insights"))
    harvest = source(FacebookSource, server, clock, {"KINERJA_TOKEN_FACEBOOK": FB_TOKEN}).harvest(
        DATA_DAY, [FB], 2
    )

    assert harvest.problems == []
    assert clock.waits == [7 * 60]  # Meta's estimated_time_to_regain_access, in minutes
    assert len(server.requests_to(f"/v25.0/{PAGE_ID}/insights")) == 2


def test_throttling_without_a_hint_backs_off_and_gives_up_bounded(server, clock):
    serve_page(server)
    server.on(f"/v25.0/{PAGE_ID}/insights", Reply(400, fixture("meta", "error_throttled")))
    harvest = source(FacebookSource, server, clock, {"KINERJA_TOKEN_FACEBOOK": FB_TOKEN}).harvest(
        DATA_DAY, [FB], 0
    )

    assert clock.waits == [30, 60, 120]
    [problem] = harvest.problems
    assert problem.kind == "rate_limited" and problem.retry_after is not None
    assert len(server.requests_to(f"/v25.0/{PAGE_ID}/insights")) == 4


def test_usage_header_near_the_limit_rests_before_the_next_call(server, clock):
    serve_page(server)
    busy = {"X-App-Usage": json.dumps({"call_count": 96, "total_cputime": 20, "total_time": 30})}
    server.on(f"/v25.0/{PAGE_ID}", Reply(200, fixture("meta", "page"), busy))
    source(FacebookSource, server, clock, {"KINERJA_TOKEN_FACEBOOK": FB_TOKEN}).harvest(DATA_DAY, [FB], 0)

    assert clock.waits == [MetaClient.usage_pause_s]


def test_restated_insights_replace_the_earlier_day_in_the_next_harvest(server, clock):
    serve_page(server)
    facebook = source(FacebookSource, server, clock, {"KINERJA_TOKEN_FACEBOOK": FB_TOKEN})
    first = by_day(facebook.harvest(DATA_DAY, [FB], 2))
    restated = fixture("meta", "page_insights")
    restated["data"][1]["values"][1]["value"] = 5555  # page_media_view of 4 October
    server.on(f"/v25.0/{PAGE_ID}/insights", restated)
    second = by_day(facebook.harvest(DATA_DAY, [FB], 2))

    assert first[date(2026, 10, 4)]["views"] == 5200
    assert second[date(2026, 10, 4)]["views"] == 5555


def test_instagram_views_reach_per_day_and_followers_on_the_data_day(server, clock):
    serve_instagram(server)
    yesterday_start = str(int(datetime(2026, 10, 4, 7, 0, tzinfo=UTC).timestamp()))
    server.on(
        f"/v25.0/{IG_ID}/insights",
        fixture("meta", "ig_insights_empty"),
        when=lambda q: q["since"] == yesterday_start,
    )
    harvest = source(InstagramSource, server, clock, {"KINERJA_TOKEN_INSTAGRAM": IG_TOKEN}).harvest(
        DATA_DAY, [IG], 1
    )

    days = by_day(harvest)
    assert days[DATA_DAY]["views"] == 1234 and days[DATA_DAY]["reach"] == 987
    assert days[DATA_DAY]["followers"] == 8421
    # an empty set is not zero
    assert days[date(2026, 10, 4)]["views"] is None
    assert days[date(2026, 10, 4)]["no_value"]["views"] == "not_yet_available"
    assert days[date(2026, 10, 4)]["followers"] is None  # Instagram reports only today's level
    assert [days[day]["posts"] for day in sorted(days)] == [1, 1]
    # the older page was read once and stopped the walk: its media is outside the window
    assert {post["post_id"] for post in harvest.posts} == {"18000000000000002", "18000000000000001"}


def test_instagram_reply_latency_and_restatement(server, clock):
    serve_instagram(server)
    instagram = source(InstagramSource, server, clock, {"KINERJA_TOKEN_INSTAGRAM": IG_TOKEN})
    first = instagram.harvest(DATA_DAY, [IG], 1)
    post = next(post for post in first.posts if post["post_id"] == "18000000000000002")
    assert (post["comments"], post["replies"], post["reply_latency_median_s"]) == (3, 1, 7200)

    restated = fixture("meta", "ig_insights_day")
    restated["data"][1]["total_value"]["value"] = 1001
    start = str(int(datetime(2026, 10, 4, 7, 0, tzinfo=UTC).timestamp()))
    server.on(f"/v25.0/{IG_ID}/insights", restated, when=lambda q: q["since"] == start)
    second = by_day(instagram.harvest(DATA_DAY, [IG], 1))
    assert by_day(first)[date(2026, 10, 4)]["reach"] == 987
    assert second[date(2026, 10, 4)]["reach"] == 1001
