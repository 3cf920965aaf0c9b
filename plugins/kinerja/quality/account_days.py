"""The audit of landed batches with Great Expectations (1.x API, called directly).

This package's other audits reuse the machinery below: `quality.posts` (post batches),
`quality.build` (the build schemas before publish), `quality.registry` (the loaded
registry) and `quality.watchdog` (days due by now, dbt source freshness).

The suites are reviewed YAML in expectations/suites/; this module turns them into Great
Expectations suites and validates a batch twice:

- `raw_account_daily_schema`, the batch as a whole: its columns and their types. A failure
  means the source changed, and the whole batch is rejected.
- `raw_account_daily`, row by row: keys present, platforms known, accounts in the registry
  and registered on the metric day, days inside the batch's window, counts not negative,
  follower counts plausible against the account's last accepted count, one row per key.
  Where GX has no built-in expectation (history, the registry's periods) the value is
  computed beforehand in SQL and GX validates that column, so every check is a GX result.

Every row that fails goes to raw.quarantine with its reason; every expectation's result goes
to audit.validation_results; the completeness of the source's days against the registry goes
to audit.completeness; GX Data Docs of the batch are written under $KINERJA_HOME/data_docs/
and linked from the log line. A validation result never fails anything by itself:
`audit_batch` decides, and raises `BatchRejected` only when the batch as a whole is unusable
(columns changed, empty, cut short, or more than half of its rows failing). A rejected
batch keeps its rows in raw.account_daily and its ledger row says why: nothing is lost.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import psycopg
import yaml

from kinerja import config, platforms
from kinerja.sources import CANONICAL_FIELDS, METRIC_FIELDS

log = logging.getLogger(__name__)

RAW_SUITE = "raw_account_daily"
SCHEMA_SUITE = "raw_account_daily_schema"
# Above this share of rejected rows the batch is not partly bad but broken.
MAX_REJECTED_SHARE = 0.5
# Follower counts below this are too small to judge a jump by (12 -> 900 happens).
MIN_REFERENCE_FOLLOWERS = 100
# A batch reporting fewer than this share of the accounts its source usually reports on its
# data day was cut short; the usual share is the median of the source's last days.
CUT_SHORT_SHARE = 0.5
USUAL_COVERAGE_DAYS = 7
# Institutions named in a summary before "and N more".
NAMED_INSTITUTIONS = 12
# The file drop is self-reported: each institution sends its own accounts when it chooses,
# so neither completeness against the whole registry nor a usual coverage applies to it.
SELF_REPORTED_SOURCES = ("filedrop",)
# Days before the data day a batch may carry, per source, unless set in the environment:
# API pulls re-read config.api_trailing_days(); file-drop exports cover up to a quarter; the
# simulator lands a month as one batch when it backfills (tests, demos).
DEFAULT_WINDOW_DAYS = {"filedrop": 92, "simulator": 31}


def window_days(source: str) -> int:
    """Trailing days a batch of `source` may carry before its data day.

    `KINERJA_AUDIT_WINDOW_DAYS_<SOURCE>` (API_FACEBOOK for `api:facebook`), else
    `KINERJA_AUDIT_WINDOW_DAYS`, else the source's default (API: its trailing days).
    """
    specific = "KINERJA_AUDIT_WINDOW_DAYS_" + source.upper().replace(":", "_")
    for name in (specific, "KINERJA_AUDIT_WINDOW_DAYS"):
        if os.environ.get(name, "").strip():
            return int(os.environ[name])
    return DEFAULT_WINDOW_DAYS.get(source.split(":")[0], config.api_trailing_days())


def data_docs_dir() -> Path:
    """Where the GX Data Docs of audited batches go (`KINERJA_DATA_DOCS_DIR`, else $KINERJA_HOME/data_docs)."""
    value = os.environ.get("KINERJA_DATA_DOCS_DIR")
    return Path(value).resolve() if value else config.local_dir() / "data_docs"


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
    data_docs_url: str | None = None
    # (institution_id, name) of institutions from which the source has no row at all on its data day
    institutions_without_data: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len({r.row_number for r in self.rejections})

    @property
    def rows_accepted(self) -> int:
        return self.rows_in - self.rows_rejected

    def summary(self) -> str:
        if not self.failed_checks:
            text = f"batch {self.batch_id}: all {self.rows_in} rows passed"
        else:
            checks = "; ".join(f"{name}: {count} rows" for name, count in sorted(self.failed_checks.items()))
            text = (
                f"batch {self.batch_id}: {self.rows_accepted} of {self.rows_in} rows accepted, "
                f"{self.rows_rejected} quarantined ({checks}); see raw.quarantine"
            )
        if self.institutions_without_data:
            text += (f"; no data at all from {len(self.institutions_without_data)} institution(s): "
                     f"{_names(self.institutions_without_data)} (see audit.completeness)")
        return text


# --- suites -------------------------------------------------------------------------------


def load_suite_spec(name: str, suites_dir: Path | None = None) -> dict:
    path = (suites_dir or config.expectations_dir() / "suites") / f"{name}.yml"
    return yaml.safe_load(path.read_text())


def _expectation_entries(spec: dict) -> list[dict]:
    """One entry per expectation (type, kwargs, reason, quarantine column), one per column where `columns` is given."""
    entries = []
    for item in spec["expectations"]:
        kwargs = dict(item.get("kwargs", {}))
        for column in item.get("columns", [None]):
            entry_kwargs = {**kwargs, "column": column} if column else kwargs
            checked = _checked_column(entry_kwargs)
            entries.append({
                "type": item["type"], "kwargs": entry_kwargs, "reason": " ".join(item["reason"].split()),
                "column": checked, "quarantine_column": item.get("quarantine_column", entry_kwargs.get("column")),
            })
    return entries


def _gx_expectation(kind: str, kwargs: dict):
    import great_expectations as gx

    class_name = "".join(part.capitalize() for part in kind.split("_"))
    return getattr(gx.expectations, class_name)(**kwargs)


def _checked_column(kwargs: dict) -> str:
    """The column(s) an expectation checks, as stored in audit.validation_results.column_name."""
    if kwargs.get("column"):
        return kwargs["column"]
    if kwargs.get("column_A"):  # a pair: a >= b
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return ",".join(kwargs.get("column_list", []))


def _result_column(result) -> str:
    return _checked_column(result.expectation_config.kwargs)


class _Validator:
    """One GX ephemeral context for one batch's audit: its suites, their results, their Data Docs."""

    SITE = "kinerja"

    def __init__(self, docs_dir: Path | None = None):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.gx = gx
        # in memory, without GX's default docs site in a temporary directory (only ours below)
        self.context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False)))
        # task logs, not progress bars: a bar per metric floods the Airflow log
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_pandas("landed")
        self.docs_dir = docs_dir
        if docs_dir is not None:
            # Ephemeral contexts build Data Docs too (checked with GX 1.24): a filesystem site.
            self.context.add_data_docs_site(self.SITE, {
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            })

    def validate(self, frame: pd.DataFrame, spec: dict, entries: list[dict], parameters: dict, run_name: str):
        from great_expectations.core.run_identifier import RunIdentifier

        gx = self.gx
        asset = self.source.add_dataframe_asset(spec["name"])
        batch_definition = asset.add_batch_definition_whole_dataframe("batch")
        suite = self.context.suites.add(gx.ExpectationSuite(name=spec["name"]))
        for entry in entries:
            suite.add_expectation(_gx_expectation(entry["type"], entry["kwargs"]))
        validation = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{spec['name']}_batch", data=batch_definition, suite=suite)
        )
        result = validation.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=parameters,
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row_number"]},
            run_id=RunIdentifier(run_name=run_name),
        )
        return result

    def build_docs(self, suite_name: str) -> str | None:
        """Build the site; the file:// URL of `suite_name`'s validation page."""
        if self.docs_dir is None:
            return None
        self.context.build_data_docs(site_names=[self.SITE])
        pages = sorted((self.docs_dir / "validations" / suite_name).rglob("*.html"))
        return pages[-1].as_uri() if pages else (self.docs_dir / "index.html").as_uri()


