"""One benchmark report: every figure as a ratio against its same-run baseline.

``summarise(results)`` is a pure function from the per-bench results (the documents
in ``bench/out/<name>.json``, keyed by ``<name>``) to one summary document: a list of
figures, each with its name, value, unit, the baseline measured in the same run, their
ratio, the target and whether it is met. ``svg(summary)`` draws each figure's distance
to its target on a log scale (met green, missed red, no target or not run grey).

``python bench/summary.py`` re-summarises the existing ``bench/out/*.json`` into
``bench/out/results.json`` and ``bench/out/results.svg``; ``bench/run_all.py`` calls
``write`` at the end of every run.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

OUT_DIR = Path(__file__).resolve().parent / "out"
RESULTS = "results.json"
CHART = "results.svg"
NOT_INPUTS = {RESULTS}

Doc = Mapping[str, Any]


def figure(
    name: str,
    label: str,
    *,
    value: float | None = None,
    unit: str = "",
    baseline: float | None = None,
    baseline_label: str = "",
    ratio: float | None = None,
    target: float | None = None,
    target_on: str = "value",
    better: str = "higher",
    met: bool | None = None,
    note: str = "",
    skipped: str | None = None,
) -> dict[str, Any]:
    """One figure. ``ratio`` is value / baseline unless given; ``score`` is how far
    the figure stands from its target (>= 1 when met, whatever the direction)."""
    if skipped is not None:
        return {
            "name": name,
            "label": label,
            "value": None,
            "unit": unit,
            "baseline": None,
            "baseline_label": baseline_label,
            "ratio": None,
            "target": target,
            "target_on": target_on,
            "better": better,
            "met": None,
            "score": None,
            "status": "not run",
            "note": skipped,
        }
    if ratio is None and value is not None and baseline:
        ratio = value / baseline
    on = ratio if target_on == "ratio" else value
    score: float | None = None
    if target is not None and on is not None and on > 0 and target > 0:
        score = on / target if better == "higher" else target / on
        if met is None:
            met = score >= 1
    if target is None:
        status = "no target"
    else:
        status = "not measured" if met is None else ("met" if met else "missed")
    return {
        "name": name,
        "label": label,
        "value": _round(value),
        "unit": unit,
        "baseline": _round(baseline),
        "baseline_label": baseline_label,
        "ratio": _round(ratio),
        "target": target,
        "target_on": target_on,
        "better": better,
        "met": met,
        "score": _round(score),
        "status": status,
        "note": note,
    }


def _round(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.4g}")


def _pick(results: Mapping[str, Doc], nested: str, own: str) -> tuple[Doc | None, str, str]:
    """A bench's result, why it is missing, and where it came from: run_all's ``cob``
    document when the bench ran there, else the bench's own file (a separate run)."""
    cob = results.get("cob") or {}
    sources = ((cob.get(nested), "cob.json"), (results.get(own), f"{own}.json"))
    for doc, where in sources:
        if isinstance(doc, Mapping) and isinstance(doc.get(own), Mapping):
            doc = doc[own]  # payments_http.json wraps its result
        if isinstance(doc, Mapping) and doc and "skipped" not in doc:
            return doc, "", where
    for doc, _where in sources:
        if isinstance(doc, Mapping) and "skipped" in doc:
            return None, f"skipped: {doc['skipped']}", ""
    return None, "not run", ""


def _section(results: Mapping[str, Doc], nested: str, own: str) -> tuple[Doc | None, str]:
    doc, why, _where = _pick(results, nested, own)
    return doc, why


SOURCES = {
    "kernel": ("", "cob"),
    "spark": ("spark_cob", "spark_cob"),
    "postgres": ("postgres", "cob_postgres"),
    "payments": ("payments_http", "payments_http"),
    "decisions": ("origination", "origination_latency"),
    "routing": ("field_routing", "field_routing"),
    "cli": ("cli_start", "cli_start"),
    "simulation": ("simulation", "simulation"),
}


def _source_of(results: Mapping[str, Doc], name: str) -> str:
    nested, own = SOURCES[name.split("_")[0]]
    if not nested:
        return "cob.json" if "kernel_loans_per_s" in (results.get(own) or {}) else ""
    return _pick(results, nested, own)[2]


