"""The strategy lab's report: the result document written as its JSON twin and as one
self-contained HTML page.

``write_json(doc, path)`` writes ``json.dumps(doc, indent=2, sort_keys=True)``.
``write_html(doc, path)`` renders ``templates/report.html.j2`` from the document alone.
``render_html(doc) -> str`` is the page itself.

The page needs nothing but itself: the stylesheet is inline and the charts are inline
SVG drawn here (``svg.py``), with no script at all. Plotly's bundle (about 4.8 MB) would
have made every report that much heavier for hover labels; SVG keeps the file small,
prints sharply, reads with scripts off, and gives each chart a title and a description
for screen readers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from dunwell.simulation.lab.figures import figures
from dunwell.simulation.lab.summary import (
    AMOUNTS,
    COUNTS,
    TARGETS,
    TARGETS_BY_NAME,
    decimal_amount,
)

TEMPLATES = Path(__file__).parent / "templates"

#: The per-strategy table's rows: metric, label, unit kind.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("recovered", "Recovered", "amount"),
    ("recovery_rate", "Recovery rate", "percent"),
    ("cost", "Cost", "amount"),
    ("cost_per_unit_recovered", "Cost per unit recovered", "ratio4"),
    ("contacts", "Contacts", "count"),
    ("contacts_per_case", "Contacts per case", "ratio2"),
    ("complaints", "Complaints", "count"),
    ("cures", "Cures", "count"),
    ("plans_made", "Plans made", "count"),
    ("plans_kept", "Plans kept", "count"),
    ("visits", "Visits", "count"),
    ("visit_roi", "Return on visits", "ratio2"),
    ("denials", "Guard denials", "count"),
    ("violations", "Guard violations (must be 0)", "count"),
)


# --- formatting --------------------------------------------------------------------------


def money(value: Any) -> str:
    """A decimal string with thousands separators: "1234567.5" -> "1,234,567.50"."""
    if value is None:
        return "—"
    return f"{decimal_amount(value, 'amount'):,.2f}"


def figure(value: float | int | None, kind: str) -> str:
    """A figure for a reader: amounts to the cent, rates in percent, counts whole."""
    if value is None:
        return "—"
    if kind == "amount":
        return f"{Decimal(str(value)):,.2f}"
    if kind == "percent":
        return f"{value * 100:.2f} %"
    if kind == "count":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    places = 4 if kind == "ratio4" else 2
    return f"{value:,.{places}f}"


def headline(value: Any, kind: str) -> str:
    if kind == "amount":
        return money(value)
    return figure(value, kind)


def measured(name: str, value: float | None) -> str:
    """A target's measure in words: "42.10 % fewer", "+9.10 %", "−1.20 %"."""
    if value is None:
        return "not measurable (nothing to compare with)"
    if TARGETS_BY_NAME[name].measure.__name__ == "_fewer":
        return f"{abs(value) * 100:.2f} % {'fewer' if value >= 0 else 'more'}"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{abs(value) * 100:.2f} %"


# --- the page's tables -------------------------------------------------------------------


def comparison_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every target: the measured row when its strategies ran, else a "not run" row."""
    done = {row["name"]: row for row in doc.get("comparison", [])}
    out = []
    for t in TARGETS:
        row = done.get(t.name)
        if row is None:
            ran = doc["strategies"]
            missing = [s for s in (t.subject, t.baseline) if s not in ran]
            out.append(
                {
                    "name": t.name,
                    "target": t.target,
                    "run": False,
                    "explains": t.explains,
                    "missing": missing or [t.subject],
                }
            )
            continue
        out.append(
            {
                **row,
                "run": True,
                "shown": measured(t.name, row["measured"]),
                "seeds_shown": [
                    (seed, measured(t.name, v), _holds(t.name, v))
                    for seed, v in zip(row["seeds"], row["per_seed"], strict=True)
                ],
            }
        )
    return out


def _holds(name: str, value: float | None) -> bool:
    t = TARGETS_BY_NAME[name]
    if value is None:
        return False
    return value >= float(t.threshold) if t.at_least else value <= float(t.threshold)


def _spread_text(sp: Mapping[str, Any], kind: str) -> str:
    if not sp or sp.get("mean") is None:
        return "not measured"
    if sp.get("n", len(sp.get("values", []))) < 2:
        return "one seed: no spread"
    f = "amount" if kind == "amount" else kind
    return f"± {figure(sp['sd'], f)} · {figure(sp['min'], f)}–{figure(sp['max'], f)}"


def strategy_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The per-strategy table: each metric's headline and spread for every strategy."""
    rows = []
    for metric, label, kind in ROWS:
        cells = []
        for s in doc["strategies"].values():
            sp = s.get("spread", {}).get(metric, {})
            bad = metric == "violations" and any(v for v in sp.get("values", []) if v)
            cells.append(
                {
                    "value": headline(s.get(metric), kind),
                    "spread": _spread_text(sp, kind),
                    "values": ", ".join(figure(v, kind) for v in sp.get("values", [])),
                    "bad": bad,
                }
            )
        rows.append({"metric": metric, "label": label, "cells": cells})
    return rows


