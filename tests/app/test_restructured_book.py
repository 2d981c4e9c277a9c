"""A loan's restructured terms are kept by the book, on every backend: saved and read
back, carried through COB, and a restructured loan that fell behind and caught up is
back on its plan, not on its original schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment
from dunwell.bootstrap import Dunwell
from dunwell.core.dates import to_day
from dunwell.core.money import format_minor
from dunwell.lending.loans import LoanState
from dunwell.lending.model import LoanStatus
from dunwell.lending.products import builtin_product_texts

START = dt.date(2025, 1, 15)
ANNUITY = "merchant_annuity_12m"


def restructured_loan(app: Dunwell) -> int:
    """A loan whose terms were restructured on its first day (the plan itself is the
    negotiation's; here only the book's memory of it matters)."""
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        (loan,) = disburse(uow, [LoanRequest(7, ANNUITY, 1_200_000, 12)])
        uow.loans.save(replace(uow.loans.get_for_update(loan.loan_id),
                               status=LoanStatus.RESTRUCTURED, restructured=True))
        uow.commit()
    return loan.loan_id


def loan_now(app: Dunwell, loan_id: int) -> LoanState:
    with app.uow() as uow:
        return uow.loans.get(loan_id)


def test_the_restructure_is_saved_and_read_back(app: Dunwell) -> None:
    loan_id = restructured_loan(app)
    loan = loan_now(app, loan_id)
    assert (loan.status, loan.restructured) == (LoanStatus.RESTRUCTURED, True)


def test_a_restructured_loan_behind_and_caught_up_is_back_on_its_plan(app: Dunwell) -> None:
    loan_id = restructured_loan(app)
    first_due = loan_now(app, loan_id).installments[0].due_day
    close_until(app, START + dt.timedelta(days=first_due - to_day(START) + 20))
    behind = loan_now(app, loan_id)
    assert (behind.status, behind.restructured) == (LoanStatus.OVERDUE, True)
    with app.uow() as uow:
        (owed,) = [o for lid, _, _, o in uow.loans.due_for_payment(to_day(
            uow.book.require().business_date)) if lid == loan_id]
        receive_payment(uow, loan_id=loan_id, amount=format_minor(owed, "CNY"),
                        currency="CNY", idempotency_key="catch-up", providers=app.providers)
        uow.commit()
    caught_up = loan_now(app, loan_id)
    assert (caught_up.status, caught_up.restructured) == (LoanStatus.RESTRUCTURED, True)
    close_until(app, START + dt.timedelta(days=first_due - to_day(START) + 25))
    assert loan_now(app, loan_id).status is LoanStatus.RESTRUCTURED
