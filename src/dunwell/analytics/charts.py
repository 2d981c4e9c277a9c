"""Each figure as a Plotly figure: plain data (``{"data": [...], "layout": {...}}``)
that the page hands to Plotly to draw. Rates are percentages with two decimals;
labels come from the caller (in the reader's language)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from dunwell.analytics.figures import Figures
from dunwell.analytics.model import Ratio

Chart = dict[str, Any]


def percent(ratio: Ratio) -> float | None:
    """The rate in percent for a chart axis (display only), None when not measured."""
    v = ratio.value
    return None if v is None else float(v * Decimal(100))


def _layout(title: str, y_title: str, **more: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "yaxis": {"title": {"text": y_title}},
            "margin": {"l": 56, "r": 16, "t": 48, "b": 48}, "font": {"size": 13},
            "legend": {"orientation": "h"}, **more}


def _bar(name: str, x: list[str], y: list[Any], **more: Any) -> dict[str, Any]:
    return {"type": "bar", "name": name, "x": x, "y": y, **more}


def charts(f: Figures, t: Callable[[str], str],
           bucket: Callable[[int], str]) -> Mapping[str, Chart]:
    """The dashboard's charts keyed by table name; ``t`` names things, ``bucket``
    names a bucket (M0, M1, ...)."""
    pct = t("chart.percent")
    o = f.overdue
    overdue = {"data": [
        _bar(t("chart.by_count"), ["M1+", "M3+"], [percent(o.count_m1), percent(o.count_m3)]),
        _bar(t("chart.by_balance"), ["M1+", "M3+"],
             [percent(o.balance_m1), percent(o.balance_m3)])],
        "layout": _layout(t("chart.overdue"), pct, barmode="group")}
    rolls = {"data": [_bar(t("chart.roll_rate"), [bucket(r.bucket) + "→" for r in f.rolls],
                           [percent(r.rate) for r in f.rolls])],
             "layout": _layout(t("chart.rolls"), pct)}
    agents = [r for r in f.roi if r.agent_id != "*"]
    roi = {"data": [_bar(t("chart.roi"), [r.agent_id for r in agents],
                         [None if r.ratio.value is None else float(r.ratio.value)
                          for r in agents])],
           "layout": _layout(t("chart.roi"), t("chart.per_unit"))}
    denials = {"data": [{"type": "bar", "orientation": "h", "name": t("chart.denials"),
                         "y": [rule for rule, _ in f.denials],
                         "x": [n for _, n in f.denials]}],
               "layout": _layout(t("chart.denials"), "", yaxis={"automargin": True})}
    names = [v.variant for v in f.variants]
    variants = {"data": [
        _bar(t("chart.cure_rate"), names, [percent(v.cure_rate) for v in f.variants]),
        _bar(t("chart.kept_rate"), names, [percent(v.kept_rate) for v in f.variants])],
        "layout": _layout(t("chart.variants"), pct, barmode="group")}
    lines = []
    for cohort in sorted({p.cohort for p in f.vintages}):
        mine = [p for p in f.vintages if p.cohort == cohort]
        for label, rates, dash in (("M1+", [p.m1 for p in mine], "solid"),
                                   ("M3+", [p.m3 for p in mine], "dash")):
            lines.append({"type": "scatter", "mode": "lines+markers",
                          "name": f"{cohort} {label}", "line": {"dash": dash},
                          "x": [p.months_on_book for p in mine],
                          "y": [percent(r) for r in rates]})
    vintage = {"data": lines, "layout": _layout(
        t("chart.vintage"), pct, xaxis={"title": {"text": t("chart.mob")}, "dtick": 1})}
    return {"overdue": overdue, "rolls": rolls, "roi": roi, "denials": denials,
            "variants": variants, "vintage": vintage}
