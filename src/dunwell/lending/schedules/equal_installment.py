"""等额本息 (equal instalment, annuity): the same total every month.

The level payment is ``round(P*i / (1 - (1+i)**-N))`` with ``i = annual_rate / 12``
(``round(P / N)`` when the rate is zero). Each month's interest is charged on the
outstanding principal under the day count; the principal part is the payment less
that interest, kept within ``[0, outstanding]``. The last instalment takes all the
principal still owed plus its interest, so every total but the last is equal and
the principal parts sum exactly to ``P``.
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
    level_payment,
    monthly_schedule,
)
from dunwell.lending.schedules.common import annuity_payment_minor, validate_terms


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
    payment_minor = annuity_payment_minor(
        principal_minor=principal_minor,
        annual_rate=annual_rate,
        periods=periods,
        rounding=rounding,
    )
    splits = amortize(
        principal_minor=principal_minor,
        periods=periods,
        interest=day_count_interest(
            annual_rate=annual_rate, day_count=day_count, start=start, rounding=rounding
        ),
        principal=level_payment(payment_minor),
    )
    return monthly_schedule(
        principal_minor=principal_minor, currency=currency, start=start, splits=splits
    )
