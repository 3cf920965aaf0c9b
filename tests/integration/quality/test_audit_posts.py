"""The audit of post batches: each bad post row triggers its expectation, lands in quarantine
with its reason, and the rest of the batch is accepted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kinerja import landing
from kinerja.quality import account_days as quality
from kinerja.quality import engine
from kinerja.quality.posts import POST_SUITE, audit_post_batch
from kinerja.sources.base import post_record

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 6)
ACCOUNT = "demo-kab-5101-facebook"


@pytest.fixture(autouse=True)
def daily_window(monkeypatch):
    monkeypatch.setenv("KINERJA_AUDIT_WINDOW_DAYS", "3")  # 2026-10-03 .. 2026-10-06


def _post(
    post_id, account_id=ACCOUNT, as_of=DAY, published=datetime(2026, 10, 4, 3, 0, tzinfo=UTC), **values
):
    counts = {"views": 100, "likes": 5, "comments": 2, "shares": 1, "replies": 2, "replies_24h": 1} | values
    return post_record("facebook", account_id, post_id, as_of, published, "photo", counts)


GOOD = [_post(f"good-{n}") for n in range(12)] + [_post("other-account", account_id="demo-prov-51-facebook")]
BAD = {
    # post id: (record, the check it fails, words of its reason)
    "negative": (_post("negative", views=-5), "expect_column_values_to_be_between:views", "views is -5"),
    "unknown": (
        _post("unknown", account_id="fb-nobody"),
        "expect_column_values_to_be_in_set:account_id",
        "account 'fb-nobody' is not in the registry",
    ),
    "wrong-platform": (
        _post("wrong-platform", account_id="demo-kab-5101-instagram"),
        "expect_column_values_to_be_in_set:account_valid_on_day",
        "not a registered facebook account on 2026-10-06",
    ),
    # 01:00 on the 7th in US Pacific, the day of Facebook's own daily values (the platforms
    # seed): after its as-of day. (00:30 WIB on the 7th would still be Facebook's 6th.)
    "future": (
        _post("future", published=datetime(2026, 10, 7, 8, 0, tzinfo=UTC)),
        "expect_column_pair_values_a_to_be_greater_than_b:as_of_date,published_day",
        "published on 2026-10-07, after its as-of day 2026-10-06",
    ),
    "old": (
        _post("old", as_of=DAY - timedelta(days=10), published=datetime(2026, 9, 20, tzinfo=UTC)),
        "expect_column_values_to_be_between:as_of_date",
        "outside this batch's window 2026-10-03 to ",
    ),
    "ahead": (
        _post("ahead", as_of=date(2099, 1, 1)),
        "expect_column_values_to_be_between:as_of_date",
        "as_of_date 2099-01-01 is outside this batch's window",
    ),
    "replies": (
        _post("replies", replies=1, replies_24h=4),
        "expect_column_pair_values_a_to_be_greater_than_b:replies,replies_24h",
        "replies_24h 4 is more than replies 1",
    ),
}


def test_each_bad_post_row_is_quarantined_with_its_reason_and_the_rest_accepted(conn):
    duplicate = _post("good-0", views=101)
    records = GOOD + [record for record, _, _ in BAD.values()] + [duplicate]
    batch = landing.land_posts(conn, "simulator", DAY, records)

    result = audit_post_batch(conn, batch.batch_id)

    quarantined = conn.execute(
        "select p.post_id, q.check_name, q.reason, q.account_id, q.metric_date from raw.quarantine q"
        " join raw.post_daily p on p.batch_id = q.batch_id and p.row_number = q.row_number"
        " where q.batch_id = %s order by q.row_number",
        [batch.batch_id],
    ).fetchall()
    by_post = {}
    for post_id, check, reason, account_id, as_of in quarantined:
        by_post.setdefault(post_id, []).append((check, reason))
        assert account_id is not None and as_of is not None  # a reader needs no join
    for post_id, (_, check, words) in BAD.items():
        assert [c for c, _ in by_post[post_id]] == [check], post_id
        assert words in by_post[post_id][0][1], by_post[post_id]
    # the duplicate key names both of its rows
    assert [c for c, _ in by_post["good-0"]] == [
        "expect_compound_columns_to_be_unique:platform,account_id,post_id,as_of_date"
    ] * 2
    assert set(by_post) == set(BAD) | {"good-0"}

    rejected = len(BAD) + 2
    assert (result.rows_in, result.rows_rejected) == (len(records), rejected)
    ledger = conn.execute(
        "select status, rows_accepted, rows_rejected from raw.batch_ledger where batch_id = %s",
        [batch.batch_id],
    ).fetchone()
    assert ledger == ("accepted", len(records) - rejected, rejected)
    failed = conn.execute(
        "select count(*) filter (where not success), count(*) from audit.validation_results"
        " where batch_id = %s and suite = %s",
        [batch.batch_id, POST_SUITE],
    ).fetchone()
    failing_checks = {check for _, check, _ in BAD.values()} | {"unique"}
    assert failed == (
        len(failing_checks),
        len(engine.expectation_entries(engine.load_suite_spec(POST_SUITE))),
    )

    # idempotent: the same audit again leaves the same records
    audit_post_batch(conn, batch.batch_id)
    assert conn.execute(
        "select count(*) from raw.quarantine where batch_id = %s", [batch.batch_id]
    ).fetchone() == (len(quarantined),)


def test_a_post_batch_mostly_bad_is_rejected_and_says_why(conn):
    records = [_post(f"p{n}", views=-1) for n in range(3)] + [_post("fine")]
    batch = landing.land_posts(conn, "simulator", DAY, records)
    with pytest.raises(quality.BatchRejected, match=r"3 of 4 rows failed the audit .*raw.quarantine"):
        audit_post_batch(conn, batch.batch_id)
    assert conn.execute(
        "select status, rows_accepted from raw.batch_ledger where batch_id = %s", [batch.batch_id]
    ).fetchone() == ("rejected", 0)


def test_a_real_meta_post_export_passes_the_post_audit(conn, tmp_path, small_accounts):
    import shutil

    from kinerja.landing.filedrop import land_dropped_files
    from kinerja.sources.filedrop.inbox import read_inbox
    from support import REPO

    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    (inbox / "prov-51").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "fixtures" / "exports" / "meta_posts_instagram.csv", inbox / "prov-51")
    land_dropped_files(conn, read_inbox(conn, inbox, small_accounts, date(2026, 6, 13)), archive)
    [batch_id] = [
        b for (b,) in conn.execute("select batch_id from raw.batch_ledger where raw_table = 'raw.post_daily'")
    ]

    result = audit_post_batch(conn, batch_id)

    assert (result.rows_in, result.rows_rejected) == (3, 0)
    assert conn.execute("select status from raw.batch_ledger where batch_id = %s", [batch_id]).fetchone() == (
        "accepted",
    )


def test_two_audits_of_the_same_post_batch_at_once_leave_one_set_of_records(conn, warehouse):
    from concurrent.futures import ThreadPoolExecutor

    from kinerja.warehouse import connect

    batch = landing.land_posts(conn, "simulator", DAY, GOOD + [_post("negative", views=-5)])

    def audit(_):
        with connect(warehouse, autocommit=True) as own:
            return audit_post_batch(own, batch.batch_id).rows_rejected

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(audit, range(2))) == [1, 1]
    assert conn.execute(
        "select count(*) from raw.quarantine where batch_id = %s", [batch.batch_id]
    ).fetchone() == (1,)
    assert conn.execute(
        "select count(*) from audit.validation_results where batch_id = %s", [batch.batch_id]
    ).fetchone() == (len(engine.expectation_entries(engine.load_suite_spec(POST_SUITE))),)
