"""The progressive equal instalment against numbers published in Apache Fineract's tests.

Every expected figure below is copied from
``apache/fineract`` ``fineract-progressive-loan/src/test/java/org/apache/fineract/
portfolio/loanproduct/calc/ProgressiveEMICalculatorTest.java`` (the test method is
named above each vector). Those tests lend 100.00 USD with the rounding mode set to
HALF_EVEN, so these do too. Fineract's "days in year 365, days in month actual" is
Dunwell's act/365; "360 / actual" is act/360; "360 / 30" is 30/360. Fineract's
"days in year actual" (the year's own length, split at 31 December) has no Dunwell
day count, so its vectors are not used here.

Row tuples are (principal, interest) in cents; the total is their sum.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

import pytest

from dunwell.core.dates import DayCount
from dunwell.core.money import Rounding
from dunwell.lending.model import EmiCalculation, RepaymentMethod, Schedule
from dunwell.lending.schedules import build_schedule
from dunwell.lending.schedules.progressive import (
    level_payment_minor,
    period_rate_factors,
    progressive_amortization,
    rate_factor,
)

Rows = list[tuple[int, int]]


def fineract_loan(
    *, rate: str, periods: int, day_count: DayCount, start: dt.date = dt.date(2024, 1, 1)
) -> Schedule:
    """100.00 USD, monthly, progressive, rounded half-even, as in Fineract's tests."""
    return build_schedule(
        principal_minor=100_00,
        currency="USD",
        annual_rate=Decimal(rate),
        periods=periods,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        start=start,
        day_count=day_count,
        rounding=Rounding.HALF_EVEN,
        emi_calculation=EmiCalculation.PROGRESSIVE,
    )


def rows(schedule: Schedule) -> Rows:
    return [(r.principal_minor, r.interest_minor) for r in schedule.installments]


def test_act_365_at_15_678_percent_pays_17_43_and_the_last_absorbs_four_cents() -> None:
    # test_emiAdjustment_newCalculatedEmiNotBetterThanOriginal: 100 at 15.678 %,
    # DAYS_365 / ACTUAL, 2024-01-01 .. 2024-07-01. EMI 17.43; the last is 17.47, and
    # trying 17.44 would leave the last 4 cents short instead, so 17.43 stays.
    schedule = fineract_loan(rate="0.15678", periods=6, day_count=DayCount.ACT_365)
    assert rows(schedule) == [
        (16_10, 1_33),
        (16_38, 1_05),
        (16_53, 90),
        (16_77, 66),
        (16_97, 46),
        (17_25, 22),
    ]
    outstanding = [83_90, 67_52, 50_99, 34_22, 17_25, 0]
    assert [r.outstanding_minor for r in schedule.installments] == outstanding
    assert [r.total_minor for r in schedule.installments] == [17_43] * 5 + [17_47]


def test_act_365_rate_factors_follow_each_month_length() -> None:
    # test_rateFactorByRepaymentEveryMonthMethod_DayInYear365_DaysInMonthActual:
    # 9.4822 % over Jan..Jun 2024 (31, 29, 31, 30, 31, 30 days), shown to 12 places.
    factors = period_rate_factors(
        annual_rate=Decimal("0.094822"),
        day_count=DayCount.ACT_365,
        start=dt.date(2024, 1, 1),
        periods=6,
    )
    assert [str(f.quantize(Decimal("1e-12"))) for f in factors] == [
        "0.008053375342",
        "0.007533802740",
        "0.008053375342",
        "0.007793589041",
        "0.008053375342",
        "0.007793589041",
    ]


def test_act_365_annuity_factors_accumulate_as_published() -> None:
    # test_fnValueFunction_RepayEvery1Month_DayInYear365_DaysInMonthActual:
    # F_1 = 1, F_k = 1 + F_(k-1) * (1 + f_k), shown to 11 places.
    factors = period_rate_factors(
        annual_rate=Decimal("0.094822"),
        day_count=DayCount.ACT_365,
        start=dt.date(2024, 1, 1),
        periods=6,
    )
    # Fineract's test runs at 12 significant digits, half-even; so does this restatement.
    values = [Decimal(1)]
    with localcontext(Context(prec=12, rounding=ROUND_HALF_EVEN)):
        for factor in factors[1:]:
            values.append(1 + values[-1] * (1 + factor))
    assert [str(v.quantize(Decimal("1e-11"))) for v in values] == [
        "1.00000000000",
        "2.00753380274",
        "3.02370122596",
        "4.04726671069",
        "5.07986086861",
        "6.11945121660",
    ]