def kernel_figures(results: Mapping[str, Doc]) -> list[dict[str, Any]]:
    cob = results.get("cob")
    if not cob or "kernel_loans_per_s" not in cob:
        return [
            figure("kernel_vs_rows", "COB kernel vs row by row", unit="loans/s", skipped="not run"),
            figure(
                "kernel_vs_floor", "COB kernel vs memory-bound floor", unit="s", skipped="not run"
            ),
        ]
    targets = cob.get("targets", {})
    return [
        figure(
            "kernel_vs_rows",
            "COB kernel vs row by row",
            value=cob["kernel_loans_per_s"],
            unit="loans/s",
            baseline=cob["rows_loans_per_s"],
            baseline_label="row-by-row rules",
            ratio=cob["speedup_kernel_over_rows"],
            target=targets.get("speedup_min", 100),
            target_on="ratio",
            met=cob.get("meets_speedup"),
        ),
        figure(
            "kernel_vs_floor",
            "COB kernel vs memory-bound floor",
            value=cob["kernel_s"],
            unit="s/day",
            baseline=cob["floor_s"],
            baseline_label="memory-bound floor",
            ratio=cob["kernel_over_floor"],
            target=targets.get("floor_ratio_max", 5),
            target_on="ratio",
            better="lower",
            met=cob.get("meets_floor"),
        ),
    ]


def spark_figure(results: Mapping[str, Doc]) -> dict[str, Any]:
    sp, why = _section(results, "spark_cob", "spark_cob")
    if sp is None:
        return figure(
            "spark_vs_local", "COB on a snapshot, Spark local vs local", unit="loans/s", skipped=why
        )
    same = sp.get("same_results")
    return figure(
        "spark_vs_local",
        "COB on a snapshot, Spark local vs local",
        value=sp["spark_loans_per_s"],
        unit="loans/s",
        baseline=sp["local_loans_per_s"],
        baseline_label="local runner over Parquet",
        ratio=sp.get("ratio_spark_over_local"),
        note=f"results {'identical' if same else 'DIFFER'}; "
        f"{sp.get('capacity', {}).get('cores_needed_at_spark_rate', '?')} cores "
        f"for 50 M loans in 30 min",
    )


def postgres_figure(results: Mapping[str, Doc]) -> dict[str, Any]:
    pg, why = _section(results, "postgres", "cob_postgres")
    label = "COB through PostgreSQL"
    if pg is None:
        return figure("postgres_cob", label, unit="loan·days/s", skipped=why)
    base = pg.get("baseline_day_by_day", {}).get("loan_days_per_s")
    ratio = pg.get("ratio_over_day_by_day")
    if base is None and ratio:
        base = pg["loan_days_per_s"] / ratio
    verify = pg.get("verify_ok", True)
    target = pg.get("target_loan_days_per_s", 50_000)
    return figure(
        "postgres_cob",
        label,
        value=pg["loan_days_per_s"],
        unit="loan·days/s",
        baseline=base,
        baseline_label="day by day",
        ratio=ratio,
        target=target,
        met=bool(pg["loan_days_per_s"] >= target and verify),
        note=f"{pg.get('loans', 0):,} loans x {pg.get('days', 0)} days; book verify "
        f"{'clean' if verify else 'FAILED'}",
    )


def payments_figure(results: Mapping[str, Doc]) -> dict[str, Any]:
    pay, why = _section(results, "payments_http", "payments_http")
    label = "payments posted over HTTP, PostgreSQL"
    if pay is None:
        return figure("payments", label, unit="payments/s", skipped=why)
    value = pay["target"]["posted_per_s"]
    return figure(
        "payments",
        label,
        value=value,
        unit="payments/s",
        baseline=pay["baseline"]["posted_per_s"],
        baseline_label="1 worker, 1 client",
        ratio=pay.get("speedup_over_baseline"),
        target=2000,
        met=bool(value >= 2000 and pay.get("ok", False)),
        note=f"{pay['target'].get('clients', '?')} clients, "
        f"{pay['target'].get('workers', '?')} workers; "
        f"{'verified' if pay.get('ok') else 'FAILED checks'}",
    )


