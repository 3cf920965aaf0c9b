"""Repair: the raw layer of a day range rebuilt from what was received, then the warehouse.

`kinerja repair --first-day D1 --last-day D2` is for a raw layer that was damaged or lost
(rows deleted by hand, a restore of an older backup): every batch with a row or a data day in
the range is taken out whole (rows, quarantine, audit results, ledger) and landed again
through the one landing path, from its origin:

- file drop batches: from the archive (each file as received, under
  `<archive>/<institution_id>/<sha256>.<ext>`, and its record in `raw.filedrop_files`). A
  file is landed again whole, every batch it made, wherever its days fall;
- simulator batches: simulated again (deterministic: the same rows);
- API batches (`api:<platform>`): made again from the payloads archived when their day was
  pulled (`raw.source_payloads`), by the platform's own connector answered from the archive
  (kinerja.sources.api.archive). Each must come out as the batch it was (the same content-derived
  id); a day, account or request without its archived answer stops the repair before anything
  is taken out, naming them. `pull_again` leaves the API batches as they are instead, for the
  history run to pull their days from the platforms again. A superseded API batch (every row
  replaced by a later pull) holds nothing to rebuild and stays as history.

Batches come back under the same ids and with the landing times they had, so that a later
delivery still wins over an earlier one wherever their days overlap (kinerja.landing.batches);
then a history run of the range (`kinerja history`) rebuilds, audits and publishes the warehouse.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import psycopg

from kinerja import config
from kinerja.sources.api.common import SOURCE as API_SOURCE
from kinerja.sources.base import Harvest, SourceProblem

log = logging.getLogger(__name__)


class RepairError(RuntimeError):
    """A repair that cannot go on; the message says why and what to do."""


@dataclass
class ApiDay:
    """One platform's pull of one day, made again from the archive: what lands again."""

    platform: str
    data_day: date
    harvest: Harvest  # only the records of the batches rebuilt, and the day's problems as recorded
    batch_ids: list[str]


@dataclass
class RawRepair:
    batches: list[str] = field(default_factory=list)  # simulator and file drop: taken out and landed again
    simulator_days: list[date] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # institution_id/original name
    api_days: list[ApiDay] = field(default_factory=list)
    api_batches_left: list[str] = field(default_factory=list)  # pull_again: the history run pulls their days
    landed_at: dict[str, datetime] = field(default_factory=dict)  # of every batch taken out

    @property
    def api_batches(self) -> list[str]:
        return sorted(batch for day in self.api_days for batch in day.batch_ids)

    def taken_out(self) -> list[str]:
        return sorted({*self.batches, *self.api_batches})


_BATCHES = """
select l.batch_id, l.source, l.data_day, l.status, l.raw_table
from raw.batch_ledger l
where l.data_day between %(first)s and %(last)s
   or exists (select 1 from raw.account_daily r where r.batch_id = l.batch_id
              and r.metric_date between %(first)s and %(last)s)
   or exists (select 1 from raw.post_daily p where p.batch_id = l.batch_id
              and p.as_of_date between %(first)s and %(last)s)
order by l.batch_id
"""

_FILES = """
select institution_id, sha256, original_name, archive_path, first_dropped_at, batch_ids
from raw.filedrop_files
where batch_ids && %(ids)s::text[]
order by institution_id, original_name
"""

# Every raw-layer record of a batch, children first.
_BATCH_TABLES = ("raw.quarantine", "audit.validation_results", "raw.account_daily", "raw.post_daily")


def plan(
    conn: psycopg.Connection,
    first: date,
    last: date,
    registry_dir: Path | None = None,
    pull_again: bool = False,
) -> tuple[RawRepair, list[tuple]]:
    """What a repair of the range takes out and lands again; nothing is changed."""
    repair = RawRepair()
    batches = conn.execute(_BATCHES, {"first": first, "last": last}).fetchall()
    api = [b for b in batches if b[1].startswith(f"{API_SOURCE}:")]
    ids = [b for b, source, *_ in batches if not source.startswith(f"{API_SOURCE}:")]
    files = conn.execute(_FILES, {"ids": ids}).fetchall()
    for *_, archive_path, _, _ in files:
        if not archive_path or not Path(archive_path).is_file():
            raise RepairError(
                f"the archived file {archive_path or '(none)'} is missing: restore the archive first "
                f"(`kinerja restore`, docs/runbook.md 'Backups and restore'), then repair"
            )
    file_batches = {b for *_, batch_ids in files for b in batch_ids or []}
    orphans = sorted(b for b, source, *_ in batches if source == "filedrop" and b not in file_batches)
    if orphans:
        raise RepairError(
            f"file drop batch(es) {', '.join(orphans)} have no record in raw.filedrop_files, so their "
            f"archived file is unknown: restore raw.filedrop_files from a backup (`kinerja restore`), "
            f"then repair"
        )
    repair.batches = sorted(set(ids) | file_batches)
    repair.simulator_days = _simulator_days(conn, first, last)
    repair.files = [f"{institution}/{name}" for institution, _, name, *_ in files]
    unknown = sorted(
        {source for b, source, *_ in batches if source not in ("simulator", "filedrop") and b in ids}
    )
    if unknown:
        raise RepairError(f"batches of source(s) {', '.join(unknown)} cannot be landed again by repair")
    if pull_again:
        repair.api_batches_left = sorted(b for b, *_ in api)
    else:
        repair.api_days = _api_days_from_archive(conn, api, registry_dir or config.registry_dir())
    # files are landed again whole: their batches outside the range too
    landed = conn.execute(
        "select batch_id, landed_at from raw.batch_ledger where batch_id = any(%s)", [repair.taken_out()]
    ).fetchall()
    repair.landed_at = dict(landed)
    return repair, files


