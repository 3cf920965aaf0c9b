"""Task body of the monthly run's backup: what cannot be rebuilt, to KINERJA_BACKUP_DIR."""

from __future__ import annotations

from kinerja import backup
from kinerja.warehouse import connect, ensure_warehouse


def back_up() -> str:
    """One backup (kinerja.backup.make_backup) with the retention; returns its folder."""
    with connect(ensure_warehouse()) as conn:
        return str(backup.make_backup(conn).path)
