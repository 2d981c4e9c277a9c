"""Reversing a payment on a loan that has left the book (found by the stateful test).

A one-month bullet loan of 1000.00 CNY is booked on 2025-01-15 and the book closed
through 2025-02-14. On 2025-02-15 either

- 2000.00 is paid, which pays the loan off (the rest is held in suspense), or
- 100.00 is paid and the loan is then written off;

the book is closed through 2025-02-24 and on 2025-02-25 the payment bounces and is
reversed. Whatever the reversal does — refuse, or reopen the loan — the book must
still be sound at once: a loan that is open again must stand where COB left the
others, and a charged-off loan holds no receivable.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from integrity_books import app_at, backends, book_problems, fresh_url

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment, reverse_payment
from dunwell.app.lending.writeoff import write_off
from dunwell.core.errors import DomainError
from dunwell.lending.products import builtin_product_texts

START = dt.date(2025, 1, 15)
NOW = dt.datetime(2025, 2, 15, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize(("paid", "then_write_off"), [("2000.00", False), ("100.00", True)],
                         ids=["paid_off", "charged_off"])
def test_a_bounced_payment_on_a_closed_loan_leaves_the_book_sound(
        backend: str, tmp_path: Path, paid: str, then_write_off: bool) -> None:
    with fresh_url(backend, tmp_path) as url:
        app = app_at(url)
        try:
            with app.uow() as uow:
                open_book(uow, business_date=START, partitions=3, currency="CNY")
                for text in builtin_product_texts():
                    register_product(uow, text)
                disburse(uow, [LoanRequest(1, "shortterm_bullet_1m", 100_000, 1)])
                uow.commit()
            close_until(app, dt.date(2025, 2, 14))
            with app.uow() as uow:
                receipt = receive_payment(uow, loan_id=1, amount=paid, currency="CNY",
                                          idempotency_key="p-1", providers=app.providers)
                if then_write_off:
                    write_off(uow, loan_id=1, reason="fraud", idempotency_key="w-1", now=NOW)
                uow.commit()
            close_until(app, dt.date(2025, 2, 24))
            try:
                with app.uow() as uow:
                    reverse_payment(uow, payment_id=receipt.payment.payment_id,
                                    reason="bounced")
                    uow.commit()
            except DomainError:
                pass  # refusing is one sound answer
            assert book_problems(app) == []
        finally:
            app.engine.dispose()
