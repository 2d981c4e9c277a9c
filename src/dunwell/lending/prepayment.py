"""Early full repayment (interest to date only) and partial prepayment that
shortens the term or lowers the instalment."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import pairwise

from dunwell.core.dates import from_day
from dunwell.core.limits import PERIODS_MAX
from dunwell.core.money import format_minor
from dunwell.ledger.model import Account, Line
from dunwell.lending.errors import PaymentRejected
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import Component, Product, RepaymentMethod
from dunwell.lending.payments import (
    AllocationLine,
    PaymentOutcome,
    allocate,
    apply_allocation,
    check_amount,
    payment_lines,
    settle_state,
)
from dunwell.lending.schedules import product_schedule

_NOT_PRINCIPAL = (Component.PENALTY, Component.FEE, Component.INTEREST)


class PrepaymentMode(StrEnum):
    SHORTEN_TERM = "shorten_term"
    LOWER_INSTALLMENT = "lower_installment"


@dataclass(frozen=True, slots=True)
class Cutover:
    """A loan's instalments with interest cut to what has accrued by ``day``.

    ``excess_interest_minor`` is interest paid ahead beyond that; it is credited to
    the allocation (``reclass_lines`` re-opens it as a receivable) so the borrower never
    pays unaccrued interest.
    """

    installments: tuple[InstallmentState, ...]
    accrual_minor: int
    excess_interest_minor: int


def cut_interest_to(loan: LoanState, day: int, *, from_n: int = 1) -> Cutover:
    """Cut the interest of instalments ``n >= from_n`` to what accrued by ``day``."""
    out = []
    accrual = 0
    excess = 0
    for inst in loan.installments:
        if inst.n < from_n or inst.due_day <= day:
            out.append(inst)
            continue
        to_date = inst.interest_accrued_through(day)
        accrual += max(0, to_date - inst.interest_accrued_minor)
        paid = min(inst.paid_interest_minor, to_date)
        excess += inst.paid_interest_minor - paid
        out.append(replace(inst, interest_minor=to_date, interest_base_minor=to_date,
                           interest_accrued_minor=max(to_date, inst.interest_accrued_minor),
                           accrual_start_day=max(day, inst.accrual_start_day),
                           paid_interest_minor=paid))
    return Cutover(tuple(out), accrual, excess)


def reclass_lines(loan_id: int, excess_minor: int) -> tuple[Line, ...]:
    if not excess_minor:
        return ()
    return (Line.debit(Account.INTEREST_RECEIVABLE, excess_minor, loan_id),)


def payoff_quote(loan: LoanState, *, day: int) -> int:
    """What settles the loan today: everything due, interest to date, all principal."""
    loan.require_open()
    cut = cut_interest_to(loan, day)
    owed = sum(max(0, i.unpaid_total_minor) for i in cut.installments)
    return owed - cut.excess_interest_minor


def payoff(loan: LoanState, product: Product, *, amount_minor: int, currency: str,
           day: int) -> PaymentOutcome:
    """Early full repayment: interest only to date; anything above the quote to suspense."""
    check_amount(loan, amount_minor, currency)
    quote = payoff_quote(loan, day=day)
    if amount_minor < quote:
        raise PaymentRejected(
            f"early repayment of loan {loan.loan_id} needs {format_minor(quote, currency)} "
            f"{currency} today, got {format_minor(amount_minor, currency)}; pay the full "
            "quote or make a regular payment",
            code="payoff_amount_must_cover_quote", quote_minor=quote)
    cut = cut_interest_to(loan, day)
    cut_loan = replace(loan, installments=cut.installments)
    funds = amount_minor + cut.excess_interest_minor
    every = list(range(len(cut.installments)))
    allocation, left = allocate(cut_loan, product, funds, every)
    insts = apply_allocation(cut.installments, allocation)
    moved = replace(loan, installments=insts, suspense_minor=loan.suspense_minor + left,
                    charged_minor=loan.charged_minor + cut.accrual_minor)
    new_loan, true_up, rebate = settle_state(moved, product, day)
    lines = _with_reclass(loan.loan_id, amount_minor, allocation, left, cut.excess_interest_minor)
    return PaymentOutcome(new_loan, tuple(allocation), left, lines + rebate.lines(loan.loan_id),
                          cut.accrual_minor + true_up, rebate)


def prepay(loan: LoanState, product: Product, *, amount_minor: int, currency: str, day: int,
           mode: PrepaymentMode) -> PaymentOutcome:
    """Pay down principal ahead of schedule.

    Everything due by ``day`` and the current period's interest to date are settled
    first; the rest reduces principal and the remaining instalments are recomputed to
    keep the instalment (``shorten_term``) or the number of instalments
    (``lower_installment``).
    """
    check_amount(loan, amount_minor, currency)
    if mode is PrepaymentMode.SHORTEN_TERM and product.method in (
            RepaymentMethod.INTEREST_ONLY, RepaymentMethod.BULLET):
        raise PaymentRejected(
            f"{product.method.value} loans repay principal at maturity; use "
            "lower_installment to cut the interest instead",
            code="prepayment_mode_must_suit_method")
    dues = [i.due_day for i in loan.installments]
    if any(a > b for a, b in pairwise(dues)):
        # a restructure put the plan's payments ahead of the old instalments, which keep
        # their later dates: re-scheduling the "rest" here would rebuild the old ones
        raise PaymentRejected(
            f"loan {loan.loan_id} is repaid under a restructured plan; a partial "
            "prepayment cannot re-schedule it — pay more under the plan (it settles the "
            "next plan payments) or repay in full (--kind payoff)",
            code="prepayment_loan_must_follow_its_original_schedule")
    current = [i for i in loan.installments if i.due_day > day]
    if not current:
        raise PaymentRejected("the loan has no instalment left to prepay; pay what is due",
                              code="prepayment_needs_future_installments")
    first_n = current[0].n
    original = current[0]
    cut = cut_interest_to(loan, day, from_n=first_n)
    cut_loan = replace(loan, installments=cut.installments)
    due_idx = [k for k, i in enumerate(cut.installments) if i.due_day <= day]
    k0 = next(k for k, i in enumerate(cut.installments) if i.n == first_n)
    funds = amount_minor + cut.excess_interest_minor
    allocation, left = allocate(cut_loan, product, funds, due_idx, [k0],
                                ahead_components=_NOT_PRINCIPAL)
    owed_now = sum(a.amount_minor for a in allocation)
    outstanding = sum(i.unpaid_principal_minor for i in cut.installments if i.n >= first_n)
    remaining = outstanding - left
    if left <= 0 or remaining <= 0:
        raise PaymentRejected(
            f"a prepayment must exceed what is due now with interest to date ({owed_now} "
            "minor units) and be less than the whole balance; for everything use early "
            "full repayment", code="prepayment_amount_must_be_partial")
    insts = list(apply_allocation(cut.installments, allocation))
    periods = _periods(loan, product, current, remaining, mode)
    fresh = product_schedule(product, principal_minor=remaining, periods=periods,
                             start=from_day(original.accrual_start_day))
    rebuilt = []
    for j, row in enumerate(fresh.installments):
        old = insts[k0 + j]
        interest = row.interest_minor
        if j == 0:  # interest to date (settled) plus the rest of the period on what remains
            span = max(original.due_day - original.accrual_start_day, 1)
            interest = old.interest_minor + row.interest_minor * (old.due_day - day) // span
        rebuilt.append(replace(old, principal_minor=old.paid_principal_minor + row.principal_minor,
                               interest_minor=interest))
    # the prepaid principal is recorded as principal paid on the current instalment
    first = rebuilt[0]
    rebuilt[0] = replace(first, principal_minor=first.principal_minor + left,
                         paid_principal_minor=first.paid_principal_minor + left)
    allocation.append(AllocationLine(first_n, Component.PRINCIPAL, left))
    moved = replace(loan, installments=tuple(insts[:k0] + rebuilt),
                    charged_minor=loan.charged_minor + cut.accrual_minor)
    new_loan, true_up, rebate = settle_state(moved, product, day)
    lines = _with_reclass(loan.loan_id, amount_minor, allocation, 0, cut.excess_interest_minor)
    return PaymentOutcome(new_loan, tuple(allocation), 0, lines + rebate.lines(loan.loan_id),
                          cut.accrual_minor + true_up, rebate)


def _periods(loan: LoanState, product: Product, current: list[InstallmentState],
             remaining: int, mode: PrepaymentMode) -> int:
    """Instalments left after a prepayment: as many as before (lower_installment), or
    as few as keep each instalment within the one scheduled before (shorten_term)."""
    count = len(current)
    if mode is PrepaymentMode.LOWER_INSTALLMENT or count == 1:
        return count
    regular = current[1]  # a full period, as scheduled before the prepayment
    if product.method is RepaymentMethod.EQUAL_PRINCIPAL:
        per = max(1, regular.principal_minor)
        return max(1, min(count, -(-remaining // per)))
    target = regular.principal_minor + regular.interest_minor
    start = from_day(current[0].accrual_start_day)
    for n in range(1, min(count, PERIODS_MAX) + 1):
        trial = product_schedule(product, principal_minor=remaining, periods=n, start=start)
        if trial.installments[0].total_minor <= target:
            return n
    return count


def _with_reclass(loan_id: int, cash: int, allocation: list[AllocationLine], left: int,
                  excess: int) -> tuple[Line, ...]:
    lines = payment_lines(loan_id, cash, allocation, left)
    return lines + reclass_lines(loan_id, excess)
