"""The file drop against a real PostgreSQL: archive, attribute, check, land, or say why not."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime
from pathlib import Path

import pytest

from kinerja import landing
from kinerja.landing.filedrop import land_dropped_files
from kinerja.landing.harvest import audit_all, pending_batches
from kinerja.quality.account_days import audit_batch
from kinerja.sources.base import account_day_record
from kinerja.sources.filedrop.inbox import read_inbox
from kinerja.warehouse.fingerprint import table_fingerprint
from support import REPO

pytestmark = pytest.mark.integration

EXPORTS = REPO / "tests" / "fixtures" / "exports"
TODAY = date(2026, 6, 13)
TOTALS = "Date,Views\n01-06-2026,100\n02-06-2026,200\n03-06-2026,300\n"


@pytest.fixture
def registry(small_accounts):
    """The small registry, with kab-5102's X account named like the account of the real X export."""
    return [
        {**row, "handle": "Wormhole_BR"} if row["account_id"] == "demo-kab-5102-x" else row
        for row in small_accounts
    ]


@pytest.fixture
def folders(tmp_path):
    return tmp_path / "inbox", tmp_path / "archive"


def drop(inbox: Path, institution: str | None, name: str, content: bytes | str | None = None) -> Path:
    """Put a file in an institution's folder, written on TODAY (the drop day decides TikTok's year)."""
    folder = inbox / institution if institution else inbox
    folder.mkdir(parents=True, exist_ok=True)
    data = (EXPORTS / name).read_bytes() if content is None else content
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    written = datetime(TODAY.year, TODAY.month, TODAY.day, 12).timestamp()
    os.utime(path, (written, written))
    return path


def run(conn, folders, registry, today=TODAY):
    """The file drop reads the inbox, landing lands and records what it yields."""
    inbox, archive = folders
    return land_dropped_files(conn, read_inbox(conn, inbox, registry, today), archive)


def landed(conn, table="raw.account_daily", column="views", day_column="metric_date"):
    rows = conn.execute(f"select account_id, {day_column}, {column}, source from {table} order by 1, 2, 3")
    return rows.fetchall()


def test_an_export_lands_as_filedrop_rows_and_is_archived_as_received(conn, folders, registry):
    path = drop(folders[0], "kab-5101", "youtube_studio_totals_sample.csv")
    received = path.read_bytes()
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"landed": 1}
    rows = landed(conn)
    assert len(rows) == 365 and {(r[0], r[3]) for r in rows} == {("demo-kab-5101-youtube", "filedrop")}
    views, reason = conn.execute(
        "select views, no_value->>'followers' from raw.account_daily where metric_date = '2025-08-29'"
    ).fetchone()
    assert (views, reason) == (22792, "not_in_export")
    sha = hashlib.sha256(received).hexdigest()
    archived = folders[1] / "kab-5101" / f"{sha}.csv"  # named by ids, never by the sender's name
    assert archived.read_bytes() == received and not path.exists()
    ledger = conn.execute(
        "select status, rows_landed, account_ids, export_format from raw.filedrop_files"
    ).fetchall()
    assert ledger == [("landed", 365, ["demo-kab-5101-youtube"], "youtube_totals")]


def test_dropping_the_same_bytes_again_changes_nothing(conn, folders, registry):
    drop(folders[0], "kab-5101", "youtube_studio_totals_sample.csv")
    run(conn, folders, registry)
    before = [table_fingerprint(conn, t) for t in ("raw.account_daily", "raw.batch_ledger")]
    drop(folders[0], "kab-5101", "youtube_studio_totals_sample.csv")
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"duplicate": 1} and "nothing new" in report.messages[0]
    assert [table_fingerprint(conn, t) for t in ("raw.account_daily", "raw.batch_ledger")] == before
    assert conn.execute("select count(*), sum(drop_count) from raw.filedrop_files").fetchone() == (1, 2)
    assert not any((folders[0] / "kab-5101").iterdir())


