"""The one Great Expectations audit engine: suite -> validation -> result rows -> store -> Data Docs.

Every audit of Kinerja (landed account-day and post batches, the loaded registry, the build
schemas before publish) goes the same way:

1. its suite is reviewed YAML in expectations/suites/ (`load_suite_spec`, `expectation_entries`);
2. a `Validation` turns it into a GX 1.x suite and validates a DataFrame (values GX cannot
   compute itself are computed beforehand, in SQL, as columns of that frame);
3. the GX results become rows of audit.validation_results, and either row `Rejection`s
   (a landed batch: the row goes to raw.quarantine with its reason) or table `Failure`s
   (a build or registry audit: the message names the rows and what to do);
4. one `Outcome` holds it all and says what to do (`Outcome.summary`);
5. `store` replaces the audit's earlier records atomically, `conclude` commits, logs and
   raises the subject's error when the outcome is unusable;
6. the validation's page joins the one Data Docs site (`kinerja.quality.data_docs`).

A GX result never fails anything by itself: the subject module decides, and a failure to
build Data Docs never fails an audit.
"""

from __future__ import annotations

import logging
import os
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import psycopg
import yaml

from kinerja import config, platforms
from kinerja.quality import data_docs

log = logging.getLogger(__name__)

# Above this share of rejected rows a landed batch is not partly bad but broken.
MAX_REJECTED_SHARE = 0.5
# Failing rows named per failed expectation in a table audit's message.
EXAMPLES = 5
KEYS_KEPT = 1000


# --- suites -------------------------------------------------------------------------------


def load_suite_spec(name: str, suites_dir: Path | None = None) -> dict:
    """The reviewed YAML suite `name` (expectations/suites/<name>.yml)."""
    path = (suites_dir or config.expectations_dir() / "suites") / f"{name}.yml"
    return yaml.safe_load(path.read_text())


def expectation_entries(spec: dict) -> list[dict]:
    """One entry per expectation (type, kwargs, reason, checked column, quarantine column); `columns` repeats one."""
    entries = []
    for item in spec["expectations"]:
        kwargs = dict(item.get("kwargs", {}))
        for column in item.get("columns", [None]):
            entry_kwargs = {**kwargs, "column": column} if column else kwargs
            entries.append(
                {
                    "type": item["type"],
                    "kwargs": entry_kwargs,
                    "reason": " ".join(item["reason"].split()),
                    "column": checked_column(entry_kwargs),
                    "quarantine_column": item.get("quarantine_column", entry_kwargs.get("column")),
                }
            )
    return entries


def checked_column(kwargs: dict) -> str:
    """The column(s) an expectation checks, as stored in audit.validation_results.column_name."""
    if kwargs.get("column"):
        return kwargs["column"]
    if kwargs.get("column_A"):  # a pair: a >= b
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return ",".join(kwargs.get("column_list", []))


def result_column(result) -> str:
    """The checked column(s) of a GX expectation result."""
    return checked_column(result.expectation_config.kwargs)


def default_parameters() -> dict:
    """Parameters every suite may use: the platforms Kinerja covers (kinerja.platforms owns them)."""
    names = list(platforms.names())
    return {"platforms": names, "platform_names": ", ".join(names)}


# --- reading -----------------------------------------------------------------------------


def read_rows(conn: psycopg.Connection, query: str, params: dict | list) -> pd.DataFrame:
    """The rows of `query`; whole numbers as nullable integers, numerics as floats ("no value" stays null)."""
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


def registry_account_ids(conn: psycopg.Connection) -> list[str]:
    """Every account id the registry knows: the value set of the suites' account checks."""
    return [row[0] for row in conn.execute("select distinct account_id from registry.accounts order by 1")]


def batch_parameters(conn: psycopg.Connection, source: str, data_day: date) -> dict:
    """What every raw batch's suite is given: the registry's accounts and the days the batch may carry."""
    window = config.audit_window_days(source)
    return {
        "registry_account_ids": registry_account_ids(conn),
        "data_day": data_day,
        "window_start": data_day - timedelta(days=window),
        "window_days": window,
    }


