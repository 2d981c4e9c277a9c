"""先息后本 (interest only): interest every month, all principal at the end.

Each of the ``N`` instalments charges interest on the full principal for its
period under the day count; instalment ``N`` also repays the whole principal.
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
    rows: list[ScheduledInstallment] = []
    for n in range(1, periods + 1):
        begins, due = period_start(start, n), due_date(start, n)
        interest_minor = period_interest_minor(
            outstanding_minor=principal_minor,
            annual_rate=annual_rate,
            day_count=day_count,
            start=begins,
            end=due,
            rounding=rounding,
        )
        last = n == periods
        rows.append(
            ScheduledInstallment(
                n=n,
                due_date=due,
                period_start=begins,
                principal_minor=principal_minor if last else 0,
                interest_minor=interest_minor,
                outstanding_minor=0 if last else principal_minor,
            )
        )
    return Schedule(principal_minor=principal_minor, currency=currency, installments=tuple(rows))
