"""Features from a merchant's transaction records, worked by hand on a short list."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.core.errors import InvalidInput
from dunwell.origination.features import (
    consumer_features,
    merchant_features,
    slope,
    summarise,
)
from dunwell.origination.model import MonthSummary, Transaction, TransactionKind

SALE, REFUND = TransactionKind.SALE, TransactionKind.REFUND
T = Transaction

# A noodle shop's records (amounts in fen). By month, net of refunds:
#   Jan 10,000 + 5,000 - 500 = 14,500   Feb 16,000   Mar 18,000 - 1,000 = 17,000
#   Apr 8,000                            May 20,000
RECORDS = [
    T(dt.date(2024, 1, 5), 1_000_000, SALE),
    T(dt.date(2024, 1, 20), 500_000, SALE),
    T(dt.date(2024, 1, 25), 50_000, REFUND),
    T(dt.date(2024, 2, 10), 1_600_000, SALE),
    T(dt.date(2024, 3, 3), 1_800_000, SALE),
    T(dt.date(2024, 3, 28), 100_000, REFUND),
    T(dt.date(2024, 4, 9), 800_000, SALE),
    T(dt.date(2024, 5, 15), 2_000_000, SALE),
]


def test_records_are_summed_per_calendar_month() -> None:
    months = summarise(RECORDS)
    assert months[0] == MonthSummary(dt.date(2024, 1, 1), 1_500_000, 50_000, 2, 1)
    assert [m.net_minor for m in months] == [1_450_000, 1_600_000, 1_700_000, 800_000,
                                            2_000_000]


def test_the_noodle_shop_worked_by_hand() -> None:
    f = merchant_features(summarise(RECORDS))
    assert f.months_active == 5
    # mean of 14,500 16,000 17,000 8,000 20,000 = 75,500 / 5 = 15,100.00
    assert f.monthly_turnover_minor == 1_510_000
    # slope = (n*sum(xy) - sum(x)*sum(y)) / (n*sum(x^2) - sum(x)^2)
    #       = (5*154,000 - 10*75,500) / (5*30 - 100) = 300.00 a month, 300/15,100 = 1.99 %
    assert f.trend_minor_per_month == 30_000
    assert f.trend_bps == 199
    # CV = sqrt(n*sum(y^2) - sum(y)^2) / sum(y) = sqrt(396,000,000) / 75,500 = 0.2635...
    assert f.volatility_bps == 2635
    # refunds 1,500 over sales 77,000 = 1.95 %
    assert f.refund_rate_bps == 195
    # peak 20,000 over trough 8,000 = 2.5x
    assert f.seasonality_pct == 250


def test_a_quiet_month_counts_as_zero_sales_and_caps_seasonality() -> None:
    without_april = [r for r in RECORDS if r.on.month != 4]
    f = merchant_features(summarise(without_april))
    assert f.months_active == 5
    assert f.monthly_turnover_minor == 1_350_000  # 67,500 / 5
    assert f.trend_minor_per_month == -50_000  # (5*130,000 - 10*67,500) / 50 = -500.00
    assert f.seasonality_pct == 1_000  # a zero trough: the cap


def test_slope_is_exact_rational_arithmetic() -> None:
    assert slope([1, 2, 4]) == pytest.approx(1.5)
    assert str(slope([1, 2, 4])) == "3/2"
    assert slope([7]) == 0


def test_a_merchant_without_records_has_no_history() -> None:
    f = merchant_features(())
    assert f.months_active == 0 and f.monthly_turnover_minor == 0


def test_a_negative_or_zero_record_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as caught:
        summarise([*RECORDS[:2], T(dt.date(2024, 1, 6), 0, SALE)])
    assert caught.value.code == "transaction_amount_must_be_positive"
    assert caught.value.details["field"] == "transactions.2.amount"


def test_consumer_income_stability_is_one_minus_its_variation() -> None:
    steady = consumer_features([800_000] * 4)
    assert (steady.income_months, steady.mean_income_minor, steady.income_stability_bps) == (
        4, 800_000, 10_000)
    # 6,000 and 10,000: sd 2,000 over mean 8,000 = 25 %, so stability 75 %
    assert consumer_features([600_000, 1_000_000]).income_stability_bps == 7_500
    assert consumer_features([]).income_months == 0