# --- validating ---------------------------------------------------------------------------


def run_name(audit_id: str) -> str:
    """The GX run name of an audit: one path segment of its Data Docs pages."""
    return "audit-" + audit_id.replace(":", "_").replace("/", "_")


class Validation:
    """One audit's GX context: validates frames against suites; its pages join the one Data Docs site."""

    def __init__(self, audit_id: str, docs_root: Path | None = None):
        # GX reads its analytics switch when imported: a government system phones nowhere
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.gx = gx
        self.run_name = run_name(audit_id)
        self.docs_root = _writable(docs_root or config.data_docs_dir())
        if self.docs_root is not None:
            with data_docs.run_lock(self.run_name, self.docs_root):
                data_docs.forget_run(self.run_name, self.docs_root)
            project = data_docs.context_config(self.docs_root)
        else:  # results in memory, no pages: the audit stands without them
            project = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults())
        self.context = gx.get_context(mode="ephemeral", project_config=project)
        # task logs, not progress bars: a bar per metric floods the Airflow log
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_pandas("audited")

    def run(
        self,
        frame: pd.DataFrame,
        spec: dict,
        parameters: dict | None = None,
        entries: list[dict] | None = None,
    ) -> list:
        """Validate `frame` (with a `row_number` column) against the suite; the GX results in suite order."""
        from great_expectations.core.run_identifier import RunIdentifier

        gx = self.gx
        batch_definition = self.source.add_dataframe_asset(spec["name"]).add_batch_definition_whole_dataframe(
            "batch"
        )
        suite = self.context.suites.add(gx.ExpectationSuite(name=spec["name"]))
        for entry in expectation_entries(spec) if entries is None else entries:
            suite.add_expectation(_gx_expectation(entry["type"], entry["kwargs"]))
        validation = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{spec['name']}_batch", data=batch_definition, suite=suite)
        )
        with data_docs.run_lock(self.run_name, self.docs_root):
            result = validation.run(
                batch_parameters={"dataframe": frame},
                expectation_parameters={**default_parameters(), **(parameters or {})},
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row_number"]},
                run_id=RunIdentifier(run_name=self.run_name),
            )
        return list(result.results)

    def build_docs(self, suite: str) -> str | None:
        """This audit's pages in the one site; the URL of `suite`'s page. Never raises."""
        if self.docs_root is None:
            return None
        try:
            with data_docs.run_lock(self.run_name, self.docs_root):
                return data_docs.build(self.context, self.run_name, suite, self.docs_root)
        except Exception:  # the audit's outcome stands without its pages
            log.warning("could not build the Data Docs under %s", self.docs_root, exc_info=True)
            return None


def _writable(root: Path) -> Path | None:
    try:
        data_docs.results_dir(root).mkdir(parents=True, exist_ok=True)
        data_docs.site_dir(root).mkdir(parents=True, exist_ok=True)
        return root
    except OSError:
        log.warning(
            "cannot write the Data Docs under %s (KINERJA_DATA_DOCS_DIR): auditing without them",
            root,
            exc_info=True,
        )
        return None


def _gx_expectation(kind: str, kwargs: dict):
    import great_expectations as gx

    class_name = "".join(part.capitalize() for part in kind.split("_"))
    return getattr(gx.expectations, class_name)(**kwargs)


# --- verdicts -----------------------------------------------------------------------------


@dataclass
class Rejection:
    """A row that failed one expectation: it goes to raw.quarantine with its reason."""

    row_number: int
    check_name: str  # "<expectation>:<checked column>"
    column_name: str | None  # the raw column it is quarantined under
    reason: str
    account_id: str | None = None
    platform: str | None = None
    day: date | None = None  # raw.quarantine.metric_date: the metric day, or a post's as-of day


