"""Working a partition in blocks gives exactly the result of one block."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from dunwell.cob.batch import from_rows
from dunwell.cob.kernel import cob_day
from dunwell.cob.model import CobParams
from dunwell.core.dates import DayCount, to_day
from dunwell.lending.loans import book_loan
from dunwell.lending.model import Fees, Product, RepaymentMethod
from dunwell.lending.schedules import build_schedule

PRODUCT = Product(code="p", name="p", currency="CNY", method=RepaymentMethod.EQUAL_INSTALLMENT,
                  annual_rate=Decimal("0.18"), day_count=DayCount.THIRTY_360,
                  penalty_rate=Decimal("0.36"), cost_cap_annual=Decimal("0.24"),
                  grace_days=2, fees=Fees(late_fee_minor=1_000))
START = dt.date(2025, 3, 31)


@pytest.mark.parametrize("block_loans", [1, 3, 7, 64])
def test_blocks_of_any_size_close_a_day_exactly_like_one_block(block_loans: int) -> None:
    loans = []
    for k in range(29):
        sched = build_schedule(principal_minor=50_000 + 1_013 * k, currency="CNY",
                               annual_rate=Decimal("0.18"), periods=1 + k % 9,
                               method=list(RepaymentMethod)[k % 4], start=START)
        loans.append(book_loan(loan_id=k + 1, borrower_id=k, product=PRODUCT, schedule=sched,
                               disbursed_on=START))
    whole = from_rows(loans, {"p": CobParams.of(PRODUCT)})
    parts = whole
    for day in range(to_day(START), to_day(START) + 70):
        one = cob_day(whole, day, block_loans=10_000)
        many = cob_day(parts, day, block_loans=block_loans)
        for name, column in one.batch.columns().items():
            assert np.array_equal(getattr(many.batch, name), column), (day, name)
        order_one = np.lexsort((one.postings.account, one.postings.loan_id))
        order_many = np.lexsort((many.postings.account, many.postings.loan_id))
        for field in ("loan_id", "account", "amount_minor"):
            assert np.array_equal(getattr(one.postings, field)[order_one],
                                  getattr(many.postings, field)[order_many])
        assert len(one.events) == len(many.events)
        assert one.loans_closed == many.loans_closed
        whole, parts = one.batch, many.batch
    assert int(whole.penalty_minor.sum()) > 0
