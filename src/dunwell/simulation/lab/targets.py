"""The issue's targets for the strategy lab, and how each is measured on two
strategies' figures: per seed, on their exact means over the seeds both ran, and at a
sensitivity point. Amounts are compared as ``Decimal``; ``met`` is decided on the exact
figures, and rounded to four places only for the document. See ``summary`` for the
document these rows go into."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from dunwell.core.errors import InvalidInput

#: The metrics that are amounts (decimal strings in major units).
AMOUNTS = ("recovered", "cost")
CENT = Decimal("0.01")


def decimal_amount(value: Any, where: str) -> Decimal:
    """An amount given as a decimal string (or int), as a Decimal; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(
            f'{where} is {value!r}; give amounts as decimal strings such as "1234.56"',
            code="lab_amount_must_be_a_decimal_string",
        )
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise InvalidInput(
            f"{where} is {value!r}, which is not a number",
            code="lab_amount_must_be_a_decimal_string",
        )
    return amount


@dataclass(frozen=True, slots=True)
class Target:
    """One of the issue's targets: ``subject`` against ``baseline`` on ``measure``."""

    name: str
    target: str
    subject: str
    baseline: str
    metric: str
    threshold: Decimal
    #: ``(subject, baseline) -> measured`` (None when the baseline is zero)
    measure: Callable[[Decimal, Decimal], Decimal | None]
    #: measured passes when ``>= threshold`` (True) or ``<= threshold`` (False)
    at_least: bool
    explains: str


def _change(subject: Decimal, baseline: Decimal) -> Decimal | None:
    """How much more the subject has than the baseline, as a share of the baseline."""
    return None if baseline == 0 else subject / baseline - 1


def _fewer(subject: Decimal, baseline: Decimal) -> Decimal | None:
    """How much less the subject has than the baseline, as a share of the baseline."""
    return None if baseline == 0 else 1 - subject / baseline


TARGETS: tuple[Target, ...] = (
    Target(
        "humane_vs_aggressive_recovery",
        "within 2 %",
        "humane",
        "aggressive",
        "recovered",
        Decimal("-0.02"),
        _change,
        True,
        "humane's recovery relative to aggressive's (-0.01 is 1 % less); met when it "
        "is at most 2 % below",
    ),
    Target(
        "humane_fewer_contacts",
        ">= 30 % fewer",
        "humane",
        "aggressive",
        "contacts",
        Decimal("0.30"),
        _fewer,
        True,
        "share of aggressive's contacts humane did without",
    ),
    Target(
        "humane_fewer_complaints",
        ">= 50 % fewer",
        "humane",
        "aggressive",
        "complaints",
        Decimal("0.50"),
        _fewer,
        True,
        "share of aggressive's complaints humane did without",
    ),
    Target(
        "ml_more_recovery_than_humane",
        ">= 8 % more",
        "ml",
        "humane",
        "recovered",
        Decimal("0.08"),
        _change,
        True,
        "ml's recovery relative to humane's (0.08 is 8 % more)",
    ),
    Target(
        "ml_contact_cost_vs_humane",
        "<= humane",
        "ml",
        "humane",
        "cost",
        Decimal("0"),
        _change,
        False,
        "ml's contact cost relative to humane's (0 is equal, -0.1 is 10 % cheaper)",
    ),
)
TARGETS_BY_NAME = {t.name: t for t in TARGETS}


def _figure(metrics: Mapping[str, Any], metric: str) -> Decimal:
    if metric in AMOUNTS:
        return decimal_amount(metrics[metric], metric)
    return Decimal(metrics[metric])


def _passes(target: Target, measured: Decimal | None) -> bool:
    if measured is None:
        return False
    return measured >= target.threshold if target.at_least else measured <= target.threshold


def _rounded(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 4)


def measure(
    target: Target, subject: Mapping[str, Any], baseline: Mapping[str, Any]
) -> tuple[Decimal | None, bool]:
    """The target measured on one pair of figures, and whether it holds there."""
    measured = target.measure(_figure(subject, target.metric), _figure(baseline, target.metric))
    return measured, _passes(target, measured)


def _mean_figure(runs: Sequence[Mapping[str, Any]], metric: str) -> Decimal:
    """The exact mean of a metric over runs (amounts as Decimal, never float)."""
    values = [_figure(run, metric) for run in runs]
    return sum(values, Decimal(0)) / len(values)


def compare(
    target: Target, runs: Sequence[Mapping[str, Any]], seeds: Sequence[int]
) -> dict[str, Any] | None:
    """One row of ``comparison``: the target on each seed both strategies ran, and on
    their exact means over those seeds; None when they share no seed."""
    by_key = {(r["strategy"], int(r["seed"])): r["metrics"] for r in runs}
    paired = [s for s in seeds if (target.subject, s) in by_key and (target.baseline, s) in by_key]
    if not paired:
        return None
    per_seed = [
        measure(target, by_key[(target.subject, s)], by_key[(target.baseline, s)]) for s in paired
    ]
    subject = _mean_figure([by_key[(target.subject, s)] for s in paired], target.metric)
    baseline = _mean_figure([by_key[(target.baseline, s)] for s in paired], target.metric)
    on_mean = target.measure(subject, baseline)
    met_on_mean = _passes(target, on_mean)
    seeds_met = sum(1 for _, ok in per_seed if ok)
    return {
        "name": target.name,
        "target": target.target,
        "measured": _rounded(on_mean),
        "per_seed": [_rounded(m) for m, _ in per_seed],
        "seeds": paired,
        "met": met_on_mean and seeds_met == len(paired),
        "met_on_mean": met_on_mean,
        "seeds_met": seeds_met,
        "subject": target.subject,
        "baseline": target.baseline,
        "metric": target.metric,
        "threshold": float(target.threshold),
        "at_least": target.at_least,
        "explains": target.explains,
        "means": {
            target.subject: _shown(target.metric, subject),
            target.baseline: _shown(target.metric, baseline),
        },
    }


def _shown(metric: str, mean: Decimal) -> str | float:
    """A mean as the document shows it: an amount to the cent, a count to 4 places."""
    if metric in AMOUNTS:
        return str(mean.quantize(CENT, ROUND_HALF_EVEN))
    return round(float(mean), 4)


def comparison(runs: Sequence[Mapping[str, Any]], seeds: Sequence[int]) -> list[dict[str, Any]]:
    """Every target whose two strategies ran on a common seed, in ``TARGETS`` order."""
    rows = (compare(t, runs, seeds) for t in TARGETS)
    return [row for row in rows if row is not None]


def sensitivity_conclusions(strategies: Mapping[str, Mapping[str, Any]]) -> dict[str, bool]:
    """Whether each target holds for one set of strategy figures (a sensitivity point);
    targets whose strategies or figure are missing are left out."""
    out: dict[str, bool] = {}
    for t in TARGETS:
        a, b = strategies.get(t.subject), strategies.get(t.baseline)
        if a is None or b is None or t.metric not in a or t.metric not in b:
            continue
        out[t.name] = measure(t, a, b)[1]
    return out


def robust(rows: Sequence[Mapping[str, Any]]) -> dict[str, bool]:
    """Whether each conclusion holds at every sensitivity point that judged it."""
    out: dict[str, bool] = {}
    for row in rows:
        for name, holds in row.get("conclusions", {}).items():
            out[name] = out.get(name, True) and bool(holds)
    return out