def _api_days_from_archive(
    conn: psycopg.Connection, api_batches: list[tuple], registry_dir: Path
) -> list[ApiDay]:
    """Each API batch of the range made again from its day's archived payloads, checked to be the
    batch it was; raises RepairError naming every day, account and request the archive cannot answer."""
    from kinerja.landing.batches import POST_DAILY, batch_id_of
    from kinerja.landing.payloads import archived_answers
    from kinerja.registry.history import accounts_on
    from kinerja.registry.load import read_accounts
    from kinerja.sources.api.archive import NOT_ARCHIVED, harvest_from_archive

    # (day, platform) -> [(raw table, batch id)]: the batches that hold rows, each day's in its tables
    wanted: dict[tuple[date, str], list[tuple[str, str]]] = defaultdict(list)
    for batch_id, source, day, status, table in api_batches:
        if status != "superseded":
            wanted[(day, source.partition(":")[2])].append((table, batch_id))
    rows = read_accounts(registry_dir)
    missing: list[str] = []
    api_days = []
    for (day, platform), batches in sorted(wanted.items()):
        source = f"{API_SOURCE}:{platform}"
        answers = archived_answers(conn, day, API_SOURCE, platform)
        if not answers:
            missing.append(f"{source} {day}: no payload of the day is archived")
            continue
        recorded = _recorded_problems(conn, platform, day)
        # an account the pull of the day could not read delivered nothing then either
        failed = {problem.account_id for problem in recorded if problem.account_id}
        accounts = [
            a for a in accounts_on(rows, day) if a["platform"] == platform and a["account_id"] not in failed
        ]
        harvest = harvest_from_archive(platform, day, accounts, config.api_trailing_days(), answers)
        # a platform-wide stop (quota) that day: the accounts after it were never asked
        stopped = any(problem.account_id is None for problem in recorded)
        missing += [
            f"{source} {day}: {problem.message}"
            for problem in harvest.problems
            if not (stopped and problem.kind == NOT_ARCHIVED)
        ]
        made = {
            "raw.account_daily": batch_id_of(source, day, harvest.account_days)
            if harvest.account_days
            else None,
            "raw.post_daily": batch_id_of(source, day, harvest.posts, POST_DAILY) if harvest.posts else None,
        }
        missing += [
            f"{source} {day}: batch {batch_id} is not what the day's archived payloads make "
            f"({made[table] or 'no rows'}): the archive does not hold the pull it was made of"
            for table, batch_id in batches
            if made[table] != batch_id
        ]
        tables = {table for table, _ in batches}
        again = Harvest(
            account_days=harvest.account_days if "raw.account_daily" in tables else [],
            posts=harvest.posts if "raw.post_daily" in tables else [],
            problems=recorded,  # recorded again as they are: the day's pull is what they describe
        )
        api_days.append(ApiDay(platform, day, again, sorted(batch for _, batch in batches)))
    if missing:
        shown = missing[:20] + ([f"... and {len(missing) - 20} more"] if len(missing) > 20 else [])
        raise RepairError(
            "API batches of the range cannot be made again from the archived payloads (raw.source_payloads):\n  "
            + "\n  ".join(shown)
            + "\nNothing was taken out. What to do: restore the archive of API payloads from a backup "
            "(`kinerja restore`, docs/runbook.md 'Backups and restore') and repair again; or repair with "
            "`--pull-again` to leave the API batches as they are and pull the range's days from the "
            "platforms again (what they answer now, which may differ from what they answered then)"
        )
    return api_days


def _recorded_problems(conn: psycopg.Connection, platform: str, day: date) -> list[SourceProblem]:
    rows = conn.execute(
        "select account_id, kind, message, retry_after from raw.source_problems"
        " where data_day = %s and source = %s and platform = %s order by account_id nulls first, kind",
        [day, API_SOURCE, platform],
    ).fetchall()
    return [SourceProblem(API_SOURCE, platform, *row) for row in rows]


