"""Monthly province scorecards: score rows -> one HTML page per province.

Input rows are the month's latest issue (publication.issued_scores): the rows of the dbt
model ``reports.rpt_institution_scores_monthly`` (one row per institution per month) as
issued with a data cut-off and frozen; a reissue lists what changed. Each province page shows the province's
own score and its kabupaten/kota sorted by IKMS; ineligible institutions are
listed last as "Data tidak cukup", never ranked last. An index page per month
links every province page. Pages are self-contained (inline CSS and SVG, no
external resources): a government page must not call out anywhere.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from kinerja.scorecards.charts import (
    INSUFFICIENT_LABEL,
    display_key,
    display_order,
    format_decimal,
    ikms_bar_chart_svg,
    is_ranked,
)

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

# Columns of reports.rpt_institution_scores_monthly that the scorecards use.
COLUMNS = (
    "month",
    "institution_id",
    "institution_name",
    "peer_group",
    "province_code",
    "province_name",
    "ikms",
    "rank_in_peer_group",
    "peer_group_size",
    "is_eligible",
    "activity_score",
    "reach_score",
    "engagement_score",
    "responsiveness_score",
    "accounts",
    "followers",
    "posts",
    "coverage",
    "methodology_version",
    "grade",
    "grade_label",
    "rank_movement",
    "is_movement_comparable",
    "rank_range_best",
    "rank_range_worst",
)
# numeric columns arrive as Decimal from PostgreSQL; the pages and the chart
# work with floats.
_FLOAT_COLUMNS = (
    "ikms",
    "activity_score",
    "reach_score",
    "engagement_score",
    "responsiveness_score",
    "coverage",
)

# the latest issue's frozen rows, typed as the report's columns are
_QUERY = (
    "select "
    + ", ".join(f"score.{column}" for column in COLUMNS)
    + " from publication.latest_issues as issue"
    + " join publication.issued_scores as issued using (month, issue_no)"
    + " cross join lateral jsonb_populate_record(null::reports.rpt_institution_scores_monthly, issued.score) as score"
    + " where issue.month = %s"
    + " order by score.province_code nulls first, score.peer_group, score.institution_id"
)
_ISSUE_QUERY = (
    "select issue_no, data_cut_off, reason, changes from publication.latest_issues where month = %s"
)

MEMBER_GROUPS = ("kabupaten", "kota")

# Component columns with their Indonesian label and the advice given when the
# component is the institution's weakest. Order breaks ties.
COMPONENTS = (
    (
        "activity_score",
        "Aktivitas",
        (
            "Tingkatkan frekuensi unggahan: unggah konten secara rutin, idealnya setiap hari, "
            "di setiap akun resmi."
        ),
    ),
    (
        "reach_score",
        "Jangkauan",
        (
            "Perluas jangkauan: promosikan akun resmi di situs web, layanan publik dan kegiatan "
            "daerah agar pengikut bertambah."
        ),
    ),
    (
        "engagement_score",
        "Keterlibatan",
        (
            "Tingkatkan keterlibatan: ajak warga berinteraksi lewat pertanyaan, ajakan dan konten "
            "yang dekat dengan kebutuhan warga."
        ),
    ),
    (
        "responsiveness_score",
        "Responsivitas",
        (
            "Percepat balasan: jawab komentar dan pertanyaan warga dalam 24 jam, terutama pada "
            "akun dengan komentar terbanyak."
        ),
    ),
)
ADVICE_NO_DATA = (
    "Lengkapi data: pastikan semua akun resmi terdaftar dan datanya terkumpul setiap hari "
    "(minimal 80% hari dalam sebulan)."
)
NOT_AVAILABLE = "–"


class NoScoresError(LookupError):
    """Raised when a month has no scores to render."""


@dataclass(frozen=True)
class InstitutionView:
    """One institution's row, already formatted for display in Bahasa Indonesia."""

    name: str
    peer_group: str
    ranked: bool
    ikms: str
    rank: str
    activity: str
    reach: str
    engagement: str
    responsiveness: str
    accounts: str
    followers: str
    posts: str
    coverage: str
    advice: str
    grade: str = NOT_AVAILABLE
    movement: str = NOT_AVAILABLE
    rank_range: str = NOT_AVAILABLE


