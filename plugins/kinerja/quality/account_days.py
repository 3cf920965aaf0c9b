"""The audit of landed account-day batches (raw.account_daily), and the completeness of their sources.

Built on `kinerja.quality.engine`. A batch is validated twice:

- `raw_account_daily_schema`, the batch as a whole: its columns and their types. A failure
  means the source changed, and the whole batch is rejected.
- `raw_account_daily`, row by row: keys present, platforms known, accounts in the registry
  and registered on the metric day, days inside the batch's window, counts not negative,
  follower counts plausible against the account's last accepted count, one row per key.
  Where GX has no built-in expectation (history, the registry's periods) the value is
  computed beforehand in SQL and GX validates that column, so every check is a GX result.

Every row that fails goes to raw.quarantine with its reason, every expectation's result to
audit.validation_results, the validation to the one Data Docs site (linked from the log
line), and the completeness of the source's days against the registry to audit.completeness.
`audit_batch` raises `BatchRejected` only when the batch as a whole is unusable (columns
changed, empty, cut short, or more than half of its rows failing). A rejected batch keeps its
rows in raw.account_daily and its ledger row says why: nothing is lost.
"""

from __future__ import annotations

import json
import logging
import statistics
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import psycopg

from kinerja import platforms
from kinerja.quality import engine
from kinerja.sources import CANONICAL_FIELDS, METRIC_FIELDS

log = logging.getLogger(__name__)

RAW_SUITE = "raw_account_daily"
SCHEMA_SUITE = "raw_account_daily_schema"
# Follower counts below this are too small to judge a jump by (12 -> 900 happens).
MIN_REFERENCE_FOLLOWERS = 100
# Plausibility by audience: the most of a daily count an account can reach per follower, by
# platform (where a platform is not named, `other`). The audience is the row's followers or
# the account's last accepted count, and at least AUDIENCE_FLOOR (a small account's viral
# day). Generous on purpose: only what no account could have is held (a wrong unit or
# account, an overflow, a hostile file), naming the metric, never a good day.
AUDIENCE_FLOOR = 10_000
PLAUSIBLE_PER_FOLLOWER = {
    "views": {"youtube": 1_000, "tiktok": 2_000, "other": 500},
    "reach": {"tiktok": 2_000, "other": 500},
    "likes": {"tiktok": 200, "other": 50},
    "comments": {"other": 20},
    "shares": {"tiktok": 50, "other": 20},
    "saves": {"other": 20},
    "angry": {"other": 20},
    "replies": {"other": 20},
    "replies_24h": {"other": 20},
}
# Whatever the audience: no account counts more in a day (and sums of a month of many
# accounts' days stay far inside bigint: fct_institution_monthly casts its sums to bigint).
MAX_DAILY_COUNT = 10**12
MAX_DAILY_POSTS = 1_000
# A batch reporting fewer than this share of the accounts its source usually reports on its
# data day was cut short; the usual share is the median of the source's last days.
CUT_SHORT_SHARE = 0.5
USUAL_COVERAGE_DAYS = 7
# The file drop is self-reported: each institution sends its own accounts when it chooses;
# an import carries whatever accounts another system had. Neither completeness against the
# whole registry nor a usual coverage applies to them.
SELF_REPORTED_SOURCES = ("filedrop", "import")

EMPTY = (
    "the batch is empty: the source delivered no rows for this day. What to do: check the source's log "
    "(tokens, quota, an empty export) and land the day again"
)
NO_REGISTRY = "the registry holds no accounts: load it first (kinerja registry load)"


class BatchRejected(RuntimeError):
    """The batch as a whole is unusable; nothing of it reaches the warehouse."""


