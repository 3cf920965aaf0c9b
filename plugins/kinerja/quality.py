"""The audit of landed batches with Great Expectations (1.x API, called directly).

The suites are reviewed YAML in expectations/suites/; this module turns one into a
Great Expectations suite, validates a batch, puts every row that fails an
expectation into raw.quarantine with the reason, records each expectation's result
in audit.validation_results and settles the batch in the ledger. A validation result
never fails anything by itself: `audit_batch` decides, and raises `BatchRejected`
only when the batch as a whole is unusable.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg
import yaml

from kinerja import config
from kinerja.sources import CANONICAL_FIELDS

log = logging.getLogger(__name__)

RAW_SUITE = "raw_account_daily"
# Above this share of rejected rows the batch is not partly bad but broken.
MAX_REJECTED_SHARE = 0.5


class BatchRejected(RuntimeError):
    """The batch as a whole is unusable; nothing of it reaches the warehouse."""


@dataclass
class Rejection:
    row_number: int
    check_name: str
    column_name: str | None
    reason: str


@dataclass
class AuditResult:
    batch_id: str
    rows_in: int
    rejections: list[Rejection] = field(default_factory=list)
    failed_checks: dict[str, int] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return len({r.row_number for r in self.rejections})

    @property
    def rows_accepted(self) -> int:
        return self.rows_in - self.rows_rejected

    def summary(self) -> str:
        if not self.failed_checks:
            return f"batch {self.batch_id}: all {self.rows_in} rows passed"
        checks = "; ".join(f"{name}: {count} rows" for name, count in sorted(self.failed_checks.items()))
        return (
            f"batch {self.batch_id}: {self.rows_accepted} of {self.rows_in} rows accepted, "
            f"{self.rows_rejected} quarantined ({checks}); see raw.quarantine"
        )


def load_suite_spec(name: str, suites_dir: Path | None = None) -> dict:
    path = (suites_dir or config.expectations_dir() / "suites") / f"{name}.yml"
    return yaml.safe_load(path.read_text())


def _expectation_entries(spec: dict) -> list[tuple[str, dict, str]]:
    """(type, kwargs, reason) per expectation, one per column where `columns` is given."""
    entries = []
    for item in spec["expectations"]:
        kwargs = dict(item.get("kwargs", {}))
        for column in item.get("columns", [None]):
            entry_kwargs = {**kwargs, "column": column} if column else kwargs
            entries.append((item["type"], entry_kwargs, item["reason"]))
    return entries


def _gx_expectation(kind: str, kwargs: dict):
    import great_expectations as gx

    class_name = "".join(part.capitalize() for part in kind.split("_"))
    return getattr(gx.expectations, class_name)(**kwargs)


def validate_frame(frame: pd.DataFrame, spec: dict, parameters: dict) -> list:
    """Validate `frame` against a suite spec; returns the expectation results in spec order."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # task logs, not progress bars: a bar per metric floods the Airflow log
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("landed").add_dataframe_asset(spec["name"])
    batch_definition = asset.add_batch_definition_whole_dataframe("batch")
    suite = context.suites.add(gx.ExpectationSuite(name=spec["name"]))
    for kind, kwargs, _ in _expectation_entries(spec):
        suite.add_expectation(_gx_expectation(kind, kwargs))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{spec['name']}_batch", data=batch_definition, suite=suite)
    )
    result = validation.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row_number"]},
    )
    return list(result.results)


def _rejections(frame: pd.DataFrame, spec: dict, results: list) -> tuple[list[Rejection], list[dict]]:
    """Turn expectation results into row rejections and audit rows."""
    by_row = frame.set_index("row_number")
    rejections, audit_rows = [], []
    entries = {(kind, kwargs.get("column") or ",".join(kwargs.get("column_list", []))): reason
               for kind, kwargs, reason in _expectation_entries(spec)}
    for result in results:
        kind = result.expectation_config.type
        kwargs = result.expectation_config.kwargs
        column = kwargs.get("column") or ",".join(kwargs.get("column_list", []))
        unexpected = result.result.get("unexpected_index_list") or []
        audit_rows.append(
            {"expectation": kind, "column_name": column, "success": bool(result.success),
             "unexpected": len(unexpected), "observed": str(result.result.get("observed_value", ""))[:500]}
        )
        for hit in unexpected:
            row_number = int(hit["row_number"])
            value = by_row.at[row_number, kwargs["column"]] if "column" in kwargs else None
            reason = entries[(kind, column)].format(column=column, value=value)
            rejections.append(Rejection(row_number, f"{kind}:{column}", column, reason))
    return rejections, audit_rows


