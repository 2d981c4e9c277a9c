"""Writing a loan off (charge-off). Pure: returns the new loan state and the journal
lines the ledger will post.

A write-off gives up on an open loan's whole outstanding, each part as the journal's
receivable accounts hold it:

1. **Accrual stops.** Interest not yet accrued is cancelled (it was never charged);
   interest paid ahead of its accrual is recognised as income now, as a restructure
   or an early repayment would.
2. **Suspense is applied first.** Money the borrower already paid and the loan holds
   unapplied settles what is owed by the product's waterfall, so it reduces the loss
   instead of waiting as a liability on a loan that takes no more payments. Whatever
   suspense is left over (more than the loan owes) stays a liability, to be refunded.
3. **The rest is written off.** Unpaid principal, interest accrued and unpaid,
   penalty and fees move from their receivable accounts to the ``WRITE_OFF`` expense
   account, one pair of lines per component.

Every instalment is then closed at what was paid on it, so the loan owes nothing on
its own record and COB leaves it alone; its status is ``CHARGED_OFF`` (a closed
status: payments and changes are refused with ``loan_must_be_open``). The amounts
given up are kept in the write-off entry, by component and by loan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dunwell.core.errors import Conflict
from dunwell.ledger.model import Account, Line
from dunwell.lending.lifecycle import LoanEvent, transition
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import Component, Product
from dunwell.lending.payments import (
    RECEIVABLE,
    AllocationLine,
    allocate,
    apply_allocation,
    payment_lines,
)


class WriteOffRejected(Conflict):
    code = "write_off_must_be_possible"


@dataclass(frozen=True, slots=True)
class WrittenOff:
    """What a write-off gave up, by component, in minor units."""

    principal_minor: int = 0
    interest_minor: int = 0
    penalty_minor: int = 0
    fee_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor + self.penalty_minor + self.fee_minor

    def by_component(self) -> dict[Component, int]:
        return {Component.PRINCIPAL: self.principal_minor,
                Component.INTEREST: self.interest_minor,
                Component.PENALTY: self.penalty_minor,
                Component.FEE: self.fee_minor}


@dataclass(frozen=True, slots=True)
class WriteOff:
    """The loan after its write-off and the three sets of lines to post.

    ``recognition_lines``: interest paid ahead recognised as income (may be empty);
    ``suspense_lines``: suspense applied to receivables (may be empty);
    ``write_off_lines``: the receivables moved to ``WRITE_OFF``.
    """

    loan: LoanState
    written_off: WrittenOff
    interest_recognised_minor: int
    suspense_applied_minor: int
    suspense_allocation: tuple[AllocationLine, ...]
    recognition_lines: tuple[Line, ...]
    suspense_lines: tuple[Line, ...]
    write_off_lines: tuple[Line, ...]


def _accrual_stopped(inst: InstallmentState) -> InstallmentState:
    """Interest cut to what has accrued (or, if more, what was paid): nothing more accrues."""
    interest = max(inst.interest_accrued_minor, inst.paid_interest_minor)
    return replace(inst, interest_minor=interest, interest_base_minor=interest,
                   interest_accrued_minor=interest, accrual_start_day=inst.due_day)


def _closed_at_paid(inst: InstallmentState) -> InstallmentState:
    """Nothing more is owed on the instalment: what is due becomes what was paid."""
    return replace(inst, principal_minor=inst.paid_principal_minor,
                   interest_minor=inst.paid_interest_minor,
                   interest_base_minor=inst.paid_interest_minor,
                   interest_accrued_minor=inst.paid_interest_minor,
                   fee_minor=inst.paid_fee_minor, penalty_minor=inst.paid_penalty_minor)


def write_off(loan: LoanState, product: Product) -> WriteOff:
    """Charge the open ``loan`` off: apply its suspense, write off what is left.

    Rejected (``write_off_needs_outstanding_debt``) when the suspense already covers
    everything owed: that loan is repaid by applying its suspense, not written off.
    """
    loan.require_open()
    lid = loan.loan_id
    recognised = sum(max(0, i.paid_interest_minor - i.interest_accrued_minor)
                     for i in loan.installments)
    stopped = replace(loan, installments=tuple(_accrual_stopped(i) for i in loan.installments))
    allocation: list[AllocationLine] = []
    left = loan.suspense_minor
    if loan.suspense_minor > 0:
        every = list(range(len(stopped.installments)))
        allocation, left = allocate(stopped, product, loan.suspense_minor, every)
    insts = apply_allocation(stopped.installments, allocation)
    lost = WrittenOff(
        principal_minor=sum(i.unpaid_principal_minor for i in insts),
        interest_minor=sum(i.unpaid_interest_minor for i in insts),
        penalty_minor=sum(i.unpaid_penalty_minor for i in insts),
        fee_minor=sum(i.unpaid_fee_minor for i in insts))
    if lost.total_minor <= 0:
        raise WriteOffRejected(
            f"loan {lid} holds {loan.suspense_minor} minor units in suspense, which covers "
            "everything it owes; apply the suspense instead of writing the loan off",
            code="write_off_needs_outstanding_debt", loan_id=lid)
    used = loan.suspense_minor - left
    suspense_lines = (payment_lines(lid, used, allocation, 0, source=Account.SUSPENSE)
                      if used else ())
    recognition_lines = ((Line.debit(Account.INTEREST_RECEIVABLE, recognised, lid),
                          Line.credit(Account.INTEREST_INCOME, recognised, lid))
                         if recognised else ())
    write_off_lines: list[Line] = []
    for component, amount in lost.by_component().items():
        if amount:
            write_off_lines += [Line.debit(Account.WRITE_OFF, amount, lid),
                                Line.credit(RECEIVABLE[component], amount, lid)]
    charged_off = replace(
        loan, installments=tuple(_closed_at_paid(i) for i in insts),
        status=transition(loan.status, LoanEvent.CHARGE_OFF), suspense_minor=left,
        charged_minor=loan.charged_minor + recognised)
    return WriteOff(charged_off, lost, recognised, used, tuple(allocation),
                    recognition_lines, suspense_lines, tuple(write_off_lines))


def written_off_from_lines(lines: tuple[Line, ...]) -> WrittenOff:
    """Read the components back from a write-off entry's lines (for a replay)."""
    by_account = {acc: comp for comp, acc in RECEIVABLE.items()}
    amounts = {c: 0 for c in Component}
    for line in lines:
        if line.account in by_account:
            amounts[by_account[line.account]] -= line.amount_minor
    return WrittenOff(principal_minor=amounts[Component.PRINCIPAL],
                      interest_minor=amounts[Component.INTEREST],
                      penalty_minor=amounts[Component.PENALTY],
                      fee_minor=amounts[Component.FEE])
