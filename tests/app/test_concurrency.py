"""Writers of the loan book take turns: a payment held between its read and its write
while COB closes its loan, two requests with one key, two COBs at once. Each story is
made deterministic by holding one command at a known point with an event."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_day, close_until
from dunwell.app.commands import run_command
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import Receipt, ReceiptStatus, receive_payment
from dunwell.app.lending.verify import verify_book
from dunwell.app.uow import UnitOfWork
from dunwell.bootstrap import Dunwell
from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, RetryLater
from dunwell.lending import payments as pay_rules
from dunwell.lending.products import builtin_product_texts
from dunwell.store import tables as t
from dunwell.store.locks import cob_run_lock

START = dt.date(2025, 1, 15)
WAIT_S = 30


def book_with_loans(app: Dunwell, n: int = 3) -> list[int]:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        loans = disburse(uow, [LoanRequest(7 + k, "merchant_annuity_12m", 1_200_000, 12)
                               for k in range(n)])
        uow.commit()
    close_until(app, dt.date(2025, 2, 17))  # the first instalment is overdue
    return [ln.loan_id for ln in loans]


class Gate:
    """Holds the first ``holds`` calls of a function until released."""

    def __init__(self, holds: int = 1) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self.holds = holds
        self._lock = threading.Lock()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def held(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                hold = self.holds > 0
                self.holds -= 1
            if hold:
                self.reached.set()
                assert self.release.wait(WAIT_S), "the test never released the gate"
            return fn(*args, **kwargs)
        return held


@contextmanager
def in_thread(fn: Callable[[], Any]) -> Iterator[dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except BaseException as exc:  # handed to the test thread
            out["error"] = exc

    th = threading.Thread(target=run, daemon=True)
    th.start()
    try:
        yield out
    finally:
        th.join(WAIT_S)
        assert not th.is_alive(), "the command thread did not finish"


def pay(app: Dunwell, loan_id: int, key: str, amount: str = "300.00") -> Receipt:
    return run_command(app, lambda uow: receive_payment(
        uow, loan_id=loan_id, amount=amount, currency="CNY", idempotency_key=key,
        providers=app.providers))


def loan_row(app: Dunwell, loan_id: int) -> Any:
    with app.engine.connect() as conn:
        return conn.execute(sa.select(t.loans).where(t.loans.c.loan_id == loan_id)).one()


def test_a_payment_held_while_cob_closes_its_loan_keeps_both(
        app: Dunwell, monkeypatch: pytest.MonkeyPatch) -> None:
    loan_id, *_ = book_with_loans(app)
    gate = Gate()
    monkeypatch.setattr(pay_rules, "pay", gate.wrap(pay_rules.pay))
    with in_thread(lambda: pay(app, loan_id, "held-payment")) as payment:
        assert gate.reached.wait(WAIT_S)
        # the payment has read its loan and holds it; COB of the book's date runs in
        # another thread and must wait for it, not save over it
        with in_thread(lambda: close_day(app, dt.date(2025, 2, 18))) as cob:
            gate.release.set()
    assert "error" not in payment and "error" not in cob, (payment, cob)
    assert payment["result"].status is ReceiptStatus.POSTED
    row = loan_row(app, loan_id)
    assert row.last_cob_day == to_day(dt.date(2025, 2, 18))
    report = verify_book(app)
    assert report.ok, report.as_json()


def test_a_writer_that_read_before_cob_is_refused_and_run_again(
        app: Dunwell, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that read the loan without locking it (as a careless writer would)
    cannot save over COB's day: COB bumped the version, the save is refused, and the
    command runs again on the closed loan."""
    loan_id, *_ = book_with_loans(app)
    gate = Gate()
    runs: list[int] = []

    def careless(uow: UnitOfWork) -> int:
        loan = uow.loans.get(loan_id)  # no lock
        runs.append(loan.version)
        gate.wrap(lambda: None)()
        product = uow.products.get(loan.product_code)
        day = to_day(uow.book.require().business_date)
        outcome = pay_rules.pay(loan, product, amount_minor=10_00, currency="CNY", day=day)
        return uow.loans.save(outcome.loan).version

    with in_thread(lambda: run_command(app, careless)) as command:
        assert gate.reached.wait(WAIT_S)
        close_day(app, dt.date(2025, 2, 18))
        gate.release.set()
    assert "error" not in command, command
    assert len(runs) == 2 and runs[1] == runs[0] + 1  # COB bumped the version once
    assert loan_row(app, loan_id).last_cob_day == to_day(dt.date(2025, 2, 18))


def test_a_save_over_a_changed_loan_is_refused(app: Dunwell) -> None:
    loan_id, *_ = book_with_loans(app)
    with app.uow() as uow:
        stale = uow.loans.get(loan_id)
    close_day(app, dt.date(2025, 2, 18))
    with app.uow() as uow, pytest.raises(Conflict) as err:
        uow.loans.save(stale)
    assert err.value.code == "loan_must_not_change_concurrently"


def test_the_same_key_in_flight_twice_posts_once_and_replays_once(
        app: Dunwell, monkeypatch: pytest.MonkeyPatch) -> None:
    loan_id, *_ = book_with_loans(app)
    gate = Gate()
    monkeypatch.setattr(pay_rules, "pay", gate.wrap(pay_rules.pay))
    with in_thread(lambda: pay(app, loan_id, "twice")) as first:
        assert gate.reached.wait(WAIT_S)
        with in_thread(lambda: pay(app, loan_id, "twice")) as second:
            gate.release.set()
    assert "error" not in first and "error" not in second, (first, second)
    statuses = sorted(r["result"].status.value for r in (first, second))
    assert statuses == ["posted", "replayed"]
    with app.engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(t.payments)).scalar_one()
    assert n == 1
    assert verify_book(app).ok


def test_a_second_cob_while_one_runs_is_told_to_retry_later(app: Dunwell) -> None:
    book_with_loans(app)
    with cob_run_lock(app.engine), pytest.raises(RetryLater) as err:
        close_day(app, dt.date(2025, 2, 18))
    assert err.value.code == "cob_must_run_alone"
    close_day(app, dt.date(2025, 2, 18))  # free again once the first has ended


def test_a_command_that_keeps_losing_gives_up_with_retry_later(app: Dunwell) -> None:
    book_with_loans(app)
    pauses: list[float] = []

    def always_conflicts(_: UnitOfWork) -> None:
        raise Conflict("changed", code="loan_must_not_change_concurrently")

    with pytest.raises(RetryLater):
        run_command(app, always_conflicts, attempts=4, sleep=pauses.append,
                    jitter=lambda: 0.5)
    assert pauses == [0.01, 0.02, 0.04]


def test_other_rejections_are_not_retried(app: Dunwell) -> None:
    loan_id, *_ = book_with_loans(app)
    calls = []

    def closed_loan(_: UnitOfWork) -> None:
        calls.append(1)
        raise Conflict("the loan is closed", code="loan_must_be_open")

    with pytest.raises(Conflict):
        run_command(app, closed_loan, sleep=lambda _: None)
    assert calls == [1]
    assert loan_id
