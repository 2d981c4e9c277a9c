"""Affordability, the keep-probability model and the lender's expected NPV. Pure and
exact: Decimal throughout, one explicit rounding to minor units at the end.

Keep-probability model (documented in docs/negotiation.md):

    q = clamp(base[reason] - slope x affordability, floor, ceiling)   (a month)
    P(payment j is made) = q ** j

A borrower whose plan takes a larger share of their disposable income is less
likely to keep it each month, and a longer plan has more months to break in. The
base differs by reason: a one-off family emergency passes, a job loss may last.

Expected NPV of a plan with payments a_j due j months from the offer:

    NPV = sum_j a_j x q ** j / (1 + r / 12) ** j      (r: discount_rate_annual)

rounded half-up to a whole minor unit.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal

from dunwell.core.money import Rounding, round_to_int
from dunwell.negotiation.model import HardshipReason
from dunwell.negotiation.policy import KeepModel

RATIO_PLACES = Decimal("0.0001")
PROBABILITY_PLACES = Decimal("0.000001")


def is_affordable(payment_minor: int, disposable_minor: int, threshold: Decimal) -> bool:
    """``payment <= threshold x disposable``, exactly; nothing is affordable to a
    borrower with no disposable income."""
    return disposable_minor > 0 and Decimal(payment_minor) <= threshold * disposable_minor


def affordability(payment_minor: int, disposable_minor: int) -> Decimal:
    """Payment / disposable income to four places (half-up); needs disposable > 0."""
    if disposable_minor <= 0:
        raise ValueError("affordability needs a positive disposable income")
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        return (Decimal(payment_minor) / Decimal(disposable_minor)).quantize(
            RATIO_PLACES, rounding=decimal.ROUND_HALF_UP)


def keep_probability(model: KeepModel, reason: HardshipReason, ratio: Decimal) -> Decimal:
    """The monthly chance the borrower makes the plan's payment, to six places."""
    q = model.base[reason] - model.slope * ratio
    q = min(max(q, model.floor), model.ceiling)
    return q.quantize(PROBABILITY_PLACES, rounding=decimal.ROUND_HALF_UP)


def expected_npv(payments_minor: Sequence[int], q: Decimal, discount_rate_annual: Decimal) -> int:
    """The lender's expected present value of ``payments_minor`` (month 1, 2, ...)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        monthly = Decimal(1) + discount_rate_annual / 12
        total = Decimal(0)
        survive = Decimal(1)
        discount = Decimal(1)
        for amount in payments_minor:
            survive *= q
            discount *= monthly
            total += Decimal(amount) * survive / discount
        return round_to_int(total, Rounding.HALF_UP)
