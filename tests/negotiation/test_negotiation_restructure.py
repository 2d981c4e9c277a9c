"""An accepted plan restructures the loan through the ledger; COB respects it; the
daily run's monitoring breaks a missed plan and completes a paid one.

The book (conftest): 3,000.00 over three months, unpaid since 15 February 2025. On
1 March it owes 3,000.00 principal, 39.28 accrued interest and 6.50 penalty. The
borrower's family emergency leaves 2,000.00 a month; the best offer waives the
penalty and interest (45.78, a team lead's call) and spreads 3,000.00 over three
payments of 1,000.00 due 1 April, 1 May and 1 June.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import sqlalchemy as sa

from dunwell.app.lending.payments import receive_payment
from dunwell.app.negotiation.service import (
    accept_offer,
    approve_offer,
    assess_hardship,
    monitor_plans,
    offer_book,
    plans,
)
from dunwell.bootstrap import Dunwell
from dunwell.core.money import format_minor
from dunwell.ledger.model import Account
from dunwell.lending.model import LoanStatus
from dunwell.negotiation.model import OfferKind, PlanStatus
from dunwell.store import collection_tables as c
from dunwell.store.negotiation_repo import PlanRecord

NOW = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
CASE = "case-1-20250216"
RECEIVABLES = (Account.PRINCIPAL_RECEIVABLE, Account.INTEREST_RECEIVABLE,
               Account.PENALTY_RECEIVABLE, Account.FEE_RECEIVABLE)


def agree(app: Dunwell, kind: OfferKind = OfferKind.PENALTY_INTEREST_WAIVER, months: int = 3,
          role: str = "team_lead") -> PlanRecord:
    assess_hardship(app, case_id=CASE, reason="family_emergency",
                    monthly_income_minor=600_000, essential_expenses_minor=350_000,
                    other_debt_payments_minor=50_000, evidence=[], vulnerable=False,
                    source="field_agent", now=NOW)
    book = offer_book(app, case_id=CASE, business_date=dt.date(2025, 3, 1))
    chosen = next(o for o in book.offers if o.offer.kind is kind and o.offer.months == months)
    approve_offer(app, offer_id=chosen.offer_id, approver_id="staff-1", role=role, now=NOW)
    return accept_offer(app, offer_id=chosen.offer_id, now=NOW)


def pay(app: Dunwell, amount: str, key: str) -> None:
    with app.uow() as uow:
        receive_payment(uow, loan_id=1, amount=amount, currency="CNY", idempotency_key=key,
                        providers=app.providers)
        uow.commit()


def case_row(app: Dunwell) -> dict[str, object]:
    with app.engine.connect() as conn:
        return dict(conn.execute(sa.select(c.cases).where(c.cases.c.case_id == CASE))
                    .one()._mapping)


def flags(app: Dunwell) -> list[str]:
    with app.engine.connect() as conn:
        return list(json.loads(conn.execute(sa.select(c.borrowers.c.flags_json)).scalar_one()))


def timeline_kinds(app: Dunwell) -> list[str]:
    with app.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(c.case_timeline.c.kind)
                                           .order_by(c.case_timeline.c.entry_id))]


def test_accepting_restructures_the_loan_and_keeps_the_ledger_balanced(
        app: Dunwell, overdue: Callable[..., list[int]]) -> None:
    overdue()
    plan = agree(app)
    with app.uow() as uow:
        loan = uow.loans.get(1)
        bal = uow.ledger.balances(loan_id=1)
        assert uow.ledger.total() == 0
    # the old schedule is closed at what was paid (nothing); three plan instalments follow
    assert [i.n for i in loan.installments] == [1, 2, 3, 4, 5, 6]
    assert (plan.first_n, plan.last_n) == (4, 6)
    assert [i.unpaid_total_minor for i in loan.installments] == [0, 0, 0, 100_000, 100_000,
                                                                 100_000]
    assert loan.status is LoanStatus.RESTRUCTURED and loan.days_past_due == 0
    # receivables = the new schedule; the waiver went to the waiver expense account
    assert sum(bal.get(a, 0) for a in RECEIVABLES) == loan.unpaid_total_minor == 300_000
    assert bal[Account.WAIVER_EXPENSE] == 4_578
    assert bal.get(Account.PENALTY_RECEIVABLE, 0) == 0
    assert case_row(app)["status"] == "plan"
    assert flags(app) == ["hardship_plan"]
    assert timeline_kinds(app)[-3:] == ["hardship_assessed", "status_changed", "plan_accepted"]


def test_a_missed_payment_past_the_grace_days_breaks_the_plan(
        app: Dunwell, overdue: Callable[..., list[int]],
        run_days: Callable[[dt.date, dt.date], None]) -> None:
    overdue()
    agree(app)
    run_days(dt.date(2025, 3, 2), dt.date(2025, 4, 1))
    pay(app, "1000.00", "plan-1")
    run_days(dt.date(2025, 4, 2), dt.date(2025, 5, 6))  # payment 2 due 1 May, unpaid
    assert [p.status for p in plans(app)] == [PlanStatus.ACTIVE]  # 5 days late: grace
    with app.uow() as uow:
        assert uow.ledger.balances(loan_id=1).get(Account.PENALTY_RECEIVABLE, 0) > 0
    run_days(dt.date(2025, 5, 7), dt.date(2025, 5, 7))  # 6 days late: broken
    assert [p.status for p in plans(app)] == [PlanStatus.BROKEN]
    assert flags(app) == []
    assert case_row(app)["status"] == "open"
    assert "plan_broken" in timeline_kinds(app)
    # monitoring the same day again changes nothing
    with app.uow() as uow:
        again = monitor_plans(uow, business_date=dt.date(2025, 5, 7))
        uow.commit()
    assert (again.checked, again.broken) == (0, 0)
    with app.uow() as uow:
        assert uow.ledger.total() == 0


def test_a_kept_plan_accrues_no_penalty_completes_and_the_case_closes(
        app: Dunwell, overdue: Callable[..., list[int]],
        run_days: Callable[[dt.date, dt.date], None]) -> None:
    overdue()
    agree(app)
    with app.uow() as uow:
        penalty_before = uow.ledger.balances(loan_id=1).get(Account.PENALTY_INCOME, 0)
    for k, due in enumerate([dt.date(2025, 4, 1), dt.date(2025, 5, 1), dt.date(2025, 6, 1)]):
        run_days(due - dt.timedelta(days=29 if k else 30), due)
        pay(app, "1000.00", f"plan-{k + 1}")
        with app.uow() as uow:
            loan = uow.loans.get(1)
            bal = uow.ledger.balances(loan_id=1)
        assert loan.days_past_due == 0
        # no penalty while the plan is kept
        assert bal.get(Account.PENALTY_INCOME, 0) == penalty_before
        assert sum(bal.get(a, 0) for a in RECEIVABLES) == loan.unpaid_total_minor
    assert loan.status is LoanStatus.PAID_OFF
    run_days(dt.date(2025, 6, 2), dt.date(2025, 6, 2))
    assert [p.status for p in plans(app)] == [PlanStatus.COMPLETED]
    assert case_row(app)["status"] == "paid_off"
    assert flags(app) == []
    with app.uow() as uow:
        assert uow.ledger.total() == 0
        assert all(uow.ledger.balances(loan_id=1).get(a, 0) == 0 for a in RECEIVABLES)


def test_a_term_extension_accrues_its_interest_through_cob(
        app: Dunwell, overdue: Callable[..., list[int]],
        run_days: Callable[[dt.date, dt.date], None]) -> None:
    overdue()
    plan = agree(app, OfferKind.TERM_EXTENSION, 12, role="collector")
    with app.uow() as uow:
        first = next(i for i in uow.loans.get(1).installments if i.n == plan.first_n)
        income_before = uow.ledger.balances(loan_id=1).get(Account.INTEREST_INCOME, 0)
    new_interest = first.interest_minor - first.interest_base_minor
    assert new_interest > 0
    run_days(dt.date(2025, 3, 2), dt.date(2025, 4, 2))  # COB closed 1 April, the due date
    with app.uow() as uow:
        loan = uow.loans.get(1)
        bal = uow.ledger.balances(loan_id=1)
    grown = next(i for i in loan.installments if i.n == plan.first_n)
    assert grown.interest_accrued_minor == grown.interest_minor
    # the first plan period's interest, exactly: the next period starts accruing on 1 April
    assert income_before - bal[Account.INTEREST_INCOME] == new_interest == 3_000
    assert sum(bal.get(a, 0) for a in RECEIVABLES) == sum(
        i.interest_accrued_minor - i.paid_interest_minor + i.unpaid_principal_minor
        + i.unpaid_penalty_minor + i.unpaid_fee_minor for i in loan.installments)


def test_an_offer_holds_its_quote_when_accepted_days_later(
        app: Dunwell, overdue: Callable[..., list[int]],
        run_days: Callable[[dt.date, dt.date], None]) -> None:
    # offered on 1 March (the whole debt over six payments, nothing waived), accepted on
    # 4 March: the three days' interest and penalty that accrued meanwhile are waived so
    # the borrower pays exactly what they were offered
    overdue()
    assess_hardship(app, case_id=CASE, reason="family_emergency",
                    monthly_income_minor=600_000, essential_expenses_minor=350_000,
                    other_debt_payments_minor=50_000, evidence=[], vulnerable=False,
                    source="field_agent", now=NOW)
    book = offer_book(app, case_id=CASE, business_date=dt.date(2025, 3, 1))
    chosen = next(o for o in book.offers
                  if o.offer.kind is OfferKind.INSTALMENT_PLAN and o.offer.months == 6)
    assert chosen.offer.waiver.total_minor == 0
    approve_offer(app, offer_id=chosen.offer_id, approver_id="c-1", role="collector", now=NOW)
    with app.uow() as uow:
        before = uow.ledger.balances(loan_id=1)
    run_days(dt.date(2025, 3, 2), dt.date(2025, 3, 4))
    with app.uow() as uow:
        between = uow.ledger.balances(loan_id=1)
    accrued = sum(between.get(a, 0) - before.get(a, 0)
                  for a in (Account.INTEREST_RECEIVABLE, Account.PENALTY_RECEIVABLE))
    assert accrued > 0
    plan = accept_offer(app, offer_id=chosen.offer_id, now=NOW + dt.timedelta(days=3))
    with app.uow() as uow:
        loan = uow.loans.get(1)
        bal = uow.ledger.balances(loan_id=1)
        assert uow.ledger.total() == 0
    mine = [i for i in loan.installments if plan.first_n <= i.n <= plan.last_n]
    assert [i.unpaid_total_minor for i in mine] == [i.total_minor
                                                    for i in chosen.offer.instalments]
    assert bal[Account.WAIVER_EXPENSE] == accrued
    assert sum(bal.get(a, 0) for a in RECEIVABLES) == chosen.offer.debt.total_minor
    with app.engine.connect() as conn:
        text = conn.execute(sa.select(c.case_timeline.c.text)
                            .where(c.case_timeline.c.kind == "plan_accepted")).scalar_one()
    assert f"of which {format_minor(accrued, 'CNY')} CNY accrued since the offer" in text
