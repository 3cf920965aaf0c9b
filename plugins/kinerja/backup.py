"""Backups of what cannot be rebuilt, and their restore.

What the warehouse cannot rebuild from anything else: the issued scores (`publication.*`,
frozen when issued) and what was received (the file drop's archive folder, the API
payloads in `raw.source_payloads`, and `raw.filedrop_files`, the record of each file).
Everything else is rebuilt from these by landing and dbt.

A backup is a folder `<KINERJA_BACKUP_DIR>/<UTC time>/`, outside the warehouse:
- one CSV per table (COPY, text as PostgreSQL writes it: independent of the server's
  version, unlike a pg_dump file, which a restore needs a pg_restore as new as the dump for);
- `filedrop-archive.tar.gz`, the archive folder as it is;
- `manifest.json`: every file with its bytes and sha256, each table's rows, and the
  tables' content fingerprints (kinerja.warehouse.fingerprint), written last: a folder
  without one is an unfinished backup and never counts.
The newest `KINERJA_BACKUP_KEEP` complete backups are kept; older ones are removed.

A restore checks every checksum first, then loads the tables into a warehouse whose
tables are empty (the DDL applied first), in the order of their foreign keys, and checks the
fingerprints; the archive folder's files are put back where missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from kinerja import config
from kinerja.warehouse.fingerprint import table_fingerprint

log = logging.getLogger(__name__)

# In the order a restore loads them: a table after the ones its foreign keys name.
PUBLICATION_TABLES = (
    "publication.score_issues",
    "publication.issued_scores",
    "publication.issued_scorecards",
    "publication.scorecard_deliveries",
)
RECEIVED_TABLES = ("raw.source_payloads", "raw.filedrop_files")
TABLES = PUBLICATION_TABLES + RECEIVED_TABLES
ARCHIVE_FILE = "filedrop-archive.tar.gz"
MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(RuntimeError):
    """A backup that cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_out(conn: psycopg.Connection, table: str, path: Path) -> int:
    schema, name = table.split(".")
    query = sql.SQL("copy (select * from {} order by 1, 2) to stdout with (format csv, header)").format(
        sql.Identifier(schema, name)
    )
    with path.open("wb") as handle, conn.cursor().copy(query) as copy:
        for block in copy:
            handle.write(block)
    return conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name))).fetchone()[0]


def make_backup(
    conn: psycopg.Connection,
    backup_dir: Path | None = None,
    archive_dir: Path | None = None,
    keep: int | None = None,
) -> Backup:
    """Back up the tables and the file drop's archive to a new folder; then apply the retention."""
    backup_dir = backup_dir or config.backup_dir()
    archive_dir = archive_dir or config.filedrop_archive()
    started = datetime.now(UTC)
    folder = backup_dir / started.strftime("%Y%m%dT%H%M%S%fZ")
    folder.mkdir(parents=True)
    files, tables = {}, {}
    with conn.transaction():  # one snapshot of every table
        conn.execute("set transaction isolation level repeatable read, read only")
        for table in TABLES:
            path = folder / f"{table}.csv"
            tables[table] = {
                "rows": _copy_out(conn, table, path),
                "fingerprint": table_fingerprint(conn, table),
                "file": path.name,
            }
    with tarfile.open(folder / ARCHIVE_FILE, "w:gz") as tar:
        if archive_dir.exists():
            tar.add(archive_dir, arcname=".")
    for path in sorted(folder.iterdir()):
        files[path.name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
    manifest = {
        "format": FORMAT,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "archive_dir": str(archive_dir),
        "tables": tables,
        "files": files,
    }
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    tmp.replace(folder / MANIFEST)  # the backup is complete once its manifest is there
    log.info("backed up %s to %s", ", ".join(f"{t} ({v['rows']} rows)" for t, v in tables.items()), folder)
    prune(backup_dir, config.backup_keep() if keep is None else keep)
    return Backup(folder, manifest)


def complete_backups(backup_dir: Path) -> list[Path]:
    """The backup folders with a manifest, oldest first."""
    if not backup_dir.exists():
        return []
    return sorted(p for p in backup_dir.iterdir() if (p / MANIFEST).is_file())


def prune(backup_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` complete backups; returns the removed folders."""
    removed = complete_backups(backup_dir)[:-keep] if keep > 0 else []
    for folder in removed:
        shutil.rmtree(folder)
        log.info("removed backup %s (KINERJA_BACKUP_KEEP=%d)", folder, keep)
    return removed


def verify(folder: Path) -> dict:
    """The manifest of `folder`, once every file's size and sha256 match it; BackupError otherwise."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(
            f"{folder} has no {MANIFEST}: it is not a backup or it did not finish; pick another "
            f"(`ls {folder.parent}`)"
        )
    manifest = json.loads(manifest_path.read_text())
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file() or _sha256(path) != expected["sha256"]:
            raise BackupError(
                f"{path} is missing or does not match its sha256 in {MANIFEST}: the backup is damaged; "
                f"restore an older one"
            )
    return manifest


def restore(conn: psycopg.Connection, folder: Path, archive_dir: Path | None = None) -> dict:
    """Load a backup into a warehouse whose backed-up tables are empty; returns rows per table.

    The caller applies the DDL first (kinerja.warehouse.schema.apply_ddl). Refuses a table
    that holds rows: a restore never mixes with what is there.
    """
    from kinerja.warehouse.schema import apply_ddl

    manifest = verify(folder)
    apply_ddl(conn)
    conn.commit()
    restored = {}
    with conn.transaction():
        for table in TABLES:
            schema, name = table.split(".")
            identifier = sql.Identifier(schema, name)
            if conn.execute(sql.SQL("select exists (select 1 from {})").format(identifier)).fetchone()[0]:
                raise BackupError(
                    f"{table} is not empty: restore into a fresh warehouse (a new database with "
                    f"KINERJA_WAREHOUSE_URL pointing at it), never over data"
                )
            entry = manifest["tables"][table]
            with (
                (folder / entry["file"]).open("rb") as handle,
                conn.cursor().copy(
                    sql.SQL("copy {} from stdin with (format csv, header)").format(identifier)
                ) as copy,
            ):
                for block in iter(lambda: handle.read(1 << 20), b""):
                    copy.write(block)
            if table_fingerprint(conn, table) != entry["fingerprint"]:
                raise BackupError(f"{table} restored differs from its backup's fingerprint; nothing was kept")
            restored[table] = entry["rows"]
    restored["files"] = _restore_archive(folder / ARCHIVE_FILE, archive_dir or config.filedrop_archive())
    log.info("restored %s from %s", restored, folder)
    return restored


def _restore_archive(tar_path: Path, archive_dir: Path) -> int:
    """Put back every archived file that is missing; an existing file is left as it is."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    restored = 0
    with tarfile.open(tar_path, "r:gz") as tar:
        for member in tar.getmembers():
            target = archive_dir / member.name
            if member.isfile() and not target.exists():
                tar.extract(member, archive_dir, filter="data")
                restored += 1
    return restored
