"""The one Data Docs site keeps a validation for the retention days, then removes it."""

from __future__ import annotations

import os
import time

from kinerja.quality import data_docs

DAY = 86400


def page(root, suite, run, run_time, old_days=0.0, kind="site"):
    base = data_docs.site_dir(root) / "validations" if kind == "site" else data_docs.results_dir(root)
    path = base / suite / run / run_time / ("batch.html" if kind == "site" else "batch.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    stamp = time.time() - old_days * DAY
    os.utime(path, (stamp, stamp))
    return path


def test_pages_and_results_older_than_the_retention_go_and_their_folders_with_them(tmp_path):
    old = [
        page(tmp_path, "raw_account_daily", "audit-a", "20260801T000000Z", 40, kind)
        for kind in ("site", "results")
    ]
    kept = [
        page(tmp_path, "raw_account_daily", "audit-b", "20261001T000000Z", 2, kind)
        for kind in ("site", "results")
    ]
    index = data_docs.site_dir(tmp_path) / "index.html"
    store_id = data_docs.results_dir(tmp_path) / ".ge_store_backend_id"
    for path in (index, store_id):
        path.write_text("x")
        os.utime(path, (time.time() - 90 * DAY,) * 2)

    assert data_docs.prune(35, tmp_path) == 2
    assert not any(p.exists() for p in old) and all(p.exists() for p in kept)
    assert not (data_docs.site_dir(tmp_path) / "validations" / "raw_account_daily" / "audit-a").exists()
    assert index.exists() and store_id.exists()  # the site's and the store's own, not a validation's
    assert (
        data_docs.prune(1, tmp_path) == 2
        and not (data_docs.results_dir(tmp_path) / "raw_account_daily").exists()
    )


def test_the_retention_setting_is_read_when_not_given(tmp_path, monkeypatch):
    page(tmp_path, "s", "audit-a", "t", 5)
    monkeypatch.setenv("KINERJA_DATA_DOCS_RETENTION_DAYS", "10")
    assert data_docs.prune(root=tmp_path) == 0
    monkeypatch.setenv("KINERJA_DATA_DOCS_RETENTION_DAYS", "4")
    assert data_docs.prune(root=tmp_path) == 1


def test_a_rerun_forgets_only_its_own_run_and_links_its_row_suite(tmp_path):
    schema = page(tmp_path, "raw_account_daily_schema", "audit-a", "20261005T010000Z")
    rows = page(tmp_path, "raw_account_daily", "audit-a", "20261005T010000Z")
    other = page(tmp_path, "raw_account_daily", "audit-b", "20261005T010000Z")
    assert data_docs.page_url("audit-a", "raw_account_daily", tmp_path) == rows.as_uri()
    assert data_docs.page_url("audit-a", "raw_post_daily", tmp_path) in {rows.as_uri(), schema.as_uri()}
    data_docs.forget_run("audit-a", tmp_path)
    assert not rows.exists() and not schema.exists() and other.exists()
    assert data_docs.page_url("audit-a", "raw_account_daily", tmp_path) is None


def test_the_per_batch_sites_of_before_go_once_past_the_retention(tmp_path):
    for name, age in (("simulator_2026-08-01_abc", 40), ("simulator_2026-10-01_def", 2)):
        (tmp_path / name / "static").mkdir(parents=True)
        (tmp_path / name / "static" / "style.css").write_text("x")
        (tmp_path / name / "index.html").write_text("x")
        os.utime(tmp_path / name / "index.html", (time.time() - age * DAY,) * 2)
    (tmp_path / "notes").mkdir()  # not a site: left alone
    assert data_docs.prune(35, tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "simulator_2026-10-01_def"]
