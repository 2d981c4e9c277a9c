"""Validation measures over (outcome, predicted probability) pairs: AUC, PR-AUC
(average precision), KS, Gini, Brier score, the calibration curve, the lift and gain
table, score histograms."""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def auc(y: Array, p: Array) -> float:
    """Probability that a random bad scores above a random good (ties count half)."""
    bad, good = p[y == 1], np.sort(p[y == 0])
    if bad.size == 0 or good.size == 0:
        return float("nan")
    below = np.searchsorted(good, bad, side="left")
    upto = np.searchsorted(good, bad, side="right")
    return float((below.sum() + 0.5 * (upto - below).sum()) / (bad.size * good.size))


def average_precision(y: Array, p: Array) -> float:
    """PR-AUC as average precision: the precision at each bad, riskiest first, averaged
    (tied scores share one threshold). Chance level is the bad rate."""
    bads = int(y.sum())
    if bads == 0:
        return float("nan")
    order = np.argsort(-p, kind="stable")
    ys, ps = y[order], p[order]
    ends = np.r_[np.flatnonzero(np.diff(ps)), ys.size - 1]
    tp = np.cumsum(ys)[ends].astype(np.float64)
    precision = tp / (ends + 1)
    recall_gain = np.diff(np.r_[0.0, tp]) / bads
    return float(np.sum(precision * recall_gain))


def roc_curve(y: Array, p: Array) -> tuple[Array, Array]:
    """False and true positive rates at every distinct threshold, from (0, 0) to (1, 1)."""
    order = np.argsort(-p, kind="stable")
    ys, ps = y[order], p[order]
    ends = np.r_[np.flatnonzero(np.diff(ps)), ys.size - 1]
    tp = np.cumsum(ys)[ends]
    fp = (ends + 1) - tp
    bads, goods = max(int(ys.sum()), 1), max(int(ys.size - ys.sum()), 1)
    return np.r_[0.0, fp / goods], np.r_[0.0, tp / bads]


def ks(y: Array, p: Array) -> float:
    """Kolmogorov–Smirnov: the largest gap between the bads' and goods' score CDFs."""
    fpr, tpr = roc_curve(y, p)
    return float(np.max(np.abs(tpr - fpr)))


def brier(y: Array, p: Array) -> float:
    return float(np.mean((p - y) ** 2))


def summary(y: Array, p: Array) -> dict[str, float]:
    a = auc(y, p)
    return {"auc": round(a, 4), "gini": round(2 * a - 1, 4), "ks": round(ks(y, p), 4),
            "pr_auc": round(average_precision(y, p), 4),
            "brier": round(brier(y, p), 4), "base_rate": round(float(y.mean()), 4),
            "mean_predicted": round(float(p.mean()), 4), "rows": int(y.size)}


def _groups(p: Array, count: int) -> Array:
    """Equal-sized groups by descending probability: 0 holds the riskiest rows."""
    order = np.argsort(-p, kind="stable")
    group = np.empty(p.size, dtype=np.int64)
    group[order] = np.arange(p.size) * count // max(p.size, 1)
    return group


def calibration_curve(y: Array, p: Array, bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted against observed bad rate, in groups of equal size (low to high)."""
    group = _groups(p, bins)
    rows = []
    for g in range(bins - 1, -1, -1):
        mask = group == g
        if mask.any():
            rows.append({"mean_predicted": round(float(p[mask].mean()), 4),
                         "observed": round(float(y[mask].mean()), 4),
                         "rows": int(mask.sum())})
    return rows


def lift_table(y: Array, p: Array, groups: int = 10) -> list[dict[str, float]]:
    """Deciles from the riskiest down: bad rate, lift, and the share of all bads caught
    by this decile and those above it (the gain)."""
    group = _groups(p, groups)
    base = float(y.mean()) or 1.0
    total_bads = max(int(y.sum()), 1)
    caught = 0
    rows = []
    for g in range(groups):
        mask = group == g
        if not mask.any():
            continue
        bads = int(y[mask].sum())
        caught += bads
        rate = bads / int(mask.sum())
        rows.append({"decile": g + 1, "rows": int(mask.sum()), "bads": bads,
                     "bad_rate": round(rate, 4), "lift": round(rate / base, 3),
                     "cumulative_gain": round(caught / total_bads, 4),
                     "min_score": round(float(p[mask].min()), 4),
                     "max_score": round(float(p[mask].max()), 4)})
    return rows


def histogram(y: Array, p: Array, bins: int = 20) -> dict[str, list[float]]:
    """Counts of goods and bads by predicted probability, equal-width bins over [0, 1]."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    goods, _ = np.histogram(p[y == 0], bins=edges)
    bads, _ = np.histogram(p[y == 1], bins=edges)
    return {"edges": [round(float(e), 4) for e in edges],
            "goods": [int(v) for v in goods], "bads": [int(v) for v in bads]}
