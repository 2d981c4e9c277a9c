"""Charts for the strategy lab's report, drawn as inline SVG: a line chart (with an
optional band per series), a scatter plot and grouped bar charts (upright or lying,
with optional whiskers).

Each chart is one ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that says in
words what it shows, sized by its ``viewBox`` so it scales to the page and prints
sharply. Series are told apart by colour (the Okabe–Ito palette, safe for the common
colour-vision deficiencies) *and* by dash pattern or marker shape, so the charts read
in grey print too. Coordinates are floats: they only place marks on a page."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import count

#: Okabe–Ito colours, then a few more; picked by series index.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#7f7f7f")
DASHES = ("", "7 4", "2 3", "10 3 2 3", "4 2", "1 2")
MARKERS = ("circle", "square", "diamond", "triangle")
INK, MUTED, GRID = "#1b1f24", "#4a5560", "#dde3e8"
WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 80, 20, 44, 52
POINTS_MAX = 2_000
#: A line with at most this many points marks each point.
MARKED_POINTS_MAX = 16

_ids = count(1)
Fmt = Callable[[float], str]


@dataclass(frozen=True, slots=True)
class Series:
    """One named line, or one group of bars, with its values in x order; ``low`` and
    ``high`` (same length) draw a band around a line or whiskers on a bar."""

    name: str
    values: Sequence[float | None]
    low: Sequence[float | None] = ()
    high: Sequence[float | None] = ()
    style: int = 0


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    series: int
    label: str = ""


@dataclass(slots=True)
class _Canvas:
    title: str
    desc: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    parts: list[str] = field(default_factory=list)

    def svg(self, css_class: str) -> str:
        n = next(_ids)
        head = (
            f'<svg class="{css_class}" role="img" aria-labelledby="svg{n}-t svg{n}-d" '
            f'viewBox="0 0 {self.width} {self.height}" width="100%" '
            f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" '
            f'font-family="system-ui, sans-serif" font-size="14">'
            f'<title id="svg{n}-t">{escape(self.title)}</title>'
            f'<desc id="svg{n}-d">{escape(self.desc)}</desc>'
        )
        return head + "".join(self.parts) + "</svg>"

    def text(
        self, x: float, y: float, s: str, anchor: str = "middle", fill: str = MUTED, extra: str = ""
    ) -> None:
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
            f'fill="{fill}"{extra}>{escape(s)}</text>'
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, stroke: str = GRID, extra: str = ""
    ) -> None:
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{stroke}"{extra}/>'
        )


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def nice_ticks(low: float, high: float, n: int = 5) -> list[float]:
    """Round tick values covering ``low``..``high``: steps of 1, 2 or 5 times a power
    of ten.

    >>> nice_ticks(0, 97)
    [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / n
    power = 10 ** math.floor(math.log10(raw))
    step = float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))
    start = math.floor(low / step) * step + 0.0
    ticks: list[float] = []
    v = start
    while v < high + step * 0.999 and len(ticks) < 50:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _legend(c: _Canvas, names: Sequence[tuple[str, int]], marker: bool = False) -> None:
    x = float(c.left)
    for name, style in names:
        col = colour(style)
        if marker:
            c.parts.append(_marker(x + 8, 16, style, col))
        else:
            dash = DASHES[style % len(DASHES)]
            c.parts.append(
                f'<line x1="{x:.1f}" y1="16" x2="{x + 22:.1f}" y2="16" '
                f'stroke="{col}" stroke-width="3" stroke-dasharray="{dash}"/>'
            )
        c.text(x + 28, 20, name, anchor="start", fill=INK)
        x += 44 + 8.2 * len(name)


def _marker(x: float, y: float, style: int, col: str, r: float = 4.5) -> str:
    shape = MARKERS[style % len(MARKERS)]
    if shape == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" '
            f'height="{2 * r:.1f}" fill="{col}"/>'
        )
    if shape == "diamond":
        pts = (
            f"{x:.1f},{y - r - 1:.1f} {x + r + 1:.1f},{y:.1f} {x:.1f},{y + r + 1:.1f} "
            f"{x - r - 1:.1f},{y:.1f}"
        )
        return f'<polygon points="{pts}" fill="{col}"/>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - r - 1:.1f} {x + r + 1:.1f},{y + r:.1f} {x - r - 1:.1f},{y + r:.1f}"
        return f'<polygon points="{pts}" fill="{col}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{col}"/>'


def _y_axis(
    c: _Canvas, ticks: list[float], to_y: Callable[[float], float], fmt: Fmt, label: str
) -> None:
    for t in ticks:
        y = to_y(t)
        c.line(c.left, y, c.width - RIGHT, y)
        c.text(c.left - 6, y + 4, fmt(t), anchor="end")
    mid = (TOP + c.height - BOTTOM) / 2
    c.text(16, mid, label, extra=f' transform="rotate(-90 16 {mid:.1f})"')