def audit_batch(conn: psycopg.Connection, batch_id: str, suites_dir: Path | None = None) -> engine.Outcome:
    """Audit one landed batch: quarantine failing rows, settle the ledger, judge completeness, raise if unusable.

    Commits on a connection that is not in autocommit mode, whatever the outcome.
    """
    ledger = conn.execute(
        "select source, data_day, (landed_at at time zone 'Asia/Jayapura')::date from raw.batch_ledger"
        " where batch_id = %s",
        [batch_id],
    ).fetchone()
    if ledger is None:
        raise ValueError(f"batch {batch_id} is not in raw.batch_ledger: land it first")
    source, data_day, landed_day = ledger
    landed = _read_landed(conn, batch_id)
    # no day after the batch's landing (in WIT, the latest Indonesian day) can have happened
    parameters = engine.batch_parameters(conn, source, data_day) | {
        "window_end": min(data_day, landed_day),
        "landed_day": landed_day,
    }
    names = _institution_names(conn, data_day)
    validation = engine.Validation(batch_id)
    outcome = engine.Outcome(
        batch_id, "batch", len(landed), raw_table="raw.account_daily", run_id=validation.run_name
    )
    if landed.empty:
        outcome.problems.append(EMPTY)
    elif not parameters["registry_account_ids"]:
        outcome.problems.append(NO_REGISTRY)
    else:
        specs = (
            engine.load_suite_spec(SCHEMA_SUITE, suites_dir),
            engine.load_suite_spec(RAW_SUITE, suites_dir),
        )
        _validate(conn, validation, outcome, landed, specs, parameters, source, names)
    outcome.data_docs_url = validation.build_docs(RAW_SUITE)
    engine.store(conn, outcome)
    outcome.institutions_without_data = _judge_completeness(
        conn, batch_id, source, data_day, landed, parameters["window_days"], names
    )
    if outcome.usable and outcome.institutions_without_data:
        conn.execute(
            "update raw.batch_ledger set summary = %s where batch_id = %s",
            [outcome.summary(docs=False), batch_id],
        )
    return engine.conclude(conn, outcome, BatchRejected)


def _validate(
    conn,
    validation: engine.Validation,
    outcome: engine.Outcome,
    landed: pd.DataFrame,
    specs: tuple[dict, dict],
    parameters: dict,
    source: str,
    names: dict[str, str],
) -> None:
    """Both suites on a batch with rows: fill the outcome's results, rejections and problems."""
    schema_spec, spec = specs
    received, undelivered = _received(landed)
    present = set(received.columns)
    schema_entries = [
        e
        for e in engine.expectation_entries(schema_spec)
        if "column" not in e["kwargs"] or e["kwargs"]["column"] in present
    ]
    schema_results = validation.run(received, schema_spec, {}, schema_entries)
    schema_problems, outcome.results = _schema_problems(schema_spec, schema_results, source, undelivered)
    if schema_problems:
        affected = sorted(_institutions_of(conn, landed))
        outcome.problems.append(
            "; ".join(schema_problems)
            + ". Institutions affected: "
            + engine.names([(i, names.get(i, "")) for i in affected])
        )
    frame = _row_context(conn, outcome.audit_id, landed)
    results = validation.run(frame, spec, parameters)
    outcome.rejections, rows = engine.row_verdicts(frame, spec, results, parameters)
    outcome.results += rows
    outcome.expectations = len(schema_results) + len(results)
    rejected = landed[landed["row_number"].isin({r.row_number for r in outcome.rejections})]
    failing = sorted(_institutions_of(conn, rejected))
    mostly = engine.mostly_rejected(
        outcome,
        " Institutions affected: "
        + (engine.names([(i, names.get(i, "")) for i in failing]) or "none known to the registry")
        + ".",
    )
    cut_short = _cut_short(conn, source, parameters["data_day"], frame, names)
    outcome.problems += [p for p in (mostly, cut_short) if p]


# --- reading a batch ----------------------------------------------------------------------


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
        column
        for column in METRIC_FIELDS
        if reasons
        and column in landed
        and landed[column].isna().all()
        and not any(column in r for r in reasons)
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
        frame[column] = (
            _as_counts(frame[column]) if column in frame else pd.array([None] * len(frame), dtype="Int64")
        )
    frame = frame.merge(context, on="row_number", how="left")
    previous = pd.to_numeric(frame["previous_followers"], errors="coerce")
    followers = pd.to_numeric(frame["followers"], errors="coerce").astype("float64")
    # a negative count is the negative-count check's: judged here are counts that can be right
    judged = previous.ge(MIN_REFERENCE_FOLLOWERS) & followers.ge(0)
    frame["followers_ratio"] = (followers / previous).where(judged).astype("float64")
    frame["implausible"], frame["implausible_metric"] = _implausible(frame, followers, previous)
    return frame


