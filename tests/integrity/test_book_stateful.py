"""Random lives of a loan book, checked after every step (Hypothesis, stateful).

A book opens on 2025-01-15 with the built-in products. Hypothesis then runs random
sequences of commands through the application, exactly as the shells call them:
disbursements, regular payments (short, exact and over: the rest goes to suspense),
replays of a payment with its key and reuse of a key for another amount, reversals,
closes of business over a few days, partial prepayments in both modes, early full
repayments, restructures under a negotiated plan (the rule the plan acceptance uses,
with its entry posted and the loan saved the same way) and write-offs. A command
may be refused with one of the codes its rules name; nothing may crash, and after
every step the book must be sound (``integrity_books.book_problems``): verify passes,
the ledger sums to zero, cash equals payments not reversed less what was lent, and
no money is made — principal lent plus everything charged equals what is owed plus
what was paid, waived and written off, loan by loan.

Bounded so it runs in well under a minute on SQLite; ``DUNWELL_STRESS=1`` (``make
stress``) gives it a bigger budget. PostgreSQL too when DUNWELL_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import event as note
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from integrity_books import (
    STRESS,
    app_at,
    backends,
    book_date,
    book_problems,
    empty_book,
    fresh_url,
    open_loans,
)

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import (
    ReceiptStatus,
    quote_payoff,
    receive_payment,
    reverse_payment,
)
from dunwell.app.lending.writeoff import write_off
from dunwell.bootstrap import Dunwell
from dunwell.core.dates import to_day
from dunwell.core.errors import DomainError
from dunwell.core.money import format_minor
from dunwell.lending.model import LoanStatus
from dunwell.lending.payments import PaymentKind
from dunwell.lending.prepayment import PrepaymentMode
from dunwell.lending.products import builtin_product_texts, load_product
from dunwell.negotiation.model import PlanInstalment, Waiver
from dunwell.negotiation.restructure import current_debt, restructure

START = dt.date(2025, 1, 15)
#: Books per run (each up to 20 steps, 30 under stress): PostgreSQL's round trips
#: make each step a few times dearer, so it runs fewer within the same minute.
EXAMPLES = {"sqlite": 25, "postgres": 6}
EXAMPLES_STRESS = {"sqlite": 100, "postgres": 40}
NOW = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)
PRODUCTS = {p.code: p for p in (load_product(text) for text in builtin_product_texts())}
#: Codes a command may answer with on a sound book; anything else is a failure.
DISBURSE_CODES = {"loan_cost_must_fit_cap"}  # a tiny loan whose rounded interest tops the cap
PAY_CODES = {"loan_must_be_open"}
PAYOFF_CODES = {"loan_must_be_open"}
PREPAY_CODES = {"loan_must_be_open", "prepayment_amount_must_be_partial",
                "prepayment_mode_must_suit_method", "prepayment_needs_future_installments",
                "prepayment_loan_must_follow_its_original_schedule"}
REVERSE_CODES = {"reversal_must_target_regular_payment", "reversal_suspense_must_be_available",
                 "reversal_must_match_current_allocation", "reversal_loan_must_not_be_charged_off",
                 "reversal_must_not_follow_cost_cap_rebate"}
RESTRUCTURE_CODES = {"loan_must_be_open", "offer_needs_outstanding_debt"}
#: A partial prepayment on a restructured loan is refused (its worked examples are in
#: test_prepayment_after_restructure.py); the machine tries it all the same.
PREPAY_RESTRUCTURED_LOANS = True
WRITE_OFF_CODES = {"loan_must_be_open", "write_off_needs_outstanding_debt"}


def refused(err: DomainError, allowed: set[str], what: str) -> None:
    if err.code not in allowed:
        raise AssertionError(f"{what} refused with an unexpected code: {err}") from err
    note(f"{what} refused: {err.code}")


class LoanBook(RuleBasedStateMachine):
    """One book per example, in the database the test hands over (emptied first)."""

    shared: Dunwell
    examples = 0
    steps = 0

    def __init__(self) -> None:
        super().__init__()
        self.app = self.shared
        type(self).examples += 1
        empty_book(self.app)
        with self.app.uow() as uow:
            open_book(uow, business_date=START, partitions=1, currency="CNY")
            for text in builtin_product_texts():
                register_product(uow, text)
            uow.commit()
        self.keys = 0
        self.requests: dict[str, tuple[int, str, PaymentKind, PrepaymentMode | None]] = {}
        self.payment_ids: list[int] = []
        self.loan_ids: list[int] = []
        self.open_ids: list[int] = []

    def pick(self, data: st.DataObject) -> int:
        """Mostly an open loan (the interesting case), now and then any loan."""
        use_open = bool(self.open_ids) and data.draw(st.integers(0, 9)) != 0
        pool = self.open_ids if use_open else self.loan_ids
        picked: int = data.draw(st.sampled_from(pool))
        return picked

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    def pay(self, loan_id: int, amount_minor: int, kind: PaymentKind,
            mode: PrepaymentMode | None, allowed: set[str]) -> None:
        key = self.key()
        amount = format_minor(amount_minor, "CNY")
        try:
            with self.app.uow() as uow:
                receipt = receive_payment(uow, loan_id=loan_id, amount=amount, currency="CNY",
                                          idempotency_key=key, kind=kind, mode=mode,
                                          providers=self.app.providers)
                uow.commit()
        except DomainError as err:
            refused(err, allowed, f"{kind.value} payment")
            return
        assert receipt.status is ReceiptStatus.POSTED
        self.requests[key] = (loan_id, amount, kind, mode)
        self.payment_ids.append(receipt.payment.payment_id)
        note(f"{kind.value} payment posted")

    def due_now(self, loan_id: int) -> int:
        """What a regular payment settles today: everything due and the next instalment."""
        with self.app.uow() as uow:
            loan = uow.loans.get(loan_id)
            day = to_day(uow.book.require().business_date)
        due = [i for i in loan.installments if i.due_day <= day]
        ahead = [i for i in loan.installments if i.due_day > day and i.unpaid_total_minor > 0]
        return sum(max(0, i.unpaid_total_minor) for i in due + ahead[:1])

    @rule(code=st.sampled_from(sorted(PRODUCTS)),
          principal_minor=st.integers(min_value=100, max_value=5_000_000))
    def disburse_a_loan(self, code: str, principal_minor: int) -> None:
        periods = PRODUCTS[code].term_months_min
        try:
            with self.app.uow() as uow:
                (loan,) = disburse(uow, [LoanRequest(1, code, principal_minor, periods)])
                uow.commit()
        except DomainError as err:
            refused(err, DISBURSE_CODES, "disbursement")
            return
        self.loan_ids.append(loan.loan_id)

    @precondition(lambda self: self.loan_ids)
    @rule(data=st.data(), share_pct=st.sampled_from([1, 30, 99, 100, 100, 101, 250]))
    def pay_part_all_or_more_than_is_due(self, data: st.DataObject, share_pct: int) -> None:
        loan_id = self.pick(data)
        amount = max(1, self.due_now(loan_id) * share_pct // 100)
        self.pay(loan_id, amount, PaymentKind.REGULAR, None, PAY_CODES)

    @precondition(lambda self: self.loan_ids)
    @rule(data=st.data(), extra_minor=st.sampled_from([0, 0, 1, 5000]))
    def repay_in_full_early(self, data: st.DataObject, extra_minor: int) -> None:
        if data.draw(st.integers(0, 2), label="rarely"):
            return  # closes the loan: one time in three, so loans live long enough
        loan_id = self.pick(data)
        with self.app.uow() as uow:
            try:
                quote = quote_payoff(uow, loan_id=loan_id)
            except DomainError as err:
                refused(err, PAYOFF_CODES, "payoff quote")
                return
        self.pay(loan_id, quote + extra_minor, PaymentKind.PAYOFF, None, PAYOFF_CODES)

    @precondition(lambda self: self.loan_ids)
    @rule(data=st.data(), mode=st.sampled_from(PrepaymentMode),
          share_pct=st.sampled_from([20, 50, 90]))
    def prepay_part_of_the_balance(self, data: st.DataObject, mode: PrepaymentMode,
                                   share_pct: int) -> None:
        loan_id = self.pick(data)
        with self.app.uow() as uow:
            if (not PREPAY_RESTRUCTURED_LOANS
                    and uow.loans.get(loan_id).status is LoanStatus.RESTRUCTURED):
                return
            try:
                quote = quote_payoff(uow, loan_id=loan_id)
            except DomainError as err:
                refused(err, PREPAY_CODES, "prepayment quote")
                return
        amount = max(1, quote * share_pct // 100)
        self.pay(loan_id, amount, PaymentKind.PREPAYMENT, mode, PREPAY_CODES)

    @precondition(lambda self: self.requests)
    @rule(data=st.data(), same=st.booleans())
    def send_a_key_again(self, data: st.DataObject, same: bool) -> None:
        key = data.draw(st.sampled_from(sorted(self.requests)))
        loan_id, amount, kind, mode = self.requests[key]
        if not same:
            amount = format_minor(int(amount.replace(".", "")) + 1, "CNY")
        try:
            with self.app.uow() as uow:
                receipt = receive_payment(uow, loan_id=loan_id, amount=amount, currency="CNY",
                                          idempotency_key=key, kind=kind, mode=mode,
                                          providers=self.app.providers)
                uow.commit()
        except DomainError as err:
            assert not same, f"a replay of {key} was refused: {err}"
            assert err.code == "idempotency_key_must_match_original_request"
            return
        assert same, f"{key} reused for another amount was accepted"
        assert receipt.status is ReceiptStatus.REPLAYED

    @precondition(lambda self: self.payment_ids)
    @rule(data=st.data())
    def reverse_a_payment(self, data: st.DataObject) -> None:
        payment_id = data.draw(st.sampled_from(self.payment_ids))
        try:
            with self.app.uow() as uow:
                reverse_payment(uow, payment_id=payment_id, reason="bounced")
                uow.commit()
        except DomainError as err:
            refused(err, REVERSE_CODES, "reversal")
            return
        note("reversal posted")

    @rule(days=st.sampled_from([1, 1, 2, 3, 7, 16, 31]))
    def close_business_days(self, days: int) -> None:
        close_until(self.app, book_date(self.app) + dt.timedelta(days=days - 1))

    @precondition(lambda self: self.loan_ids)
    @rule(data=st.data(), months=st.integers(min_value=1, max_value=4),
          waive_penalty=st.booleans())
    def restructure_under_a_plan(self, data: st.DataObject, months: int,
                                 waive_penalty: bool) -> None:
        loan_id = self.pick(data)
        try:
            with self.app.uow() as uow:
                today = uow.book.require().business_date
                loan = uow.loans.get(loan_id)
                debt, _ = current_debt(loan)
                waiver = Waiver(penalty_minor=debt.penalty_minor if waive_penalty else 0)
                parts = [[x // months] * (months - 1) + [x - x // months * (months - 1)]
                         for x in (debt.principal_minor, debt.interest_minor,
                                   debt.penalty_minor - waiver.penalty_minor, debt.fee_minor)]
                plan = [PlanInstalment(n=k + 1, due_date=today + dt.timedelta(days=30 * (k + 1)),
                                       principal_minor=parts[0][k], interest_minor=parts[1][k],
                                       penalty_minor=parts[2][k], fee_minor=parts[3][k])
                        for k in range(months)]
                done = restructure(loan, debt=debt, instalments=plan, waiver=waiver,
                                   business_date=today, entry_id=f"rst:{loan_id}:{self.key()}")
                if done.entry is not None:
                    uow.ledger.post(done.entry)
                uow.loans.save(done.loan)
                uow.commit()
        except DomainError as err:
            refused(err, RESTRUCTURE_CODES, "restructure")
            return
        note("restructure posted")

    @precondition(lambda self: self.loan_ids)
    @rule(data=st.data())
    def write_the_loan_off(self, data: st.DataObject) -> None:
        if data.draw(st.integers(0, 2), label="rarely"):
            return  # closes the loan: one time in three, so loans live long enough
        loan_id = self.pick(data)
        try:
            with self.app.uow() as uow:
                write_off(uow, loan_id=loan_id, reason="uncollectable",
                          idempotency_key=self.key(), now=NOW)
                uow.commit()
        except DomainError as err:
            refused(err, WRITE_OFF_CODES, "write-off")
            return
        note("write-off posted")

    @invariant()
    def the_book_is_sound(self) -> None:
        problems = book_problems(self.app)
        assert not problems, "\n".join(problems)
        type(self).steps += 1
        self.open_ids = open_loans(self.app)


@pytest.mark.parametrize("backend", backends())
def test_random_lives_of_a_loan_book_keep_it_sound(
        backend: str, tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    with fresh_url(backend, tmp_path) as url:
        app = app_at(url)
        machine: type[LoanBook] = type(f"LoanBook_{backend}", (LoanBook,), {"shared": app})
        examples = EXAMPLES_STRESS[backend] if STRESS else EXAMPLES[backend]
        budget = settings(
            max_examples=examples, stateful_step_count=30 if STRESS else 20,
            deadline=None, suppress_health_check=list(HealthCheck), derandomize=not STRESS)
        try:
            run_state_machine_as_test(machine, settings=budget)
        finally:
            app.engine.dispose()
        record_property("examples", machine.examples)  # figures for `make stress`
        record_property("checked_steps", machine.steps)
