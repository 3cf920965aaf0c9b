"""The bodies of the DAGs' tasks: plain functions, testable without Airflow.

Each opens its own connection to the warehouse (tasks may run in separate processes,
on separate workers) and works on a definite partition: a data day or a month.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from kinerja import config, landing, quality, source_store
from kinerja.quality.posts import audit_post_batch
from kinerja.registry.history import accounts_on
from kinerja.registry.load import load_registry, read_accounts
from kinerja.sources import simulator
from kinerja.sources.base import Harvest, SourceProblem
from kinerja.warehouse import connect, ensure_warehouse
from kinerja.warehouse.schema import apply_ddl

log = logging.getLogger(__name__)



def sync_registry(registry_dir: Path | None = None) -> dict[str, int]:
    """Create the warehouse's Python-owned tables and load the registry files."""
    with connect(ensure_warehouse()) as conn:
        apply_ddl(conn)
        counts = load_registry(conn, registry_dir or config.registry_dir())
    log.info("registry loaded: %s", counts)
    return counts


def land_simulated_day(
    data_day: date, registry_dir: Path | None = None, trailing_days: int = config.TRAILING_DAYS
) -> str:
    """Land the simulator's metrics of every registry account for `data_day`, and its posts.

    The account days are one batch (returned: the audit takes it next). The posts are a
    second batch: every post published on `data_day` or its `trailing_days`, with its
    lifetime totals as of `data_day`, as a platform pull made that day sees them; so a
    post's totals grow over the runs that see it. Only the as-of day `data_day` is landed:
    a later run's window no longer holds the oldest posts, and landing its snapshots of
    earlier as-of days would replace those days' partitions without them. Post batches are
    not audited yet (no post suite exists); their rows reach the marts unless rejected.
    """
    accounts = read_accounts(registry_dir or config.registry_dir())
    # without realities the posts agree with simulate_day: as many per day as its `posts`
    harvest = simulator.SimulatorSource(simulator.NO_REALITIES).harvest(data_day, accounts, trailing_days)
    posts = [post for post in harvest.posts if post["as_of_date"] == data_day]
    with connect(ensure_warehouse()) as conn:
        batch = landing.land_batch(conn, simulator.SOURCE, data_day, simulator.simulate_day(accounts, data_day))
        post_batch = landing.land_posts(conn, simulator.SOURCE, data_day, posts)
    log.info("landed %d rows for %s as batch %s", batch.rows_in, data_day, batch.batch_id)
    log.info("landed %d post snapshots as batch %s (not audited: no post suite yet)", post_batch.rows_in, post_batch.batch_id)
    return batch.batch_id


def audit_batch(batch_id: str) -> dict[str, int | str]:
    """Audit a landed batch; raises quality.BatchRejected when it is unusable."""
    with connect(ensure_warehouse()) as conn:
        result = quality.audit_batch(conn, batch_id)
    log.info(result.summary())
    return {"batch_id": batch_id, "rows_accepted": result.rows_accepted, "rows_rejected": result.rows_rejected}


class SourceFailed(RuntimeError):
    """A source delivered nothing usable for a whole platform, or a batch of it was rejected."""


def _audit_all(conn: psycopg.Connection, batch_ids: Iterable[str], audit=None) -> tuple[list[dict], list[str]]:
    """Audit each batch (account-day batches by default; `audit`: another raw table's audit, e.g. posts);
    (outcome per batch, sentences of the rejected ones)."""
    outcomes, rejected = [], []
    for batch_id in batch_ids:
        try:
            result = (audit or quality.audit_batch)(conn, batch_id)
        except quality.BatchRejected as rejection:
            log.error("%s", rejection)
            outcomes.append({"batch_id": batch_id, "status": "rejected", "reason": str(rejection)})
            rejected.append(str(rejection))
            continue
        log.info(result.summary())
        outcomes.append(
            {"batch_id": batch_id, "status": "accepted", "rows_accepted": result.rows_accepted,
             "rows_rejected": result.rows_rejected}
        )
    return outcomes, rejected


def local_today() -> date:
    """Today in WIB."""
    return datetime.now(ZoneInfo(config.DEFAULT_TIMEZONE)).date()


# --- the file drop ------------------------------------------------------------------------

FILEDROP = "filedrop"


