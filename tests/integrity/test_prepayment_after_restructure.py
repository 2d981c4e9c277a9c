"""A partial prepayment on a restructured loan (found by the stateful test at stress
size).

A 1.00 CNY six-month equal-principal loan (``consumer_equal_principal_6m``; its
origination fee cut to 0.03 by the cost cap) is booked on 2025-01-15 and the next
day restructured under a two-payment plan: 0.50 + 0.01 fee due 2025-02-15 and 0.50 +
0.02 fee due 2025-03-17. The old instalments are closed at what was paid on them
(nothing) but keep their due dates, through 2025-07-16. On 2025-02-18, with the first
plan payment overdue, the borrower prepays 0.92 (90 % of the 1.03 payoff quote).

Whatever the prepayment does — refuse, or recompute what is left — the book must
still be sound: the loan's instalments equal its journal lines and no money is made.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from integrity_books import app_at, backends, book_problems, fresh_url

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment
from dunwell.core.errors import DomainError
from dunwell.lending.payments import PaymentKind
from dunwell.lending.prepayment import PrepaymentMode
from dunwell.lending.products import builtin_product_texts
from dunwell.negotiation.model import PlanInstalment, Waiver
from dunwell.negotiation.restructure import current_debt, restructure

START = dt.date(2025, 1, 15)


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("mode", list(PrepaymentMode))
def test_a_prepayment_on_a_restructured_loan_leaves_the_book_sound(
        backend: str, tmp_path: Path, mode: PrepaymentMode) -> None:
    with fresh_url(backend, tmp_path) as url:
        app = app_at(url)
        try:
            with app.uow() as uow:
                open_book(uow, business_date=START, partitions=1, currency="CNY")
                for text in builtin_product_texts():
                    register_product(uow, text)
                disburse(uow, [LoanRequest(1, "consumer_equal_principal_6m", 100, 6)])
                uow.commit()
            close_until(app, START)
            on = START + dt.timedelta(days=1)
            with app.uow() as uow:
                loan = uow.loans.get_for_update(1)
                debt, _ = current_debt(loan)
                assert (debt.principal_minor, debt.fee_minor) == (100, 3)
                plan = [PlanInstalment(1, dt.date(2025, 2, 15), principal_minor=50, fee_minor=1),
                        PlanInstalment(2, dt.date(2025, 3, 17), principal_minor=50, fee_minor=2)]
                done = restructure(loan, debt=debt, instalments=plan, waiver=Waiver(),
                                   business_date=on, entry_id="rst:1:plan")
                if done.entry is not None:
                    uow.ledger.post(done.entry)
                uow.loans.save(done.loan)
                uow.commit()
            close_until(app, dt.date(2025, 2, 17))
            try:
                with app.uow() as uow:
                    receive_payment(uow, loan_id=1, amount="0.92", currency="CNY",
                                    idempotency_key="prepay-1", kind=PaymentKind.PREPAYMENT,
                                    mode=mode, providers=app.providers)
                    uow.commit()
            except DomainError:
                pass  # refusing is one sound answer
            assert book_problems(app) == []
        finally:
            app.engine.dispose()
