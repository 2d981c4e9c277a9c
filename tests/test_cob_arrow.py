"""The kernel over Arrow record batches, as a cluster's ``mapInArrow`` would call it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from dunwell.cob.arrow import cob_arrow, from_arrow, loan_schema, to_arrow
from dunwell.cob.batch import from_rows
from dunwell.cob.kernel import cob_day
from dunwell.cob.model import CobParams
from dunwell.core.dates import DayCount, to_day
from dunwell.ledger.model import Account
from dunwell.lending.loans import book_loan
from dunwell.lending.model import Fees, Product, RepaymentMethod
from dunwell.lending.schedules import build_schedule

PRODUCT = Product(code="p", name="p", currency="CNY", method=RepaymentMethod.EQUAL_INSTALLMENT,
                  annual_rate=Decimal("0.18"), day_count=DayCount.THIRTY_360,
                  penalty_rate=Decimal("0.27"), cost_cap_annual=Decimal("0.24"),
                  fees=Fees(late_fee_minor=1_500))
START = dt.date(2025, 1, 31)


def portfolio(count: int) -> list:  # type: ignore[type-arg]
    loans = []
    for k in range(count):
        method = list(RepaymentMethod)[k % 4]
        sched = build_schedule(principal_minor=100_000 + 7_919 * k, currency="CNY",
                               annual_rate=Decimal("0.18"), periods=1 + k % 12, method=method,
                               start=START)
        loans.append(book_loan(loan_id=k + 1, borrower_id=k, product=PRODUCT, schedule=sched,
                               disbursed_on=START))
    return loans


def test_arrow_round_trip_keeps_every_column() -> None:
    batch = from_rows(portfolio(25), {"p": CobParams.of(PRODUCT)})
    back = from_arrow(to_arrow(batch))
    for name, column in batch.columns().items():
        assert np.array_equal(getattr(back, name), column), name


def test_cob_over_record_batches_equals_the_kernel_on_the_whole_partition() -> None:
    batch = from_rows(portfolio(40), {"p": CobParams.of(PRODUCT)})
    day = to_day(START) + 75  # instalments 1 and 2 unpaid: penalties and late fees
    for earlier in range(to_day(START), day):
        batch = cob_day(batch, earlier).batch
    direct = cob_day(batch, day)
    table = to_arrow(batch)
    pieces = [table.slice(0, 17), table.slice(17)]
    out = list(cob_arrow(iter(pieces), day))
    assert all(rb.schema.equals(loan_schema(with_postings=True)) for rb in out)
    merged = [from_arrow(rb) for rb in out]
    for name, column in direct.batch.columns().items():
        if name == "offsets":
            continue
        joined = np.concatenate([getattr(m, name) for m in merged])
        assert np.array_equal(joined, column), name
    penalty = sum(int(rb.column("penalty_posted_minor").to_numpy().sum()) for rb in out)
    expected = int(direct.postings.amount_minor[
        direct.postings.account == int(Account.PENALTY_RECEIVABLE)].sum())
    assert penalty == expected > 0
