"""The strategy lab's result document: per-run results aggregated across seeds, and the
issue's targets measured on them.

Pure functions on plain data (no I/O, no clock, no randomness). The document's shape is
the ``dunwell.simulate/1`` contract (docs/simulation-report.md):

``summarise(runs, settings, stories, sensitivity) -> dict``
    The whole document: ``schema``, ``settings`` (as given), ``strategies`` (each
    metric's mean over seeds, and its ``spread``), ``runs`` (as given, in strategy then
    seed order), ``comparison`` (the targets, per seed and on the mean), ``stories`` and
    ``sensitivity`` (when given; its ``robust`` is filled in when missing).

``sensitivity_conclusions(strategies: Mapping[str, Mapping[str, Any]]) -> dict[str, bool]``
    For one sensitivity point (``{NAME: {"recovered": "123.45", "contacts": int,
    "complaints": int[, "cost": "12.00"]}}``), whether each target holds; a target whose
    strategies or figures are missing is left out.

``robust(rows: Sequence[Mapping[str, Any]]) -> dict[str, bool]``
    Whether each conclusion holds at every sensitivity point that judged it.

How figures are combined:

- Amounts are decimal strings; they are summed and averaged as ``Decimal`` and the
  mean is rounded half-even to the cent. Counts are averaged exactly and the headline
  mean is rounded half-even to a whole number (the spread keeps the exact mean). Rates
  are the mean of the per-seed rates, rounded to four places.
- The spread of a metric is its mean, sample standard deviation (n - 1; 0.0 with a
  single seed), minimum, maximum and the value of every seed, in seed order. A rate a
  run could not measure (``None``, e.g. the return on visits with no visit) is left out
  of its spread; its headline is ``None`` when no seed measured it.
- A target is measured on each seed both strategies ran, and on the two strategies'
  exact means over those seeds (not on the rounded headline figures);
  ``met`` means it holds on the mean *and* in every such seed (``met_on_mean`` and
  ``seeds_met`` say which part failed). A target whose strategies did not both run is
  left out of ``comparison``; ``TARGETS`` lists them all, so a reader can name it as
  not run.
- ``daily`` series: ``recovered``, ``contacts`` and ``complaints`` are the day's own
  figures (not running totals); ``open_cases`` and ``overdue_balance`` are the levels
  at the day's end.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from dunwell.core.errors import InvalidInput
from dunwell.simulation.lab.targets import (
    AMOUNTS,
    CENT,
    TARGETS,
    TARGETS_BY_NAME,
    Target,
    comparison,
    decimal_amount,
    measure,
    robust,
    sensitivity_conclusions,
)

__all__ = [
    "AMOUNTS",
    "COUNTS",
    "METRICS",
    "RATES",
    "ROLLS",
    "SCHEMA",
    "TARGETS",
    "TARGETS_BY_NAME",
    "Target",
    "comparison",
    "decimal_amount",
    "measure",
    "robust",
    "sensitivity_conclusions",
    "spread",
    "strategy_summary",
    "summarise",
]

SCHEMA = "dunwell.simulate/1"

#: The metrics every run reports (DESIGN.md §4), by kind (amounts: see ``targets``).
COUNTS = (
    "contacts",
    "complaints",
    "cures",
    "plans_made",
    "plans_kept",
    "visits",
    "violations",
    "denials",
)
RATES = ("recovery_rate", "contacts_per_case", "cost_per_unit_recovered", "visit_roi")
METRICS = AMOUNTS + RATES + COUNTS
#: Rates a run may leave unmeasured (``None``).
OPTIONAL_RATES = frozenset({"visit_roi", "cost_per_unit_recovered"})
ROLLS = ("current_to_1_30", "1_30_to_31_60", "31_60_to_61_90", "61_90_to_90_plus")
RUNS_MAX = 10_000


# --- reading the runs --------------------------------------------------------------------


def _check_runs(runs: Sequence[Mapping[str, Any]]) -> None:
    if not runs:
        raise InvalidInput(
            "there are no runs to summarise; run at least one strategy on one seed",
            code="lab_runs_must_not_be_empty",
        )
    if len(runs) > RUNS_MAX:
        raise InvalidInput(
            f"{len(runs)} runs are more than the {RUNS_MAX} a report holds",
            code="lab_runs_must_not_exceed_limit",
        )
    seen: set[tuple[str, int]] = set()
    for i, run in enumerate(runs):
        key = (str(run.get("strategy")), int(run.get("seed", -1)))
        if key in seen:
            raise InvalidInput(
                f"strategy {key[0]!r} ran twice on seed {key[1]}; give one "
                "run per strategy and seed",
                code="lab_run_must_be_unique_per_strategy_and_seed",
            )
        seen.add(key)
        metrics = run.get("metrics")
        missing = [m for m in METRICS if not isinstance(metrics, Mapping) or m not in metrics]
        if missing:
            raise InvalidInput(
                f"run {i} ({key[0]}, seed {key[1]}) has no "
                f"{', '.join(missing)}; every run reports every metric "
                "(a rate it could not measure is null)",
                code="lab_run_metrics_must_be_complete",
            )


def strategy_order(runs: Iterable[Mapping[str, Any]], settings: Mapping[str, Any]) -> list[str]:
    """The strategies that ran: in the settings' order, then any other in run order."""
    ran: list[str] = []
    for run in runs:
        if run["strategy"] not in ran:
            ran.append(run["strategy"])
    listed = [s for s in settings.get("strategies", []) if s in ran]
    return listed + [s for s in ran if s not in listed]


