"""What a sender wrote is shown as text on the Data Docs page, never run as markup."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest

from kinerja import landing
from kinerja.quality.posts import BatchRejected, audit_post_batch
from kinerja.sources.base import post_record

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 6)
HOSTILE = "<script>alert('kinerja')</script>"


def test_a_hostile_post_id_is_escaped_on_the_data_docs_page(conn, monkeypatch):
    monkeypatch.setenv("KINERJA_AUDIT_WINDOW_DAYS", "3")
    published = datetime(2026, 10, 4, 3, 0, tzinfo=UTC)
    counts = {"views": 100, "likes": 5, "comments": 2, "shares": 1}
    good = [
        post_record("facebook", "demo-kab-5101-facebook", f"good-{n}", DAY, published, "photo", counts)
        for n in range(6)
    ]
    # the same hostile post twice: the uniqueness check lists its id on the page
    hostile = post_record("facebook", "demo-kab-5101-facebook", HOSTILE, DAY, published, "photo", counts)
    batch = landing.land_posts(conn, "filedrop", DAY, [*good, hostile, {**hostile, "views": 7}])
    try:
        outcome = audit_post_batch(conn, batch.batch_id)
    except BatchRejected:
        pytest.fail("two bad rows of eight must not reject the batch")
    page = Path(urlparse(outcome.data_docs_url).path).read_text()
    assert "&lt;script&gt;alert(&#x27;kinerja&#x27;)&lt;/script&gt;" in page  # shown as text
    assert HOSTILE not in page
    assert "<script>alert" not in page