@dataclass
class Failure:
    """A failed expectation of a table audit: how many rows, examples, what it means."""

    expectation: str
    column: str
    unexpected: int | None  # rows failing; None for an expectation on the table as a whole
    observed: str
    reason: str
    examples: list[str] = field(default_factory=list)
    # the key columns of the failing rows (up to KEYS_KEPT), for alerts naming institutions and days
    keys: list[dict] = field(default_factory=list)

    def sentence(self) -> str:
        rows = f"{self.unexpected} row(s)" if self.unexpected is not None else f"observed {self.observed}"
        shown = f" (e.g. {'; '.join(self.examples)})" if self.examples else ""
        return f"{self.expectation} on {self.column or 'the table'}: {rows}{shown}: {self.reason}"


@dataclass
class ResultRow:
    """One expectation's result: a row of audit.validation_results."""

    suite: str
    expectation: str
    column_name: str
    success: bool
    unexpected: int
    observed: str
    rows_checked: int | None
    level: str  # row (a landed batch's rows), batch (its columns), build, registry


def plain(value):
    """A Python value for a message or a row (None for every kind of missing, numpy scalars unwrapped)."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def observed(result) -> str:
    """What an expectation observed, in at most 500 characters."""
    outcome = result.result or {}
    if "observed_value" in outcome:
        return str(outcome["observed_value"])[:500]
    if result.exception_info and result.exception_info.get("raised_exception"):
        return f"error: {result.exception_info.get('exception_message')}"[:500]
    if "element_count" in outcome:
        sample = outcome.get("partial_unexpected_list") or []
        shown = (
            f"; e.g. {', '.join(str(v if isinstance(v, dict) else plain(v)) for v in sample[:5])}"
            if sample
            else ""
        )
        return f"{outcome.get('unexpected_count', 0)} of {outcome['element_count']} rows unexpected{shown}"[
            :500
        ]
    return ""


class _Reason(string.Formatter):
    """Fills a reason sentence; a missing or empty value reads as 'none', never raises."""

    def get_value(self, key, args, kwargs):
        value = plain(kwargs.get(key))
        return "none" if value is None else value

    def format_field(self, value, format_spec):
        try:
            return super().format_field(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


def fill_reason(template: str, **values) -> str:
    """A suite's reason with {column}, {value}, the row's columns and the run's parameters filled in."""
    return _Reason().format(template, **values)


def result_row(suite: str, result, level: str, unexpected: int, rows_checked: int | None) -> ResultRow:
    return ResultRow(
        suite,
        result.expectation_config.type,
        result_column(result),
        bool(result.success),
        unexpected,
        observed(result),
        rows_checked,
        level,
    )


def row_verdicts(
    frame: pd.DataFrame,
    spec: dict,
    results: list,
    parameters: dict | None = None,
    identity: tuple[str, str, str] = ("account_id", "platform", "metric_date"),
) -> tuple[list[Rejection], list[ResultRow]]:
    """Each failing row of a landed batch as a Rejection with its reason; a result row per expectation.

    `identity`: the frame's (account, platform, day) columns, copied into raw.quarantine so
    that a reader needs no join.
    """
    by_row = frame.set_index("row_number")
    entries = {(e["type"], e["column"]): e for e in expectation_entries(spec)}
    scalars = {
        k: v for k, v in {**default_parameters(), **(parameters or {})}.items() if not isinstance(v, list)
    }
    rejections, rows = [], []
    for result in results:
        entry = entries[(result.expectation_config.type, result_column(result))]
        hits = (result.result or {}).get("unexpected_index_list") or []
        rows.append(
            result_row(
                spec["name"], result, "row", len(hits), (result.result or {}).get("element_count", len(frame))
            )
        )
        for hit in hits:
            number = int(hit["row_number"])
            row = {name: plain(value) for name, value in by_row.loc[number].items()}
            column = entry["column"]
            reason = fill_reason(
                entry["reason"], **{**scalars, **row, "column": column, "value": row.get(column)}
            )
            quarantined = entry["quarantine_column"]
            # "{name}": the column the row's value in `name` names
            if quarantined and quarantined.startswith("{") and quarantined.endswith("}"):
                quarantined = str(row.get(quarantined[1:-1]) or column)
            rejections.append(
                Rejection(
                    number,
                    f"{result.expectation_config.type}:{column}",
                    quarantined,
                    reason,
                    *(row.get(c) for c in identity),
                )
            )
    return rejections, rows


