"""Cancelling a loan within its cooling-off window. Pure: returns the closed loan and
the journal lines the ledger will post.

A borrower who withdraws from a loan within the window returns the money: the
principal, plus — where the jurisdiction's rule charges it — the interest accrued
from drawdown to the day of cancelling (through its close, as an early repayment
counts it). Nothing else is charged: cancelling is *without cost*.

1. **Interest to date.** Each instalment's interest becomes what has accrued by the
   day when the rule charges it, or nothing when it does not. Interest the day's
   close has not yet accrued is recognised (``accrual_lines``); interest accrued
   beyond what is charged is given back out of income (``waiver_lines``).
2. **Fees are waived.** The origination fee (and any penalty) recognised at
   disbursement leave income again (``waiver_lines``): they were never owed.
3. **The money returned** settles the principal and the interest charged
   (``payment_lines``: cash in, receivables out), and must be exactly that amount.

Every instalment is then closed at what was paid, the loan owes nothing and its
status moves by :data:`LoanEvent.CANCEL` (``PAID_OFF``). A loan already repaid in
part, or holding money in suspense, is not cancelled here: that money would have to
be refunded first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict
from dunwell.core.money import format_minor
from dunwell.ledger.model import Account, Line
from dunwell.lending.lifecycle import LoanEvent, transition
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import Bucket
from dunwell.lending.payments import check_amount


class CancellationRejected(Conflict):
    code = "cancellation_must_be_possible"


@dataclass(frozen=True, slots=True)
class Due:
    """What a cancelling borrower returns, in minor units."""

    principal_minor: int
    interest_minor: int

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor


@dataclass(frozen=True, slots=True)
class Cancellation:
    """The loan after cancelling, what was returned and waived, and the lines to post.

    ``accrual_lines``: interest to date not yet accrued, recognised (may be empty);
    ``waiver_lines``: the fee, penalty and interest not charged, out of income again
    (may be empty); ``payment_lines``: the money returned, applied.
    """

    loan: LoanState
    due: Due
    fee_waived_minor: int
    interest_waived_minor: int
    accrual_lines: tuple[Line, ...]
    waiver_lines: tuple[Line, ...]
    payment_lines: tuple[Line, ...]


def check_window(*, on: dt.date, start: dt.date, cancel_until: dt.date | None,
                 cancelled_on: dt.date | None) -> None:
    """Refuse a cancellation outside the window shown with the terms accepted."""
    if cancelled_on is not None:
        raise CancellationRejected(f"this drawdown was already cancelled on "
                                   f"{cancelled_on.isoformat()}",
                                   code="cancellation_must_not_repeat")
    if cancel_until is None:
        raise CancellationRejected("this drawdown has no cooling-off window (none applies "
                                   "to this borrower in this jurisdiction); repay it early "
                                   "instead", code="cancellation_must_be_within_window")
    if not start <= on <= cancel_until:
        raise CancellationRejected(
            f"the cooling-off window runs from {start.isoformat()} to "
            f"{cancel_until.isoformat()}; {on.isoformat()} is outside it — repay early "
            "instead", code="cancellation_must_be_within_window",
            cancel_until=cancel_until.isoformat())


def _charged(inst: InstallmentState, day: int, charges_interest: bool) -> int:
    return inst.interest_accrued_through(day) if charges_interest else 0


def cancellation_due(loan: LoanState, *, day: int, charges_interest: bool) -> Due:
    """What returning the loan on ``day`` costs: its principal, and the interest
    accrued to date when ``charges_interest``."""
    return Due(sum(i.principal_minor for i in loan.installments),
               sum(_charged(i, day, charges_interest) for i in loan.installments))


def _require_untouched(loan: LoanState) -> None:
    loan.require_open()
    paid = sum(i.paid_principal_minor + i.paid_interest_minor + i.paid_fee_minor
               + i.paid_penalty_minor for i in loan.installments)
    if paid or loan.suspense_minor:
        raise CancellationRejected(
            f"loan {loan.loan_id} has payments on it; a cancellation returns an untouched "
            "loan — repay it early instead", code="cancellation_loan_must_have_no_payments",
            loan_id=loan.loan_id)


def _closed(inst: InstallmentState, charged: int) -> InstallmentState:
    """The instalment owing nothing: principal returned, interest to date paid, no fee."""
    return replace(inst, principal_minor=inst.principal_minor,
                   paid_principal_minor=inst.principal_minor, interest_minor=charged,
                   interest_base_minor=charged, interest_accrued_minor=charged,
                   paid_interest_minor=charged, accrual_start_day=inst.due_day,
                   fee_minor=0, penalty_minor=0)


def cancel(loan: LoanState, *, amount_minor: int, currency: str, on: dt.date,
           charges_interest: bool) -> Cancellation:
    """Cancel the untouched open ``loan`` on ``on`` with ``amount_minor`` returned,
    which must be exactly :func:`cancellation_due` (``cancellation_amount_must_match_due``
    otherwise). The window is checked by :func:`check_window`."""
    check_amount(loan, amount_minor, currency)
    _require_untouched(loan)
    day = to_day(on)
    due = cancellation_due(loan, day=day, charges_interest=charges_interest)
    if amount_minor != due.total_minor:
        raise CancellationRejected(
            f"cancelling loan {loan.loan_id} on {on.isoformat()} returns "
            f"{format_minor(due.total_minor, currency)} {currency} (principal "
            f"{format_minor(due.principal_minor, currency)}, interest "
            f"{format_minor(due.interest_minor, currency)}), got "
            f"{format_minor(amount_minor, currency)}",
            code="cancellation_amount_must_match_due", due_minor=due.total_minor)
    lid = loan.loan_id
    accrued = sum(i.interest_accrued_minor for i in loan.installments)
    recognised = max(0, due.interest_minor - accrued)
    interest_waived = max(0, accrued - due.interest_minor)
    fee = sum(i.fee_minor for i in loan.installments)
    penalty = sum(i.penalty_minor for i in loan.installments)
    accrual = ((Line.debit(Account.INTEREST_RECEIVABLE, recognised, lid),
                Line.credit(Account.INTEREST_INCOME, recognised, lid)) if recognised else ())
    waiver: list[Line] = []
    for amount, income, receivable in (
            (fee, Account.FEE_INCOME, Account.FEE_RECEIVABLE),
            (penalty, Account.PENALTY_INCOME, Account.PENALTY_RECEIVABLE),
            (interest_waived, Account.INTEREST_INCOME, Account.INTEREST_RECEIVABLE)):
        if amount:
            waiver += [Line.debit(income, amount, lid), Line.credit(receivable, amount, lid)]
    payment = [Line.debit(Account.CASH, amount_minor, lid),
               Line.credit(Account.PRINCIPAL_RECEIVABLE, due.principal_minor, lid)]
    if due.interest_minor:
        payment.append(Line.credit(Account.INTEREST_RECEIVABLE, due.interest_minor, lid))
    closed = replace(
        loan, installments=tuple(_closed(i, _charged(i, day, charges_interest))
                                 for i in loan.installments),
        status=transition(loan.status, LoanEvent.CANCEL), days_past_due=0, bucket=Bucket.M0,
        charged_minor=loan.charged_minor - fee - penalty + recognised - interest_waived)
    return Cancellation(closed, due, fee + penalty, interest_waived, accrual, tuple(waiver),
                        tuple(payment))
