"""先息后本 (interest only): interest every month, all principal at the end.

Each of the ``N`` instalments charges interest on the full principal for its
period under the day count; instalment ``N`` also repays the whole principal.
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
    monthly_schedule,
    nothing_until_the_end,
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
        principal=nothing_until_the_end,
    )
    return monthly_schedule(
        principal_minor=principal_minor, currency=currency, start=start, splits=splits
    )
