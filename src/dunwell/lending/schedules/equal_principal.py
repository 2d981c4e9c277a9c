"""等额本金 (equal principal): the same principal every month, interest on the rest.

Each instalment repays ``P // N`` of principal; the last repays what is left
(``P - (N-1) * (P // N)``), so the parts sum exactly to ``P``. Interest is charged
on the principal outstanding at the start of each period, under the day count, so
totals fall month by month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dunwell.core.dates import DayCount
from dunwell.core.money import Rounding
from dunwell.lending.model import Schedule, ScheduledInstallment
from dunwell.lending.schedules.common import (
    due_date,
    period_interest_minor,
    period_start,
    validate_terms,
)


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
    share_minor = principal_minor // periods
    outstanding_minor = principal_minor
    rows: list[ScheduledInstallment] = []
    for n in range(1, periods + 1):
        begins, due = period_start(start, n), due_date(start, n)
        interest_minor = period_interest_minor(
            outstanding_minor=outstanding_minor,
            annual_rate=annual_rate,
            day_count=day_count,
            start=begins,
            end=due,
            rounding=rounding,
        )
        principal_part = outstanding_minor if n == periods else share_minor
        outstanding_minor -= principal_part
        rows.append(
            ScheduledInstallment(
                n=n,
                due_date=due,
                period_start=begins,
                principal_minor=principal_part,
                interest_minor=interest_minor,
                outstanding_minor=outstanding_minor,
            )
        )
    return Schedule(principal_minor=principal_minor, currency=currency, installments=tuple(rows))
