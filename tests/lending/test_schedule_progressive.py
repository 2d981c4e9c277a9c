"""The progressive equal instalment in Dunwell's own terms: worked examples, the
product field that selects it, and the rejections.

Row tuples are (due_date, principal, interest, total, outstanding).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dunwell.core.dates import DayCount
from dunwell.core.errors import InvalidInput
from dunwell.lending.model import EmiCalculation, RepaymentMethod, Schedule
from dunwell.lending.products import builtin_products, load_product
from dunwell.lending.schedules import build_schedule, product_schedule, schedule_to_json

Row = tuple[str, str, str, str, str]

ANNUITY_TOML = """
code = "merchant_annuity_act365"
name = "Merchant annuity, actual days"
currency = "CNY"
method = "equal_installment"
annual_rate = "0.18"
day_count = "act/365"
penalty_rate = "0.27"
cost_cap_annual = "0.24"
term_months_min = 3
term_months_max = 12
"""


def table(schedule: Schedule) -> list[Row]:
    rows = schedule_to_json(schedule)["installments"]
    assert isinstance(rows, list)
    return [
        (r["due_date"], r["principal"], r["interest"], r["total"], r["outstanding"]) for r in rows
    ]


def ten_thousand(
    emi_calculation: EmiCalculation,
    *,
    rate: str = "0.12",
    periods: int = 3,
    start: dt.date = dt.date(2024, 1, 31),
    day_count: DayCount = DayCount.ACT_365,
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT,
) -> Schedule:
    """10000.00 CNY lent on ``start``, rounded half-up."""
    return build_schedule(
        principal_minor=1_000_000,
        currency="CNY",
        annual_rate=Decimal(rate),
        periods=periods,
        method=method,
        start=start,
        day_count=day_count,
        emi_calculation=emi_calculation,
    )


def test_act_365_progressive_pays_3398_93_three_times() -> None:
    # Rate factors 0.12*29/365, 0.12*31/365, 0.12*30/365; the level payment
    # P * prod(1 + f) / (1 + (1+f3) + (1+f3)(1+f2)) = 339892.6... -> 3398.93.
    assert table(ten_thousand(EmiCalculation.PROGRESSIVE)) == [
        ("2024-02-29", "3303.59", "95.34", "3398.93", "6696.41"),
        ("2024-03-31", "3330.68", "68.25", "3398.93", "3365.73"),
        ("2024-04-30", "3365.73", "33.20", "3398.93", "0.00"),
    ]


def test_the_flat_method_is_unchanged_and_stays_the_default() -> None:
    flat = [
        ("2024-02-29", "3304.88", "95.34", "3400.22", "6695.12"),
        ("2024-03-31", "3331.98", "68.24", "3400.22", "3363.14"),
        ("2024-04-30", "3363.14", "33.17", "3396.31", "0.00"),
    ]
    assert table(ten_thousand(EmiCalculation.FLAT_RATE_FACTOR)) == flat
    default = build_schedule(
        principal_minor=1_000_000,
        currency="CNY",
        annual_rate=Decimal("0.12"),
        periods=3,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        start=dt.date(2024, 1, 31),
        day_count=DayCount.ACT_365,
    )
    assert table(default) == flat


def test_a_year_at_18_percent_act_365_leaves_the_last_two_fen_over_not_4_69_short() -> None:
    # Flat: 916.80 eleven times, then 912.11. Progressive: 916.44, then 916.46.
    start = dt.date(2025, 1, 15)
    flat = ten_thousand(EmiCalculation.FLAT_RATE_FACTOR, rate="0.18", periods=12, start=start)
    progressive = ten_thousand(EmiCalculation.PROGRESSIVE, rate="0.18", periods=12, start=start)
    assert [r.total_minor for r in flat.installments] == [916_80] * 11 + [912_11]
    assert [r.total_minor for r in progressive.installments] == [916_44] * 11 + [916_46]
    assert progressive.total_interest_minor == 997_30


def test_under_30_360_both_methods_agree_on_ordinary_terms() -> None:
    # Every month's factor is r / 12, so the progressive payment starts as the textbook
    # annuity; only the last-instalment adjustment could move it, and here it need not.
    for periods in (3, 12, 36):
        assert table(
            ten_thousand(EmiCalculation.PROGRESSIVE, day_count=DayCount.THIRTY_360, periods=periods)
        ) == table(
            ten_thousand(
                EmiCalculation.FLAT_RATE_FACTOR, day_count=DayCount.THIRTY_360, periods=periods
            )
        )


def test_an_interest_free_progressive_loan_splits_the_principal_into_thirds() -> None:
    assert table(ten_thousand(EmiCalculation.PROGRESSIVE, rate="0")) == [
        ("2024-02-29", "3333.33", "0.00", "3333.33", "6666.67"),
        ("2024-03-31", "3333.33", "0.00", "3333.33", "3333.34"),
        ("2024-04-30", "3333.34", "0.00", "3333.34", "0.00"),
    ]


@pytest.mark.parametrize(
    "method",
    [RepaymentMethod.EQUAL_PRINCIPAL, RepaymentMethod.INTEREST_ONLY, RepaymentMethod.BULLET],
)
def test_progressive_is_refused_for_other_methods(method: RepaymentMethod) -> None:
    with pytest.raises(InvalidInput) as caught:
        ten_thousand(EmiCalculation.PROGRESSIVE, method=method)
    assert caught.value.code == "progressive_emi_must_use_equal_installment"
    assert "equal_installment" in caught.value.message


def test_an_unknown_emi_calculation_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        ten_thousand("fineract")  # type: ignore[arg-type]
    assert caught.value.code == "emi_calculation_must_be_known"


def test_the_emi_calculation_may_be_given_as_its_text() -> None:
    as_text = ten_thousand("progressive")  # type: ignore[arg-type]
    assert as_text == ten_thousand(EmiCalculation.PROGRESSIVE)


def test_progressive_terms_out_of_range_are_refused_like_any_schedule() -> None:
    with pytest.raises(InvalidInput) as caught:
        ten_thousand(EmiCalculation.PROGRESSIVE, periods=0)
    assert caught.value.code == "periods_must_be_in_range"


def test_a_product_chooses_progressive_in_its_toml() -> None:
    product = load_product(ANNUITY_TOML + 'emi_calculation = "progressive"\n')
    assert product.emi_calculation is EmiCalculation.PROGRESSIVE
    schedule = product_schedule(
        product, principal_minor=1_000_000, periods=12, start=dt.date(2025, 1, 15)
    )
    assert [r.total_minor for r in schedule.installments] == [916_44] * 11 + [916_46]


def test_a_product_without_the_field_keeps_the_flat_method() -> None:
    product = load_product(ANNUITY_TOML)
    assert product.emi_calculation is EmiCalculation.FLAT_RATE_FACTOR
    assert {p.emi_calculation for p in builtin_products().values()} == {
        EmiCalculation.FLAT_RATE_FACTOR
    }
    schedule = product_schedule(
        product, principal_minor=1_000_000, periods=12, start=dt.date(2025, 1, 15)
    )
    assert schedule.installments[-1].total_minor == 912_11


def test_a_misspelt_emi_calculation_is_named_in_the_rejection() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_product(ANNUITY_TOML + 'emi_calculation = "fineract"\n')
    assert caught.value.code == "product_must_be_valid"
    assert any(p.startswith("emi_calculation:") for p in caught.value.details["problems"])


def test_a_product_may_not_pair_progressive_with_another_method() -> None:
    text = ANNUITY_TOML.replace('method = "equal_installment"', 'method = "bullet"')
    with pytest.raises(InvalidInput) as caught:
        load_product(text + 'emi_calculation = "progressive"\n')
    assert caught.value.code == "product_must_be_valid"
    assert "emi_calculation progressive applies to equal_installment" in caught.value.message
