"""instalment_totals gives every instalment's total of the schedule build_schedule
builds, to the minor unit, for any terms (Hypothesis); so do the monthly repayments
origination sizes loans with."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dunwell.core.dates import DayCount
from dunwell.core.errors import InvalidInput
from dunwell.core.money import Rounding
from dunwell.lending.model import EmiCalculation, Product, RepaymentMethod
from dunwell.lending.products import builtin_product_texts, load_product
from dunwell.lending.schedules import build_schedule, product_schedule
from dunwell.lending.schedules.totals import instalment_totals, product_instalment_totals
from dunwell.origination.affordability import BALLOON_METHODS, monthly_repayment_minor

# small principals make rounding ties likely (60 * 0.10 / 12 = 0.5 exactly); large
# ones reach the calculator's maximum
principals = st.one_of(st.integers(min_value=1, max_value=500),
                       st.integers(min_value=1, max_value=10**12))
periods = st.integers(min_value=1, max_value=120)
rates = st.one_of(st.sampled_from([Decimal("0"), Decimal("0.1"), Decimal("0.108"),
                                   Decimal("0.18"), Decimal("0.24"), Decimal("0.36")]),
                  st.integers(min_value=0, max_value=100_000).map(lambda n: Decimal(n).scaleb(-4)))
starts = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))
terms = {
    "principal_minor": principals,
    "annual_rate": rates,
    "periods": periods,
    "method": st.sampled_from(RepaymentMethod),
    "start": starts,
    "day_count": st.sampled_from(DayCount),
    "rounding": st.sampled_from(Rounding),
    "emi_calculation": st.sampled_from(EmiCalculation),
}


def _schedule_totals(**kw: object) -> tuple[int, ...] | str:
    try:
        schedule = build_schedule(currency="CNY", **kw)  # type: ignore[arg-type]
    except InvalidInput as exc:
        return exc.code
    return tuple(i.total_minor for i in schedule.installments)


def _fast_totals(**kw: object) -> tuple[int, ...] | str:
    try:
        return instalment_totals(currency="CNY", **kw)  # type: ignore[arg-type]
    except InvalidInput as exc:
        return exc.code


@settings(deadline=None, max_examples=400)
@given(**terms)
@example(principal_minor=60, annual_rate=Decimal("0.1"), periods=2,
         method=RepaymentMethod.EQUAL_PRINCIPAL, start=dt.date(2025, 1, 31),
         day_count=DayCount.THIRTY_360, rounding=Rounding.HALF_EVEN,
         emi_calculation=EmiCalculation.FLAT_RATE_FACTOR)
@example(principal_minor=10**12, annual_rate=Decimal("10"), periods=120,
         method=RepaymentMethod.EQUAL_INSTALLMENT, start=dt.date(2024, 2, 29),
         day_count=DayCount.ACT_365, rounding=Rounding.UP,
         emi_calculation=EmiCalculation.FLAT_RATE_FACTOR)
def test_totals_equal_the_schedules(**kw: object) -> None:
    assert _fast_totals(**kw) == _schedule_totals(**kw)


@pytest.mark.parametrize("kw", [
    {"principal_minor": 0}, {"principal_minor": -5}, {"periods": 0}, {"periods": 601},
    {"annual_rate": Decimal("-0.1")}, {"annual_rate": Decimal("10.5")},
    {"start": dt.date(9999, 6, 1)},
])
def test_terms_refused_alike(kw: dict[str, object]) -> None:
    base: dict[str, object] = {
        "principal_minor": 100_000, "annual_rate": Decimal("0.18"), "periods": 12,
        "method": RepaymentMethod.EQUAL_INSTALLMENT, "start": dt.date(2025, 1, 15)}
    base.update(kw)
    expected = _schedule_totals(**base)
    assert isinstance(expected, str)
    assert _fast_totals(**base) == expected


PRODUCTS = [load_product(text) for text in builtin_product_texts()]


def _repayment_from_schedule(product: Product, principal: int, term: int,
                             start: dt.date) -> int:
    """The monthly repayment as it was computed from whole schedules."""
    schedule = product_schedule(product, principal_minor=principal, periods=term, start=start)
    if product.method in BALLOON_METHODS:
        return -(-schedule.total_paid_minor // term)
    return max(i.total_minor for i in schedule.installments)


@settings(deadline=None, max_examples=300)
@given(product=st.sampled_from(PRODUCTS), principal=st.integers(min_value=1, max_value=10**10),
       term=st.sampled_from([1, 3, 6, 12, 24, 36]), start=starts, rate=rates)
def test_monthly_repayment_equals_the_schedules(product: Product, principal: int, term: int,
                                                start: dt.date, rate: Decimal) -> None:
    priced = replace(product, annual_rate=rate)
    assert monthly_repayment_minor(priced, principal, term, start) == \
        _repayment_from_schedule(priced, principal, term, start)
    assert product_instalment_totals(priced, principal_minor=principal, periods=term,
                                     start=start) == \
        tuple(i.total_minor for i in product_schedule(
            priced, principal_minor=principal, periods=term, start=start).installments)
