"""Payments racing a close of business.

A book of 120 loans is disbursed on 2025-01-15 and closed through 2025-02-10. Then,
while the main thread closes every day through 2025-03-20 (partition by partition,
each under its lock), four threads post 240 payments on random loans — 50.00,
1000.00 or an early full repayment of 20,000.00 (refused when short) — each command
in its own unit of work through ``run_command``, sent again with the same key when
it answers "retry later", and one payment in ten sent twice on purpose.

Afterwards the book verifies, the invariants of a sound book hold, every key that
was accepted is in the payments table exactly once, and every refusal was one the
rules name (a closed loan, a payoff short of its quote).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from integrity_books import app_at, backends, book_problems, fresh_url

from dunwell.app.cob import close_until
from dunwell.app.commands import run_command
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment
from dunwell.app.lending.verify import verify_book
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError, RetryLater
from dunwell.lending.payments import PaymentKind
from dunwell.lending.products import builtin_product_texts
from dunwell.store import tables as t

START = dt.date(2025, 1, 15)
LOANS = 120
THREADS = 4
PAYMENTS_PER_THREAD = 60
#: How long one payment is sent again after "retry later" before the test gives up: a
#: hang guard only (a busy machine holds the COB's locks longer; that is not a failure).
RETRY_SECONDS_MAX = 600
REFUSALS = {"loan_must_be_open", "payoff_amount_must_cover_quote"}


def build_book(app: Dunwell) -> None:
    rng = random.Random(3)
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=4, currency="CNY")
        products = [register_product(uow, text) for text in builtin_product_texts()]
        disburse(uow, [LoanRequest(k + 1, products[k % len(products)].code,
                                   rng.randrange(1_000, 20_001) * 100,
                                   products[k % len(products)].term_months_min)
                       for k in range(LOANS)])
        uow.commit()
    close_until(app, dt.date(2025, 2, 10))


def post(app: Dunwell, loan_id: int, amount: str, kind: PaymentKind, key: str) -> str:
    """Send one payment until it is answered: "posted", "replayed" or a refusal code."""
    deadline = time.monotonic() + RETRY_SECONDS_MAX
    while time.monotonic() < deadline:
        try:
            receipt = run_command(app, lambda uow: receive_payment(
                uow, loan_id=loan_id, amount=amount, currency="CNY", idempotency_key=key,
                kind=kind, providers=app.providers), what=f"payment {key}")
        except RetryLater:
            time.sleep(0.02)
            continue
        except DomainError as err:
            return err.code
        return receipt.status.value
    raise AssertionError(f"payment {key} was still refused as busy after "
                         f"{RETRY_SECONDS_MAX} s")


def payer(app: Dunwell, n: int, answers: dict[str, list[str]], failures: list[BaseException],
          go: threading.Event) -> None:
    rng = random.Random(100 + n)
    go.wait(timeout=RETRY_SECONDS_MAX)
    try:
        for k in range(PAYMENTS_PER_THREAD):
            key = f"t{n}-{k}"
            loan_id = rng.randint(1, LOANS)
            amount, kind = rng.choice([("50.00", PaymentKind.REGULAR),
                                       ("1000.00", PaymentKind.REGULAR),
                                       ("20000.00", PaymentKind.PAYOFF)])
            for _ in range(2 if rng.random() < 0.1 else 1):
                answers.setdefault(key, []).append(post(app, loan_id, amount, kind, key))
    except BaseException as exc:  # reported by the main thread
        failures.append(exc)


@pytest.mark.parametrize("backend", backends())
def test_payments_posted_while_cob_runs_land_once_and_keep_the_book_sound(
        backend: str, tmp_path: Path) -> None:
    with fresh_url(backend, tmp_path) as url:
        app = app_at(url, partitions=4)
        try:
            build_book(app)
            answers: dict[str, list[str]] = {}
            failures: list[BaseException] = []
            go = threading.Event()
            threads = [threading.Thread(target=payer, args=(app, n, answers, failures, go),
                                        daemon=True) for n in range(THREADS)]
            for th in threads:
                th.start()
            go.set()
            close_until(app, dt.date(2025, 3, 20))
            for th in threads:
                th.join(timeout=RETRY_SECONDS_MAX)
            assert not any(th.is_alive() for th in threads), "a payer never finished"
            assert not failures, failures

            report = verify_book(app)
            assert report.ok, [c for c in report.checks if not c.ok]
            assert book_problems(app) == []
            with app.engine.connect() as conn:
                keys = Counter(r[0] for r in conn.execute(sa.select(t.payments.c.idempotency_key)))
            posted = {k for k, said in answers.items() if said[0] == "posted"}
            assert set(keys) == posted
            assert set(keys.values()) <= {1}
            for key, said in answers.items():
                assert said[0] in {"posted"} | REFUSALS, (key, said)
                if said[0] == "posted":
                    assert said[1:] in ([], ["replayed"]), (key, said)
            assert len(posted) > THREADS * PAYMENTS_PER_THREAD // 3
        finally:
            app.engine.dispose()