def _span(values: Sequence[float | None]) -> tuple[float, float]:
    seen = [v for v in values if v is not None and math.isfinite(v)]
    return (min(seen), max(seen)) if seen else (0.0, 1.0)


def line_chart(
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    fmt: Fmt,
    zero: bool = True,
) -> str:
    """Lines over ``x_labels`` (dates, months on book); a series with ``low``/``high``
    gets a shaded band between them."""
    c = _Canvas(title, desc)
    everything = [v for s in series for v in (*s.values, *s.low, *s.high)]
    lo, hi = _span(everything)
    ticks = nice_ticks(min(lo, 0.0) if zero else lo, hi)
    n = max(len(x_labels), 2)
    x0, x1, y0, y1 = c.left, c.width - RIGHT, c.height - BOTTOM, TOP

    def to_x(i: int) -> float:
        return x0 + (x1 - x0) * i / (n - 1)

    def to_y(v: float) -> float:
        return y0 - (y0 - y1) * (v - ticks[0]) / ((ticks[-1] - ticks[0]) or 1)

    _y_axis(c, ticks, to_y, fmt, y_label)
    every = max(1, math.ceil(len(x_labels) / 7))
    for i, label in enumerate(x_labels):
        if i % every == 0 or (i == len(x_labels) - 1 and (i % every) > every / 2):
            c.line(to_x(i), y0, to_x(i), y0 + 4, stroke=MUTED)
            c.text(to_x(i), y0 + 18, label)
    c.line(x0, y0, x1, y0, stroke=MUTED)
    for s in series:
        col, dash = colour(s.style), DASHES[s.style % len(DASHES)]
        if s.low and s.high:
            top = [(to_x(i), to_y(v)) for i, v in enumerate(s.high) if v is not None]
            bottom = [(to_x(i), to_y(v)) for i, v in enumerate(s.low) if v is not None]
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in top + bottom[::-1])
            c.parts.append(
                f'<polygon class="band" points="{pts}" fill="{col}" '
                f'fill-opacity="0.15" stroke="none"/>'
            )
        path = _path(
            [(to_x(i), to_y(v)) if v is not None else None for i, v in enumerate(s.values)]
        )
        c.parts.append(
            f'<path class="series" d="{path}" fill="none" stroke="{col}" '
            f'stroke-width="2.5" stroke-dasharray="{dash}" '
            f'stroke-linejoin="round"><title>{escape(s.name)}</title></path>'
        )
        if len(s.values) <= MARKED_POINTS_MAX:  # few points: each one visible
            c.parts.extend(
                f'<g class="mark">{_marker(to_x(i), to_y(v), s.style, col, 3.5)}'
                f"<title>{escape(s.name)}, {escape(x_labels[i] if i < len(x_labels) else '')}"
                f": {escape(fmt(v))}</title></g>"
                for i, v in enumerate(s.values)
                if v is not None
            )
    _legend(c, [(s.name, s.style) for s in series])
    return c.svg("chart line-chart")


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    out, pen = [], "M"
    for p in points:
        if p is None:
            pen = "M"
            continue
        out.append(f"{pen}{p[0]:.1f},{p[1]:.1f}")
        pen = "L"
    return " ".join(out) or "M0,0"


def scatter(
    title: str,
    desc: str,
    points: Sequence[Point],
    names: Sequence[str],
    *,
    x_label: str,
    y_label: str,
    x_fmt: Fmt,
    y_fmt: Fmt,
) -> str:
    """One mark per point, shaped and coloured by its series, labelled beside it."""
    c = _Canvas(title, desc)
    shown = list(points)[:POINTS_MAX]
    xs = nice_ticks(*_pad(_span([p.x for p in shown])))
    ys = nice_ticks(*_pad(_span([p.y for p in shown])))
    x0, x1, y0, y1 = c.left, c.width - RIGHT, c.height - BOTTOM, TOP

    def to_x(v: float) -> float:
        return x0 + (x1 - x0) * (v - xs[0]) / ((xs[-1] - xs[0]) or 1)

    def to_y(v: float) -> float:
        return y0 - (y0 - y1) * (v - ys[0]) / ((ys[-1] - ys[0]) or 1)

    _y_axis(c, ys, to_y, y_fmt, y_label)
    for t in xs:
        c.line(to_x(t), y0, to_x(t), y0 + 4, stroke=MUTED)
        c.text(to_x(t), y0 + 18, x_fmt(t))
    c.line(x0, y0, x1, y0, stroke=MUTED)
    c.text((x0 + x1) / 2, c.height - 6, x_label)
    for p in shown:
        x, y = to_x(p.x), to_y(p.y)
        c.parts.append(
            f'<g class="point">{_marker(x, y, p.series, colour(p.series))}'
            f"<title>{escape(names[p.series])} {escape(p.label)}: "
            f"{escape(x_fmt(p.x))}, {escape(y_fmt(p.y))}</title></g>"
        )
        if p.label:
            c.text(x + 8, y - 6, p.label, anchor="start", extra=' font-size="10"')
    _legend(c, [(n, i) for i, n in enumerate(names)], marker=True)
    return c.svg("chart scatter")


