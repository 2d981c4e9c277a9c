"""The borrower portal's loan views and online payments.

A borrower sees only their own loans: another borrower's loan answers as missing
(``loan_must_exist``, 404), as the API does. Every figure is read from the loan as
serviced, so the page's sums are the ledger's to the cent:

- :func:`my_loans`: each open loan with its status, next due date and amount, what is
  overdue broken down into principal, interest, penalty and fees, and what happens
  next, in plain words;
- :func:`my_loan`: the same with the schedule, instalment by instalment, and today's
  payoff quote;
- :func:`preview_payment`: what a payment of an amount would settle, by the
  waterfall, before anything is taken;
- :func:`pay_online`: charge through the payment gateway port, then post through
  :func:`~dunwell.app.lending.payments.receive_payment`, under an idempotency key
  derived from the form's one-time key, so a second submit of the same form posts
  nothing and charges nothing more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from dunwell.app.audit import record
from dunwell.app.commands import run_command
from dunwell.app.context import Dunwell
from dunwell.app.lending.payments import Receipt, ReceiptStatus, receive_payment
from dunwell.app.uow import UnitOfWork
from dunwell.collections.model import CaseStatus
from dunwell.core.dates import from_day, to_day
from dunwell.core.errors import InvalidInput, NotFound, RetryLater
from dunwell.core.money import format_minor, to_minor
from dunwell.lending.delinquency import dpd_on
from dunwell.lending.gateway import GatewayResult
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import Component
from dunwell.lending.payments import PaymentKind, pay, payable_indices
from dunwell.lending.prepayment import payoff_quote

#: The longest one-time form key the payment form carries.
FORM_KEY_CHARS_MAX = 64
#: Days past due from which a letter is among the next steps, and a call.
LETTER_FROM_DPD = 15
CALL_FROM_DPD = 5


class NextStep(StrEnum):
    """What happens next on a loan, named for the page's plain-words texts."""

    ON_TIME = "on_time"  # nothing is overdue: a reminder before the next due date
    REMINDERS = "reminders"  # text or app reminders while something is overdue
    CALL = "call"  # a collector calls to talk it through
    LETTER = "letter"  # a letter with the figures
    PLAN_RIGHT = "plan_right"  # the borrower may ask for a repayment plan at any time
    ON_PLAN = "on_plan"  # the loan is on a plan: keep to its payments


@dataclass(frozen=True, slots=True)
class Breakdown:
    principal_minor: int = 0
    interest_minor: int = 0
    penalty_minor: int = 0
    fee_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor + self.penalty_minor + self.fee_minor


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    n: int
    due_on: dt.date
    principal_minor: int
    interest_minor: int
    fee_minor: int
    penalty_minor: int
    paid_minor: int
    outstanding_minor: int
    overdue: bool


@dataclass(frozen=True, slots=True)
class LoanSummary:
    loan_id: int
    product_code: str
    currency: str
    status: str
    days_past_due: int
    principal_minor: int
    outstanding_minor: int
    next_due_on: dt.date | None
    next_due_minor: int
    overdue: Breakdown
    next_steps: tuple[NextStep, ...]
    case_id: str | None


@dataclass(frozen=True, slots=True)
class LoanDetail:
    summary: LoanSummary
    schedule: tuple[ScheduleRow, ...]
    payoff_minor: int
    business_date: dt.date


@dataclass(frozen=True, slots=True)
class PaymentPreview:
    loan_id: int
    currency: str
    amount_minor: int
    kind: PaymentKind
    #: What the payment settles, by component (a payoff settles the loan).
    settles: Breakdown
    #: The instalments it reaches, oldest first.
    instalments: tuple[int, ...]
    #: The most a regular payment may be today, and the payoff quote.
    payable_minor: int
    payoff_minor: int


@dataclass(frozen=True, slots=True)
class OnlinePayment:
    receipt: Receipt
    gateway: GatewayResult | None  # None: a replay of a payment already posted

    @property
    def replayed(self) -> bool:
        return self.receipt.status is ReceiptStatus.REPLAYED


def _own_loan(uow: UnitOfWork, borrower_id: int, loan_id: int) -> LoanState:
    """The borrower's loan; any other (or none) is missing, as the API answers."""
    try:
        loan = uow.loans.get(loan_id)
    except NotFound:
        loan = None
    if loan is None or loan.borrower_id != borrower_id:
        raise NotFound(f"loan {loan_id} was not found among your loans",
                       code="loan_must_exist", loan_id=loan_id)
    return loan


def _active_case(uow: UnitOfWork, borrower_id: int) -> tuple[str, CaseStatus] | None:
    active = [(str(row["case_id"]), CaseStatus(row["status"]))
              for row in uow.cases.for_borrower(borrower_id)
              if CaseStatus(row["status"]).is_active]
    return active[-1] if active else None


