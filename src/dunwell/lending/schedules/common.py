"""Shared pieces of every schedule: validation, due dates, period interest, rates.

All arithmetic runs on ``Decimal`` inside :data:`SCHEDULE_CONTEXT` (60 significant
digits, so no intermediate result is rounded by accident) and every amount is
rounded exactly once, to a whole minor unit, with the caller's
:class:`~dunwell.core.money.Rounding`.
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Final

from dunwell.core.dates import DayCount, add_months
from dunwell.core.errors import InvalidInput
from dunwell.core.limits import AMOUNT_MINOR_MAX, ANNUAL_RATE_MAX, PERIODS_MAX
from dunwell.core.money import Rounding, exponent_of, parse_decimal, round_to_int

#: High-precision context for schedule arithmetic; rounding to minor units is explicit.
SCHEDULE_CONTEXT: Final = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

PERIODS_MIN: Final = 1
MONTHS_PER_YEAR: Final = 12


def validate_terms(
    *, principal_minor: int, currency: str, annual_rate: Decimal, periods: int, start: dt.date
) -> None:
    """Reject terms no schedule can be built on, with a code and a hint each."""
    exponent_of(currency)
    if isinstance(principal_minor, bool) or not isinstance(principal_minor, int):
        raise InvalidInput(
            "principal must be a whole number of minor units (fen, cents)",
            code="principal_must_be_minor_units",
        )
    if principal_minor <= 0:
        raise InvalidInput(
            "principal must be greater than zero; pass the amount lent, such as 10000.00",
            code="principal_must_be_positive",
            principal_minor=principal_minor,
        )
    if principal_minor > AMOUNT_MINOR_MAX:  # the calculator; the book takes less (ADR 0002)
        raise InvalidInput(
            f"principal must not exceed {AMOUNT_MINOR_MAX} minor units, got {principal_minor}",
            code="principal_must_not_exceed_maximum",
            principal_minor=principal_minor,
        )
    if isinstance(periods, bool) or not isinstance(periods, int):
        raise InvalidInput(
            "periods must be a whole number of months", code="periods_must_be_in_range"
        )
    if not PERIODS_MIN <= periods <= PERIODS_MAX:
        raise InvalidInput(
            f"periods must be between {PERIODS_MIN} and {PERIODS_MAX} months, got {periods}",
            code="periods_must_be_in_range",
            periods=periods,
        )
    if not isinstance(annual_rate, Decimal) or not annual_rate.is_finite():
        raise InvalidInput(
            "annual rate must be a finite decimal such as 0.18",
            code="annual_rate_must_be_in_range",
        )
    if not Decimal(0) <= annual_rate <= ANNUAL_RATE_MAX:
        raise InvalidInput(
            f"annual rate must be between 0 and {ANNUAL_RATE_MAX} (0% to 1000%), "
            f"got {annual_rate}; write 18% as 0.18",
            code="annual_rate_must_be_in_range",
            annual_rate=str(annual_rate),
        )
    months_left = (dt.date.max.year - start.year) * MONTHS_PER_YEAR + (12 - start.month)
    if periods > months_left:
        raise InvalidInput(
            f"a schedule starting {start.isoformat()} cannot run {periods} months; "
            "choose an earlier start or fewer periods",
            code="maturity_must_be_representable",
        )


def due_date(start: dt.date, n: int) -> dt.date:
    """Due date of instalment ``n``: ``n`` months after the start, clamped to month end."""
    return add_months(start, n)


def period_start(start: dt.date, n: int) -> dt.date:
    """First day of the period instalment ``n`` pays for (the previous due date)."""
    return add_months(start, n - 1)


def period_interest_minor(
    *,
    outstanding_minor: int,
    annual_rate: Decimal,
    day_count: DayCount,
    start: dt.date,
    end: dt.date,
    months: int = 1,
    rounding: Rounding,
) -> int:
    """Interest on ``outstanding_minor`` from ``start`` to ``end``, rounded once.

    30/360 charges ``months`` whole months at ``annual_rate / 12`` each, whatever
    the calendar; act/365 and act/360 charge the actual days over 365 or 360.
    """
    with decimal.localcontext(SCHEDULE_CONTEXT):
        base = Decimal(outstanding_minor) * annual_rate
        if day_count is DayCount.THIRTY_360:
            raw = base * months / MONTHS_PER_YEAR
        else:
            raw = base * (end - start).days / day_count.year_days
        return round_to_int(raw, rounding)


def annuity_payment_minor(
    *, principal_minor: int, annual_rate: Decimal, periods: int, rounding: Rounding
) -> int:
    """Level payment ``P*i / (1 - (1+i)**-N)`` with ``i = annual_rate / 12``.

    With a zero rate the payment is ``P / N``. Either way it is rounded once.
    """
    with decimal.localcontext(SCHEDULE_CONTEXT):
        principal = Decimal(principal_minor)
        if annual_rate == 0:
            return round_to_int(principal / periods, rounding)
        monthly = annual_rate / MONTHS_PER_YEAR
        raw = principal * monthly / (1 - (1 + monthly) ** -periods)
        return round_to_int(raw, rounding)


def parse_annual_rate(text: str) -> Decimal:
    """Read an annual rate whose unit the text makes plain.

    A percent sign means a percentage: ``"18%"`` is 18 % a year, ``"150%"`` 150 %.
    A bare number below 1 is a fraction, as in product files: ``"0.18"`` is 18 %. A
    bare number of 1 or more could be either (is ``"1"`` 1 % or 100 %?), so it is
    refused with ``annual_rate_unit_must_be_explicit`` and asked for again with its
    unit. Negative, empty or non-numeric text is rejected.
    """
    raw = text.strip()
    percent = raw.endswith("%")
    number_text = raw[:-1].strip() if percent else raw
    if not number_text:
        raise InvalidInput(
            f"annual rate must be a number like 0.18 or 18%, got {text!r}",
            code="annual_rate_must_be_decimal",
        )
    try:
        value = parse_decimal(number_text, field="annual rate")
    except InvalidInput:
        raise InvalidInput(
            f"annual rate must be a number like 0.18 or 18%, got {text!r}",
            code="annual_rate_must_be_decimal",
        ) from None
    if value < 0:
        raise InvalidInput(
            f"annual rate must not be negative, got {text!r}; use 0 for an interest-free loan",
            code="annual_rate_must_not_be_negative",
        )
    if percent:
        return value.scaleb(-2)
    if value >= 1:
        raise InvalidInput(
            f"annual rate {raw!r} does not say its unit: write {raw}% for a percentage, or "
            f"a fraction below 1 (0.18 is 18 %)",
            code="annual_rate_unit_must_be_explicit",
        )
    return value