@dataclass
class ProvinceGroup:
    """The rows of one province in one month: its own row and its kabupaten/kota."""

    code: str
    name: str = ""
    own: Mapping | None = None
    members: list[Mapping] = field(default_factory=list)

    @property
    def filename(self) -> str:
        """File name of the province page, e.g. ``provinsi-31-dki-jakarta.html``."""
        return province_filename(self.code, self.name)

    @property
    def rows(self) -> list[Mapping]:
        """All rows shown on the page, province first."""
        return ([self.own] if self.own else []) + self.members


# --------------------------------------------------------------------------- public API


def render_province_pages(
    rows: Iterable[Mapping], out_dir: Path, generated_at: datetime | None = None, issue: Mapping | None = None
) -> list[Path]:
    """Write one HTML scorecard per province and an index, per month.

    Writes ``<out_dir>/<YYYY-MM>/provinsi-<code>-<slug>.html`` for every
    province with rows, then ``<out_dir>/<YYYY-MM>/index.html``. Returns the
    written paths month by month, each month's index after its pages. Pure:
    no database; rows without a province (ministries, agencies) are ignored.
    """
    generated_at = generated_at or datetime.now(UTC)
    written: list[Path] = []
    for month, month_rows in sorted(_by_month(rows).items()):
        provinces = _by_province(month_rows)
        if provinces:
            written += _write_month(month, provinces, Path(out_dir), generated_at, issue)
    return written


def fetch_month_rows(conn, month: date) -> list[dict]:
    """Read one month of ``reports.rpt_institution_scores_monthly`` as dicts.

    `conn` is a psycopg 3 connection; `month` is normalised to its first day.
    """
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(_QUERY, (month.replace(day=1),))
        return [_normalise(row) for row in cursor.fetchall()]


def render_month(conn, month: date, out_dir: Path) -> list[Path]:
    """Fetch one month of scores and write its province pages and index.

    Raises NoScoresError when the month has nothing to render.
    """
    month = month.replace(day=1)
    rows = fetch_month_rows(conn, month)
    if not rows:
        raise NoScoresError(f"no issued scores for {month:%Y-%m}: run the monthly DAG first")
    issue = conn.execute(_ISSUE_QUERY, (month,)).fetchone()
    issue_no, cut_off, reason, changes = issue
    paths = render_province_pages(
        rows, out_dir, issue={"issue_no": issue_no, "cut_off": cut_off, "reason": reason, "changes": changes}
    )
    if not paths:
        raise NoScoresError(
            f"no provincial scores for {month:%Y-%m}: {len(rows)} rows, none belongs to a province"
        )
    return paths


def month_label(month: date) -> str:
    """Month in Bahasa Indonesia, e.g. ``Oktober 2026``."""
    return f"{MONTHS_ID[month.month - 1]} {month.year}"


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphen-separated form of `text` for file names."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def province_filename(code: str, name: str) -> str:
    """File name of a province page; both parts slugged so no path can escape."""
    return f"provinsi-{slugify(code) or 'x'}-{slugify(name) or 'tanpa-nama'}.html"


def advice_for(row: Mapping) -> str:
    """One line of advice in Bahasa Indonesia, from the weakest available component."""
    if not is_ranked(row):
        return ADVICE_NO_DATA
    available = [(float(row[col]), advice) for col, _, advice in COMPONENTS if row.get(col) is not None]
    if not available:
        return ADVICE_NO_DATA
    # min() keeps the first of equal scores, so ties follow COMPONENTS' order.
    return min(available, key=lambda item: item[0])[1]


# --------------------------------------------------------------------------- grouping


def _by_month(rows: Iterable[Mapping]) -> dict[date, list[Mapping]]:
    """Rows keyed by the first day of their month."""
    months: dict[date, list[Mapping]] = defaultdict(list)
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime):
            month = month.date()
        months[month.replace(day=1)].append(row)
    return months


def _by_province(rows: Iterable[Mapping]) -> dict[str, ProvinceGroup]:
    """Province rows and their kabupaten/kota, keyed by province code."""
    groups: dict[str, ProvinceGroup] = {}
    for row in rows:
        peer_group, code = row.get("peer_group"), row.get("province_code")
        if peer_group != "provinsi" and peer_group not in MEMBER_GROUPS:
            continue  # ministries and agencies have no province page
        if not code:
            log.warning(
                "%s %s has no province_code: left out of the scorecards",
                peer_group,
                row.get("institution_id"),
            )
            continue
        group = groups.setdefault(str(code), ProvinceGroup(code=str(code)))
        if peer_group == "provinsi":
            _set_own_row(group, row)
        else:
            group.members.append(row)
    for group in groups.values():
        group.name = _province_name(group)
    return groups


