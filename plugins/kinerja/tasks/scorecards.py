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
    lang: str | None = None,
    issue_no: int | None = None,
    out_dir: Path | None = None,
    workers: int = 1,
) -> list[str]:
    """Render the month's latest issue (or issue `issue_no`); returns the paths written.

    `province`: its report and the scorecards of its institutions; `central`: the central
    institutions' scorecards and the national summary; neither: everything. `lang`: one
    language; default: every language of KINERJA_SCORECARD_LANGUAGES.
    """
    from kinerja.scorecards.render import render_month

    paths = []
    with connect(ensure_warehouse()) as conn:
        for language in (lang,) if lang else config.scorecard_languages():
            paths += render_month(
                conn,
                month,
                out_dir or config.scorecards_dir(),
                lang=language,
                institution=institution,
                province=province,
                central=central,
                issue_no=issue_no,
                workers=workers,
            )
    log.info("wrote %d scorecard files under %s", len(paths), paths[0].parent if paths else out_dir)
    return [str(p) for p in paths]


def deliver_scorecards(month: date, *, institution: str | None = None, force: bool = False) -> dict:
    """Mail the month's latest issue to every institution (kinerja.scorecards.delivery); the ledger keeps count.

    Raises when a message failed for good or a send was interrupted, after all others went,
    so that the run shows red and the log says who and what to do.
    """
    from kinerja.scorecards.delivery import deliver_month

    with connect(ensure_warehouse()) as conn:
        report = deliver_month(conn, month, institution=institution, force=force)
    for institution_id, error in report.failed.items():
        log.error("scorecard of %s not delivered: %s", institution_id, error)
    for institution_id in report.interrupted:
        log.error(
            "scorecard of %s: a send was interrupted and may have left; check the mailbox, then run"
            " `kinerja scorecards send --month %s --institution %s --force` if it did not arrive",
            institution_id,
            f"{month:%Y-%m}",
            institution_id,
        )
    if report.in_progress:
        log.info("being sent by another run: %s", ", ".join(report.in_progress))
    if report.no_recipient:
        log.warning("no scorecard_email in the registry for: %s", ", ".join(report.no_recipient))
    if report.failed or report.interrupted:
        raise RuntimeError(f"scorecard delivery incomplete: {report.summary()}")
    return {
        "sent": len(report.sent),
        "already_sent": len(report.already_sent),
        "no_recipient": len(report.no_recipient),
    }