def validate_frame(frame: pd.DataFrame, spec: dict, parameters: dict) -> list:
    """Validate `frame` against a suite spec; returns the expectation results in spec order."""
    entries = _expectation_entries(spec)
    return list(_Validator().validate(frame, spec, entries, parameters, "validate_frame").results)


# --- reading a batch ----------------------------------------------------------------------


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


def _read_landed(conn: psycopg.Connection, batch_id: str) -> pd.DataFrame:
    """The batch's rows with every column raw.account_daily has now, values as PostgreSQL gave them."""
    with conn.cursor() as cur:
        cur.execute("select * from raw.account_daily where batch_id = %s order by row_number", [batch_id])
        names = [d.name for d in cur.description]
        frame = pd.DataFrame(cur.fetchall(), columns=names, dtype=object)
    return frame.drop(columns=["batch_id"])


def _as_counts(series: pd.Series) -> pd.Series:
    """Whole numbers as nullable integers; anything else stays as it is (the type check then says so)."""
    try:
        return series.astype("Int64")
    except (TypeError, ValueError):
        return series


def _received(landed: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The batch as the source delivered it, and the metric columns it did not deliver.

    A value is a number or None, and None always comes with its reason in no_value. A
    metric column without a value and without a reason in every row was not in what the
    source sent: its export or API no longer carries it. A batch whose rows give no reasons
    at all (plain records, as `simulator.simulate_day` yields) cannot tell, and is not judged.
    """
    no_value = landed["no_value"] if "no_value" in landed else pd.Series([None] * len(landed), dtype=object)
    reasons = [set(item) for item in no_value if isinstance(item, dict)]
    undelivered = [
        column for column in METRIC_FIELDS
        if reasons and column in landed
        and landed[column].isna().all() and not any(column in r for r in reasons)
    ]
    frame = landed.drop(columns=[c for c in ("source", "no_value", *undelivered) if c in landed])
    for column in frame.columns:
        if column in METRIC_FIELDS:
            frame[column] = _as_counts(frame[column])
    return frame, undelivered


_ROW_CONTEXT = """
select
    r.row_number,
    -- the account's registry periods, for the reason a rejected row carries
    (select string_agg(format('%%s from %%s to %%s', a.platform, a.valid_from, coalesce(a.valid_to::text, 'now')),
                       '; ' order by a.valid_from, a.platform)
     from (select distinct platform, valid_from, valid_to from registry.accounts
           where account_id = r.account_id) as a) as registered_as,
    -- null: an account the registry does not know at all
    case when exists (select 1 from registry.accounts a where a.account_id = r.account_id)
         then exists (select 1 from registry.accounts a
                      where a.account_id = r.account_id and a.platform = r.platform
                        and a.valid_from <= r.metric_date and (a.valid_to is null or r.metric_date <= a.valid_to))
    end as account_valid_on_day,
    coalesce(same.followers, other.followers) as previous_followers,
    coalesce(same.metric_date, other.metric_date) as previous_date,
    coalesce(same.source, other.source) as previous_source
from raw.account_daily as r
-- the account's last accepted follower count before the row's day: the same source's first
left join lateral (
    select p.followers, p.metric_date, p.source
    from raw.account_daily as p
    join raw.batch_ledger as l on l.batch_id = p.batch_id and l.status = 'accepted'
    where p.platform = r.platform and p.account_id = r.account_id and p.metric_date < r.metric_date
      and p.source = r.source and p.followers is not null and p.batch_id <> r.batch_id
      and not exists (select 1 from raw.quarantine q where q.batch_id = p.batch_id and q.row_number = p.row_number)
    order by p.metric_date desc
    limit 1
) as same on true
left join lateral (
    select p.followers, p.metric_date, p.source
    from raw.account_daily as p
    join raw.batch_ledger as l on l.batch_id = p.batch_id and l.status = 'accepted'
    where same.followers is null
      and p.platform = r.platform and p.account_id = r.account_id and p.metric_date < r.metric_date
      and p.followers is not null and p.batch_id <> r.batch_id
      and not exists (select 1 from raw.quarantine q where q.batch_id = p.batch_id and q.row_number = p.row_number)
    order by p.metric_date desc
    limit 1
) as other on true
where r.batch_id = %s
order by r.row_number
"""


def _row_context(conn: psycopg.Connection, batch_id: str, landed: pd.DataFrame) -> pd.DataFrame:
    """The batch's rows with the values GX cannot compute itself (see the suite's comments)."""
    with conn.cursor() as cur:
        cur.execute(_ROW_CONTEXT, [batch_id])
        context = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description], dtype=object)
    frame = landed.drop(columns=[c for c in ("no_value",) if c in landed]).copy()
    for column in CANONICAL_FIELDS[3:]:
        frame[column] = _as_counts(frame[column]) if column in frame else pd.array([None] * len(frame), dtype="Int64")
    frame = frame.merge(context, on="row_number", how="left")
    previous = pd.to_numeric(frame["previous_followers"], errors="coerce")
    followers = pd.to_numeric(frame["followers"], errors="coerce").astype("float64")
    # a negative count is the negative-count check's: judged here are counts that can be right
    judged = previous.ge(MIN_REFERENCE_FOLLOWERS) & followers.ge(0)
    frame["followers_ratio"] = (followers / previous).where(judged).astype("float64")
    return frame


def registry_account_ids(conn: psycopg.Connection) -> list[str]:
    return [row[0] for row in conn.execute("select distinct account_id from registry.accounts order by 1")]


def _institution_names(conn: psycopg.Connection, day: date) -> dict[str, str]:
    """Institution id -> its name on `day` (else its latest name)."""
    rows = conn.execute(
        """
        select distinct on (institution_id) institution_id, name from registry.institutions
        order by institution_id, (valid_from <= %(d)s and (valid_to is null or %(d)s <= valid_to)) desc,
                 valid_from desc
        """,
        {"d": day},
    ).fetchall()
    return dict(rows)


def _names(institutions: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{i} ({name})" if name else i for i, name in institutions[:NAMED_INSTITUTIONS])
    more = len(institutions) - NAMED_INSTITUTIONS
    return shown + (f" and {more} more" if more > 0 else "")


def _covered_platforms(source: str) -> tuple[str, ...]:
    """The platforms whose registry accounts a source is expected to report ('api:x' only x)."""
    if source in SELF_REPORTED_SOURCES:
        return ()
    _, _, platform = source.partition(":")
    return (platform,) if platform in platforms.names() else platforms.names()


# --- turning results into rows ------------------------------------------------------------


class _Reason(string.Formatter):
    """Fills a reason sentence; a missing or empty value reads as 'none', never raises."""

    def get_value(self, key, args, kwargs):
        value = kwargs.get(key)
        return "none" if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) else value

    def format_field(self, value, format_spec):
        try:
            return super().format_field(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


def _plain(value):
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _observed(result) -> str:
    outcome = result.result or {}
    if "observed_value" in outcome:
        return str(outcome["observed_value"])[:500]
    if result.exception_info and result.exception_info.get("raised_exception"):
        return f"error: {result.exception_info.get('exception_message')}"[:500]
    if "element_count" in outcome:
        sample = outcome.get("partial_unexpected_list") or []
        shown = f"; e.g. {', '.join(str(_plain(v) if not isinstance(v, dict) else v) for v in sample[:5])}" if sample else ""
        return f"{outcome.get('unexpected_count', 0)} of {outcome['element_count']} rows unexpected{shown}"[:500]
    return ""


def _rejections(frame: pd.DataFrame, spec: dict, results: list, parameters: dict | None = None
                ) -> tuple[list[Rejection], list[dict]]:
    """Turn expectation results into row rejections and audit rows."""
    by_row = frame.set_index("row_number")
    rejections, audit_rows = [], []
    entries = {(e["type"], e["column"]): e for e in _expectation_entries(spec)}
    formatter = _Reason()
    extra = {k: v for k, v in (parameters or {}).items() if not isinstance(v, list)}
    for result in results:
        kind, column = result.expectation_config.type, _result_column(result)
        entry = entries[(kind, column)]
        unexpected = result.result.get("unexpected_index_list") or []
        audit_rows.append({
            "expectation": kind, "column_name": column, "success": bool(result.success),
            "unexpected": len(unexpected), "observed": _observed(result),
            "rows_checked": result.result.get("element_count", len(frame)), "level": "row",
        })
        for hit in unexpected:
            row_number = int(hit["row_number"])
            row = {name: _plain(value) for name, value in by_row.loc[row_number].items()}
            value = row.get(column) if column in row else None
            reason = formatter.format(entry["reason"], **{**extra, **row, "column": column, "value": value})
            rejections.append(Rejection(row_number, f"{kind}:{column}", entry["quarantine_column"], reason))
    return rejections, audit_rows


def _schema_problems(spec: dict, results: list, source: str, undelivered: list[str]) -> tuple[list[str], list[dict]]:
    """Sentences for the schema suite's failures, and its audit rows."""
    entries = {(e["type"], e["column"]): e for e in _expectation_entries(spec)}
    formatter, problems, audit_rows = _Reason(), [], []
    for result in results:
        kind, column = result.expectation_config.type, _result_column(result)
        observed = _observed(result)
        audit_rows.append({
            "expectation": kind, "column_name": column, "success": bool(result.success), "unexpected": 0,
            "observed": observed, "rows_checked": result.result.get("element_count"), "level": "batch",
        })
        if result.success:
            continue
        mismatched = (result.result.get("details") or {}).get("mismatched") or {}
        parts = []
        if mismatched.get("missing"):
            missing = ", ".join(sorted(mismatched["missing"]))
            why = " (no row has a value or a reason for it)" if set(mismatched["missing"]) <= set(undelivered) else ""
            parts.append(f"missing {missing}{why}")
        if mismatched.get("unexpected"):
            parts.append(f"unexpected {', '.join(sorted(mismatched['unexpected']))}")
        entry = entries.get((kind, column))
        template = entry["reason"] if entry else "{column}: {observed}"
        problems.append(formatter.format(template, column=column, observed=observed, source=source,
                                         mismatch="; ".join(parts) or observed))
    return problems, audit_rows


