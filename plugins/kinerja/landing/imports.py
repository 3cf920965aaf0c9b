"""`kinerja import`: archive a history file as received, then land and audit it month by month.

The file is read by `kinerja.sources.history_import` into one Harvest per calendar month of
its days; each lands and is audited through the one path of every source
(`kinerja.landing.harvest.land_harvest`) as source `import`, in the order of its days.
Importing the same file again lands the same batches (their ids derive from their rows):
the warehouse ends the same.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from kinerja import config
from kinerja.landing.harvest import land_harvest, rejections
from kinerja.sources.history_import import SOURCE, ImportedFile, read_history_file


@dataclass
class ImportReport:
    """What became of one file: where it is archived, its batches, and what was wrong."""

    imported: ImportedFile
    archived_as: Path | None = None
    batch_ids: list[str] = field(default_factory=list)
    rows_accepted: int = 0
    rows_rejected: int = 0
    rejected_batches: list[str] = field(default_factory=list)

    @property
    def days(self) -> tuple[date, date] | None:
        """The first and last day the file carries (None when nothing could be read)."""
        harvests = self.imported.harvests.values()
        days = [r["metric_date"] for h in harvests for r in h.account_days]
        days += [r["as_of_date"] for h in harvests for r in h.posts]
        days += [r["published_at"].date() for h in harvests for r in h.posts if r["published_at"]]
        return (min(days), max(days)) if days else None

    def lines(self) -> list[str]:
        """The report, one sentence a line: counts first, then every problem."""
        imported = self.imported
        name = imported.path.name
        if imported.refused:
            return [f"{name}: refused, nothing landed.", *map(str, imported.problems)]
        kind = "account-day" if imported.kind == "account_days" else "post"
        counts = (
            f"{name}: {imported.rows} {kind} rows read, {imported.rows - imported.rows_held} landed in "
            f"{len(self.batch_ids)} batches (source {SOURCE!r}); the audit accepted {self.rows_accepted} and "
            f"quarantined {self.rows_rejected} (raw.quarantine says why)."
        )
        lines = [counts]
        if imported.rows_held:
            lines.append(f"{imported.rows_held} rows held back, not landed:")
        lines += [str(problem) for problem in imported.problems]
        lines += [f"Batch rejected: {reason}" for reason in self.rejected_batches]
        if self.archived_as:
            lines.append(f"The file as received: {self.archived_as}")
        return lines


def archive_file(path: Path, archive: Path) -> Path:
    """A copy of the file as received, named by its content (`<sha256><suffix>`)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    target = archive / f"{digest}{path.suffix.lower()}"
    if not target.exists():
        archive.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        shutil.copyfile(path, partial)
        partial.replace(target)  # atomic: a half-copied file never carries the final name
    return target


def import_file(conn: psycopg.Connection, path: Path, archive: Path | None = None) -> ImportReport:
    """Archive `path`, then land and audit each month of it in the order of its days."""
    path = Path(path)
    imported = read_history_file(path)
    report = ImportReport(imported)
    if imported.refused:
        return report
    report.archived_as = archive_file(path, archive or config.import_archive())
    for data_day, harvest in imported.harvests.items():
        outcome = land_harvest(conn, SOURCE, None, data_day, harvest)
        report.batch_ids += outcome["batch_ids"]
        report.rejected_batches += rejections(outcome["audits"])
        for audit in outcome["audits"]:
            report.rows_accepted += audit.get("rows_accepted", 0)
            report.rows_rejected += audit.get("rows_rejected", 0)
    return report
