"""Task body of the scorecards: render the month's issued scores."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from kinerja import config
from kinerja.warehouse import connect, ensure_warehouse

log = logging.getLogger(__name__)


def render_scorecards(month: date, out_dir: Path | None = None) -> list[str]:
    """Render the month's scorecards; returns the paths written."""
    from kinerja.scorecards.render import render_month

    with connect(ensure_warehouse()) as conn:
        paths = render_month(conn, month, out_dir or config.scorecards_dir())
    log.info("wrote %d scorecard files under %s", len(paths), paths[-1].parent if paths else out_dir)
    return [str(p) for p in paths]
