"""Affordability: the debt service ratio and sizing a loan down to what fits."""

from __future__ import annotations

import datetime as dt

from dunwell.lending.products import builtin_products
from dunwell.origination.affordability import (
    dsr_bps,
    instalment_budget_minor,
    monthly_repayment_minor,
    size_loan,
)

START = dt.date(2025, 1, 15)
PRODUCTS = builtin_products()
ANNUITY = PRODUCTS["merchant_annuity_12m"]  # 18 % a year, 30/360, equal instalments
INTEREST_ONLY = PRODUCTS["inventory_interest_only_3m"]


def test_the_debt_service_ratio_counts_every_monthly_payment_over_cash_flow() -> None:
    # 6,000.00 existing + 3,997.25 new over 20,000.00 = 49.99 % (rounded up)
    assert dsr_bps(600_000 + 399_725, 2_000_000) == 4999
    assert dsr_bps(100, 0) is None


def test_a_loan_too_big_to_repay_is_sized_down_to_the_largest_that_fits() -> None:
    # Cash flow 20,000.00 a month, existing debts 6,000.00, the product allows 50 %:
    # room for a new instalment of 20,000 * 50 % - 6,000 = 4,000.00.
    assert instalment_budget_minor(2_000_000, 600_000, 5000) == 400_000
    # 100,000.00 over 12 months at 18 % costs 9,168.00 a month: too much.
    assert monthly_repayment_minor(ANNUITY, 10_000_000, 12, START) == 916_800
    sizing = size_loan(requested_minor=10_000_000, product=ANNUITY, term_months=12,
                       start=START, cash_flow_minor=2_000_000, existing_payments_minor=600_000,
                       dsr_max_bps=5000, step_minor=10_000)
    # 4,000 / 0.0916800 = 43,630: in steps of 100.00, 43,600.00 (3,997.25 a month) fits
    # and 43,700.00 (4,006.42 a month) does not.
    assert sizing.affordable_minor == 4_360_000
    assert sizing.instalment_minor == 399_725
    assert monthly_repayment_minor(ANNUITY, 4_370_000, 12, START) == 400_642
    assert sizing.sized_down
    assert sizing.dsr_bps == 4999


def test_a_request_that_fits_is_kept_to_the_fen() -> None:
    sizing = size_loan(requested_minor=1_234_567, product=ANNUITY, term_months=12, start=START,
                       cash_flow_minor=2_000_000, existing_payments_minor=0, dsr_max_bps=5000,
                       step_minor=10_000)
    assert sizing.affordable_minor == 1_234_567
    assert not sizing.sized_down


def test_nothing_is_affordable_when_existing_debts_fill_the_limit() -> None:
    sizing = size_loan(requested_minor=1_000_000, product=ANNUITY, term_months=12, start=START,
                       cash_flow_minor=2_000_000, existing_payments_minor=1_000_000,
                       dsr_max_bps=5000, step_minor=10_000)
    assert (sizing.affordable_minor, sizing.budget_minor) == (0, 0)


def test_a_principal_repaid_at_the_end_counts_spread_over_the_term() -> None:
    # 30,000.00 for 3 months interest-only at 14.4 % act/360: interest 372.00 + 336.00 +
    # 372.00 and the principal at the end; 31,080.00 / 3 = 10,360.00 a month.
    assert monthly_repayment_minor(INTEREST_ONLY, 3_000_000, 3, START) == 1_036_000
