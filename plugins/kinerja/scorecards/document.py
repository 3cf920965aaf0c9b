"""What each scorecard says, as template variables: pure functions of an issued month.

An institution's scorecard, a province report and the national summary are built from
the same IssuedMonth in one language (kinerja.scorecards.locale). Nothing here reads the
clock or the database: the same issue always gives the same variables.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from kinerja.scorecards.charts import (
    components_chart_svg,
    display_order,
    distribution_chart_svg,
    is_ranked,
    trend_chart_svg,
)
from kinerja.scorecards.issue import IssuedMonth
from kinerja.scorecards.locale import COMPONENTS, DASH, TEXTS, Formatter

# A component is weak when it lies this many points or more below the peer-group median.
WEAK_MARGIN = 5.0
MAX_RECOMMENDATIONS = 3
# An account-day coverage below this leaves a platform "without enough data" (methodology).
MIN_COVERAGE = 0.8
DEFAULT_TIMEZONE = "Asia/Jakarta"
REGIONAL_GROUPS = ("provinsi", "kabupaten", "kota")
PEER_GROUP_ORDER = ("kementerian", "lembaga", "provinsi", "kabupaten", "kota")


@dataclass(frozen=True)
class PeerStats:
    """Per component (and ikms): the median and best of the eligible institutions of a peer group."""

    median: dict[str, float | None]
    best: dict[str, float | None]
    ranked: int
    total: int


def peer_stats(rows: Iterable[Mapping]) -> dict[str, PeerStats]:
    """PeerStats per peer group, over the eligible rows."""
    groups: dict[str, list[Mapping]] = defaultdict(list)
    for row in rows:
        groups[row["peer_group"]].append(row)
    stats = {}
    for group, members in groups.items():
        ranked = [row for row in members if is_ranked(row)]
        median, best = {}, {}
        for column in ("ikms", *(f"{c}_score" for c in COMPONENTS)):
            values = [float(row[column]) for row in ranked if row.get(column) is not None]
            median[column] = statistics.median(values) if values else None
            best[column] = max(values) if values else None
        stats[group] = PeerStats(median, best, len(ranked), len(members))
    return stats


def recommendations(row: Mapping, stats: PeerStats, fmt: Formatter) -> list[str]:
    """Advice from the components at least WEAK_MARGIN points below the peer median, weakest first."""
    if not is_ranked(row):
        return []
    gaps = []
    for component in COMPONENTS:
        own, median = row.get(f"{component}_score"), stats.median.get(f"{component}_score")
        if own is not None and median is not None and float(median) - float(own) >= WEAK_MARGIN:
            gaps.append((float(own) - float(median), component, own, median))
    gaps.sort()
    return [
        fmt.text(
            "advice_against",
            component=fmt.text(component),
            own=fmt.number(own),
            group=fmt.group(row["peer_group"]),
            median=fmt.number(median),
        )
        + " "
        + fmt.text(f"advice_{component}")
        for _, component, own, median in gaps[:MAX_RECOMMENDATIONS]
    ]


def issue_key(issue: IssuedMonth) -> str:
    """'2026-10/2': the month and issue number a document shows."""
    return f"{issue.month:%Y-%m}/{issue.issue_no}"


def common_context(issue: IssuedMonth, fmt: Formatter, timezone: str, issuer: str) -> dict:
    """The header and footer every document of an issue shares."""
    moment = fmt.moment(issue.issued_at, timezone)
    lines = [fmt.text("issue", issue_no=issue.issue_no)]
    if issue.data_cut_off:
        lines.append(fmt.text("cut_off", moment=fmt.moment(issue.data_cut_off, timezone)))
    lines.append(fmt.text("issued_at", moment=moment))
    return {
        "lang": fmt.lang,
        "t": _Texts(fmt),
        "issuer": issuer,
        "period": fmt.month(issue.month),
        "issue_no": issue.issue_no,
        # which issue a written file shows: delivery checks it before attaching the file
        "issue_key": issue_key(issue),
        "issue_line": " · ".join(lines),
        "reissue_line": fmt.text("reissue", reason=reason_text(fmt, issue.reason))
        if issue.issue_no > 1
        else "",
        # WeasyPrint writes this as the PDF's dates: the issue's time, never the render time
        "issued_at_iso": issue.issued_at.isoformat(timespec="seconds"),
        "methodology": fmt.text("methodology", version=_methodology(issue.rows)),
    }


def institution_context(
    issue: IssuedMonth, row: Mapping, stats: Mapping[str, PeerStats], fmt: Formatter, issuer: str
) -> dict:
    """Template variables of one institution's scorecard."""
    details = issue.details.get(row["institution_id"])
    timezone = (details or {}).get("timezone") or DEFAULT_TIMEZONE
    group_stats = stats[row["peer_group"]]
    ranked = is_ranked(row)
    context = common_context(issue, fmt, timezone, issuer)
    context.update(
        institution_id=row["institution_id"],
        name=row["institution_name"],
        peer_group=fmt.kind(row["peer_group"]),
        province_name=row.get("province_name") if row["peer_group"] != "provinsi" else None,
        ranked=ranked,
        ikms=fmt.number(row.get("ikms")) if ranked else fmt.text("insufficient"),
        grade=_grade(row, fmt) if ranked else DASH,
        rank_peer=_rank(fmt, row.get("rank_in_peer_group"), row.get("peer_group_size"), row["peer_group"]),
        rank_national=_rank(fmt, row.get("rank_national"), row.get("national_size"), "institusi"),
        movement=_movement(fmt, row),
        rank_range=_rank_range(row),
        components=_components(row, group_stats, fmt),
        recommendations=recommendations(row, group_stats, fmt),
        frozen=details is not None,
        platforms=_platform_rows((details or {}).get("platforms") or [], fmt),
        best_posts=_best_posts((details or {}).get("best_posts") or [], fmt),
        crisis_signals=_crisis((details or {}).get("crisis_signals") or [], fmt),
        coverage_text=fmt.text(
            "coverage_text",
            coverage=fmt.percent(row.get("coverage")),
            accounts=fmt.integer(len((details or {}).get("accounts") or []) or row.get("accounts") or 0),
        ),
        missing=_missing(details, fmt) if details is not None else "",
        has_accounts=bool((details or {}).get("accounts")) or bool(row.get("accounts")),
        changes=[change_text(fmt, c) for c in issue.changes if c["institution_id"] == row["institution_id"]],
    )
    context["components_chart"] = Markup(
        components_chart_svg(
            context["components"],
            label=fmt.text("components"),
            legend=(fmt.text("own"), fmt.text("median"), fmt.text("best")),
        )
        if ranked
        else ""
    )
    points = _trend_points((details or {}).get("trend") or [], fmt)
    context["trend_chart"] = Markup(trend_chart_svg(points, label=fmt.text("trend")) if points else "")
    return context


