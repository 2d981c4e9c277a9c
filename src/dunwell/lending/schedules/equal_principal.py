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
from dunwell.lending.model import Schedule
from dunwell.lending.schedules.amortization import (
    amortize,
    day_count_interest,
    equal_share,
    monthly_schedule,
)
from dunwell.lending.schedules.common import validate_terms


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
    splits = amortize(
        principal_minor=principal_minor,
        periods=periods,
        interest=day_count_interest(
            annual_rate=annual_rate, day_count=day_count, start=start, rounding=rounding
        ),
        principal=equal_share(principal_minor=principal_minor, periods=periods),
    )
    return monthly_schedule(
        principal_minor=principal_minor, currency=currency, start=start, splits=splits
    )