def test_a_corrected_file_replaces_the_days_it_carries(conn, folders, registry):
    drop(folders[0], "kab-5101", "totals.csv", TOTALS)
    run(conn, folders, registry)
    drop(folders[0], "kab-5101", "totals.csv", TOTALS.replace("02-06-2026,200", "02-06-2026,250"))
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"landed": 1}
    # the first file's rows stay until the correction passed its audit (audits in any order)
    assert [r[2] for r in landed(conn)] == [100, 100, 200, 250, 300, 300]
    outcomes = audit_all(conn, reversed(pending_batches(conn, "filedrop")["raw.account_daily"]), audit_batch)
    assert sorted(outcome["status"] for outcome in outcomes) == ["accepted", "superseded"]
    assert [r[2] for r in landed(conn)] == [100, 250, 300]
    assert conn.execute("select count(*) from raw.filedrop_files where status = 'landed'").fetchone() == (2,)


def test_a_bad_row_is_quarantined_with_its_reason_and_the_rest_lands(conn, folders, registry):
    drop(folders[0], "kab-5101", "totals.csv", TOTALS.replace("02-06-2026,200", "02-06-2026,-200"))
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"partly_held": 1} and "1 held" in report.messages[0]
    assert "line 3, Views: negative count" in report.messages[0]  # the sender's sentence names the cell
    assert [r[2] for r in landed(conn)] == [100, 300]
    quarantined = conn.execute(
        "select file_name, line_number, column_name, check_name, reason, account_id from raw.filedrop_quarantine"
    ).fetchall()
    assert len(quarantined) == 1
    file_name, line, column, check, reason, account = quarantined[0]
    assert (file_name, line, column, check, account) == (
        "totals.csv",
        3,
        "Views",
        "parse",
        "demo-kab-5101-youtube",
    )
    assert "negative" in reason


def test_an_unreadable_file_is_moved_aside_with_a_message(conn, folders, registry):
    drop(folders[0], "kab-5101", "laporan.xlsx", b"PK\x03\x04 a spreadsheet, not a CSV")
    drop(folders[0], "kab-5101", "mystery.csv", "Tanggal,Jumlah\n2026-01-01,3\n")
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 2}
    rejected = folders[0] / "_rejected" / "kab-5101"
    assert sorted(p.name for p in rejected.iterdir()) == [
        "laporan.xlsx",
        "laporan.xlsx.error.txt",
        "mystery.csv",
        "mystery.csv.error.txt",
    ]
    error = (rejected / "laporan.xlsx.error.txt").read_text(encoding="utf-8")
    assert "kab-5101/laporan.xlsx" in error and "Excel workbook" in error and "save it as CSV" in error
    assert "match no export we know" in (rejected / "mystery.csv.error.txt").read_text(encoding="utf-8")
    assert landed(conn) == [] and len(list((folders[1] / "kab-5101").iterdir())) == 2
    # The same bad bytes again: read again (a rejection is not final) and moved aside again.
    drop(folders[0], "kab-5101", "laporan.xlsx", b"PK\x03\x04 a spreadsheet, not a CSV")
    assert dict(run(conn, folders, registry).counts) == {"rejected": 1}
    assert (rejected / "laporan.xlsx.error.txt").exists()
    assert not (folders[0] / "kab-5101" / "laporan.xlsx").exists()
    files = conn.execute(
        "select status, drop_count from raw.filedrop_files order by original_name"
    ).fetchall()
    assert files == [("rejected", 2), ("rejected", 1)]


def test_a_file_naming_another_institutions_account_is_refused(conn, folders, registry):
    drop(folders[0], "kab-5101", "x_account_analytics_content_sample.csv")
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 1}
    assert "Refused" in report.messages[0] and "kab-5102" in report.messages[0]
    assert landed(conn, "raw.post_daily", day_column="as_of_date") == []
    # In its own institution's folder the same file lands, as that institution's account.
    drop(folders[0], "kab-5102", "x_account_analytics_content_sample.csv")
    assert dict(run(conn, folders, registry).counts) == {"landed": 1}
    posts = conn.execute("select account_id, count(*), sum(views) from raw.post_daily group by 1").fetchall()
    assert posts[0][:2] == ("demo-kab-5102-x", 141)


def test_meta_posts_are_attributed_by_their_account_id(conn, folders, registry):
    drop(folders[0], "kab-5101", "meta_posts_instagram.csv")
    drop(folders[0], "prov-51", "meta_posts_instagram.csv")
    report = run(conn, folders, registry)
    assert report.counts == {"rejected": 1, "landed": 1}
    rows = conn.execute("select account_id, post_id, views, as_of_date from raw.post_daily order by post_id")
    assert [r[:3] for r in rows.fetchall()] == [
        ("demo-prov-51-instagram", "18000000000000001", 15000),
        ("demo-prov-51-instagram", "18000000000000002", 1204377),
        ("demo-prov-51-instagram", "18000000000000003", 950),
    ]