def _set_own_row(group: ProvinceGroup, row: Mapping) -> None:
    """Attach the province's own row; two for one code means broken input."""
    if group.own is not None:
        raise ValueError(
            f"two provinsi rows for province_code {group.code} in {row['month']:%Y-%m}: "
            f"{group.own.get('institution_id')} and {row.get('institution_id')}"
        )
    group.own = row


def _province_name(group: ProvinceGroup) -> str:
    """Province name from its own row, else from any member row."""
    for row in group.rows:
        if row.get("province_name"):
            return str(row["province_name"])
    if group.own and group.own.get("institution_name"):
        return str(group.own["institution_name"])
    return f"Provinsi {group.code}"


# --------------------------------------------------------------------------- rendering


def _write_month(
    month: date,
    provinces: dict[str, ProvinceGroup],
    out_dir: Path,
    generated_at: datetime,
    issue: Mapping | None,
) -> list[Path]:
    """Write one month's province pages and then its index."""
    folder = out_dir / f"{month:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    common = {
        "month_text": month_label(month),
        "generated_at_text": _format_generated_at(generated_at),
        "issue_text": _issue_text(issue),
    }
    changes = list(issue["changes"]) if issue else []
    written = []
    for code in sorted(provinces):
        group = provinces[code]
        shown = {row["institution_id"] for row in group.rows}
        page_changes = [_change_text(c) for c in changes if c["institution_id"] in shown]
        html = _template("province.html.j2").render(
            **common, **_province_context(group), issue_changes=page_changes
        )
        written.append(_write_atomic(folder / group.filename, html))
    html = _template("index.html.j2").render(
        **common, **_index_context(provinces.values()), issue_changes=[_change_text(c) for c in changes]
    )
    written.append(_write_atomic(folder / "index.html", html))
    return written


def _province_context(group: ProvinceGroup) -> dict:
    """Template variables of one province page."""
    members = display_order(group.members)
    chart = ikms_bar_chart_svg(members, label=f"Grafik Indeks (IKMS) kabupaten dan kota di {group.name}")
    return {
        "province_name": group.name,
        "province": _view(group.own) if group.own else None,
        "members": [_view(row) for row in members],
        "member_count": len(members),
        "ranked_count": sum(1 for row in members if is_ranked(row)),
        # Output of matplotlib's XML writer: names inside are already escaped.
        "chart_svg": Markup(chart),
        "methodology_version": _methodology_versions(group.rows),
    }


def _index_context(provinces: Iterable[ProvinceGroup]) -> dict:
    """Template variables of a month's index page."""
    groups = sorted(provinces, key=lambda g: display_key(g.own or {"institution_name": g.name}))
    entries = [
        {
            "name": group.name,
            "href": group.filename,
            "province": _view(group.own) if group.own else None,
            "member_count": len(group.members),
            "ranked_count": sum(1 for row in group.members if is_ranked(row)),
        }
        for group in groups
    ]
    every_row = [row for group in groups for row in group.rows]
    return {"provinces": entries, "methodology_version": _methodology_versions(every_row)}


def _view(row: Mapping) -> InstitutionView:
    """Format one score row for display."""
    ranked = is_ranked(row)
    return InstitutionView(
        name=str(row.get("institution_name") or row.get("institution_id") or ""),
        peer_group=str(row.get("peer_group") or ""),
        ranked=ranked,
        ikms=format_decimal(float(row["ikms"])) if ranked else INSUFFICIENT_LABEL,
        rank=_rank_text(row),
        activity=_score_text(row.get("activity_score")),
        reach=_score_text(row.get("reach_score")),
        engagement=_score_text(row.get("engagement_score")),
        responsiveness=_score_text(row.get("responsiveness_score")),
        accounts=_int_text(row.get("accounts")),
        followers=_int_text(row.get("followers")),
        posts=_int_text(row.get("posts")),
        coverage=_percent_text(row.get("coverage")),
        advice=advice_for(row),
        grade=_grade_text(row) if ranked else NOT_AVAILABLE,
        movement=_movement_text(row) if ranked else NOT_AVAILABLE,
        rank_range=_rank_range_text(row) if ranked else NOT_AVAILABLE,
    )


