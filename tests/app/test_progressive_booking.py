"""A product that asks for the progressive equal instalment books its loans with it:
the schedule a borrower is charged is the one the product names."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.lending.model import EmiCalculation
from dunwell.lending.products import builtin_product_texts
from dunwell.lending.schedules import product_schedule

PROGRESSIVE = """
code = "merchant_progressive_12m"
name = "merchant loan, progressive equal instalments"
currency = "CNY"
method = "equal_installment"
emi_calculation = "progressive"
annual_rate = "0.18"
day_count = "act/365"
penalty_rate = "0.27"
cost_cap_annual = "0.24"
jurisdiction = "CN"
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


def test_a_progressive_product_books_progressive_schedules(app: Dunwell) -> None:
    start = dt.date(2025, 1, 15)
    with app.uow() as uow:
        open_book(uow, business_date=start, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        product = register_product(uow, PROGRESSIVE)
        (loan,) = disburse(uow, [LoanRequest(7, product.code, 1_000_000, 12)])
        uow.commit()
    want = product_schedule(product, principal_minor=1_000_000, periods=12, start=start)
    totals = [i.principal_minor + i.interest_minor for i in loan.installments]
    assert totals == [row.total_minor for row in want.installments]
    assert len(set(totals[:-1])) == 1  # equal but for the last
    flat = product_schedule(replace(product, emi_calculation=EmiCalculation.FLAT_RATE_FACTOR),
                            principal_minor=1_000_000, periods=12, start=start)
    assert totals != [row.total_minor for row in flat.installments]