def table_verdicts(
    frame: pd.DataFrame, spec: dict, results: list, level: str, parameters: dict | None = None
) -> tuple[list[Failure], list[ResultRow]]:
    """Each failed expectation of a table audit as a Failure with examples; a result row per expectation."""
    entries = {(e["type"], e["column"]): e for e in expectation_entries(spec)}
    scalars = {
        k: v for k, v in {**default_parameters(), **(parameters or {})}.items() if not isinstance(v, list)
    }
    failures, rows = [], []
    for result in results:
        kind, column = result.expectation_config.type, result_column(result)
        details = result.result or {}
        unexpected = details.get("unexpected_count") if "element_count" in details else None
        rows.append(
            result_row(spec["name"], result, level, unexpected or 0, details.get("element_count", len(frame)))
        )
        if not result.success:
            reason = fill_reason(entries[(kind, column)]["reason"], **{**scalars, "column": column})
            hits = details.get("unexpected_index_list") or []
            examples = [_example(frame, hit, spec.get("key", []), column) for hit in hits[:EXAMPLES]]
            keys = [_key(frame, hit, spec.get("key", [])) for hit in hits[:KEYS_KEPT]]
            failures.append(Failure(kind, column, unexpected, observed(result), reason, examples, keys))
    return failures, rows


def _key(frame: pd.DataFrame, hit: dict, key: list[str]) -> dict:
    row = frame.iloc[int(hit["row_number"]) - 1]
    return {name: plain(row[name]) for name in key if name in row}


def _example(frame: pd.DataFrame, hit: dict, key: list[str], column: str) -> str:
    """One failing row as `key=value, ..., column=value`."""
    row = frame.iloc[int(hit["row_number"]) - 1]
    shown = [*key, *(c for c in column.split(",") if c and c not in key)]
    return ", ".join(f"{name}={plain(row[name])}" for name in shown if name in row)


