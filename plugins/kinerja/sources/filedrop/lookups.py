"""What the file drop reads of the warehouse: whether the same bytes landed before, the last
known follower counts. Reads only: landing (kinerja.landing.filedrop) writes its tables."""

from __future__ import annotations

from datetime import date

import psycopg

from kinerja.sources.filedrop.plausibility import KnownFollowers, LastKnown

# A file landed whole or in part is final: the same bytes again add nothing. A rejected or
# failed one is read again, since what stopped it (the registry, a fault of ours) may be fixed.
FINAL_STATUSES = ("landed", "partly_held")


def file_status(conn: psycopg.Connection, institution_id: str, sha256: str) -> str | None:
    """The status of a file with these bytes this institution dropped before, if any."""
    row = conn.execute(
        "select status from raw.filedrop_files where institution_id = %s and sha256 = %s",
        [institution_id, sha256],
    ).fetchone()
    return None if row is None else row[0]


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