def _pad(span: tuple[float, float]) -> tuple[float, float]:
    lo, hi = span
    gap = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    return lo - gap, hi + gap


def bars(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    fmt: Fmt,
) -> str:
    """Upright bars grouped by category, one per series, with min–max whiskers when the
    series has ``low``/``high``."""
    c = _Canvas(title, desc)
    lo, hi = _span([v for s in series for v in (*s.values, *s.high)])
    ticks = nice_ticks(min(lo, 0.0), hi)
    x0, x1, y0, y1 = c.left, c.width - RIGHT, c.height - BOTTOM, TOP

    def to_y(v: float) -> float:
        return y0 - (y0 - y1) * (v - ticks[0]) / ((ticks[-1] - ticks[0]) or 1)

    _y_axis(c, ticks, to_y, fmt, y_label)
    group = (x1 - x0) / max(len(categories), 1)
    width = group * 0.8 / max(len(series), 1)
    for k, cat in enumerate(categories):
        c.text(x0 + group * (k + 0.5), y0 + 18, cat)
        for j, s in enumerate(series):
            v = s.values[k] if k < len(s.values) else None
            if v is None:
                continue
            x = x0 + group * k + group * 0.1 + width * j
            top, base = to_y(max(v, 0.0)), to_y(min(v, 0.0))
            c.parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{top:.1f}" '
                f'width="{width * 0.92:.1f}" height="{max(base - top, 0.5):.1f}" '
                f'fill="{colour(s.style)}"><title>{escape(s.name)}, '
                f"{escape(cat)}: {escape(fmt(v))}</title></rect>"
            )
            _whisker(c, s, k, x + width * 0.46, to_y, vertical=True)
    c.line(x0, to_y(0.0), x1, to_y(0.0), stroke=MUTED)
    _legend(c, [(s.name, s.style) for s in series], marker=True)
    return c.svg("chart bars")


def _whisker(
    c: _Canvas, s: Series, k: int, at: float, scale: Callable[[float], float], *, vertical: bool
) -> None:
    low = s.low[k] if k < len(s.low) else None
    high = s.high[k] if k < len(s.high) else None
    if low is None or high is None:
        return
    a, b = scale(low), scale(high)
    if vertical:
        c.line(at, a, at, b, stroke=INK, extra=' class="whisker"')
        c.line(at - 4, a, at + 4, a, stroke=INK)
        c.line(at - 4, b, at + 4, b, stroke=INK)
    else:
        c.line(a, at, b, at, stroke=INK, extra=' class="whisker"')
        c.line(a, at - 4, a, at + 4, stroke=INK)
        c.line(b, at - 4, b, at + 4, stroke=INK)


def hbars(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str,
    fmt: Fmt,
) -> str:
    """Lying bars, one row of bars per category (long names such as rule ids fit)."""
    longest = max((len(cat) for cat in categories), default=4)
    left = min(max(LEFT, int(longest * 8) + 12), 360)
    row = 10 + 14 * max(len(series), 1)
    c = _Canvas(title, desc, height=TOP + BOTTOM + row * max(len(categories), 1), left=left)
    lo, hi = _span([v for s in series for v in (*s.values, *s.high)])
    ticks = nice_ticks(min(lo, 0.0), hi)
    x0, x1, y0 = left, c.width - RIGHT, TOP

    def to_x(v: float) -> float:
        return x0 + (x1 - x0) * (v - ticks[0]) / ((ticks[-1] - ticks[0]) or 1)

    bottom = c.height - BOTTOM
    for t in ticks:
        c.line(to_x(t), y0, to_x(t), bottom)
        c.text(to_x(t), bottom + 16, fmt(t))
    c.text((x0 + x1) / 2, c.height - 8, x_label)
    for k, cat in enumerate(categories):
        top = y0 + row * k + 5
        c.text(x0 - 6, top + row / 2, cat, anchor="end", fill=INK)
        for j, s in enumerate(series):
            v = s.values[k] if k < len(s.values) else None
            if v is None:
                continue
            y = top + 14 * j
            c.parts.append(
                f'<rect class="bar" x="{to_x(min(v, 0.0)):.1f}" y="{y:.1f}" '
                f'width="{max(to_x(max(v, 0.0)) - to_x(min(v, 0.0)), 0.5):.1f}" '
                f'height="12" fill="{colour(s.style)}"><title>{escape(s.name)}, '
                f"{escape(cat)}: {escape(fmt(v))}</title></rect>"
            )
            _whisker(c, s, k, y + 6, to_x, vertical=False)
    c.line(to_x(0.0), y0, to_x(0.0), bottom, stroke=MUTED)
    _legend(c, [(s.name, s.style) for s in series], marker=True)
    return c.svg("chart hbars")