def _grade_text(row: Mapping) -> str:
    """'B (Baik)'; a dash when the methodology version has no grade bands."""
    if not row.get("grade"):
        return NOT_AVAILABLE
    return f"{row['grade']} ({row['grade_label']})" if row.get("grade_label") else str(row["grade"])


def _movement_text(row: Mapping) -> str:
    """Rank movement since last month: '▲ 2', '▼ 1', '=' or 'tidak sebanding' across a definition change."""
    movement = row.get("rank_movement")
    if movement is None:
        return NOT_AVAILABLE
    if row.get("is_movement_comparable") is False:
        return "tidak sebanding"
    return "=" if movement == 0 else f"▲ {movement}" if movement > 0 else f"▼ {-movement}"


def _rank_range_text(row: Mapping) -> str:
    """The ranks held with any one weight 10 points up or down, e.g. '3–5'."""
    best, worst = row.get("rank_range_best"), row.get("rank_range_worst")
    if best is None or worst is None:
        return NOT_AVAILABLE
    return str(best) if best == worst else f"{best}–{worst}"


def _rank_text(row: Mapping) -> str:
    """Rank within the national peer group, e.g. ``12 dari 416 kabupaten``."""
    rank = row.get("rank_in_peer_group")
    if not is_ranked(row):
        return "Tidak diperingkat"
    if rank is None:
        return "Belum diperingkat"
    return f"{_int_text(rank)} dari {_int_text(row.get('peer_group_size'))} {row.get('peer_group')}"


def _score_text(value) -> str:
    """A 0–100 component score with one decimal, or a dash when unavailable."""
    return NOT_AVAILABLE if value is None else format_decimal(float(value))


def _int_text(value) -> str:
    """An integer with dots between thousands, as written in Indonesian."""
    return NOT_AVAILABLE if value is None else f"{int(value):,}".replace(",", ".")


def _percent_text(value) -> str:
    """A 0–1 share as a percentage with one decimal (79,6% must not read as 80%)."""
    if value is None:
        return NOT_AVAILABLE
    # Scale in decimal: 0.8765 * 100 in binary floats is 87.6499..., shown as 87,6.
    return f"{format_decimal(Decimal(repr(float(value))) * 100)}%"


def _format_generated_at(moment: datetime) -> str:
    """Timestamp in Indonesian, e.g. ``3 November 2026, 08:15 WIB``."""
    text = f"{moment.day} {MONTHS_ID[moment.month - 1]} {moment.year}, {moment:%H:%M}"
    zone = moment.tzname()
    return f"{text} {zone}" if zone else text


def _issue_text(issue: Mapping | None) -> str:
    """'Terbitan ke-2 · batas data 3 November 2026, 08:00 UTC (data direvisi ...)'; empty without an issue."""
    if not issue:
        return ""
    text = f"Terbitan ke-{issue['issue_no']}"
    if issue.get("cut_off"):
        text += f" · batas data {_format_generated_at(issue['cut_off'])}"
    if issue["issue_no"] > 1:
        text += f" ({issue['reason']})"
    return text


_FIELD_LABELS = {
    "ikms": "IKMS",
    "rank_in_peer_group": "peringkat",
    "grade": "nilai",
    "is_eligible": "layak dinilai",
}


def _change_text(change: Mapping) -> str:
    """One change of a reissue in words, e.g. 'Kabupaten Badung: IKMS 70.1 → 71.3'."""

    def shown(value):
        if value is None:
            return NOT_AVAILABLE
        if isinstance(value, bool):
            return "ya" if value else "tidak"
        return str(value)

    label = _FIELD_LABELS.get(change["field"], change["field"])
    return f"{change['institution_name']}: {label} {shown(change['before'])} → {shown(change['after'])}"


def _methodology_versions(rows: Iterable[Mapping]) -> str:
    """The methodology version(s) behind the rows; more than one is shown as such."""
    versions = sorted({str(row["methodology_version"]) for row in rows if row.get("methodology_version")})
    return ", ".join(versions) or "tidak diketahui"


def _normalise(row: Mapping) -> dict:
    """Database row -> plain dict with floats where the scorecards expect them."""
    out = dict(row)
    for column in _FLOAT_COLUMNS:
        if isinstance(out.get(column), Decimal):
            out[column] = float(out[column])
    return out


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


def _write_atomic(path: Path, text: str) -> Path:
    """Write via a temporary file and rename, so readers never see half a page."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
