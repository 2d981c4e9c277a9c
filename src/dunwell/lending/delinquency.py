"""Days past due and delinquency status, from instalments and a business day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from dunwell.core.dates import to_day
from dunwell.lending.lifecycle import standing_status
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import Bucket, LoanStatus, bucket_for


def days_past_due(installments: Iterable[InstallmentState], day: int) -> int:
    """``day`` minus the due day of the oldest instalment not fully paid, or 0."""
    for inst in installments:
        if inst.due_day < day and inst.unpaid_total_minor > 0:
            return day - inst.due_day
    return 0


def dpd_on(loan: LoanState, business_date: dt.date) -> int:
    """A loan's days past due **as of the book's open date**: the one figure every view
    shows (the loan, its case, letters, the API). A closed loan is 0.

    The loan's stored ``days_past_due`` is COB's state as of the last closed day (one
    day behind the open date) and is not shown to people."""
    if not loan.status.is_open:
        return 0
    return days_past_due(loan.installments, to_day(business_date))


def bucket_on(loan: LoanState, business_date: dt.date) -> Bucket:
    return bucket_for(dpd_on(loan, business_date))


def next_status(status: LoanStatus, *, settled: bool, dpd: int, grace_days: int,
                restructured: bool = False) -> LoanStatus:
    """The state machine's answer after a day closes or a payment lands: late when
    more than ``grace_days`` past due (:func:`dunwell.lending.lifecycle.standing_status`)."""
    return standing_status(status, settled=settled, late=dpd > grace_days,
                           restructured=restructured)