def province_context(
    issue: IssuedMonth, code: str, fmt: Formatter, issuer: str, link_prefix: str = "institusi/"
) -> dict:
    """Template variables of a province report: the province and all its kabupaten/kota ranked."""
    rows = [
        row for row in issue.rows if row.get("province_code") == code and row["peer_group"] in REGIONAL_GROUPS
    ]
    own = next((row for row in rows if row["peer_group"] == "provinsi"), None)
    members = display_order([row for row in rows if row["peer_group"] != "provinsi"])
    timezone = (issue.details.get(own["institution_id"]) if own else None) or {}
    context = common_context(issue, fmt, timezone.get("timezone") or DEFAULT_TIMEZONE, issuer)
    ranked = [row for row in members if is_ranked(row)]
    context.update(
        name=province_name(rows, code),
        province=_summary_row(own, fmt, link_prefix) if own else None,
        members=[
            dict(_summary_row(row, fmt, link_prefix), place=place + 1 if is_ranked(row) else DASH)
            for place, row in enumerate(members)
        ],
        members_ranked=fmt.text("members_ranked", ranked=len(ranked), total=len(members)),
        median_ikms=fmt.number(statistics.median(float(r["ikms"]) for r in ranked)) if ranked else DASH,
        distribution_chart=Markup(
            distribution_chart_svg(
                [float(row["ikms"]) for row in ranked],
                label=fmt.text("distribution"),
                x_label=fmt.text("ikms"),
            )
        ),
        changes=[
            change_text(fmt, c)
            for c in issue.changes
            if c["institution_id"] in {r["institution_id"] for r in rows}
        ],
    )
    return context


