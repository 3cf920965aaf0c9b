"""Task bodies of the sources: harvest each source, land and audit what it yielded.

Every source yields what it read and writes nothing; landing writes. The simulator and the
APIs go through `kinerja.landing.harvest`, the one path that lands and audits a Harvest; the
file drop yields one file at a time, each landed and recorded by `kinerja.landing.filedrop`
and audited batch by batch (`audit_dropped_batches`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kinerja import config
from kinerja.landing.harvest import land_harvest, rejections
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
    data_day: date, registry_dir: Path | None = None, trailing_days: int = config.TRAILING_DAYS
) -> dict:
    """Land and audit the simulator's metrics of every registry account for `data_day`, and its posts.

    The account days are one batch, the posts a second: every post published on `data_day`
    or its `trailing_days`, with its lifetime totals as of `data_day`, as a platform pull made
    that day sees them; so a post's totals grow over the runs that see it. Only the as-of day
    `data_day` is landed: a later run's window no longer holds the oldest posts, and landing
    its snapshots of earlier as-of days would replace those days' partitions without them.
    Both batches are audited; raises SourceFailed when one of them is rejected as a whole.
    """
    accounts = read_accounts(registry_dir or config.registry_dir())
    # without realities the posts agree with simulate_day: as many per day as its `posts`
    pulled = simulator.SimulatorSource(simulator.NO_REALITIES).harvest(data_day, accounts, trailing_days)
    harvest = Harvest(
        account_days=list(simulator.simulate_day(accounts, data_day)),
        posts=[post for post in pulled.posts if post["as_of_date"] == data_day],
    )
    with connect(ensure_warehouse()) as conn:
        outcome = land_harvest(conn, simulator.SOURCE, None, data_day, harvest)
    log.info(
        "landed %d account days and %d post snapshots for %s as batches %s",
        outcome["account_days"],
        outcome["posts"],
        data_day,
        ", ".join(outcome["batch_ids"]),
    )
    if rejected := rejections(outcome["audits"]):
        raise SourceFailed("the simulator's batch was rejected: " + "; ".join(rejected))
    return {"data_day": data_day.isoformat(), "batch_ids": outcome["batch_ids"], "audits": outcome["audits"]}


# --- the file drop ------------------------------------------------------------------------


def land_file_drops(data_day: date, today: date | None = None, registry_dir: Path | None = None) -> dict:
    """Land every new file of the inbox, then audit the account-day batches the file drop landed.

    The inbox is not about one data day: files carry whatever days their exports cover, and
    each daily run takes what has come in since the last. `today` (default: today in WIB)
    caps the day an export can have been made. A bad file is rejected with a note for its
    sender and a rejected batch stays out of the marts; neither fails the task.
    """
    from kinerja.landing.filedrop import audit_dropped_batches, land_dropped_files
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
