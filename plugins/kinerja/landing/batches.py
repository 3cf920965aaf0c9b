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
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import psycopg

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


# Only text can hold what COPY must escape; numbers, dates and reason names cannot.
_TEXT_FIELDS = ("platform", "account_id", "post_id", "post_type")
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass
class _Formatted:
    """A batch's records, each formatted once: the checksum's text is also the COPY line."""

    lines: list[str]
    checksum: str
    days: set[date]
    has_not_observed: bool


def _format(table: RawTable, records: Iterable[dict]) -> _Formatted:
    """Each record as the canonical text its checksum hashes (None and 0 differ), ready to COPY.

    The canonical text of a record is its fields, tab-separated, `\\N` for None, then its
    no_value reasons as sorted JSON; a batch's checksum (and so its id) is the sha256 of
    those lines. The same text is COPY's text format wherever it holds no character COPY
    must escape; where it does, the COPY line is escaped (the checksum is not).
    """
    hasher = hashlib.sha256()
    lines: list[str] = []
    days: set[date] = set()
    reasons_json: dict[tuple, str] = {}  # few distinct reason sets: serialise each once
    has_not_observed = False
    not_observed = str(NoValue.NOT_OBSERVED)
    fields, day_field = table.fields, table.day_field
    text_fields = [f for f in fields if f in _TEXT_FIELDS]
    for record in records:
        values = ["\\N" if record[f] is None else str(record[f]) for f in fields]
        no_value = record.get("no_value")
        # the same reasons in the same order share their JSON (a different order only misses the cache)
        key = tuple(no_value.items()) if no_value is not None else None
        reasons = reasons_json.get(key)
        if reasons is None:
            reasons = reasons_json[key] = json.dumps(no_value, sort_keys=True)
            has_not_observed = has_not_observed or not_observed in reasons
        canonical = "\t".join(values) + "\t" + reasons
        hasher.update((canonical + "\n").encode())
        if _NEEDS_ESCAPE.search("".join([record[f] or "" for f in text_fields]) + reasons):
            values = [v if v == "\\N" else v.translate(_COPY_ESCAPES) for v in values]
            canonical = "\t".join(values) + "\t" + reasons.translate(_COPY_ESCAPES)
        # no reasons at all is SQL null, not the JSON value null
        lines.append(canonical if no_value is not None else canonical.rpartition("\t")[0] + "\t\\N")
        days.add(record[day_field])
    return _Formatted(lines, hasher.hexdigest(), days, has_not_observed)


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
    """Land `records` as one batch of `source` for `data_day` and record it in the ledger.

    The records are read and formatted before the database is touched (a source that
    fails halfway changes nothing); then, in one transaction under the partitions' locks,
    the rows are COPYed straight into the raw table and the rows of other batches in the
    partitions they carry are deleted.
    """
    formatted = _format(table, records)
    batch_id = batch_id_for(source, data_day, formatted.checksum, table)
    rows_in = len(formatted.lines)
    with conn.transaction(), conn.cursor() as cur:
        _lock_partitions(cur, table, source, {*formatted.days, data_day})
        if _holds_all_its_partitions(cur, table, batch_id, rows_in):
            log.info("batch %s is landed already, every row in place", batch_id)
        else:
            _copy_rows(cur, table, source, batch_id, formatted.lines)
            if formatted.has_not_observed:
                _keep_values_not_observed(cur, table, source, batch_id)
            _delete_replaced_rows(cur, table, source, batch_id, sorted(formatted.days))
        _record_in_ledger(cur, table, batch_id, source, data_day, rows_in, formatted.checksum)
    log.info("landed batch %s into %s: %d rows", batch_id, table.name, rows_in)
    return LandedBatch(batch_id, source, data_day, rows_in, formatted.checksum)


def land_posts(conn: psycopg.Connection, source: str, data_day: date, records: Iterable[dict]) -> LandedBatch:
    """Land post records (lifetime totals per post and as-of day) like `land_batch` does account days."""
    return land_batch(conn, source, data_day, records, POST_DAILY)


def _lock_partitions(cur: psycopg.Cursor, table: RawTable, source: str, days: set[date]) -> None:
    """Lock every (table, source, day) the batch touches, plus its ledger day, in a fixed order.

    A batch may carry trailing days (restatements), so two batches of different data
    days can touch the same partition; sorted locks keep them from interleaving or
    deadlocking. The locks last until the transaction ends.
    """
    prefix = f"landing|{table.name}|{source}|"
    for day in sorted(days):
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", [prefix + day.isoformat()])


def _holds_all_its_partitions(cur: psycopg.Cursor, table: RawTable, batch_id: str, rows_in: int) -> bool:
    """The same content landed before and no later batch replaced any of it: nothing to do."""
    cur.execute(f"select count(*) from {table.name} where batch_id = %s", [batch_id])
    return rows_in > 0 and cur.fetchone()[0] == rows_in


def _copy_rows(cur: psycopg.Cursor, table: RawTable, source: str, batch_id: str, lines: list[str]) -> None:
    # rows of this batch that survived a partial replacement go first: it lands whole again
    cur.execute(f"delete from {table.name} where batch_id = %s", [batch_id])
    prefix = (batch_id.translate(_COPY_ESCAPES), source.translate(_COPY_ESCAPES))
    columns = ", ".join(("batch_id",) + table.copy_columns)
    with cur.copy(f"copy {table.name} ({columns}) from stdin") as copy:
        for start in range(0, len(lines), 5000):
            chunk = lines[start : start + 5000]
            copy.write(
                "".join(f"{prefix[0]}\t{n}\t{prefix[1]}\t{line}\n" for n, line in enumerate(chunk, start + 1))
            )


def _keep_values_not_observed(cur: psycopg.Cursor, table: RawTable, source: str, batch_id: str) -> None:
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
        update {table.name} as incoming
        set {", ".join(keep)},
            no_value = incoming.no_value - array_remove(array[{kept}], null)
        from {table.name} as landed
        where incoming.batch_id = %(batch)s and landed.source = %(source)s and landed.batch_id <> %(batch)s
          and {match}
          and incoming.no_value::text like '%%{not_observed}%%'
        """,
        {"batch": batch_id, "source": source},
    )


def _delete_replaced_rows(
    cur: psycopg.Cursor, table: RawTable, source: str, batch_id: str, days: list[date]
) -> None:
    """Every other batch's rows of the (platform, account, day) partitions this batch carries.

    The carried keys walk the (platform, account, day) index, so a batch costs the same
    on a table of any age.
    """
    day = table.day_field
    cur.execute(
        f"""
        delete from {table.name} as landed
        using (select distinct platform, account_id, {day} from {table.name} where batch_id = %(batch)s) as carried
        where landed.source = %(source)s and landed.{day} = any(%(days)s) and landed.batch_id <> %(batch)s
          and landed.platform = carried.platform
          and landed.account_id = carried.account_id
          and landed.{day} = carried.{day}
        """,
        {"batch": batch_id, "source": source, "days": days},
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