def _implausible(frame: pd.DataFrame, followers: pd.Series, previous: pd.Series) -> tuple[list, list]:
    """Per row: a sentence naming the first count no account of its audience could have, and its
    column; (None, None) for a plausible row. A negative count is the negative-count check's."""
    audience = (
        pd.concat([followers.where(followers.ge(0)), previous.astype("float64")], axis=1)
        .max(axis=1)
        .fillna(0)
        .clip(lower=AUDIENCE_FLOOR)
    )
    sentences: list[str | None] = [None] * len(frame)
    metrics: list[str | None] = [None] * len(frame)
    checks = [("followers", None), ("posts", None), *PLAUSIBLE_PER_FOLLOWER.items()]
    for column, per_follower in checks:
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        ratio = (
            frame["platform"].map(lambda name, bounds=per_follower: bounds.get(name, bounds["other"]))
            if per_follower
            else None
        )
        limit = pd.Series(float(MAX_DAILY_POSTS if column == "posts" else MAX_DAILY_COUNT), index=frame.index)
        if ratio is not None:
            limit = limit.clip(upper=ratio.astype("float64") * audience)
        for position in [int(p) for p in (values.gt(limit)).to_numpy().nonzero()[0]]:
            if sentences[position] is None:
                value = int(frame[column].iloc[position])
                sentences[position] = _beyond(column, value, ratio, frame["platform"], audience, position)
                metrics[position] = column
    return sentences, metrics


def _beyond(column: str, value: int, ratio, platform: pd.Series, audience: pd.Series, position: int) -> str:
    """The sentence of a count beyond its bound: the absolute one, else its audience's."""
    if column == "posts" and value > MAX_DAILY_POSTS:
        return f"posts {value:,} is more than {MAX_DAILY_POSTS:,} posts in a day"
    if value > MAX_DAILY_COUNT or ratio is None:
        return f"{column} {value:,} is more than any account counts in a day ({MAX_DAILY_COUNT:,})"
    per_follower, followers = ratio.iloc[position], audience.iloc[position]
    return (
        f"{column} {value:,} is more than {per_follower:,} per follower of an audience of {followers:,.0f}"
        f" (at most {per_follower * followers:,.0f} on {platform.iloc[position]})"
    )


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


def _institutions_of(conn: psycopg.Connection, rows: pd.DataFrame) -> set[str]:
    """The institutions the registry gives the rows' accounts (on any day)."""
    if rows.empty or "account_id" not in rows:
        return set()
    found = conn.execute(
        "select distinct institution_id from registry.accounts where account_id = any(%s)",
        [sorted({str(a) for a in rows["account_id"].dropna()})],
    ).fetchall()
    return {i for (i,) in found}


def _covered_platforms(source: str) -> tuple[str, ...]:
    """The platforms whose registry accounts a source is expected to report ('api:x' only x)."""
    if source in SELF_REPORTED_SOURCES:
        return ()
    _, _, platform = source.partition(":")
    return (platform,) if platform in platforms.names() else platforms.names()


