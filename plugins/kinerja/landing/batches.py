"""COPY-based, idempotent landing of account-day and post batches, with a batch ledger.

A batch is what one source delivered for one data day, into one raw table. Landing it
adds its rows beside the rows it will replace, in one transaction, under an advisory lock per
(table, source, day): landing the same batch twice, or from two processes at once, leaves the
same rows; a failure in the middle leaves the partition as it was. The batch id is derived
from the content, so the same content always gets the same id and the same ledger row.

Accepted rows are replaced only by rows that passed their audit: when the audit accepts a
batch (`replace_with_accepted`, called as the audit stores its verdict), the rows of the
source's other batches in the (platform, account, day) partitions the batch's accepted rows
carry are deleted. A rejected batch replaces nothing: the last accepted rows stay what the
warehouse builds from, also after a full refresh. Landing content already landed whole
leaves its ledger row's verdict as it was: an accepted batch stays accepted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import IO

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


# A batch's COPY lines stay in memory up to this size and go to a temporary file beyond it, so
# that landing a large batch (a file drop at its row limit) does not hold every row at once.
_SPOOL_BYTES = 1 << 20


@dataclass
class _Formatted:
    """A batch's records, each formatted once: the checksum's text is also the COPY line."""

    lines: IO[str]  # one COPY line per record, rewound; in memory or, when large, on disk
    rows: int
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
    # the caller closes it (land_batch: `with formatted.lines`); here only when formatting fails
    lines = tempfile.SpooledTemporaryFile(_SPOOL_BYTES, mode="w+", encoding="utf-8", newline="\n")  # noqa: SIM115
    rows = 0
    days: set[date] = set()
    reasons_json: dict[tuple, str] = {}  # few distinct reason sets: serialise each once
    has_not_observed = False
    not_observed = str(NoValue.NOT_OBSERVED)
    fields, day_field = table.fields, table.day_field
    text_fields = [f for f in fields if f in _TEXT_FIELDS]
    try:
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
            lines.write(canonical if no_value is not None else canonical.rpartition("\t")[0] + "\t\\N")
            lines.write("\n")  # COPY lines hold no raw line break: text fields are escaped above
            rows += 1
            days.add(record[day_field])
    except BaseException:
        lines.close()
        raise
    lines.seek(0)
    return _Formatted(lines, rows, hasher.hexdigest(), days, has_not_observed)


def batch_id_for(source: str, data_day: date, checksum: str, table: RawTable = ACCOUNT_DAILY) -> str:
    kind = f"{table.batch_kind}:" if table.batch_kind else ""
    return f"{source}:{kind}{data_day.isoformat()}:{checksum[:16]}"


def batch_id_of(source: str, data_day: date, records: Iterable[dict], table: RawTable = ACCOUNT_DAILY) -> str:
    """The id `land_batch` gives these records, without landing them."""
    return batch_id_for(source, data_day, _format(table, records).checksum, table)


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
    the rows are COPYed straight into the raw table. Nothing is deleted here: the rows a
    batch replaces go only when its audit accepts it (`replace_with_accepted`).
    """
    formatted = _format(table, records)
    batch_id = batch_id_for(source, data_day, formatted.checksum, table)
    rows_in = formatted.rows
    with formatted.lines, conn.transaction(), conn.cursor() as cur:
        _lock_partitions(cur, table, source, {*formatted.days, data_day})
        in_place = _holds_all_its_partitions(cur, table, batch_id, rows_in)
        if in_place:
            log.info("batch %s is landed already, every row in place", batch_id)
        else:
            _copy_rows(cur, table, source, batch_id, formatted.lines)
            if formatted.has_not_observed:
                _keep_values_not_observed(cur, table, source, batch_id)
        _record_in_ledger(cur, table, batch_id, source, data_day, rows_in, formatted.checksum, in_place)
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


