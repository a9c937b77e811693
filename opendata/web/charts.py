"""Server-rendered SVG charts of a dataset's profile (time series, bars, histogram); no JavaScript.

Each chart is an ``<svg role="img">`` with a title and a description; the page also shows the same
figures as a table (the screen-reader equivalent). Colours come from the stylesheet through
classes (the CSP allows no inline style), so the high-contrast mode recolours them too. The SVG
scales with its container: the view box is fixed, the width is the column's.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 44  # plot margins for the axis labels
BAR_LABEL = 200  # the left column of a bar chart, for category names


def number(value: float | int | None) -> str:
    """A figure for labels: thousands separators, at most two decimals, large values shortened."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _svg(body: str, title: str, desc: str, ident: str, height: int = HEIGHT) -> Markup:
    return Markup(  # noqa: S704 (every text below is escaped; numbers are formatted by us)
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'focusable="false"><title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        f"{body}</svg>")


def _axes(plot_w: float, plot_h: float) -> str:
    return (f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/>'
            f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>')


def _scale(values: list[float]) -> tuple[float, float]:
    low, high = min(0.0, min(values)), max(values)
    return (low, high) if high > low else (low, low + 1)


def timeseries(chart: dict[str, Any], title: str, ident: str) -> Markup:
    """A line over time: x the periods in order, y the summed measure."""
    points = [(p, v) for p, v in chart["points"] if v is not None]
    if len(points) < 2:
        return Markup("")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    low, high = _scale([v for _, v in points])
    step = plot_w / (len(points) - 1)
    coords = [(LEFT + i * step, TOP + plot_h - (v - low) / (high - low) * plot_h) for i, (_, v) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    ticks = sorted({0, len(points) // 2, len(points) - 1})
    labels = "".join(f'<text class="tick" x="{coords[i][0]:.1f}" y="{HEIGHT - 16}" text-anchor="middle">'
                     f"{escape(points[i][0])}</text>" for i in ticks)
    yl = (f'<text class="tick" x="{LEFT - 6}" y="{TOP + 6}" text-anchor="end">{escape(number(high))}</text>'
          f'<text class="tick" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">{escape(number(low))}</text>')
    peak = max(points, key=lambda p: p[1])
    desc = (f"{len(points)} points from {points[0][0]} to {points[-1][0]}; "
            f"highest {number(peak[1])} at {peak[0]}; last {number(points[-1][1])}.")
    body = _axes(plot_w, plot_h) + f'<polyline class="line" points="{path}"/>' + labels + yl
    return _svg(body, title, desc, ident)


def bars(chart: dict[str, Any], title: str, ident: str) -> Markup:
    """Horizontal bars, largest first, with each value written at the end of its bar."""
    items = [(k, v or 0) for k, v in chart["bars"]]
    if not items:
        return Markup("")
    row = 24
    height = TOP + row * len(items) + 8
    plot_w = WIDTH - BAR_LABEL - RIGHT - 90
    high = max(v for _, v in items) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = TOP + i * row
        w = max(1.0, value / high * plot_w) if value > 0 else 0
        short = label if len(label) <= 12 else label[:11] + "…"
        body.append(f'<text class="tick" x="{BAR_LABEL - 8}" y="{y + 16}" text-anchor="end">{escape(short)}</text>'
                    f'<rect class="bar" x="{BAR_LABEL}" y="{y + 3}" width="{w:.1f}" height="{row - 6}"/>'
                    f'<text class="tick" x="{BAR_LABEL + w + 6:.1f}" y="{y + 16}">{escape(number(value))}</text>')
    desc = "; ".join(f"{k}: {number(v)}" for k, v in items[:5]) + ("…" if len(items) > 5 else "")
    return _svg("".join(body), title, desc, ident, height)


def histogram(chart: dict[str, Any], title: str, ident: str) -> Markup:
    """Equal-width bins as adjoining columns; the axis shows the range."""
    bins = chart["bins"]
    if not bins:
        return Markup("")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    high = max(c for _, _, c in bins) or 1
    width = plot_w / len(bins)
    body = [_axes(plot_w, plot_h)]
    for i, (_lo, _hi, count) in enumerate(bins):
        h = count / high * plot_h
        body.append(f'<rect class="bar" x="{LEFT + i * width + 1:.1f}" y="{TOP + plot_h - h:.1f}" '
                    f'width="{max(1.0, width - 2):.1f}" height="{h:.1f}"/>')
    body.append(f'<text class="tick" x="{LEFT}" y="{HEIGHT - 16}">{escape(number(bins[0][0]))}</text>'
                f'<text class="tick" x="{LEFT + plot_w}" y="{HEIGHT - 16}" text-anchor="end">'
                f"{escape(number(bins[-1][1]))}</text>"
                f'<text class="tick" x="{LEFT - 6}" y="{TOP + 6}" text-anchor="end">{escape(number(high))}</text>')
    mode = max(bins, key=lambda b: b[2])
    desc = (f"{sum(c for _, _, c in bins):,} values from {number(bins[0][0])} to {number(bins[-1][1])}; "
            f"most between {number(mode[0])} and {number(mode[1])} ({mode[2]:,}).")
    return _svg("".join(body), title, desc, ident)


RENDER = {"timeseries": timeseries, "bar": bars, "histogram": histogram}


def render(chart: dict[str, Any], title: str, ident: str) -> Markup:
    """The SVG of one chart of a profile."""
    drawn = RENDER[chart["kind"]](chart, title, ident)
    return drawn if drawn else Markup("")