def land_file_drops(data_day: date, today: date | None = None, registry_dir: Path | None = None) -> dict:
    """Land every new file of the inbox, then audit the account-day batches the file drop landed.

    The inbox is not about one data day: files carry whatever days their exports cover, and
    each daily run takes what has come in since the last. `today` (default: today in WIB)
    caps the day an export can have been made. A bad file is rejected with a note for its
    sender and a rejected batch stays out of the marts; neither fails the task.
    """
    from kinerja.sources.filedrop.inbox import process_inbox

    inbox, archive = config.filedrop_inbox(), config.filedrop_archive()
    inbox.mkdir(parents=True, exist_ok=True)
    archive.mkdir(parents=True, exist_ok=True)
    rows = read_accounts(registry_dir or config.registry_dir())
    with connect(ensure_warehouse()) as conn:
        started = conn.execute("select clock_timestamp()").fetchone()[0]
        conn.commit()
        report = process_inbox(conn, inbox, archive, rows, today or local_today())
        files = conn.execute(
            """
            select institution_id, original_name, status, message, rows_landed, rows_quarantined, batch_ids
            from raw.filedrop_files where last_dropped_at >= %s order by institution_id, original_name
            """,
            [started],
        ).fetchall()
        # every account-day batch of the file drop still waiting for its audit (this run's, and
        # any a failed earlier attempt left), as long as rows of it are still landed
        pending = _pending_batches(conn, FILEDROP)
        audited, rejected = _audit_all(conn, pending["raw.account_daily"])
        conn.commit()
        post_audits, post_rejected = _audit_all(conn, pending["raw.post_daily"], audit_post_batch)
        audited, rejected = audited + post_audits, rejected + post_rejected
        conn.commit()
    for message in report.messages:
        log.info("file drop: %s", message)
    if not report.messages:
        log.info("file drop: no new files in %s", inbox)
    for sentence in rejected:
        log.error("file drop: %s; the file's rows stay out of the marts, see raw.batch_ledger", sentence)
    batch_ids = sorted({b for *_, ids in files for b in ids or []} | set(pending["raw.account_daily"])
                       | set(pending["raw.post_daily"]))
    return {
        "data_day": data_day.isoformat(),
        "files_landed": report.counts.get("landed", 0),
        "files_rejected": report.counts.get("rejected", 0),
        "files": dict(report.counts),
        "batch_ids": batch_ids,
        "audits": audited,
        "messages": report.messages,
        "file_rows": [
            {"institution_id": i, "file": n, "status": st, "message": m, "rows_landed": rl,
             "rows_quarantined": rq}
            for i, n, st, m, rl, rq, _ in files
        ],
    }


def _pending_batches(conn: psycopg.Connection, source_prefix: str) -> dict[str, list[str]]:
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


# --- the platform APIs --------------------------------------------------------------------


def land_api(
    data_day: date,
    platforms: Iterable[str] | None = None,
    trailing_days: int | None = None,
    registry_dir: Path | None = None,
    client_options: dict | None = None,
) -> dict:
    """Harvest every platform's accounts for `data_day` and its trailing days, land and audit them.

    Per platform: the payloads are archived as received (raw.source_payloads), its problems
    recorded (raw.source_problems), its account days and posts landed as source
    `api:<platform>`, its account-day batch audited. A problem of some accounts never stops
    the others; the task fails, after every platform has been dealt with, only when a
    platform delivered for none of its accounts or one of its batches was rejected.
    """
    from kinerja.sources import api

    trailing = config.api_trailing_days() if trailing_days is None else trailing_days
    accounts = accounts_on(read_accounts(registry_dir or config.registry_dir()), data_day)
    summary: dict = {"data_day": data_day.isoformat(), "platforms": {}, "batch_ids": [], "problems": []}
    failures: list[str] = []
    with connect(ensure_warehouse()) as conn:
        for platform in platforms or config.api_platforms():
            mine = [account for account in accounts if account["platform"] == platform]
            if not mine:
                log.info("%s: no registry account on %s; nothing to harvest", platform, data_day)
                continue
            harvest = _harvest(api, platform, data_day, mine, trailing, client_options or {})
            outcome = _land_harvest(conn, platform, data_day, harvest)
            summary["platforms"][platform] = outcome
            summary["batch_ids"] += outcome["batch_ids"]
            summary["problems"] += [p.message for p in harvest.problems]
            for problem in harvest.problems:
                log.warning("%s", problem.message)
            landed = set(outcome["accounts_landed"])
            if not landed:
                failures.append(
                    f"{platform}: none of its {len(mine)} account(s) delivered for {data_day} "
                    f"({len(harvest.problems)} problem(s), see raw.source_problems)"
                )
            failures += [f"{platform}: {sentence}" for sentence in outcome.pop("rejected")]
            log.info(
                "%s: %d of %d account(s) landed, %d post record(s), %d problem(s), %d new payload(s) archived",
                platform, len(landed), len(mine), outcome["posts"], len(harvest.problems), outcome["payloads"],
            )
    if failures:
        raise SourceFailed("the API source failed: " + "; ".join(failures))
    return summary


