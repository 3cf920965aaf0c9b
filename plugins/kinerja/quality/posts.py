"""The audit of landed post batches (raw.post_daily) with the suite raw_post_daily.yml.

Like the account-day audit (`kinerja.quality.account_days.audit_batch`), row by row: keys present and
unique, platforms known, accounts in the registry and registered on the as-of day, as-of
days inside the batch's window (its data day's trailing days up to the day it was landed:
an API reports lifetime totals as of the day of the pull), counts not negative, a post not published after its as-of
day. Failing rows go to raw.quarantine with their reason (metric_date holds the as-of day),
every expectation's result to audit.validation_results, Data Docs under
$KINERJA_HOME/data_docs/<batch>/; the batch's ledger row says how many rows were accepted.
A batch with more than half of its rows failing is rejected as a whole (`BatchRejected`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pandas as pd
import psycopg

from kinerja import platforms
from kinerja.quality.account_days import (
    MAX_REJECTED_SHARE,
    AuditResult,
    BatchRejected,
    _build_docs,
    _docs_dir_for,
    _expectation_entries,
    _rejections,
    _safe_name,
    _Validator,
    load_suite_spec,
    registry_account_ids,
    window_days,
    write_quarantine,
    write_validation_results,
)
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


def audit_post_batch(conn: psycopg.Connection, batch_id: str) -> AuditResult:
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
        raise ValueError(f"post batch {batch_id} is not in raw.batch_ledger: land it first (landing.land_posts)")
    source, data_day, landed_day = ledger
    spec = load_suite_spec(POST_SUITE)
    frame = _read_posts(conn, batch_id)
    window = window_days(source)
    parameters = {"registry_account_ids": registry_account_ids(conn), "data_day": data_day,
                  "window_start": data_day - timedelta(days=window), "window_days": window,
                  "landed_day": max(landed_day, data_day)}
    result = AuditResult(batch_id=batch_id, rows_in=len(frame))
    validator = _Validator(_docs_dir_for(batch_id))
    run_name = f"audit-{_safe_name(batch_id)}"
    audit_rows: list[dict] = []
    if not frame.empty:
        outcome = validator.validate(frame, spec, _expectation_entries(spec), parameters, run_name)
        result.rejections, audit_rows = _rejections(frame, spec, list(outcome.results), parameters)
        for rejection in result.rejections:
            result.failed_checks[rejection.check_name] = result.failed_checks.get(rejection.check_name, 0) + 1
    problem = None
    if result.rows_rejected > MAX_REJECTED_SHARE * result.rows_in:
        checks = "; ".join(f"{name}: {count} rows" for name, count in sorted(result.failed_checks.items()))
        problem = (f"post batch {batch_id} rejected: {result.rows_rejected} of {result.rows_in} rows failed the "
                   f"audit (more than {MAX_REJECTED_SHARE:.0%}; {checks}): the source or the registry is broken. "
                   f"What to do: "
                   f"read the reasons in raw.quarantine for this batch, fix the source or the registry, "
                   f"and land the day again")
    result.data_docs_url = _build_docs(validator, POST_SUITE)
    summary = problem or result.summary()
    _store(conn, result, frame, [{**row, "suite": POST_SUITE} for row in audit_rows],
           "rejected" if problem else "accepted", summary, run_name)
    if not conn.autocommit:
        conn.commit()  # the ledger's "rejected, and why" must survive the raise below
    docs_note = f"; Data Docs: {result.data_docs_url}" if result.data_docs_url else ""
    if problem:
        log.error("%s%s", problem, docs_note)
        raise BatchRejected(problem + docs_note)
    log.info("audit of %s: %s%s", batch_id, summary, docs_note)
    return result


def _read_posts(conn: psycopg.Connection, batch_id: str) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(_POST_ROWS, [batch_id])
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description], dtype=object)
    for column in POST_METRIC_FIELDS:
        # counts stay nullable: "no value" is not 0; the latency is a number of seconds
        frame[column] = pd.to_numeric(frame[column]).astype("Float64" if column.endswith("_s") else "Int64")
    return frame


def _store(conn, result: AuditResult, frame: pd.DataFrame, audit_rows: list[dict], status: str,
           summary: str, run_id: str) -> None:
    """Replace this batch's quarantine and audit rows and settle its ledger row, atomically."""
    keys = frame.set_index("row_number")[["account_id", "platform", "as_of_date"]] if len(frame) else None
    with conn.transaction(), conn.cursor() as cur:
        # two audits of the same batch at once: the second waits, then replaces the first's records
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"audit|{result.batch_id}"])
        cur.execute("delete from raw.quarantine where batch_id = %s", [result.batch_id])
        cur.execute("delete from audit.validation_results where batch_id = %s", [result.batch_id])
        write_quarantine(cur, result.batch_id, result.rejections, lambda row: tuple(keys.loc[row]))
        write_validation_results(cur, result.batch_id, audit_rows, run_id)
        accepted = 0 if status == "rejected" else result.rows_accepted
        cur.execute(
            "update raw.batch_ledger set status = %s, rows_accepted = %s, rows_rejected = %s, audited_at = now(),"
            " summary = %s where batch_id = %s",
            [status, accepted, result.rows_in - accepted, summary, result.batch_id],
        )
