"""COB parameters and outputs as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from dunwell.core.errors import InvalidInput
from dunwell.core.limits import CHARGE_RATE_MAX, PPM
from dunwell.lending.cost import CAP_DENOMINATOR, CAP_YEAR_DAYS, rate_ppm
from dunwell.lending.model import Product

__all__ = ["CAP_DENOMINATOR", "CAP_YEAR_DAYS", "PPM", "CobEvent", "CobParams", "EventKind",
           "rate_to_ppm"]


def rate_to_ppm(rate: Decimal, *, field: str) -> int:
    """An annual rate as integer parts per million, rounded down (in the borrower's favour)."""
    if rate < 0:
        raise InvalidInput(f"{field} must not be negative", code="rate_must_not_be_negative")
    return rate_ppm(rate)


@dataclass(frozen=True, slots=True)
class CobParams:
    """What COB needs of a product, in integers."""

    penalty_rate_ppm: int
    cost_cap_ppm: int
    grace_days: int
    late_fee_minor: int
    penalty_year_days: int

    @classmethod
    def of(cls, product: Product) -> CobParams:
        for name, rate in (("penalty_rate", product.penalty_rate),
                           ("cost_cap_annual", product.cost_cap_annual)):
            # with loans capped at LOAN_PRINCIPAL_MINOR_MAX, principal x days x rate in
            # ppm stays inside int64 for LOAN_LIFE_DAYS_MAX days (dunwell.core.limits)
            if rate > CHARGE_RATE_MAX:
                raise InvalidInput(
                    f"{name} {rate} is above {CHARGE_RATE_MAX} (100 % a year), the most "
                    "COB's integer arithmetic is sized for", code="rate_must_fit_cob")
        return cls(
            penalty_rate_ppm=rate_to_ppm(product.penalty_rate, field="penalty_rate"),
            cost_cap_ppm=rate_to_ppm(product.cost_cap_annual, field="cost_cap_annual"),
            grace_days=product.grace_days,
            late_fee_minor=product.fees.late_fee_minor,
            penalty_year_days=product.day_count.year_days,
        )


class EventKind(IntEnum):
    STATUS_CHANGED = 1
    BUCKET_CHANGED = 2


@dataclass(frozen=True, slots=True)
class CobEvent:
    loan_id: int
    day: int
    kind: EventKind
    before: int
    after: int
