"""`kinerja filedrop process` and `kinerja filedrop status` against a real warehouse."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from kinerja.cli import app
from support import REPO, SMALL_REGISTRY

pytestmark = pytest.mark.integration

runner = CliRunner()
EXPORTS = REPO / "tests" / "fixtures" / "exports"


@pytest.fixture
def inbox(warehouse, tmp_path, monkeypatch):
    from kinerja import cli

    monkeypatch.setattr(cli.console, "width", 200)  # a wide terminal: whole names in the tables
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_REGISTRY_DIR", str(SMALL_REGISTRY))
    monkeypatch.setenv("KINERJA_FILEDROP_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("KINERJA_FILEDROP_ARCHIVE", str(tmp_path / "archive"))
    return tmp_path / "inbox"


def drop(inbox, institution: str, name: str, content: str | None = None) -> None:
    folder = inbox / institution
    folder.mkdir(parents=True, exist_ok=True)
    if content is None:
        shutil.copy(EXPORTS / name, folder / name)
    else:
        (folder / name).write_text(content)


def test_process_shows_each_file_with_its_status_and_what_to_do(inbox):
    drop(inbox, "kab-5101", "tiktok_overview_sample_en.csv")
    drop(inbox, "kab-5102", "notes.csv", "Tanggal,Catatan\n2026-06-01,rapat\n")

    result = runner.invoke(app, ["filedrop", "process", "--day", "2026-06-13"])

    assert result.exit_code == 0, result.output
    assert "kab-5101" in result.output and "landed" in result.output
    assert "kab-5102" in result.output and "rejected" in result.output
    # the sentence for the sender is printed whole, and where the rejected file went
    assert "kab-5101/tiktok_overview_sample_en.csv: tiktok" in result.output
    assert "kab-5102/notes.csv: rejected:" in result.output
    assert "1 landed, 1 rejected" in result.output and "_rejected" in result.output
    assert (inbox / "_rejected" / "kab-5102" / "notes.csv.error.txt").exists()

    again = runner.invoke(app, ["filedrop", "process", "--day", "2026-06-13"])
    assert again.exit_code == 0 and "No new files" in again.output


def test_status_lists_the_files_dropped_so_far(inbox):
    empty = runner.invoke(app, ["filedrop", "status"])
    assert empty.exit_code == 0 and "No files dropped yet" in empty.output
    drop(inbox, "kab-5101", "tiktok_overview_sample_en.csv")
    drop(inbox, "kab-5102", "notes.csv", "Tanggal,Catatan\n2026-06-01,rapat\n")
    runner.invoke(app, ["filedrop", "process", "--day", "2026-06-13"])

    result = runner.invoke(app, ["filedrop", "status"])

    assert result.exit_code == 0, result.output
    assert "tiktok_overview_sample_en.csv" in result.output and "demo-kab-5101-tiktok" in result.output
    assert "✗ kab-5102/notes.csv:" in result.output  # a rejected file says why
    only = runner.invoke(app, ["filedrop", "status", "--institution", "kab-5101"])
    assert "kab-5102" not in only.output and "kab-5101" in only.output


def test_markup_in_a_file_name_is_shown_as_written(inbox):
    name = "[bold red]LANDED[link=https:x]y.csv"  # a file name cannot hold a closing tag's /
    drop(inbox, "kab-5102", name, "Tanggal,Catatan\n2026-06-01,rapat\n")
    processed = runner.invoke(app, ["filedrop", "process", "--day", "2026-06-13"])
    assert processed.exit_code == 0, processed.output
    status = runner.invoke(app, ["filedrop", "status"])
    for output in (processed.output, status.output):
        table_rows = [line for line in output.splitlines() if line.startswith("│")]
        assert any(name in row for row in table_rows), output  # as written: the markup styles nothing


def test_status_shows_files_where_nothing_landed_and_rows_the_audit_rejected(inbox):
    # two of three days are older than the audit's window before the file's last day: the
    # file lands, and its batch is rejected by the audit
    drop(inbox, "kab-5101", "old_totals.csv", "Date,Views\n01-01-2026,1\n02-01-2026,2\n01-06-2026,3\n")
    drop(inbox, "kab-5102", "empty.csv", "Date,Views\n")
    runner.invoke(app, ["filedrop", "process", "--day", "2026-06-13"])

    result = runner.invoke(app, ["filedrop", "status"])

    assert result.exit_code == 0, result.output
    rows = {line.split("│")[2].strip(): line for line in result.output.splitlines() if line.startswith("│")}
    assert "rejected" in rows["empty.csv"] and "landed" in rows["old_totals.csv"]
    assert "kab-5102/empty.csv: " in result.output and "header but no data rows" in result.output
    assert "kab-5101/old_totals.csv: the audit rejected it:" in result.output
    assert [cell.strip() for cell in rows["old_totals.csv"].split("│")][8] == "rejected"  # the audit column


def test_every_recorded_file_has_a_note_for_its_sender(inbox):
    drop(inbox, "kab-5101", "totals.csv", "Date,Views\n01-06-2026,1\n02-06-2026,-2\n03-06-2026,3\n")
    drop(inbox, "kab-5102", "notes.csv", "Tanggal,Catatan\n2026-06-01,rapat\n")
    runner.invoke(app, ["filedrop", "process", "--day", "2026-06-13"])
    held = list((inbox / "_outbox" / "kab-5101").iterdir())
    refused = list((inbox / "_outbox" / "kab-5102").iterdir())
    assert [p.name.endswith("__partly_held.txt") for p in held] == [True]
    text = held[0].read_text(encoding="utf-8")
    assert "2 of its rows landed" in text and "line 3, column Views: negative count '-2'" in text
    assert "drop the whole corrected file again" in text
    assert [p.name.endswith("__rejected.txt") for p in refused] == [True]
    assert "match no export we know" in refused[0].read_text(encoding="utf-8")
