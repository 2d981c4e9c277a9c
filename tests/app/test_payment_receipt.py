"""A payment posts its receipt in the same transaction; a replay queues none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

from dunwell.app.commands import run_command
from dunwell.app.lending.payments import Receipt, receive_payment
from dunwell.app.uow import UnitOfWork
from dunwell.bootstrap import Dunwell
from dunwell.simulation.portfolio import seed_book
from dunwell.store import channel_tables as ch

START = dt.date(2025, 1, 31)


def receipts(app: Dunwell) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(ch.outbox)
                                .where(ch.outbox.c.kind == "payment_received")).scalar_one())


def test_payments_queue_receipts_once(app: Dunwell) -> None:
    ids = seed_book(app, loans=12, start=START, seed=5)

    def pay(loan_id: int) -> Callable[[UnitOfWork], Receipt]:
        return lambda uow: receive_payment(
            uow, loan_id=loan_id, amount="100.00", currency="CNY",
            idempotency_key=f"receipt-{loan_id}", settings=app.settings,
            providers=app.providers)

    def pay_all() -> None:
        for loan_id in ids:
            run_command(app, pay(loan_id))

    pay_all()
    first = receipts(app)
    assert 0 < first <= 2 * len(ids)  # in-app, and e-mail where there is an address
    pay_all()  # replays
    assert receipts(app) == first
