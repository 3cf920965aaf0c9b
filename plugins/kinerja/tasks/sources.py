"""Task bodies of the sources: harvest each source, land and audit what it yielded.

Every source yields what it read and writes nothing; landing writes. The simulator and the
APIs go through `kinerja.landing.harvest`, the one path that lands and audits a Harvest; the
file drop yields one file at a time, each landed and recorded by `kinerja.landing.filedrop`
and audited batch by batch (`audit_dropped_batches`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kinerja import config
from kinerja.landing.harvest import audit_landed, land_harvest, rejections
from kinerja.registry.history import accounts_on
from kinerja.registry.load import read_accounts
from kinerja.sources import simulator
from kinerja.sources.base import Harvest, SourceProblem
from kinerja.warehouse import connect, ensure_warehouse

log = logging.getLogger(__name__)


class SourceFailed(RuntimeError):
    """A source delivered nothing usable for a whole platform, or a batch of it was rejected."""


def local_today() -> date:
    """Today in WIB."""
    return datetime.now(ZoneInfo(config.DEFAULT_TIMEZONE)).date()


def land_simulated_day(
    data_day: date,
    registry_dir: Path | None = None,
    trailing_days: int = config.TRAILING_DAYS,
    audit: bool = True,
) -> dict:
    """Land and audit the simulator's metrics of every registry account for `data_day`, and its posts.

    The account days are one batch, the posts a second: every post published on `data_day`
    or its `trailing_days`, with its lifetime totals as of `data_day`, as a platform pull made
    that day sees them; so a post's totals grow over the runs that see it. Only the as-of day
    `data_day` is landed: a later run's window no longer holds the oldest posts, and landing
    its snapshots of earlier as-of days would replace those days' partitions without them.
    Both batches are audited (unless `audit` is false: `land_simulated_days` audits them
    itself); raises SourceFailed when one of them is rejected as a whole.
    """
    accounts = read_accounts(registry_dir or config.registry_dir())
    # without realities the posts agree with simulate_day: as many per day as its `posts`
    pulled = simulator.SimulatorSource(simulator.NO_REALITIES).harvest(data_day, accounts, trailing_days)
    harvest = Harvest(
        account_days=list(simulator.simulate_day(accounts, data_day)),
        posts=[post for post in pulled.posts if post["as_of_date"] == data_day],
    )
    with connect(ensure_warehouse()) as conn:
        outcome = land_harvest(conn, simulator.SOURCE, None, data_day, harvest, audit=audit)
    log.info(
        "landed %d account days and %d post snapshots for %s as batches %s",
        outcome["account_days"],
        outcome["posts"],
        data_day,
        ", ".join(outcome["batch_ids"]),
    )
    if rejected := rejections(outcome["audits"]):
        raise SourceFailed("the simulator's batch was rejected: " + "; ".join(rejected))
    return {
        "data_day": data_day.isoformat(),
        "batches": outcome["batches"],
        "batch_ids": outcome["batch_ids"],
        "audits": outcome["audits"],
    }


def land_simulated_days(days: Sequence[date], registry_dir: Path | None = None) -> dict:
    """Land and audit the simulator's days (`land_simulated_day`), landing several at once for a
    history run.

    Each day's batches are partitions of their own, so the days land in any order: a range is
    shared out over `config.landing_workers()` processes, each a fresh interpreter running
    `python -m kinerja.tasks.land_days` (not a fork: a task's process holds Airflow's and the
    warehouse's connections and threads). The audits then run here, in the order of the days
    (kinerja.landing.harvest.audit_landed). Every day is tried; raises SourceFailed afterwards,
    naming the days that failed.
    """
    workers = min(len(days), config.landing_workers())
    if workers <= 1:
        outcomes = [_day_or_failure(land_simulated_day, day, registry_dir) for day in days]
    else:
        log.info("landing %d days in %d processes, then auditing them in order", len(days), workers)
        outcomes = _land_in_processes([list(days[n::workers]) for n in range(workers)], registry_dir)
        with connect(ensure_warehouse()) as conn:
            for outcome in outcomes:
                if "batches" in outcome:
                    outcome["audits"] = audit_landed(conn, outcome["batches"])
                    if rejected := rejections(outcome["audits"]):
                        outcome["failure"] = f"{outcome['data_day']}: " + "; ".join(rejected)
    failures = [outcome["failure"] for outcome in outcomes if "failure" in outcome]
    if failures:
        raise SourceFailed(f"{len(failures)} of {len(days)} day(s) failed: " + "; ".join(failures))
    return {
        "days": [day.isoformat() for day in days],
        "batch_ids": [batch for outcome in outcomes for batch in outcome["batch_ids"]],
        "audits": [audit for outcome in outcomes for audit in outcome["audits"]],
    }


def _day_or_failure(land, day: date, *args, **kwargs) -> dict:
    """One day of a range: a day that fails is reported, so that the other days still land."""
    try:
        return land(day, *args, **kwargs)
    except Exception as failure:
        log.exception("%s failed", day)
        return {"data_day": day.isoformat(), "failure": f"{day}: {type(failure).__name__}: {failure}"}


def land_simulated_day_unaudited(day: date, registry_dir: Path | None = None) -> dict:
    """A history run's worker: the day landed, its audit left to `land_simulated_days`."""
    return _day_or_failure(land_simulated_day, day, registry_dir, audit=False)


def _land_in_processes(shares: list[list[date]], registry_dir: Path | None) -> list[dict]:
    """Each share of days landed (not audited) by a process of its own; their outcomes, in day order.

    A worker writes one JSON line per day to its stdout; its log goes to this process's stderr
    (the task log). A worker that dies is a failure of the days it did not report.
    """
    import json
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    extra = ["--registry-dir", str(registry_dir)] if registry_dir else []
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "kinerja.tasks.land_days", *extra, *(day.isoformat() for day in share)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    # every pipe read at once: a worker whose pipe is full would wait for this process
    with ThreadPoolExecutor(len(workers)) as readers:
        outputs = list(readers.map(lambda worker: worker.communicate()[0], workers))
    outcomes = []
    for share, worker, output in zip(shares, workers, outputs, strict=True):
        reported = [json.loads(line) for line in output.splitlines() if line.strip()]
        missing = sorted({day.isoformat() for day in share} - {outcome["data_day"] for outcome in reported})
        outcomes += reported + [
            {
                "data_day": day,
                "failure": f"{day}: its landing process ended with exit code {worker.returncode}",
            }
            for day in missing
        ]
    return sorted(outcomes, key=lambda outcome: outcome["data_day"])


# --- the file drop ------------------------------------------------------------------------


def land_file_drops(data_day: date, today: date | None = None, registry_dir: Path | None = None) -> dict:
    """Land every new file of the inbox, then audit the account-day batches the file drop landed.

    The inbox is not about one data day: files carry whatever days their exports cover, and
    each daily run takes what has come in since the last. `today` (default: today in WIB)
    caps the day an export can have been made. A bad file is rejected with a note for its
    sender and a rejected batch stays out of the marts; neither fails the task.
    """
    from kinerja.landing.filedrop import audit_dropped_batches, audit_notes, land_dropped_files
    from kinerja.sources.filedrop.inbox import read_inbox

    inbox, archive = config.filedrop_inbox(), config.filedrop_archive()
    inbox.mkdir(parents=True, exist_ok=True)
    archive.mkdir(parents=True, exist_ok=True)
    rows = read_accounts(registry_dir or config.registry_dir())
    with connect(ensure_warehouse()) as conn:
        started = conn.execute("select clock_timestamp()").fetchone()[0]
        conn.commit()
        report = land_dropped_files(conn, read_inbox(conn, inbox, rows, today or local_today()), archive)
        files = conn.execute(
            """
            select institution_id, original_name, status, message, rows_landed, rows_quarantined, batch_ids
            from raw.filedrop_files where last_dropped_at >= %s order by institution_id, original_name
            """,
            [started],
        ).fetchall()
        audited = audit_dropped_batches(conn)
        audit_notes(conn, audited, inbox)  # what the audit held, for each file's sender
    for message in report.messages:
        log.info("file drop: %s", message)
    if not report.messages:
        log.info("file drop: no new files in %s", inbox)
    for sentence in rejections(audited):
        log.error("file drop: %s; the file's rows stay out of the marts, see raw.batch_ledger", sentence)
    for outcome in audited:
        if outcome["status"] == "failed":
            log.error(
                "file drop: the audit failed: %s; the next run audits the batch again", outcome["reason"]
            )
    batch_ids = sorted(
        {b for *_, ids in files for b in ids or []} | {outcome["batch_id"] for outcome in audited}
    )
    return {
        "data_day": data_day.isoformat(),
        "files_landed": report.counts.get("landed", 0) + report.counts.get("partly_held", 0),
        "files_rejected": report.counts.get("rejected", 0),
        "files": dict(report.counts),
        "batch_ids": batch_ids,
        "audits": audited,
        "messages": report.messages,
        "file_rows": [
            {
                "institution_id": i,
                "file": n,
                "status": st,
                "message": m,
                "rows_landed": rl,
                "rows_quarantined": rq,
            }
            for i, n, st, m, rl, rq, _ in files
        ],
    }


# --- the platform APIs --------------------------------------------------------------------


def land_api_days(days: Sequence[date], pull: bool = True, **options) -> dict:
    """`land_api` for each day of a run, in order: a later pull restates an earlier one's days.

    `pull` false pulls nothing: a repair made the days' API batches again from the archive.
    """
    if not pull:
        log.info("API days not pulled: kinerja repair landed them again from the archived payloads")
        return {"days": [day.isoformat() for day in sorted(days)], "batch_ids": [], "problems": []}
    summaries = [land_api(day, **options) for day in sorted(days)]
    return {
        "days": [summary["data_day"] for summary in summaries],
        "batch_ids": [batch for summary in summaries for batch in summary["batch_ids"]],
        "problems": [problem for summary in summaries for problem in summary["problems"]],
    }


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
    from kinerja.sources.api.common import SOURCE as API_SOURCE

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
            outcome = land_harvest(conn, API_SOURCE, platform, data_day, harvest)
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
            failures += [f"{platform}: {sentence}" for sentence in rejections(outcome["audits"])]
            log.info(
                "%s: %d of %d account(s) landed, %d post record(s), %d problem(s), %d new payload(s) archived",
                platform,
                len(landed),
                len(mine),
                outcome["posts"],
                len(harvest.problems),
                outcome["payloads"],
            )
    if failures:
        raise SourceFailed("the API source failed: " + "; ".join(failures))
    return summary


def _harvest(
    api, platform: str, data_day: date, accounts: list[dict], trailing: int, options: dict
) -> Harvest:
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