# --- the outcome --------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one audit found and what to do about it: the one result type of every audit.

    A landed batch (`raw_table` set) has row `rejections` (quarantined, the rest accepted)
    and `problems` that make it unusable as a whole; a table audit (build schemas, the
    registry) has `failures`, each of which stops what follows it.
    """

    audit_id: str  # audit.validation_results.batch_id: a batch id, `registry:<table>`, `<table>:<day>`
    subject: str  # what was audited, as a sentence names it: "batch", "post batch", a table
    rows_checked: int = 0
    expectations: int = 0
    results: list[ResultRow] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    data_docs_url: str | None = None
    raw_table: str | None = (
        None  # a landed batch's table: rejections go to raw.quarantine, the ledger is settled
    )
    run_id: str = ""
    # (institution_id, name) of institutions from which a batch's source has no row at all on its data day
    institutions_without_data: list[tuple[str, str]] = field(default_factory=list)
    # what a table audit's failure means for users, and what to do after the fix
    consequence: str = "nothing was published, users see what they saw before"
    next_step: str = (
        "run the build and this audit again (clear the DAG run's dbt tasks); publish follows when it passes"
    )

    @property
    def batch_id(self) -> str:
        return self.audit_id

    @property
    def rows_in(self) -> int:
        return self.rows_checked

    @property
    def rows_rejected(self) -> int:
        return len({r.row_number for r in self.rejections})

    @property
    def rows_accepted(self) -> int:
        return self.rows_checked - self.rows_rejected

    @property
    def failed_checks(self) -> dict[str, int]:
        """Rows rejected per check."""
        return dict(Counter(r.check_name for r in self.rejections))

    @property
    def usable(self) -> bool:
        """False when the batch as a whole is unusable or a table audit failed: the subject's error is raised."""
        return not self.problems and not self.failures

    @property
    def status(self) -> str:
        return "accepted" if self.usable else "rejected"

    def summary(self, docs: bool = True) -> str:
        """What the audit found and what to do next; with the Data Docs link unless `docs` is false."""
        link = f"Data Docs: {self.data_docs_url}" if docs and self.data_docs_url else ""
        if self.failures:
            return self._failures_summary(link)
        if self.problems:
            text = f"{self.subject} {self.audit_id} rejected: " + " | ".join(self.problems)
        elif self.rejections:
            checks = "; ".join(f"{name}: {count} rows" for name, count in sorted(self.failed_checks.items()))
            text = (
                f"{self.subject} {self.audit_id}: {self.rows_accepted} of {self.rows_in} rows accepted, "
                f"{self.rows_rejected} quarantined ({checks}); see raw.quarantine for each row's reason"
            )
        elif self.raw_table:
            text = f"{self.subject} {self.audit_id}: all {self.rows_in} rows passed"
        else:
            where = f"results: audit.validation_results where batch_id = '{self.audit_id}'"
            text = (
                f"{self.audit_id}: all {self.expectations} expectations passed on {self.rows_checked} rows "
                f"({where}{'; ' + link if link else ''})"
            )
            return text
        if self.institutions_without_data:
            text += (
                f"; no data at all from {len(self.institutions_without_data)} institution(s): "
                f"{names(self.institutions_without_data)} (see audit.completeness)"
            )
        return text + (f"; {link}" if link else "")

    def _failures_summary(self, link: str) -> str:
        where = f"results: audit.validation_results where batch_id = '{self.audit_id}'"
        head = (
            f"{self.audit_id}: {len(self.failures)} of {self.expectations} expectations failed on "
            f"{self.rows_checked} rows of {self.subject}; {self.consequence}."
        )
        tail = (
            f"The rows stay in {self.subject} to look at ({where}{'; ' + link if link else ''}). "
            f"After the fix, {self.next_step}."
        )
        return "\n".join([head, *(f"- {failure.sentence()}" for failure in self.failures), tail])


# Institutions named in a sentence before "and N more".
NAMED_INSTITUTIONS = 12


def names(institutions: list[tuple[str, str]]) -> str:
    """`id (name), ...`, the first NAMED_INSTITUTIONS, then "and N more"."""
    shown = ", ".join(f"{i} ({name})" if name else i for i, name in institutions[:NAMED_INSTITUTIONS])
    more = len(institutions) - NAMED_INSTITUTIONS
    return shown + (f" and {more} more" if more > 0 else "")


def mostly_rejected(outcome: Outcome, affected: str = "") -> str | None:
    """The sentence that rejects a landed batch when more than MAX_REJECTED_SHARE of its rows failed."""
    if outcome.rows_rejected <= MAX_REJECTED_SHARE * outcome.rows_in:
        return None
    checks = "; ".join(f"{name}: {count} rows" for name, count in sorted(outcome.failed_checks.items()))
    return (
        f"{outcome.rows_rejected} of {outcome.rows_in} rows failed the audit (more than {MAX_REJECTED_SHARE:.0%}; "
        f"{checks}): the source or the registry is broken.{affected} What to do: read the reasons in "
        f"raw.quarantine for this batch, fix the source or the registry, and land the day again"
    )


# --- storing and concluding ---------------------------------------------------------------


def store(conn: psycopg.Connection, outcome: Outcome) -> None:
    """Replace the audit's earlier records with this outcome's, in one transaction.

    audit.validation_results always; for a landed batch also its rows in raw.quarantine and
    its ledger row. Two runs of the same audit at once: the second waits on the advisory lock
    of the audit id, then replaces the first's records, so a re-run leaves one set.
    """
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"audit|{outcome.audit_id}"])
        cur.execute("delete from audit.validation_results where batch_id = %s", [outcome.audit_id])
        with cur.copy(
            "copy audit.validation_results (batch_id, suite, expectation, column_name, success,"
            " unexpected, observed, run_id, rows_checked, level) from stdin"
        ) as copy:
            for r in outcome.results:
                copy.write_row(
                    (
                        outcome.audit_id,
                        r.suite,
                        r.expectation,
                        r.column_name,
                        r.success,
                        r.unexpected,
                        r.observed,
                        outcome.run_id,
                        r.rows_checked,
                        r.level,
                    )
                )
        if outcome.raw_table:
            _store_batch(cur, outcome)