def test_lifetime_post_exports_of_two_days_are_two_snapshots_never_a_sum(conn, folders, registry):
    drop(folders[0], "prov-51", "meta_posts_instagram.csv")
    run(conn, folders, registry, today=date(2026, 4, 2))
    later = (EXPORTS / "meta_posts_instagram.csv").read_bytes().replace(b'"15,000"', b'"16,500"')
    drop(folders[0], "prov-51", "meta_posts_instagram.csv", later)
    run(conn, folders, registry)
    views = conn.execute(
        "select as_of_date, views from raw.post_daily where post_id = '18000000000000001' order by 1"
    ).fetchall()
    assert views == [(date(2026, 4, 2), 15000), (TODAY, 16500)]


def test_an_implausible_follower_jump_is_held_back(conn, folders, registry):
    account = "demo-prov-51-facebook"
    earlier = account_day_record("facebook", account, date(2026, 2, 28), {"followers": 500})
    landing.land_batch(conn, "simulator", date(2026, 2, 28), [earlier])
    drop(folders[0], "prov-51", "meta_page_daily_facebook.csv")
    report = run(conn, folders, registry)
    # every row held: nothing could land, so the file is rejected, its rows' reasons recorded
    assert dict(report.counts) == {"rejected": 1} and "none of its 3 rows could land" in report.messages[0]
    reasons = conn.execute(
        "select line_number, check_name, column_name, reason from raw.filedrop_quarantine order by 1"
    ).fetchall()
    assert [r[:3] for r in reasons] == [(n, "plausibility", "followers") for n in (3, 4, 5)]
    assert "12,034" in reasons[0][3] and "500" in reasons[0][3]
    assert conn.execute("select count(*) from raw.account_daily where source = 'filedrop'").fetchone() == (0,)


def test_a_plausible_follower_history_lands(conn, folders, registry):
    account = "demo-prov-51-facebook"
    earlier = account_day_record("facebook", account, date(2026, 2, 28), {"followers": 11980})
    landing.land_batch(conn, "simulator", date(2026, 2, 28), [earlier])
    drop(folders[0], "prov-51", "meta_page_daily_facebook.csv")
    assert dict(run(conn, folders, registry).counts) == {"landed": 1}
    followers = landed(conn, column="followers")
    assert [r[2] for r in followers if r[3] == "filedrop"] == [12034, 12051, 12060]


def test_several_accounts_on_a_platform_need_the_handle_in_the_file_name(conn, folders, registry):
    second = {**next(r for r in registry if r["account_id"] == "demo-kab-5101-youtube")}
    second |= {
        "account_id": "kab-5101-youtube-dinas",
        "handle": "dinas_kab5101_yt",
        "platform_account_id": "1",
    }
    two_channels = [*registry, second]
    drop(folders[0], "kab-5101", "totals.csv", TOTALS)
    report = run(conn, folders, two_channels)
    assert dict(report.counts) == {"rejected": 1} and "several youtube accounts" in report.messages[0]
    drop(folders[0], "kab-5101", "dinas_kab5101_yt__totals.csv", TOTALS)
    assert dict(run(conn, folders, two_channels).counts) == {"landed": 1}
    assert {r[0] for r in landed(conn)} == {"kab-5101-youtube-dinas"}


def test_files_outside_an_institution_folder_or_in_an_unknown_one_are_rejected(conn, folders, registry):
    drop(folders[0], None, "totals.csv", TOTALS)
    drop(folders[0], "kab-9999", "totals.csv", TOTALS)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 2}
    assert any("outside any institution folder" in m for m in report.messages)
    assert any("'kab-9999' is no institution" in m for m in report.messages)
    assert landed(conn) == []


