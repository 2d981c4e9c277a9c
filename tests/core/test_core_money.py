"""Money as worked examples: exact parsing, one currency at a time, no floats, and
largest-remainder splitting whose parts always sum to the whole."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.core.errors import InvalidInput
from dunwell.core.money import Money, Rounding, allocate, format_minor, to_minor


def code_of(exc: pytest.ExceptionInfo[InvalidInput]) -> str:
    return exc.value.code


# -- parsing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.50", "CNY", 123450),
        ("1234.5", "CNY", 123450),
        ("1234", "CNY", 123400),
        ("0.01", "USD", 1),
        (" 7.00 ", "EUR", 700),
        ("-12.34", "CNY", -1234),
        ("1234", "JPY", 1234),
        ("1E+2", "CNY", 10000),
    ],
)
def test_a_decimal_string_parses_to_exact_minor_units(text: str, currency: str,
                                                       minor: int) -> None:
    assert Money.of(text, currency) == Money(minor, currency)


def test_integers_and_decimals_parse_exactly_too() -> None:
    assert Money.of(5, "CNY") == Money(500, "CNY")
    assert Money.of(Decimal("0.10"), "USD") == Money(10, "USD")


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1.005", "CNY"), ("0.001", "USD"), ("1234.5", "JPY"), ("0.1", "KRW")],
)
def test_an_amount_finer_than_the_minor_unit_is_rejected_not_rounded(text: str,
                                                                     currency: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        Money.of(text, currency)
    assert code_of(exc) == "amount_must_fit_minor_unit"


@pytest.mark.parametrize("text", ["abc", "", "1,000.00", "12.3.4", "NaN", "Infinity", "-inf"])
def test_text_that_is_not_a_finite_decimal_is_rejected(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        to_minor(text, "CNY")
    assert code_of(exc) == "amount_must_be_decimal"


def test_a_float_amount_is_refused_even_when_it_looks_exact() -> None:
    with pytest.raises(InvalidInput):
        Money.of(1.10, "CNY")  # type: ignore[arg-type]


def test_money_holds_only_an_int_count_of_minor_units() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "CNY")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "CNY")
    with pytest.raises(TypeError):
        Money(Decimal(1), "CNY")  # type: ignore[arg-type]


def test_an_unknown_currency_is_rejected_with_its_code() -> None:
    with pytest.raises(InvalidInput) as exc:
        Money(100, "XXX")
    assert code_of(exc) == "currency_must_be_known"
    with pytest.raises(InvalidInput) as exc:
        Money.of("1.00", "cny")
    assert code_of(exc) == "currency_must_be_known"


# -- arithmetic and rendering ---------------------------------------------------------


def test_amounts_in_one_currency_add_and_subtract_exactly() -> None:
    a, b = Money.of("0.10", "CNY"), Money.of("0.20", "CNY")
    assert a + b == Money.of("0.30", "CNY")
    assert b - a == Money(10, "CNY")
    assert -a == Money(-10, "CNY")
    assert Money.zero("USD") == Money(0, "USD")


def test_combining_two_currencies_is_rejected() -> None:
    cny, usd = Money(100, "CNY"), Money(100, "USD")
    with pytest.raises(InvalidInput) as exc:
        cny + usd
    assert code_of(exc) == "currency_must_match"
    with pytest.raises(InvalidInput) as exc:
        cny - usd
    assert code_of(exc) == "currency_must_match"


def test_times_rounds_once_with_the_named_mode() -> None:
    half = Decimal("0.5")
    assert Money(1001, "CNY").times(half) == Money(501, "CNY")  # 500.5 half up
    assert Money(1001, "CNY").times(half, Rounding.HALF_EVEN) == Money(500, "CNY")
    assert Money(1003, "CNY").times(half, Rounding.HALF_EVEN) == Money(502, "CNY")
    assert Money(1001, "CNY").times(half, Rounding.DOWN) == Money(500, "CNY")
    assert Money(1001, "CNY").times(half, Rounding.UP) == Money(501, "CNY")
    assert Money(-1001, "CNY").times(half) == Money(-501, "CNY")  # half away from zero


def test_money_renders_as_a_plain_decimal_with_its_currency() -> None:
    assert str(Money(123450, "CNY")) == "1234.50 CNY"
    assert str(Money(-5, "CNY")) == "-0.05 CNY"
    assert str(Money(1234, "JPY")) == "1234 JPY"
    assert format_minor(7, "USD") == "0.07"
    assert Money(123450, "CNY").amount == Decimal("1234.50")


def test_format_and_parse_are_inverse() -> None:
    for minor in (0, 1, -1, 99, 100, 123456789, -100000):
        assert to_minor(format_minor(minor, "CNY"), "CNY") == minor


# -- splitting ----------------------------------------------------------------------


def test_a_hundred_fen_split_three_ways_gives_the_extra_fen_to_the_first() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert Money(100, "CNY").split([1, 1, 1]) == [
        Money(34, "CNY"), Money(33, "CNY"), Money(33, "CNY")]


def test_the_largest_remainders_get_the_leftover_units() -> None:
    # exact shares of 10 by 1:2:3:4 over 10 -> 1, 2, 3, 4: nothing left over
    assert allocate(10, [1, 2, 3, 4]) == [1, 2, 3, 4]
    # 7 by 1:1:1:1 -> exact 1.75 each: floors 1, remainders equal, first three get +1
    assert allocate(7, [1, 1, 1, 1]) == [2, 2, 2, 1]
    # 100 by 1:5 -> exact 16.67 and 83.33: the larger remainder (0.67) gets the unit
    assert allocate(100, [1, 5]) == [17, 83]
    # a zero weight gets nothing
    assert allocate(5, [0, 1, 1]) == [0, 3, 2]


def test_a_negative_total_splits_symmetrically() -> None:
    assert allocate(-7, [2, 3]) == [-3, -4]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]


@pytest.mark.parametrize(
    ("weights", "code"),
    [([], "weights_must_exist"), ([1, -1], "weights_must_be_positive"),
     ([0, 0], "weights_must_be_positive")],
)
def test_weights_that_cannot_split_are_rejected(weights: list[int], code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        allocate(100, weights)
    assert code_of(exc) == code


@st.composite
def splits(draw: st.DrawFn) -> tuple[int, list[int]]:
    weights = draw(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12))
    if sum(weights) == 0:
        weights[0] = 1
    return draw(st.integers(min_value=-(10**12), max_value=10**12)), weights


@settings(max_examples=200)
@given(splits())
def test_parts_sum_exactly_to_the_total(case: tuple[int, list[int]]) -> None:
    total, weights = case
    assert sum(allocate(total, weights)) == total


@settings(max_examples=200)
@given(splits())
def test_each_part_is_within_one_unit_of_its_exact_share(case: tuple[int, list[int]]) -> None:
    total, weights = case
    weight_sum = sum(weights)
    for part, w in zip(allocate(total, weights), weights, strict=True):
        # |part - total * w / weight_sum| < 1, in integers
        assert abs(part * weight_sum - total * w) < weight_sum
        if w == 0:
            assert part == 0


@settings(max_examples=100)
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_every_whole_minor_amount_round_trips_through_its_string(minor: int) -> None:
    for currency in ("CNY", "JPY"):
        assert Money.of(format_minor(minor, currency), currency) == Money(minor, currency)
