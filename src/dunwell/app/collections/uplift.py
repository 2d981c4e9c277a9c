"""ML-prioritised collection: learn from a book's own history who pays because of
which action, and choose each day's actions under a contact budget.

Train from a finished book and use the policy in the collection run::

    from dunwell.app.collections.uplift import (
        Budget, UpliftPolicy, load_policy, save_policy, train_uplift_policy)

    policy = train_uplift_policy(app, seed=7, budget=Budget(contacts=400))
    save_policy(policy, Path("policies/uplift"))          # optional: a vN directory
    collect_day(app, day, now=now, experiment=Experiment(champion="ml"), policy=policy)
    # or for every day of a run: DayOptions(experiment=Experiment(champion="ml"),
    #                                       policy=policy)

Cases on the ``ml`` strategy (``collections/strategies/ml.yaml``, the full menu) get
at most one of the menu's actions a day — the one whose expected value (overdue
amount × uplift) is worth its contact cost, least intrusive on near-ties, best value
per unit cost first until the day's budget is spent (:mod:`dunwell.collections.
prioritise`) — plus their required steps (internal ones such as the legal review,
and the care segment's). The compliance guard then decides each chosen step exactly
as for any strategy. Every decision is an action row: the chosen step with the
policy's reason before the guard's, or — for a case that gets nothing — one
``withheld`` row naming the best candidate and why it was not worth it.

**Exploration** keeps uplift learnable without confounding (the ladder decides who
gets what by days past due, so a history run by a ladder alone says little about
what else would have worked): ``UpliftPolicy.exploring(seed=…)`` has no model and
gives every ``ml`` case a randomised arm each day (``none`` among them), and a
trained policy with ``explore_pct`` does so for that share of case-days. The arm is
drawn by SHA-256 of the seed, case and day (no random generator), and its rows say
``ml <version> explore:`` so training and evaluation can tell them apart. The strategy lab runs
such a history on its own seed, trains on it with :func:`train_uplift_policy`, and
compares the trained policy (strategy ``ml``) with the ladders on the same borrowers.
"""

# float-ok: probabilities, not money

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dunwell.app.collections.run_report import CollectReport
from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.collections.model import CaseView, PromiseStatus, ProposedStep
from dunwell.collections.prioritise import Budget, Candidate, Selection, choose
from dunwell.core.errors import InvalidInput
from dunwell.risk.uplift import (
    ARM_OF_KIND,
    ARMS,
    MIN_ROWS,
    NONE,
    CaseState,
    Contact,
    UpliftModel,
    evaluate,
    features,
    fit_uplift,
    holdout,
)
from dunwell.store.borrowers_repo import BorrowerProfile
from dunwell.store.uplift_files import open_version, save_version

if TYPE_CHECKING:
    from dunwell.app.collections.collect import DayFacts

__all__ = [
    "DEFAULT_COSTS",
    "Budget",
    "PolicyCase",
    "TrainingSet",
    "UpliftPolicy",
    "load_policy",
    "save_policy",
    "train_uplift_policy",
    "training_set",
]

#: Contact cost per arm in minor units (assumptions: an in-app message or SMS costs
#: cents, a letter printing and postage, a call a collector's ten minutes, a plan
#: offer a longer call, a visit an agent's trip). Pass your own to the policy.
DEFAULT_COSTS: Final = {
    "help": 5,
    "reminder": 5,
    "letter": 300,
    "offer": 800,
    "call": 500,
    "visit": 5_000,
}
#: Segments of the menu strategy whose steps are kept whatever their uplift.
REQUIRED_SEGMENTS: Final = frozenset({"care"})
#: What the reason of a randomised (exploration) decision says after the policy's name.
EXPLORE_TAG: Final = " explore: "
HORIZON_DAYS_DEFAULT: Final = 7
PAYMENT_LOOKBACK_DAYS: Final = 31

Pending = tuple[int, BorrowerProfile, CaseView | None, list[ProposedStep]]
Decided = tuple[int, BorrowerProfile, CaseView | None, ProposedStep, str | None]


@dataclass(frozen=True)
class PolicyCase:
    """One case the policy chooses for: its key, its state, the amount at stake and
    the day's proposals (the menu strategy's)."""

    key: str
    state: CaseState
    at_stake_minor: int
    steps: Sequence[ProposedStep]
    required: frozenset[int] = frozenset()  # indexes of steps kept whatever


