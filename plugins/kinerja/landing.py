"""COPY-based, idempotent landing of account-day batches, with a batch ledger.

A batch is what one source delivered for one data day. Landing it replaces exactly
the (platform, account, metric day) rows of that source that the batch carries, in
one transaction, under an advisory lock per (source, metric day): landing the same
batch twice, or from two processes at once, leaves the same rows; a failure in the
middle leaves the partition as it was. The batch id is derived from the content, so
the same content always gets the same id and the same ledger row.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import psycopg

from kinerja.sources import CANONICAL_FIELDS

log = logging.getLogger(__name__)

_COPY_COLUMNS = ("row_number", "source") + CANONICAL_FIELDS


@dataclass(frozen=True)
class LandedBatch:
    batch_id: str
    source: str
    data_day: date
    rows_in: int
    checksum: str


def _canonical_line(record: dict) -> bytes:
    """The bytes a record contributes to the batch checksum (None and 0 differ)."""
    values = ("\\N" if record[f] is None else str(record[f]) for f in CANONICAL_FIELDS)
    return ("\t".join(values) + "\n").encode()


def batch_id_for(source: str, data_day: date, checksum: str) -> str:
    return f"{source}:{data_day.isoformat()}:{checksum[:16]}"


def land_batch(conn: psycopg.Connection, source: str, data_day: date, records: Iterable[dict]) -> LandedBatch:
    """Land `records` as one batch of `source` for `data_day` and record it in the ledger."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("create temp table incoming on commit drop as select * from raw.account_daily with no data")
        hasher = hashlib.sha256()
        rows_in = 0
        with cur.copy(f"copy incoming ({', '.join(_COPY_COLUMNS)}) from stdin") as copy:
            for rows_in, record in enumerate(records, start=1):
                hasher.update(_canonical_line(record))
                copy.write_row((rows_in, source, *(record[f] for f in CANONICAL_FIELDS)))
        checksum = hasher.hexdigest()
        batch_id = batch_id_for(source, data_day, checksum)
        _lock_partitions(cur, source, data_day)
        _replace_partitions(cur, source, batch_id)
        _record_in_ledger(cur, batch_id, source, data_day, rows_in, checksum)
    log.info("landed batch %s: %d rows", batch_id, rows_in)
    return LandedBatch(batch_id, source, data_day, rows_in, checksum)


def _lock_partitions(cur: psycopg.Cursor, source: str, data_day: date) -> None:
    """Lock every (source, metric day) the batch touches, plus its ledger day, in a fixed order.

    A batch may carry trailing days (restatements), so two batches of different data
    days can touch the same partition; sorted locks keep them from interleaving or
    deadlocking. The locks last until the transaction ends.
    """
    cur.execute(
        """
        select pg_advisory_xact_lock(hashtext('landing|' || %(source)s || '|' || day::text))
        from (
            select metric_date as day from incoming union select %(data_day)s::date order by day
        ) as sorted_days
        """,
        {"source": source, "data_day": data_day},
    )


def _replace_partitions(cur: psycopg.Cursor, source: str, batch_id: str) -> None:
    cur.execute(
        """
        delete from raw.account_daily as landed
        using (select distinct platform, account_id, metric_date from incoming) as carried
        where landed.source = %s
          and landed.platform = carried.platform
          and landed.account_id = carried.account_id
          and landed.metric_date = carried.metric_date
        """,
        [source],
    )
    columns = ", ".join(_COPY_COLUMNS)
    cur.execute(
        f"insert into raw.account_daily (batch_id, {columns}) select %s, {columns} from incoming",
        [batch_id],
    )


def _record_in_ledger(
    cur: psycopg.Cursor, batch_id: str, source: str, data_day: date, rows_in: int, checksum: str
) -> None:
    cur.execute(
        """
        insert into raw.batch_ledger (batch_id, source, data_day, rows_in, checksum, status)
        values (%s, %s, %s, %s, %s, 'landed')
        on conflict (batch_id) do update
            set landed_at = now(),
                land_count = raw.batch_ledger.land_count + 1,
                status = 'landed',
                rows_accepted = null,
                rows_rejected = null,
                audited_at = null,
                summary = null
        """,
        [batch_id, source, data_day, rows_in, checksum],
    )
    # Earlier batches of the same day whose rows were all replaced stay in the
    # ledger as history, marked as such.
    cur.execute(
        """
        update raw.batch_ledger as ledger
        set status = 'superseded'
        where ledger.source = %s and ledger.data_day = %s and ledger.batch_id <> %s
          and ledger.status <> 'superseded'
          and not exists (select 1 from raw.account_daily r where r.batch_id = ledger.batch_id)
        """,
        [source, data_day, batch_id],
    )
