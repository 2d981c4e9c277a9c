"""Spreading an agreed amount over plan payments, exactly to the minor unit.

Payments are equal with the rounding residue in the last one. Each payment is then
filled with the debt's components in the order arrears are usually settled: penalty,
then fees, then accrued interest, then principal — so the oldest and costliest parts
go first and the principal last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dunwell.core.dates import add_months
from dunwell.core.errors import InvalidInput
from dunwell.negotiation.model import Debt, PlanInstalment, Waiver


def even_payments(total_minor: int, months: int) -> list[int]:
    """``months`` equal payments summing to ``total_minor``; the residue is in the last.

    >>> even_payments(1000, 3)
    [333, 333, 334]
    """
    if months < 1:
        raise InvalidInput("a plan needs at least one payment",
                           code="plan_months_must_be_positive")
    if total_minor < 0:
        raise InvalidInput("a plan cannot pay a negative amount",
                           code="plan_amount_must_be_positive")
    base = total_minor // months
    return [base] * (months - 1) + [total_minor - base * (months - 1)]


def remaining(debt: Debt, waiver: Waiver) -> Debt:
    """What is left to pay once ``waiver`` is forgiven."""
    left = Debt(debt.principal_minor - waiver.principal_minor,
                debt.interest_minor - waiver.interest_minor,
                debt.penalty_minor - waiver.penalty_minor,
                debt.fee_minor - waiver.fee_minor)
    if min(left.principal_minor, left.interest_minor, left.penalty_minor, left.fee_minor) < 0:
        raise InvalidInput("a waiver cannot forgive more of a component than is owed",
                           code="waiver_must_not_exceed_debt")
    return left


def waive_in_order(debt: Debt, amount_minor: int) -> Waiver:
    """Forgive ``amount_minor``: penalty first, then fees, interest, principal."""
    left = amount_minor
    parts = []
    for owed in (debt.penalty_minor, debt.fee_minor, debt.interest_minor, debt.principal_minor):
        take = min(owed, max(left, 0))
        parts.append(take)
        left -= take
    if left > 0:
        raise InvalidInput("a waiver cannot exceed the debt", code="waiver_must_not_exceed_debt")
    return Waiver(penalty_minor=parts[0], fee_minor=parts[1], interest_minor=parts[2],
                  principal_minor=parts[3])


def fill(debt: Debt, amounts: Sequence[int], due_dates: Sequence[dt.date],
         new_interest: Sequence[int] | None = None) -> tuple[PlanInstalment, ...]:
    """Instalments paying ``amounts`` (their debt part) out of ``debt``, components in
    settlement order. ``new_interest`` adds interest the plan itself charges."""
    if sum(amounts) != debt.total_minor:
        raise InvalidInput(
            f"plan payments sum to {sum(amounts)} but the debt to spread is {debt.total_minor}",
            code="plan_must_cover_debt")
    if len(amounts) != len(due_dates):
        raise InvalidInput("each plan payment needs a due date", code="plan_dates_must_match")
    extra = list(new_interest) if new_interest is not None else [0] * len(amounts)
    pools = [debt.penalty_minor, debt.fee_minor, debt.interest_minor, debt.principal_minor]
    out = []
    k = 0
    for j, (amount, due) in enumerate(zip(amounts, due_dates, strict=True)):
        take = [0, 0, 0, 0]
        need = amount
        while need > 0:
            while pools[k] == 0:
                k += 1
            got = min(need, pools[k])
            take[k] += got
            pools[k] -= got
            need -= got
        out.append(PlanInstalment(n=j + 1, due_date=due, penalty_minor=take[0],
                                  fee_minor=take[1], interest_minor=take[2],
                                  principal_minor=take[3], new_interest_minor=extra[j]))
    return tuple(out)


def monthly_dates(start: dt.date, months: int) -> list[dt.date]:
    """Due dates one, two, ... ``months`` months after ``start``."""
    return [add_months(start, j) for j in range(1, months + 1)]