@dataclass(frozen=True)
class UpliftPolicy:
    """A trained uplift model (or none: exploration only) and how it is used."""

    model: UpliftModel | None
    budget: Budget = field(default_factory=Budget)
    costs: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_COSTS))
    explore_pct: int = 0
    seed: int = 0
    tie_pct: int = 10
    version: str = "unsaved"
    report: Mapping[str, Any] = field(default_factory=dict)
    strategy: str = "ml"

    def __post_init__(self) -> None:
        if not 0 <= self.explore_pct <= 100:
            raise InvalidInput(
                f"the exploration share must be 0..100 %, got {self.explore_pct}",
                code="explore_share_must_be_a_percentage",
            )

    @staticmethod
    def exploring(
        *, seed: int, budget: Budget | None = None, costs: Mapping[str, int] | None = None
    ) -> UpliftPolicy:
        """No model: every ``ml`` case gets a randomised arm each day (a history to
        learn from)."""
        return UpliftPolicy(
            None,
            budget or Budget(),
            dict(costs or DEFAULT_COSTS),
            explore_pct=100,
            seed=seed,
            version="untrained",
        )

    def with_options(
        self,
        *,
        budget: Budget | None = None,
        explore_pct: int | None = None,
        seed: int | None = None,
    ) -> UpliftPolicy:
        return replace(
            self,
            budget=budget if budget is not None else self.budget,
            explore_pct=self.explore_pct if explore_pct is None else explore_pct,
            seed=self.seed if seed is None else seed,
        )

    @property
    def label(self) -> str:
        return f"{self.strategy} uplift {self.version}"

    # -- choosing ---------------------------------------------------------------

    def explores(self, key: str, today: dt.date) -> bool:
        share = 100 if self.model is None else self.explore_pct
        return _bucket(self.seed, "explore", key, today) < share * 100

    def choose(self, cases: Sequence[PolicyCase], today: dt.date, *, currency: str) -> Selection:
        """The day's choice for ``cases`` (candidates' ``ref`` = index of the step in
        the case's ``steps``; ``case_key`` = the case's key)."""
        lift = self._uplift(cases, today)
        candidates: list[Candidate] = []
        explore: dict[str, str] = {}
        for i, case in enumerate(cases):
            arms_here: list[str] = []
            for j, step in enumerate(case.steps):
                arm = ARM_OF_KIND.get(step.kind.value)
                if step.channel is None or arm is None or j in case.required:
                    candidates.append(
                        Candidate(
                            case.key,
                            arm or "internal",
                            0,
                            0,
                            contact=step.channel is not None,
                            required=True,
                            ref=j,
                        )
                    )
                    continue
                if arm in arms_here:
                    continue
                arms_here.append(arm)
                bps = round(float(lift[arm][i]) * 10_000) if arm in lift else 0
                if arm not in lift and not self.explores(case.key, today):
                    continue  # no model for this arm: too little history
                candidates.append(
                    Candidate(
                        case.key,
                        arm,
                        case.at_stake_minor * bps // 10_000,
                        int(self.costs.get(arm, 0)),
                        bps,
                        ref=j,
                    )
                )
            if arms_here and self.explores(case.key, today):
                menu = [NONE, *arms_here]
                explore[case.key] = menu[_bucket(self.seed, "arm", case.key, today) % len(menu)]
        selection = choose(
            candidates, self.budget, currency=currency, explore=explore, tie_pct=self.tie_pct
        )
        for case in cases:
            if not any(k == case.key for k, _ in selection.why) and case.key not in (
                selection.withheld
            ):
                selection.withheld[case.key] = (
                    "nothing today: none of the menu's actions has a model yet (too little "
                    "history for them)"
                )
        return selection

    def _uplift(self, cases: Sequence[PolicyCase], today: dt.date) -> dict[str, Any]:
        if self.model is None or not cases:
            return {}
        return self.model.uplift(self.model.matrix([c.state for c in cases], today))

    # -- in the collection run -------------------------------------------------

    def plan(
        self, uow: UnitOfWork, day: DayFacts, pending: Sequence[Pending], report: CollectReport
    ) -> list[Decided]:
        """The steps of the day's run to pass to the guard, each with the policy's
        note for steps of its strategy (None for others, which pass unchanged); a
        case the policy gives nothing gets one ``withheld`` action row saying why."""
        from dunwell.app.collections.collect import _action_row

        out: list[Decided] = []
        mine: list[tuple[Pending, PolicyCase]] = []
        ids = [p[0] for p in pending if _is_mine(p, self.strategy)]
        paid = (
            uow.uplift.payments(
                ids, since=day.business_date - dt.timedelta(days=PAYMENT_LOOKBACK_DAYS)
            )
            if ids
            else {}
        )
        for item in pending:
            bid, profile, case, steps = item
            if not _is_mine(item, self.strategy):
                out.extend((bid, profile, case, s, None) for s in steps)
                continue
            assert case is not None  # _is_mine
            mine.append((item, _policy_case(day, bid, profile, case, steps, paid.get(bid, []))))
        selection = self.choose([pc for _, pc in mine], day.business_date, currency=day.currency)
        for (bid, profile, case, steps), pc in mine:
            assert case is not None  # _is_mine
            explored = self.explores(pc.key, day.business_date)
            tag = f"{self.strategy} {self.version}{' explore' if explored else ''}"
            chosen = [j for j in range(len(steps)) if (pc.key, j) in selection.why]
            for j in chosen:
                out.append(
                    (
                        bid,
                        profile,
                        case,
                        steps[j],
                        f"{tag}: {selection.why[(pc.key, j)]}",
                    )
                )
            if pc.key in selection.withheld:
                step = next(
                    (
                        s
                        for j, s in enumerate(steps)
                        if j not in pc.required and s.channel is not None
                    ),
                    steps[0],
                )
                row = _action_row(step, None, bid, day.business_date, case.variant)
                uow.actions.add(
                    {
                        **row,
                        "decision": "withheld",
                        "status": "withheld",
                        "reason": f"{tag}: {selection.withheld[pc.key]}",
                    }
                )
                report.decisions[(step.kind.value, "withheld")] += 1
        return out


