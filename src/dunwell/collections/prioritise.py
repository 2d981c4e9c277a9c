"""Choosing the day's collection actions under a contact budget, by expected uplift.

Each case brings its candidate actions for the day, each with an expected value —
the amount at stake × the action's uplift, the probability of payment it adds over
no contact — and a contact cost. :func:`choose` picks at most one action per case:

1. Candidates marked ``required`` (internal steps such as a legal review, legally
   required notices) are always kept, and use the budget they need.
2. Cases whose arm is fixed for exploration (a randomised share kept so uplift stays
   learnable without confounding) get that arm if it fits the budget; arm ``none``
   means nothing.
3. For every other case, its options are the candidates whose value exceeds their
   cost. The case's preferred option is the **least intrusive** one whose net value
   (value − cost) is within ``tie_pct`` % of the best option's (Abe et al., KDD 2010:
   the less intrusive action when it does about as well).
4. Cases are taken by the preferred option's net value per unit cost, highest first
   (ties: larger net value, then case key); a case whose preferred option no longer
   fits the budget gets its best option that does, or nothing.
5. A case with no option of positive net value gets nothing that day.

Pure: integers in minor units and basis points, no I/O; the same inputs always give
the same choice. Every decision comes with its reason, which the collection run
records with the action.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from dunwell.collections.errors import QueueInputRejected
from dunwell.core.money import format_minor
from dunwell.risk.uplift import INTRUSIVENESS, NONE

TIE_PCT_DEFAULT: Final = 10


@dataclass(frozen=True, slots=True)
class Candidate:
    """One action a case may get today: ``arm`` (see :data:`dunwell.risk.uplift.ARMS`),
    its expected value and cost in minor units, the uplift in basis points behind
    the value, and ``ref`` to find the proposal again."""

    case_key: str
    arm: str
    value_minor: int
    cost_minor: int
    uplift_bps: int = 0
    contact: bool = True
    required: bool = False
    ref: int = 0

    @property
    def net_minor(self) -> int:
        return self.value_minor - self.cost_minor

    @property
    def intrusiveness(self) -> int:
        return INTRUSIVENESS.get(self.arm, len(INTRUSIVENESS))


@dataclass(frozen=True, slots=True)
class Budget:
    """The day's limits: contacts (count) and contact cost (minor units); None is
    no limit on that measure."""

    contacts: int | None = None
    cost_minor: int | None = None

    def __post_init__(self) -> None:
        if (self.contacts is not None and self.contacts < 0) or (
            self.cost_minor is not None and self.cost_minor < 0
        ):
            raise QueueInputRejected(
                "a contact budget must be zero or more", code="contact_budget_must_not_be_negative"
            )


@dataclass
class Selection:
    """What :func:`choose` decided: the chosen candidates with the reason for each
    (``why``, by case key and ``ref``), the reason a case got nothing beyond its
    required steps (``withheld``), and the budget used."""

    chosen: list[Candidate] = field(default_factory=list)
    why: dict[tuple[str, int], str] = field(default_factory=dict)
    withheld: dict[str, str] = field(default_factory=dict)
    contacts: int = 0
    cost_minor: int = 0

    def fits(self, c: Candidate, budget: Budget) -> bool:
        more = 1 if c.contact else 0
        return (budget.contacts is None or self.contacts + more <= budget.contacts) and (
            budget.cost_minor is None or self.cost_minor + c.cost_minor <= budget.cost_minor
        )

    def take(self, c: Candidate, reason: str) -> None:
        self.chosen.append(c)
        self.contacts += 1 if c.contact else 0
        self.cost_minor += c.cost_minor
        self.why[(c.case_key, c.ref)] = reason

    def reason(self, case_key: str) -> str:
        """Why the case got what it got today (its optional choice, or nothing)."""
        if case_key in self.withheld:
            return self.withheld[case_key]
        mine = [r for (k, _), r in self.why.items() if k == case_key]
        return "; ".join(mine)


def describe(c: Candidate, currency: str) -> str:
    """``call: uplift +4.20 pp, value 51.83 vs cost 5.00``."""
    value, cost = format_minor(c.value_minor, currency), format_minor(c.cost_minor, currency)
    return f"{c.arm}: uplift {c.uplift_bps / 100:+.2f} pp, value {value} vs cost {cost}"


def preferred(options: Sequence[Candidate], tie_pct: int) -> Candidate:
    """The least intrusive option whose net value is within ``tie_pct`` % of the
    best (ties: lower cost, then arm)."""
    best = max(c.net_minor for c in options)
    close = [c for c in options if c.net_minor * 100 >= best * (100 - tie_pct)]
    return min(close, key=lambda c: (c.intrusiveness, c.cost_minor, c.arm))


def _efficiency(c: Candidate) -> tuple[int, int]:
    return (c.net_minor * 1_000_000 // max(1, c.cost_minor), c.net_minor)


def choose(
    candidates: Sequence[Candidate],
    budget: Budget,
    *,
    currency: str,
    explore: Mapping[str, str] | None = None,
    tie_pct: int = TIE_PCT_DEFAULT,
) -> Selection:
    """The day's actions under ``budget``; ``explore`` maps a case key to the arm it
    gets for exploration (``none``: nothing). See the module's rules."""
    if not 0 <= tie_pct < 100:
        raise QueueInputRejected(
            f"tie_pct must be 0..99, got {tie_pct}", code="tie_pct_must_be_a_percentage"
        )
    explore = explore or {}
    by_case: dict[str, list[Candidate]] = defaultdict(list)
    out = Selection()
    for c in candidates:
        if c.required:
            out.take(c, f"required step ({c.arm}); kept whatever its uplift")
        else:
            by_case[c.case_key].append(c)
    ranked: list[tuple[tuple[int, int], str, Candidate, list[Candidate]]] = []
    for key in sorted(by_case):
        options = by_case[key]
        if key in explore:
            _explore(out, key, explore[key], options, budget, currency)
            continue
        good = [c for c in options if c.net_minor > 0]
        if not good:
            best = max(options, key=lambda c: (c.net_minor, -c.intrusiveness))
            out.withheld[key] = (
                f"nothing today: no action is worth its cost (best {describe(best, currency)})"
            )
            continue
        pick = preferred(good, tie_pct)
        ranked.append((_efficiency(pick), key, pick, good))
    ranked.sort(key=lambda r: (-r[0][0], -r[0][1], r[1]))
    for _, key, pick, good in ranked:
        _take_best(out, key, pick, good, budget, currency, tie_pct)
    return out


