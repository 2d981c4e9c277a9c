"""Repayment schedules, one module per method, all pure and exact to the minor unit.

- :mod:`.equal_installment` — 等额本息, annuity: equal totals, the last absorbs rounding.
- :mod:`.progressive` — 等额本息 with the level payment found from each period's own
  rate factor (actual days), as Apache Fineract's progressive EMI calculator does.
- :mod:`.equal_principal` — 等额本金: equal principal, interest on what is left.
- :mod:`.interest_only` — 先息后本: interest monthly, principal at the end.
- :mod:`.bullet` — 到期一次还本付息: one instalment at maturity.
- :mod:`.amortization` — the one amortisation loop the monthly methods share, with
  each method's principal rule (and the progressive method's interest) plugged in.
- :mod:`.common` — validation, due dates (always counted from the start and clamped
  to month end), period interest by day count, and :func:`parse_annual_rate`.

:func:`build_schedule` picks the method; :func:`schedule_to_json` renders a schedule
as the ``dunwell schedule --json`` document (DESIGN.md §4).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final, Protocol

from dunwell.core.dates import DayCount
from dunwell.core.errors import InvalidInput
from dunwell.core.money import Rounding, format_minor
from dunwell.lending.model import EmiCalculation, Product, RepaymentMethod, Schedule
from dunwell.lending.schedules import (
    bullet,
    equal_installment,
    equal_principal,
    interest_only,
    progressive,
)
from dunwell.lending.schedules.common import parse_annual_rate

__all__ = ["build_schedule", "parse_annual_rate", "product_schedule", "schedule_to_json"]


class _Builder(Protocol):
    def __call__(
        self,
        *,
        principal_minor: int,
        currency: str,
        annual_rate: Decimal,
        periods: int,
        start: dt.date,
        day_count: DayCount = ...,
        rounding: Rounding = ...,
    ) -> Schedule: ...


_BUILDERS: Final[dict[RepaymentMethod, _Builder]] = {
    RepaymentMethod.EQUAL_INSTALLMENT: equal_installment.build,
    RepaymentMethod.EQUAL_PRINCIPAL: equal_principal.build,
    RepaymentMethod.INTEREST_ONLY: interest_only.build,
    RepaymentMethod.BULLET: bullet.build,
}


def build_schedule(
    *,
    principal_minor: int,
    currency: str,
    annual_rate: Decimal,
    periods: int,
    method: RepaymentMethod,
    start: dt.date,
    day_count: DayCount = DayCount.THIRTY_360,
    rounding: Rounding = Rounding.HALF_UP,
    emi_calculation: EmiCalculation = EmiCalculation.FLAT_RATE_FACTOR,
) -> Schedule:
    """The repayment schedule for ``principal_minor`` lent on ``start`` over
    ``periods`` months at ``annual_rate`` (0.18 = 18 % a year).

    ``emi_calculation`` chooses how an ``equal_installment`` payment is found
    (:class:`~dunwell.lending.model.EmiCalculation`); ``progressive`` suits no other
    method. Raises :class:`~dunwell.core.errors.InvalidInput` unless the principal is
    positive, ``1 <= periods <= 600`` and ``0 <= annual_rate <= 10``.
    """
    builder = _BUILDERS.get(method)
    if builder is None:
        known = ", ".join(m.value for m in RepaymentMethod)
        raise InvalidInput(
            f"unknown repayment method {method!r}; use one of {known}",
            code="method_must_be_known",
        )
    try:
        emi = EmiCalculation(emi_calculation)
    except ValueError:
        known = ", ".join(e.value for e in EmiCalculation)
        raise InvalidInput(
            f"unknown EMI calculation {emi_calculation!r}; use one of {known}",
            code="emi_calculation_must_be_known",
        ) from None
    if emi is EmiCalculation.PROGRESSIVE:
        if RepaymentMethod(method) is not RepaymentMethod.EQUAL_INSTALLMENT:
            raise InvalidInput(
                f"the progressive EMI calculation applies to equal_installment loans, "
                f"not {RepaymentMethod(method).value}; drop it or choose equal_installment",
                code="progressive_emi_must_use_equal_installment",
            )
        builder = progressive.build
    return builder(
        principal_minor=principal_minor,
        currency=currency,
        annual_rate=annual_rate,
        periods=periods,
        start=start,
        day_count=day_count,
        rounding=rounding,
    )


def product_schedule(
    product: Product, *, principal_minor: int, periods: int, start: dt.date
) -> Schedule:
    """The schedule of a loan made on ``product``'s terms: its method, rate, day count,
    rounding and EMI calculation."""
    return build_schedule(
        principal_minor=principal_minor,
        currency=product.currency,
        annual_rate=product.annual_rate,
        periods=periods,
        method=product.method,
        start=start,
        day_count=product.day_count,
        rounding=product.rounding,
        emi_calculation=product.emi_calculation,
    )


def schedule_to_json(schedule: Schedule) -> dict[str, object]:
    """The schedule as plain JSON data: amounts as decimal strings, dates as ISO."""

    def amount(minor: int) -> str:
        return format_minor(minor, schedule.currency)

    return {
        "installments": [
            {
                "n": row.n,
                "due_date": row.due_date.isoformat(),
                "principal": amount(row.principal_minor),
                "interest": amount(row.interest_minor),
                "total": amount(row.total_minor),
                "outstanding": amount(row.outstanding_minor),
            }
            for row in schedule.installments
        ],
        "total_interest": amount(schedule.total_interest_minor),
        "total_paid": amount(schedule.total_paid_minor),
    }
