"""Monitoring the front door: how the applications decided, and the loans lent, fare
by risk grade and vintage (the calendar month of the decision or the drawdown), and
whether today's applicants still look like the population the model was built on.

Rates are counts over counts (:class:`Rate`), shown in basis points rounded down:

- **approval rate** — approved applications over applications decided;
- **default rate** — loans that defaulted over loans lent;
- **early-delinquency rate** — loans that reached ``early_dpd_min`` days past due
  within their first months on the book (the shell supplies each loan's worst days
  past due over the window it chooses, three months by convention) over loans lent.

A cohort's grade is the decision's (``-`` for a declined application with none);
each vintage also has an ``all`` row. **Population stability** reuses
:mod:`dunwell.risk.monitor`: each application feature's PSI against the model's
training distribution (:class:`~dunwell.risk.monitor.Reference`), or against a
reference built here from a baseline set of applications (:func:`reference_from_rows`)
when the model (the built-in scorecard) brings none. Below 0.1 stable, 0.1–0.25 a
moderate shift, above a major one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dunwell.origination.model import Outcome
from dunwell.risk.model import Kind

if TYPE_CHECKING:  # NumPy and the PSI code are imported by the functions that bin rows,
    # so the rows' shapes (which the store imports) come without them
    import numpy as np

    from dunwell.risk.monitor import Distribution, Drift, Reference

    Array = np.ndarray[Any, Any]

BPS = 10_000
ALL = "all"
NO_GRADE = "-"
#: Days past due that count as early delinquency, by convention.
EARLY_DPD_MIN = 30


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    decided_on: dt.date
    grade: str | None
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class LoanRow:
    disbursed_on: dt.date
    grade: str
    worst_dpd_early: int  # the worst days past due in its first months on the book
    defaulted: bool


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    of: int

    @property
    def bps(self) -> int | None:
        return None if self.of == 0 else self.count * BPS // self.of


@dataclass(frozen=True, slots=True)
class Cohort:
    vintage: dt.date  # the month's 1st
    grade: str
    approval: Rate
    default: Rate
    early_delinquency: Rate


def vintage_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


@dataclass
class _Counts:
    decided: int = 0
    approved: int = 0
    lent: int = 0
    defaulted: int = 0
    early: int = 0


def front_door(applications: Iterable[ApplicationRow], loans: Iterable[LoanRow], *,
               early_dpd_min: int = EARLY_DPD_MIN) -> tuple[Cohort, ...]:
    """Rates by vintage and grade, each vintage's ``all`` row after its grades."""
    counts: dict[tuple[dt.date, str], _Counts] = {}

    def bump(day: dt.date, grade: str) -> list[_Counts]:
        v = vintage_of(day)
        return [counts.setdefault((v, grade), _Counts()), counts.setdefault((v, ALL), _Counts())]

    for a in applications:
        for c in bump(a.decided_on, a.grade or NO_GRADE):
            c.decided += 1
            c.approved += a.outcome is Outcome.APPROVE
    for loan in loans:
        for c in bump(loan.disbursed_on, loan.grade):
            c.lent += 1
            c.defaulted += loan.defaulted
            c.early += loan.worst_dpd_early >= early_dpd_min
    keys = sorted(counts, key=lambda k: (k[0], k[1] == ALL, k[1]))
    return tuple(_cohort(v, g, counts[(v, g)]) for v, g in keys)


def _cohort(vintage: dt.date, grade: str, c: _Counts) -> Cohort:
    return Cohort(vintage, grade, Rate(c.approved, c.decided), Rate(c.defaulted, c.lent),
                  Rate(c.early, c.lent))


# --- population stability --------------------------------------------------------------

def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def column(rows: Sequence[Mapping[str, object]], name: str, kind: Kind) -> Array:
    """One feature of ``rows`` as the array :mod:`dunwell.risk.monitor` bins: numbers
    (NaN when missing) or categories (None when missing)."""
    import numpy as np

    if kind is Kind.NUMERIC:
        return np.array([_number(r.get(name)) for r in rows], dtype=np.float64)
    return np.array([None if r.get(name) is None else str(r.get(name)) for r in rows],
                    dtype=object)


def kind_of(values: Iterable[object]) -> Kind:
    """Numeric when every present value is a number, else categorical."""
    present = [v for v in values if v is not None]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
    return Kind.NUMERIC if numeric else Kind.CATEGORICAL


def reference_from_rows(rows: Sequence[Mapping[str, object]],
                        scores: Sequence[float] = ()) -> Reference:
    """A reference distribution from a baseline set of application feature rows."""
    import numpy as np

    from dunwell.risk.monitor import Reference, distribution_of

    names = sorted({k for r in rows for k in r})
    features = {}
    for name in names:
        kind = kind_of(r.get(name) for r in rows)
        features[name] = distribution_of(column(rows, name, kind), kind)
    score = distribution_of(np.array(list(scores), dtype=np.float64), Kind.NUMERIC)
    return Reference(features=features, score=score)


def application_drift(reference: Reference, rows: Sequence[Mapping[str, object]],
                      scores: Sequence[float] | None = None) -> list[Drift]:
    """PSI of each feature the reference knows (largest first), the score's first when
    ``scores`` are given."""
    import numpy as np

    from dunwell.risk.monitor import drift_of

    drifts = [drift_of(name, dist, column(rows, name, dist.kind))
              for name, dist in reference.features.items()]
    drifts.sort(key=lambda d: -d.psi)
    if scores is not None:
        score: Distribution = reference.score
        drifts.insert(0, drift_of("score", score, np.array(list(scores), dtype=np.float64)))
    return drifts
