"""到期一次还本付息 (bullet): one instalment at maturity, principal plus all interest.

The single instalment falls due ``N`` months after the start. Its interest covers
the whole term in one rounding: ``P * r * N / 12`` under 30/360, or
``P * r * actual_days / 365`` (or ``/ 360``) under the actual day counts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dunwell.core.dates import DayCount
from dunwell.core.money import Rounding
from dunwell.lending.model import Schedule, ScheduledInstallment
from dunwell.lending.schedules.common import due_date, period_interest_minor, validate_terms


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
    maturity = due_date(start, periods)
    interest_minor = period_interest_minor(
        outstanding_minor=principal_minor,
        annual_rate=annual_rate,
        day_count=day_count,
        start=start,
        end=maturity,
        months=periods,
        rounding=rounding,
    )
    only = ScheduledInstallment(
        n=1,
        due_date=maturity,
        period_start=start,
        principal_minor=principal_minor,
        interest_minor=interest_minor,
        outstanding_minor=0,
    )
    return Schedule(principal_minor=principal_minor, currency=currency, installments=(only,))