def _store_batch(cur: psycopg.Cursor, outcome: Outcome) -> None:
    from kinerja.landing.batches import lock_batch_partitions, replace_with_accepted

    # the landing's locks before the ledger row, in the landing's order (no deadlock with a
    # landing of the same days)
    lock_batch_partitions(cur, outcome.raw_table, outcome.audit_id)
    cur.execute("delete from raw.quarantine where batch_id = %s", [outcome.audit_id])
    with cur.copy(
        "copy raw.quarantine (batch_id, row_number, check_name, account_id, platform, metric_date,"
        " column_name, reason) from stdin"
    ) as copy:
        seen = set()
        for r in outcome.rejections:
            if (r.row_number, r.check_name) in seen:  # a duplicate key names each of its rows once
                continue
            seen.add((r.row_number, r.check_name))
            copy.write_row(
                (
                    outcome.audit_id,
                    r.row_number,
                    r.check_name,
                    r.account_id,
                    r.platform,
                    r.day,
                    r.column_name,
                    r.reason,
                )
            )
    # a rejected batch accepts nothing and replaces nothing; its rows stay in the raw table
    # beside the last accepted ones, the ledger says why
    accepted = outcome.rows_accepted if outcome.usable else 0
    cur.execute(
        "update raw.batch_ledger set status = %s, rows_accepted = %s, rows_rejected = %s, audited_at = now(),"
        " summary = %s where batch_id = %s",
        [outcome.status, accepted, outcome.rows_in - accepted, outcome.summary(docs=False), outcome.audit_id],
    )
    if outcome.usable:
        # only now, with the verdict, do its accepted rows replace the source's earlier ones
        replace_with_accepted(cur, outcome.raw_table, outcome.audit_id)


def conclude(conn: psycopg.Connection, outcome: Outcome, error: type[Exception]) -> Outcome:
    """Commit the audit's records, log its summary, raise `error` when the outcome is unusable."""
    if not conn.autocommit:
        # committed whatever the outcome: the raise below would otherwise roll the records
        # ("rejected, and why") back with a caller's `with connect() as conn`
        conn.commit()
    if not outcome.usable:
        log.error("%s", outcome.summary())
        failure = error(outcome.summary())
        failure.outcome = (
            outcome  # the failure callback's alert names the failing rows' institutions and days
        )
        raise failure
    log.info("%s", outcome.summary())  # names the audit and links its Data Docs page
    return outcome


def audit_table(
    conn: psycopg.Connection,
    suite: str,
    table: str,
    audit_id: str,
    frame: pd.DataFrame,
    parameters: dict,
    level: str,
    error: type[Exception],
    **wording,
) -> Outcome:
    """Validate a table's rows with `suite`, store every result under `audit_id`, raise `error` on a failure.

    `wording`: the Outcome's `consequence` and `next_step` for this kind of table.
    """
    spec = load_suite_spec(suite)
    validation = Validation(audit_id)
    # GX names failing rows by an index column: their position in the frame
    frame = frame.assign(row_number=range(1, len(frame) + 1))
    results = validation.run(frame, spec, parameters)
    failures, rows = table_verdicts(frame, spec, results, level, parameters)
    outcome = Outcome(
        audit_id,
        table,
        len(frame),
        len(results),
        results=rows,
        failures=failures,
        run_id=validation.run_name,
        **wording,
    )
    store(conn, outcome)
    outcome.data_docs_url = validation.build_docs(spec["name"])
    return conclude(conn, outcome, error)
