"""Backups (kinerja.backup, `kinerja backup` / `kinerja restore`): made, pruned, checked, restored
into a fresh warehouse and compared table by table and file by file.

What is backed up comes from the real paths: a TikTok Studio export dropped in the inbox and
landed by the file drop (the archive, raw.filedrop_files), a platform answer archived as the
API source archives it (raw.source_payloads); the issued scores are rows written in the
shape issue_scores writes (building a month to issue one would add minutes, and the backup
reads the table whatever wrote it).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from kinerja import backup
from kinerja.landing.payloads import archive_payloads
from kinerja.sources.base import Payload
from kinerja.warehouse import connect, ensure_database
from kinerja.warehouse.fingerprint import table_fingerprint
from support import REPO

pytestmark = pytest.mark.integration

EXPORT = REPO / "tests" / "fixtures" / "exports" / "tiktok_overview_sample_en.csv"
WRITTEN = datetime(2026, 6, 13, 12, 0)


@pytest.fixture
def received(warehouse, tmp_path, monkeypatch):
    """A warehouse holding a landed dropped file, an archived API answer and an issue of scores."""
    from kinerja.tasks.sources import land_file_drops

    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.setenv("KINERJA_FILEDROP_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("KINERJA_FILEDROP_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("KINERJA_BACKUP_DIR", str(tmp_path / "backups"))
    folder = tmp_path / "inbox" / "kab-5101"
    folder.mkdir(parents=True)
    shutil.copy(EXPORT, folder / EXPORT.name)
    os.utime(folder / EXPORT.name, (WRITTEN.timestamp(), WRITTEN.timestamp()))
    land_file_drops(date(2026, 4, 19), today=date(2026, 6, 13))
    answer = {"data": [{"id": "1784", "like_count": 12, "comments_count": 3}], "paging": {}}
    with connect(warehouse) as conn:
        archive_payloads(
            conn,
            date(2026, 4, 19),
            [Payload("api", "instagram", "GET /1784/insights?metric=reach", datetime.now(UTC), answer)],
        )
        conn.execute(
            "insert into publication.score_issues (month, issue_no, methodology_version, institutions,"
            " content_sha256, reason) values ('2026-04-01', 1, 'ikms-1.0', 2, 'abc', 'issue 1')"
        )
        for institution, ikms in (("kab-5101", 71.5), ("prov-51", 64.25)):
            conn.execute(
                "insert into publication.issued_scores values ('2026-04-01', 1, %s, %s)",
                [institution, json.dumps({"ikms": ikms, "note": 'quote " comma, newline\n'})],
            )
        conn.commit()
    return warehouse, tmp_path


def test_a_backup_restores_into_a_fresh_warehouse_equal_table_by_table(received, server, tmp_path):
    from kinerja.cli import app

    warehouse, _ = received
    result = CliRunner().invoke(app, ["backup"])
    assert result.exit_code == 0, result.output
    [made] = backup.complete_backups(tmp_path / "backups")
    manifest = json.loads((made / "manifest.json").read_text())
    assert manifest["tables"]["publication.issued_scores"]["rows"] == 2
    assert manifest["tables"]["raw.filedrop_files"]["rows"] == 1
    assert manifest["tables"]["raw.source_payloads"]["rows"] == 1
    assert set(manifest["files"]) == {f"{t}.csv" for t in backup.TABLES} | {backup.ARCHIVE_FILE}

    fresh = ensure_database(server, f"kinerja_restore_{uuid.uuid4().hex[:10]}")
    try:
        with connect(fresh) as conn:
            restored = backup.restore(conn, made, archive_dir=tmp_path / "restored-archive")
        assert restored["publication.issued_scores"] == 2 and restored["files"] == 1
        with connect(warehouse) as original, connect(fresh) as copy:
            for table in backup.TABLES:
                assert table_fingerprint(copy, table) == table_fingerprint(original, table), table
        [archived] = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
        back = tmp_path / "restored-archive" / archived.relative_to(tmp_path / "archive")
        assert back.read_bytes() == archived.read_bytes()
        # a second restore is refused: it never mixes with what is there
        with (
            connect(fresh) as conn,
            pytest.raises(backup.BackupError, match="is not empty: restore into a fresh"),
        ):
            backup.restore(conn, made, archive_dir=tmp_path / "restored-archive")
    finally:
        with connect(server, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{fresh.dbname}" with (force)')


def test_a_damaged_backup_is_refused_and_only_the_newest_are_kept(received, tmp_path):
    warehouse, _ = received
    with connect(warehouse) as conn:
        made = [backup.make_backup(conn, keep=2).path for _ in range(3)]
    assert backup.complete_backups(tmp_path / "backups") == made[1:]
    # an unfinished backup (no manifest) is neither counted nor pruned
    (tmp_path / "backups" / "00000000T000000Z").mkdir()
    assert backup.complete_backups(tmp_path / "backups") == made[1:]

    scores = made[2] / "publication.issued_scores.csv"
    scores.write_text(scores.read_text().replace("71.5", "91.5"))
    with pytest.raises(
        backup.BackupError, match="does not match its sha256 in manifest.json: the backup is damaged"
    ):
        backup.verify(made[2])
