"""The day loop's incremental reconciliation gives the full check's report: on a
seeded book closed day by day with payments in between, and after each kind of
damage (including damage behind the mark, which makes it fall back)."""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment
from dunwell.app.lending.verify import verify_book, verify_book_since_mark
from dunwell.bootstrap import Dunwell
from dunwell.core.money import format_minor
from dunwell.lending.products import builtin_product_texts
from dunwell.store import tables as t

START = dt.date(2025, 1, 15)


def seeded_book(app: Dunwell, loans: int = 30) -> list[int]:
    rng = random.Random(5)
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        products = [register_product(uow, text) for text in builtin_product_texts()]
        booked = disburse(uow, [
            LoanRequest(k + 1, products[k % len(products)].code,
                        rng.randrange(1_000, 20_000) * 100,
                        rng.randint(products[k % len(products)].term_months_min,
                                    products[k % len(products)].term_months_max))
            for k in range(loans)])
        uow.commit()
    return [ln.loan_id for ln in booked]


def same(app: Dunwell) -> bool:
    fast, full = verify_book_since_mark(app), verify_book(app)
    assert fast.as_json() == full.as_json()
    return full.ok


def test_clean_days_and_payments_give_the_full_report(app: Dunwell) -> None:
    loans = seeded_book(app)
    rng = random.Random(9)
    day = START
    assert same(app)
    for k in range(1, 50, 7):
        day = START + dt.timedelta(days=k)
        close_until(app, day)
        for loan_id in rng.sample(loans, 4):
            with app.uow() as uow:
                receive_payment(uow, loan_id=loan_id,
                                amount=format_minor(rng.randrange(100, 5_000) * 100, "CNY"),
                                currency="CNY", idempotency_key=f"mark:{loan_id}:{k}",
                                providers=app.providers)
                uow.commit()
        assert same(app)


def test_damage_after_the_mark_is_reported_as_the_full_check_does(app: Dunwell) -> None:
    loans = seeded_book(app)
    close_until(app, START + dt.timedelta(days=40))
    assert same(app)
    with app.engine.begin() as conn:
        entry_id = conn.execute(sa.select(t.journal_lines.c.entry_id)
                                .order_by(t.journal_lines.c.line_id.desc()).limit(1)
                                ).scalar_one()
        conn.execute(sa.insert(t.journal_lines).values(entry_id=entry_id, account=1,
                                                       loan_id=loans[0], amount_minor=3))
    assert not same(app)
    assert not same(app)  # no mark is kept from an unsound book


def test_damage_behind_the_mark_falls_back_to_the_full_check(app: Dunwell) -> None:
    seeded_book(app)
    close_until(app, START + dt.timedelta(days=40))
    assert same(app)
    close_until(app, START + dt.timedelta(days=45))
    with app.engine.begin() as conn:  # a line from before the mark removed
        first = conn.execute(sa.select(sa.func.min(t.journal_lines.c.line_id))).scalar_one()
        conn.execute(sa.delete(t.journal_lines).where(t.journal_lines.c.line_id == first))
    assert not same(app)


def test_a_sub_ledger_changed_behind_the_journal_is_named(app: Dunwell) -> None:
    loans = seeded_book(app)
    close_until(app, START + dt.timedelta(days=40))
    assert same(app)
    with app.engine.begin() as conn:
        conn.execute(sa.update(t.installments)
                     .where(t.installments.c.loan_id == loans[2], t.installments.c.n == 1)
                     .values(penalty_minor=t.installments.c.penalty_minor + 7))
    assert not same(app)
    with app.engine.begin() as conn:
        conn.execute(sa.update(t.installments)
                     .where(t.installments.c.loan_id == loans[2], t.installments.c.n == 1)
                     .values(penalty_minor=t.installments.c.penalty_minor - 7))
    assert same(app)