def national_context(
    issue: IssuedMonth, fmt: Formatter, issuer: str, province_files: Mapping[str, str]
) -> dict:
    """Template variables of the national summary: each peer group, then the provinces."""
    stats = peer_stats(issue.rows)
    context = common_context(issue, fmt, DEFAULT_TIMEZONE, issuer)
    groups = []
    for group in sorted(stats, key=lambda g: (PEER_GROUP_ORDER.index(g) if g in PEER_GROUP_ORDER else 99, g)):
        ordered = display_order([row for row in issue.rows if row["peer_group"] == group])
        groups.append(
            {
                "name": fmt.group(group),
                "total": fmt.integer(stats[group].total),
                "ranked": fmt.integer(stats[group].ranked),
                "median": fmt.number(stats[group].median["ikms"]),
                "top": [_summary_row(row, fmt, "institusi/") for row in ordered[:5] if is_ranked(row)],
            }
        )
    provinces = display_order([row for row in issue.rows if row["peer_group"] == "provinsi"])
    context.update(
        groups=groups,
        provinces=[
            dict(
                _summary_row(row, fmt, "institusi/"),
                report=province_files.get(row.get("province_code") or ""),
            )
            for row in provinces
        ],
        changes=[change_text(fmt, c) for c in issue.changes],
    )
    return context


def province_name(rows: Iterable[Mapping], code: str) -> str:
    for row in rows:
        if row.get("province_name"):
            return str(row["province_name"])
    return f"Provinsi {code}"


# --------------------------------------------------------------------------- pieces


class _Texts:
    """`t.key` in a template: the word or sentence in the document's language."""

    def __init__(self, fmt: Formatter):
        self._fmt = fmt

    def __getattr__(self, key: str) -> str:
        # the sentence as written: a template fills its {placeholders} with .format()
        return TEXTS[self._fmt.lang][key]


def _summary_row(row: Mapping, fmt: Formatter, link_prefix: str) -> dict:
    ranked = is_ranked(row)
    return {
        "name": row["institution_name"],
        "href": f"{link_prefix}{row['institution_id']}.html",
        "peer_group": fmt.group(row["peer_group"]),
        "ranked": ranked,
        "ikms": fmt.number(row.get("ikms")) if ranked else fmt.text("insufficient"),
        "grade": _grade(row, fmt) if ranked else DASH,
        "rank": f"{fmt.integer(row['rank_in_peer_group'])}/{fmt.integer(row['peer_group_size'])}"
        if ranked
        else DASH,
        "movement": _movement(fmt, row),
        "coverage": fmt.percent(row.get("coverage")),
    }


def _rank(fmt: Formatter, rank, size, group: str) -> str:
    if rank is None:
        return DASH
    word = fmt.group(group) if group != "institusi" else ("institusi" if fmt.lang == "id" else "institutions")
    return fmt.text("rank_text", rank=fmt.integer(rank), size=fmt.integer(size), group=word)


def _movement(fmt: Formatter, row: Mapping) -> str:
    movement = row.get("rank_movement")
    if movement is None or not is_ranked(row):
        return DASH
    if row.get("is_movement_comparable") is False:
        return fmt.text("not_comparable")
    if movement == 0:
        return fmt.text("unchanged")
    key, arrow = ("moved_up", "▲") if movement > 0 else ("moved_down", "▼")
    return f"{arrow} {fmt.text(key, n=fmt.integer(abs(movement)))}"


def _rank_range(row: Mapping) -> str:
    best, worst = row.get("rank_range_best"), row.get("rank_range_worst")
    if best is None or worst is None or not is_ranked(row):
        return DASH
    return str(best) if best == worst else f"{best}–{worst}"


def _grade(row: Mapping, fmt: Formatter) -> str:
    """The grade and its label in the document's language (seed ikms_grade_bands).

    An issue frozen before the seed had English labels carries only the Indonesian one: the
    English document then shows the grade alone rather than a word of another language.
    """
    if not row.get("grade"):
        return DASH
    label = row.get("grade_label_en") if fmt.lang == "en" else row.get("grade_label")
    return f"{row['grade']} ({label})" if label else str(row["grade"])


def _components(row: Mapping, stats: PeerStats, fmt: Formatter) -> list[dict]:
    out = []
    for component in COMPONENTS:
        column = f"{component}_score"
        own, median, best = row.get(column), stats.median.get(column), stats.best.get(column)
        out.append(
            {
                "name": fmt.text(component),
                "own": own,
                "median": median,
                "best": best,
                "own_text": fmt.number(own),
                "median_text": fmt.number(median),
                "best_text": fmt.number(best),
            }
        )
    return out