def _schema_problems(
    spec: dict, results: list, source: str, undelivered: list[str]
) -> tuple[list[str], list[engine.ResultRow]]:
    """Sentences for the schema suite's failures, and its result rows (level 'batch')."""
    entries = {(e["type"], e["column"]): e for e in engine.expectation_entries(spec)}
    problems, rows = [], []
    for result in results:
        kind, column = result.expectation_config.type, engine.result_column(result)
        rows.append(
            engine.result_row(spec["name"], result, "batch", 0, (result.result or {}).get("element_count"))
        )
        if result.success:
            continue
        mismatched = (result.result.get("details") or {}).get("mismatched") or {}
        parts = []
        if mismatched.get("missing"):
            missing = ", ".join(sorted(mismatched["missing"]))
            why = (
                " (no row has a value or a reason for it)"
                if set(mismatched["missing"]) <= set(undelivered)
                else ""
            )
            parts.append(f"missing {missing}{why}")
        if mismatched.get("unexpected"):
            parts.append(f"unexpected {', '.join(sorted(mismatched['unexpected']))}")
        entry = entries.get((kind, column))
        observed = engine.observed(result)
        problems.append(
            engine.fill_reason(
                entry["reason"] if entry else "{column}: {observed}",
                column=column,
                observed=observed,
                source=source,
                mismatch="; ".join(parts) or observed,
            )
        )
    return problems, rows


# --- batch-level judgements ---------------------------------------------------------------


