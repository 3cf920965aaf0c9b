"""COPY-based, idempotent landing of account-day and post batches, with a batch ledger.

A batch is what one source delivered for one data day, into one raw table. Landing it
replaces exactly the (platform, account, day) rows of that source that the batch
carries, in one transaction, under an advisory lock per (table, source, day): landing the same
batch twice, or from two processes at once, leaves the same rows; a failure in the
middle leaves the partition as it was. The batch id is derived from the content, so
the same content always gets the same id and the same ledger row.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg.types.json import Jsonb

from kinerja.sources import CANONICAL_FIELDS, METRIC_FIELDS
from kinerja.sources.base import POST_FIELDS, POST_METRIC_FIELDS, NoValue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawTable:
    """A raw table that batches land in, and what partitions a batch replaces in it."""

    name: str
    fields: tuple[str, ...]  # the canonical fields, in the table's order
    metric_fields: tuple[str, ...]  # the values among them that may be "no value"
    day_field: str  # the day a row belongs to: partitions are (source, platform, account, day)
    batch_kind: str  # part of the batch id, so that batches of different tables never collide
    row_key: tuple[str, ...]  # what identifies a row within a partition

    @property
    def copy_columns(self) -> tuple[str, ...]:
        return ("row_number", "source") + self.fields + ("no_value",)


ACCOUNT_DAILY = RawTable(
    "raw.account_daily",
    CANONICAL_FIELDS,
    METRIC_FIELDS,
    "metric_date",
    "",
    ("platform", "account_id", "metric_date"),
)
POST_DAILY = RawTable(
    "raw.post_daily",
    POST_FIELDS,
    POST_METRIC_FIELDS,
    "as_of_date",
    "posts",
    ("platform", "account_id", "post_id", "as_of_date"),
)


@dataclass(frozen=True)
class LandedBatch:
    batch_id: str
    source: str
    data_day: date
    rows_in: int
    checksum: str


def _canonical_line(table: RawTable, record: dict) -> bytes:
    """The bytes a record contributes to the batch checksum (None and 0 differ)."""
    values = ["\\N" if record[f] is None else str(record[f]) for f in table.fields]
    values.append(json.dumps(record.get("no_value"), sort_keys=True))
    return ("\t".join(values) + "\n").encode()


def _copy_row(table: RawTable, row_number: int, source: str, record: dict) -> tuple:
    no_value = record.get("no_value")
    return (
        row_number,
        source,
        *(record[f] for f in table.fields),
        None if no_value is None else Jsonb(no_value),
    )


def batch_id_for(source: str, data_day: date, checksum: str, table: RawTable = ACCOUNT_DAILY) -> str:
    kind = f"{table.batch_kind}:" if table.batch_kind else ""
    return f"{source}:{kind}{data_day.isoformat()}:{checksum[:16]}"


def land_batch(
    conn: psycopg.Connection,
    source: str,
    data_day: date,
    records: Iterable[dict],
    table: RawTable = ACCOUNT_DAILY,
) -> LandedBatch:
    """Land `records` as one batch of `source` for `data_day` and record it in the ledger."""
    with conn.transaction(), conn.cursor() as cur:
        # A caller may land several batches in one transaction (a file's days and posts):
        # the previous batch's staging table is done with by then.
        cur.execute("drop table if exists pg_temp.incoming")
        cur.execute(f"create temp table incoming on commit drop as select * from {table.name} with no data")
        hasher = hashlib.sha256()
        rows_in = 0
        with cur.copy(f"copy incoming ({', '.join(table.copy_columns)}) from stdin") as copy:
            for rows_in, record in enumerate(records, start=1):
                hasher.update(_canonical_line(table, record))
                copy.write_row(_copy_row(table, rows_in, source, record))
        checksum = hasher.hexdigest()
        batch_id = batch_id_for(source, data_day, checksum, table)
        _lock_partitions(cur, table, source, data_day)
        _keep_values_not_observed(cur, table, source)
        _replace_partitions(cur, table, source, batch_id)
        _record_in_ledger(cur, table, batch_id, source, data_day, rows_in, checksum)
    log.info("landed batch %s into %s: %d rows", batch_id, table.name, rows_in)
    return LandedBatch(batch_id, source, data_day, rows_in, checksum)


def land_posts(conn: psycopg.Connection, source: str, data_day: date, records: Iterable[dict]) -> LandedBatch:
    """Land post records (lifetime totals per post and as-of day) like `land_batch` does account days."""
    return land_batch(conn, source, data_day, records, POST_DAILY)


def _lock_partitions(cur: psycopg.Cursor, table: RawTable, source: str, data_day: date) -> None:
    """Lock every (source, day) the batch touches, plus its ledger day, in a fixed order.

    A batch may carry trailing days (restatements), so two batches of different data
    days can touch the same partition; sorted locks keep them from interleaving or
    deadlocking. The locks last until the transaction ends.
    """
    cur.execute(
        f"""
        select pg_advisory_xact_lock(hashtext(%(prefix)s || day::text))
        from (
            select {table.day_field} as day from incoming union select %(data_day)s::date order by day
        ) as sorted_days
        """,
        {"prefix": f"landing|{table.name}|{source}|", "data_day": data_day},
    )


def _keep_values_not_observed(cur: psycopg.Cursor, table: RawTable, source: str) -> None:
    """A value this batch did not observe keeps what the row it replaces held.

    A re-pull of trailing days carries follower levels as "not observed" (they were only
    visible on their own day): the restated views replace the old ones, the level stays.
    """
    not_observed = str(NoValue.NOT_OBSERVED)
    keep = [
        f"{field} = case when incoming.no_value->>'{field}' = '{not_observed}'"
        f" then landed.{field} else incoming.{field} end"
        for field in table.metric_fields
    ]
    # the reason goes too where the earlier row had a value
    kept = ", ".join(
        f"case when incoming.no_value->>'{field}' = '{not_observed}' and landed.{field} is not null"
        f" then '{field}' end"
        for field in table.metric_fields
    )
    match = " and ".join(f"landed.{key} = incoming.{key}" for key in table.row_key)
    cur.execute(
        f"""
        update incoming
        set {", ".join(keep)},
            no_value = incoming.no_value - array_remove(array[{kept}], null)
        from {table.name} as landed
        where landed.source = %s and {match}
          and incoming.no_value::text like '%%{not_observed}%%'
        """,
        [source],
    )


def _replace_partitions(cur: psycopg.Cursor, table: RawTable, source: str, batch_id: str) -> None:
    day = table.day_field
    cur.execute(
        f"""
        delete from {table.name} as landed
        using (select distinct platform, account_id, {day} from incoming) as carried
        where landed.source = %s
          and landed.platform = carried.platform
          and landed.account_id = carried.account_id
          and landed.{day} = carried.{day}
        """,
        [source],
    )
    columns = ", ".join(table.copy_columns)
    cur.execute(
        f"insert into {table.name} (batch_id, {columns}) select %s, {columns} from incoming", [batch_id]
    )


def _record_in_ledger(
    cur: psycopg.Cursor,
    table: RawTable,
    batch_id: str,
    source: str,
    data_day: date,
    rows_in: int,
    checksum: str,
) -> None:
    cur.execute(
        """
        insert into raw.batch_ledger (batch_id, source, data_day, rows_in, checksum, status, raw_table)
        values (%s, %s, %s, %s, %s, 'landed', %s)
        on conflict (batch_id) do update
            set landed_at = now(),
                land_count = raw.batch_ledger.land_count + 1,
                status = 'landed',
                rows_accepted = null,
                rows_rejected = null,
                audited_at = null,
                summary = null
        """,
        [batch_id, source, data_day, rows_in, checksum, table.name],
    )
    # Earlier batches of the same day whose rows were all replaced stay in the
    # ledger as history, marked as such.
    cur.execute(
        f"""
        update raw.batch_ledger as ledger
        set status = 'superseded'
        where ledger.source = %s and ledger.data_day = %s and ledger.batch_id <> %s
          and ledger.raw_table = %s
          and ledger.status <> 'superseded'
          and not exists (select 1 from {table.name} r where r.batch_id = ledger.batch_id)
        """,
        [source, data_day, batch_id, table.name],
    )
