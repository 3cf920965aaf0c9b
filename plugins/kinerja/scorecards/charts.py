"""Charts for the scorecards, rendered as inline SVG text.

matplotlib is imported inside the functions: importing it builds a font cache
on first use (disk I/O), and this module must stay free of side effects at
import time. The object-oriented `Figure` API is used instead of pyplot, so no
global backend or figure registry is touched and a long-lived worker never
accumulates open figures.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from html import escape

INSUFFICIENT_LABEL = "Data tidak cukup"
BAR_ID_PREFIX = "ikms-bar-"
DEFAULT_CHART_LABEL = "Grafik Indeks (IKMS) kabupaten dan kota"

# One colour per peer group so kabupaten and kota (ranked separately) are told
# apart; both keep enough contrast against white for small print.
_PEER_COLOURS = {"kabupaten": "#1f5f8b", "kota": "#c26a00", "provinsi": "#2e7d32"}
_OTHER_COLOUR = "#555555"
_GREY = "#8a8a8a"

# Everything before the <svg> element: XML declaration and DOCTYPE (which
# names a w3.org URL and is invalid inside HTML anyway).
_SVG_PREAMBLE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
# Namespace declarations look like URLs and are not needed for SVG inline in
# HTML5 (the HTML parser assigns the SVG and xlink namespaces itself).
_XMLNS_ATTR = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')


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


def format_decimal(value: float | Decimal, digits: int = 1) -> str:
    """Format a number the Indonesian way: comma as the decimal separator.

    Rounds half up on the number as written (71.25 -> "71,3"), as a reader
    rounding by hand would; float formatting would give "71,2".
    """
    quantum = Decimal(1).scaleb(-digits)
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:.{digits}f}".replace(".", ",")


def ikms_bar_chart_svg(rows: Iterable[Mapping], *, label: str = DEFAULT_CHART_LABEL) -> str:
    """Horizontal bar chart of IKMS per institution, as inline SVG text.

    One bar per ranked row (each bar's group has id ``ikms-bar-<n>``), best at
    the top; ineligible rows get a grey "Data tidak cukup" label instead of a
    bar. `label` names the chart for screen readers. Returns "" when there are
    no rows. The result has no XML header, no namespace URLs and no metadata,
    ready to embed in an HTML page.
    """
    ordered = display_order(rows)
    if not ordered:
        return ""
    import matplotlib

    with matplotlib.rc_context(_chart_rc()):
        figure = _draw(ordered)
        buffer = io.StringIO()
        # Metadata off: no creation date (reproducible output) and no RDF block
        # full of namespace URLs.
        figure.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    return _inline_svg(buffer.getvalue(), label)


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


def _draw(ordered: list[Mapping]):
    """Build the matplotlib Figure for rows already in display order."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    count = len(ordered)
    # About a quarter inch per row keeps ~40 names legible at 8 pt.
    figure = Figure(figsize=(7.5, max(1.6, 0.26 * count + 0.9)))
    axes = figure.add_subplot()
    positions = list(range(count))
    labels = [str(row.get("institution_name") or row.get("institution_id") or "") for row in ordered]

    bar_index = 0
    for position, row in zip(positions, ordered, strict=True):
        if is_ranked(row):
            _draw_bar(axes, position, row, bar_index)
            bar_index += 1
        else:
            axes.text(
                1, position, INSUFFICIENT_LABEL, va="center", ha="left", color=_GREY, fontstyle="italic"
            )

    axes.set_yticks(positions, labels=labels)
    for tick, row in zip(axes.get_yticklabels(), ordered, strict=True):
        if not is_ranked(row):
            tick.set_color(_GREY)
    axes.set_ylim(count - 0.5, -0.5)  # first row at the top
    axes.set_xlim(0, 100)
    axes.set_xlabel("Indeks (IKMS), 0–100")
    axes.tick_params(axis="y", length=0)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)

    groups = sorted({row.get("peer_group") for row in ordered if is_ranked(row)} - {None})
    if len(groups) > 1:
        handles = [Patch(color=_PEER_COLOURS.get(g, _OTHER_COLOUR), label=g.capitalize()) for g in groups]
        # Above the plot, where it can never cover a bar or a label.
        axes.legend(
            handles=handles, loc="lower right", bbox_to_anchor=(1, 1), ncols=len(handles), frameon=False
        )
    return figure


def _draw_bar(axes, position: int, row: Mapping, bar_index: int) -> None:
    """Draw one IKMS bar with its value printed just past its end."""
    value = float(row["ikms"])
    colour = _PEER_COLOURS.get(row.get("peer_group"), _OTHER_COLOUR)
    (bar,) = axes.barh([position], [value], height=0.7, color=colour)
    # The gid becomes the id of the bar's SVG group: lets tests and styling
    # find exactly the bars.
    bar.set_gid(f"{BAR_ID_PREFIX}{bar_index}")
    axes.text(min(value, 100) + 0.8, position, format_decimal(value), va="center", ha="left")


def _inline_svg(svg: str, label: str) -> str:
    """Strip the XML header and namespace declarations from an SVG document."""
    svg = _SVG_PREAMBLE.sub("", svg, count=1)
    head, sep, rest = svg.partition(">")
    head = _XMLNS_ATTR.sub("", head)
    # Label the chart for assistive technology; the SVG scales with the page.
    head = head.replace("<svg", f'<svg role="img" aria-label="{escape(label, quote=True)}"', 1)
    return (head + sep + rest).strip()