# --- batch-level judgements ---------------------------------------------------------------


def _active_accounts(conn: psycopg.Connection, day: date, platforms: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(platform, account_id, institution_id) of every account active in the registry on `day`."""
    return conn.execute(
        """
        select distinct platform, account_id, institution_id from registry.accounts
        where valid_from <= %(d)s and (valid_to is null or %(d)s <= valid_to) and platform = any(%(p)s)
        """,
        {"d": day, "p": list(platforms)},
    ).fetchall()


def _usual_coverage(conn: psycopg.Connection, source: str, day: date) -> float | None:
    """The median share of active accounts the source reported on its last days before `day`."""
    rows = conn.execute(
        """
        select metric_date, sum(accounts_reported)::float / nullif(sum(accounts_active), 0)
        from audit.completeness where source = %s and metric_date < %s
        group by metric_date order by metric_date desc limit %s
        """,
        [source, day, USUAL_COVERAGE_DAYS],
    ).fetchall()
    shares = [share for _, share in rows if share is not None]
    return statistics.median(shares) if shares else None


def _cut_short(conn, source: str, data_day: date, frame: pd.DataFrame, names: dict[str, str]) -> str | None:
    """A sentence when the batch reports far fewer accounts on its data day than its source usually does."""
    platforms = _covered_platforms(source)
    if not platforms:
        return None
    usual = _usual_coverage(conn, source, data_day)
    if usual is None:
        log.info("batch of %s for %s: no earlier days of the source to judge a cut-short batch by", source, data_day)
        return None
    active = _active_accounts(conn, data_day, platforms)
    active_keys = {(p, a) for p, a, _ in active}
    on_day = frame[frame["metric_date"] == data_day]
    reported = {(p, a) for p, a in zip(on_day["platform"], on_day["account_id"])} & active_keys
    expected = usual * len(active_keys)
    if not active_keys or len(reported) >= CUT_SHORT_SHARE * expected:
        return None
    missing = sorted({i for p, a, i in active if (p, a) not in reported})
    return (
        f"the batch was cut short: it reports {len(reported)} of the {len(active_keys)} accounts active on "
        f"{data_day}, where {source} usually reports {usual:.0%} of them. Institutions without rows: "
        f"{_names([(i, names.get(i, '')) for i in missing])}. What to do: check the source's log for an "
        f"interrupted pull or a partial file, then land {data_day} again (landing is idempotent)"
    )


# --- the audit ----------------------------------------------------------------------------


def audit_batch(conn: psycopg.Connection, batch_id: str, suites_dir: Path | None = None) -> AuditResult:
    """Audit one landed batch: quarantine failing rows, settle the ledger, raise if unusable.

    Commits on a connection that is not in autocommit mode (see the end).
    """
    ledger = conn.execute("select source, data_day from raw.batch_ledger where batch_id = %s", [batch_id]).fetchone()
    if ledger is None:
        raise ValueError(f"batch {batch_id} is not in raw.batch_ledger: land it first")
    source, data_day = ledger
    spec, schema_spec = load_suite_spec(RAW_SUITE, suites_dir), load_suite_spec(SCHEMA_SUITE, suites_dir)
    landed = _read_landed(conn, batch_id)
    result = AuditResult(batch_id=batch_id, rows_in=len(landed))
    names = _institution_names(conn, data_day)
    account_ids = registry_account_ids(conn)
    window = window_days(source)
    parameters = {
        "registry_account_ids": account_ids, "data_day": data_day,
        "window_start": data_day - timedelta(days=window), "window_days": window,
    }
    problems: list[str] = []
    audit_rows: list[dict] = []
    docs = _docs_dir_for(batch_id)
    validator = _Validator(docs)
    run_name = f"audit-{_safe_name(batch_id)}"  # a path segment of the Data Docs
    if landed.empty:
        problems.append("the batch is empty: the source delivered no rows for this day. What to do: check the "
                        "source's log (tokens, quota, an empty export) and land the day again")
    elif not account_ids:
        problems.append("the registry holds no accounts: load it first (kinerja registry load)")
    else:
        received, undelivered = _received(landed)
        present = set(received.columns)
        schema_entries = [e for e in _expectation_entries(schema_spec)
                          if "column" not in e["kwargs"] or e["kwargs"]["column"] in present]
        schema_result = validator.validate(received, schema_spec, schema_entries, {}, run_name)
        schema_problems, schema_rows = _schema_problems(schema_spec, schema_result.results, source, undelivered)
        audit_rows += [{**row, "suite": schema_spec["name"]} for row in schema_rows]
        if schema_problems:
            affected = sorted({i for i in _institutions_of(conn, landed)})
            problems.append("; ".join(schema_problems) + f". Institutions affected: "
                            f"{_names([(i, names.get(i, '')) for i in affected])}")
        frame = _row_context(conn, batch_id, landed)
        row_result = validator.validate(frame, spec, _expectation_entries(spec), parameters, run_name)
        result.rejections, row_audit = _rejections(frame, spec, list(row_result.results), parameters)
        audit_rows += [{**row, "suite": spec["name"]} for row in row_audit]
        for rejection in result.rejections:
            result.failed_checks[rejection.check_name] = result.failed_checks.get(rejection.check_name, 0) + 1
        if result.rows_rejected > MAX_REJECTED_SHARE * result.rows_in:
            failing = sorted(_institutions_of(conn, landed[landed["row_number"].isin(
                {r.row_number for r in result.rejections})]))
            problems.append(
                f"{result.rows_rejected} of {result.rows_in} rows failed the audit (more than "
                f"{MAX_REJECTED_SHARE:.0%}): the source or the registry is broken. Institutions affected: "
                f"{_names([(i, names.get(i, '')) for i in failing]) or 'none known to the registry'}. "
                f"What to do: read the reasons in raw.quarantine for this batch, fix the source or the registry, "
                f"and land the day again"
            )
        cut_short = _cut_short(conn, source, data_day, frame, names)
        if cut_short:
            problems.append(cut_short)
    result.data_docs_url = _build_docs(validator)
    status = "rejected" if problems else "accepted"
    summary = f"batch {batch_id} rejected: " + " | ".join(problems) if problems else result.summary()
    _store(conn, result, audit_rows, status, summary, run_name)
    result.institutions_without_data = _judge_completeness(conn, batch_id, source, data_day, landed, window, names)
    if not problems and result.institutions_without_data:
        summary = result.summary()
        conn.execute("update raw.batch_ledger set summary = %s where batch_id = %s", [summary, batch_id])
    if not conn.autocommit:
        # The audit's records are committed here, whatever its outcome: a rejection raises,
        # and a caller's `with connect() as conn` would otherwise roll the ledger's
        # "rejected, and why" back with it.
        conn.commit()
    docs_note = f"; Data Docs: {result.data_docs_url}" if result.data_docs_url else ""
    if problems:
        log.error("%s%s", summary, docs_note)
        raise BatchRejected(summary + docs_note)
    log.info("audit of %s: %s%s", batch_id, summary, docs_note)
    return result


def _institutions_of(conn: psycopg.Connection, rows: pd.DataFrame) -> set[str]:
    """The institutions the registry gives the rows' accounts (on any day)."""
    if rows.empty or "account_id" not in rows:
        return set()
    found = conn.execute(
        "select distinct institution_id from registry.accounts where account_id = any(%s)",
        [sorted({str(a) for a in rows["account_id"].dropna()})],
    ).fetchall()
    return {i for (i,) in found}


def _safe_name(batch_id: str) -> str:
    return batch_id.replace(":", "_").replace("/", "_")


def _docs_dir_for(batch_id: str) -> Path:
    return data_docs_dir() / _safe_name(batch_id)


def _build_docs(validator: _Validator, suite_name: str = RAW_SUITE) -> str | None:
    """Data Docs of this audit, replacing the batch's earlier ones. A failure here never fails the audit."""
    try:
        if validator.docs_dir is not None and validator.docs_dir.exists():
            # the validations are already run: only the pages of an earlier audit of this batch go
            shutil.rmtree(validator.docs_dir / "validations", ignore_errors=True)
        return validator.build_docs(suite_name)
    except Exception:  # the audit's outcome stands without its pages
        log.warning("could not build the Data Docs under %s", validator.docs_dir, exc_info=True)
        return None


def write_quarantine(cur: psycopg.Cursor, batch_id: str, rejections: list[Rejection], identity=None) -> None:
    """COPY a batch's rejected rows into raw.quarantine, each (row, check) once.

    `identity(row_number)` gives the row's (account_id, platform, day); without it they
    are left null for the caller to fill from the raw table.
    """
    with cur.copy(
        "copy raw.quarantine (batch_id, row_number, check_name, account_id, platform, metric_date,"
        " column_name, reason) from stdin"
    ) as copy:
        seen = set()
        for r in rejections:
            if (r.row_number, r.check_name) in seen:  # a duplicate key names each of its rows once
                continue
            seen.add((r.row_number, r.check_name))
            account_id, platform, day = identity(r.row_number) if identity else (None, None, None)
            copy.write_row((batch_id, r.row_number, r.check_name, account_id, platform, day, r.column_name, r.reason))


def write_validation_results(cur: psycopg.Cursor, batch_id: str, audit_rows: list[dict], run_id: str) -> None:
    """COPY one audit's expectation results into audit.validation_results."""
    with cur.copy(
        "copy audit.validation_results (batch_id, suite, expectation, column_name, success, unexpected,"
        " observed, run_id, rows_checked, level) from stdin"
    ) as copy:
        for a in audit_rows:
            copy.write_row((batch_id, a["suite"], a["expectation"], a["column_name"], a["success"],
                            a["unexpected"], a["observed"], run_id, a["rows_checked"], a["level"]))


def _store(conn, result: AuditResult, audit_rows: list[dict], status: str, summary: str, run_id: str) -> None:
    """Replace this batch's quarantine and audit rows and settle its ledger row, atomically."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("delete from raw.quarantine where batch_id = %s", [result.batch_id])
        cur.execute("delete from audit.validation_results where batch_id = %s", [result.batch_id])
        write_quarantine(cur, result.batch_id, result.rejections)
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
        write_validation_results(cur, result.batch_id, audit_rows, run_id)
        accepted = 0 if status == "rejected" else result.rows_accepted
        cur.execute(
            """
            update raw.batch_ledger
            set status = %s, rows_accepted = %s, rows_rejected = %s, audited_at = now(), summary = %s
            where batch_id = %s
            """,
            [status, accepted, result.rows_in - accepted, summary, result.batch_id],
        )


# --- completeness -------------------------------------------------------------------------

_COMPLETENESS = """
with days as (
    select unnest(%(days)s::date[]) as metric_date
),
active as (
    select distinct d.metric_date, a.institution_id, a.platform, a.account_id
    from days d
    join registry.accounts a
      on a.valid_from <= d.metric_date and (a.valid_to is null or d.metric_date <= a.valid_to)
    where a.platform = any(%(platforms)s)
),
reported as (
    -- rows of the source that passed the audit: accepted batches, minus quarantined rows
    select distinct r.metric_date, r.platform, r.account_id
    from raw.account_daily r
    join raw.batch_ledger l on l.batch_id = r.batch_id and l.status = 'accepted'
    where r.source = %(source)s and r.metric_date = any(%(days)s::date[])
      and not exists (select 1 from raw.quarantine q where q.batch_id = r.batch_id and q.row_number = r.row_number)
),
pairs as (
    select a.metric_date, a.institution_id, a.platform,
           count(*) as accounts_active, count(rp.account_id) as accounts_reported
    from active a
    left join reported rp using (metric_date, platform, account_id)
    group by 1, 2, 3
),
names as (
    select distinct on (d.metric_date, i.institution_id) d.metric_date, i.institution_id, i.name
    from days d cross join registry.institutions i
    order by d.metric_date, i.institution_id,
             (i.valid_from <= d.metric_date and (i.valid_to is null or d.metric_date <= i.valid_to)) desc,
             i.valid_from desc
)
insert into audit.completeness (
    source, metric_date, institution_id, platform, institution_name, accounts_active, accounts_reported,
    share_reported, status, institution_has_data, restatement_days, judged_as_of, batch_id)
select
    %(source)s, p.metric_date, p.institution_id, p.platform, n.name, p.accounts_active, p.accounts_reported,
    round(p.accounts_reported::numeric / p.accounts_active, 4),
    case
        when %(as_of)s::date - p.metric_date < (%(restatement)s::jsonb ->> p.platform)::int then 'provisional'
        when p.accounts_reported = p.accounts_active then 'complete'
        else 'incomplete'
    end,
    sum(p.accounts_reported) over (partition by p.metric_date, p.institution_id) > 0,
    (%(restatement)s::jsonb ->> p.platform)::int, %(as_of)s, %(batch_id)s
from pairs p
left join names n on n.metric_date = p.metric_date and n.institution_id = p.institution_id
"""


def _judge_completeness(conn, batch_id: str, source: str, data_day: date, landed: pd.DataFrame, window: int,
                        names: dict[str, str]) -> list[tuple[str, str]]:
    """Judge the share of active accounts the source reported, per day, institution and platform.

    The days judged: the batch's own days inside its window, its data day, and the source's
    earlier days still provisional whose restatement window may have passed since. A day is
    judged as of the day after the data day (the run of day D runs on D+1); until a
    platform's restatement window has passed its day stays 'provisional'. Returns the
    institutions without any row on the data day.
    """
    covered = _covered_platforms(source)
    if not covered:
        return []
    start = data_day - timedelta(days=window)
    days = {d for d in landed.get("metric_date", pd.Series(dtype=object)) if isinstance(d, date) and start <= d <= data_day}
    days.add(data_day)
    provisional = conn.execute(
        "select distinct metric_date from audit.completeness where source = %s and status = 'provisional'"
        " and metric_date between %s and %s",
        [source, data_day - timedelta(days=max(platforms.restatement_days().values())), data_day],
    ).fetchall()
    days |= {d for (d,) in provisional}
    with conn.transaction():
        conn.execute("delete from audit.completeness where source = %s and metric_date = any(%s::date[])",
                     [source, sorted(days)])
        conn.execute(_COMPLETENESS, {
            "days": sorted(days), "platforms": list(covered), "source": source, "batch_id": batch_id,
            "as_of": data_day + timedelta(days=1), "restatement": json.dumps(dict(platforms.restatement_days())),
        })
    without = conn.execute(
        "select distinct institution_id, institution_name from audit.completeness"
        " where source = %s and metric_date = %s and not institution_has_data order by 1",
        [source, data_day],
    ).fetchall()
    return [(i, name or names.get(i, "")) for i, name in without]
