"""The file drop's own tables (warehouse/ddl_filedrop.sql) and what it reads of the warehouse."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import psycopg

from kinerja.sources.filedrop.parsed import RowProblem
from kinerja.sources.filedrop.plausibility import KnownFollowers, LastKnown


@dataclass
class FileEntry:
    """One row of raw.filedrop_files."""

    institution_id: str
    sha256: str
    original_name: str
    archive_path: str
    status: str = "rejected"  # landed, rejected: set when the file has been dealt with
    message: str = ""
    export_format: str | None = None
    platform: str | None = None
    account_ids: list[str] = field(default_factory=list)
    rows_landed: int = 0
    rows_quarantined: int = 0
    batch_ids: list[str] = field(default_factory=list)


def file_status(conn: psycopg.Connection, institution_id: str, sha256: str) -> str | None:
    """The status of a file with these bytes this institution dropped before, if any."""
    row = conn.execute(
        "select status from raw.filedrop_files where institution_id = %s and sha256 = %s",
        [institution_id, sha256],
    ).fetchone()
    return None if row is None else row[0]


def count_redrop(conn: psycopg.Connection, institution_id: str, sha256: str) -> None:
    conn.execute(
        """
        update raw.filedrop_files set drop_count = drop_count + 1, last_dropped_at = now()
        where institution_id = %s and sha256 = %s
        """,
        [institution_id, sha256],
    )


def record_file(conn: psycopg.Connection, entry: FileEntry) -> None:
    conn.execute(
        """
        insert into raw.filedrop_files (institution_id, sha256, original_name, archive_path, export_format,
            platform, account_ids, status, message, rows_landed, rows_quarantined, batch_ids)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (institution_id, sha256) do update set
            status = excluded.status, message = excluded.message, export_format = excluded.export_format,
            platform = excluded.platform, account_ids = excluded.account_ids,
            rows_landed = excluded.rows_landed, rows_quarantined = excluded.rows_quarantined,
            batch_ids = excluded.batch_ids, original_name = excluded.original_name,
            archive_path = excluded.archive_path, drop_count = raw.filedrop_files.drop_count + 1,
            last_dropped_at = now()
        """,
        [
            entry.institution_id,
            entry.sha256,
            entry.original_name,
            entry.archive_path,
            entry.export_format,
            entry.platform,
            entry.account_ids,
            entry.status,
            entry.message,
            entry.rows_landed,
            entry.rows_quarantined,
            entry.batch_ids,
        ],
    )


def quarantine_rows(
    conn: psycopg.Connection,
    entry: FileEntry,
    problems: Iterable[RowProblem],
    account_of_line: dict[int, str],
) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into raw.filedrop_quarantine (institution_id, sha256, file_name, line_number, column_name,
                check_name, reason, platform, account_id)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            on conflict do nothing
            """,
            [
                (
                    entry.institution_id,
                    entry.sha256,
                    entry.original_name,
                    p.line,
                    p.column,
                    p.check,
                    p.reason,
                    entry.platform,
                    account_of_line.get(p.line),
                )
                for p in problems
            ],
        )


def last_known_followers(conn: psycopg.Connection) -> LastKnown:
    """A lookup of the last landed follower count of an account before a day, from any source."""

    def lookup(platform: str, account_id: str, before: date) -> KnownFollowers | None:
        row = conn.execute(
            """
            select followers, metric_date, source from raw.account_daily
            where platform = %s and account_id = %s and metric_date < %s and followers is not null
            order by metric_date desc, source
            limit 1
            """,
            [platform, account_id, before],
        ).fetchone()
        return None if row is None else KnownFollowers(*row)

    return lookup
