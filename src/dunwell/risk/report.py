"""The validation report, as a JSON document and as one self-contained HTML page.

Measured on the held-out test split (never seen by fitting, selection or
calibration): AUC, KS, Gini, Brier score, the calibration curve, the score
distribution of goods and bads, the lift and gain table by decile, feature
importance, reason codes for the riskiest rows, and the scorecard's points table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from dunwell.risk.charts import bar_chart, histogram_chart, line_chart
from dunwell.risk.metrics import calibration_curve, histogram, lift_table, roc_curve, summary

if TYPE_CHECKING:
    from dunwell.risk.credit_model import CreditModel

Array = np.ndarray[Any, Any]
EXAMPLES = 5


def _row(cols: Mapping[str, Array], i: int) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, column in cols.items():
        v = column[i]
        out[name] = None if v is None or (isinstance(v, float) and math.isnan(v)) else v
    return out


def build_report(model: CreditModel, cols: Mapping[str, Array], y: Array,
                 facts: Mapping[str, Any]) -> dict[str, Any]:
    held = facts["held_out"]
    p, yh = facts["scores"][held], y[held]
    fpr, tpr = roc_curve(yh, p)
    keep = np.unique(np.linspace(0, fpr.size - 1, min(fpr.size, 101)).astype(int))
    importance = sorted(model.importance({k: v[held] for k, v in cols.items()}).items(),
                        key=lambda kv: -kv[1])
    riskiest = held[np.argsort(-p, kind="stable")[:EXAMPLES]]
    examples = []
    for i in riskiest:
        row = _row(cols, int(i))
        examples.append({
            "line": int(i) + 2, "score": round(float(facts["scores"][i]), 4),
            "outcome": int(y[i]),
            "reasons": {lang: [{"feature": r.feature, "phrase": r.phrase,
                                "contribution": r.contribution}
                               for r in model.explain(row, top=3, lang=lang)]
                        for lang in ("en", "zh-CN")}})
    meta = model.meta
    return {
        "format": 1, "family": model.family.value, "target": meta.get("target"),
        "data_sha256": meta.get("data_sha256"), "rows": meta.get("rows"),
        "split": facts["sizes"], "held_out": facts["held_out_name"],
        "metrics": summary(yh, p), "validation_auc": facts["valid_auc"],
        "calibration": {"method": model.calibrator.method,
                        "curve": calibration_curve(yh, p)},
        "roc": {"fpr": [round(float(v), 4) for v in fpr[keep]],
                "tpr": [round(float(v), 4) for v in tpr[keep]]},
        "score_distribution": histogram(yh, p), "lift": lift_table(yh, p),
        "importance": [{"feature": k, "share": round(v, 4)} for k, v in importance],
        "reason_examples": examples, "schema": model.schema.to_json(),
        "scorecard": model.scorecard.points_table() if model.scorecard else None,
        "preprocessing": facts.get("preprocessing", {"enabled": False}),
        "cross_validation": facts.get("cross_validation"),
    }


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(r.get(c, '')))}</td>" for c in columns)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _charts(report: Mapping[str, Any]) -> str:
    m = report["metrics"]
    roc = line_chart(f"ROC (AUC {m['auc']:.3f})", "false positive rate", "true positive rate",
                     [("model", report["roc"]["fpr"], report["roc"]["tpr"])], diagonal=True)
    curve = report["calibration"]["curve"]
    top = max([c["mean_predicted"] for c in curve] + [c["observed"] for c in curve] + [0.05])
    top = min(1.0, math.ceil(top * 10) / 10)
    cal = line_chart("Calibration by decile", "mean predicted", "observed bad rate",
                     [("deciles", [c["mean_predicted"] for c in curve],
                       [c["observed"] for c in curve])],
                     x_max=top, y_max=top, diagonal=True, markers=True)
    lift = report["lift"]
    gain = line_chart("Cumulative gain", "share of rows, riskiest first", "share of bads caught",
                      [("model", [0.0] + [r["decile"] / len(lift) for r in lift],
                        [0.0] + [r["cumulative_gain"] for r in lift])],
                      diagonal=True, markers=True)
    dist = report["score_distribution"]
    hist = histogram_chart("Score distribution", dist["edges"],
                           [("goods", dist["goods"]), ("bads", dist["bads"])])
    bars = bar_chart("Feature importance", [(r["feature"], r["share"])
                                            for r in report["importance"][:15]])
    return "".join(f'<div class="chart">{svg}</div>' for svg in (roc, cal, gain, hist, bars))


def _reasons(report: Mapping[str, Any]) -> str:
    rows = []
    for ex in report["reason_examples"]:
        for lang in ("en", "zh-CN"):
            text = "; ".join(f"{r['phrase']} ({r['feature']}, +{r['contribution']:.2f})"
                             for r in ex["reasons"][lang]) or "—"
            rows.append({"line": ex["line"], "score": ex["score"], "outcome": ex["outcome"],
                         "lang": lang, "reasons": text})
    return _table(rows, ["line", "score", "outcome", "lang", "reasons"])


def _robust_sections(report: Mapping[str, Any]) -> list[str]:
    parts: list[str] = []
    cv = report.get("cross_validation")
    if cv:
        rows = [{"candidate": c["name"], "family": c["family"],
                 "AUC_mean": c["auc_mean"], "AUC_sd": c["auc_sd"],
                 "PR_AUC": c["pr_auc_mean"], "KS": c["ks_mean"], "Brier": c["brier_mean"],
                 "fold_AUCs": " ".join(f"{a:.4f}" for a in c["fold_auc"]),
                 "chosen": "yes" if c["name"] == cv["chosen"] else ""}
                for c in cv["candidates"]]
        skipped = ", ".join(cv.get("not_tried", [])) or "none"
        parts += [f"<h2>Settings chosen by {cv['folds']}-fold cross-validation</h2>",
                  f"<p>On the {cv['rows']} training rows; not tried within the budget: "
                  f"{escape(skipped)}.</p>",
                  _table(rows, ["candidate", "family", "AUC_mean", "AUC_sd", "PR_AUC", "KS",
                                "Brier", "fold_AUCs", "chosen"])]
    prep = report.get("preprocessing") or {}
    if prep.get("enabled"):
        parts += ["<h2>Robust preprocessing (fitted on the training rows)</h2>"]
        for key, title, columns in (
                ("sentinels", "Sentinel codes turned into missing values",
                 ["column", "codes", "rows", "bulk_max", "indicator"]),
                ("clipped", "Extreme values clipped",
                 ["column", "low", "high", "rows_low", "rows_high", "observed_min",
                  "observed_max"]),
                ("missing", "Missing values (kept missing)",
                 ["column", "rows", "share", "handled"])):
            rows = prep.get(key) or []
            parts += [f"<h3>{title}</h3>", _table(rows, columns) if rows else "<p>none</p>"]
    return parts


_STYLE = """body{font-family:system-ui,'Noto Sans CJK SC','WenQuanYi Zen Hei',sans-serif;
margin:2rem;color:#222}table{border-collapse:collapse;margin:0.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}
th{background:#f3f3f3}td:last-child{text-align:left}.chart{display:inline-block;margin:6px}
.kpi{display:inline-block;margin-right:2rem;font-size:20px}.kpi small{display:block;
font-size:12px;color:#666}"""


def render_html(report: Mapping[str, Any]) -> str:
    m = report["metrics"]
    kpis = "".join(f'<div class="kpi">{m[k]}<small>{label}</small></div>' for k, label in (
        ("auc", "AUC"), ("ks", "KS"), ("gini", "Gini"), ("brier", "Brier"),
        ("base_rate", "observed bad rate"), ("mean_predicted", "mean predicted")))
    valid = [{"family": f, "validation_AUC": a, "chosen": "yes" if f == report["family"] else ""}
             for f, a in report["validation_auc"].items()]
    schema = report["schema"]
    features = [{"name": f["name"], "kind": f["kind"], "dtype": f["dtype"],
                 "categories": ", ".join(f.get("categories", [])) or "—"}
                for f in schema["features"]]
    parts = [
        f"<h1>Credit model {escape(str(report.get('version', '')))}: "
        f"{escape(report['family'])}</h1>",
        f"<p>Target <b>{escape(str(report['target']))}</b>, {report['rows']} rows "
        f"(train {report['split']['train']}, validation {report['split']['validation']}, "
        f"test {report['split']['test']}); measured on the {report['held_out']} split. "
        f"Data sha256 <code>{escape(str(report['data_sha256']))}</code>. Calibration: "
        f"{escape(report['calibration']['method'])}.</p>",
        kpis, "<h2>Families on the validation split</h2>",
        _table(valid, ["family", "validation_AUC", "chosen"]), "<h2>Charts</h2>",
        _charts(report), "<h2>Lift and gain by decile (riskiest first)</h2>",
        _table(report["lift"], ["decile", "rows", "bads", "bad_rate", "lift",
                                "cumulative_gain", "min_score", "max_score"]),
        "<h2>Calibration</h2>",
        _table(report["calibration"]["curve"], ["mean_predicted", "observed", "rows"]),
        "<h2>Feature importance</h2>", _table(report["importance"], ["feature", "share"]),
        "<h2>Reason codes for the riskiest test rows</h2>", _reasons(report),
    ]
    if report.get("scorecard"):
        parts += ["<h2>Scorecard points (PDO 20, 600 points at odds 50:1)</h2>",
                  _table(report["scorecard"], ["feature", "bin", "woe", "points"])]
    parts += _robust_sections(report)
    parts += ["<h2>Feature schema</h2>", _table(features, ["name", "kind", "dtype",
                                                          "categories"]),
              "<h2>Columns set aside</h2>",
              _table(schema["dropped"], ["name", "reason"]) if schema["dropped"] else "<p>—</p>"]
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Credit model '
            f'report</title><style>{_STYLE}</style></head><body>{"".join(parts)}</body></html>')