def denial_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    rules: list[str] = []
    for s in doc["strategies"].values():
        rules += [r for r in s.get("denials_by_rule", {}) if r not in rules]
    rows = []
    for rule in rules:
        cells = []
        for s in doc["strategies"].values():
            sp = s.get("denials_by_rule", {}).get(rule)
            cells.append(
                "0"
                if sp is None
                else f"{figure(sp['mean'], 'count')} ({figure(sp['min'], 'count')}–"
                f"{figure(sp['max'], 'count')})"
            )
        rows.append({"rule": rule, "cells": cells})
    return rows


def violations(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The guard's violations over every run: must be zero."""
    bad = [
        (r["strategy"], r["seed"], r["metrics"]["violations"])
        for r in doc["runs"]
        if r["metrics"].get("violations")
    ]
    return {"total": sum(n for _, _, n in bad), "runs": len(doc["runs"]), "bad": bad}


def settings_rows(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    s = doc.get("settings", {})
    labels = (
        ("borrowers", "Borrowers"),
        ("days", "Days"),
        ("start", "First day"),
        ("seeds", "Seeds"),
        ("strategies", "Strategies"),
        ("currency", "Currency"),
        ("parameters_file", "Parameters file"),
        ("parameters_digest", "Parameters digest"),
        ("dunwell_version", "Dunwell version"),
    )
    out = []
    for key, label in labels:
        if key in s:
            v = s[key]
            out.append((label, ", ".join(map(str, v)) if isinstance(v, list) else str(v)))
    seconds = sum(float(r.get("seconds", 0.0)) for r in doc["runs"])
    out.append(("Simulation time, all runs", f"{seconds:,.1f} s"))
    return out


def sensitivity_view(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    sens = doc.get("sensitivity")
    if not sens:
        return None
    names: list[str] = []
    for row in sens.get("rows", []):
        names += [n for n in row.get("conclusions", {}) if n not in names]
    strategies: list[str] = []
    for row in sens.get("rows", []):
        strategies += [n for n in row.get("strategies", {}) if n not in strategies]
    failures = {
        n: [
            f"{row['parameter']} ×{row['scale']}"
            for row in sens.get("rows", [])
            if row.get("conclusions", {}).get(n) is False
        ]
        for n in names
    }
    return {
        "parameters": sens.get("parameters", []),
        "rows": sens.get("rows", []),
        "names": names,
        "strategies": strategies,
        "robust": sens.get("robust", {}),
        "failures": failures,
    }


# --- writing -----------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["figure"] = figure
    return env


def render_html(doc: Mapping[str, Any]) -> str:
    """The report page for a result document."""
    figs = {
        section: [{"id": f.id, "title": f.title, "how": f.how, "svg": Markup(f.svg)} for f in found]
        for section, found in figures(doc).items()
    }
    css = (TEMPLATES / "report.css").read_text("utf-8")
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            doc=doc,
            settings=doc.get("settings", {}),
            strategies=list(doc["strategies"]),
            comparison=comparison_rows(doc),
            rows=strategy_rows(doc),
            denials=denial_rows(doc),
            violations=violations(doc),
            settings_rows=settings_rows(doc),
            figures=figs,
            sensitivity=sensitivity_view(doc),
            stories=doc.get("stories", []),
            css=Markup(css),
            amounts=AMOUNTS,
            counts=COUNTS,
        )
    )


def write_html(doc: Mapping[str, Any], path: Path) -> None:
    """Write the report page; the directory is made when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(doc), "utf-8")


def write_json(doc: Mapping[str, Any], path: Path) -> None:
    """Write the JSON twin: the document as it is, keys sorted, indented by two."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", "utf-8")