def seed_order(runs: Iterable[Mapping[str, Any]], settings: Mapping[str, Any]) -> list[int]:
    """The seeds that ran: in the settings' order, then any other ascending."""
    ran = {int(run["seed"]) for run in runs}
    listed = [int(s) for s in settings.get("seeds", []) if int(s) in ran]
    return listed + sorted(ran - set(listed))


# --- spread ------------------------------------------------------------------------------


def spread(values: Sequence[Decimal | float | int | None], places: int = 4) -> dict[str, Any]:
    """Mean, sample standard deviation, minimum, maximum and every value, as floats
    rounded to ``places``; unmeasured values (None) are left out, and with nothing
    measured every figure is None.

    >>> spread([Decimal("1"), Decimal("2"), Decimal("3")])
    {'mean': 2.0, 'sd': 1.0, 'min': 1.0, 'max': 3.0, 'values': [1.0, 2.0, 3.0], 'n': 3}
    """
    measured = [
        Decimal(str(v)) if isinstance(v, float) else Decimal(v) for v in values if v is not None
    ]
    shown = [None if v is None else round(float(v), places) for v in values]
    if not measured:
        return {"mean": None, "sd": None, "min": None, "max": None, "values": shown, "n": 0}
    mean = sum(measured, Decimal(0)) / len(measured)
    sd = statistics.stdev(measured) if len(measured) > 1 else Decimal(0)
    return {
        "mean": round(float(mean), places),
        "sd": round(float(sd), places),
        "min": round(float(min(measured)), places),
        "max": round(float(max(measured)), places),
        "values": shown,
        "n": len(measured),
    }


def _mean_amount(values: Sequence[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, ROUND_HALF_EVEN)


def _metric_values(runs: Sequence[Mapping[str, Any]], metric: str) -> list[Any]:
    out: list[Any] = []
    for run in runs:
        value = run["metrics"][metric]
        where = f"{run['strategy']} seed {run['seed']} {metric}"
        if metric in AMOUNTS:
            out.append(decimal_amount(value, where))
        elif value is None and metric in OPTIONAL_RATES:
            out.append(None)
        elif metric in COUNTS:
            out.append(int(value))
        else:
            out.append(float(value))
    return out


def _headline(metric: str, values: list[Any]) -> Any:
    measured = [v for v in values if v is not None]
    if metric in AMOUNTS:
        return str(_mean_amount(measured))
    if metric in COUNTS:
        mean = Decimal(sum(measured)) / len(measured)
        return int(mean.quantize(Decimal(1), ROUND_HALF_EVEN))
    if not measured:
        return None
    return round(float(sum(Decimal(str(v)) for v in measured) / len(measured)), 4)


def _nested_spread(
    runs: Sequence[Mapping[str, Any]], key: str, names: Iterable[str] = ()
) -> dict[str, Any]:
    """The spread of each entry of a per-run mapping (denials by rule, roll rates); an
    entry a run does not name counts as 0 for counts and as unmeasured for rates."""
    found = list(names)
    for run in runs:
        found += [k for k in run.get(key, {}) if k not in found]
    counts = key == "denials_by_rule"
    return {
        name: spread([run.get(key, {}).get(name, 0 if counts else None) for run in runs])
        for name in found
    }


def strategy_summary(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One strategy's headline figures (means over its runs) and their spreads."""
    out: dict[str, Any] = {}
    spreads: dict[str, Any] = {}
    for metric in METRICS:
        values = _metric_values(runs, metric)
        out[metric] = _headline(metric, values)
        spreads[metric] = spread(values, 2 if metric in AMOUNTS else 4)
    out["spread"] = spreads
    out["seeds"] = [int(run["seed"]) for run in runs]
    out["denials_by_rule"] = _nested_spread(runs, "denials_by_rule")
    out["roll_rates"] = _nested_spread(runs, "roll_rates", ROLLS)
    return out


# --- the document ------------------------------------------------------------------------


def summarise(
    runs: list[dict[str, Any]],
    settings: dict[str, Any],
    stories: list[dict[str, Any]],
    sensitivity: dict[str, Any] | None,
) -> dict[str, Any]:
    """The result document (``dunwell.simulate/1``) from the runs and what surrounds
    them; the inputs are not changed."""
    _check_runs(runs)
    names = strategy_order(runs, settings)
    seeds = seed_order(runs, settings)
    rank = {(n, s): (i, j) for i, n in enumerate(names) for j, s in enumerate(seeds)}
    ordered = sorted(runs, key=lambda r: rank[(r["strategy"], int(r["seed"]))])
    strategies = {
        name: strategy_summary([r for r in ordered if r["strategy"] == name]) for name in names
    }
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "settings": dict(settings),
        "strategies": strategies,
        "runs": ordered,
        "comparison": comparison(ordered, seeds),
        "stories": list(stories),
    }
    if sensitivity is not None:
        sens = dict(sensitivity)
        sens.setdefault("robust", robust(sens.get("rows", [])))
        doc["sensitivity"] = sens
    return doc