def test_a_fault_in_one_file_is_recorded_and_moved_aside_and_the_others_land(
    conn, folders, registry, monkeypatch
):
    from kinerja.sources.filedrop import inbox

    real_parse = inbox.parse_export

    def breaks_on_tiktok(data, name, drop_day, max_rows=None):
        if "tiktok" in name:
            raise RuntimeError("a parser bug")
        return real_parse(data, name, drop_day, max_rows)

    monkeypatch.setattr(inbox, "parse_export", breaks_on_tiktok)
    stuck = drop(folders[0], "kab-5101", "tiktok_overview_sample_en.csv")
    drop(folders[0], "kab-5102", "totals.csv", TOTALS)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"failed": 1, "landed": 1}
    assert not stuck.exists() and {r[0] for r in landed(conn)} == {"demo-kab-5102-youtube"}
    record = conn.execute(
        "select status, message from raw.filedrop_files where institution_id = 'kab-5101'"
    ).fetchone()
    assert record[0] == "failed" and "RuntimeError: a parser bug" in record[1]
    aside = folders[0] / "_rejected" / "kab-5101"
    note = (aside / "tiktok_overview_sample_en.csv.error.txt").read_text(encoding="utf-8")
    assert "fault on our side" in note and "parser bug" not in note  # the sender is not shown our internals
    # once the fault is fixed, the data team moves the file back and it lands
    monkeypatch.setattr(inbox, "parse_export", real_parse)
    (aside / "tiktok_overview_sample_en.csv").replace(stuck)
    assert dict(run(conn, folders, registry).counts) == {"landed": 1}
    assert conn.execute(
        "select min(metric_date) from raw.account_daily where platform = 'tiktok'"
    ).fetchone() == (date(2026, 4, 12),)
    assert conn.execute(
        "select status from raw.filedrop_files where institution_id = 'kab-5101'"
    ).fetchone() == ("landed",)


def test_a_value_the_warehouse_refuses_fails_only_its_file(conn, folders, registry, monkeypatch):
    from kinerja.sources.filedrop import cells

    # let the count past the parser's own bound, so that the warehouse itself refuses it (bigint)
    monkeypatch.setattr(cells, "LARGEST_COUNT", 10**30)
    broken = drop(folders[0], "kab-5101", "a_totals.csv", TOTALS.replace(",200", ",99999999999999999999"))
    drop(folders[0], "kab-5102", "b_totals.csv", TOTALS)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"failed": 1, "landed": 1}
    assert not broken.exists() and {r[0] for r in landed(conn)} == {"demo-kab-5102-youtube"}
    status, message = conn.execute(
        "select status, message from raw.filedrop_files where original_name = 'a_totals.csv'"
    ).fetchone()
    assert status == "failed" and "NumericValueOutOfRange" in message


def test_a_count_beyond_any_column_is_held_with_its_row_and_column(conn, folders, registry):
    drop(folders[0], "kab-5101", "totals.csv", TOTALS.replace(",200", ",99999999999999999999"))
    report = run(conn, folders, registry)
    assert "1 held" in report.messages[0]
    assert [r[2] for r in landed(conn)] == [100, 300]
    line, column, reason = conn.execute(
        "select line_number, column_name, reason from raw.filedrop_quarantine"
    ).fetchone()
    assert (line, column) == (3, "Views") and "larger than any count" in reason


def test_days_outside_the_accounts_registered_period_are_held(conn, folders, registry):
    from kinerja.registry.history import VALID_FROM

    late = [
        {**r, VALID_FROM: date(2026, 6, 2)} if r["account_id"] == "demo-kab-5101-youtube" else r
        for r in registry
    ]
    drop(folders[0], "kab-5101", "totals.csv", TOTALS)
    assert dict(run(conn, folders, late).counts) == {"partly_held": 1}
    assert [r[1] for r in landed(conn)] == [date(2026, 6, 2), date(2026, 6, 3)]
    held = conn.execute("select line_number, check_name, reason from raw.filedrop_quarantine").fetchall()
    assert [h[:2] for h in held] == [(2, "account_period")] and "@demo_kab5101_yt" in held[0][2]


def test_reading_the_inbox_writes_nothing(conn, folders, registry):
    kept = drop(folders[0], "kab-5101", "totals.csv", TOTALS)
    bad = drop(folders[0], "kab-5102", "notes.csv", "Tanggal,Catatan\n2026-06-01,rapat\n")
    tables = ("raw.account_daily", "raw.batch_ledger", "raw.filedrop_files", "raw.filedrop_quarantine")
    before = [table_fingerprint(conn, t) for t in tables]
    read = list(read_inbox(conn, folders[0], registry, TODAY))
    assert [(d.status, d.records.count) for d in read] == [("landed", 3), ("rejected", 0)]
    assert [table_fingerprint(conn, t) for t in tables] == before
    assert kept.exists() and bad.exists() and not folders[1].exists()


