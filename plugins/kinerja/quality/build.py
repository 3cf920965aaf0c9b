"""The Great Expectations audit of the build schemas, between dbt and publish.

dbt's tests check each model as it is built; this audit checks the rows publish is about to
copy, with the suites kept as reviewed YAML in expectations/suites/, through
`kinerja.quality.engine`:

- `build_fct_account_daily`: build_marts.fct_account_daily, the days a daily run planned,
  rebuilt and publishes (kinerja.landing.plan) and any row dated after today.
- `build_rpt_institution_scores_monthly`: build_reports.rpt_institution_scores_monthly, the
  whole table (`tasks.publish.publish_month` copies it whole), which must score the run's month.

Every expectation's result goes to audit.validation_results (level 'build', batch_id the
audit's id, e.g. `build_reports.rpt_institution_scores_monthly:2026-10`) and the validation
to the one Data Docs site. A failure raises `BuildAuditFailed` naming each failed
expectation, how many rows, examples and what to do: the DAG's publish task then does not
run, so users keep seeing what they saw, and the bad rows stay visible in the build schema.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg

from kinerja import config
from kinerja.quality import engine

log = logging.getLogger(__name__)

FACT_TABLE = "build_marts.fct_account_daily"
SCORES_TABLE = "build_reports.rpt_institution_scores_monthly"
FACT_SUITE = "build_fct_account_daily"
SCORES_SUITE = "build_rpt_institution_scores_monthly"
LEVEL = "build"

# The scores' columns the suite reads (the model may gain others; they are not audited here).
_SCORES_QUERY = f"""
select
    month, institution_id, institution_name, peer_group, province_code, ikms, rank_in_peer_group,
    peer_group_size, is_eligible, activity_score, reach_score, engagement_score, responsiveness_score,
    accounts, followers, posts, coverage, methodology_version,
    -- "Data tidak cukup" has no rank, and every eligible institution has one
    (rank_in_peer_group is null) = (not is_eligible) as rank_null_exactly_when_not_eligible,
    -- no data is a null coverage, never 0; an institution with data has one
    (coverage is null) = coalesce(not_ranked_reason = 'no_data', false) as coverage_null_exactly_when_no_data
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


def audit_fact_days(
    conn: psycopg.Connection, data_day: date, days: Sequence[date], today: date | None = None
) -> engine.Outcome:
    """Audit build_marts.fct_account_daily's planned `days` (kinerja.landing.plan) of the run of `data_day`."""
    today = today or datetime.now(ZoneInfo(config.DEFAULT_TIMEZONE)).date()
    frame = read_table(conn, FACT_TABLE, _FACT_QUERY, {"days": sorted(days), "today": today})
    parameters = {
        "first_day": min(days),
        "today": today,
        "registry_account_ids": engine.registry_account_ids(conn),
    }
    return _audit(FACT_SUITE, FACT_TABLE, f"{FACT_TABLE}:{data_day}", conn, frame, parameters)


def audit_scores(conn: psycopg.Connection, month: date) -> engine.Outcome:
    """Audit build_reports.rpt_institution_scores_monthly (every month it holds, the run's month among them)."""
    month = month.replace(day=1)
    frame = read_table(conn, SCORES_TABLE, _SCORES_QUERY, {})
    return _audit(
        SCORES_SUITE, SCORES_TABLE, f"{SCORES_TABLE}:{month:%Y-%m}", conn, frame, {"months": [month]}
    )


def read_table(conn: psycopg.Connection, table: str, query: str, params: dict) -> pd.DataFrame:
    """The rows of a build table to audit; a table the build did not build is a failure that says so."""
    if conn.execute("select to_regclass(%s)", [table]).fetchone()[0] is None:
        raise BuildAuditFailed(
            f"{table} does not exist: the dbt build did not build it. Run the build first "
            f"(the DAG's dbt tasks, or `kinerja dbt build`), then the audit."
        )
    return engine.read_rows(conn, query, params)


def _audit(
    suite: str, table: str, audit_id: str, conn: psycopg.Connection, frame: pd.DataFrame, parameters: dict
) -> engine.Outcome:
    return engine.audit_table(conn, suite, table, audit_id, frame, parameters, LEVEL, BuildAuditFailed)
