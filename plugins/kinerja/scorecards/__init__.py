"""Monthly scorecards: score rows -> charts -> HTML pages per province.

The public functions live in `kinerja.scorecards.render` (pages) and
`kinerja.scorecards.charts` (inline SVG charts). Nothing is imported here, so
importing the package stays cheap (matplotlib is loaded only when a chart is drawn).
"""