def test_a_file_whose_landing_fails_is_recorded_failed_and_lands_nothing(
    conn, folders, registry, monkeypatch
):
    from kinerja.landing import filedrop

    def breaks(*_):
        raise RuntimeError("a landing bug")

    monkeypatch.setattr(filedrop, "land_file_records", breaks)
    path = drop(folders[0], "kab-5101", "totals.csv", TOTALS)
    assert dict(run(conn, folders, registry).counts) == {"failed": 1}
    assert not path.exists() and landed(conn) == []
    assert conn.execute("select status, rows_landed from raw.filedrop_files").fetchall() == [("failed", 0)]
    assert conn.execute("select count(*) from raw.batch_ledger").fetchone() == (0,)
    monkeypatch.undo()
    (folders[0] / "_rejected" / "kab-5101" / "totals.csv").replace(path)
    assert dict(run(conn, folders, registry).counts) == {"landed": 1} and not path.exists()


# --- nothing is followed out of the inbox ------------------------------------------------------


def test_a_linked_file_is_refused_unread_and_what_it_points_at_is_untouched(
    conn, folders, registry, tmp_path
):
    secret = tmp_path / "outside" / "secrets.csv"
    secret.parent.mkdir()
    secret.write_text("Date,Views\npassword=hunter2,token=abc123\n")
    folder = folders[0] / "kab-5101"
    folder.mkdir(parents=True)
    (folder / "export.csv").symlink_to(secret)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 1}
    note = (folders[0] / "_rejected" / "kab-5101" / "export.csv.error.txt").read_text(encoding="utf-8")
    assert "is a link" in note
    assert all(leak not in note + report.messages[0] for leak in ("hunter2", "abc123", str(secret)))
    assert secret.read_text().startswith("Date,Views")  # nothing outside the inbox is moved or deleted
    assert not os.path.lexists(folder / "export.csv")  # the link itself is gone
    assert not folders[1].exists() or not any(folders[1].rglob("*.*"))  # nothing archived
    assert conn.execute(
        "select status, archive_path, sha256 like 'unread:%' from raw.filedrop_files"
    ).fetchall() == [("rejected", "", True)]


def test_a_linked_institution_folder_is_never_entered(conn, folders, registry, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "totals.csv").write_text(TOTALS)
    folders[0].mkdir(parents=True)
    (folders[0] / "kab-5101").symlink_to(outside, target_is_directory=True)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 1} and "is a link" in report.messages[0]
    assert landed(conn) == [] and (outside / "totals.csv").read_text() == TOTALS
    assert not os.path.lexists(folders[0] / "kab-5101")


def test_hidden_files_and_sub_folders_are_reported_not_ignored(conn, folders, registry):
    drop(folders[0], "kab-5101", ".totals.csv", TOTALS)
    (folders[0] / "kab-5101" / "more").mkdir()
    drop(folders[0], "kab-5101", "more/totals.csv", TOTALS)
    drop(folders[0], "kab-5101", "totals.csv.part", TOTALS)  # still being written: waits
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 2}
    aside = folders[0] / "_rejected" / "kab-5101"
    assert "starting with a dot" in (aside / ".totals.csv.error.txt").read_text(encoding="utf-8")
    assert "sub-folders" in (aside / "more.error.txt").read_text(encoding="utf-8")
    assert (aside / "more" / "totals.csv").exists() and (folders[0] / "kab-5101" / "totals.csv.part").exists()
    assert landed(conn) == []


def test_a_folder_not_named_like_an_institution_id_is_kept_under_unsorted(conn, folders, registry):
    drop(folders[0], "[red]Kab Jembrana", "totals.csv", TOTALS)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 1}
    assert (folders[0] / "_rejected" / "_unsorted" / "totals.csv.error.txt").exists()
    assert [p.parent.name for p in folders[1].rglob("*.csv")] == ["_unsorted"]


# --- limits, repeats, and a record that tells the truth -----------------------------------------


def test_a_file_over_the_size_limit_is_refused_unread(conn, folders, registry, monkeypatch):
    monkeypatch.setenv("KINERJA_FILEDROP_MAX_BYTES", "1000")
    path = drop(folders[0], "kab-5101", "totals.csv", TOTALS + "04-06-2026,1\n" * 100)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 1} and "larger than the 1,000 bytes" in report.messages[0]
    assert landed(conn) == [] and (folders[0] / "_rejected" / "kab-5101" / path.name).exists()


