"""A small book for negotiation tests: one borrower, one 3,000.00 loan over three
months (equal principal, 12 % a year on 30/360, penalty 18 % a year, no grace days,
no fees), left unpaid until a case opens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Jurisdiction
from dunwell.store.collections_repo import ActionRepository, BorrowerRepository

START = dt.date(2025, 1, 15)
FIRST_DUE = dt.date(2025, 2, 15)
NOW = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
PRODUCT = """
code = "plan_demo_3m"
name = "demo 3 months equal principal"
currency = "CNY"
method = "equal_principal"
annual_rate = "0.12"
day_count = "30/360"
penalty_rate = "0.18"
cost_cap_annual = "0.24"
grace_days = 0
allocation_order = ["penalty", "fee", "interest", "principal"]
allocation_scope = "oldest_first"
rounding = "half_up"
term_months_min = 3
term_months_max = 3

[fees]
origination = "0.00"
late_fee = "0.00"
"""


def open_demo_book(app: Dunwell, borrowers: int = 1) -> list[int]:
    """Open the book on START and lend 3,000.00 to each borrower; returns loan ids."""
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        register_product(uow, PRODUCT)
        loans = disburse(uow, [LoanRequest(b, "plan_demo_3m", 300_000, 3)
                               for b in range(1, borrowers + 1)])
        people = BorrowerRepository(uow.conn)
        for b in range(1, borrowers + 1):
            people.put(borrower_id=b, name=f"Borrower {b}", jurisdiction=Jurisdiction.CN_NIFA,
                       timezone="Asia/Shanghai", language="zh-CN")
        ActionRepository(uow.conn).put_collector("c-01", "Wang", 30, "09:00", "18:00")
        uow.commit()
    return [loan.loan_id for loan in loans]


def days(app: Dunwell, first: dt.date, last: dt.date) -> None:
    """COB of the day before, then the collection run, for each day first..last."""
    day = first
    while day <= last:
        close_until(app, day - dt.timedelta(days=1))
        collect_day(app, day, now=dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC))
        day += dt.timedelta(days=1)


def overdue_book(app: Dunwell, until: dt.date, borrowers: int) -> None:
    """The demo loan(s) booked and every day's COB and collection run up to ``until``."""
    open_demo_book(app, borrowers)
    days(app, FIRST_DUE - dt.timedelta(days=1), until)


@pytest.fixture
def overdue(app: Dunwell, fill_book: Callable[..., None]) -> Callable[..., list[int]]:
    """Book the demo loan(s) and run the days up to ``until`` (default 2025-03-01,
    14 days past the first due date): the case is open. The book is built once per
    worker for each ``until`` and ``borrowers`` and copied in (``fill_book``), so call
    this before the test writes anything else."""

    def make(until: dt.date = dt.date(2025, 3, 1), borrowers: int = 1) -> list[int]:
        fill_book(app, overdue_book, until, borrowers)
        with app.engine.connect() as conn:
            return list(conn.exec_driver_sql("SELECT loan_id FROM loans ORDER BY loan_id")
                        .scalars())

    return make


def db_snapshot(app: Dunwell) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to show a rejected command changed nothing."""
    import sqlalchemy as sa

    from dunwell.store.tables import metadata

    out: dict[str, list[tuple[object, ...]]] = {}
    with app.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        for table in metadata.sorted_tables:
            if table.name in names:
                rows = conn.execute(sa.select(table)).all()
                out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


@pytest.fixture
def snapshot() -> Callable[[Dunwell], dict[str, list[tuple[object, ...]]]]:
    return db_snapshot


@pytest.fixture
def run_days(app: Dunwell) -> Callable[[dt.date, dt.date], None]:
    """COB and the collection run for each day from ``first`` through ``last``."""

    def run(first: dt.date, last: dt.date) -> None:
        days(app, first, last)

    return run