def _is_mine(item: Pending, strategy: str) -> bool:
    _, _, case, steps = item
    return (
        case is not None
        and case.status.is_active
        and bool(steps)
        and all(s.strategy_name == strategy for s in steps)
    )


def _bucket(seed: int, what: str, key: str, today: dt.date) -> int:
    digest = hashlib.sha256(f"{seed}\x1f{what}\x1f{key}\x1f{today}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000


def _policy_case(
    day: DayFacts,
    bid: int,
    profile: BorrowerProfile,
    case: CaseView,
    steps: Sequence[ProposedStep],
    payments: Sequence[tuple[int, dt.date, int]],
) -> PolicyCase:
    loans = day.facts.get(bid, [])
    overdue = sum(ln.overdue_minor for ln in loans)
    promise = case.open_promise
    state = CaseState(
        dpd=case.max_days_past_due,
        overdue_minor=overdue,
        outstanding_minor=sum(ln.outstanding_minor for ln in loans),
        payments=tuple((d, a) for _, d, a in payments if d < day.business_date),
        contacts=tuple(
            Contact(e.ts.date(), e.channel.value, e.direction.value, e.outcome.value)
            for e in day.contacts.get(bid, [])
        ),
        broken_promises=case.broken_promises,
        pending_promise=promise is not None and promise.status is PromiseStatus.PENDING,
        flags=frozenset(f.value for f in profile.borrower.flags),
        language=profile.borrower.language or "",
    )
    required = frozenset(j for j, s in enumerate(steps) if s.segment_id in REQUIRED_SEGMENTS)
    return PolicyCase(case.case_id, state, overdue, steps, required)


# -- the training set -----------------------------------------------------------


@dataclass(frozen=True)
class TrainingSet:
    """One row per active case-day of the history: features, the arm the case got
    that day (its most intrusive allowed step, or ``none``), whether the borrower
    paid within the horizon, the borrower (hold-out key), the day, and whether the
    arm was randomised (exploration)."""

    x: np.ndarray[Any, Any]
    arms: list[str]
    y: np.ndarray[Any, Any]
    keys: list[str]
    days: list[dt.date]
    explored: np.ndarray[Any, Any]
    languages: tuple[str, ...]
    horizon_days: int


def _loan_state(
    schedule: Sequence[tuple[dt.date, int]], paid_before: int, day: dt.date
) -> tuple[int, int, int]:
    """(days past due, overdue, outstanding) of one loan on ``day``, paying its
    instalments oldest first with what was paid before ``day`` (penalties and
    restructuring left out)."""
    left, dpd, overdue, outstanding = paid_before, 0, 0, 0
    for due, amount in schedule:
        covered = min(left, amount)
        left -= covered
        unpaid = amount - covered
        outstanding += unpaid
        if due < day and unpaid > 0:
            overdue += unpaid
            dpd = max(dpd, (day - due).days)
    return dpd, overdue, outstanding


def _arm_of_day(rows: Sequence[tuple[str, str, str, str]]) -> tuple[str, bool]:
    """The most intrusive arm allowed among one case-day's steps, and whether the
    policy randomised it."""
    explored = any(EXPLORE_TAG in r[3].split(";")[0] for r in rows)
    arms = [
        ARM_OF_KIND[k]
        for k, dc, st, _ in rows
        if dc == "allow" and st != "held" and k in ARM_OF_KIND
    ]
    return (max(arms, key=ARMS.index) if arms else NONE), explored


def _index(
    actions: Sequence[tuple[int, dt.date, str, str, str, str]],
    contacts: Sequence[tuple[int, dt.date, str, str, str]],
    promises: Sequence[tuple[str, dt.date, str, dt.date | None]],
) -> tuple[
    dict[tuple[int, dt.date], list[tuple[str, str, str, str]]],
    dict[int, list[Contact]],
    dict[str, list[tuple[dt.date, str, dt.date | None]]],
]:
    """The history by borrower-day (steps), borrower (contacts) and case (promises)."""
    by_day: dict[tuple[int, dt.date], list[tuple[str, str, str, str]]] = defaultdict(list)
    for b, d, k, dc, st, why in actions:
        by_day[(b, d)].append((k, dc, st, why))
    talks: dict[int, list[Contact]] = defaultdict(list)
    for b, d, ch, di, oc in contacts:
        talks[b].append(Contact(d, ch, di, oc))
    case_promises: dict[str, list[tuple[dt.date, str, dt.date | None]]] = defaultdict(list)
    for k, created, status, resolved in promises:
        case_promises[k].append((created, status, resolved))
    return by_day, talks, case_promises


def training_set(app: Dunwell, *, horizon_days: int = HORIZON_DAYS_DEFAULT) -> TrainingSet:
    """The rows of every active case-day whose horizon has passed, from the book's
    cases, steps, contacts, promises, payments and schedules."""
    with app.uow() as uow:
        h = uow.uplift
        runs, cases, actions = h.run_dates(), h.cases(), h.case_actions()
        promises, contacts = h.promises(), h.contacts()
        payments, schedules = h.payments(), h.schedules()
        profiles = uow.borrowers.many(sorted({b for _, b, _, _ in cases}))
    if not runs:
        raise InvalidInput(
            "the book has no collection runs to learn from; run some days "
            "first (`dunwell day run`)",
            code="uplift_history_must_not_be_empty",
        )
    last = runs[-1]
    by_day, talks, case_promises = _index(actions, contacts, promises)
    languages = tuple(sorted({p.borrower.language or "" for p in profiles.values()}))
    rows: list[list[float]] = []
    arms: list[str] = []
    y: list[int] = []
    keys: list[str] = []
    days: list[dt.date] = []
    explored: list[bool] = []
    for case_id, bid, opened, closed in cases:
        profile = profiles.get(bid)
        pays = payments.get(bid, [])
        for day in runs:
            if day < opened or (closed is not None and day >= closed):
                continue
            if day + dt.timedelta(days=horizon_days - 1) > last:
                break
            state = _state_on(
                day, profile, schedules.get(bid, {}), pays, talks[bid], case_promises[case_id]
            )
            if state.overdue_minor <= 0:
                continue
            arm, was_explored = _arm_of_day(by_day.get((bid, day), []))
            end = day + dt.timedelta(days=horizon_days)
            rows.append(features(state, day, languages))
            arms.append(arm)
            y.append(int(any(day <= d < end for _, d, _ in pays)))
            keys.append(str(bid))
            days.append(day)
            explored.append(was_explored)
    if not rows:
        raise InvalidInput(
            f"the book has no overdue case-day with {horizon_days} days of history after it "
            "to learn from; run more days first (`dunwell day run`)",
            code="uplift_history_must_have_overdue_case_days",
        )
    x = np.array(rows, dtype=np.float64).reshape(len(rows), -1)
    return TrainingSet(
        x,
        arms,
        np.array(y, dtype=np.float64),
        keys,
        days,
        np.array(explored, dtype=bool),
        languages,
        horizon_days,
    )


def _state_on(
    day: dt.date,
    profile: BorrowerProfile | None,
    loans: Mapping[int, list[tuple[dt.date, int]]],
    pays: Sequence[tuple[int, dt.date, int]],
    talks: Sequence[Contact],
    promises: Sequence[tuple[dt.date, str, dt.date | None]],
) -> CaseState:
    dpd = overdue = outstanding = 0
    for loan, schedule in loans.items():
        before = sum(a for ln, d, a in pays if ln == loan and d < day)
        ld, lo, lt = _loan_state(schedule, before, day)
        dpd, overdue, outstanding = max(dpd, ld), overdue + lo, outstanding + lt
    return CaseState(
        dpd=dpd,
        overdue_minor=overdue,
        outstanding_minor=outstanding,
        payments=tuple((d, a) for _, d, a in pays if d < day),
        contacts=tuple(c for c in talks if c.on < day),
        broken_promises=sum(
            1 for _, s, r in promises if s == "broken" and r is not None and r < day
        ),
        pending_promise=any(c < day and (r is None or r >= day) for c, _, r in promises),
        flags=frozenset(f.value for f in profile.borrower.flags) if profile else frozenset(),
        language=(profile.borrower.language or "") if profile else "",
    )


# -- training, saving, loading ---------------------------------------------------


def train_uplift_policy(
    app: Dunwell,
    *,
    seed: int = 0,
    budget: Budget | None = None,
    horizon_days: int = HORIZON_DAYS_DEFAULT,
    holdout_pct: int = 20,
    costs: Mapping[str, int] | None = None,
    explore_pct: int = 0,
    tie_pct: int = 10,
    min_rows: int = MIN_ROWS,
) -> UpliftPolicy:
    """Train on the book's own history: a T-learner on the case-days of the borrowers
    outside the hold-out, evaluated (Qini per arm against ``none``) on the
    ``holdout_pct`` % of borrowers kept out — on their randomised case-days when the
    history has some, else on all of theirs."""
    data = training_set(app, horizon_days=horizon_days)
    test = holdout(data.keys, holdout_pct, seed)
    train = ~test
    arms = np.asarray(data.arms)
    model = fit_uplift(
        data.x[train],
        list(arms[train]),
        data.y[train],
        languages=data.languages,
        horizon_days=horizon_days,
        seed=seed,
        min_rows=min_rows,
    )
    judged = test & data.explored if (test & data.explored).sum() >= 100 else test
    qini = evaluate(model, data.x[judged], list(arms[judged]), data.y[judged])
    report = {
        "rows": len(data.arms),
        "train_rows": int(train.sum()),
        "holdout_rows": int(judged.sum()),
        "evaluated_on": "randomised case-days" if judged is not test else "all case-days",
        "explored_rows": int(data.explored.sum()),
        "horizon_days": horizon_days,
        "pay_rate": round(float(data.y.mean()), 4) if len(data.y) else 0.0,
        "arms": {a: int((arms == a).sum()) for a in ARMS},
        "skipped_arms": model.meta.get("skipped_arms", {}),
        "qini": [q.to_json() for q in qini],
        "seed": seed,
    }
    return UpliftPolicy(
        model,
        budget or Budget(),
        dict(costs or DEFAULT_COSTS),
        explore_pct=explore_pct,
        seed=seed,
        tie_pct=tie_pct,
        report=report,
    )


def save_policy(
    policy: UpliftPolicy, directory: Path, *, created_at: str | None = None
) -> UpliftPolicy:
    """Write the policy as a new version of ``directory``; returns it named so."""
    if policy.model is None:
        raise InvalidInput(
            "an exploring policy has no model to save; train one first",
            code="uplift_policy_must_have_a_model",
        )
    doc = {
        "budget": {"contacts": policy.budget.contacts, "cost_minor": policy.budget.cost_minor},
        "costs": dict(policy.costs),
        "explore_pct": policy.explore_pct,
        "seed": policy.seed,
        "tie_pct": policy.tie_pct,
        "strategy": policy.strategy,
        "created_at": created_at,
        "report": dict(policy.report),
    }
    files = {
        **policy.model.to_files(),
        "policy.json": json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
    }
    version = save_version(
        directory, files, {"created_at": created_at, "qini": policy.report.get("qini")}
    )
    return replace(policy, version=version)


def load_policy(directory: Path, version: str | None = None) -> UpliftPolicy:
    """A saved policy (default: the latest version), every file checked."""
    name, read = open_version(directory, version)
    doc = json.loads(read("policy.json"))
    budget = Budget(doc["budget"]["contacts"], doc["budget"]["cost_minor"])
    return UpliftPolicy(
        UpliftModel.from_files(read),
        budget,
        dict(doc["costs"]),
        explore_pct=int(doc["explore_pct"]),
        seed=int(doc["seed"]),
        tie_pct=int(doc["tie_pct"]),
        version=name,
        report=dict(doc.get("report", {})),
        strategy=str(doc["strategy"]),
    )
