"""Small inline SVG charts for the validation report: no network, no plotting library."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 440, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 30, 44
COLORS = ("#1f6feb", "#d1242f", "#1a7f37", "#8250df")
Series = tuple[str, Sequence[float], Sequence[float]]


def _frame(title: str, xlabel: str, ylabel: str, body: str, x_max: float,
           y_max: float) -> str:
    w, h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = []
    for k in range(6):
        fx, fy = LEFT + w * k / 5, TOP + h - h * k / 5
        ticks.append(f'<line x1="{fx:.1f}" y1="{TOP + h}" x2="{fx:.1f}" y2="{TOP + h + 4}" '
                     'stroke="#555"/>'
                     f'<text x="{fx:.1f}" y="{TOP + h + 16}" font-size="10" '
                     f'text-anchor="middle">{x_max * k / 5:.2g}</text>'
                     f'<line x1="{LEFT - 4}" y1="{fy:.1f}" x2="{LEFT}" y2="{fy:.1f}" '
                     'stroke="#555"/>'
                     f'<text x="{LEFT - 6}" y="{fy + 3:.1f}" font-size="10" '
                     f'text-anchor="end">{y_max * k / 5:.2g}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
            f'<text x="{WIDTH / 2}" y="18" font-size="13" text-anchor="middle" '
            f'font-weight="bold">{escape(title)}</text>'
            f'<rect x="{LEFT}" y="{TOP}" width="{w}" height="{h}" fill="none" stroke="#999"/>'
            f'{"".join(ticks)}{body}'
            f'<text x="{LEFT + w / 2}" y="{HEIGHT - 8}" font-size="11" '
            f'text-anchor="middle">{escape(xlabel)}</text>'
            f'<text x="14" y="{TOP + h / 2}" font-size="11" text-anchor="middle" '
            f'transform="rotate(-90 14 {TOP + h / 2})">{escape(ylabel)}</text></svg>')


def _xy(x: float, y: float, x_max: float, y_max: float) -> tuple[float, float]:
    w, h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    return LEFT + w * x / x_max, TOP + h - h * y / y_max


def _legend(labels: Sequence[str], *, right: bool = False) -> str:
    x = WIDTH - RIGHT - 80 if right else LEFT + 8
    return "".join(
        f'<rect x="{x}" y="{TOP + 8 + 14 * k}" width="10" height="10" '
        f'fill="{COLORS[k % len(COLORS)]}"/><text x="{x + 14}" y="{TOP + 17 + 14 * k}" '
        f'font-size="10">{escape(label)}</text>' for k, label in enumerate(labels))


def line_chart(title: str, xlabel: str, ylabel: str, series: Sequence[Series], *,
               x_max: float = 1.0, y_max: float = 1.0, diagonal: bool = False,
               markers: bool = False) -> str:
    x_max, y_max = max(x_max, 1e-9), max(y_max, 1e-9)
    body = []
    if diagonal:
        (x0, y0), (x1, y1) = _xy(0, 0, x_max, y_max), _xy(min(x_max, y_max),
                                                          min(x_max, y_max), x_max, y_max)
        body.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
                    'stroke="#999" stroke-dasharray="4 3"/>')
    for k, (_, xs, ys) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        points = [_xy(x, y, x_max, y_max) for x, y in zip(xs, ys, strict=True)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                    'stroke-width="2"/>')
        if markers:
            body.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"/>'
                        for px, py in points)
    body.append(_legend([label for label, _, _ in series]))
    return _frame(title, xlabel, ylabel, "".join(body), x_max, y_max)


def histogram_chart(title: str, edges: Sequence[float],
                    groups: Sequence[tuple[str, Sequence[float]]]) -> str:
    """Side-by-side bars per bin, each group as a share of its own total."""
    shares = [[v / (sum(vals) or 1) for v in vals] for _, vals in groups]
    y_max = max((max(s) for s in shares if s), default=1.0) * 1.1 or 1.0
    x_max = edges[-1]
    bins = len(edges) - 1
    body = []
    for k, share in enumerate(shares):
        for b, value in enumerate(share):
            x0, _ = _xy(edges[b] + (edges[b + 1] - edges[b]) * k / len(shares), 0, x_max, y_max)
            x1, _ = _xy(edges[b] + (edges[b + 1] - edges[b]) * (k + 1) / len(shares), 0,
                        x_max, y_max)
            _, y0 = _xy(0, value, x_max, y_max)
            _, base = _xy(0, 0, x_max, y_max)
            body.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0 - 0.5, 0.5):.1f}" '
                        f'height="{base - y0:.1f}" fill="{COLORS[k % len(COLORS)]}" '
                        'fill-opacity="0.8"/>')
    body.append(_legend([label for label, _ in groups], right=True))
    return _frame(title, f"predicted probability ({bins} bins)", "share of group",
                  "".join(body), x_max, y_max)


def bar_chart(title: str, items: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars, largest first (feature importance)."""
    row = 18
    height = TOP + row * len(items) + 10
    label_w = 150
    w = WIDTH - label_w - RIGHT - 40
    top = max((v for _, v in items), default=1.0) or 1.0
    bars = []
    for k, (label, value) in enumerate(items):
        y = TOP + row * k
        bars.append(f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" '
                    f'text-anchor="end">{escape(label)}</text>'
                    f'<rect x="{label_w}" y="{y + 2}" width="{w * value / top:.1f}" '
                    f'height="{row - 5}" fill="{COLORS[0]}"/>'
                    f'<text x="{label_w + w * value / top + 4:.1f}" y="{y + 12}" '
                    f'font-size="10">{value:.1%}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">'
            f'<text x="{WIDTH / 2}" y="18" font-size="13" text-anchor="middle" '
            f'font-weight="bold">{escape(title)}</text>{"".join(bars)}</svg>')