def _harvest(api, platform: str, data_day: date, accounts: list[dict], trailing: int, options: dict) -> Harvest:
    """One platform's harvest; a fault of the connector itself becomes a platform problem."""
    source = None
    try:
        source = api.connector(platform, config.api_base_url(platform), **options)
        return source.harvest(data_day, accounts, trailing)
    except Exception as error:  # a connector's bug must not stop the other platforms
        log.exception("%s connector failed", platform)
        from kinerja.sources.api.common import SOURCE as api_source

        what = f"{platform}: the connector failed ({type(error).__name__}: {error}); nothing of it landed."
        return Harvest(problems=[SourceProblem(api_source, platform, None, "connector_failed", what)])
    finally:
        clients = (getattr(source, "client", None), getattr(source, "analytics", None))
        for client in {id(c): c for c in clients if c is not None}.values():
            client.close()


def _land_harvest(conn: psycopg.Connection, platform: str, data_day: date, harvest: Harvest) -> dict:
    """Archive, record and land one platform's harvest, then audit its account-day batch."""
    from kinerja.sources.api.common import SOURCE

    name = f"{SOURCE}:{platform}"
    payloads = source_store.archive_payloads(conn, data_day, harvest.payloads)  # first: nothing is lost
    source_store.record_problems(conn, data_day, SOURCE, platform, harvest.problems)
    batch_ids, account_batch, post_batch = [], None, None
    if harvest.account_days:
        account_batch = landing.land_batch(conn, name, data_day, harvest.account_days).batch_id
        batch_ids.append(account_batch)
    if harvest.posts:
        post_batch = landing.land_posts(conn, name, data_day, harvest.posts).batch_id
        batch_ids.append(post_batch)
    conn.commit()
    audits, rejected = _audit_all(conn, [account_batch] if account_batch else [])
    conn.commit()
    post_audits, post_rejected = _audit_all(conn, [post_batch] if post_batch else [], audit_post_batch)
    audits, rejected = audits + post_audits, rejected + post_rejected
    conn.commit()
    return {
        "batch_ids": batch_ids,
        "accounts_landed": sorted({record["account_id"] for record in harvest.account_days}),
        "account_days": len(harvest.account_days),
        "posts": len(harvest.posts),
        "payloads": payloads,
        "audits": audits,
        "rejected": rejected,
    }


def publish_day(data_day: date, trailing_days: int = config.TRAILING_DAYS) -> list[str]:
    """Publish what the daily build rebuilt and tested: its tables, for the days it rebuilt.

    Those are the data day and its trailing days, and every day of the batches landed since
    what users see was published (a file dropped for an old day): one window of days from
    the oldest of them to the newest. The build holds every day, so a wider window publishes
    nothing the build does not hold; its data tests read the data day and trailing days, and
    the constraints of the contract (primary key, not null) hold for every row.
    """
    from kinerja import publish

    manifest = config.dbt_manifest_path()
    tables = publish.tables_tagged(manifest, "daily") - publish.tables_tagged(manifest, "reference")
    with connect(ensure_warehouse()) as conn:
        landed = set()
        for table in sorted(tables & LANDED_DAYS.keys()):
            landed |= days_landed_since_published(conn, table, data_day - timedelta(days=trailing_days))
        window = _window_with(data_day - timedelta(days=trailing_days), data_day, landed)
        if window != (data_day - timedelta(days=trailing_days), data_day):
            log.info("publishing %s..%s: days landed since the last publish reach back to %s", *window, min(landed))
        published = publish.publish(conn, days=window, only=tables)
    return [f"{p.table} ({p.how}, {p.rows} rows)" for p in published]


def _window_with(first: date, last: date, days: set[date]) -> tuple[date, date]:
    return (min(days | {first}), max(days | {last}))


def _metric_day_sql(platform: str, moment: str) -> str:
    """SQL for the metric day of a timestamp (PLATFORM_DAY_ZONE), as dbt's macro metric_day_of."""
    from kinerja.sources.base import PLATFORM_DAY_ZONE

    zones = " ".join(f"when '{name}' then '{zone.key}'" for name, zone in sorted(PLATFORM_DAY_ZONE.items()))
    return f"({moment} at time zone case {platform} {zones} end)::date"