def _decision_load(results: Mapping[str, Doc]) -> tuple[Doc | None, Doc, str]:
    """The load at the highest rate (run_all's single rate, else the standalone
    script's levels) and the standalone script's in-process baseline, if any."""
    og, why = _section(results, "origination", "origination_latency")
    own = results.get("origination_latency") or {}
    in_process = own.get("in_process") or {}
    if og is not None and "p99_ms" not in og:
        levels = og.get("levels") or []
        og = max(levels, key=lambda lv: lv.get("rate", 0)) if levels else None
        why = why or "no load level"
    return og, in_process, why


def decisions_figures(results: Mapping[str, Doc]) -> list[dict[str, Any]]:
    og, in_process, why = _decision_load(results)
    label, cpu_label = "credit decisions over HTTP, p99", "credit decision server CPU"
    if og is None:
        return [
            figure("decisions_p99", label, unit="ms", skipped=why),
            figure("decisions_cpu", cpu_label, unit="ms", skipped=why),
        ]
    rate = og.get("rate") or og.get("sizes", {}).get("rate")
    note = f"at {rate} req/s, {og.get('achieved_rps', float('nan')):.0f} achieved"
    cpu = og.get("server_cpu_ms_per_request")
    base_cpu = in_process.get("cpu_ms_per_decision")
    return [
        figure(
            "decisions_p99",
            label,
            value=og["p99_ms"],
            unit="ms",
            baseline=og.get("p50_ms"),
            baseline_label="p50 of the same load",
            target=og.get("target_p99_ms", 20),
            better="lower",
            met=og.get("meets_target"),
            note=note,
        ),
        figure(
            "decisions_cpu",
            cpu_label,
            value=cpu,
            unit="ms/decision",
            baseline=base_cpu,
            baseline_label="in process, no HTTP" if base_cpu else "no in-process run",
            target=1.0,
            better="lower",
            note=note,
        ),
    ]


def routing_figures(results: Mapping[str, Doc]) -> list[dict[str, Any]]:
    fr, why = _section(results, "field_routing", "field_routing")
    names = ("routing_served_vs_nearest", "routing_km_vs_nearest", "routing_km_vs_vroom")
    labels = (
        "field routing: visits served vs nearest-neighbour",
        "field routing: travel vs nearest-neighbour",
        "field routing: travel vs VROOM",
    )
    if fr is None:
        return [figure(n, lb, skipped=why) for n, lb in zip(names, labels, strict=True)]
    engine = fr.get("default", "ortools")
    best, nn = fr.get(engine) or fr["ortools"], fr["nearest"]
    visits = fr.get("sizes", {}).get("visits", 200)
    note = f"{engine}: {best['solve_s']:.1f} s, {best['served']}/{visits} served"
    out = [
        figure(
            names[0],
            labels[0],
            value=best["served"],
            unit="visits",
            baseline=nn["served"],
            baseline_label="nearest-neighbour",
            target=190,
            note=note,
        ),
        figure(
            names[1],
            labels[1],
            value=best["travel_km"],
            unit="km",
            baseline=nn["travel_km"],
            baseline_label="nearest-neighbour",
            target=260,
            better="lower",
            note=note,
        ),
    ]
    vroom = fr.get("vroom")
    if vroom:
        out.append(
            figure(
                names[2],
                labels[2],
                value=best["travel_km"],
                unit="km",
                baseline=vroom["travel_km"],
                baseline_label="VROOM, same problem",
                target=1.0,
                target_on="ratio",
                better="lower",
                note=note,
            )
        )
    else:
        out.append(figure(names[2], labels[2], unit="km", skipped="pyvroom not installed"))
    return out


