"""Risk-based prices as products.

A loan is booked on a product, and a product has one rate. A drawdown at grade B on
the 12-month term is therefore booked on ``merchant_annuity_12m-b``: the term's
product with the grade's annual rate (never above what the product's all-in cost cap
holds, see :func:`grade_rate`) and every other term unchanged. :func:`product_toml`
writes such a product in the product file format, so the book stores it like any
other product.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal

from dunwell.core.money import format_minor
from dunwell.lending.cost import rate_ceiling
from dunwell.lending.model import Product

#: Grade rates are held to four decimals (0.01 %), rounded down.
RATE_STEP = Decimal("0.0001")


def priced_code(base_code: str, grade: str) -> str:
    return f"{base_code}-{grade.lower()}"


def grade_rate(base: Product, annual_rate: Decimal) -> Decimal:
    """The grade's rate, held within the product's all-in cost cap: no higher than the
    rate whose interest fits the cap on any schedule under the product's day count
    (``lending.cost.rate_ceiling``); the origination fee is then cut at disbursement
    to what the cap leaves."""
    ceiling = rate_ceiling(base.cost_cap_annual, base.day_count)
    return min(annual_rate, ceiling.quantize(RATE_STEP, rounding=ROUND_DOWN))


def priced_product(base: Product, *, grade: str, annual_rate: Decimal) -> Product:
    return replace(base, code=priced_code(base.code, grade), name=f"{base.name} ({grade})",
                   annual_rate=grade_rate(base, annual_rate))


def product_toml(product: Product) -> str:
    """``product`` as a product file (see docs/schedules.md for the format)."""

    def text(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [
        f"code = {text(product.code)}",
        f"name = {text(product.name)}",
        f"currency = {text(product.currency)}",
        f"method = {text(product.method.value)}",
        f"annual_rate = {text(str(product.annual_rate))}",
        f"day_count = {text(product.day_count.value)}",
        f"penalty_rate = {text(str(product.penalty_rate))}",
        f"cost_cap_annual = {text(str(product.cost_cap_annual))}",
        f"grace_days = {product.grace_days}",
        "allocation_order = [" + ", ".join(text(c.value) for c in product.allocation_order)
        + "]",
        f"allocation_scope = {text(product.allocation_scope.value)}",
        f"rounding = {text(product.rounding.value)}",
        f"term_months_min = {product.term_months_min}",
        f"term_months_max = {product.term_months_max}",
        f"emi_calculation = {text(product.emi_calculation.value)}",
        "",
        "[fees]",
        f"origination = {text(format_minor(product.fees.origination_minor, product.currency))}",
        f"late_fee = {text(format_minor(product.fees.late_fee_minor, product.currency))}",
    ]
    return "\n".join(lines) + "\n"