# Each published daily fact: the raw table its rows come from and the day column's value
# of a raw row, as the dbt macro days_landed_since_last_build reads them.
LANDED_DAYS = {
    "marts.fct_account_daily": ("raw.account_daily", "landed.metric_date"),
    # a post without a publication time keeps the day it was first seen: the day users
    # already have for it, else its as-of day
    "marts.fct_posts": (
        "raw.post_daily",
        f"""coalesce(
            {_metric_day_sql('landed.platform', 'landed.published_at')},
            (select held_post.metric_date from marts.fct_posts as held_post
                where held_post.account_id = landed.account_id and held_post.post_id = landed.post_id),
            landed.as_of_date
        )""",
    ),
}


def days_landed_since_published(conn: psycopg.Connection, table: str, held_since: date) -> set[date]:
    """The days of the batches landed (or audited) since the published `table` was last published.

    The same rule as dbt's days_landed_since_last_build, applied to what users see rather
    than to the build: when a publish failed, the next one takes its days too. "Since" is
    the latest landing or audit time of the batches behind the published rows from
    `held_since` on (the latest ones; reading every row would grow with history); in the
    hour before it, the batches those rows do not hold yet. All published rows are read
    only when none is as recent as held_since (publishing stopped for longer than that).
    `= any(array(...))`, as in the macro: with `in`, the planner reads the whole raw table.
    """
    if conn.execute("select to_regclass(%s)", [table]).fetchone()[0] is None:
        return set()  # publish creates it whole
    raw_table, day = LANDED_DAYS[table]
    rows = conn.execute(
        f"""
        select distinct {day}
        from {raw_table} as landed
        where landed.batch_id = any(array(
            select ledger.batch_id
            from raw.batch_ledger as ledger
            cross join (
                select
                    recent.batch_ids as recently_held,
                    coalesce(
                        (
                            select max(coalesce(published.audited_at, published.landed_at))
                            from raw.batch_ledger as published
                            where published.batch_id = any(recent.batch_ids)
                        ),
                        -- run only when the first finds nothing
                        (
                            select max(coalesce(published.audited_at, published.landed_at))
                            from raw.batch_ledger as published
                            where published.batch_id = any(array(select distinct held.batch_id from {table} as held))
                        ),
                        '-infinity'
                    ) as published_until
                from (
                    select array(
                        select distinct held.batch_id from {table} as held where held.metric_date >= %(held_since)s
                    ) as batch_ids
                ) as recent
            ) as last_publish
            where coalesce(ledger.audited_at, ledger.landed_at) >= last_publish.published_until - interval '1 hour'
                and not (
                    coalesce(ledger.audited_at, ledger.landed_at) < last_publish.published_until
                    and ledger.batch_id = any(last_publish.recently_held)
                )
        ))
        """,
        {"held_since": held_since},
    )
    return {landed_day for (landed_day,) in rows}


def publish_month(month: date) -> list[str]:
    """Publish what the monthly build rebuilt and tested (reports, reference dimensions) before the scorecards read them."""
    from kinerja import publish

    manifest = config.dbt_manifest_path()
    tables = publish.tables_tagged(manifest, "monthly") | publish.tables_tagged(manifest, "reference")
    with connect(ensure_warehouse()) as conn:
        published = publish.publish(conn, only=tables)
    log.info("published for %s: %s", month.strftime("%B %Y"), ", ".join(p.table for p in published))
    return [f"{p.table} ({p.how}, {p.rows} rows)" for p in published]


def issue_scores(month: date) -> list[str]:
    """Issue the month's published scores (frozen, with a data cut-off) and reissue restated months."""
    from kinerja.publication import issue_scores as issue

    with connect(ensure_warehouse()) as conn:
        issued = issue(conn, month)
    for item in issued:
        log.info("%s issue %d: %s, %d changes", f"{item.month:%Y-%m}", item.issue_no, item.reason, len(item.changes))
        for change in item.changes[:20]:
            log.info("  %(institution_name)s: %(field)s %(before)s -> %(after)s", change)
    if not issued:
        log.info("%s: the latest issue stands (no restated data changed a score)", f"{month:%Y-%m}")
    return [f"{item.month:%Y-%m} issue {item.issue_no} ({item.reason})" for item in issued]


def render_scorecards(month: date, out_dir: Path | None = None) -> list[str]:
    """Render the month's scorecards; returns the paths written."""
    from kinerja.scorecards.render import render_month

    with connect(ensure_warehouse()) as conn:
        paths = render_month(conn, month, out_dir or config.scorecards_dir())
    log.info("wrote %d scorecard files under %s", len(paths), paths[-1].parent if paths else out_dir)
    return [str(p) for p in paths]