def _simulator_days(conn: psycopg.Connection, first: date, last: date) -> list[date]:
    """The simulator's landed days of the range."""
    rows = conn.execute(
        "select distinct data_day from raw.batch_ledger where source = 'simulator'"
        " and data_day between %s and %s order by 1",
        [first, last],
    ).fetchall()
    return [day for (day,) in rows]


def take_out(conn: psycopg.Connection, repair: RawRepair, files: list[tuple]) -> None:
    """Delete the batches' raw-layer records and the files' records, in one transaction (the
    day's archived payloads and recorded problems stay: they are what API batches are made from)."""
    taken = repair.taken_out()
    with conn.transaction():
        for table in _BATCH_TABLES:
            conn.execute(f"delete from {table} where batch_id = any(%s)", [taken])
        conn.execute("delete from raw.batch_ledger where batch_id = any(%s)", [taken])
        for institution, sha256, *_ in files:
            for table in ("raw.filedrop_quarantine", "raw.filedrop_files"):
                conn.execute(
                    f"delete from {table} where institution_id = %s and sha256 = %s",
                    [institution, sha256],
                )


def land_files_again(
    conn: psycopg.Connection,
    files: list[tuple],
    registry_dir: Path,
    archive: Path,
    landed_at: dict[str, datetime],
) -> None:
    """Each archived file dropped again, under its original name and drop time, through the file drop's landing."""
    from kinerja.landing.filedrop import audit_dropped_batches, land_dropped_files
    from kinerja.registry.load import read_accounts
    from kinerja.sources.filedrop.inbox import read_inbox

    rows = read_accounts(registry_dir)
    with tempfile.TemporaryDirectory(prefix="kinerja-repair-") as inbox:
        latest = date.min
        for institution, _, name, archive_path, dropped_at, _ in files:
            target = Path(inbox) / institution / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(archive_path, target)
            # the drop's time stands in for the time the export was written (exports without a
            # year are read in the year of that day)
            os.utime(target, (dropped_at.timestamp(), dropped_at.timestamp()))
            latest = max(latest, dropped_at.date())
        land_dropped_files(conn, read_inbox(conn, Path(inbox), rows, latest), archive)
        restore_landing_times(conn, landed_at)
        audit_dropped_batches(conn)


def land_api_days_again(
    conn: psycopg.Connection, api_days: list[ApiDay], landed_at: dict[str, datetime]
) -> None:
    """The API batches made from the archive landed, given their landing times back and audited,
    day by day as the daily runs did: a pull lands on what the pulls before it left accepted (a
    level it did not observe is kept from them)."""
    from kinerja.landing.harvest import audit_landed, land_harvest, rejections

    for day in sorted(api_days, key=lambda day: (day.data_day, day.platform)):
        outcome = land_harvest(conn, API_SOURCE, day.platform, day.data_day, day.harvest, audit=False)
        restore_landing_times(conn, landed_at)
        for sentence in rejections(audit_landed(conn, outcome["batches"])):
            log.warning("api:%s %s rejected again, as it was: %s", day.platform, day.data_day, sentence)


def restore_landing_times(conn: psycopg.Connection, landed_at: dict[str, datetime]) -> None:
    """Batches landed again take back the landing time they had: where a batch and a later
    delivery overlap, the later one still wins (the replacement rule reads landing times)."""
    conn.execute(
        """
        update raw.batch_ledger as ledger set landed_at = kept.landed_at
        from unnest(%s::text[], %s::timestamptz[]) as kept (batch_id, landed_at)
        where ledger.batch_id = kept.batch_id and ledger.landed_at <> kept.landed_at
        """,
        [list(landed_at), list(landed_at.values())],
    )
    conn.commit()


def rebuild_raw(
    params, first: date, last: date, registry_dir: Path | None = None, pull_again: bool = False
) -> RawRepair:
    """Take the range's batches out and land them again from the archive and the simulator."""
    from kinerja.tasks.sources import land_simulated_days
    from kinerja.warehouse import connect

    if last < first:
        raise RepairError(f"--last-day {last} is before --first-day {first}")
    registry_dir = registry_dir or config.registry_dir()
    with connect(params) as conn:
        repair, files = plan(conn, first, last, registry_dir, pull_again)
        take_out(conn, repair, files)
        if files:
            land_files_again(conn, files, registry_dir, config.filedrop_archive(), repair.landed_at)
            conn.commit()
    if repair.simulator_days:
        land_simulated_days(repair.simulator_days, registry_dir)
    if repair.api_days:
        with connect(params) as conn:
            land_api_days_again(conn, repair.api_days, repair.landed_at)
    log.info(
        "raw layer of %s to %s rebuilt: %d batch(es), %d simulator day(s), %d file(s), %d API batch(es) "
        "from archived payloads; API batches left for the history run to pull again: %d",
        first,
        last,
        len(repair.taken_out()),
        len(repair.simulator_days),
        len(repair.files),
        len(repair.api_batches),
        len(repair.api_batches_left),
    )
    return repair