def test_act_365_at_9_4822_percent_pays_17_13() -> None:
    # testEMICalculation_principal100_dayInYears365_daysInMonthActual_repayEvery1Month
    # (an earlier revision of the same test class): EMI 17.13.
    schedule = fineract_loan(rate="0.094822", periods=6, day_count=DayCount.ACT_365)
    assert {r.total_minor for r in schedule.installments[:-1]} == {17_13}
    assert sum(r.principal_minor for r in schedule.installments) == 100_00


def test_30_360_at_9_4822_percent_pays_17_13_every_month() -> None:
    # test_disbursedAmt100_dayInYears360_daysInMonth30_repayEvery1Month: 100 at
    # 9.4822 %, DAYS_360 / DAYS_30, 2024-01-01. Every month's factor is r / 12.
    schedule = fineract_loan(rate="0.094822", periods=6, day_count=DayCount.THIRTY_360)
    assert rows(schedule) == [
        (16_34, 79),
        (16_47, 66),
        (16_60, 53),
        (16_73, 40),
        (16_86, 27),
        (17_00, 13),
    ]
    assert [r.total_minor for r in schedule.installments] == [17_13] * 6


def test_30_360_at_7_percent_over_a_year_pays_8_65() -> None:
    # test_emi_calculator_performance: 100 at 7 %, DAYS_360 / DAYS_30, twelve months
    # from 2024-01-01; every instalment but the last is 8.65, the balance ends at 0.
    schedule = fineract_loan(rate="0.07", periods=12, day_count=DayCount.THIRTY_360)
    assert {r.total_minor for r in schedule.installments[:-1]} == {8_65}
    assert all(r.principal_minor > 0 and r.interest_minor > 0 for r in schedule.installments)
    assert schedule.installments[-1].outstanding_minor == 0


@pytest.mark.parametrize(
    ("days", "year_days", "first_payment", "payment", "splits"),
    [
        # test_disbursedAmt100_dayInYears364_daysInMonthActual_repayEvery1Week
        (
            7,
            364,
            16_77,
            16_77,
            [(16_59, 18), (16_62, 15), (16_65, 12), (16_68, 9), (16_71, 6), (16_75, 3)],
        ),
        # test_disbursedAmt100_dayInYears364_daysInMonthActual_repayEvery2Week: the
        # formula gives 33.5768 -> 33.58, which leaves the last 33.56 (2 cents short,
        # more than 3 // 2); 33.58 + round(-2 / 3) = 33.57 leaves it 33.58 (1 cent over).
        (14, 364, 33_58, 33_57, [(33_21, 36), (33_33, 24), (33_46, 12)]),
        # test_disbursedAmt100_dayInYears360_daysInMonthDoesntMatter_repayEvery15Days
        # (days in month ACTUAL in the current revision): act/360 over 15-day periods.
        (
            15,
            360,
            16_90,
            16_90,
            [(16_50, 40), (16_57, 33), (16_64, 26), (16_70, 20), (16_77, 13), (16_82, 7)],
        ),
    ],
)
def test_periods_of_a_fixed_number_of_days_split_as_published(
    days: int, year_days: int, first_payment: int, payment: int, splits: Rows
) -> None:
    # 100 at 9.4822 %; the factor of every period is r * days / year_days.
    factor = rate_factor(annual_rate=Decimal("0.094822"), days=days, year_days=year_days)
    factors = [factor] * len(splits)
    unadjusted = level_payment_minor(
        principal_minor=100_00, rate_factors=factors, rounding=Rounding.HALF_EVEN
    )
    assert unadjusted == first_payment
    plan = progressive_amortization(
        principal_minor=100_00, rate_factors=factors, rounding=Rounding.HALF_EVEN
    )
    assert plan.payment_minor == payment
    assert [(s.principal_minor, s.interest_minor) for s in plan.splits] == splits
