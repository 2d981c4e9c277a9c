"""Plain data for products, schedules and loans (frozen dataclasses and enums)."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum, StrEnum

from dunwell.core.dates import DayCount
from dunwell.core.money import Rounding


class RepaymentMethod(StrEnum):
    EQUAL_INSTALLMENT = "equal_installment"  # 等额本息 (annuity)
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_ONLY = "interest_only"  # 先息后本
    BULLET = "bullet"  # 到期一次还本付息


class EmiCalculation(StrEnum):
    """How the level payment of an equal-instalment (等额本息) loan is found.

    ``flat_rate_factor``: from the monthly rate ``annual_rate / 12`` whatever the day
    count; under act/365 and act/360 the last instalment absorbs the difference.
    ``progressive``: from each period's own rate factor (``annual_rate * days / year``),
    as Apache Fineract's progressive EMI calculator does. See docs/schedules.md.
    """

    FLAT_RATE_FACTOR = "flat_rate_factor"
    PROGRESSIVE = "progressive"


class Component(StrEnum):
    """What part of an instalment a payment can settle."""

    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


DEFAULT_ALLOCATION_ORDER: tuple[Component, ...] = (
    Component.PENALTY,
    Component.FEE,
    Component.INTEREST,
    Component.PRINCIPAL,
)


class AllocationScope(StrEnum):
    """How the waterfall walks instalments.

    ``oldest_first``: settle the oldest instalment completely (in component order)
    before the next. ``component_first``: settle one component across all due
    instalments (oldest first) before the next component.
    """

    OLDEST_FIRST = "oldest_first"
    COMPONENT_FIRST = "component_first"


class LoanStatus(IntEnum):
    """Lifecycle: approved -> disbursed -> current <-> overdue -> paid_off / charged_off."""

    APPROVED = 0
    DISBURSED = 1
    CURRENT = 2
    OVERDUE = 3
    PAID_OFF = 4
    CHARGED_OFF = 5
    RESTRUCTURED = 6

    @property
    def is_open(self) -> bool:
        return self in (LoanStatus.DISBURSED, LoanStatus.CURRENT, LoanStatus.OVERDUE,
                        LoanStatus.RESTRUCTURED)


class Bucket(IntEnum):
    """Delinquency buckets by days past due."""

    M0 = 0  # DPD 0
    M1 = 1  # 1-30
    M2 = 2  # 31-60
    M3 = 3  # 61-90
    M4 = 4  # 91-120
    M5 = 5  # 121-150
    M6 = 6  # 151-180
    M7 = 7  # > 180 ("M7+")

    @property
    def label(self) -> str:
        return "M7+" if self is Bucket.M7 else self.name


#: The first day past due of each bucket after M0: M1 from day 1, M2 from day 31 ...
#: M7+ from day 181. The one definition of the buckets: :func:`bucket_for` reads it
#: one loan at a time, COB's kernel over columns (``numpy.searchsorted``).
BUCKET_FIRST_DAYS: tuple[int, ...] = (1, 31, 61, 91, 121, 151, 181)


def bucket_for(days_past_due: int) -> Bucket:
    """The bucket of a loan ``days_past_due`` days late: how many of the buckets'
    first days it has reached."""
    return Bucket(bisect_right(BUCKET_FIRST_DAYS, days_past_due))


@dataclass(frozen=True, slots=True)
class Fees:
    """Fees in minor units. ``late_fee_minor`` is charged once per instalment when it
    becomes overdue (after the grace days), subject to the cost cap."""

    origination_minor: int = 0
    late_fee_minor: int = 0


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    currency: str
    method: RepaymentMethod
    annual_rate: Decimal  # 0.18 = 18 % a year
    day_count: DayCount
    penalty_rate: Decimal  # annual rate on overdue principal, e.g. 0.27
    cost_cap_annual: Decimal  # e.g. 0.24: annualised total cost never exceeds this
    grace_days: int = 0
    fees: Fees = field(default_factory=Fees)
    allocation_order: tuple[Component, ...] = DEFAULT_ALLOCATION_ORDER
    allocation_scope: AllocationScope = AllocationScope.OLDEST_FIRST
    rounding: Rounding = Rounding.HALF_UP
    term_months_min: int = 1
    term_months_max: int = 36
    emi_calculation: EmiCalculation = EmiCalculation.FLAT_RATE_FACTOR


@dataclass(frozen=True, slots=True)
class ScheduledInstallment:
    """One row of a repayment schedule, in minor units."""

    n: int
    due_date: dt.date
    period_start: dt.date
    principal_minor: int
    interest_minor: int
    outstanding_minor: int  # principal still owed after this instalment
    fee_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor + self.fee_minor


@dataclass(frozen=True, slots=True)
class Schedule:
    principal_minor: int
    currency: str
    installments: tuple[ScheduledInstallment, ...]

    @property
    def total_interest_minor(self) -> int:
        return sum(i.interest_minor for i in self.installments)

    @property
    def total_paid_minor(self) -> int:
        return sum(i.total_minor for i in self.installments)
