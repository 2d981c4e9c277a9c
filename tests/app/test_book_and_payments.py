"""Booking loans and taking payments through the unit of work, on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import ReceiptStatus, receive_payment, reverse_payment
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError
from dunwell.ledger.model import Account
from dunwell.lending.model import LoanStatus
from dunwell.lending.payments import PaymentKind
from dunwell.lending.products import builtin_product_texts
from dunwell.store import tables as t

START = dt.date(2025, 1, 15)
ANNUITY = "merchant_annuity_12m"


def open_with_loan(app: Dunwell, principal_minor: int = 1_200_000) -> int:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        (loan,) = disburse(uow, [LoanRequest(7, ANNUITY, principal_minor, 12)])
        uow.commit()
    return loan.loan_id


def row_counts(app: Dunwell) -> dict[str, int]:
    with app.engine.connect() as conn:
        return {tbl.name: conn.execute(sa.select(sa.func.count()).select_from(tbl)).scalar_one()
                for tbl in (t.loans, t.installments, t.journal_entries, t.journal_lines,
                            t.payments)}


def snapshot(app: Dunwell, loan_id: int) -> object:
    with app.uow() as uow:
        return uow.loans.get(loan_id)


def test_disbursement_posts_principal_against_cash(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    with app.uow() as uow:
        bal = uow.ledger.balances(loan_id=loan_id)
        loan = uow.loans.get(loan_id)
    assert bal[Account.PRINCIPAL_RECEIVABLE] == 1_200_000
    assert bal[Account.CASH] == -1_200_000
    assert loan.status is LoanStatus.DISBURSED
    assert sum(i.principal_minor for i in loan.installments) == 1_200_000


def test_a_payment_replayed_with_its_key_posts_once(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    close_until(app, dt.date(2025, 2, 14))
    with app.uow() as uow:
        first = receive_payment(uow, loan_id=loan_id, amount="1100.16", currency="CNY",
                                idempotency_key="bank-ref-1", providers=app.providers)
        uow.commit()
    before = row_counts(app)
    with app.uow() as uow:
        again = receive_payment(uow, loan_id=loan_id, amount="1100.16", currency="CNY",
                                idempotency_key="bank-ref-1", providers=app.providers)
        uow.commit()
    assert first.status is ReceiptStatus.POSTED
    assert again.status is ReceiptStatus.REPLAYED
    assert again.payment.payment_id == first.payment.payment_id
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("amount", "currency", "loan_delta", "key", "code"),
    [
        ("0", "CNY", 0, "k-zero", "payment_amount_must_be_positive"),
        ("-5.00", "CNY", 0, "k-neg", "payment_amount_must_be_positive"),
        ("10.001", "CNY", 0, "k-sub", "amount_must_fit_minor_unit"),
        ("10.00", "USD", 0, "k-usd", "payment_currency_must_match_loan"),
        ("10.00", "CNY", 999, "k-unknown", "loan_must_exist"),
        ("ten", "CNY", 0, "k-text", "amount_must_be_decimal"),
        ("10.00", "CNY", 0, "", "idempotency_key_must_be_present"),
    ],
)
def test_bad_payments_are_rejected_and_change_nothing(
    app: Dunwell, amount: str, currency: str, loan_delta: int, key: str, code: str
) -> None:
    loan_id = open_with_loan(app)
    before = row_counts(app)
    state = snapshot(app, loan_id)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        receive_payment(uow, loan_id=loan_id + loan_delta, amount=amount, currency=currency,
                        idempotency_key=key, providers=app.providers)
    assert err.value.code == code
    assert row_counts(app) == before
    assert snapshot(app, loan_id) == state


def test_a_reused_key_with_a_different_amount_is_a_named_rejection(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    with app.uow() as uow:
        receive_payment(uow, loan_id=loan_id, amount="100.00", currency="CNY",
                        idempotency_key="dup", providers=app.providers)
        uow.commit()
    before = row_counts(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        receive_payment(uow, loan_id=loan_id, amount="100.01", currency="CNY",
                        idempotency_key="dup", providers=app.providers)
    assert err.value.code == "idempotency_key_must_match_original_request"
    assert row_counts(app) == before


def test_paying_a_closed_loan_is_refused(app: Dunwell) -> None:
    loan_id = open_with_loan(app, principal_minor=100_000)
    with app.uow() as uow:
        receive_payment(uow, loan_id=loan_id, amount="1000.00", currency="CNY",
                        idempotency_key="payoff", kind=PaymentKind.PAYOFF, providers=app.providers)
        uow.commit()
    with app.uow() as uow, pytest.raises(DomainError) as err:
        receive_payment(uow, loan_id=loan_id, amount="1.00", currency="CNY",
                        idempotency_key="late", providers=app.providers)
    assert err.value.code == "loan_must_be_open"
    assert snapshot(app, loan_id).status is LoanStatus.PAID_OFF  # type: ignore[attr-defined]


def test_early_full_repayment_on_day_one_costs_principal_only(app: Dunwell) -> None:
    loan_id = open_with_loan(app, principal_minor=100_000)
    with app.uow() as uow:
        receipt = receive_payment(uow, loan_id=loan_id, amount="1000.00", currency="CNY",
                                  idempotency_key="payoff", kind=PaymentKind.PAYOFF,
                                  providers=app.providers)
        uow.commit()
        bal = uow.ledger.balances(loan_id=loan_id)
    assert receipt.loan.status is LoanStatus.PAID_OFF
    assert bal == {}  # cash in equals cash out; nothing receivable, no income


def test_reversing_a_payment_restores_the_loan_and_nets_the_ledger(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    close_until(app, dt.date(2025, 2, 20))
    before_state = snapshot(app, loan_id)
    with app.uow() as uow:
        before_bal = uow.ledger.balances(loan_id=loan_id)
        receipt = receive_payment(uow, loan_id=loan_id, amount="500.00", currency="CNY",
                                  idempotency_key="r1", providers=app.providers)
        uow.commit()
    with app.uow() as uow:
        reversed_ = reverse_payment(uow, payment_id=receipt.payment.payment_id,
                                    reason="bounced")
        uow.commit()
    with app.uow() as uow:
        again = reverse_payment(uow, payment_id=receipt.payment.payment_id)
        after_bal = uow.ledger.balances(loan_id=loan_id)
    assert reversed_.status is ReceiptStatus.POSTED
    assert again.status is ReceiptStatus.REPLAYED
    assert after_bal == before_bal
    after_state = snapshot(app, loan_id)
    assert after_state.installments == before_state.installments  # type: ignore[attr-defined]