def cli_figures(results: Mapping[str, Doc]) -> list[dict[str, Any]]:
    cs, why = _section(results, "cli_start", "cli_start")
    if cs is None:
        return [figure("cli_help", "CLI start, dunwell --help", unit="s", skipped=why)]
    target = cs.get("target_s", 0.5)
    out = [
        figure(
            "cli_help",
            "CLI start, dunwell --help",
            value=cs["help_s_median"],
            unit="s",
            baseline=cs["baseline_s_median"],
            baseline_label='python -c "import typer"',
            ratio=cs.get("ratio_help_over_baseline"),
            target=target,
            better="lower",
            met=cs.get("meets_target"),
        )
    ]
    reads = cs.get("reads") or {}
    if reads:
        slowest = max(reads.values(), key=lambda r: r["s_median"])
        out.append(
            figure(
                "cli_read",
                "CLI start, slowest read command",
                value=slowest["s_median"],
                unit="s",
                baseline=cs.get("read_baseline_s_median"),
                baseline_label='python -c "import sqlalchemy"',
                ratio=slowest.get("ratio_over_sqlalchemy"),
                target=target,
                better="lower",
                met=cs.get("reads_meet_target"),
                note=slowest.get("command", ""),
            )
        )
    return out


def simulation_figure(results: Mapping[str, Doc]) -> dict[str, Any]:
    sim, why = _section(results, "simulation", "simulation")
    label = "simulation day loop"
    if sim is None:
        return figure("simulation", label, unit="loan·days/s", skipped=why)
    rate = sim["run"]["loan_days_per_s"]
    need = sim.get("target_loan_days_with_warmup", 10_000 * 180) / sim.get("target_s", 60)
    return figure(
        "simulation",
        label,
        value=rate,
        unit="loan·days/s",
        baseline=sim["baseline"]["loan_days_per_s"],
        baseline_label=f"{sim['sizes'].get('baseline_borrowers', '?')} borrowers",
        ratio=sim.get("ratio_rate_over_baseline"),
        target=round(need),
        met=sim.get("meets_target"),
        note=f"10,000 x 180 projected {sim.get('projected_target_s', 0):,.0f} s "
        f"(target {sim.get('target_s', 60)} s)",
    )


def summarise(results: Mapping[str, Doc]) -> dict[str, Any]:
    """The summary document of the per-bench results (keyed by bench name)."""
    figures = [
        *kernel_figures(results),
        spark_figure(results),
        postgres_figure(results),
        payments_figure(results),
        *decisions_figures(results),
        *routing_figures(results),
        *cli_figures(results),
        simulation_figure(results),
    ]
    counts = {
        s: sum(f["status"] == s for f in figures)
        for s in ("met", "missed", "no target", "not measured", "not run")
    }
    for f in figures:
        f["source"] = _source_of(results, f["name"])
    machine: Mapping[str, Any] = next(
        (
            d["machine"]
            for d in results.values()
            if isinstance(d, Mapping) and isinstance(d.get("machine"), Mapping)
        ),
        {},
    )
    return {
        "figures": figures,
        "counts": counts,
        "machine": dict(machine),
        "sources": sorted(results),
    }


COLOURS = {"met": "#2e7d32", "missed": "#c62828"}
GREY = "#9e9e9e"


