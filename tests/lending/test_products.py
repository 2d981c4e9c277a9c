"""Products read from TOML: the shipped examples, and every bad field named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dunwell.core.dates import DayCount
from dunwell.core.errors import InvalidInput
from dunwell.core.money import Rounding
from dunwell.lending.model import (
    DEFAULT_ALLOCATION_ORDER,
    AllocationScope,
    Component,
    Fees,
    Product,
    RepaymentMethod,
)
from dunwell.lending.products import builtin_products, load_product

MERCHANT_TOML = """
code = "merchant_annuity_12m"
name = "商户经营贷 12期 等额本息"
currency = "CNY"
method = "equal_installment"
annual_rate = "0.18"
day_count = "30/360"
penalty_rate = "0.27"
cost_cap_annual = "0.24"
grace_days = 3
allocation_order = ["penalty", "fee", "interest", "principal"]
allocation_scope = "oldest_first"
rounding = "half_up"
term_months_min = 12
term_months_max = 12

[fees]
origination = "0.00"
late_fee = "20.00"
"""

MINIMAL_TOML = """
code = "plain"
name = "Plain loan"
currency = "USD"
method = "bullet"
annual_rate = "0.10"
day_count = "act/365"
penalty_rate = "0.15"
cost_cap_annual = "0.36"
"""


def rejection(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        load_product(text)
    return caught.value


def with_line(text: str, key: str, line: str) -> str:
    """Replace the line that sets ``key`` in a TOML text."""
    lines = [line if raw.startswith(f"{key} =") else raw for raw in text.splitlines()]
    return "\n".join(lines) + "\n"


def test_the_merchant_product_reads_into_exact_terms() -> None:
    assert load_product(MERCHANT_TOML) == Product(
        code="merchant_annuity_12m",
        name="商户经营贷 12期 等额本息",
        currency="CNY",
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        annual_rate=Decimal("0.18"),
        day_count=DayCount.THIRTY_360,
        penalty_rate=Decimal("0.27"),
        cost_cap_annual=Decimal("0.24"),
        grace_days=3,
        fees=Fees(origination_minor=0, late_fee_minor=20_00),
        allocation_order=DEFAULT_ALLOCATION_ORDER,
        allocation_scope=AllocationScope.OLDEST_FIRST,
        rounding=Rounding.HALF_UP,
        term_months_min=12,
        term_months_max=12,
    )


def test_omitted_optional_fields_take_the_product_defaults() -> None:
    product = load_product(MINIMAL_TOML)
    assert product.fees == Fees()
    assert product.grace_days == 0
    assert product.allocation_order == DEFAULT_ALLOCATION_ORDER
    assert (product.term_months_min, product.term_months_max) == (1, 36)


def test_four_builtin_products_cover_each_repayment_method_in_cny() -> None:
    products = builtin_products()
    assert sorted(products) == [
        "consumer_equal_principal_6m",
        "inventory_interest_only_3m",
        "merchant_annuity_12m",
        "shortterm_bullet_1m",
    ]
    assert {p.method for p in products.values()} == set(RepaymentMethod)
    assert {p.currency for p in products.values()} == {"CNY"}
    for code, product in products.items():
        assert product.code == code
        assert product.annual_rate <= product.cost_cap_annual


def test_the_builtin_merchant_product_matches_the_worked_example() -> None:
    assert builtin_products()["merchant_annuity_12m"] == load_product(MERCHANT_TOML)


def test_the_builtin_bullet_product_runs_one_month() -> None:
    bullet = builtin_products()["shortterm_bullet_1m"]
    assert bullet.method is RepaymentMethod.BULLET
    assert (bullet.term_months_min, bullet.term_months_max) == (1, 1)


@pytest.mark.parametrize(
    ("key", "line", "hint"),
    [
        ("code", 'code = "Merchant Loan"', "lower-case"),
        ("name", 'name = ""', "at least 1 character"),
        ("currency", 'currency = "RMB"', "unknown currency 'RMB'"),
        ("method", 'method = "annuity"', "'equal_installment'"),
        ("annual_rate", "annual_rate = 0.18", "quoted decimal string"),
        ("annual_rate", 'annual_rate = "eighteen"', "decimal number"),
        ("day_count", 'day_count = "30/365"', "'act/365'"),
        ("penalty_rate", 'penalty_rate = "-0.1"', "greater than or equal to 0"),
        ("cost_cap_annual", 'cost_cap_annual = "0"', "greater than 0"),
        ("grace_days", "grace_days = 31", "less than or equal to 30"),
        ("grace_days", 'grace_days = "3"', "valid integer"),
        ("allocation_order", 'allocation_order = ["fee", "fee", "interest"]', "exactly once"),
        ("allocation_scope", 'allocation_scope = "newest_first"', "'oldest_first'"),
        ("rounding", 'rounding = "bankers"', "'half_even'"),
        ("term_months_max", "term_months_max = 601", "less than or equal to 600"),
    ],
)
def test_a_bad_field_is_named_in_the_error(key: str, line: str, hint: str) -> None:
    error = rejection(with_line(MERCHANT_TOML, key, line))
    assert error.code == "product_must_be_valid"
    assert f"{key}: " in error.message
    assert hint in error.message


def test_every_bad_field_is_named_at_once() -> None:
    text = with_line(MERCHANT_TOML, "currency", 'currency = "RMB"')
    text = with_line(text, "grace_days", "grace_days = 45")
    text = with_line(text, "method", 'method = "balloon"')
    error = rejection(text + 'colour = "red"\n')
    for field in ("currency: ", "grace_days: ", "method: ", "colour: is not a product field"):
        assert field in error.message
    assert len(error.details["problems"]) == 4


def test_missing_required_fields_are_each_named() -> None:
    error = rejection('code = "x"\nname = "x"\n')
    for field in ("currency", "method", "annual_rate", "day_count", "penalty_rate"):
        assert f"{field}: is required" in error.message


def test_an_unknown_fee_is_named_with_its_table() -> None:
    error = rejection(MERCHANT_TOML + 'service = "5.00"\n')
    assert "fees.service: is not a product field" in error.message


def test_a_fee_finer_than_a_fen_is_rejected() -> None:
    error = rejection(MERCHANT_TOML.replace('late_fee = "20.00"', 'late_fee = "20.005"'))
    assert "fees.late_fee 20.005 has more than 2 decimals for CNY" in error.message


def test_the_annual_rate_must_not_exceed_the_cost_cap() -> None:
    error = rejection(with_line(MERCHANT_TOML, "annual_rate", 'annual_rate = "0.30"'))
    assert "annual_rate 0.30 must not exceed cost_cap_annual 0.24" in error.message


def test_the_shortest_term_must_not_exceed_the_longest() -> None:
    error = rejection(with_line(MERCHANT_TOML, "term_months_min", "term_months_min = 13"))
    assert "term_months_min 13 must not exceed term_months_max 12" in error.message


def test_an_allocation_order_may_be_any_permutation() -> None:
    text = with_line(
        MERCHANT_TOML,
        "allocation_order",
        'allocation_order = ["interest", "principal", "penalty", "fee"]',
    )
    assert load_product(text).allocation_order == (
        Component.INTEREST,
        Component.PRINCIPAL,
        Component.PENALTY,
        Component.FEE,
    )


def test_text_that_is_not_toml_is_rejected_before_any_field_check() -> None:
    error = rejection('code = "unterminated\n')
    assert error.code == "product_toml_must_parse"
    assert "quoting" in error.message
