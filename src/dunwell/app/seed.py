"""A sample book: the built-in products and a few hundred loans with seeded,
reproducible repayment behaviour (some pay on time, some late, some not at all)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from dunwell.app.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.bootstrap import Dunwell
from dunwell.app.cob_runner import close_day
from dunwell.app.payments import receive_payment
from dunwell.core.dates import to_day
from dunwell.core.money import format_minor


def builtin_product_texts() -> list[str]:
    folder = resources.files("dunwell.lending") / "products"
    return [f.read_text(encoding="utf-8") for f in sorted(folder.iterdir(),
                                                          key=lambda f: f.name)
            if f.name.endswith(".toml")]


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How a sample borrower repays: on time, a few days late, partly, or not at all."""

    late_days: int
    pays_share_pct: int
    stops_after: int  # instalments paid before stopping (large = never stops)


def pick_behaviour(rng: random.Random) -> Behaviour:
    r = rng.random()
    if r < 0.70:
        return Behaviour(0, 100, 999)
    if r < 0.82:
        return Behaviour(rng.randint(1, 20), 100, 999)
    if r < 0.90:
        return Behaviour(rng.randint(0, 10), rng.randint(30, 90), 999)
    return Behaviour(0, 100, rng.randint(0, 2))


def seed_book(app: Dunwell, *, loans: int, start: dt.date, seed: int, currency: str = "CNY",
              partitions: int | None = None) -> list[int]:
    """Open the book at ``start``, register the products and disburse ``loans`` loans."""
    rng = random.Random(seed)
    with app.uow() as uow:
        open_book(uow, business_date=start, partitions=partitions or app.settings.partitions,
                  currency=currency)
        products = [register_product(uow, text) for text in builtin_product_texts()]
        requests = []
        for k in range(loans):
            product = products[k % len(products)]
            principal = rng.randrange(1_000, 50_001) * 100
            periods = rng.randint(product.term_months_min, product.term_months_max)
            requests.append(LoanRequest(k + 1, product.code, principal, periods))
        booked = disburse(uow, requests)
        uow.commit()
    return [ln.loan_id for ln in booked]


def run_days(app: Dunwell, *, days: int, seed: int,
             on_day: Callable[[dt.date], None] | None = None) -> None:
    """Close ``days`` business days; each morning borrowers pay by their behaviour."""
    rng = random.Random(seed + 1)
    behaviours: dict[int, Behaviour] = {}
    for _ in range(days):
        with app.uow() as uow:
            today = uow.book.require().business_date
        pay_today(app, today, rng, behaviours)
        close_day(app.engine, today)
        if on_day is not None:
            on_day(today)


def pay_today(app: Dunwell, today: dt.date, rng: random.Random,
              behaviours: dict[int, Behaviour]) -> None:
    day = to_day(today)
    with app.uow() as uow:
        due = uow.loans.due_for_payment(day)
    for loan_id, n, due_day, owed in due:
        b = behaviours.setdefault(loan_id, pick_behaviour(rng))
        if n > b.stops_after or (day - due_day) % 30 != b.late_days:
            continue
        amount = owed * b.pays_share_pct // 100
        if amount <= 0:
            continue
        with app.uow() as uow:
            receive_payment(uow, loan_id=loan_id, amount=format_minor(amount, "CNY"),
                                            currency="CNY",
                            idempotency_key=f"seed:{loan_id}:{n}:{today}")
            uow.commit()
