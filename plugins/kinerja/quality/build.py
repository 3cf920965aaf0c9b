"""The Great Expectations audit of the build schemas, between dbt and publish.

dbt's tests check each model as it is built; this audit checks the rows publish is about to
copy, with the suites kept as reviewed YAML in expectations/suites/:

- `build_fct_account_daily`: build_marts.fct_account_daily, the days a daily run planned,
  rebuilt and publishes (kinerja.landing.plan) and any row dated after today.
- `build_rpt_institution_scores_monthly`: build_reports.rpt_institution_scores_monthly, the
  whole table (`tasks.publish.publish_month` copies it whole), which must score the run's month.

Every expectation's result goes to audit.validation_results (level 'build', batch_id the
audit's id, e.g. `build_reports.rpt_institution_scores_monthly:2026-10`) and Data Docs are
written under $KINERJA_HOME/data_docs/. A failure raises `BuildAuditFailed` naming each
failed expectation, how many rows, examples and what to do: the DAG's publish task then
does not run, so users keep seeing what they saw, and the bad rows stay visible in the
build schema.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg

from kinerja import config
from kinerja.quality.account_days import (
    _build_docs,
    _expectation_entries,
    _observed,
    _plain,
    _result_column,
    _safe_name,
    _Validator,
    data_docs_dir,
    load_suite_spec,
    registry_account_ids,
)

log = logging.getLogger(__name__)

FACT_TABLE = "build_marts.fct_account_daily"
SCORES_TABLE = "build_reports.rpt_institution_scores_monthly"
FACT_SUITE = "build_fct_account_daily"
SCORES_SUITE = "build_rpt_institution_scores_monthly"
LEVEL = "build"
# Failing rows named in the error, per expectation.
EXAMPLES = 5

# The scores' columns the suite reads (the model may gain others; they are not audited here).
_SCORES_QUERY = f"""
select
    month, institution_id, institution_name, peer_group, province_code, ikms, rank_in_peer_group,
    peer_group_size, is_eligible, activity_score, reach_score, engagement_score, responsiveness_score,
    accounts, followers, posts, coverage, methodology_version,
    -- "Data tidak cukup" has no rank, and every eligible institution has one
    (rank_in_peer_group is null) = (not is_eligible) as rank_null_exactly_when_not_eligible
from {SCORES_TABLE}
order by month, institution_id
"""

_FACT_QUERY = f"""
select * from {FACT_TABLE}
-- the days publish copies, and any day that cannot have happened yet
where metric_date = any(%(days)s) or metric_date > %(today)s
order by metric_date, account_id
"""


class BuildAuditFailed(RuntimeError):
    """The build schema holds rows that must not be published; the message says which and what to do."""


@dataclass
class Failure:
    expectation: str
    column: str
    unexpected: int | None  # rows failing; None for an expectation on the table as a whole
    observed: str
    reason: str
    examples: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        rows = f"{self.unexpected} row(s)" if self.unexpected is not None else f"observed {self.observed}"
        shown = f" (e.g. {'; '.join(self.examples)})" if self.examples else ""
        return f"{self.expectation} on {self.column or 'the table'}: {rows}{shown}: {self.reason}"


@dataclass
class BuildAudit:
    audit_id: str  # audit.validation_results.batch_id
    table: str
    rows_checked: int
    expectations: int
    failures: list[Failure] = field(default_factory=list)
    data_docs_url: str | None = None
    # what a failure means for users, and what to do after the fix (the registry audit says otherwise)
    consequence: str = "nothing was published, users see what they saw before"
    next_step: str = ("run the build and this audit again (clear the DAG run's dbt tasks); "
                      "publish follows when it passes")

    @property
    def success(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        where = f"results: audit.validation_results where batch_id = '{self.audit_id}'"
        docs = f"; Data Docs: {self.data_docs_url}" if self.data_docs_url else ""
        if self.success:
            return f"{self.audit_id}: all {self.expectations} expectations passed on {self.rows_checked} rows ({where}{docs})"
        head = (f"{self.audit_id}: {len(self.failures)} of {self.expectations} expectations failed on "
                f"{self.rows_checked} rows of {self.table}; {self.consequence}.")
        tail = f"The rows stay in {self.table} to look at ({where}{docs}). After the fix, {self.next_step}."
        return "\n".join([head, *(f"- {failure.sentence()}" for failure in self.failures), tail])


# --- the audits ---------------------------------------------------------------------------


def audit_fact_days(conn: psycopg.Connection, data_day: date, days: Sequence[date],
                    today: date | None = None) -> BuildAudit:
    """Audit build_marts.fct_account_daily's planned `days` (kinerja.landing.plan) of the run of `data_day`."""
    today = today or datetime.now(ZoneInfo(config.DEFAULT_TIMEZONE)).date()
    params = {"days": sorted(days), "today": today}
    frame = _read(conn, FACT_TABLE, _FACT_QUERY, params)
    parameters = {"first_day": min(days), "today": today, "registry_account_ids": registry_account_ids(conn)}
    return _audit(conn, FACT_SUITE, FACT_TABLE, f"{FACT_TABLE}:{data_day}", frame, parameters)