def _active_accounts(
    conn: psycopg.Connection, day: date, covered: tuple[str, ...]
) -> list[tuple[str, str, str]]:
    """(platform, account_id, institution_id) of every account active in the registry on `day`."""
    return conn.execute(
        """
        select distinct platform, account_id, institution_id from registry.accounts
        where valid_from <= %(d)s and (valid_to is null or %(d)s <= valid_to) and platform = any(%(p)s)
        """,
        {"d": day, "p": list(covered)},
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
    covered = _covered_platforms(source)
    if not covered:
        return None
    usual = _usual_coverage(conn, source, data_day)
    if usual is None:
        log.info(
            "batch of %s for %s: no earlier days of the source to judge a cut-short batch by",
            source,
            data_day,
        )
        return None
    active = _active_accounts(conn, data_day, covered)
    active_keys = {(p, a) for p, a, _ in active}
    on_day = frame[frame["metric_date"] == data_day]
    reported = {(p, a) for p, a in zip(on_day["platform"], on_day["account_id"], strict=True)} & active_keys
    expected = usual * len(active_keys)
    if not active_keys or len(reported) >= CUT_SHORT_SHARE * expected:
        return None
    missing = sorted({i for p, a, i in active if (p, a) not in reported})
    return (
        f"the batch was cut short: it reports {len(reported)} of the {len(active_keys)} accounts active on "
        f"{data_day}, where {source} usually reports {usual:.0%} of them. Institutions without rows: "
        f"{engine.names([(i, names.get(i, '')) for i in missing])}. What to do: check the source's log for an "
        f"interrupted pull or a partial file, then land {data_day} again (landing is idempotent)"
    )


# --- completeness -------------------------------------------------------------------------

# The judgement of each (day, institution, platform), into a temporary table: `_judge_completeness`
# then keeps the records it leaves unchanged (with the batch that made them) and replaces the rest.
_COMPLETENESS = """
create temporary table completeness_judged as
with days as (
    select metric_date, as_of
    from unnest(%(days)s::date[], %(as_of)s::date[]) as judged_day (metric_date, as_of)
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
select
    %(source)s::text as source, p.metric_date, p.institution_id, p.platform, n.name as institution_name,
    p.accounts_active::integer, p.accounts_reported::integer,
    round(p.accounts_reported::numeric / p.accounts_active, 4) as share_reported,
    case
        when d.as_of - p.metric_date < (%(restatement)s::jsonb ->> p.platform)::int then 'provisional'
        when p.accounts_reported = p.accounts_active then 'complete'
        else 'incomplete'
    end as status,
    sum(p.accounts_reported) over (partition by p.metric_date, p.institution_id) > 0 as institution_has_data,
    (%(restatement)s::jsonb ->> p.platform)::int as restatement_days, d.as_of as judged_as_of,
    %(batch_id)s::text as batch_id
from pairs p
join days d on d.metric_date = p.metric_date
left join names n on n.metric_date = p.metric_date and n.institution_id = p.institution_id
"""

# What a judgement says, without who made it or when: a record saying the same is kept.
_JUDGEMENT = (
    "source",
    "metric_date",
    "institution_id",
    "platform",
    "institution_name",
    "accounts_active",
    "accounts_reported",
    "share_reported",
    "status",
    "institution_has_data",
    "restatement_days",
    "judged_as_of",
)


def _judgement_of(alias: str) -> str:
    return "(" + ", ".join(f"{alias}.{column}" for column in _JUDGEMENT) + ")"


# The judged records replace the days' records, except those that say the same. The key's
# equalities come first: a row comparison alone cannot be hashed, and its nested loop
# compares every record with every judgement (a national audit stalls on it).
_REPLACE_CHANGED = (
    f"""
    delete from audit.completeness c
    where c.source = %(source)s and c.metric_date = any(%(days)s::date[])
      and not exists (select 1 from completeness_judged j
                      where j.source = c.source and j.metric_date = c.metric_date
                        and j.institution_id = c.institution_id and j.platform = c.platform
                        and {_judgement_of("j")} is not distinct from {_judgement_of("c")})
    """,
    f"""
    insert into audit.completeness ({", ".join(_JUDGEMENT)}, batch_id)
    select {", ".join(_JUDGEMENT)}, j.batch_id from completeness_judged j
    where not exists (select 1 from audit.completeness c
                      where c.source = j.source and c.metric_date = j.metric_date
                        and c.institution_id = j.institution_id and c.platform = j.platform)
    """,
)


def _judge_completeness(
    conn, batch_id: str, source: str, data_day: date, landed: pd.DataFrame, window: int, names: dict[str, str]
) -> list[tuple[str, str]]:
    """Judge the share of active accounts the source reported, per day, institution and platform.

    The days judged: the batch's own days inside its window, its data day, and the source's
    earlier days still provisional whose restatement window may have passed since. A day is
    judged as of the day after the data day (the run of day D runs on D+1), or as of the day
    its last judgement held for when that is later: a batch of old days (a late correction,
    a repair, a re-run of a month) sees them as the days after them already did, never as
    the newest days of the source. Until a platform's restatement window has passed, its
    day stays 'provisional'. A record the judgement leaves as it was is kept, with the batch
    that made it, so that judging the same data again changes nothing. Returns the
    institutions without any row on the data day.
    """
    covered = _covered_platforms(source)
    if not covered:
        return []
    restatement = platforms.restatement_days()
    start = data_day - timedelta(days=window)
    days = {
        d
        for d in landed.get("metric_date", pd.Series(dtype=object))
        if isinstance(d, date) and start <= d <= data_day
    }
    days.add(data_day)
    provisional = conn.execute(
        "select distinct metric_date from audit.completeness where source = %s and status = 'provisional'"
        " and metric_date between %s and %s",
        [source, data_day - timedelta(days=max(restatement.values())), data_day],
    ).fetchall()
    days |= {d for (d,) in provisional}
    days_judged = sorted(days)
    with conn.transaction():
        # one judge of a source at a time: two audits of the same days (two landings at once)
        # would both replace the same keys, and one fail on the primary key
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"completeness|{source}"])
        judged_before = dict(
            conn.execute(
                "select metric_date, max(judged_as_of) from audit.completeness"
                " where source = %s and metric_date = any(%s::date[]) group by 1",
                [source, days_judged],
            ).fetchall()
        )
        as_of = [max(data_day + timedelta(days=1), judged_before.get(d, d)) for d in days_judged]
        conn.execute(
            _COMPLETENESS,
            {
                "days": days_judged,
                "as_of": as_of,
                "platforms": list(covered),
                "source": source,
                "batch_id": batch_id,
                "restatement": json.dumps(dict(restatement)),
            },
        )
        for statement in _REPLACE_CHANGED:
            conn.execute(statement, {"source": source, "days": days_judged})
        conn.execute("drop table completeness_judged")
    without = conn.execute(
        "select distinct institution_id, institution_name from audit.completeness"
        " where source = %s and metric_date = %s and not institution_has_data order by 1",
        [source, data_day],
    ).fetchall()
    return [(i, name or names.get(i, "")) for i, name in without]
