"""Repayment schedules as worked examples: each table below was checked by hand.

Row tuples are (n, due_date, principal, interest, total, outstanding).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dunwell.core.dates import DayCount
from dunwell.core.errors import InvalidInput
from dunwell.core.money import Rounding
from dunwell.lending.model import RepaymentMethod, Schedule
from dunwell.lending.schedules import build_schedule, parse_annual_rate, schedule_to_json

Row = tuple[int, str, str, str, str, str]


def table(schedule: Schedule) -> list[Row]:
    doc = schedule_to_json(schedule)
    rows = doc["installments"]
    assert isinstance(rows, list)
    return [
        (r["n"], r["due_date"], r["principal"], r["interest"], r["total"], r["outstanding"])
        for r in rows
    ]


def ten_thousand(
    method: RepaymentMethod,
    *,
    rate: str = "0.12",
    periods: int = 3,
    start: dt.date = dt.date(2025, 1, 15),
    day_count: DayCount = DayCount.THIRTY_360,
    rounding: Rounding = Rounding.HALF_UP,
) -> Schedule:
    """10000.00 CNY lent on ``start``."""
    return build_schedule(
        principal_minor=1_000_000,
        currency="CNY",
        annual_rate=Decimal(rate),
        periods=periods,
        method=method,
        start=start,
        day_count=day_count,
        rounding=rounding,
    )


def test_equal_installment_pays_3400_22_a_month_and_the_last_takes_the_extra_fen() -> None:
    # payment = round(1000000 * 0.01 / (1 - 1.01**-3)) = round(340022.11) fen
    schedule = ten_thousand(RepaymentMethod.EQUAL_INSTALLMENT)
    assert table(schedule) == [
        (1, "2025-02-15", "3300.22", "100.00", "3400.22", "6699.78"),
        (2, "2025-03-15", "3333.22", "67.00", "3400.22", "3366.56"),
        (3, "2025-04-15", "3366.56", "33.67", "3400.23", "0.00"),
    ]
    assert schedule.total_interest_minor == 200_67
    assert schedule.total_paid_minor == 10_200_67


def test_a_12_month_merchant_loan_at_18_percent_pays_916_80_then_916_81() -> None:
    schedule = ten_thousand(RepaymentMethod.EQUAL_INSTALLMENT, rate="0.18", periods=12)
    totals = [row[4] for row in table(schedule)]
    assert totals == ["916.80"] * 11 + ["916.81"]
    assert table(schedule)[-1] == (12, "2026-01-15", "903.26", "13.55", "916.81", "0.00")
    assert schedule.total_interest_minor == 1001_61


def test_equal_principal_repays_3333_33_twice_and_the_remainder_last() -> None:
    assert table(ten_thousand(RepaymentMethod.EQUAL_PRINCIPAL)) == [
        (1, "2025-02-15", "3333.33", "100.00", "3433.33", "6666.67"),
        (2, "2025-03-15", "3333.33", "66.67", "3400.00", "3333.34"),
        (3, "2025-04-15", "3333.34", "33.33", "3366.67", "0.00"),
    ]


def test_interest_only_charges_100_a_month_and_all_principal_at_the_end() -> None:
    schedule = ten_thousand(RepaymentMethod.INTEREST_ONLY)
    assert table(schedule) == [
        (1, "2025-02-15", "0.00", "100.00", "100.00", "10000.00"),
        (2, "2025-03-15", "0.00", "100.00", "100.00", "10000.00"),
        (3, "2025-04-15", "10000.00", "100.00", "10100.00", "0.00"),
    ]
    assert schedule.total_paid_minor == 10_300_00


def test_bullet_is_one_instalment_at_maturity_with_three_months_of_interest() -> None:
    schedule = ten_thousand(RepaymentMethod.BULLET)
    assert table(schedule) == [(1, "2025-04-15", "10000.00", "300.00", "10300.00", "0.00")]
    assert schedule.installments[0].period_start == dt.date(2025, 1, 15)


def test_a_loan_started_on_january_31_falls_due_on_each_month_end() -> None:
    schedule = ten_thousand(RepaymentMethod.EQUAL_PRINCIPAL, start=dt.date(2024, 1, 31))
    assert [(r.period_start, r.due_date) for r in schedule.installments] == [
        (dt.date(2024, 1, 31), dt.date(2024, 2, 29)),
        (dt.date(2024, 2, 29), dt.date(2024, 3, 31)),
        (dt.date(2024, 3, 31), dt.date(2024, 4, 30)),
    ]


def test_30_360_charges_a_full_month_even_for_a_29_day_february() -> None:
    schedule = ten_thousand(RepaymentMethod.INTEREST_ONLY, start=dt.date(2024, 1, 31))
    assert [r.interest_minor for r in schedule.installments] == [100_00, 100_00, 100_00]


def test_act_365_charges_29_31_and_30_days_from_a_january_31_start() -> None:
    # 10000.00 * 0.12 * 29/365 = 95.342..., * 31/365 = 101.917..., * 30/365 = 98.630...
    schedule = ten_thousand(
        RepaymentMethod.INTEREST_ONLY, start=dt.date(2024, 1, 31), day_count=DayCount.ACT_365
    )
    assert table(schedule) == [
        (1, "2024-02-29", "0.00", "95.34", "95.34", "10000.00"),
        (2, "2024-03-31", "0.00", "101.92", "101.92", "10000.00"),
        (3, "2024-04-30", "10000.00", "98.63", "10098.63", "0.00"),
    ]


def test_act_360_charges_actual_days_over_360() -> None:
    # 10000.00 * 0.12 * 29/360 = 96.666..., * 31/360 = 103.333..., * 30/360 = 100
    schedule = ten_thousand(
        RepaymentMethod.INTEREST_ONLY, start=dt.date(2024, 1, 31), day_count=DayCount.ACT_360
    )
    assert [row[3] for row in table(schedule)] == ["96.67", "103.33", "100.00"]


def test_act_365_annuity_keeps_the_payment_and_moves_the_day_difference_into_principal() -> None:
    schedule = ten_thousand(
        RepaymentMethod.EQUAL_INSTALLMENT, start=dt.date(2024, 1, 31), day_count=DayCount.ACT_365
    )
    assert table(schedule) == [
        (1, "2024-02-29", "3304.88", "95.34", "3400.22", "6695.12"),
        (2, "2024-03-31", "3331.98", "68.24", "3400.22", "3363.14"),
        (3, "2024-04-30", "3363.14", "33.17", "3396.31", "0.00"),
    ]


def test_act_365_bullet_charges_the_90_actual_days_of_the_term() -> None:
    # 10000.00 * 0.12 * 90/365 = 295.890...
    schedule = ten_thousand(
        RepaymentMethod.BULLET, start=dt.date(2024, 1, 31), day_count=DayCount.ACT_365
    )
    assert table(schedule) == [(1, "2024-04-30", "10000.00", "295.89", "10295.89", "0.00")]


def test_an_interest_free_annuity_splits_the_principal_into_thirds() -> None:
    schedule = ten_thousand(RepaymentMethod.EQUAL_INSTALLMENT, rate="0")
    assert table(schedule) == [
        (1, "2025-02-15", "3333.33", "0.00", "3333.33", "6666.67"),
        (2, "2025-03-15", "3333.33", "0.00", "3333.33", "3333.34"),
        (3, "2025-04-15", "3333.34", "0.00", "3333.34", "0.00"),
    ]


@pytest.mark.parametrize("method", list(RepaymentMethod))
def test_a_zero_rate_charges_no_interest_under_any_method(method: RepaymentMethod) -> None:
    schedule = ten_thousand(method, rate="0", day_count=DayCount.ACT_365)
    assert schedule.total_interest_minor == 0
    assert schedule.total_paid_minor == 1_000_000


@pytest.mark.parametrize(
    ("rounding", "interest"),
    [
        (Rounding.HALF_UP, ["100.00", "66.67", "33.33"]),
        (Rounding.HALF_EVEN, ["100.00", "66.67", "33.33"]),
        (Rounding.DOWN, ["100.00", "66.66", "33.33"]),
        (Rounding.UP, ["100.00", "66.67", "33.34"]),
    ],
)
def test_the_rounding_mode_decides_the_fractional_fen(
    rounding: Rounding, interest: list[str]
) -> None:
    # outstanding 6666.67 -> 66.6667 interest; 3333.34 -> 33.3334
    schedule = ten_thousand(RepaymentMethod.EQUAL_PRINCIPAL, rounding=rounding)
    assert [row[3] for row in table(schedule)] == interest


def test_a_currency_without_minor_units_rounds_to_whole_yen() -> None:
    schedule = build_schedule(
        principal_minor=100_000,
        currency="JPY",
        annual_rate=Decimal("0.12"),
        periods=3,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        start=dt.date(2025, 1, 15),
    )
    assert table(schedule) == [
        (1, "2025-02-15", "33002", "1000", "34002", "66998"),
        (2, "2025-03-15", "33332", "670", "34002", "33666"),
        (3, "2025-04-15", "33666", "337", "34003", "0"),
    ]


def test_the_json_document_has_exactly_the_contract_keys() -> None:
    doc = schedule_to_json(ten_thousand(RepaymentMethod.BULLET))
    assert doc == {
        "installments": [
            {
                "n": 1,
                "due_date": "2025-04-15",
                "principal": "10000.00",
                "interest": "300.00",
                "total": "10300.00",
                "outstanding": "0.00",
            }
        ],
        "total_interest": "300.00",
        "total_paid": "10300.00",
    }


@pytest.mark.parametrize(
    ("changes", "code", "hint"),
    [
        ({"principal_minor": 0}, "principal_must_be_positive", "greater than zero"),
        ({"principal_minor": -100}, "principal_must_be_positive", "greater than zero"),
        ({"periods": 0}, "periods_must_be_in_range", "between 1 and 600"),
        ({"periods": 601}, "periods_must_be_in_range", "between 1 and 600"),
        ({"annual_rate": Decimal("-0.01")}, "annual_rate_must_be_in_range", "0.18"),
        ({"annual_rate": Decimal("10.01")}, "annual_rate_must_be_in_range", "between 0 and 10"),
        ({"annual_rate": Decimal("NaN")}, "annual_rate_must_be_in_range", "finite"),
        ({"currency": "XYZ"}, "currency_must_be_known", "use one of"),
        ({"start": dt.date(9999, 6, 1)}, "maturity_must_be_representable", "earlier start"),
    ],
)
def test_terms_out_of_range_are_rejected_with_a_code_and_a_hint(
    changes: dict[str, object], code: str, hint: str
) -> None:
    terms: dict[str, object] = {
        "principal_minor": 1_000_000,
        "currency": "CNY",
        "annual_rate": Decimal("0.12"),
        "periods": 12,
        "method": RepaymentMethod.EQUAL_INSTALLMENT,
        "start": dt.date(2025, 1, 15),
    } | changes
    with pytest.raises(InvalidInput) as caught:
        build_schedule(**terms)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert hint in caught.value.message


def test_the_limits_themselves_are_accepted() -> None:
    longest = ten_thousand(RepaymentMethod.EQUAL_PRINCIPAL, rate="10", periods=600)
    assert len(longest.installments) == 600
    assert longest.installments[-1].due_date == dt.date(2075, 1, 15)


def test_an_unknown_method_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        ten_thousand("annuity")  # type: ignore[arg-type]
    assert caught.value.code == "method_must_be_known"


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("0.18", "0.18"),
        ("18%", "0.18"),
        (" 18 % ", "0.18"),
        ("0.5%", "0.005"),
        ("150%", "1.5"),
        ("0", "0"),
        ("0.999", "0.999"),
    ],
)
def test_annual_rates_are_read_as_fractions_or_percentages(text: str, rate: str) -> None:
    assert parse_annual_rate(text) == Decimal(rate)


@pytest.mark.parametrize("text", ["1", "18", "15.6", " 1.0 ", "150"])
def test_a_bare_rate_of_one_or_more_must_say_its_unit(text: str) -> None:
    """Is "1" 1 % or 100 %? Neither is guessed: the rate is asked for with its unit."""
    with pytest.raises(InvalidInput) as caught:
        parse_annual_rate(text)
    assert caught.value.code == "annual_rate_unit_must_be_explicit"
    assert f"write {text.strip()}% for a percentage" in caught.value.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-0.18", "annual_rate_must_not_be_negative"),
        ("-5%", "annual_rate_must_not_be_negative"),
        ("", "annual_rate_must_be_decimal"),
        ("%", "annual_rate_must_be_decimal"),
        ("eighteen", "annual_rate_must_be_decimal"),
        ("18%%", "annual_rate_must_be_decimal"),
        ("NaN", "annual_rate_must_be_decimal"),
        ("Infinity", "annual_rate_must_be_decimal"),
    ],
)
def test_negative_or_non_numeric_rates_are_rejected(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_annual_rate(text)
    assert caught.value.code == code
