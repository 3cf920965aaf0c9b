"""The shared client layer: retries, waits, budgets, tokens, redaction, reply statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fakeplatforms import FakeClock, FakePlatform, Reply
from kinerja.sources.api import connector
from kinerja.sources.api.client import ApiClient, ApiError, RateLimited, RequestBudget, TokenRejected
from kinerja.sources.api.replies import Comment, reply_stats
from kinerja.sources.api.tokens import find_token

NOW = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def server():
    with FakePlatform() as fake:
        yield fake


@pytest.fixture
def clock():
    return FakeClock(NOW)


def client(server, clock, **options) -> ApiClient:
    return ApiClient(server.base_url, clock=clock, sleep=clock.sleep, **options)


def test_retry_after_in_seconds_is_honoured(server, clock):
    server.on("/things", Reply(429, {}, {"Retry-After": "42"}), {"ok": True})
    answer = client(server, clock).request("GET", "/things", token="t0k3n")

    assert answer.body == {"ok": True}
    assert clock.waits == [42]


def test_retry_after_as_http_date_is_honoured(server, clock):
    server.on("/things", Reply(503, {}, {"Retry-After": "Tue, 06 Oct 2026 10:02:00 GMT"}), {"ok": True})
    client(server, clock).request("GET", "/things", token="t0k3n")

    assert clock.waits == [120]


def test_retries_are_bounded_and_say_when_to_come_back(server, clock):
    server.on("/things", Reply(429, {}, {"Retry-After": "10"}))
    with pytest.raises(RateLimited) as raised:
        client(server, clock, max_attempts=3).request("GET", "/things", token="t0k3n")

    assert len(server.requests_to("/things")) == 3
    assert clock.waits == [10, 10]
    assert raised.value.retry_after == clock() + timedelta(seconds=10)


def test_401_is_a_rejected_token_and_not_retried(server, clock):
    server.on("/things", Reply(401, {"error": "invalid"}))
    with pytest.raises(TokenRejected):
        client(server, clock).request("GET", "/things", token="t0k3n")
    assert len(server.requests_to("/things")) == 1 and clock.waits == []


def test_token_travels_in_the_header_never_in_request_strings_bodies_or_errors(server, clock):
    echo = {"next": "https://graph.example/x?access_token=s3cr3t-t0k3n&after=abc", "note": "s3cr3t-t0k3n"}
    server.on("/things", echo)
    server.on("/broken", Reply(500, {"message": "bad token s3cr3t-t0k3n"}))
    api = client(server, clock)
    answer = api.request("GET", "/things", token="s3cr3t-t0k3n", params={"key": "api-key-value", "q": "1"})

    assert server.requests_to("/things")[0].headers["authorization"] == "Bearer s3cr3t-t0k3n"
    assert answer.request == "GET /things?key=[redacted]&q=1"
    assert "s3cr3t-t0k3n" not in repr(answer.body) and "after=abc" in answer.body["next"]
    with pytest.raises(ApiError) as raised:
        api.request("GET", "/broken", token="s3cr3t-t0k3n")
    assert "s3cr3t-t0k3n" not in str(raised.value)


def test_unreachable_platform_is_an_api_error(clock):
    api = ApiClient("http://127.0.0.1:9", clock=clock, sleep=clock.sleep, timeout_s=2)
    with pytest.raises(ApiError, match="could not be reached"):
        api.request("GET", "/things", token=None)


def test_request_budget_waits_for_the_oldest_request_to_leave_the_window(clock):
    budget = RequestBudget(limit=3, window_s=900, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        budget.acquire()
        clock.current += timedelta(seconds=100)
    budget.acquire()

    assert clock.waits == [600]  # the first request was 300 s ago: 600 s until it is 15 minutes old


def test_account_token_wins_over_the_platform_token():
    environ = {"KINERJA_TOKEN_X": "platform", "KINERJA_TOKEN_X_KOTA_DENPASAR_X": "own"}
    token = find_token("x", "kota-denpasar-x", environ, lambda conn_id: None)

    assert (token.value, token.where) == ("own", "env KINERJA_TOKEN_X_KOTA_DENPASAR_X")
    assert "own" not in repr(token)


def test_airflow_connection_is_asked_only_inside_an_airflow_task(monkeypatch):
    asked = []

    def lookup(conn_id):
        asked.append(conn_id)
        return "from-airflow" if conn_id == "kinerja_youtube" else None

    outside = find_token("youtube", "prov-51-yt", {}, None)
    assert outside.value is None and asked == []
    inside = find_token("youtube", "prov-51-yt", {}, lookup)
    assert (inside.value, inside.where) == ("from-airflow", "Airflow connection kinerja_youtube")
    assert asked == ["kinerja_youtube_prov_51_yt", "kinerja_youtube"]

    from kinerja.sources.api import tokens

    monkeypatch.setattr(tokens, "airflow_connection_password", lookup)
    in_task = find_token("youtube", "prov-51-yt", {"AIRFLOW_CTX_DAG_ID": "kinerja_daily"})
    assert in_task.value == "from-airflow"


def test_missing_token_hint_lists_every_place():
    token = find_token("tiktok", "kab-badung-tt", {}, lambda conn_id: None)
    assert token.value is None
    assert token.fix_hint == (
        "set one of: env KINERJA_TOKEN_TIKTOK_KAB_BADUNG_TT, Airflow connection kinerja_tiktok_kab_badung_tt, "
        "env KINERJA_TOKEN_TIKTOK, Airflow connection kinerja_tiktok"
    )


def test_reply_stats_count_only_answers_after_the_comment_in_its_thread():
    t0 = NOW
    comments = [
        Comment("a", t0, by_account=False, is_reply=False),
        Comment("a", t0 + timedelta(hours=30), by_account=True, is_reply=True),
        Comment("b", t0, by_account=False, is_reply=False),
        Comment("b", t0 - timedelta(hours=1), by_account=True, is_reply=True),  # before: not an answer
        Comment("c", t0, by_account=True, is_reply=False),  # the account's own comment: not public
    ]
    stats = reply_stats(comments)

    assert (stats.public_comments, stats.answered, stats.answered_24h) == (2, 1, 0)
    assert stats.median_latency_s == 30 * 3600


@pytest.mark.parametrize("platform", ["facebook", "instagram", "x", "youtube", "tiktok"])
def test_every_platform_has_a_connector_that_reports_missing_tokens(server, clock, platform):
    source = connector(platform, server.base_url, environ={}, connection_lookup=lambda c: None, clock=clock)
    account = {
        "account_id": f"demo-{platform}",
        "platform": platform,
        "handle": "demo",
        "platform_account_id": "1",
    }
    harvest = source.harvest(NOW.date(), [account, {**account, "platform": "other"}], 0)

    assert source.platform == platform and source.client.clock is clock
    assert [(problem.account_id, problem.kind) for problem in harvest.problems] == [
        (f"demo-{platform}", "token_missing")
    ]
    assert server.requests == []
