"""Repair: the raw layer of a day range rebuilt from what was received, then the warehouse.

`kinerja repair --first-day D1 --last-day D2` is for a raw layer that was damaged or lost
(rows deleted by hand, a restore of an older backup): every batch with a row or a data day in
the range is taken out whole (rows, quarantine, audit results, ledger) and landed again
through the one landing path, from its origin:

- file drop batches: from the archive (each file as received, under
  `<archive>/<institution_id>/<sha256>.<ext>`, and its record in `raw.filedrop_files`). A
  file is landed again whole, every batch it made, wherever its days fall;
- simulator batches: simulated again (deterministic: the same rows);
- API batches (`api:<platform>`) are left as they are: landing them again from the archived
  answers (`raw.source_payloads`) is not built; a history run of the days pulls them again.

Batch ids are derived from content, so the batches come back under the same ids; then a
history run of the range (`kinerja history`) rebuilds, audits and publishes the warehouse.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg

from kinerja import config

log = logging.getLogger(__name__)


class RepairError(RuntimeError):
    """A repair that cannot go on; the message says why and what to do."""


@dataclass
class RawRepair:
    batches: list[str] = field(default_factory=list)  # taken out and landed again
    simulator_days: list[date] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # institution_id/original name
    api_batches_left: list[str] = field(default_factory=list)


_BATCHES = """
select l.batch_id, l.source, l.data_day
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


def plan(conn: psycopg.Connection, first: date, last: date) -> tuple[RawRepair, list[tuple]]:
    """What a repair of the range takes out and lands again; nothing is changed."""
    repair = RawRepair()
    batches = conn.execute(_BATCHES, {"first": first, "last": last}).fetchall()
    ids = [b for b, source, _ in batches if not source.startswith("api:")]
    repair.api_batches_left = [b for b, source, _ in batches if source.startswith("api:")]
    files = conn.execute(_FILES, {"ids": ids}).fetchall()
    for *_, archive_path, _, _ in files:
        if not archive_path or not Path(archive_path).is_file():
            raise RepairError(
                f"the archived file {archive_path or '(none)'} is missing: restore the archive first "
                f"(`kinerja restore`, docs/runbook.md 'Backups and restore'), then repair"
            )
    file_batches = {b for *_, batch_ids in files for b in batch_ids or []}
    orphans = sorted(b for b, source, _ in batches if source == "filedrop" and b not in file_batches)
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
        {source for b, source, _ in batches if source not in ("simulator", "filedrop") and b in ids}
    )
    if unknown:
        raise RepairError(f"batches of source(s) {', '.join(unknown)} cannot be landed again by repair")
    return repair, files


def _simulator_days(conn: psycopg.Connection, first: date, last: date) -> list[date]:
    """The simulator's landed days of the range and of the TRAILING_DAYS after it.

    The days after are landed again too (the same rows: nothing changes) so that their audits
    judge the range's completeness last, as they did (audit.completeness keeps the latest
    judgement, and a later day's audit sees a restatement window closed).
    """
    rows = conn.execute(
        "select distinct data_day from raw.batch_ledger where source = 'simulator'"
        " and data_day between %s and %s order by 1",
        [first, last + timedelta(days=config.TRAILING_DAYS)],
    ).fetchall()
    return [day for (day,) in rows]


def take_out(conn: psycopg.Connection, repair: RawRepair, files: list[tuple]) -> None:
    """Delete the batches' raw-layer records and the files' records, in one transaction."""
    with conn.transaction():
        for table in _BATCH_TABLES:
            conn.execute(f"delete from {table} where batch_id = any(%s)", [repair.batches])
        conn.execute("delete from raw.batch_ledger where batch_id = any(%s)", [repair.batches])
        for institution, sha256, *_ in files:
            for table in ("raw.filedrop_quarantine", "raw.filedrop_files"):
                conn.execute(
                    f"delete from {table} where institution_id = %s and sha256 = %s",
                    [institution, sha256],
                )


def land_files_again(conn: psycopg.Connection, files: list[tuple], registry_dir: Path, archive: Path) -> None:
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
        audit_dropped_batches(conn)


def rebuild_raw(params, first: date, last: date, registry_dir: Path | None = None) -> RawRepair:
    """Take the range's batches out and land them again from the archive and the simulator."""
    from kinerja.tasks.sources import land_simulated_days
    from kinerja.warehouse import connect

    if last < first:
        raise RepairError(f"--last-day {last} is before --first-day {first}")
    registry_dir = registry_dir or config.registry_dir()
    with connect(params) as conn:
        repair, files = plan(conn, first, last)
        take_out(conn, repair, files)
        if files:
            land_files_again(conn, files, registry_dir, config.filedrop_archive())
            conn.commit()
    if repair.simulator_days:
        land_simulated_days(repair.simulator_days, registry_dir)
    log.info(
        "raw layer of %s to %s rebuilt: %d batch(es), %d simulator day(s), %d file(s); API batches left: %d",
        first,
        last,
        len(repair.batches),
        len(repair.simulator_days),
        len(repair.files),
        len(repair.api_batches_left),
    )
    return repair
