"""The one path that lands any Harvest and audits it.

A source yields a Harvest (account days, posts, payloads, problems) and writes nothing;
this module archives its payloads first (nothing is lost), records its problems, lands its
account days and posts as one batch each under the source's name, and audits every batch
it landed with Great Expectations. A rejected batch is reported, never raised: the caller
decides what a rejection means for its task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

import psycopg

from kinerja.landing import batches, payloads
from kinerja.quality.account_days import BatchRejected, audit_batch
from kinerja.quality.posts import audit_post_batch
from kinerja.sources.base import Harvest

log = logging.getLogger(__name__)

# The audit of each raw table's batches.
AUDITS = {"raw.account_daily": audit_batch, "raw.post_daily": audit_post_batch}


def audit_all(conn: psycopg.Connection, batch_ids: Iterable[str], audit) -> list[dict]:
    """Audit each batch of one raw table with `audit` (one of AUDITS); the outcome per batch.
    Each audit commits its own records, whatever its outcome."""
    outcomes = []
    for batch_id in batch_ids:
        if _superseded(conn, batch_id):
            # a later delivery of its partitions was accepted while it waited: nothing left to audit
            log.info("batch %s was superseded before its audit", batch_id)
            outcomes.append({"batch_id": batch_id, "status": "superseded"})
            continue
        try:
            result = audit(conn, batch_id)
        except BatchRejected as rejection:
            log.error("%s", rejection)
            outcomes.append({"batch_id": batch_id, "status": "rejected", "reason": str(rejection)})
            continue
        log.info(result.summary())
        outcomes.append(
            {
                "batch_id": batch_id,
                "status": "accepted",
                "rows_accepted": result.rows_accepted,
                "rows_rejected": result.rows_rejected,
            }
        )
    return outcomes


def _superseded(conn: psycopg.Connection, batch_id: str) -> bool:
    status = conn.execute("select status from raw.batch_ledger where batch_id = %s", [batch_id]).fetchone()
    return status is not None and status[0] == "superseded"


def rejections(outcomes: Iterable[dict]) -> list[str]:
    """Why each rejected batch of these audit outcomes was rejected."""
    return [outcome["reason"] for outcome in outcomes if outcome["status"] == "rejected"]


def pending_batches(conn: psycopg.Connection, source_prefix: str) -> dict[str, list[str]]:
    """Batch ids of a source (or `api:` sources) landed but not audited, that still hold rows, per raw table."""
    pending: dict[str, list[str]] = {"raw.account_daily": [], "raw.post_daily": []}
    for table in pending:
        pending[table] = [
            row[0]
            for row in conn.execute(
                f"""
                select ledger.batch_id from raw.batch_ledger as ledger
                where (ledger.source = %(source)s or ledger.source like %(prefix)s)
                  and ledger.status = 'landed' and ledger.raw_table = %(table)s
                  and exists (select 1 from {table} as landed where landed.batch_id = ledger.batch_id)
                order by ledger.data_day, ledger.batch_id
                """,
                {"source": source_prefix, "prefix": f"{source_prefix}:%", "table": table},
            )
        ]
    return pending


def land_harvest(
    conn: psycopg.Connection,
    source: str,
    platform: str | None,
    data_day: date,
    harvest: Harvest,
    audit: bool = True,
) -> dict:
    """Archive, record and land one harvest, then audit its batches (unless `audit` is false:
    the caller then audits `batches` itself, in the order of their days; see `audit_landed`).

    The batches land under `source`, or `source:platform` for a source harvested per platform
    (`api:facebook`); such a source files its problems per platform, one without platforms has none.
    """
    name = source if platform is None else f"{source}:{platform}"
    archived = payloads.archive_payloads(conn, data_day, harvest.payloads)  # first: nothing is lost
    if platform is not None:
        payloads.record_problems(conn, data_day, source, platform, harvest.problems)
    landed = {}  # raw table -> the batch landed in it
    if harvest.account_days:
        landed["raw.account_daily"] = batches.land_batch(conn, name, data_day, harvest.account_days).batch_id
    if harvest.posts:
        landed["raw.post_daily"] = batches.land_posts(conn, name, data_day, harvest.posts).batch_id
    conn.commit()
    return {
        "batches": landed,
        "batch_ids": list(landed.values()),
        "accounts_landed": sorted({record["account_id"] for record in harvest.account_days}),
        "account_days": len(harvest.account_days),
        "posts": len(harvest.posts),
        "payloads": archived,
        "audits": audit_landed(conn, landed) if audit else [],
    }


def audit_landed(conn: psycopg.Connection, landed: dict[str, str]) -> list[dict]:
    """Audit the batches one harvest landed (raw table -> batch id), account days first.

    An audit reads what earlier audits accepted (the last follower count, the usual coverage,
    the provisional days it judges again): the batches of several days are audited in the
    order of their days, as the daily runs would.
    """
    audits = []
    for table, batch_id in landed.items():
        audits += audit_all(conn, [batch_id], AUDITS[table])
        conn.commit()
    return audits
