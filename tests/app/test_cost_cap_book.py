"""The all-in cost cap through the book: the origination fee is cut to what the cap
leaves at disbursement, and a loan repaid early gives back what the days it ran do
not allow — and the books still reconcile."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import quote_payoff, receive_payment, reverse_payment
from dunwell.app.lending.verify import verify_book
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError
from dunwell.ledger.model import Account
from dunwell.lending.cost import allowance_minor, projected_cost
from dunwell.lending.model import LoanStatus
from dunwell.lending.payments import PaymentKind
from dunwell.lending.products import builtin_product_texts

START = dt.date(2025, 1, 15)
CONSUMER = "consumer_equal_principal_6m"  # origination fee 50.00, cap 24 %
CAP_PPM = 240_000


def open_book_with(app: Dunwell, *requests: LoanRequest) -> list[int]:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        loans = disburse(uow, list(requests))
        uow.commit()
    return [ln.loan_id for ln in loans]


def test_a_small_loan_is_charged_only_the_fee_its_cap_leaves_room_for(app: Dunwell) -> None:
    # 1000.00 over 6 months at 15.6 %: the cap allows 69.26, the interest takes 45.02
    small, large = open_book_with(app, LoanRequest(1, CONSUMER, 100_000, 6),
                                  LoanRequest(2, CONSUMER, 2_000_000, 6))
    with app.uow() as uow:
        loan = uow.loans.get(small)
        big = uow.loans.get(large)
        fee_income = uow.ledger.balances(loan_id=small)[Account.FEE_INCOME]
    assert loan.installments[0].fee_minor == 2_424
    assert -fee_income == 2_424 == loan.charged_minor
    assert big.installments[0].fee_minor == 5_000  # a large loan carries the whole fee
    contract = projected_cost(loan)
    assert contract.charges_minor == contract.allowance(CAP_PPM)


def test_a_loan_repaid_three_days_in_gives_back_the_fee_the_days_do_not_cover(
        app: Dunwell) -> None:
    (loan_id,) = open_book_with(app, LoanRequest(1, CONSUMER, 2_000_000, 6))
    close_until(app, START + dt.timedelta(days=2))
    with app.uow() as uow:
        quote = quote_payoff(uow, loan_id=loan_id)
        receive_payment(uow, loan_id=loan_id, amount=f"{quote / 100:.2f}",
                                  currency="CNY", idempotency_key="early-payoff",
                                  kind=PaymentKind.PAYOFF, providers=app.providers)
        uow.commit()
    with app.uow() as uow:
        loan = uow.loans.get(loan_id)
        balances = uow.ledger.balances(loan_id=loan_id)
    assert loan.status is LoanStatus.PAID_OFF
    allowance = allowance_minor(loan.exposure_minor_days, CAP_PPM)
    assert loan.exposure_minor_days == 3 * 2_000_000
    assert loan.charged_minor == allowance == 3_945  # 3 days of 20000.00 at 24 %
    assert loan.suspense_minor == quote - 2_000_000 - allowance  # owed back to the borrower
    assert -balances[Account.SUSPENSE] == loan.suspense_minor
    report = verify_book(app)
    assert report.ok, report.as_json()


def test_a_bullet_repaid_two_days_in_keeps_two_days_of_interest(app: Dunwell) -> None:
    (loan_id,) = open_book_with(app, LoanRequest(1, "shortterm_bullet_1m", 2_000_000, 1))
    close_until(app, START + dt.timedelta(days=1))
    with app.uow() as uow:
        owed = uow.loans.get(loan_id).unpaid_total_minor  # principal and a month's interest
        receipt = receive_payment(uow, loan_id=loan_id, amount=f"{owed / 100:.2f}",
                                  currency="CNY", idempotency_key="all-at-once",
                                  providers=app.providers)
        uow.commit()
    with app.uow() as uow:
        loan = uow.loans.get(loan_id)
    assert loan.status is LoanStatus.PAID_OFF
    assert loan.charged_minor == allowance_minor(2 * 2_000_000, CAP_PPM) == 2_630
    assert loan.suspense_minor == owed - 2_000_000 - 2_630
    assert verify_book(app).ok
    with app.uow() as uow, pytest.raises(DomainError) as caught:
        reverse_payment(uow, payment_id=receipt.payment.payment_id, reason="bounced")
    assert caught.value.code == "reversal_must_not_follow_cost_cap_rebate"
