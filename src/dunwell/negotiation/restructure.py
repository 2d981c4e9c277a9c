"""Restructuring a loan under an accepted plan, and the entry it proposes. Pure.

The debt is read from the loan's servicing state: unpaid principal, interest accrued
and unpaid, unpaid penalty and fees — exactly the loan's receivables in the ledger.
Every instalment of the old schedule is closed at what was paid on it (interest that
was paid ahead of its accrual is recognised now); the plan's payments become new
instalments numbered after the old ones, due on the plan's dates. Interest not yet
accrued is not carried: a plan charges interest only when it says so (term
extension), and that interest accrues day by day as before. Waived amounts leave
the receivables against the ``WAIVER_EXPENSE`` account (ADR 0007).

The new schedule has nothing past due, so COB charges no penalty while the plan is
kept; a plan payment missed past the product's grace days is overdue like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.ledger.model import Account, JournalEntry, Line
from dunwell.ledger.rules import entry
from dunwell.lending.lifecycle import LoanEvent, after
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import Bucket
from dunwell.negotiation.errors import RestructureRejected
from dunwell.negotiation.model import Debt, PlanInstalment, PlanStatus, Waiver

#: The most payments one plan may have.
PLAN_PAYMENTS_MAX = 600


@dataclass(frozen=True, slots=True)
class Restructure:
    loan: LoanState
    entry: JournalEntry | None  # waivers and interest recognised; None when neither
    first_n: int  # the plan's instalments are first_n..last_n of the loan
    last_n: int


def current_debt(loan: LoanState) -> tuple[Debt, int]:
    """The loan's debt today and the interest paid ahead of its accrual (which a
    restructure recognises)."""
    insts = loan.installments
    debt = Debt(
        principal_minor=sum(max(0, i.unpaid_principal_minor) for i in insts),
        interest_minor=sum(max(0, i.interest_accrued_minor - i.paid_interest_minor)
                           for i in insts),
        penalty_minor=sum(max(0, i.unpaid_penalty_minor) for i in insts),
        fee_minor=sum(max(0, i.unpaid_fee_minor) for i in insts))
    ahead = sum(max(0, i.paid_interest_minor - i.interest_accrued_minor) for i in insts)
    return debt, ahead


def check_covers(debt: Debt, instalments: Sequence[PlanInstalment], waiver: Waiver) -> None:
    """Plan payments plus waivers must equal the debt, component by component."""
    for name in ("principal_minor", "interest_minor", "penalty_minor", "fee_minor"):
        planned = sum(getattr(i, name) for i in instalments) + getattr(waiver, name)
        owed = getattr(debt, name)
        if planned != owed:
            comp = name.removesuffix("_minor")
            raise RestructureRejected(
                f"the plan and its waivers cover {planned} minor units of {comp} but the "
                f"loan owes {owed}; a plan must cover the debt exactly — make new offers",
                code="plan_must_cover_debt", component=comp, planned=planned, owed=owed)


def held_quote(quoted: Debt, today: Debt, waiver: Waiver) -> tuple[Debt, Waiver] | None:
    """An offer holds the amount it quoted until it expires: what accrued on the loan
    since the quote (interest, penalty, fees — never principal) joins the waiver, so
    the borrower pays exactly what they were offered. None when the debt moved any
    other way (a payment or a reversal): the quote no longer describes the loan."""
    grown = (today.interest_minor - quoted.interest_minor,
             today.penalty_minor - quoted.penalty_minor, today.fee_minor - quoted.fee_minor)
    if today.principal_minor != quoted.principal_minor or min(grown) < 0:
        return None
    return today, Waiver(principal_minor=waiver.principal_minor,
                         interest_minor=waiver.interest_minor + grown[0],
                         penalty_minor=waiver.penalty_minor + grown[1],
                         fee_minor=waiver.fee_minor + grown[2])


def restructure(loan: LoanState, *, debt: Debt, instalments: Sequence[PlanInstalment],
                waiver: Waiver, business_date: dt.date, entry_id: str) -> Restructure:
    """The loan under the plan. ``debt`` is what the plan was made for; if the loan's
    debt is different today (a payment, a day's penalty), nothing is restructured."""
    loan.require_open()
    today, ahead = current_debt(loan)
    if today.total_minor <= 0:
        raise Conflict(f"loan {loan.loan_id} owes nothing; there is nothing to restructure",
                       code="offer_needs_outstanding_debt")
    if today != debt:
        raise RestructureRejected(
            f"the offer was made for a debt of {debt.total_minor} minor units but loan "
            f"{loan.loan_id} owes {today.total_minor} today; make new offers",
            code="plan_must_cover_debt", offered=debt.total_minor, owed=today.total_minor)
    check_covers(today, instalments, waiver)
    if not 0 < len(instalments) <= PLAN_PAYMENTS_MAX:
        raise InvalidInput(f"a plan needs 1 to {PLAN_PAYMENTS_MAX} payments",
                           code="plan_payments_must_be_bounded")
    day = to_day(business_date)
    dues = [to_day(i.due_date) for i in instalments]
    if dues[0] <= day or any(b <= a for a, b in pairwise(dues)):
        raise InvalidInput("plan payments must fall due after today, in order",
                           code="plan_dates_must_be_future_and_ordered")
    closed = tuple(_closed_at_paid(i) for i in loan.installments)
    last_old = max((i.n for i in loan.installments), default=0)
    fresh = []
    start = day
    for k, (p, due) in enumerate(zip(instalments, dues, strict=True)):
        fresh.append(InstallmentState(
            n=last_old + k + 1, due_day=due, accrual_start_day=start,
            principal_minor=p.principal_minor,
            interest_minor=p.interest_minor + p.new_interest_minor,
            interest_base_minor=p.interest_minor, interest_accrued_minor=p.interest_minor,
            fee_minor=p.fee_minor, penalty_minor=p.penalty_minor))
        start = due
    lid = loan.loan_id
    lines = [Line.debit(Account.INTEREST_RECEIVABLE, ahead, lid),
             Line.credit(Account.INTEREST_INCOME, ahead, lid)]
    for amount, receivable in ((waiver.principal_minor, Account.PRINCIPAL_RECEIVABLE),
                               (waiver.interest_minor, Account.INTEREST_RECEIVABLE),
                               (waiver.penalty_minor, Account.PENALTY_RECEIVABLE),
                               (waiver.fee_minor, Account.FEE_RECEIVABLE)):
        lines += [Line.debit(Account.WAIVER_EXPENSE, amount, lid),
                  Line.credit(receivable, amount, lid)]
    proposed = None
    if any(line.amount_minor for line in lines):
        proposed = entry(entry_id=entry_id, business_date=business_date, kind="restructure",
                         currency=loan.currency, lines=lines,
                         memo=f"restructure loan {lid}: waived {waiver.total_minor}, "
                              f"interest recognised {ahead}")
    insts = closed + tuple(fresh)
    settled = all(i.unpaid_total_minor <= 0 for i in insts)
    new_loan = after(replace(loan, installments=insts, days_past_due=0, bucket=Bucket.M0,
                             charged_minor=loan.charged_minor + ahead), LoanEvent.RESTRUCTURE)
    if settled:
        new_loan = after(new_loan, LoanEvent.SETTLED)
    return Restructure(new_loan, proposed,
                       last_old + 1, last_old + len(fresh))


def _closed_at_paid(inst: InstallmentState) -> InstallmentState:
    """An old instalment closed at what was paid on it: nothing more is owed on it and
    nothing more accrues."""
    paid_interest = inst.paid_interest_minor
    return replace(inst, principal_minor=inst.paid_principal_minor,
                   interest_minor=paid_interest, interest_base_minor=paid_interest,
                   interest_accrued_minor=paid_interest, accrual_start_day=inst.due_day,
                   fee_minor=inst.paid_fee_minor, penalty_minor=inst.paid_penalty_minor)


def plan_status(loan: LoanState, *, first_n: int, last_n: int, business_date: dt.date,
                grace_days: int) -> tuple[PlanStatus, InstallmentState | None]:
    """Completed when every plan payment is made; broken when one is unpaid more than
    ``grace_days`` after it fell due (that instalment is returned); otherwise active."""
    day = to_day(business_date)
    mine = [i for i in loan.installments if first_n <= i.n <= last_n]
    if all(i.unpaid_total_minor <= 0 for i in mine):
        return PlanStatus.COMPLETED, None
    for inst in mine:
        if inst.unpaid_total_minor > 0 and day - inst.due_day > grace_days:
            return PlanStatus.BROKEN, inst
    return PlanStatus.ACTIVE, None
