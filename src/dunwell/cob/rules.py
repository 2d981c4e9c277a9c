"""COB rules for one loan and one day, written row by row in plain Python.

This is the reference the columnar kernel must agree with to the minor unit, and
the baseline it is benchmarked against. Steps, in order:

1. accrue scheduled interest linearly over each instalment's accrual period;
2. add today's outstanding principal to the cost-cap exposure;
3. on each instalment past its due date plus grace with unpaid principal, grow the
   penalty basis and compute today's penalty; charge the late fee on the first
   overdue day;
4. cap penalty and fees so that charges never exceed ``cap x exposure / 365``
   (``lending.cost.allowance_minor``, the all-in cost cap's one formula), oldest
   instalment first, fee before penalty;
5. days past due, bucket and status; events for every change.
"""

from __future__ import annotations

from dataclasses import replace

from dunwell.cob.model import PPM, CobEvent, CobParams, EventKind
from dunwell.ledger.model import Account
from dunwell.lending.cost import allowance_minor
from dunwell.lending.delinquency import days_past_due, next_status
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import bucket_for

Posting = tuple[int, Account, int]  # (loan_id, account, signed amount, debit positive)


def penalty_through(basis_minor_days: int, params: CobParams) -> int:
    return basis_minor_days * params.penalty_rate_ppm // (params.penalty_year_days * PPM)


def cap_allowance(exposure_minor_days: int, params: CobParams) -> int:
    """What the all-in cost cap allows a loan to have charged over its exposure so far."""
    return allowance_minor(exposure_minor_days, params.cost_cap_ppm)


def cob_loan_day(
    loan: LoanState, params: CobParams, day: int
) -> tuple[LoanState, list[Posting], list[CobEvent]]:
    """Close ``day`` for one loan. A closed loan, or a day already closed, is unchanged."""
    if not loan.status.is_open or loan.last_cob_day >= day:
        return loan, [], []
    insts, interest_today = accrue(loan.installments, day)
    exposure = loan.exposure_minor_days + sum(i.unpaid_principal_minor for i in insts)
    headroom = max(0, cap_allowance(exposure, params) - loan.charged_minor - interest_today)
    insts, fees_today, penalty_today = charge_late(insts, day, params, headroom)
    dpd = days_past_due(insts, day)
    settled = all(i.unpaid_total_minor <= 0 for i in insts)
    if settled:
        insts, true_up = recognise_on_closing(insts)
        interest_today += true_up
    status = next_status(loan.status, settled=settled, dpd=dpd, grace_days=params.grace_days,
                         restructured=loan.restructured)
    bucket = bucket_for(dpd)
    new_loan = replace(
        loan,
        installments=insts,
        days_past_due=dpd,
        bucket=bucket,
        status=status,
        charged_minor=loan.charged_minor + interest_today + penalty_today + fees_today,
        exposure_minor_days=exposure,
        last_cob_day=day,
    )
    return (new_loan, postings(loan.loan_id, interest_today, penalty_today, fees_today),
            changes(loan, new_loan, day))


def accrue(installments: tuple[InstallmentState, ...],
           day: int) -> tuple[tuple[InstallmentState, ...], int]:
    """Step 1: each instalment accrued through ``day``; and the interest that added."""
    interest_today = 0
    insts: list[InstallmentState] = []
    for inst in installments:
        delta = max(0, inst.interest_accrued_through(day) - inst.interest_accrued_minor)
        interest_today += delta
        insts.append(replace(inst, interest_accrued_minor=inst.interest_accrued_minor + delta))
    return tuple(insts), interest_today


def charge_late(installments: tuple[InstallmentState, ...], day: int, params: CobParams,
                headroom: int) -> tuple[tuple[InstallmentState, ...], int, int]:
    """Steps 3-4: on each instalment past its due date plus grace, grow the penalty
    basis by its unpaid principal and charge the penalty that adds, and the late fee
    on the first late day; within ``headroom``, oldest first, fee before penalty.
    Returns the instalments, the fees and the penalty charged."""
    fees_today = 0
    penalty_today = 0
    insts = list(installments)
    for k, inst in enumerate(insts):
        late_days = day - inst.due_day - params.grace_days
        if late_days <= 0:
            continue
        fee_wanted = params.late_fee_minor if late_days == 1 and inst.unpaid_total_minor > 0 else 0
        basis = inst.penalty_basis_minor_days
        new_basis = basis + max(inst.unpaid_principal_minor, 0)
        penalty_wanted = penalty_through(new_basis, params) - penalty_through(basis, params)
        fee = min(fee_wanted, headroom)
        penalty = min(penalty_wanted, headroom - fee)
        headroom -= fee + penalty
        fees_today += fee
        penalty_today += penalty
        insts[k] = replace(inst, fee_minor=inst.fee_minor + fee,
                           penalty_minor=inst.penalty_minor + penalty,
                           penalty_basis_minor_days=new_basis)
    return tuple(insts), fees_today, penalty_today


def recognise_on_closing(
        installments: tuple[InstallmentState, ...]) -> tuple[tuple[InstallmentState, ...], int]:
    """Step 5a, for a loan nothing is owed on: every instalment accrued in full; and
    the interest paid ahead of its accrual that this recognises."""
    true_up = sum(i.interest_minor - i.interest_accrued_minor for i in installments)
    return tuple(replace(i, interest_accrued_minor=i.interest_minor)
                 for i in installments), true_up


def changes(before: LoanState, after: LoanState, day: int) -> list[CobEvent]:
    """Step 5b: an event for a change of status and one for a change of bucket."""
    events: list[CobEvent] = []
    if after.status != before.status:
        events.append(CobEvent(before.loan_id, day, EventKind.STATUS_CHANGED, before.status,
                               after.status))
    if after.bucket != before.bucket:
        events.append(CobEvent(before.loan_id, day, EventKind.BUCKET_CHANGED, before.bucket,
                               after.bucket))
    return events


def postings(loan_id: int, interest_minor: int, penalty_minor: int,
             fee_minor: int) -> list[Posting]:
    """The day's journal lines: each receivable debited and its income credited."""
    out: list[Posting] = []
    for amount, receivable, income in (
        (interest_minor, Account.INTEREST_RECEIVABLE, Account.INTEREST_INCOME),
        (penalty_minor, Account.PENALTY_RECEIVABLE, Account.PENALTY_INCOME),
        (fee_minor, Account.FEE_RECEIVABLE, Account.FEE_INCOME),
    ):
        if amount:
            out.append((loan_id, receivable, amount))
            out.append((loan_id, income, -amount))
    return out
