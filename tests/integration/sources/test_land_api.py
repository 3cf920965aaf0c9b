"""The API source as the daily run calls it (sources.land_api), against the local fake Graph API."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fakeplatforms import FakeClock, FakePlatform
from kinerja.tasks import sources
from kinerja.warehouse import connect
from support import EXPIRED, SMALL_REGISTRY, serve_meta, small_registry_ids

pytestmark = pytest.mark.integration

DATA_DAY = date(2026, 10, 5)
NOW = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)  # 17:00 WIB: the run after Meta's 5 October closed
FB_TOKEN, IG_TOKEN = "EAAGkinerjaTestTokenFB", "EAAGkinerjaTestTokenIG"
EXPIRED_ACCOUNT = "demo-kab-5101-facebook"
# comment authors and texts in the fixtures: the archive must never hold them
PERSONAL = ["Budi Santoso", "Rina Marlina", "warga_kota_demo", "ibu_ani_1980", "Lampu jalan mati"]


@pytest.fixture
def meta(warehouse, monkeypatch):
    """The fake Graph API, the test warehouse, and the settings that point land_api at both."""
    with FakePlatform() as server:
        serve_meta(server)
        monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
        monkeypatch.setenv("KINERJA_REGISTRY_DIR", str(SMALL_REGISTRY))
        monkeypatch.setenv("KINERJA_API_PLATFORMS", "facebook,instagram")
        for platform in ("FACEBOOK", "INSTAGRAM"):
            monkeypatch.setenv(f"KINERJA_API_BASE_URL_{platform}", server.base_url + "/v25.0")
        monkeypatch.setenv("KINERJA_TOKEN_FACEBOOK", FB_TOKEN)
        monkeypatch.setenv("KINERJA_TOKEN_INSTAGRAM", IG_TOKEN)
        monkeypatch.setenv("KINERJA_TOKEN_FACEBOOK_DEMO_KAB_5101_FACEBOOK", EXPIRED)
        monkeypatch.delenv("AIRFLOW_CTX_DAG_ID", raising=False)
        yield server


def land(trailing_days: int = 2) -> dict:
    clock = FakeClock(NOW)
    return sources.land_api(
        DATA_DAY, trailing_days=trailing_days, client_options={"clock": clock, "sleep": clock.sleep}
    )


def test_land_api_lands_account_days_and_posts_and_records_a_token_problem(meta, warehouse):
    summary = land()

    facebook, instagram = small_registry_ids("facebook"), small_registry_ids("instagram")
    assert summary["platforms"]["facebook"]["accounts_landed"] == sorted(set(facebook) - {EXPIRED_ACCOUNT})
    assert summary["platforms"]["instagram"]["accounts_landed"] == sorted(instagram)
    with connect(warehouse) as conn:
        days = conn.execute(
            "select source, count(distinct account_id), min(metric_date), max(metric_date), count(*)"
            " from raw.account_daily group by 1 order by 1"
        ).fetchall()
        assert days == [
            ("api:facebook", len(facebook) - 1, date(2026, 10, 3), DATA_DAY, 3 * (len(facebook) - 1)),
            ("api:instagram", len(instagram), date(2026, 10, 3), DATA_DAY, 3 * len(instagram)),
        ]
        followers, views = conn.execute(
            "select followers, views from raw.account_daily where account_id = 'demo-prov-51-facebook'"
            " and metric_date = %s",
            [DATA_DAY],
        ).fetchone()
        assert (followers, views) == (15230, 6300)  # the fixture's page insights of 5 October
        posts = conn.execute(
            "select source, count(distinct account_id), count(distinct post_id) from raw.post_daily group by 1 order by 1"
        ).fetchall()
        assert posts == [("api:facebook", len(facebook) - 1, 3), ("api:instagram", len(instagram), 2)]
        ledger = conn.execute(
            "select source, raw_table, status from raw.batch_ledger order by 1, 2"
        ).fetchall()
        assert ledger == [
            ("api:facebook", "raw.account_daily", "accepted"),
            ("api:facebook", "raw.post_daily", "accepted"),  # audited with the suite raw_post_daily
            ("api:instagram", "raw.account_daily", "accepted"),
            ("api:instagram", "raw.post_daily", "accepted"),
        ]
        assert conn.execute(
            "select count(*) from raw.quarantine q join raw.batch_ledger l using (batch_id)"
            " where l.raw_table = 'raw.post_daily'"
        ).fetchone() == (0,)  # the platforms' own posts pass
        [problem] = conn.execute(
            "select data_day, source, platform, account_id, kind, message from raw.source_problems"
        ).fetchall()
        assert problem[:5] == (DATA_DAY, "api", "facebook", EXPIRED_ACCOUNT, "token_expired")
        assert "KINERJA_TOKEN_FACEBOOK_DEMO_KAB_5101_FACEBOOK" in problem[5] and EXPIRED not in problem[5]
    assert summary["problems"] == [problem[5]]


def test_payloads_are_archived_as_received_without_tokens_or_personal_data(meta, warehouse):
    land()

    with connect(warehouse) as conn:
        archived = conn.execute(
            "select platform, request, body::text from raw.source_payloads order by platform, request"
        ).fetchall()
        page = conn.execute(
            "select body from raw.source_payloads where platform = 'facebook' and request like %s limit 1",
            [f"GET /{small_registry_ids('facebook')['demo-prov-51-facebook']}?%"],
        ).fetchone()
    assert {platform for platform, *_ in archived} == {"facebook", "instagram"}
    assert page == ({"id": "104000000000001", "followers_count": 15230, "fan_count": 14800},)
    everything = "\n".join(f"{request} {body}" for _, request, body in archived)
    for secret in (FB_TOKEN, IG_TOKEN, EXPIRED):
        assert secret not in everything
    assert "access_token=[redacted]" in everything  # paging links keep their shape, not their token
    for personal in PERSONAL:
        assert personal not in everything
    # every request the fake platform saw carried its token in the header, never in the query
    assert all(FB_TOKEN not in str(seen.query) for seen in meta.requests)


def test_running_the_day_again_changes_nothing_and_a_renewed_token_clears_its_problem(
    meta, warehouse, monkeypatch
):
    from kinerja.warehouse.fingerprint import table_fingerprint

    tables = ("raw.account_daily", "raw.post_daily", "raw.source_payloads", "raw.source_problems")
    land()
    with connect(warehouse) as conn:
        first = [table_fingerprint(conn, t, ("recorded_at", "archived_at")) for t in tables]
    land()
    with connect(warehouse) as conn:
        assert [table_fingerprint(conn, t, ("recorded_at", "archived_at")) for t in tables] == first

    monkeypatch.delenv("KINERJA_TOKEN_FACEBOOK_DEMO_KAB_5101_FACEBOOK")  # the platform token serves it now
    summary = land()
    assert EXPIRED_ACCOUNT in summary["platforms"]["facebook"]["accounts_landed"]
    with connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.source_problems").fetchone() == (0,)


def test_a_platform_without_any_working_account_fails_the_task_after_the_others_landed(
    meta, warehouse, monkeypatch
):
    monkeypatch.delenv("KINERJA_TOKEN_INSTAGRAM")

    with pytest.raises(sources.SourceFailed, match="instagram: none of its 13 account"):
        land()
    with connect(warehouse) as conn:
        landed = conn.execute("select distinct source from raw.account_daily").fetchall()
        problems = conn.execute(
            "select kind, count(*) from raw.source_problems where platform = 'instagram' group by 1"
        ).fetchall()
    assert landed == [("api:facebook",)]
    assert problems == [("token_missing", 13)]
