"""The all-in cost cap as worked examples: the measure, the fee at disbursement, the
product rules, the legal ceilings and the close-out rebate (``lending/cost.py``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.core.dates import DayCount, to_day
from dunwell.core.errors import InvalidInput
from dunwell.ledger.model import Account
from dunwell.lending.cost import (
    allowance_minor,
    annual_cost_ppm,
    close_out,
    origination_fee,
    parse_caps,
    rate_ceiling,
    within_cap,
)
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import LoanStatus, RepaymentMethod
from dunwell.lending.products import (
    builtin_product_texts,
    builtin_products,
    jurisdiction_caps,
    load_product,
)
from dunwell.lending.schedules import build_schedule

CAP_24 = 240_000
CONSUMER = next(t for t in builtin_product_texts() if "consumer_equal_principal_6m" in t)


def with_line(text: str, key: str, line: str) -> str:
    return "\n".join(line if row.startswith(f"{key} =") else row
                     for row in text.splitlines()) + "\n"


# --- the measure ------------------------------------------------------------------------

def test_a_year_of_a_thousand_at_the_cap_allows_exactly_the_cap() -> None:
    assert allowance_minor(100_000 * 365, CAP_24) == 24_000
    assert within_cap(24_000, 100_000 * 365, CAP_24)
    assert not within_cap(24_001, 100_000 * 365, CAP_24)
    assert annual_cost_ppm(24_000, 100_000 * 365) == CAP_24


@given(charges=st.integers(min_value=0, max_value=10**9),
       exposure=st.integers(min_value=1, max_value=10**13),
       cap=st.integers(min_value=1, max_value=1_000_000))
def test_the_reported_cost_is_within_the_cap_exactly_when_the_charges_are(
        charges: int, exposure: int, cap: int) -> None:
    cost = annual_cost_ppm(charges, exposure)
    assert cost is not None
    assert (cost <= cap) == within_cap(charges, exposure, cap)


# --- disbursement -----------------------------------------------------------------------

def test_the_fee_is_cut_to_what_the_cap_leaves_after_interest() -> None:
    product = load_product(CONSUMER)
    start = dt.date(2025, 1, 15)
    schedule = build_schedule(principal_minor=100_000, currency="CNY",
                              annual_rate=product.annual_rate, periods=6,
                              method=product.method, start=start, day_count=product.day_count,
                              rounding=product.rounding)
    fee = origination_fee(schedule, start_day=to_day(start), product_fee_minor=5_000,
                          cap_ppm=CAP_24)
    assert (fee.allowance_minor, fee.interest_minor, fee.fee_minor) == (6_926, 4_502, 2_424)
    assert (fee.room_minor, fee.reduced_by_minor) == (2_424, 2_576)
    whole = origination_fee(schedule, start_day=to_day(start), product_fee_minor=2_000,
                            cap_ppm=CAP_24)
    assert whole.fee_minor == 2_000  # a fee within the room is charged whole


def test_a_schedule_whose_interest_alone_breaks_the_cap_is_refused() -> None:
    # 30/360 charges a twelfth of the year for a month; from 31 January it has 28 days
    start = dt.date(2025, 1, 31)
    schedule = build_schedule(principal_minor=1_000_000, currency="CNY",
                              annual_rate=Decimal("0.24"), periods=1,
                              method=RepaymentMethod.BULLET, start=start,
                              day_count=DayCount.THIRTY_360)
    with pytest.raises(InvalidInput) as caught:
        origination_fee(schedule, start_day=to_day(start), product_fee_minor=0,
                        cap_ppm=CAP_24, product_code="hot")
    assert caught.value.code == "loan_cost_must_fit_cap"
    assert "scheduled interest 20000 minor units exceeds the 18410" in caught.value.message


# --- registration -----------------------------------------------------------------------

@pytest.mark.parametrize(("day_count", "ceiling"), [
    (DayCount.ACT_365, Decimal("0.24")),
    (DayCount.ACT_360, Decimal("0.2367")),
    (DayCount.THIRTY_360, Decimal("0.2209")),
])
def test_the_rate_a_cap_holds_depends_on_the_day_count(day_count: DayCount,
                                                       ceiling: Decimal) -> None:
    assert rate_ceiling(Decimal("0.24"), day_count).quantize(Decimal("0.0001")) == ceiling


def test_a_product_capped_above_its_jurisdiction_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_product(with_line(CONSUMER, "cost_cap_annual", 'cost_cap_annual = "0.36"'))
    assert caught.value.code == "product_cap_must_not_exceed_jurisdiction"
    assert "above the 0.24" in caught.value.message


def test_a_rate_whose_months_outrun_the_cap_is_refused() -> None:
    text = with_line(with_line(CONSUMER, "day_count", 'day_count = "30/360"'),
                     "annual_rate", 'annual_rate = "0.23"')
    with pytest.raises(InvalidInput) as caught:
        load_product(text)
    assert caught.value.code == "product_rate_must_fit_cost_cap"
    assert "at most 0.2209" in caught.value.message


def test_a_fee_no_loan_could_carry_within_the_cap_is_refused() -> None:
    text = with_line(CONSUMER, "origination", 'origination = "9000000.00"')
    with pytest.raises(InvalidInput) as caught:
        load_product(text)
    assert caught.value.code == "product_fees_must_fit_cost_cap"
    assert "lower the fee or the rate" in caught.value.message


def test_an_unknown_jurisdiction_is_named_with_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_product(with_line(CONSUMER, "jurisdiction", 'jurisdiction = "XX"'))
    assert caught.value.code == "product_must_be_valid"
    assert "unknown jurisdiction 'XX'; use one of CN, CN-PRIVATE, UK, US-NY" in (
        caught.value.message)


# --- the legal ceilings -----------------------------------------------------------------

def test_every_legal_ceiling_names_its_basis_and_source() -> None:
    caps = jurisdiction_caps()
    assert {"CN", "UK", "US-NY"} <= set(caps)
    assert caps["CN"].cost_cap_annual == Decimal("0.24")
    assert caps["UK"].cost_cap_annual == Decimal("2.92")  # 0.8 % a day
    for cap in caps.values():
        assert cap.basis and cap.source


def test_every_built_in_product_is_within_its_jurisdictions_ceiling() -> None:
    caps = jurisdiction_caps()
    for product in builtin_products().values():
        assert product.cost_cap_annual <= caps["CN"].cost_cap_annual


def test_a_ceiling_written_as_a_float_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_caps('[XX]\nname = "x"\ncost_cap_annual = 0.24\n')
    assert caught.value.code == "caps_table_must_be_valid"


# --- closing ----------------------------------------------------------------------------

def settled_loan(*, exposure: int, fee: int, interest: int) -> LoanState:
    inst = InstallmentState(n=1, due_day=100, accrual_start_day=70, principal_minor=100_000,
                            interest_minor=interest, interest_accrued_minor=interest,
                            fee_minor=fee, paid_principal_minor=100_000,
                            paid_interest_minor=interest, paid_fee_minor=fee)
    return LoanState(loan_id=9, borrower_id=9, product_code="p", currency="CNY",
                     principal_minor=100_000, disbursed_day=70, status=LoanStatus.PAID_OFF,
                     installments=(inst,), charged_minor=fee + interest,
                     exposure_minor_days=exposure, last_cob_day=72)


def test_a_loan_closed_above_its_allowance_gives_the_fee_back_first() -> None:
    # three days of 1000.00 at 24 % allow 1.97; it charged 50.00 of fee and 1.28 interest
    loan = settled_loan(exposure=300_000, fee=5_000, interest=128)
    closed, rebate = close_out(loan, CAP_24)
    assert (rebate.fee_minor, rebate.interest_minor) == (4_931, 0)
    assert closed.charged_minor == 197 == allowance_minor(300_000, CAP_24)
    assert closed.suspense_minor == 4_931
    assert closed.installments[0].fee_minor == closed.installments[0].paid_fee_minor == 69
    lines = rebate.lines(9)
    assert [(ln.account, ln.amount_minor) for ln in lines] == [
        (Account.FEE_INCOME, 4_931), (Account.SUSPENSE, -4_931)]


def test_a_loan_closed_on_the_day_it_was_lent_gives_back_every_charge() -> None:
    loan = settled_loan(exposure=0, fee=5_000, interest=128)
    closed, rebate = close_out(loan, CAP_24)
    assert (rebate.fee_minor, rebate.interest_minor, closed.charged_minor) == (5_000, 128, 0)
    inst = closed.installments[0]
    assert inst.interest_accrued_minor == inst.paid_interest_minor == inst.interest_minor == 0


def test_a_loan_within_its_allowance_closes_unchanged() -> None:
    loan = settled_loan(exposure=100_000 * 365, fee=5_000, interest=10_000)
    closed, rebate = close_out(loan, CAP_24)
    assert closed == loan
    assert rebate.total_minor == 0
    assert rebate.lines(9) == ()