def _copy_rows(
    cur: psycopg.Cursor, table: RawTable, source: str, batch_id: str, lines: Iterable[str]
) -> None:
    # rows of this batch that survived a partial replacement go first: it lands whole again
    cur.execute(f"delete from {table.name} where batch_id = %s", [batch_id])
    prefix = (batch_id.translate(_COPY_ESCAPES), source.translate(_COPY_ESCAPES))
    columns = ", ".join(("batch_id",) + table.copy_columns)
    numbered = enumerate(lines, 1)  # each line ends in its line break
    with cur.copy(f"copy {table.name} ({columns}) from stdin") as copy:
        while chunk := list(itertools.islice(numbered, 5000)):
            copy.write("".join(f"{prefix[0]}\t{n}\t{prefix[1]}\t{line}" for n, line in chunk))


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
        -- the value kept is one that passed its audit: rows of unaudited or rejected batches
        -- of the same partition wait beside it until an audit settles them
        join raw.batch_ledger as ledger on ledger.batch_id = landed.batch_id and ledger.status = 'accepted'
        where incoming.batch_id = %(batch)s and landed.source = %(source)s and landed.batch_id <> %(batch)s
          and {match}
          and not exists (select 1 from raw.quarantine as q
                          where q.batch_id = landed.batch_id and q.row_number = landed.row_number)
          and incoming.no_value::text like '%%{not_observed}%%'
        """,
        {"batch": batch_id, "source": source},
    )


TABLES = {table.name: table for table in (ACCOUNT_DAILY, POST_DAILY)}


def lock_batch_partitions(cur: psycopg.Cursor, raw_table: str, batch_id: str) -> tuple[str, list[date]]:
    """Take the landing's locks of a landed batch's partitions (its days and its data day); its
    source and days.

    Whoever writes a batch's ledger row besides landing (the audit storing its verdict) takes
    these first, as landing does before it writes the ledger: in the other order a landing of
    the same day and an audit would each wait for the other (a deadlock).
    """
    table = TABLES[raw_table]
    cur.execute("select source, data_day from raw.batch_ledger where batch_id = %s", [batch_id])
    source, data_day = cur.fetchone()
    cur.execute(f"select distinct {table.day_field} from {table.name} where batch_id = %s", [batch_id])
    days = sorted(row[0] for row in cur.fetchall())
    _lock_partitions(cur, table, source, {*days, data_day})
    return source, days


def replace_with_accepted(cur: psycopg.Cursor, raw_table: str, batch_id: str) -> int:
    """The audit accepted `batch_id`: delete what its accepted rows replace; the rows deleted.

    In each (platform, account, day) partition of the source that the batch's rows outside
    the quarantine carry, the latest delivery wins: the rows of batches landed before it
    are deleted, and its own rows go where a batch landed after it was accepted already
    (audits may run in another order than the landings). A quarantined row replaces nothing,
    so the last accepted row of its partition stays. Batches left without rows are marked
    superseded. Runs in the audit's transaction, under the landing's partition locks. The
    carried keys walk the (platform, account, day) index: a batch costs the same on a table
    of any age.
    """
    table = TABLES[raw_table]
    day = table.day_field
    source, days = lock_batch_partitions(cur, raw_table, batch_id)
    cur.execute("select landed_at from raw.batch_ledger where batch_id = %s", [batch_id])
    (landed_at,) = cur.fetchone()
    same_partition = (
        f"other.platform = mine.platform and other.account_id = mine.account_id and other.{day} = mine.{day}"
    )
    passed = "not exists (select 1 from raw.quarantine as q where q.batch_id = {0}.batch_id and q.row_number = {0}.row_number)"
    params = {"batch": batch_id, "source": source, "days": days, "landed_at": landed_at}
    cur.execute(
        f"""
        with carried as (
            select distinct mine.platform, mine.account_id, mine.{day} from {table.name} as mine
            where mine.batch_id = %(batch)s and {passed.format("mine")}
        )
        delete from {table.name} as other
        using carried, raw.batch_ledger as ledger
        where other.source = %(source)s and other.{day} = any(%(days)s) and other.batch_id <> %(batch)s
          and other.platform = carried.platform and other.account_id = carried.account_id
          and other.{day} = carried.{day}
          and ledger.batch_id = other.batch_id and ledger.landed_at <= %(landed_at)s
        returning other.batch_id
        """,
        params,
    )
    replaced = [row[0] for row in cur.fetchall()]
    # The ledger names the batches of the source landed later and accepted already; almost
    # always none. Asking it first keeps the batch's just-landed rows, which the planner's
    # statistics do not know yet, out of a join of every row against every row.
    cur.execute(
        """
        select batch_id from raw.batch_ledger
        where raw_table = %(table)s and source = %(source)s and status = 'accepted'
          and landed_at > %(landed_at)s and batch_id <> %(batch)s
        """,
        params | {"table": raw_table},
    )
    later = [row[0] for row in cur.fetchall()]
    if later:
        cur.execute(
            f"""
            delete from {table.name} as mine
            where mine.batch_id = %(batch)s
              and exists (select 1 from {table.name} as other
                          where other.batch_id = any(%(later)s) and other.source = %(source)s
                            and other.{day} = any(%(days)s)
                            and {same_partition} and {passed.format("other")})
            returning mine.batch_id
            """,
            params | {"later": later},
        )
        replaced += [row[0] for row in cur.fetchall()]
    # Batches whose rows were all replaced stay in the ledger as history, marked as such.
    cur.execute(
        f"""
        update raw.batch_ledger as ledger set status = 'superseded'
        where ledger.batch_id = any(%s) and ledger.status <> 'superseded'
          and not exists (select 1 from {table.name} as r where r.batch_id = ledger.batch_id)
        """,
        [sorted(set(replaced))],
    )
    return len(replaced)


def _record_in_ledger(
    cur: psycopg.Cursor,
    table: RawTable,
    batch_id: str,
    source: str,
    data_day: date,
    rows_in: int,
    checksum: str,
    in_place: bool,
) -> None:
    """The batch's ledger row; landed again whole and accepted, it keeps its verdict (never demoted)."""
    cur.execute(
        """
        insert into raw.batch_ledger as ledger (batch_id, source, data_day, rows_in, checksum, status, raw_table)
        values (%(batch)s, %(source)s, %(day)s, %(rows)s, %(checksum)s, 'landed', %(table)s)
        on conflict (batch_id) do update
            set landed_at = now(),
                land_count = ledger.land_count + 1,
                status = case when %(in_place)s and ledger.status = 'accepted' then ledger.status else 'landed' end,
                rows_accepted = case when %(in_place)s and ledger.status = 'accepted' then ledger.rows_accepted end,
                rows_rejected = case when %(in_place)s and ledger.status = 'accepted' then ledger.rows_rejected end,
                audited_at = case when %(in_place)s and ledger.status = 'accepted' then ledger.audited_at end,
                summary = case when %(in_place)s and ledger.status = 'accepted' then ledger.summary end
        """,
        {
            "batch": batch_id,
            "source": source,
            "day": data_day,
            "rows": rows_in,
            "checksum": checksum,
            "table": table.name,
            # an accepted batch whose rows are all still in place: the same content, the same verdict
            "in_place": in_place,
        },
    )
