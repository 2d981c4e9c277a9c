"""Payments that arrive together are posted together (group commit): each answered as
it would have been alone — posted, replayed, 409, 404, 422 — and one failing payment
does not fail the others. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.cob import close_until
from dunwell.app.lending import payments as pay
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import (
    PaymentRequest,
    Receipt,
    ReceiptStatus,
    post_payments,
    quote_payoff,
)
from dunwell.app.lending.verify import verify_book
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Jurisdiction
from dunwell.core.errors import Conflict, InvalidInput, NotFound
from dunwell.core.money import format_minor
from dunwell.lending.payments import PaymentKind
from dunwell.lending.prepayment import PrepaymentMode
from dunwell.lending.products import builtin_product_texts
from dunwell.store import channel_tables as ch


def loans(app: Dunwell) -> tuple[int, int]:
    """Two loans, of borrowers 7 and 8 (each with a contact profile, so a payment
    queues its receipt), with instalments due."""
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        made = disburse(uow, [LoanRequest(7, "merchant_annuity_12m", 1_200_000, 12),
                              LoanRequest(8, "merchant_annuity_12m", 900_000, 12)])
        for borrower_id in (7, 8):
            uow.borrowers.put(borrower_id=borrower_id, name=f"商户{borrower_id}",
                              jurisdiction=Jurisdiction.CN_NIFA, timezone="Asia/Shanghai",
                              language="zh-CN")
        uow.commit()
    close_until(app, dt.date(2025, 2, 17))
    return made[0].loan_id, made[1].loan_id


def stored(app: Dunwell) -> list[tuple[str, int, int]]:
    with app.uow() as uow:
        return sorted((p.idempotency_key, p.loan_id, p.amount_minor)
                      for lid in (1, 2) for p in uow.payments.for_loan(lid))


def receipts_queued(app: Dunwell) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(ch.outbox)).scalar_one())


def test_a_group_posts_in_one_transaction(app: Dunwell, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = loans(app)
    monkeypatch.setattr(pay, "run_command", _not_one_by_one)
    group = [PaymentRequest(a, "100.00", "CNY", "g-1"), PaymentRequest(b, "50.00", "CNY", "g-2"),
             PaymentRequest(a, "70.00", "CNY", "g-3"), PaymentRequest(a, "100.00", "CNY", "g-1")]
    out = post_payments(app, group)
    assert all(isinstance(o, Receipt) for o in out)
    receipts = [o for o in out if isinstance(o, Receipt)]
    assert [r.status for r in receipts] == [ReceiptStatus.POSTED] * 3 + [ReceiptStatus.REPLAYED]
    assert receipts[3].payment == receipts[0].payment
    assert receipts[2].loan.version == receipts[0].loan.version + 1  # after the first
    assert stored(app) == [("g-1", a, 100_00), ("g-2", b, 50_00), ("g-3", a, 70_00)]
    assert receipts_queued(app) == 3
    assert verify_book(app).ok


def _not_one_by_one(*args: Any, **kw: Any) -> Any:
    raise AssertionError("the group fell back to one by one")


def test_a_failing_payment_leaves_the_others_posted(app: Dunwell) -> None:
    a, b = loans(app)
    post_payments(app, [PaymentRequest(a, "10.00", "CNY", "seen")])

    def refused(uow: Any, borrower_id: int | None) -> None:
        raise NotFound("no such loan", code="loan_must_exist")

    group = [PaymentRequest(a, "100.00", "CNY", "f-1"),
             PaymentRequest(10**9, "5.00", "CNY", "f-missing"),
             PaymentRequest(b, "50.00", "CNY", "f-2"),
             PaymentRequest(a, "11.00", "CNY", "seen"),  # the key of another payment
             PaymentRequest(b, "1.234", "CNY", "f-invalid"),
             PaymentRequest(b, "5.00", "CNY", "f-refused", may_pay=refused),
             PaymentRequest(a, "10.00", "CNY", "seen"),  # its replay
             PaymentRequest(b, "20.00", "CNY", "f-3")]
    out = post_payments(app, group)
    kinds = [o.status if isinstance(o, Receipt) else type(o) for o in out]
    assert kinds == [ReceiptStatus.POSTED, NotFound, ReceiptStatus.POSTED, Conflict,
                     InvalidInput, NotFound, ReceiptStatus.REPLAYED, ReceiptStatus.POSTED]
    assert stored(app) == [("f-1", a, 100_00), ("f-2", b, 50_00), ("f-3", b, 20_00),
                           ("seen", a, 10_00)]
    assert receipts_queued(app) == 4
    assert verify_book(app).ok


def test_payments_sent_at_once_over_http_are_answered_each_as_alone(app: Dunwell) -> None:
    a, b = loans(app)
    manager = token_headers(app, "manager")
    other = token_headers(app, "borrower", borrower_id=8)
    first = post_payments(app, [PaymentRequest(a, "100.00", "CNY", "pre-1")])[0]
    assert isinstance(first, Receipt)
    sent: list[tuple[str, dict[str, str], dict[str, Any], str]] = [
        (f"/v1/loans/{a}/payments", manager, {"amount": "100.00", "currency": "CNY"}, "h-1"),
        (f"/v1/loans/{b}/payments", manager, {"amount": "50.00", "currency": "CNY"}, "h-2"),
        (f"/v1/loans/{a}/payments", manager, {"amount": "30.00", "currency": "CNY"}, "h-3"),
        (f"/v1/loans/{a}/payments", manager, {"amount": "100.00", "currency": "CNY"}, "pre-1"),
        (f"/v1/loans/{a}/payments", manager, {"amount": "101.00", "currency": "CNY"}, "pre-1"),
        (f"/v1/loans/{a}/payments", other, {"amount": "5.00", "currency": "CNY"}, "h-4"),
        ("/v1/loans/999999/payments", manager, {"amount": "5.00", "currency": "CNY"}, "h-5"),
        (f"/v1/loans/{b}/payments", manager, {"amount": "5.00", "currency": "USD"}, "h-6"),
        (f"/v1/loans/{b}/payments", other, {"amount": "25.00", "currency": "CNY"}, "h-7"),
        (f"/v1/loans/{b}/payments", manager, {"amount": "7.00", "currency": "CNY"}, "h-8"),
        (f"/v1/loans/{b}/payments", manager, {"amount": "7.00", "currency": "CNY"}, "h-8"),
    ]
    answers = asyncio.run(_send_at_once(create_app(dunwell=app), sent))
    assert [r.status_code for r in answers[:9]] == [201, 201, 201, 200, 409, 404, 404, 422, 201]
    assert answers[3].headers["Idempotent-Replayed"] == "true"
    assert answers[3].json()["payment_id"] == first.payment.payment_id
    assert answers[4].json()["error"] == "idempotency_key_must_match_original_request"
    # the same request twice at once: whichever came first posted, the other replays it
    assert sorted(r.status_code for r in answers[9:]) == [200, 201]
    assert answers[9].json()["payment_id"] == answers[10].json()["payment_id"]
    assert stored(app) == [("h-1", a, 100_00), ("h-2", b, 50_00), ("h-3", a, 30_00),
                           ("h-7", b, 25_00), ("h-8", b, 7_00), ("pre-1", a, 100_00)]
    assert receipts_queued(app) == 6
    assert verify_book(app).ok


async def _send_at_once(api: Any, sent: list[tuple[str, dict[str, str], dict[str, Any], str]],
                        ) -> list[httpx.Response]:
    async with api.router.lifespan_context(api), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api), base_url="http://test") as http:
        return list(await asyncio.gather(*(
            http.post(url, json=body, headers={**who, "Idempotency-Key": key})
            for url, who, body, key in sent)))


def test_good_payments_sent_at_once_all_post(app: Dunwell) -> None:
    a, b = loans(app)
    with app.uow() as uow:
        before = {lid: uow.loans.get(lid).version for lid in (a, b)}
    manager = token_headers(app, "manager")
    sent = [(f"/v1/loans/{(a, b)[k % 2]}/payments", manager,
             {"amount": f"{10 + k}.00", "currency": "CNY"}, f"ok-{k}") for k in range(10)]
    answers = asyncio.run(_send_at_once(create_app(dunwell=app), sent))
    assert [r.status_code for r in answers] == [201] * 10
    assert len({r.json()["payment_id"] for r in answers}) == 10
    assert stored(app) == sorted((f"ok-{k}", (a, b)[k % 2], (10 + k) * 100) for k in range(10))
    with app.uow() as uow:  # each loan saved once per payment
        assert {lid: uow.loans.get(lid).version for lid in (a, b)} == {
            lid: v + 5 for lid, v in before.items()}
    assert receipts_queued(app) == 10
    assert verify_book(app).ok


async def _blocked_by(app: Dunwell, holder: sa.Connection, within_s: float = 60.0) -> None:
    """Return once a session waits for a lock ``holder`` holds."""
    pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    deadline = asyncio.get_running_loop().time() + within_s
    with app.engine.connect() as watcher:
        while not watcher.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity "
                f"WHERE {int(pid)} = ANY(pg_blocking_pids(pid))").scalar_one():
            watcher.rollback()
            assert asyncio.get_running_loop().time() < deadline, "the payment never waited"
            await asyncio.sleep(0.02)


def test_a_payment_waiting_for_its_loan_does_not_hold_up_the_others(app: Dunwell) -> None:
    """The group of a payment whose loan another transaction holds waits; after
    ``SLOW_GROUP_S`` the payments behind it are posted in another group."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one command at a time: there is no other group")
    a, b = loans(app)
    manager = token_headers(app, "manager")
    api = create_app(dunwell=app)

    async def run() -> tuple[int, int, bool]:
        async with api.router.lifespan_context(api), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api), base_url="http://test") as http:
            with app.engine.connect() as holder:  # holds loan a as a writer would
                holder.exec_driver_sql(f"SELECT 1 FROM loans WHERE loan_id = {a} FOR UPDATE")
                held = asyncio.ensure_future(http.post(
                    f"/v1/loans/{a}/payments", json={"amount": "10.00", "currency": "CNY"},
                    headers={**manager, "Idempotency-Key": "slow-a"}))
                # b is sent once a's group waits for the lock, however busy the machine
                await _blocked_by(app, holder)
                free = await asyncio.wait_for(http.post(
                    f"/v1/loans/{b}/payments", json={"amount": "10.00", "currency": "CNY"},
                    headers={**manager, "Idempotency-Key": "slow-b"}), timeout=10)
                still_waiting = not held.done()
                holder.rollback()
            return (await held).status_code, free.status_code, still_waiting

    assert asyncio.run(run()) == (201, 201, True)
    assert stored(app) == [("slow-a", a, 10_00), ("slow-b", b, 10_00)]


def test_a_group_with_a_prepayment_and_a_payoff_stores_what_the_domain_computed(
        app: Dunwell, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = loans(app)
    with app.uow() as uow:
        owed = quote_payoff(uow, loan_id=b)
    monkeypatch.setattr(pay, "run_command", _not_one_by_one)
    group = [PaymentRequest(a, "100.00", "CNY", "x-1"),
             PaymentRequest(a, "3000.00", "CNY", "x-2", PaymentKind.PREPAYMENT,
                            PrepaymentMode.SHORTEN_TERM),
             PaymentRequest(b, format_minor(owed, "CNY"), "CNY", "x-3", PaymentKind.PAYOFF),
             PaymentRequest(a, "50.00", "CNY", "x-4")]
    out = post_payments(app, group)
    receipts = [o for o in out if isinstance(o, Receipt)]
    assert [r.status for r in receipts] == [ReceiptStatus.POSTED] * 4
    assert len(receipts[1].loan.installments) < len(receipts[0].loan.installments)
    with app.uow() as uow:
        assert uow.loans.get(a) == receipts[3].loan
        assert uow.loans.get(b) == receipts[2].loan
        assert not uow.loans.get(b).status.is_open
    assert verify_book(app).ok
