"""Payments: the allocation waterfall, regular payments, early full repayment,
partial prepayment and reversal. Pure: each returns the new loan state and the
journal lines the ledger will post."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from dunwell.core.money import format_minor
from dunwell.ledger.model import Account, Line
from dunwell.lending.cost import Rebate, allowance_minor, close_out, rate_ppm
from dunwell.lending.delinquency import days_past_due, next_status
from dunwell.lending.errors import PaymentRejected, ReversalRejected
from dunwell.lending.lifecycle import LoanEvent, transition
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import AllocationScope, Component, LoanStatus, Product, bucket_for

RECEIVABLE = {
    Component.PENALTY: Account.PENALTY_RECEIVABLE,
    Component.FEE: Account.FEE_RECEIVABLE,
    Component.INTEREST: Account.INTEREST_RECEIVABLE,
    Component.PRINCIPAL: Account.PRINCIPAL_RECEIVABLE,
}
_PAID_FIELD = {
    Component.PENALTY: "paid_penalty_minor",
    Component.FEE: "paid_fee_minor",
    Component.INTEREST: "paid_interest_minor",
    Component.PRINCIPAL: "paid_principal_minor",
}
_DUE_FIELD = {
    Component.PENALTY: "penalty_minor",
    Component.FEE: "fee_minor",
    Component.INTEREST: "interest_minor",
    Component.PRINCIPAL: "principal_minor",
}


class PaymentKind(StrEnum):
    REGULAR = "regular"
    PAYOFF = "payoff"
    PREPAYMENT = "prepayment"


@dataclass(frozen=True, slots=True)
class AllocationLine:
    n: int
    component: Component
    amount_minor: int


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    loan: LoanState
    allocation: tuple[AllocationLine, ...]
    suspense_minor: int
    lines: tuple[Line, ...]  # the payment entry: cash in, receivables and suspense out
    accrual_minor: int = 0  # interest recognised by this command (payoff, prepayment, close)
    #: charges above the cost cap given back when the loan closed (to suspense)
    rebate: Rebate = field(default_factory=Rebate)


def unpaid(inst: InstallmentState, component: Component) -> int:
    due = int(getattr(inst, _DUE_FIELD[component]))
    return max(0, due - int(getattr(inst, _PAID_FIELD[component])))


def check_amount(loan: LoanState, amount_minor: int, currency: str) -> None:
    loan.require_open()
    if currency != loan.currency:
        raise PaymentRejected(
            f"payment is in {currency} but loan {loan.loan_id} is in {loan.currency}",
            code="payment_currency_must_match_loan",
        )
    if amount_minor <= 0:
        raise PaymentRejected(
            f"payment amount must be positive, got {format_minor(amount_minor, currency)} "
            f"{currency}",
            code="payment_amount_must_be_positive",
        )


def payable_indices(loan: LoanState, day: int) -> tuple[list[int], list[int]]:
    """Instalments a regular payment may settle: all due by ``day``, then the next one."""
    due = [k for k, i in enumerate(loan.installments) if i.due_day <= day]
    upcoming = [k for k, i in enumerate(loan.installments)
                if i.due_day > day and i.unpaid_total_minor > 0]
    return due, upcoming[:1]


def allocate(
    loan: LoanState,
    product: Product,
    amount_minor: int,
    due: Sequence[int],
    ahead: Sequence[int] = (),
    *,
    ahead_components: tuple[Component, ...] | None = None,
) -> tuple[list[AllocationLine], int]:
    """Split ``amount_minor`` by the product's waterfall.

    Instalments in ``due`` are settled first, in the product's scope (oldest instalment
    first, or one component across them at a time); then instalments in ``ahead``,
    oldest first, limited to ``ahead_components`` when given. Returns the allocation
    lines and what is left over.
    """
    order = product.allocation_order
    if product.allocation_scope is AllocationScope.OLDEST_FIRST:
        walk = [(k, c) for k in due for c in order]
    else:
        walk = [(k, c) for c in order for k in due]
    ahead_order = tuple(c for c in order if ahead_components is None or c in ahead_components)
    walk += [(k, c) for k in ahead for c in ahead_order]
    left = amount_minor
    out: list[AllocationLine] = []
    for k, comp in walk:
        if left == 0:
            break
        take = min(left, unpaid(loan.installments[k], comp))
        if take > 0:
            out.append(AllocationLine(loan.installments[k].n, comp, take))
            left -= take
    return out, left


def apply_allocation(
    installments: tuple[InstallmentState, ...], allocation: list[AllocationLine], sign: int = 1
) -> tuple[InstallmentState, ...]:
    by_n = {i.n: i for i in installments}
    for line in allocation:
        inst = by_n[line.n]
        field = _PAID_FIELD[line.component]
        by_n[line.n] = replace(inst, **{field: getattr(inst, field) + sign * line.amount_minor})
    return tuple(by_n[i.n] for i in installments)


def payment_lines(loan_id: int, cash_minor: int, allocation: list[AllocationLine],
                  suspense_minor: int, *, source: Account = Account.CASH) -> tuple[Line, ...]:
    totals: dict[Account, int] = {}
    for a in allocation:
        acc = RECEIVABLE[a.component]
        totals[acc] = totals.get(acc, 0) + a.amount_minor
    lines = [Line.debit(source, cash_minor, loan_id)]
    lines += [Line.credit(acc, amt, loan_id) for acc, amt in totals.items() if amt]
    if suspense_minor:
        lines.append(Line.credit(Account.SUSPENSE, suspense_minor, loan_id))
    return tuple(lines)


def settle_state(loan: LoanState, product: Product, day: int) -> tuple[LoanState, int, Rebate]:
    """Recompute delinquency after a change; close the loan when nothing is owed.

    Closing recognises any interest paid ahead of its accrual (returned so the caller
    posts it), then brings the loan within the all-in cost cap: charges above the
    allowance for the principal-days it had out are given back into suspense
    (``lending.cost.close_out``; the caller adds ``rebate.lines``).
    """
    insts = loan.installments
    settled = all(i.unpaid_total_minor <= 0 for i in insts)
    true_up = 0
    rebate = Rebate()
    if settled:
        true_up = sum(i.interest_minor - i.interest_accrued_minor for i in insts)
        insts = tuple(replace(i, interest_accrued_minor=i.interest_minor) for i in insts)
        loan, rebate = close_out(replace(loan, installments=insts,
                                         charged_minor=loan.charged_minor + true_up),
                                 rate_ppm(product.cost_cap_annual))
        insts = loan.installments
    dpd = days_past_due(insts, day)
    status = next_status(loan.status, settled=settled, dpd=dpd, grace_days=product.grace_days,
                         restructured=loan.restructured)
    return replace(loan, installments=insts, status=status, days_past_due=dpd,
                   bucket=bucket_for(dpd)), true_up, rebate


def pay(loan: LoanState, product: Product, *, amount_minor: int, currency: str,
        day: int, source: Account = Account.CASH) -> PaymentOutcome:
    """A regular payment: due instalments oldest first, then the next one; the rest
    goes to suspense (a prepayment is asked for explicitly)."""
    check_amount(loan, amount_minor, currency)
    due, ahead = payable_indices(loan, day)
    allocation, left = allocate(loan, product, amount_minor, due, ahead)
    insts = apply_allocation(loan.installments, allocation)
    moved = replace(loan, installments=insts, suspense_minor=loan.suspense_minor + left)
    new_loan, true_up, rebate = settle_state(moved, product, day)
    lines = payment_lines(loan.loan_id, amount_minor, allocation, left, source=source)
    return PaymentOutcome(new_loan, tuple(allocation), left, lines + rebate.lines(loan.loan_id),
                          true_up, rebate)


def apply_suspense(loan: LoanState, product: Product, *, day: int) -> PaymentOutcome:
    """Use money held in suspense for what is due, as if it were paid today."""
    if loan.suspense_minor <= 0:
        raise PaymentRejected(f"loan {loan.loan_id} holds nothing in suspense",
                              code="suspense_must_hold_money")
    held = replace(loan, suspense_minor=0)
    out = pay(held, product, amount_minor=loan.suspense_minor, currency=loan.currency,
              day=day, source=Account.SUSPENSE)
    return out


def reverse(loan: LoanState, product: Product, *, allocation: tuple[AllocationLine, ...],
            suspense_minor: int, day: int) -> LoanState:
    """Undo a regular payment's allocation (the ledger posts the mirror entry).

    A paid-off loan the reversal leaves owing again reopens **on the book's date**: it
    resumes where COB stands (``day - 1`` closed), so the days it spent closed charge
    nothing. A charged-off loan is not reopened: its receivables went to the write-off,
    and a payment bouncing after that is a recovery matter, refused here."""
    if loan.status is LoanStatus.CHARGED_OFF:
        raise ReversalRejected(
            f"loan {loan.loan_id} was charged off after this payment; a bounced payment on a "
            "written-off loan is a recovery matter, not a reversal — record it against the "
            "write-off", code="reversal_loan_must_not_be_charged_off")
    if suspense_minor > loan.suspense_minor:
        raise ReversalRejected(
            f"the payment left {suspense_minor} in suspense but only {loan.suspense_minor} "
            "is still there; reverse what used it first",
            code="reversal_suspense_must_be_available",
        )
    # a closing rebate leaves the loan exactly at its allowance with the rebate held in
    # suspense beyond what this payment left there; that cut cannot be undone here
    if loan.status is LoanStatus.PAID_OFF and loan.suspense_minor > suspense_minor and (
            loan.charged_minor == allowance_minor(loan.exposure_minor_days,
                                                  rate_ppm(product.cost_cap_annual))):
        raise ReversalRejected(
            f"loan {loan.loan_id} was closed with its charges cut to the cost cap; a "
            "reversal would not undo that cut — post a correcting payment instead",
            code="reversal_must_not_follow_cost_cap_rebate")
    insts = apply_allocation(loan.installments, list(allocation), sign=-1)
    for i in insts:
        if min(i.paid_principal_minor, i.paid_interest_minor, i.paid_fee_minor,
               i.paid_penalty_minor) < 0:
            raise ReversalRejected(
                f"instalment {i.n} no longer holds what this payment paid; a later "
                "restructure used it", code="reversal_must_match_current_allocation")
    closed = loan.status is LoanStatus.PAID_OFF
    reopened = replace(loan, installments=insts,
                       status=transition(loan.status, LoanEvent.REOPEN) if closed
                       else loan.status,
                       suspense_minor=loan.suspense_minor - suspense_minor,
                       last_cob_day=max(loan.last_cob_day, day - 1) if closed
                       else loan.last_cob_day)
    return settle_state(reopened, product, day)[0]  # reopened: owes again, nothing rebated