def overdue_breakdown(loan: LoanState, day: int) -> Breakdown:
    """What is unpaid on the instalments due before ``day`` (the days-past-due rule)."""
    late = [i for i in loan.installments if i.due_day < day and i.unpaid_total_minor > 0]
    return Breakdown(sum(max(0, i.unpaid_principal_minor) for i in late),
                     sum(max(0, i.unpaid_interest_minor) for i in late),
                     sum(max(0, i.unpaid_penalty_minor) for i in late),
                     sum(max(0, i.unpaid_fee_minor) for i in late))


def next_steps(dpd: int, case: tuple[str, CaseStatus] | None) -> tuple[NextStep, ...]:
    """What the lender does next, from the loan's days past due and its case."""
    if case is not None and case[1] is CaseStatus.PLAN:
        return (NextStep.ON_PLAN, NextStep.REMINDERS)
    if dpd <= 0:
        return (NextStep.ON_TIME, NextStep.PLAN_RIGHT)
    steps = [NextStep.REMINDERS]
    if dpd >= CALL_FROM_DPD:
        steps.append(NextStep.CALL)
    if dpd >= LETTER_FROM_DPD:
        steps.append(NextStep.LETTER)
    steps.append(NextStep.PLAN_RIGHT)
    return tuple(steps)


def _summary(uow: UnitOfWork, loan: LoanState, today: dt.date,
             case: tuple[str, CaseStatus] | None) -> LoanSummary:
    day = to_day(today)
    dpd = dpd_on(loan, today)
    upcoming = [i for i in loan.installments if i.due_day >= day and i.unpaid_total_minor > 0]
    nxt: InstallmentState | None = upcoming[0] if upcoming else None
    return LoanSummary(
        loan_id=loan.loan_id, product_code=loan.product_code, currency=loan.currency,
        status=loan.status.name.lower(), days_past_due=dpd,
        principal_minor=loan.principal_minor, outstanding_minor=loan.unpaid_total_minor,
        next_due_on=None if nxt is None else from_day(nxt.due_day),
        next_due_minor=0 if nxt is None else nxt.unpaid_total_minor,
        overdue=overdue_breakdown(loan, day), next_steps=next_steps(dpd, case),
        case_id=None if case is None else case[0])


def my_loans(app: Dunwell, *, borrower_id: int) -> list[LoanSummary]:
    """The borrower's open loans, most overdue first."""
    with app.uow() as uow:
        today = uow.book.require().business_date
        case = _active_case(uow, borrower_id)
        return [_summary(uow, uow.loans.get(loan_id), today, case)
                for loan_id, _ in uow.negotiation.open_loans(borrower_id)]


def _row(inst: InstallmentState, day: int) -> ScheduleRow:
    paid = (inst.paid_principal_minor + inst.paid_interest_minor + inst.paid_fee_minor
            + inst.paid_penalty_minor)
    owed = max(0, inst.unpaid_total_minor)
    return ScheduleRow(inst.n, from_day(inst.due_day), inst.principal_minor,
                       inst.interest_minor, inst.fee_minor, inst.penalty_minor, paid, owed,
                       inst.due_day < day and owed > 0)


def my_loan(app: Dunwell, *, borrower_id: int, loan_id: int) -> LoanDetail:
    """One of the borrower's loans with its schedule and today's payoff quote (0 for
    a loan no longer open)."""
    with app.uow() as uow:
        today = uow.book.require().business_date
        loan = _own_loan(uow, borrower_id, loan_id)
        day = to_day(today)
        quote = payoff_quote(loan, day=day) if loan.status.is_open else 0
        return LoanDetail(_summary(uow, loan, today, _active_case(uow, borrower_id)),
                          tuple(_row(i, day) for i in loan.installments), quote, today)


def _payable_minor(loan: LoanState, day: int) -> int:
    due, ahead = payable_indices(loan, day)
    return sum(max(0, loan.installments[k].unpaid_total_minor) for k in (*due, *ahead))


def _amount(text: str, currency: str) -> int:
    text = text.strip().replace(",", "")
    if not text:
        raise InvalidInput("type the amount to pay, e.g. 500.00", code="amount_must_be_given",
                           field="amount")
    try:
        amount = to_minor(text, currency, field="amount")
    except InvalidInput as exc:
        raise InvalidInput(exc.message, code=exc.code, field="amount") from None
    if amount <= 0:
        raise InvalidInput("the amount must be more than zero",
                           code="payment_amount_must_be_positive", field="amount")
    return amount