def test_a_file_over_the_row_limit_is_refused_whole(conn, folders, registry, monkeypatch):
    monkeypatch.setenv("KINERJA_FILEDROP_MAX_ROWS", "2")
    drop(folders[0], "kab-5101", "totals.csv", TOTALS)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 1} and "more than 2 data rows" in report.messages[0]
    assert landed(conn) == []


def test_a_repeated_day_is_counted_once_and_a_contradicting_one_is_held_whole(conn, folders, registry):
    repeated = TOTALS + "04-06-2026,400\n05-06-2026,500\n" + "02-06-2026,200\n" + "03-06-2026,999\n"
    drop(folders[0], "kab-5101", "totals.csv", repeated)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"partly_held": 1}
    # day 3 held: 300 or 999?
    assert [(r[1].day, r[2]) for r in landed(conn)] == [(1, 100), (2, 200), (4, 400), (5, 500)]
    held = conn.execute(
        "select line_number, check_name, reason from raw.filedrop_quarantine order by 1"
    ).fetchall()
    assert [h[:2] for h in held] == [(4, "duplicate"), (7, "duplicate"), (8, "duplicate")]
    assert "counted once" in held[1][2] and "neither landed" in held[0][2]
    assert conn.execute("select rows_landed, rows_quarantined from raw.filedrop_files").fetchone() == (4, 3)


def test_a_file_mostly_held_is_rejected_whole(conn, folders, registry):
    drop(folders[0], "kab-5101", "totals.csv", TOTALS + "02-06-2026,200\n" * 4)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 1} and "4 of its 7 rows could not land" in report.messages[0]
    assert "more than half, so none landed" in report.messages[0] and landed(conn) == []


def test_a_header_only_file_is_rejected_not_landed_with_no_rows(conn, folders, registry):
    drop(folders[0], "kab-5101", "totals.csv", "Date,Views\n")
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"rejected": 1} and "header but no data rows" in report.messages[0]
    assert conn.execute("select status, rows_landed from raw.filedrop_files").fetchone() == ("rejected", 0)
    assert not conn.execute("select 1 from raw.batch_ledger").fetchall()


def test_a_day_after_the_drop_day_is_held(conn, folders, registry):
    drop(folders[0], "kab-5101", "totals.csv", TOTALS + "14-06-2026,5\n")
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"partly_held": 1}
    reason = conn.execute("select reason from raw.filedrop_quarantine where check_name = 'date_after_drop'")
    assert "after 2026-06-13, the day the file was received" in reason.fetchone()[0]


def test_a_file_with_every_row_held_can_be_corrected_and_dropped_again(conn, folders, registry):
    broken = TOTALS.replace(",100", ",x").replace(",200", ",y").replace(",300", ",z")
    drop(folders[0], "kab-5101", "totals.csv", broken)
    assert dict(run(conn, folders, registry).counts) == {"rejected": 1}
    note = (folders[0] / "_rejected" / "kab-5101" / "totals.csv.error.txt").read_text(encoding="utf-8")
    assert "line 2, Views: not a whole number: 'x'" in note
    drop(folders[0], "kab-5101", "totals.csv", TOTALS)
    assert dict(run(conn, folders, registry).counts) == {"landed": 1}
    assert [r[2] for r in landed(conn)] == [100, 200, 300]
    # the same rejected bytes again are read again, never taken for landed ones
    drop(folders[0], "kab-5101", "totals.csv", broken)
    assert dict(run(conn, folders, registry).counts) == {"rejected": 1}


def test_a_file_that_cannot_leave_the_inbox_keeps_its_record_and_is_a_duplicate_next_time(
    conn, folders, registry, monkeypatch
):
    from kinerja.sources.filedrop.dropped import DroppedFile

    real_settle = DroppedFile.settle

    def stuck(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(DroppedFile, "settle", stuck)
    path = drop(folders[0], "kab-5101", "totals.csv", TOTALS)
    report = run(conn, folders, registry)
    assert dict(report.counts) == {"landed": 1} and "it stays in the inbox" in report.messages[0]
    assert path.exists() and [r[2] for r in landed(conn)] == [100, 200, 300]
    monkeypatch.setattr(DroppedFile, "settle", real_settle)
    assert dict(run(conn, folders, registry).counts) == {"duplicate": 1} and not path.exists()
    assert conn.execute("select status from raw.filedrop_files").fetchall() == [("landed",)]
