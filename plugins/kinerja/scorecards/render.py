"""Monthly scorecards: an issued month -> HTML and PDF documents from the same Jinja2 templates.

For one issue of a month (kinerja.scorecards.issue) and one language, this writes:
- one scorecard per institution, every peer group (``institusi/<id>.html`` and ``.pdf``);
- one report per province ranking all its kabupaten/kota (``provinsi-<code>``);
- the national summary per peer group (``index``),
under ``<out_dir>/<YYYY-MM>/`` (Bahasa Indonesia) or ``<out_dir>/<YYYY-MM>/en/`` (English).
Pages are self-contained (inline CSS and SVG, nothing loaded from anywhere). The documents
show the issue's time, never the render time, and the PDF's dates are the issue's: the same
issue renders byte-identical files in any process; a reissue changes them.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from kinerja import config
from kinerja.scorecards import document
from kinerja.scorecards.issue import IssuedMonth, NoScoresError, load_issue
from kinerja.scorecards.locale import DEFAULT_LANGUAGE, Formatter

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"
FORMATS = ("html", "pdf")
INSTITUTION_FOLDER = "institusi"

__all__ = ["NoScoresError", "render_issue", "render_month"]


def render_month(
    conn,
    month,
    out_dir: Path,
    *,
    lang: str = DEFAULT_LANGUAGE,
    institution: str | None = None,
    province: str | None = None,
    central: bool = False,
    issue_no: int | None = None,
    formats: Iterable[str] = FORMATS,
    workers: int = 1,
) -> list[Path]:
    """Render the latest issue of `month` (or issue `issue_no`); returns the paths written.

    With `institution`, only that scorecard; with `province`, that province's report and the
    scorecards of its institutions; with `central`, the central institutions' scorecards and
    the national summary; otherwise everything.
    Raises NoScoresError when nothing was issued.
    """
    issue = load_issue(conn, month, issue_no)
    if institution:
        issue.row(institution)  # a clear error for an unknown id
    if province and not any(row.get("province_code") == province for row in issue.rows):
        raise NoScoresError(
            f"no institution of province '{province}' in issue {issue.issue_no} of {issue.month:%Y-%m}:"
            " give its Kemendagri code, e.g. 51 for Bali"
        )
    return render_issue(
        issue,
        out_dir,
        lang=lang,
        institution=institution,
        province=province,
        central=central,
        formats=formats,
        workers=workers,
    )


def render_issue(
    issue: IssuedMonth,
    out_dir: Path,
    *,
    lang: str = DEFAULT_LANGUAGE,
    institution: str | None = None,
    province: str | None = None,
    central: bool = False,
    formats: Iterable[str] = FORMATS,
    workers: int = 1,
) -> list[Path]:
    """Write the documents of one issue in one language (see the module's docstring)."""
    formats = tuple(formats)
    Formatter(lang)  # a clear error for an unknown language, before any work
    folder = month_folder(Path(out_dir), issue, lang)
    (folder / INSTITUTION_FOLDER).mkdir(parents=True, exist_ok=True)
    if institution:
        ids = [institution]
    elif province:
        ids = [r["institution_id"] for r in issue.rows if r.get("province_code") == province]
    elif central:
        ids = [r["institution_id"] for r in issue.rows if not r.get("province_code")]
    else:
        ids = [r["institution_id"] for r in issue.rows]
    chunks = [ids[i::workers] for i in range(workers)] if workers > 1 and len(ids) > 1 else [ids]
    jobs = [("institutions", chunk) for chunk in chunks if chunk]
    if not institution:
        # every province with an institution, even one whose government has no row this month
        codes = sorted({r["province_code"] for r in issue.rows if r.get("province_code")})
        codes = [province] if province else [] if central else codes
        jobs += [("provinces", codes[i::workers]) for i in range(min(workers, len(codes)))]
        if not province:
            jobs.append(("national", []))
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_run_job, [(issue, folder, lang, formats, *job) for job in jobs]))
    else:
        results = [_run_job((issue, folder, lang, formats, *job)) for job in jobs]
    written = [path for paths in results for path in paths]
    log.info(
        "wrote %d scorecard files of %s issue %d (%s) under %s",
        len(written),
        f"{issue.month:%Y-%m}",
        issue.issue_no,
        lang,
        folder,
    )
    return written


def month_folder(out_dir: Path, issue: IssuedMonth, lang: str) -> Path:
    folder = out_dir / f"{issue.month:%Y-%m}"
    return folder if lang == DEFAULT_LANGUAGE else folder / lang


def institution_path(folder: Path, institution_id: str) -> Path:
    """Where an institution's scorecard goes, without suffix; the id is slugged so no path escapes."""
    return folder / INSTITUTION_FOLDER / (slugify(institution_id) or "x")


def _run_job(job) -> list[Path]:
    issue, folder, lang, formats, kind, items = job
    fmt = Formatter(lang)
    issuer = config.scorecard_issuer()
    written: list[Path] = []
    if kind == "institutions":
        stats = document.peer_stats(issue.rows)
        rows = {row["institution_id"]: row for row in issue.rows}
        for institution_id in items:
            context = document.institution_context(issue, rows[institution_id], stats, fmt, issuer)
            written += _write(
                _template("institution.html.j2").render(**context),
                institution_path(folder, institution_id),
                issue,
                formats,
            )
    elif kind == "provinces":
        for code in items:
            context = document.province_context(
                issue, code, fmt, issuer, link_prefix=f"{INSTITUTION_FOLDER}/"
            )
            written += _write(
                _template("province.html.j2").render(**context),
                folder / _province_stem(issue, code),
                issue,
                formats,
            )
    else:
        files = {
            code: f"{_province_stem(issue, code)}.html"
            for code in {r.get("province_code") for r in issue.rows}
            if code
        }
        context = document.national_context(issue, fmt, issuer, files)
        written += _write(_template("national.html.j2").render(**context), folder / "index", issue, formats)
    return written


def _province_stem(issue: IssuedMonth, code: str) -> str:
    return province_filename(code).removesuffix(".html")


def _write(html: str, stem: Path, issue: IssuedMonth, formats: tuple[str, ...]) -> list[Path]:
    written = []
    if "html" in formats:
        written.append(_write_atomic(stem.with_suffix(".html"), html.encode("utf-8")))
    if "pdf" in formats:
        written.append(_write_atomic(stem.with_suffix(".pdf"), html_to_pdf(html)))
    return written


def html_to_pdf(html: str) -> bytes:
    """The PDF of a page, deterministic: its dates come from the page's dcterms meta (the issue's
    time) and its identifier from its content."""
    from weasyprint import HTML

    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    return HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(pdf_identifier=identifier)


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphen-separated form of `text` for file names."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def province_filename(code: str) -> str:
    """File name of a province report, from its code alone (slugged, so no path can escape).

    Not from its name: a name is as long as the registry makes it (a 300-character name
    exceeded the file system's 255 bytes) and changes with a rename; the code does neither.
    """
    return f"provinsi-{slugify(code) or 'x'}.html"


@functools.cache
def _environment() -> Environment:
    """The Jinja2 environment, built on first use (no I/O at import)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        # Template names end in .j2, which select_autoescape would not match.
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template(name: str):
    """A template from TEMPLATE_DIR."""
    return _environment().get_template(name)


def _write_atomic(path: Path, content: bytes) -> Path:
    """Write via a temporary file and rename, so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return path
