"""The seeds' success story, end to end.

Borrower 1 borrows 3,000.00 on 15 January 2025 (three monthly instalments). A family
emergency: nothing is paid. The humane ladder reminds, calls and writes; at 30 days
past due, with no contact for 14 days, the collection run sends a visit notice letter
(17 March), and a week later, as the letter promised, it proposes the visit and the
guard allows it. A certified field agent visits on 24 March; the borrower explains and
the agent records ``hardship_reported``. The agent takes the hardship assessment at the
door; the offers are ranked; the plan is approved within authority and accepted. The
loan is restructured, the ladder pauses (the ``care`` segment), the plan payments
arrive through the ordinary payment command with COB between them, and the loan is
paid off: the case closes, the plan completes, the ledger balances.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import sqlalchemy as sa

from dunwell.app.field.visits import (
    add_agent,
    add_certificate,
    plan_visits,
    record_visit_outcome,
    set_address,
)
from dunwell.app.lending.payments import receive_payment
from dunwell.app.negotiation.service import (
    accept_offer,
    approve_offer,
    assess_hardship,
    offer_book,
    plans,
)
from dunwell.app.training.service import add_staff
from dunwell.bootstrap import Dunwell, router_for
from dunwell.core.money import format_minor
from dunwell.ledger.model import Account
from dunwell.lending.model import LoanStatus
from dunwell.negotiation.model import PlanStatus
from dunwell.store import collection_tables as c
from dunwell.store import letter_tables as lt
from dunwell.store.field_repo import FieldRepository

NOTICE_DAY = dt.date(2025, 3, 17)  # 30 days past the first due date
VISIT_DAY = dt.date(2025, 3, 24)  # 37 days past it: the notice's 7 days have run
HOME = (30.6586, 104.0647)
BEIJING = dt.timezone(dt.timedelta(hours=8))
AT_DOOR = dt.datetime(2025, 3, 24, 15, 10, tzinfo=BEIJING)


def field_agent(app: Dunwell) -> None:
    now = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    set_address(app, borrower_id=1, text="成都市武侯区 1 号", latitude=HOME[0],
                longitude=HOME[1], now=now)
    add_agent(app, agent_id="fa-07", name="Li", timezone="Asia/Shanghai",
              territory_name="Wuhou", latitude=HOME[0], longitude=HOME[1], radius_m=15_000,
              shift_start=dt.time(9), shift_end=dt.time(17, 30), visits_per_day_max=8,
              hourly_cost_minor=6_000, cost_per_km_minor=150, now=now)
    add_staff(app, staff_id="t-01", name="Trainer", role="trainer", lead_id=None, now=now)
    for subject in ("communication_skills", "legal_knowledge", "privacy", "vulnerability",
                    "visit_safety"):
        add_certificate(app, agent_id="fa-07", subject=subject, issued_on=dt.date(2024, 12, 1),
                        expires_on=dt.date(2025, 11, 30), signed_by="t-01", score_pct=90,
                        evidence="onboarding course", now=now)


def actions_after(app: Dunwell, day: dt.date) -> list[dict[str, object]]:
    with app.engine.connect() as conn:
        rows = conn.execute(sa.select(c.case_actions)
                            .where(c.case_actions.c.business_date > day)).all()
    return [dict(r._mapping) for r in rows]


def test_a_family_emergency_ends_in_a_plan_kept_and_a_loan_paid_off(
        app: Dunwell, overdue: Callable[..., list[int]],
        run_days: Callable[[dt.date, dt.date], None]) -> None:
    overdue(until=dt.date(2025, 3, 1))
    field_agent(app)
    run_days(dt.date(2025, 3, 2), VISIT_DAY)

    # the run sent the visit notice, then proposed the visit a week later; the guard
    # allowed it and the field plan, seeing the notice's 7 days run, routed it
    with app.engine.connect() as conn:
        notice = conn.execute(sa.select(lt.letters.c.business_date).where(
            lt.letters.c.kind == "visit_notice", lt.letters.c.borrower_id == 1)).one()
        visit_action = conn.execute(sa.select(c.case_actions).where(
            c.case_actions.c.step_id == "d37_field_visit")).one()
    assert notice.business_date == NOTICE_DAY
    assert (visit_action.business_date, visit_action.decision) == (VISIT_DAY, "allow")
    plan_visits(app, plan_date=VISIT_DAY, router=router_for("nearest"),
                now=dt.datetime(2025, 3, 24, 0, 30, tzinfo=dt.UTC))
    with app.uow() as uow:
        (visit,) = FieldRepository(uow.conn).visits_on(VISIT_DAY)
    assert (visit.status.value, visit.agent_id, visit.reason) == ("planned", "fa-07", "")
    record_visit_outcome(app, visit_id=visit.visit_id, outcome="hardship_reported",
                         at=AT_DOOR, latitude=HOME[0], longitude=HOME[1],
                         note="father in hospital since February; wants to pay in instalments")

    # the agent takes the hardship assessment at the door
    case_id = "case-1-20250216"
    assess_hardship(app, case_id=case_id, reason="family_emergency",
                    monthly_income_minor=600_000, essential_expenses_minor=350_000,
                    other_debt_payments_minor=50_000,
                    evidence=["hospital-admission.jpg:" + "3f" * 32], vulnerable=False,
                    source="field_agent", now=AT_DOOR)
    book = offer_book(app, case_id=case_id, business_date=VISIT_DAY)
    assert book.referral is None
    best = book.offers[0]
    # owed on 24 March: 3,000.00 principal, 52.58 interest, 22.00 penalty; the best
    # offer forgives the 74.58 of interest and penalty (a team lead's authority) and
    # asks 1,000.00 on 24 April, 24 May and 24 June: half the borrower's disposable income
    assert (best.offer.kind.value, best.offer.months) == ("penalty_interest_waiver", 3)
    assert (best.offer.debt.interest_minor, best.offer.debt.penalty_minor) == (5_258, 2_200)
    assert (best.offer.debt.total_minor, best.offer.waiver.total_minor) == (307_458, 7_458)
    assert [i.due_date for i in best.offer.instalments] == [
        dt.date(2025, 4, 24), dt.date(2025, 5, 24), dt.date(2025, 6, 24)]
    assert best.offer.approval_role.value == "team_lead"
    assert [i.total_minor for i in best.offer.instalments] == [100_000] * 3
    cap = 100_000  # half of 2,000.00 disposable
    assert all(o.offer.monthly_payment_minor <= cap for o in book.offers)
    approve_offer(app, offer_id=best.offer_id, approver_id="mgr-2",
                  role=best.offer.approval_role.value, now=AT_DOOR)
    plan = accept_offer(app, offer_id=best.offer_id, now=AT_DOOR)
    with app.engine.connect() as conn:
        flags = json.loads(conn.execute(sa.select(c.borrowers.c.flags_json)).scalar_one())
        status = conn.execute(sa.select(c.cases.c.status)).scalar_one()
    assert flags == ["hardship_plan"] and status == "plan"

    # the payments, each on its due date, with COB and the daily run in between
    day = VISIT_DAY
    for k, inst in enumerate(best.offer.instalments):
        run_days(day + dt.timedelta(days=1), inst.due_date)
        with app.uow() as uow:
            receive_payment(uow, loan_id=1, amount=format_minor(inst.total_minor, "CNY"),
                            currency="CNY", idempotency_key=f"story-plan-{k + 1}",
                            providers=app.providers)
            uow.commit()
            loan = uow.loans.get(1)
            assert loan.days_past_due == 0
        day = inst.due_date
    # while the plan ran, the ladder was paused: nothing but care, no payment pressure
    during = actions_after(app, VISIT_DAY)
    assert [a for a in during if a["segment_id"] != "care"] == []
    assert not [a for a in during if "payment_re" in str(a["tags_json"])]

    run_days(day + dt.timedelta(days=1), day + dt.timedelta(days=1))
    assert loan.status is LoanStatus.PAID_OFF
    assert [(p.plan_id, p.status) for p in plans(app)] == [(plan.plan_id, PlanStatus.COMPLETED)]
    with app.engine.connect() as conn:
        case = conn.execute(sa.select(c.cases)).one()
        flags = json.loads(conn.execute(sa.select(c.borrowers.c.flags_json)).scalar_one())
        kinds = [r[0] for r in conn.execute(sa.select(c.case_timeline.c.kind)
                                            .order_by(c.case_timeline.c.entry_id))]
    assert case.status == "paid_off" and case.closed_on is not None
    assert flags == []
    assert kinds.index("hardship_assessed") < kinds.index("plan_accepted") < kinds.index(
        "plan_completed") < kinds.index("case_paid_off")
    with app.uow() as uow:
        assert uow.ledger.total() == 0
        bal = uow.ledger.balances(loan_id=1)
    for receivable in (Account.PRINCIPAL_RECEIVABLE, Account.INTEREST_RECEIVABLE,
                       Account.PENALTY_RECEIVABLE, Account.FEE_RECEIVABLE):
        assert bal.get(receivable, 0) == 0
    # cash: 3,000.00 lent, the plan's total received
    assert bal.get(Account.CASH, 0) == best.offer.total_cost_minor - 300_000
    assert bal.get(Account.WAIVER_EXPENSE, 0) == best.offer.waiver.total_minor
