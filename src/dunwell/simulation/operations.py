"""The sample book's working day beyond calls, as `dunwell demo` runs it inside the
day loop: the agents work the visits the loop's field plan routed, their outcomes
are recorded, and borrowers in hardship are met with an affordable, approved
repayment plan; the loop's dispatch and field plan are counted for the summary.

Outcomes are drawn from a seeded generator, so a run replays exactly.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dunwell.app.context import Dunwell
from dunwell.app.day.loop import status
from dunwell.app.field.visits import record_visit_outcome
from dunwell.app.negotiation.service import (
    accept_offer,
    approve_offer,
    assess_hardship,
    make_offers,
)
from dunwell.field.model import Address, VisitRecord, VisitStatus
from dunwell.simulation.portfolio import overdue_of

if TYPE_CHECKING:
    from dunwell.store.letters_repo import LetterRepository

#: Per mille chances of each visit outcome for the sample borrowers.
VISIT_OUTCOMES: tuple[tuple[str, int], ...] = (
    ("delivered_in_person", 300), ("not_at_home", 250), ("promise_to_pay", 150),
    ("hardship_reported", 200), ("refused", 100))
HARDSHIP_REASONS = ("illness", "family_emergency", "business_downturn", "job_loss")


@dataclass
class OperationsReport:
    messages: Counter[str] = field(default_factory=Counter)  # dispatch outcome -> count
    visit_days: int = 0
    visits_planned: int = 0
    visits_unplanned: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    plans_accepted: int = 0
    no_affordable_offer: int = 0
    last_plan_date: dt.date | None = None


def work_visits(app: Dunwell, day: dt.date, rng: random.Random, *,
                report: OperationsReport) -> None:
    """The agents work the visits the day loop's field plan routed for ``day``: each
    outcome is drawn, recorded, and hardship is met with an affordable plan."""
    with app.uow() as uow:
        repo = uow.field
        planned = [v for v in repo.visits_on(day) if v.status is VisitStatus.PLANNED]
        if not planned:
            return
        addresses = repo.addresses([v.borrower_id for v in planned])
        letters = uow.letters
        notices = {v.borrower_id: _notice(letters, v.borrower_id) for v in planned}
    report.last_plan_date = day
    for visit in planned:
        _work_visit(app, visit, addresses, notices.get(visit.borrower_id), day, rng, report)


def count_day_steps(app: Dunwell, days: int, report: OperationsReport) -> None:
    """What the day loop's dispatch and field plan did over the last ``days`` dates."""
    for record in status(app, days=days):
        if record.step in ("dispatch", "late_dispatch"):
            for outcome, n in record.detail.get("messages", {}).items():
                report.messages[outcome] += int(n)
        elif record.step == "field_plan" and record.status == "done":
            candidates = int(record.detail.get("candidates", 0))
            if candidates:
                report.visit_days += 1
            report.visits_planned += int(record.detail.get("planned", 0))
            report.visits_unplanned += candidates - int(record.detail.get("planned", 0))


def decision_totals(app: Dunwell) -> list[tuple[str, str, str | None, int]]:
    """Every step the strategy proposed over the run: (step, the guard's decision, the
    rule that decided, count)."""
    with app.uow() as uow:
        return uow.actions.decision_totals()


def _notice(letters: LetterRepository, borrower_id: int) -> str | None:
    """The borrower's latest visit notice still in the register's hands, if any."""
    found = [x for x in letters.listing(borrower_id=borrower_id)
             if x.kind == "visit_notice"
             and x.status.value in ("generated", "printed", "dispatched")]
    return found[-1].letter_no if found else None


def _draw(rng: random.Random) -> str:
    draw = rng.randrange(1000)
    for name, per_mille in VISIT_OUTCOMES:
        if draw < per_mille:
            return name
        draw -= per_mille
    return VISIT_OUTCOMES[-1][0]


def _work_visit(app: Dunwell, visit: VisitRecord, addresses: dict[int, Address],
                notice: str | None, day: dt.date, rng: random.Random,
                report: OperationsReport) -> None:
    address = addresses[visit.borrower_id]
    assert address.location is not None, "a planned visit has coordinates"
    outcome = _draw(rng)
    met = outcome in ("delivered_in_person", "promise_to_pay", "hardship_reported")
    at = visit.eta or dt.datetime.combine(day, dt.time(6, 0), tzinfo=dt.UTC)
    promise_minor = _overdue(app, visit.borrower_id, day) if outcome == "promise_to_pay" else None
    record_visit_outcome(
        app, visit_id=visit.visit_id, outcome=outcome, at=at,
        latitude=address.location.latitude, longitude=address.location.longitude,
        note="sample visit", letter_no=notice if met else None,
        proof="signed receipt" if met and notice else None,
        promise_amount_minor=promise_minor,
        promise_due=day + dt.timedelta(days=7) if promise_minor else None)
    report.outcomes[outcome] += 1
    if outcome == "hardship_reported":
        _offer_plan(app, visit.case_id, day, at, rng, report)


def _overdue(app: Dunwell, borrower_id: int, day: dt.date) -> int:
    with app.uow() as uow:
        return overdue_of(uow, {"borrower_id": borrower_id, "business_date": day})


def _offer_plan(app: Dunwell, case_id: str, day: dt.date, at: dt.datetime,
                rng: random.Random, report: OperationsReport) -> None:
    """The agent takes the borrower's account; the best affordable offer is approved by
    the first role with the authority for it and accepted."""
    income = rng.randrange(300_000, 900_000)
    assess_hardship(app, case_id=case_id, reason=rng.choice(HARDSHIP_REASONS),
                    monthly_income_minor=income,
                    essential_expenses_minor=income * rng.randrange(40, 70) // 100,
                    other_debt_payments_minor=rng.randrange(0, 50_000),
                    evidence=(), vulnerable=False, source="field_agent", now=at)
    offers = make_offers(app, case_id=case_id, business_date=day)
    if not offers:
        report.no_affordable_offer += 1
        return
    best = offers[0]
    approve_offer(app, offer_id=best.offer_id, approver_id=f"{best.offer.approval_role}-1",
                  role=best.offer.approval_role.value, now=at)
    accept_offer(app, offer_id=best.offer_id, now=at)
    report.plans_accepted += 1
