"""The inbox walk and the rules of one file, without a warehouse: links, hidden things, names, repeats."""

from __future__ import annotations

import errno
from datetime import date
from pathlib import Path

import pytest

from kinerja.landing.filedrop import archive_extension
from kinerja.sources.filedrop.dropped import UNSORTED, Drop, TooLarge, read_bytes
from kinerja.sources.filedrop.inbox import (
    HIDDEN_REFUSED,
    LINK_REFUSED,
    NOT_A_FILE_REFUSED,
    new_files,
    repeated_rows,
)
from kinerja.sources.filedrop.parsed import AccountDayRow, PostRow


def layout(inbox: Path, outside: Path) -> None:
    (inbox / "kab-5101" / "sub").mkdir(parents=True)
    (inbox / "kab-5101" / "export.csv").write_text("x")
    (inbox / "kab-5101" / ".hidden.csv").write_text("x")
    (inbox / "kab-5101" / "half.csv.part").write_text("x")
    (inbox / "kab-5101" / "secret.csv").symlink_to(outside / "secret.txt")
    (inbox / "kab-5102").symlink_to(outside, target_is_directory=True)
    (inbox / "_rejected" / "kab-5101").mkdir(parents=True)
    (inbox / "_rejected" / "kab-5101" / "old.csv").write_text("x")
    (inbox / "loose.csv").write_text("x")
    (inbox / ".DS_Store").write_text("x")


def test_the_walk_refuses_links_hidden_things_and_folders_and_skips_our_own(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("password")
    (outside / "totals.csv").write_text("x")
    layout(tmp_path / "inbox", outside)
    found = {(w.path.name, w.institution_id, w.refusal) for w in new_files(tmp_path / "inbox")}
    assert found == {
        (".DS_Store", None, HIDDEN_REFUSED),
        ("kab-5102", None, LINK_REFUSED),  # never entered: totals.csv of the target is not listed
        (".hidden.csv", "kab-5101", HIDDEN_REFUSED),
        ("export.csv", "kab-5101", None),
        ("secret.csv", "kab-5101", LINK_REFUSED),
        ("sub", "kab-5101", NOT_A_FILE_REFUSED),
        ("loose.csv", None, None),
    }


def test_reading_never_goes_through_a_link_nor_past_the_limit(tmp_path):
    (tmp_path / "target").write_bytes(b"secret")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(OSError) as raised:
        read_bytes(tmp_path / "link")
    assert raised.value.errno == errno.ELOOP
    (tmp_path / "big").write_bytes(b"x" * 11)
    assert read_bytes(tmp_path / "big", limit=11) == b"x" * 11
    with pytest.raises(TooLarge):
        read_bytes(tmp_path / "big", limit=10)


@pytest.mark.parametrize(
    ("folder", "kept_under"),
    [
        ("kab-5101", "kab-5101"),
        ("kem-komdigi", "kem-komdigi"),
        ("[red]x", UNSORTED),
        ("Kab 5101", UNSORTED),
        (None, UNSORTED),
    ],
)
def test_only_a_folder_named_like_an_institution_id_makes_a_path(tmp_path, folder, kept_under):
    assert Drop(tmp_path / "f.csv", folder, tmp_path, date(2026, 6, 13)).folder == kept_under


@pytest.mark.parametrize(
    ("name", "extension"),
    [("totals.csv", "csv"), ("A.CSV", "csv"), ("x.csv;rm -rf", "bin"), ("noext", "bin")],
)
def test_an_archived_file_keeps_only_a_plain_extension(name, extension):
    assert archive_extension(name) == extension


def test_repeated_rows_count_a_copy_once_and_hold_a_contradiction_whole():
    day = date(2026, 6, 1)

    def row(line, views):
        return AccountDayRow(line, day, {"views": views}, {})

    rows = [row(2, 10), row(3, 10), AccountDayRow(4, date(2026, 6, 2), {"views": 1}, {})]
    held = repeated_rows(rows, {2: "a", 3: "a", 4: "a"})
    assert list(held) == [3] and "counted once" in held[3].reason
    held = repeated_rows([row(2, 10), row(3, 11)], {2: "a", 3: "a"})
    assert sorted(held) == [2, 3] and "neither landed" in held[2].reason
    # the same day of two accounts, or two posts of one day, is no repeat
    assert repeated_rows([row(2, 10), row(3, 10)], {2: "a", 3: "b"}) == {}
    posts = [PostRow(n, f"p{n}", day, None, None, {"views": 1}, {}) for n in (2, 3)]
    assert repeated_rows(posts, {2: "a", 3: "a"}) == {}


def test_a_refused_folder_never_replaces_one_refused_before(tmp_path):
    from kinerja.sources.filedrop.dropped import DroppedFile, FileEntry

    inbox = tmp_path / "inbox"
    for round_ in (1, 2):
        (inbox / "kab-5101" / "sub").mkdir(parents=True)
        (inbox / "kab-5101" / "sub" / "a.csv").write_text(str(round_))
        drop = Drop(inbox / "kab-5101" / "sub", "kab-5101", inbox, date(2026, 6, 13))
        entry = FileEntry("kab-5101", "unread:x", "sub", message="a folder")
        DroppedFile(drop, "rejected", "", None, entry).settle()
    aside = inbox / "_rejected" / "kab-5101"
    assert (aside / "sub" / "a.csv").read_text() == "1" and (aside / "sub~2" / "a.csv").read_text() == "2"
    assert (aside / "sub~2.error.txt").exists()