def read_batch(conn: psycopg.Connection, batch_id: str) -> pd.DataFrame:
    columns = ("row_number", "source") + CANONICAL_FIELDS
    with conn.cursor() as cur:
        cur.execute(
            f"select {', '.join(columns)} from raw.account_daily where batch_id = %s order by row_number",
            [batch_id],
        )
        frame = pd.DataFrame(cur.fetchall(), columns=list(columns))
    # counts stay nullable integers: "no value" is not 0
    for column in CANONICAL_FIELDS[3:]:
        frame[column] = frame[column].astype("Int64")
    return frame


def registry_account_ids(conn: psycopg.Connection) -> list[str]:
    return [row[0] for row in conn.execute("select distinct account_id from registry.accounts order by 1")]


def audit_batch(conn: psycopg.Connection, batch_id: str, suites_dir: Path | None = None) -> AuditResult:
    """Audit one landed batch: quarantine failing rows, settle the ledger, raise if unusable."""
    spec = load_suite_spec(RAW_SUITE, suites_dir)
    frame = read_batch(conn, batch_id)
    result = AuditResult(batch_id=batch_id, rows_in=len(frame))
    problem = None
    account_ids = registry_account_ids(conn)
    if frame.empty:
        problem = "the batch is empty: the source delivered no rows for this day"
    elif not account_ids:
        problem = "the registry holds no accounts: load it first (kinerja registry load)"
    audit_rows = []
    if problem is None:
        results = validate_frame(frame, spec, {"registry_account_ids": account_ids})
        result.rejections, audit_rows = _rejections(frame, spec, results)
        for rejection in result.rejections:
            result.failed_checks[rejection.check_name] = result.failed_checks.get(rejection.check_name, 0) + 1
        if result.rows_rejected > MAX_REJECTED_SHARE * result.rows_in:
            problem = (f"{result.rows_rejected} of {result.rows_in} rows failed the audit "
                       f"(more than {MAX_REJECTED_SHARE:.0%}): the source or the registry is broken")
    status = "rejected" if problem else "accepted"
    summary = f"batch {batch_id} rejected: {problem}" if problem else result.summary()
    _store(conn, result, spec["name"], audit_rows, status, summary)
    if problem:
        raise BatchRejected(summary)
    log.info(summary)
    return result


def _store(conn, result: AuditResult, suite: str, audit_rows: list[dict], status: str, summary: str) -> None:
    """Replace this batch's quarantine and audit rows and settle its ledger row, atomically."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("delete from raw.quarantine where batch_id = %s", [result.batch_id])
        cur.execute("delete from audit.validation_results where batch_id = %s", [result.batch_id])
        with cur.copy(
            "copy raw.quarantine (batch_id, row_number, check_name, account_id, platform, metric_date,"
            " column_name, reason) from stdin"
        ) as copy:
            for r in result.rejections:
                copy.write_row((result.batch_id, r.row_number, r.check_name, None, None, None, r.column_name, r.reason))
        # identity columns come from the raw row itself, so a reader needs no join
        cur.execute(
            """
            update raw.quarantine q
            set account_id = r.account_id, platform = r.platform, metric_date = r.metric_date
            from raw.account_daily r
            where q.batch_id = %s and r.batch_id = q.batch_id and r.row_number = q.row_number
            """,
            [result.batch_id],
        )
        with cur.copy(
            "copy audit.validation_results (batch_id, suite, expectation, column_name, success, unexpected,"
            " observed) from stdin"
        ) as copy:
            for a in audit_rows:
                copy.write_row((result.batch_id, suite, a["expectation"], a["column_name"], a["success"],
                                a["unexpected"], a["observed"]))
        accepted = 0 if status == "rejected" else result.rows_accepted
        cur.execute(
            """
            update raw.batch_ledger
            set status = %s, rows_accepted = %s, rows_rejected = %s, audited_at = now(), summary = %s
            where batch_id = %s
            """,
            [status, accepted, result.rows_in - accepted, summary, result.batch_id],
        )
