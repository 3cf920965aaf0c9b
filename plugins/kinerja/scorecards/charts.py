"""Charts for the scorecards: SVG drawn by matplotlib, embedded in the page as an image.

matplotlib is imported inside the functions: importing it builds a font cache
on first use (disk I/O), and this module must stay free of side effects at
import time. The object-oriented `Figure` API is used instead of pyplot, so no
global backend or figure registry is touched and a long-lived worker never
accumulates open figures.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Iterable, Mapping
from html import escape

# Colours with enough contrast against white for small print.
_OWN = "#2e7d32"
_SERIES = "#1f5f8b"
_BEST = "#c26a00"
_GREY = "#8a8a8a"


def is_ranked(row: Mapping) -> bool:
    """True when the row has an IKMS to show (eligible and scored)."""
    return bool(row.get("is_eligible")) and row.get("ikms") is not None


def display_key(row: Mapping) -> tuple:
    """Sort key for display: ranked rows by IKMS descending, then rank and
    name; unranked rows after all ranked ones, by name. Stable across runs."""
    ranked = is_ranked(row)
    rank = row.get("rank_in_peer_group")
    return (
        not ranked,
        -float(row["ikms"]) if ranked else 0.0,
        rank if (ranked and rank is not None) else math.inf,
        str(row.get("institution_name") or "").casefold(),
        str(row.get("institution_id") or ""),
    )


def display_order(rows: Iterable[Mapping]) -> list[Mapping]:
    """Rows sorted for display: best IKMS first, ineligible last by name.

    Shared by the table and the chart so both list institutions in the same order.
    """
    return sorted(rows, key=display_key)


def _chart_rc() -> dict:
    """matplotlib settings for a small, deterministic, text-as-text SVG."""
    return {
        # Text stays text: smaller, selectable, readable by screen readers.
        "svg.fonttype": "none",
        # Fixed salt: element ids do not change between runs of the same data.
        "svg.hashsalt": "kinerja-scorecard",
        # Institution names are data, never math markup ("$" must stay "$").
        "text.parse_math": False,
        "text.usetex": False,
        "font.family": "DejaVu Sans",
        "font.size": 8,
    }


def _figure_svg(figure, label: str) -> str:
    """A finished Figure as an <img> of its SVG (a data URI), labelled for screen readers.

    An image rather than inline SVG: the chart is a document of its own (its element ids
    cannot clash with the page's or another chart's), and WeasyPrint lays the page out
    without cascading the page's CSS through every SVG node, which makes a PDF about a
    fifth cheaper. The SVG has no metadata (no creation date), so the same data gives the
    same bytes.
    """
    buffer = io.StringIO()
    figure.savefig(
        buffer,
        format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    # the DOCTYPE names a DTD by URL: not needed to draw it
    svg = _SVG_DOCTYPE.sub("", buffer.getvalue(), count=1)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="chart" alt="{escape(label, quote=True)}" src="data:image/svg+xml;base64,{data}">'


_SVG_DOCTYPE = re.compile(r"<!DOCTYPE svg[^>]*>\s*")


def components_chart_svg(components: list[Mapping], *, label: str, legend: tuple[str, str, str]) -> str:
    """Horizontal bars of an institution's components with the peer median and best as marks.

    `components` holds one mapping per component: name, own, median, best (0-100 or None).
    `legend` names the own bar, the median mark and the best mark.
    """
    import matplotlib

    with matplotlib.rc_context(_chart_rc()):
        from matplotlib.figure import Figure

        height = 0.42 * len(components) + 0.8
        # fixed margins instead of a "tight" bounding box, which draws the figure twice
        figure = Figure(figsize=(6.6, height))
        figure.subplots_adjust(left=0.19, right=0.98, top=1 - 0.35 / height, bottom=0.3 / height)
        axes = figure.add_subplot()
        positions = list(range(len(components)))
        for position, item in zip(positions, components, strict=True):
            if item["own"] is not None:
                axes.barh([position], [float(item["own"])], height=0.55, color=_OWN)
                # the value inside the bar's end, clear of the median and best marks
                inside = float(item["own"]) >= 15
                axes.text(
                    float(item["own"]) - 1 if inside else float(item["own"]) + 1,
                    position,
                    item["own_text"],
                    va="center",
                    ha="right" if inside else "left",
                    color="white" if inside else "#1d2733",
                )
            if item["median"] is not None:
                axes.plot(
                    [float(item["median"])] * 2, [position - 0.38, position + 0.38], color="#222222", lw=2
                )
            if item["best"] is not None:
                axes.plot([float(item["best"])], [position], marker="D", color=_BEST, markersize=5)
        axes.set_yticks(positions, labels=[item["name"] for item in components])
        axes.set_ylim(len(components) - 0.5, -0.5)
        axes.set_xlim(0, 105)
        axes.tick_params(length=0)
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = [
            Patch(color=_OWN, label=legend[0]),
            Line2D([], [], color="#222222", lw=2, label=legend[1]),
            Line2D([], [], color=_BEST, marker="D", lw=0, markersize=5, label=legend[2]),
        ]
        axes.legend(handles=handles, loc="lower right", bbox_to_anchor=(1, 1), ncols=3, frameon=False)
        return _figure_svg(figure, label)


def trend_chart_svg(points: list[Mapping], *, label: str) -> str:
    """IKMS per month (name, ikms or None, is_break); a dashed vertical line before a break."""
    if not points:
        return ""
    import matplotlib

    with matplotlib.rc_context(_chart_rc()):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.6, 2.1))
        figure.subplots_adjust(left=0.07, right=0.99, top=0.96, bottom=0.14)
        axes = figure.add_subplot()
        positions = list(range(len(points)))
        values = [float(p["ikms"]) if p["ikms"] is not None else math.nan for p in points]
        axes.plot(positions, values, color=_SERIES, marker="o", markersize=3.5, lw=1.6)
        for position, point in zip(positions, points, strict=True):
            if point["is_break"] and position > 0:
                axes.axvline(position - 0.5, color=_GREY, linestyle="--", lw=1)
        axes.set_xticks(positions, labels=[p["name"] for p in points])
        axes.set_xlim(-0.5, len(points) - 0.5)
        axes.set_ylim(0, 100)
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        return _figure_svg(figure, label)


def distribution_chart_svg(values: list[float], *, label: str, x_label: str) -> str:
    """Histogram of IKMS values in bands of 10 points."""
    if not values:
        return ""
    import matplotlib

    with matplotlib.rc_context(_chart_rc()):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.6, 1.9))
        figure.subplots_adjust(left=0.07, right=0.97, top=0.95, bottom=0.27)
        axes = figure.add_subplot()
        axes.hist(values, bins=list(range(0, 101, 10)), color=_SERIES, edgecolor="white")
        axes.set_xlim(0, 100)
        axes.set_xticks(list(range(0, 101, 10)))
        axes.set_xlabel(x_label)
        axes.yaxis.get_major_locator().set_params(integer=True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        return _figure_svg(figure, label)
