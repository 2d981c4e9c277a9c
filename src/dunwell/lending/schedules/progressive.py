"""等额本息, progressive: the level payment from each period's own rate factor.

The flat method (:mod:`.equal_installment`) finds the payment from ``r / 12`` whatever
the calendar, so under act/365 and act/360 a 31-day month charges more interest than
the payment assumed and the last instalment is left to make up the difference. The
progressive method follows Apache Fineract's progressive EMI calculator instead:

1. **Rate factor** of period ``k``, from ``start_k`` to ``end_k``::

       f_k = r * days(start_k, end_k) / year_days     # act/365, act/360
       f_k = r / 12                                   # 30/360: every month alike

2. **Level payment**, exact for rate factors that vary from period to period::

       F_1 = 1,   F_k = 1 + F_(k-1) * (1 + f_k)       # k = 2 .. N
       payment = round(P * (1 + f_1) * ... * (1 + f_N) / F_N)

   With equal factors this is the textbook annuity ``P*i / (1 - (1+i)**-N)``; with a
   zero rate it is ``round(P / N)``.

3. **Rows**: interest ``round(O * f_k)`` on the principal ``O`` outstanding at the
   start of the period, principal ``payment - interest`` (kept within ``[0, O]``);
   the last instalment repays all that is left, so it absorbs the rounding.

4. **Adjustment** (at most :data:`ADJUSTMENTS_MAX` times): when the last total differs
   from the payment by more than one minor unit per two periods (``|d| > N // 2``),
   try ``payment + round(d / N)`` and keep it only if it leaves a smaller difference.

Arithmetic is ``Decimal`` at 60 significant digits and every amount is rounded once,
to a whole minor unit, with the caller's rounding mode.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from dunwell.core.dates import DayCount
from dunwell.core.money import Rounding, round_to_int
from dunwell.lending.model import Schedule
from dunwell.lending.schedules import amortization
from dunwell.lending.schedules.amortization import Split
from dunwell.lending.schedules.common import (
    MONTHS_PER_YEAR,
    SCHEDULE_CONTEXT,
    due_date,
    period_start,
    validate_terms,
)

#: How many times the level payment may be nudged towards a last instalment like the rest.
ADJUSTMENTS_MAX: Final = 3


@dataclass(frozen=True, slots=True)
class Amortization:
    """The level payment and the principal/interest split of every instalment."""

    payment_minor: int
    splits: tuple[Split, ...]

    @property
    def last_difference_minor(self) -> int:
        """How much the last total exceeds the level payment (negative when it falls short)."""
        return self.splits[-1].total_minor - self.payment_minor


def rate_factor(*, annual_rate: Decimal, days: int, year_days: int) -> Decimal:
    """The share of the principal charged as interest over ``days`` days: ``r * days / year``."""
    with decimal.localcontext(SCHEDULE_CONTEXT):
        return annual_rate * days / year_days


def period_rate_factors(
    *, annual_rate: Decimal, day_count: DayCount, start: dt.date, periods: int
) -> tuple[Decimal, ...]:
    """Rate factor of each monthly period of a loan starting on ``start``."""
    if day_count is DayCount.THIRTY_360:
        with decimal.localcontext(SCHEDULE_CONTEXT):
            monthly = annual_rate / MONTHS_PER_YEAR
        return (monthly,) * periods
    return tuple(
        rate_factor(
            annual_rate=annual_rate,
            days=(due_date(start, n) - period_start(start, n)).days,
            year_days=day_count.year_days,
        )
        for n in range(1, periods + 1)
    )


def level_payment_minor(
    *, principal_minor: int, rate_factors: Sequence[Decimal], rounding: Rounding
) -> int:
    """``round(P * prod(1 + f_k) / F_N)`` with ``F_1 = 1`` and ``F_k = 1 + F_(k-1) * (1 + f_k)``."""
    with decimal.localcontext(SCHEDULE_CONTEXT):
        growth = Decimal(1)
        for factor in rate_factors:
            growth *= 1 + factor
        annuity = Decimal(1)
        for factor in rate_factors[1:]:
            annuity = 1 + annuity * (1 + factor)
        return round_to_int(Decimal(principal_minor) * growth / annuity, rounding)


def amortize(
    *,
    principal_minor: int,
    rate_factors: Sequence[Decimal],
    payment_minor: int,
    rounding: Rounding,
) -> Amortization:
    """Split a level payment into interest (``round(O * f_k)``) and principal, period
    by period, in the one amortisation loop; the last instalment repays all the
    principal still owed plus its interest.
    """

    def interest(n: int, outstanding_minor: int) -> int:
        with decimal.localcontext(SCHEDULE_CONTEXT):
            return round_to_int(Decimal(outstanding_minor) * rate_factors[n - 1], rounding)

    splits = amortization.amortize(
        principal_minor=principal_minor, periods=len(rate_factors), interest=interest,
        principal=amortization.level_payment(payment_minor))
    return Amortization(payment_minor=payment_minor, splits=splits)


def _needs_adjustment(plan: Amortization) -> bool:
    """More than one minor unit of difference per two periods (and at least two periods)."""
    half_minor = len(plan.splits) // 2
    return half_minor > 0 and abs(plan.last_difference_minor) > half_minor


def progressive_amortization(
    *, principal_minor: int, rate_factors: Sequence[Decimal], rounding: Rounding
) -> Amortization:
    """The level payment from the rate factors and its split, adjusted as described above."""
    assert rate_factors, "a schedule has at least one period"
    plan = amortize(
        principal_minor=principal_minor,
        rate_factors=rate_factors,
        payment_minor=level_payment_minor(
            principal_minor=principal_minor, rate_factors=rate_factors, rounding=rounding
        ),
        rounding=rounding,
    )
    for _ in range(ADJUSTMENTS_MAX):
        if not _needs_adjustment(plan):
            break
        with decimal.localcontext(SCHEDULE_CONTEXT):
            step_minor = round_to_int(
                Decimal(plan.last_difference_minor) / len(rate_factors), rounding
            )
        if step_minor == 0:
            break
        trial = amortize(
            principal_minor=principal_minor,
            rate_factors=rate_factors,
            payment_minor=plan.payment_minor + step_minor,
            rounding=rounding,
        )
        if abs(trial.last_difference_minor) >= abs(plan.last_difference_minor):
            break
        plan = trial
    return plan


def build(
    *,
    principal_minor: int,
    currency: str,
    annual_rate: Decimal,
    periods: int,
    start: dt.date,
    day_count: DayCount = DayCount.THIRTY_360,
    rounding: Rounding = Rounding.HALF_UP,
) -> Schedule:
    validate_terms(
        principal_minor=principal_minor,
        currency=currency,
        annual_rate=annual_rate,
        periods=periods,
        start=start,
    )
    plan = progressive_amortization(
        principal_minor=principal_minor,
        rate_factors=period_rate_factors(
            annual_rate=annual_rate, day_count=day_count, start=start, periods=periods
        ),
        rounding=rounding,
    )
    return amortization.monthly_schedule(
        principal_minor=principal_minor, currency=currency, start=start, splits=plan.splits
    )
