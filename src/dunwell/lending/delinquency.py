"""Days past due and delinquency status, from instalments and a business day."""

from __future__ import annotations

from collections.abc import Iterable

from dunwell.lending.loans import InstallmentState
from dunwell.lending.model import LoanStatus


def days_past_due(installments: Iterable[InstallmentState], day: int) -> int:
    """``day`` minus the due day of the oldest instalment not fully paid, or 0."""
    for inst in installments:
        if inst.due_day < day and inst.unpaid_total_minor > 0:
            return day - inst.due_day
    return 0


def next_status(status: LoanStatus, *, settled: bool, dpd: int, grace_days: int) -> LoanStatus:
    """The state machine's answer after a day closes or a payment lands."""
    if settled:
        return LoanStatus.PAID_OFF
    if dpd > grace_days:
        return LoanStatus.OVERDUE
    if status is LoanStatus.RESTRUCTURED:
        return status
    return LoanStatus.CURRENT
