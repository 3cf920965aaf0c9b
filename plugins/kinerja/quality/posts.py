"""The audit of landed post batches (raw.post_daily) with the suite raw_post_daily.yml.

Built on `kinerja.quality.engine`, like the account-day audit, row by row: keys present and
unique, platforms known, accounts in the registry and registered on the as-of day, as-of
days inside the batch's window (its data day's trailing days up to the day it was landed:
an API reports lifetime totals as of the day of the pull), counts not negative, a post not
published after its as-of day. Failing rows go to raw.quarantine with their reason
(metric_date holds the as-of day), every expectation's result to audit.validation_results,
the validation to the one Data Docs site; the batch's ledger row says how many rows were
accepted. A batch with more than half of its rows failing is rejected as a whole
(`account_days.BatchRejected`, the one error of a landed batch).
"""

from __future__ import annotations

import logging

import pandas as pd
import psycopg

from kinerja import platforms
from kinerja.quality import engine
from kinerja.quality.account_days import BatchRejected
from kinerja.sources.base import POST_METRIC_FIELDS

log = logging.getLogger(__name__)

POST_SUITE = "raw_post_daily"

_POST_ROWS = f"""
select
    r.row_number, r.platform, r.account_id, r.post_id, r.as_of_date, r.published_at, r.post_type,
    {", ".join(f"r.{m}" for m in POST_METRIC_FIELDS)},
    -- the metric day of publication, by the platform's own day (see the suite)
    {platforms.metric_day_sql("r.platform", "r.published_at")} as published_day,
    -- null: an account the registry does not know at all
    case when exists (select 1 from registry.accounts a where a.account_id = r.account_id)
         then exists (select 1 from registry.accounts a
                      where a.account_id = r.account_id and a.platform = r.platform
                        and a.valid_from <= r.as_of_date and (a.valid_to is null or r.as_of_date <= a.valid_to))
    end as account_valid_on_day
from raw.post_daily as r
where r.batch_id = %s
order by r.row_number
"""


def audit_post_batch(conn: psycopg.Connection, batch_id: str) -> engine.Outcome:
    """Audit one landed post batch: quarantine failing rows, settle the ledger, raise if unusable.

    Commits on a connection that is not in autocommit mode, whatever the outcome.
    """
    ledger = conn.execute(
        # the latest Indonesian day (WIT) at landing: no post total can be as of a later day
        "select source, data_day, (landed_at at time zone 'Asia/Jayapura')::date from raw.batch_ledger"
        " where batch_id = %s and raw_table = 'raw.post_daily'",
        [batch_id],
    ).fetchone()
    if ledger is None:
        raise ValueError(
            f"post batch {batch_id} is not in raw.batch_ledger: land it first (landing.land_posts)"
        )
    source, data_day, landed_day = ledger
    spec = engine.load_suite_spec(POST_SUITE)
    frame = _read_posts(conn, batch_id)
    parameters = engine.batch_parameters(conn, source, data_day) | {"landed_day": max(landed_day, data_day)}
    validation = engine.Validation(batch_id)
    outcome = engine.Outcome(
        batch_id, "post batch", len(frame), raw_table="raw.post_daily", run_id=validation.run_name
    )
    if not frame.empty:
        results = validation.run(frame, spec, parameters)
        outcome.expectations = len(results)
        outcome.rejections, outcome.results = engine.row_verdicts(
            frame, spec, results, parameters, identity=("account_id", "platform", "as_of_date")
        )
        outcome.problems += [p for p in (engine.mostly_rejected(outcome),) if p]
    outcome.data_docs_url = validation.build_docs(POST_SUITE)
    engine.store(conn, outcome)
    return engine.conclude(conn, outcome, BatchRejected)


def _read_posts(conn: psycopg.Connection, batch_id: str) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(_POST_ROWS, [batch_id])
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description], dtype=object)
    for column in POST_METRIC_FIELDS:
        # counts stay nullable: "no value" is not 0; the latency is a number of seconds
        frame[column] = pd.to_numeric(frame[column]).astype("Float64" if column.endswith("_s") else "Int64")
    return frame
