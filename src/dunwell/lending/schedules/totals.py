"""What each instalment of a schedule totals, without building the schedule.

:func:`instalment_totals` returns ``[i.total_minor for i in schedule.installments]``
of the schedule :func:`~dunwell.lending.schedules.build_schedule` would build, to the
minor unit: the same validation, the same level payment, the same interest expression
in the same decimal context and rounding, the same principal rules (amortisation,
:mod:`.amortization`). It skips what a total does not need: the instalment objects,
their due dates under 30/360 (whose interest is a whole month whatever the calendar)
and, for the actual day counts, the second date computation per period (a period
starts on the previous one's due date). Sizing a loan asks for several repayments
per decision; this is what it asks. The progressive EMI calculation is taken through
the full schedule.
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

from dunwell.core.dates import DayCount, add_months
from dunwell.core.money import Rounding
from dunwell.lending.model import EmiCalculation, Product, RepaymentMethod
from dunwell.lending.schedules import build_schedule
from dunwell.lending.schedules.common import (
    MONTHS_PER_YEAR,
    SCHEDULE_CONTEXT,
    annuity_payment_minor,
    period_interest_minor,
    validate_terms,
)

_ONE = Decimal(1)
#: The methods totalled here; any other (or the progressive EMI) builds the schedule.
_TOTALLED = frozenset({RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL,
                       RepaymentMethod.INTEREST_ONLY, RepaymentMethod.BULLET})


def instalment_totals(*, principal_minor: int, currency: str, annual_rate: Decimal,
                      periods: int, method: RepaymentMethod, start: dt.date,
                      day_count: DayCount = DayCount.THIRTY_360,
                      rounding: Rounding = Rounding.HALF_UP,
                      emi_calculation: EmiCalculation = EmiCalculation.FLAT_RATE_FACTOR,
                      ) -> tuple[int, ...]:
    """Each instalment's total (principal + interest) of ``build_schedule`` with the
    same arguments, in order; raises what it raises."""
    if not isinstance(method, RepaymentMethod) or method not in _TOTALLED or \
            emi_calculation is not EmiCalculation.FLAT_RATE_FACTOR:
        return tuple(i.total_minor for i in build_schedule(
            principal_minor=principal_minor, currency=currency, annual_rate=annual_rate,
            periods=periods, method=method, start=start, day_count=day_count,
            rounding=rounding, emi_calculation=emi_calculation).installments)
    validate_terms(principal_minor=principal_minor, currency=currency,
                   annual_rate=annual_rate, periods=periods, start=start)
    if method is RepaymentMethod.BULLET:
        interest = period_interest_minor(
            outstanding_minor=principal_minor, annual_rate=annual_rate, day_count=day_count,
            start=start, end=add_months(start, periods), months=periods, rounding=rounding)
        return (principal_minor + interest,)
    payment = share = 0
    if method is RepaymentMethod.EQUAL_INSTALLMENT:
        payment = annuity_payment_minor(principal_minor=principal_minor,
                                        annual_rate=annual_rate, periods=periods,
                                        rounding=rounding)
    elif method is RepaymentMethod.EQUAL_PRINCIPAL:
        share = principal_minor // periods
    mode = rounding.decimal_mode
    thirty = day_count is DayCount.THIRTY_360
    year_days = day_count.year_days
    outstanding = principal_minor
    begins = start
    totals: list[int] = []
    with decimal.localcontext(SCHEDULE_CONTEXT):
        for n in range(1, periods + 1):
            # period_interest_minor, with the dates only where the day count reads them
            base = Decimal(outstanding) * annual_rate
            if thirty:
                raw = base * 1 / MONTHS_PER_YEAR
            else:
                ends = add_months(start, n)
                raw = base * (ends - begins).days / year_days
                begins = ends
            interest = int(raw.quantize(_ONE, rounding=mode))
            if n == periods:
                part = outstanding
            else:
                if method is RepaymentMethod.EQUAL_INSTALLMENT:
                    wanted = payment - interest
                elif method is RepaymentMethod.EQUAL_PRINCIPAL:
                    wanted = share
                else:
                    wanted = 0
                part = min(max(wanted, 0), outstanding)
            outstanding -= part
            totals.append(part + interest)
    return tuple(totals)


def product_instalment_totals(product: Product, *, principal_minor: int, periods: int,
                              start: dt.date) -> tuple[int, ...]:
    """:func:`instalment_totals` of a loan on ``product``'s terms (as
    :func:`~dunwell.lending.schedules.product_schedule` builds it)."""
    return instalment_totals(
        principal_minor=principal_minor, currency=product.currency,
        annual_rate=product.annual_rate, periods=periods, method=product.method,
        start=start, day_count=product.day_count, rounding=product.rounding,
        emi_calculation=product.emi_calculation)