def _platform_rows(platforms: list[Mapping], fmt: Formatter) -> list[dict]:
    return [
        {
            "platform": _platform_name(p["platform"]),
            "accounts": fmt.integer(p.get("accounts")),
            "followers": fmt.integer(p.get("followers_end")),
            "growth": fmt.signed(p.get("followers_growth")),
            "posts_per_week": fmt.number(p.get("posts_per_week")),
            "median_engagement": fmt.number(p.get("median_interactions_per_post")),
            "reply_rate": fmt.percent(p.get("reply_rate")),
            "reply_time": fmt.duration(p.get("median_reply_time_s")),
            "coverage": fmt.percent(p.get("coverage")),
        }
        for p in platforms
    ]


def _platform_name(platform: str) -> str:
    return {"x": "X", "youtube": "YouTube", "tiktok": "TikTok"}.get(platform, platform.capitalize())


def _best_posts(posts: list[Mapping], fmt: Formatter) -> list[dict]:
    return [
        {
            "platform": _platform_name(p["platform"]),
            "handle": p.get("handle") or "",
            "day": fmt.day(date.fromisoformat(str(p["metric_date"])[:10])),
            "post_type": p.get("post_type") or "",
            "interactions": fmt.integer(p.get("interactions")),
            "views": fmt.integer(p.get("views")) if p.get("views") is not None else None,
        }
        for p in posts
    ]


def _crisis(signals: list[Mapping], fmt: Formatter) -> list[dict]:
    return [
        {
            "day": fmt.day(date.fromisoformat(str(s["metric_date"])[:10])),
            "platform": _platform_name(s["platform"]),
            "handle": s.get("handle") or "",
            "signals": ", ".join(
                fmt.text(f"signal_{name.strip()}")
                for name in (s.get("signals_fired") or "").split(",")
                if name.strip()
            ),
            "severity": fmt.text(f"severity_{s['severity']}")
            if s.get("severity") in ("watch", "alert", "critical")
            else "",
        }
        for s in signals
    ]


def _missing(details: Mapping, fmt: Formatter) -> str:
    """The registered platforms that reported on fewer than MIN_COVERAGE of the days, or never."""
    coverage = {p["platform"]: p.get("coverage") for p in details.get("platforms") or []}
    short = []
    for account in sorted(details.get("accounts") or [], key=lambda a: (a["platform"], a["handle"])):
        value = coverage.get(account["platform"])
        if value is None or float(value) < MIN_COVERAGE:
            share = fmt.percent(value or 0, 0)
            short.append(f"{_platform_name(account['platform'])} @{account['handle']} ({share})")
    if not details.get("accounts"):
        return fmt.text("no_accounts")
    return fmt.text("missing", accounts="; ".join(short)) if short else fmt.text("nothing_missing")


def _trend_points(trend: list[Mapping], fmt: Formatter) -> list[dict]:
    from babel.dates import format_date

    return [
        {
            "name": format_date(date.fromisoformat(str(p["month"])[:10]), "MMM yy", locale=fmt.lang),
            "ikms": p.get("ikms"),
            "is_break": p.get("is_movement_comparable") is False,
        }
        for p in trend
    ]


def reason_text(fmt: Formatter, reason: str) -> str:
    """Why the issue was made, in the document's language (stored in Bahasa Indonesia)."""
    from kinerja.publish.issues import REASONS_IN_ENGLISH

    return REASONS_IN_ENGLISH.get(reason, reason) if fmt.lang == "en" else reason


def change_text(fmt: Formatter, change: Mapping) -> str:
    """One change of a reissue in words: 'Provinsi Bali: IKMS 75,3 → 77,5'."""

    def shown(value):
        if value is None:
            return DASH
        if isinstance(value, bool):
            return fmt.text("yes" if value else "no")
        if isinstance(value, float):
            return fmt.number(value)
        return str(value)

    label = (
        fmt.text(f"field_{change['field']}")
        if change["field"] in ("ikms", "rank_in_peer_group", "grade", "is_eligible")
        else change["field"]
    )
    return f"{change['institution_name']}: {label} {shown(change['before'])} → {shown(change['after'])}"


def _methodology(rows: Iterable[Mapping]) -> str:
    versions = sorted({str(row["methodology_version"]) for row in rows if row.get("methodology_version")})
    return ", ".join(versions) or DASH
