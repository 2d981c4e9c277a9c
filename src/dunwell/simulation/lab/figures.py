"""The report's charts, built from the result document alone (its ``runs``): each a
``Figure`` with an id, a heading, a sentence on how to read it and the inline SVG.

Across seeds a line is the mean of the seeds' values on that day and its shaded band
runs from the lowest to the highest seed; a bar is the mean and its whisker the
lowest-to-highest seed. Running totals are summed as ``Decimal`` before they are
placed on the page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dunwell.simulation.lab import svg
from dunwell.simulation.lab.summary import ROLLS, decimal_amount

Run = Mapping[str, Any]
ROLL_LABELS = {
    "current_to_1_30": "current → 1–30",
    "1_30_to_31_60": "1–30 → 31–60",
    "31_60_to_61_90": "31–60 → 61–90",
    "61_90_to_90_plus": "61–90 → 90+",
}


@dataclass(frozen=True, slots=True)
class Figure:
    id: str
    title: str
    how: str
    svg: str


def compact(v: float) -> str:
    """An axis label: 1234567 -> 1.2M, 12500 -> 12.5k, 0.25 -> 0.25."""
    a = abs(v)
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= size:
            return f"{v / size:.3g}{unit}"
    return f"{v:.3g}" if a else "0"


def percent(v: float) -> str:
    return f"{v * 100:.3g} %"


def _by_strategy(doc: Mapping[str, Any]) -> dict[str, list[Run]]:
    out: dict[str, list[Run]] = {name: [] for name in doc["strategies"]}
    for run in doc["runs"]:
        out.setdefault(run["strategy"], []).append(run)
    return out


def running_total(values: Sequence[Any], amounts: bool) -> list[float]:
    """The running total of a day-by-day series (amounts summed as Decimal)."""
    total = Decimal(0)
    out: list[float] = []
    for i, v in enumerate(values):
        total += decimal_amount(v, f"daily value {i}") if amounts else Decimal(int(v))
        out.append(float(total))
    return out


def across(per_seed: Sequence[Sequence[float | None]]) -> tuple[list[float | None], ...]:
    """Mean, lowest and highest over seeds at each position (positions every seed has)."""
    n = min((len(s) for s in per_seed), default=0)
    mean: list[float | None] = []
    low: list[float | None] = []
    high: list[float | None] = []
    for i in range(n):
        vals = [v for s in per_seed if (v := s[i]) is not None]
        if not vals:
            mean.append(None)
            low.append(None)
            high.append(None)
            continue
        mean.append(sum(vals) / len(vals))
        low.append(min(vals))
        high.append(max(vals))
    return mean, low, high


def _over_time(
    doc: Mapping[str, Any], key: str, amounts: bool, cumulative: bool
) -> tuple[list[str], list[svg.Series]]:
    groups = _by_strategy(doc)
    dates: list[str] = []
    series: list[svg.Series] = []
    for style, (name, runs) in enumerate(groups.items()):
        daily = [r.get("daily", {}) for r in runs if r.get("daily", {}).get(key)]
        if not daily:
            continue
        per_seed: list[list[float | None]] = []
        for d in daily:
            if cumulative:
                per_seed.append(list(running_total(d[key], amounts)))
            else:
                per_seed.append(
                    [float(decimal_amount(v, key)) if amounts else float(v) for v in d[key]]
                )
        mean, low, high = across(per_seed)
        if len(daily[0].get("dates", [])) > len(dates):
            dates = list(daily[0]["dates"])[: len(mean)]
        spread = len(per_seed) > 1
        series.append(svg.Series(name, mean, low if spread else (), high if spread else (), style))
    return dates, series


def _short_dates(dates: Sequence[str]) -> list[str]:
    """Dates as axis labels: month and day when the run stays in one year."""
    years = {d[:4] for d in dates}
    if len(years) > 1:
        return list(dates)
    return [d[5:] if len(d) == 10 else d for d in dates]


def time_figures(doc: Mapping[str, Any]) -> list[Figure]:
    currency = doc.get("settings", {}).get("currency", "")
    specs = (
        (
            "recovery",
            "Cumulative recovery",
            "recovered",
            True,
            True,
            f"Amount recovered so far ({currency})",
            "Money recovered from the first day to each day, per strategy.",
        ),
        (
            "contacts",
            "Cumulative contacts",
            "contacts",
            False,
            True,
            "Contacts so far",
            "Contacts made (calls, messages, letters, visits) from the first day to each day.",
        ),
        (
            "complaints",
            "Cumulative complaints",
            "complaints",
            False,
            True,
            "Complaints so far",
            "Complaints received from the first day to each day.",
        ),
        (
            "overdue",
            "Overdue balance",
            "overdue_balance",
            True,
            False,
            f"Overdue balance ({currency})",
            "The overdue balance at the end of each day.",
        ),
    )
    out = []
    for fid, title, key, amounts, cumulative, y_label, how in specs:
        dates, series = _over_time(doc, key, amounts, cumulative)
        if not series:
            continue
        ends = "; ".join(f"{s.name} {compact(s.values[-1] or 0.0)}" for s in series if s.values)
        desc = (
            f"{how} Lines are the mean over seeds, bands the lowest to highest seed. "
            f"At the last day: {ends}."
        )
        out.append(
            Figure(
                f"fig-{fid}",
                title,
                how + " Line: mean over seeds; band: lowest to highest seed.",
                svg.line_chart(
                    title, desc, _short_dates(dates), series, y_label=y_label, fmt=compact
                ),
            )
        )
    return out


def scatter_figure(doc: Mapping[str, Any]) -> Figure | None:
    names = list(_by_strategy(doc))
    points = [
        svg.Point(
            float(r["metrics"]["contacts"]),
            float(decimal_amount(r["metrics"]["recovered"], "recovered")),
            names.index(r["strategy"]),
            f"seed {r['seed']}",
        )
        for r in doc["runs"]
    ]
    if not points:
        return None
    currency = doc.get("settings", {}).get("currency", "")
    how = (
        "Each mark is one run (a strategy on one seed): its contacts across, its "
        "recovery up. Up and to the left is more money for fewer contacts."
    )
    return Figure(
        "fig-scatter",
        "Recovery against contacts, per seed",
        how,
        svg.scatter(
            "Recovery against contacts, per seed",
            how,
            points,
            names,
            x_label="Contacts",
            y_label=f"Recovered ({currency})",
            x_fmt=compact,
            y_fmt=compact,
        ),
    )


def roll_figure(doc: Mapping[str, Any]) -> Figure | None:
    series = []
    for style, (name, s) in enumerate(doc["strategies"].items()):
        rolls = s.get("roll_rates", {})
        if all(rolls.get(k, {}).get("mean") is None for k in ROLLS):
            continue
        series.append(
            svg.Series(
                name,
                [rolls.get(k, {}).get("mean") for k in ROLLS],
                [rolls.get(k, {}).get("min") for k in ROLLS],
                [rolls.get(k, {}).get("max") for k in ROLLS],
                style,
            )
        )
    if not series:
        return None
    how = (
        "Of the loans that reached a delinquency bucket during the run, the share that "
        "went on to the next one. Bar: mean over seeds; whisker: lowest to highest seed."
    )
    return Figure(
        "fig-rolls",
        "Roll rates",
        how,
        svg.bars(
            "Roll rates",
            how,
            [ROLL_LABELS[k] for k in ROLLS],
            series,
            y_label="Roll rate",
            fmt=percent,
        ),
    )


def vintage_figures(doc: Mapping[str, Any]) -> list[Figure]:
    out = []
    for name, runs in _by_strategy(doc).items():
        months = sorted({m for r in runs for m in r.get("vintages", {})})
        if not months:
            continue
        series = []
        for style, month in enumerate(months):
            curves = [r["vintages"][month] for r in runs if month in r.get("vintages", {})]
            mean, _, _ = across(curves)
            series.append(svg.Series(month, mean, style=style))
        length = max(len(s.values) for s in series)
        how = (
            f"{name}: for loans booked in each month, the share of their principal 30 "
            "or more days past due at each month on book (mean over seeds)."
        )
        out.append(
            Figure(
                f"fig-vintage-{name}",
                f"Vintage curves: {name}",
                how,
                svg.line_chart(
                    f"Vintage curves: {name}",
                    how,
                    [str(i) for i in range(1, length + 1)],
                    series,
                    y_label="Principal 30+ dpd",
                    fmt=percent,
                ),
            )
        )
    return out


def denial_figure(doc: Mapping[str, Any]) -> Figure | None:
    rules: list[str] = []
    for s in doc["strategies"].values():
        rules += [r for r in s.get("denials_by_rule", {}) if r not in rules]
    if not rules:
        return None
    series = []
    for style, (name, s) in enumerate(doc["strategies"].items()):
        by_rule = s.get("denials_by_rule", {})
        series.append(
            svg.Series(
                name,
                [by_rule.get(r, {}).get("mean") for r in rules],
                [by_rule.get(r, {}).get("min") for r in rules],
                [by_rule.get(r, {}).get("max") for r in rules],
                style,
            )
        )
    how = (
        "Actions the compliance guard refused, by the rule that refused them. Bar: "
        "mean over seeds; whisker: lowest to highest seed."
    )
    return Figure(
        "fig-denials",
        "Guard denials by rule",
        how,
        svg.hbars(
            "Guard denials by rule", how, rules, series, x_label="Denials per run", fmt=compact
        ),
    )


def figures(doc: Mapping[str, Any]) -> dict[str, list[Figure]]:
    """Every chart the document can support, by the report section that shows it."""

    def some(*figs: Figure | None) -> list[Figure]:
        return [f for f in figs if f is not None]

    return {
        "time": time_figures(doc),
        "scatter": some(scatter_figure(doc)),
        "rolls": some(roll_figure(doc)),
        "vintages": vintage_figures(doc),
        "denials": some(denial_figure(doc)),
    }