def _take_best(
    out: Selection,
    key: str,
    pick: Candidate,
    good: list[Candidate],
    budget: Budget,
    currency: str,
    tie_pct: int,
) -> None:
    top = max(good, key=lambda c: (c.net_minor, -c.intrusiveness))
    if out.fits(pick, budget):
        why = f"chosen {describe(pick, currency)}"
        if pick.arm != top.arm:
            why += (
                f"; less intrusive than {top.arm} (net within {tie_pct} %: "
                f"{format_minor(top.net_minor, currency)})"
            )
        out.take(pick, why)
        return
    fitting = sorted(
        (c for c in good if out.fits(c, budget)),
        key=lambda c: (-c.net_minor, c.intrusiveness, c.arm),
    )
    if fitting:
        out.take(
            fitting[0],
            f"chosen {describe(fitting[0], currency)}; {pick.arm} did not fit the day's budget",
        )
        return
    out.withheld[key] = (
        f"nothing today: the day's budget is spent (best {describe(pick, currency)})"
    )


def _explore(
    out: Selection, key: str, arm: str, options: list[Candidate], budget: Budget, currency: str
) -> None:
    if arm == NONE:
        out.withheld[key] = "exploration: no contact today (randomised hold-out)"
        return
    match = [c for c in options if c.arm == arm]
    if match and out.fits(match[0], budget):
        out.take(match[0], f"exploration: randomised arm {describe(match[0], currency)}")
    else:
        out.withheld[key] = f"exploration: randomised arm {arm} did not fit the day's budget"