def svg(summary: Mapping[str, Any]) -> str:
    """A self-contained SVG: one bar per figure, its score (value over target, turned so
    that >= 1 is met) on a log scale centred on the target line."""
    figs = summary["figures"]
    left, width, row, top = 330, 420, 22, 40
    lo, hi = -3.0, 3.0  # log10 of the score
    height = top + row * len(figs) + 40

    def x(score: float) -> float:
        v = min(max(math.log10(score), lo), hi)
        return left + (v - lo) / (hi - lo) * width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 150}" '
        f'height="{height}" font-family="sans-serif" font-size="12">',
        f'<text x="10" y="20" font-size="14" font-weight="bold">Benchmark figures '
        f"against their targets (log scale; met {summary['counts']['met']}, missed "
        f"{summary['counts']['missed']})</text>",
    ]
    for tick in range(int(lo), int(hi) + 1):
        tx = x(10.0**tick)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 5}" x2="{tx:.1f}" '
            f'y2="{height - 30}" stroke="{"#000" if tick == 0 else "#ddd"}"/>'
        )
        parts.append(
            f'<text x="{tx:.1f}" y="{height - 15}" text-anchor="middle">'
            f"{'target' if tick == 0 else f'x{10.0**tick:g}'}</text>"
        )
    for i, f in enumerate(figs):
        y = top + i * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(f["label"])}</text>'
        )
        score = f["score"]
        if score is None:
            parts.append(
                f'<text x="{x(1.0) + 6:.1f}" y="{y + 14}" fill="{GREY}">'
                f"{escape(f['status'])}</text>"
            )
            continue
        x0, x1 = sorted((x(1.0), x(score)))
        colour = COLOURS.get(f["status"], GREY)
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{row - 6}" fill="{colour}"><title>{escape(describe(f))}'
            f"</title></rect>"
        )
        parts.append(
            f'<text x="{left + width + 8}" y="{y + 14}" fill="{colour}">'
            f"x{score:.3g} {escape(f['status'])}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _num(v: float | None, unit: str = "") -> str:
    if v is None:
        return "—"
    text = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return f"{text} {unit}".rstrip()


def describe(f: Mapping[str, Any]) -> str:
    """One line: value, baseline, ratio, target."""
    if f["status"] == "not run":
        return f"{f['label']}: {f['note']}"
    op = ">=" if f["better"] == "higher" else "<="
    target = (
        ""
        if f["target"] is None
        else (
            f"; target {'ratio' if f['target_on'] == 'ratio' else ''} {op} "
            f"{_num(f['target'], '' if f['target_on'] == 'ratio' else f['unit'])}"
        )
    )
    return (
        f"{f['label']}: {_num(f['value'], f['unit'])} vs {f['baseline_label']} "
        f"{_num(f['baseline'], f['unit'])} = x{_num(f['ratio'])}{target} ({f['status']})"
    )


def load(out_dir: Path) -> dict[str, Any]:
    """Every ``<name>.json`` in ``out_dir`` but the summary itself, by name."""
    results: dict[str, Any] = {}
    for path in sorted(out_dir.glob("*.json")):
        if path.name in NOT_INPUTS:
            continue
        try:
            results[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a half-written or foreign file is not a bench result
    return results


def render(summary: Mapping[str, Any], console: Any = None) -> None:
    from rich.console import Console
    from rich.markup import escape as markup
    from rich.table import Table

    t = Table(title="Benchmark summary: each figure against its same-run baseline")
    for col in ("figure", "value", "baseline (same run)", "ratio", "target", "status"):
        t.add_column(col)
    style = {"met": "green", "missed": "red"}
    for f in summary["figures"]:
        if f["status"] == "not run":
            t.add_row(f["label"], "", "", "", "", f"[dim]{markup(f['note'])}[/]")
            continue
        op = ">=" if f["better"] == "higher" else "<="
        target = (
            ""
            if f["target"] is None
            else (
                f"{'ratio ' if f['target_on'] == 'ratio' else ''}{op} "
                f"{_num(f['target'], '' if f['target_on'] == 'ratio' else f['unit'])}"
            )
        )
        st = f["status"]
        t.add_row(
            f["label"],
            _num(f["value"], f["unit"]),
            f"{_num(f['baseline'], f['unit'])} ({f['baseline_label']})",
            f"x{_num(f['ratio'])}",
            target,
            f"[{style[st]}]{st}[/]" if st in style else st,
        )
    (console or Console()).print(t)


def write(
    out_dir: Path = OUT_DIR, cob: Doc | None = None, *, show: bool = True, console: Any = None
) -> dict[str, Any]:
    """Summarise ``out_dir``'s bench results into results.json and results.svg;
    ``cob`` is run_all's document of this run (it replaces ``cob.json``)."""
    results = load(out_dir)
    if cob is not None:
        results["cob"] = cob
    summary = summarise(results)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / RESULTS).write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out_dir / CHART).write_text(svg(summary), encoding="utf-8")
    if show:
        render(summary, console)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out-dir",
        type=Path,
        default=OUT_DIR,
        help="where the bench results are and the summary goes",
    )
    args = ap.parse_args(argv)
    write(args.out_dir)
    print(f"wrote {args.out_dir / RESULTS} and {args.out_dir / CHART}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