def audit_scores(conn: psycopg.Connection, month: date) -> BuildAudit:
    """Audit build_reports.rpt_institution_scores_monthly (every month it holds, the run's month among them)."""
    month = month.replace(day=1)
    frame = _read(conn, SCORES_TABLE, _SCORES_QUERY, {})
    return _audit(conn, SCORES_SUITE, SCORES_TABLE, f"{SCORES_TABLE}:{month:%Y-%m}", frame, {"months": [month]})


def _read(conn: psycopg.Connection, table: str, query: str, params: dict) -> pd.DataFrame:
    """The rows to audit; whole numbers as nullable integers, numerics as floats ("no value" stays null)."""
    if conn.execute("select to_regclass(%s)", [table]).fetchone()[0] is None:
        raise BuildAuditFailed(f"{table} does not exist: the dbt build did not build it. Run the build first "
                               f"(the DAG's dbt tasks, or `kinerja dbt build`), then the audit.")
    with conn.cursor() as cur:
        cur.execute(query, params)
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description], dtype=object)
    for column in frame.columns:
        values = frame[column].dropna()
        if len(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            frame[column] = frame[column].astype("Int64")
        elif len(values) and all(isinstance(v, (Decimal, float)) for v in values):
            frame[column] = frame[column].astype("float64")
    return frame


def _audit(conn, suite: str, table: str, audit_id: str, frame: pd.DataFrame, parameters: dict,
           level: str = LEVEL, error: type[RuntimeError] = BuildAuditFailed, **wording) -> BuildAudit:
    """Validate `frame` with `suite`, store every result under `audit_id`, build Data Docs, raise `error` on a failure."""
    spec = load_suite_spec(suite)
    entries = _expectation_entries(spec)
    validator = _Validator(data_docs_dir() / _safe_name(audit_id))
    run_id = f"audit-{_safe_name(audit_id)}"
    # GX names failing rows by an index column: the table's grain
    frame = frame.assign(row_number=range(1, len(frame) + 1))
    result = validator.validate(frame, spec, entries, parameters, run_id)
    audit = BuildAudit(audit_id, table, len(frame), len(entries), **wording)
    reasons = {(e["type"], e["column"]): e["reason"] for e in entries}
    rows = []
    for outcome in result.results:
        kind, column = outcome.expectation_config.type, _result_column(outcome)
        details = outcome.result or {}
        index_list = details.get("unexpected_index_list")
        unexpected = details.get("unexpected_count") if "element_count" in details else None
        rows.append((audit_id, spec["name"], kind, column, bool(outcome.success), unexpected or 0,
                     _observed(outcome), run_id, details.get("element_count", len(frame)), level))
        if not outcome.success:
            reason = reasons[(kind, column)].replace("{column}", column)
            examples = [_example(frame, hit, spec["key"], column) for hit in (index_list or [])[:EXAMPLES]]
            audit.failures.append(Failure(kind, column, unexpected, _observed(outcome), reason, examples))
    _store(conn, audit_id, rows)
    audit.data_docs_url = _build_docs(validator, spec["name"])
    if not audit.success:
        log.error("%s", audit.summary())
        raise error(audit.summary())
    log.info("%s", audit.summary())
    return audit


def _example(frame: pd.DataFrame, hit: dict, key: list[str], column: str) -> str:
    """One failing row as `key=value, ..., column=value`."""
    row = frame.iloc[int(hit["row_number"]) - 1]
    shown = [*key, *(c for c in column.split(",") if c and c not in key)]
    return ", ".join(f"{name}={_plain(row[name])}" for name in shown if name in row)


def _store(conn: psycopg.Connection, audit_id: str, rows: list[tuple]) -> None:
    """Replace this audit's results (a re-run of the same audit leaves one set)."""
    with conn.transaction(), conn.cursor() as cur:
        # two runs of the same audit at once: the second waits, then replaces the first's results
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"audit|{audit_id}"])
        cur.execute("delete from audit.validation_results where batch_id = %s", [audit_id])
        with cur.copy(
            "copy audit.validation_results (batch_id, suite, expectation, column_name, success, unexpected,"
            " observed, run_id, rows_checked, level) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row(row)
