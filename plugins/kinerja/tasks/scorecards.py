"""Task bodies of the scorecards: render a month's issue, per province or whole."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from kinerja import config
from kinerja.warehouse import connect, ensure_warehouse

log = logging.getLogger(__name__)


def scorecard_provinces(month: date) -> list[str]:
    """The province codes of the month's latest issue: the render step is mapped over them."""
    from kinerja.scorecards.issue import load_issue

    with connect(ensure_warehouse()) as conn:
        issue = load_issue(conn, month)
    return sorted({row["province_code"] for row in issue.rows if row.get("province_code")})


def render_scorecards(
    month: date,
    *,
    province: str | None = None,
    institution: str | None = None,
    central: bool = False,
    lang: str = "id",
    issue_no: int | None = None,
    out_dir: Path | None = None,
    workers: int = 1,
) -> list[str]:
    """Render the month's latest issue (or issue `issue_no`); returns the paths written.

    `province`: its report and the scorecards of its institutions; `central`: the central
    institutions' scorecards and the national summary; neither: everything.
    """
    from kinerja.scorecards.render import render_month

    with connect(ensure_warehouse()) as conn:
        paths = render_month(
            conn,
            month,
            out_dir or config.scorecards_dir(),
            lang=lang,
            institution=institution,
            province=province,
            central=central,
            issue_no=issue_no,
            workers=workers,
        )
    log.info("wrote %d scorecard files under %s", len(paths), paths[0].parent if paths else out_dir)
    return [str(p) for p in paths]