def _preview(uow: UnitOfWork, loan: LoanState, amount_text: str, today: dt.date
             ) -> PaymentPreview:
    loan.require_open()
    day = to_day(today)
    amount = _amount(amount_text, loan.currency)
    quote = payoff_quote(loan, day=day)
    payable = _payable_minor(loan, day)
    if amount == quote:
        return PaymentPreview(loan.loan_id, loan.currency, amount, PaymentKind.PAYOFF,
                              Breakdown(), (), payable, quote)
    if amount > payable:
        raise InvalidInput(
            f"at most {payable} minor units can be paid towards what is due now; to pay the "
            f"loan off, pay the payoff quote ({quote} minor units)",
            code="payment_amount_must_be_payable", field="amount", payable_minor=payable,
            payoff_minor=quote)
    outcome = pay(loan, uow.products.get(loan.product_code), amount_minor=amount,
                  currency=loan.currency, day=day)
    parts = {c: sum(a.amount_minor for a in outcome.allocation if a.component is c)
             for c in Component}
    settles = Breakdown(parts[Component.PRINCIPAL], parts[Component.INTEREST],
                        parts[Component.PENALTY], parts[Component.FEE])
    return PaymentPreview(loan.loan_id, loan.currency, amount, PaymentKind.REGULAR, settles,
                          tuple(sorted({a.n for a in outcome.allocation})), payable, quote)


def preview_payment(app: Dunwell, *, borrower_id: int, loan_id: int,
                    amount: str) -> PaymentPreview:
    """What ``amount`` would settle on the borrower's loan today, by the waterfall
    (nothing is written). The amount is at most what is payable now (everything due
    and the next instalment), or exactly the payoff quote, which closes the loan."""
    with app.uow() as uow:
        today = uow.book.require().business_date
        return _preview(uow, _own_loan(uow, borrower_id, loan_id), amount, today)


def payment_key(borrower_id: int, form_key: str) -> str:
    """The idempotency key of the payment a portal form makes."""
    form_key = form_key.strip()
    if not form_key or len(form_key) > FORM_KEY_CHARS_MAX or not all(
            ch.isascii() and (ch.isalnum() or ch in "-_") for ch in form_key):
        raise InvalidInput("the payment form has expired; open the payment page again",
                           code="payment_form_key_must_be_valid", field="form_key")
    return f"portal:{borrower_id}:{form_key}"


def pay_online(app: Dunwell, *, borrower_id: int, loan_id: int, amount: str, account: str,
               form_key: str, now: dt.datetime) -> OnlinePayment:
    """Charge the borrower through the payment gateway, then post the payment. The
    same form again (its key) returns the payment first posted and charges nothing.
    A declined charge posts nothing (``charge_must_be_captured``)."""
    key = payment_key(borrower_id, form_key)
    gateway = app.providers.payments
    if gateway is None:
        raise RetryLater("online payments are not available at the moment; pay by bank "
                         "transfer with the details in your letter",
                         code="payment_gateway_must_be_configured")
    with app.uow() as uow:
        today = uow.book.require().business_date
        loan = _own_loan(uow, borrower_id, loan_id)
        seen = uow.payments.by_key(key)
        if seen is not None:
            return OnlinePayment(Receipt(ReceiptStatus.REPLAYED, seen,
                                         uow.loans.get(seen.loan_id)), None)
        preview = _preview(uow, loan, amount, today)
    charged = gateway.charge(borrower_id=borrower_id, loan_id=loan_id,
                             amount_minor=preview.amount_minor, currency=preview.currency,
                             account=account, key=key)
    if not charged.captured:
        raise InvalidInput(f"the payment was declined ({charged.reason}); nothing was "
                           "taken. Try another card or account",
                           code="charge_must_be_captured", field="account",
                           reference=charged.reference)
    return OnlinePayment(run_command(app, lambda uow: _post(
        app, uow, preview, key=key, charged=charged, now=now), what=f"payment {key!r}"),
        charged)


def _post(app: Dunwell, uow: UnitOfWork, preview: PaymentPreview, *, key: str,
          charged: GatewayResult, now: dt.datetime) -> Receipt:
    receipt = receive_payment(
        uow, loan_id=preview.loan_id, amount=format_minor(preview.amount_minor, preview.currency),
        currency=preview.currency, idempotency_key=key, kind=preview.kind,
        settings=app.settings, providers=app.providers)
    if receipt.status is ReceiptStatus.POSTED:
        record(uow, at=now, entries=[("portal_payment", f"loan:{preview.loan_id}", {
            "payment_id": receipt.payment.payment_id, "amount_minor": preview.amount_minor,
            "kind": preview.kind.value, "gateway_reference": charged.reference})])
    return receipt

