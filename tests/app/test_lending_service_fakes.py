"""The loan book's commands on the in-memory unit of work: opening the book,
registering products, disbursing, taking and reversing payments and writing off —
their rules, their idempotency and their rejections — and the nightly
reconciliation naming what does not add up, without a database."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from dunwell.app.context import Dunwell
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import (
    ReceiptStatus,
    payment_entries,
    payment_outcome,
    receive_payment,
    reverse_payment,
)
from dunwell.app.lending.verify import verify_book
from dunwell.app.lending.writeoff import WriteOffStatus, entry_ids, write_off, write_off_entries
from dunwell.core.dates import to_day
from dunwell.core.errors import DomainError
from dunwell.ledger.model import Account
from dunwell.lending.loans import LoanState
from dunwell.lending.model import LoanStatus
from dunwell.lending.payments import PaymentKind
from dunwell.lending.prepayment import payoff_quote
from dunwell.lending.products import builtin_product_texts
from dunwell.lending.writeoff import write_off as write_off_rule
from fakes.app import fake_app
from fakes.lending import LendingData, lending_data

START = dt.date(2025, 1, 15)
ANNUITY = "merchant_annuity_12m"
NOW = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.UTC)
RECEIVABLES = (Account.PRINCIPAL_RECEIVABLE, Account.INTEREST_RECEIVABLE,
               Account.PENALTY_RECEIVABLE, Account.FEE_RECEIVABLE)


@pytest.fixture
def app() -> Dunwell:
    return fake_app()


def data(app: Dunwell) -> LendingData:
    state = getattr(app.db, "state")  # noqa: B009 - the fake database's dictionary
    return lending_data(state)


def counts(app: Dunwell) -> tuple[int, int, int]:
    """Loans, journal entries and payments in the book."""
    book = data(app)
    return len(book.loans), len(book.entries), len(book.payments)


def open_with_loan(app: Dunwell, principal_minor: int = 1_200_000) -> int:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        (loan,) = disburse(uow, [LoanRequest(7, ANNUITY, principal_minor, 12)])
        uow.commit()
    return loan.loan_id


def loan_now(app: Dunwell, loan_id: int) -> LoanState:
    with app.uow() as uow:
        return uow.loans.get(loan_id)


def pay(app: Dunwell, loan_id: int, amount: str, key: str,
        kind: PaymentKind = PaymentKind.REGULAR) -> ReceiptStatus:
    with app.uow() as uow:
        receipt = receive_payment(uow, loan_id=loan_id, amount=amount, currency="CNY",
                                  idempotency_key=key, kind=kind, providers=app.providers)
        uow.commit()
    return receipt.status


# opening the book and booking loans


def test_the_book_opens_once(app: Dunwell) -> None:
    open_with_loan(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
    assert err.value.code == "book_must_open_once"


def test_a_book_needs_at_least_one_partition(app: Dunwell) -> None:
    with app.uow() as uow, pytest.raises(DomainError) as err:
        open_book(uow, business_date=START, partitions=0, currency="CNY")
    assert err.value.code == "partitions_must_be_positive"
    assert data(app).book is None


def test_a_product_in_another_currency_than_the_book_is_refused(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=1, currency="USD")
        with pytest.raises(DomainError) as err:
            register_product(uow, builtin_product_texts()[0])
    assert err.value.code == "product_currency_must_match"


def test_nothing_is_booked_before_the_book_opens(app: Dunwell) -> None:
    with app.uow() as uow, pytest.raises(DomainError) as err:
        disburse(uow, [LoanRequest(7, ANNUITY, 100_000, 12)])
    assert err.value.code == "book_must_be_open"


def test_disbursement_posts_principal_against_cash(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    with app.uow() as uow:
        balances = uow.ledger.balances(loan_id=loan_id)
        loan = uow.loans.get(loan_id)
    assert balances[Account.PRINCIPAL_RECEIVABLE] == 1_200_000
    assert balances[Account.CASH] == -1_200_000
    assert loan.status is LoanStatus.DISBURSED
    assert sum(i.principal_minor for i in loan.installments) == 1_200_000
    assert data(app).partition_of[loan_id] == loan_id % 3


@pytest.mark.parametrize(("request_", "code"), [
    (LoanRequest(7, "no_such_product", 100_000, 12), "product_must_exist"),
    (LoanRequest(7, ANNUITY, 100_000, 99), "term_must_suit_product"),
])
def test_a_loan_the_products_do_not_offer_is_refused_and_nothing_is_booked(
        app: Dunwell, request_: LoanRequest, code: str) -> None:
    open_with_loan(app)
    before = counts(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        disburse(uow, [LoanRequest(8, ANNUITY, 100_000, 12), request_])
    assert err.value.code == code
    assert counts(app) == before


def test_loans_booked_together_take_consecutive_ids(app: Dunwell) -> None:
    first = open_with_loan(app)
    with app.uow() as uow:
        booked = disburse(uow, [LoanRequest(8, ANNUITY, 100_000, 12),
                                LoanRequest(9, ANNUITY, 200_000, 12)])
        uow.commit()
    assert [ln.loan_id for ln in booked] == [first + 1, first + 2]


# payments


def test_a_payment_replayed_with_its_key_posts_once(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    assert pay(app, loan_id, "1100.16", "bank-ref-1") is ReceiptStatus.POSTED
    before = counts(app)
    assert pay(app, loan_id, "1100.16", "bank-ref-1") is ReceiptStatus.REPLAYED
    assert counts(app) == before


def test_a_payment_is_allocated_posted_and_recorded_in_one_unit_of_work(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    before = loan_now(app, loan_id)
    with app.uow() as uow:
        receipt = receive_payment(uow, loan_id=loan_id, amount="500.00", currency="CNY",
                                  idempotency_key="r1", providers=app.providers)
        uow.commit()
        paid = uow.ledger.balances(loan_id=loan_id)
    assert receipt.payment.amount_minor == 50_000
    assert sum(a.amount_minor for a in receipt.payment.allocation) + (
        receipt.payment.suspense_minor) == 50_000
    assert receipt.loan.version == before.version + 1
    assert paid[Account.CASH] == -1_200_000 + 50_000
    assert data(app).entries[receipt.payment.entry_id].kind == "payment:regular"


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
        app: Dunwell, amount: str, currency: str, loan_delta: int, key: str,
        code: str) -> None:
    loan_id = open_with_loan(app)
    before, state = counts(app), loan_now(app, loan_id)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        receive_payment(uow, loan_id=loan_id + loan_delta, amount=amount, currency=currency,
                        idempotency_key=key, providers=app.providers)
    assert err.value.code == code
    assert counts(app) == before
    assert loan_now(app, loan_id) == state


def test_a_reused_key_with_a_different_amount_is_a_named_rejection(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    pay(app, loan_id, "100.00", "dup")
    before = counts(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        receive_payment(uow, loan_id=loan_id, amount="100.01", currency="CNY",
                        idempotency_key="dup", providers=app.providers)
    assert err.value.code == "idempotency_key_must_match_original_request"
    assert counts(app) == before


def test_a_payment_left_uncommitted_leaves_no_trace(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    before, state = counts(app), loan_now(app, loan_id)
    with app.uow() as uow:
        receive_payment(uow, loan_id=loan_id, amount="100.00", currency="CNY",
                        idempotency_key="no-commit", providers=app.providers)
    assert counts(app) == before
    assert loan_now(app, loan_id) == state


def test_paying_a_closed_loan_is_refused(app: Dunwell) -> None:
    loan_id = open_with_loan(app, principal_minor=100_000)
    pay(app, loan_id, "1000.00", "payoff", PaymentKind.PAYOFF)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        receive_payment(uow, loan_id=loan_id, amount="1.00", currency="CNY",
                        idempotency_key="late", providers=app.providers)
    assert err.value.code == "loan_must_be_open"
    assert loan_now(app, loan_id).status is LoanStatus.PAID_OFF


def test_early_full_repayment_on_day_one_costs_principal_only(app: Dunwell) -> None:
    loan_id = open_with_loan(app, principal_minor=100_000)
    with app.uow() as uow:
        receipt = receive_payment(uow, loan_id=loan_id, amount="1000.00", currency="CNY",
                                  idempotency_key="payoff", kind=PaymentKind.PAYOFF,
                                  providers=app.providers)
        uow.commit()
        balances = uow.ledger.balances(loan_id=loan_id)
    assert receipt.loan.status is LoanStatus.PAID_OFF
    assert balances == {}  # cash in equals cash out; nothing receivable, no income


def test_a_prepayment_without_a_mode_is_refused(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        receive_payment(uow, loan_id=loan_id, amount="100.00", currency="CNY",
                        idempotency_key="pre", kind=PaymentKind.PREPAYMENT, providers=app.providers)
    assert err.value.code == "prepayment_mode_must_be_given"


# reversals


def test_reversing_a_payment_restores_the_loan_and_nets_the_ledger(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    before_state = loan_now(app, loan_id)
    with app.uow() as uow:
        before_balances = uow.ledger.balances(loan_id=loan_id)
        receipt = receive_payment(uow, loan_id=loan_id, amount="500.00", currency="CNY",
                                  idempotency_key="r1", providers=app.providers)
        uow.commit()
    with app.uow() as uow:
        reversed_ = reverse_payment(uow, payment_id=receipt.payment.payment_id,
                                    reason="bounced")
        uow.commit()
    with app.uow() as uow:
        again = reverse_payment(uow, payment_id=receipt.payment.payment_id)
        after_balances = uow.ledger.balances(loan_id=loan_id)
        is_reversed = uow.ledger.is_reversed(receipt.payment.entry_id)
    assert reversed_.status is ReceiptStatus.POSTED
    assert reversed_.payment.reversal_entry_id == f"rev:{receipt.payment.entry_id}"
    assert again.status is ReceiptStatus.REPLAYED
    assert is_reversed
    assert after_balances == before_balances
    assert loan_now(app, loan_id).installments == before_state.installments


def test_only_a_regular_payment_can_be_reversed(app: Dunwell) -> None:
    loan_id = open_with_loan(app, principal_minor=100_000)
    pay(app, loan_id, "1000.00", "payoff", PaymentKind.PAYOFF)
    (payment,) = data(app).payments.values()
    with app.uow() as uow, pytest.raises(DomainError) as err:
        reverse_payment(uow, payment_id=payment.payment_id)
    assert err.value.code == "reversal_must_target_regular_payment"


def test_reversing_an_unknown_payment_names_it(app: Dunwell) -> None:
    open_with_loan(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        reverse_payment(uow, payment_id=404)
    assert err.value.code == "payment_must_exist"


# write-offs


def charge_off(app: Dunwell, loan_id: int, *, key: str = "wo-1",
               reason: str = "borrower deceased, no estate") -> WriteOffStatus:
    with app.uow() as uow:
        result = write_off(uow, loan_id=loan_id, reason=reason, idempotency_key=key, now=NOW)
        uow.commit()
    return result.status


def test_a_write_off_moves_the_whole_receivable_and_is_audited(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    with app.uow() as uow:
        owed = uow.ledger.balances(loan_id=loan_id)
        result = write_off(uow, loan_id=loan_id, reason="borrower deceased, no estate",
                           idempotency_key="wo-1", now=NOW)
        uow.commit()
        after = uow.ledger.balances(loan_id=loan_id)
    assert result.status is WriteOffStatus.POSTED
    assert result.written_off.total_minor == sum(owed.get(a, 0) for a in RECEIVABLES)
    assert all(after.get(a, 0) == 0 for a in RECEIVABLES)
    assert after[Account.WRITE_OFF] == result.written_off.total_minor
    assert loan_now(app, loan_id).status is LoanStatus.CHARGED_OFF
    audit = data(app).audit
    assert audit[-1].kind == "loan_written_off"
    assert json.loads(audit[-1].payload_json)["reason"] == "borrower deceased, no estate"


def test_a_write_off_replayed_with_its_key_returns_the_first_result(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    assert charge_off(app, loan_id) is WriteOffStatus.POSTED
    before = counts(app), len(data(app).audit)
    with app.uow() as uow:
        again = write_off(uow, loan_id=loan_id, reason="borrower deceased, no estate",
                          idempotency_key="wo-1", now=NOW)
    assert again.status is WriteOffStatus.REPLAYED
    assert again.entry_id == entry_ids("wo-1")[0]
    assert (counts(app), len(data(app).audit)) == before


@pytest.mark.parametrize(("loan_delta", "reason"), [(0, "another reason"), (1, None)])
def test_the_same_key_for_another_write_off_is_a_named_rejection(
        app: Dunwell, loan_delta: int, reason: str | None) -> None:
    loan_id = open_with_loan(app)
    with app.uow() as uow:
        disburse(uow, [LoanRequest(8, ANNUITY, 100_000, 12)])
        uow.commit()
    charge_off(app, loan_id)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        write_off(uow, loan_id=loan_id + loan_delta,
                  reason=reason or "borrower deceased, no estate", idempotency_key="wo-1",
                  now=NOW)
    assert err.value.code == "idempotency_key_must_match_original_request"


def test_a_charged_off_loan_refuses_payments_and_a_second_write_off(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    charge_off(app, loan_id)
    before = counts(app)
    with app.uow() as uow, pytest.raises(DomainError) as paying:
        receive_payment(uow, loan_id=loan_id, amount="10.00", currency="CNY",
                        idempotency_key="after", providers=app.providers)
    with app.uow() as uow, pytest.raises(DomainError) as again:
        write_off(uow, loan_id=loan_id, reason="again", idempotency_key="wo-2", now=NOW)
    assert paying.value.code == again.value.code == "loan_must_be_open"
    assert counts(app) == before


@pytest.mark.parametrize(("reason", "key", "code"), [
    ("", "wo-1", "write_off_reason_must_be_given"),
    ("x" * 501, "wo-1", "write_off_reason_must_be_given"),
    ("fraud", "", "idempotency_key_must_be_present"),
])
def test_a_write_off_without_reason_or_key_is_refused(app: Dunwell, reason: str, key: str,
                                                      code: str) -> None:
    loan_id = open_with_loan(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        write_off(uow, loan_id=loan_id, reason=reason, idempotency_key=key, now=NOW)
    assert err.value.code == code
    assert loan_now(app, loan_id).status is LoanStatus.DISBURSED


# the steps


def test_a_payoff_after_interest_accrued_posts_the_recognised_interest_apart(
        app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    with app.uow() as uow:
        loan, product = uow.loans.get(loan_id), uow.products.get(ANNUITY)
    day = to_day(START) + 20
    quote = payoff_quote(loan, day=day)
    outcome = payment_outcome(loan, product, kind=PaymentKind.PAYOFF, mode=None,
                              amount_minor=quote, currency="CNY", day=day)
    posted = payment_entries(outcome, entry_id="pay:1:a:b", kind=PaymentKind.PAYOFF,
                             key="k", loan_id=loan_id, currency="CNY", business_date=START)
    assert outcome.accrual_minor > 0
    assert [(e.entry_id, e.kind) for e in posted] == [("pay:1:a:b", "payment:payoff"),
                                                      ("acr:1:a:b", "accrual")]
    assert all(sum(ln.amount_minor for ln in e.lines) == 0 for e in posted)
    assert -sum(ln.amount_minor for ln in posted[1].lines
                if ln.account is Account.INTEREST_INCOME) == outcome.accrual_minor


def test_a_write_off_is_one_entry_named_by_its_key_when_nothing_was_paid(
        app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    with app.uow() as uow:
        loan, product = uow.loans.get(loan_id), uow.products.get(ANNUITY)
    done = write_off_rule(loan, product)
    posted = write_off_entries(done, key="wo-1", loan_id=loan_id, why="fraud",
                               currency="CNY", business_date=START)
    assert [e.entry_id for e in posted] == [entry_ids("wo-1")[0]]
    assert posted[0].memo == f"write-off of loan {loan_id}: fraud"


# the reconciliation


def check(app: Dunwell, name: str) -> list[object]:
    """The offenders of one check of ``book verify`` (none: it passed)."""
    (found,) = [c for c in verify_book(app).checks if c.name == name]
    assert found.ok is (not found.offending), found
    return list(found.offending)


def test_a_book_served_by_its_commands_verifies(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    pay(app, loan_id, "500.00", "r1")
    charge_off(app, loan_id)
    report = verify_book(app)
    assert report.ok, report.as_json()
    assert report.business_date == START


def test_a_loan_changed_behind_the_ledgers_back_is_named(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    loans = data(app).loans
    first = loans[loan_id].installments[0]
    loans[loan_id] = replace(loans[loan_id], installments=(
        replace(first, paid_principal_minor=first.paid_principal_minor + 1),
        *loans[loan_id].installments[1:]))
    assert check(app, "loans_match_journal")
    assert check(app, "ledger_sums_to_zero") == []


def test_a_payment_without_its_entry_is_named(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    pay(app, loan_id, "500.00", "r1")
    (payment,) = data(app).payments.values()
    del data(app).entries[payment.entry_id]
    assert check(app, "payments_posted_once") == [
        f"payment {payment.payment_id}: no journal entry"]


def test_a_loan_closed_beyond_the_books_date_is_named(app: Dunwell) -> None:
    loan_id = open_with_loan(app)
    loans = data(app).loans
    ahead = to_day(START) + 3
    loans[loan_id] = replace(loans[loan_id], last_cob_day=ahead)
    assert check(app, "loans_closed_within_book_date") == [
        f"loan {loan_id} closed through day {ahead} (book at {START})"]
