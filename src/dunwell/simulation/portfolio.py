"""A sample book: the built-in products and a few hundred loans with seeded,
reproducible repayment behaviour (some pay on time, some late, some not at all)."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from dunwell.app.collections.collect import Experiment
from dunwell.app.collections.contacts import record_contact, record_promise
from dunwell.app.context import Dunwell
from dunwell.app.day.loop import DayOptions, ScoringModel, open_date, run_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment
from dunwell.app.uow import UnitOfWork
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.core.dates import to_day
from dunwell.core.errors import DomainError
from dunwell.core.money import format_minor
from dunwell.field.routing import Router
from dunwell.lending.products import builtin_product_texts
from dunwell.simulation.field import sample_agents, seed_field
from dunwell.simulation.training import seed_staff

#: Sample borrowers' circumstances: (flag, share in per mille).
SAMPLE_FLAGS = ((Flag.VULNERABLE, 20), (Flag.HARDSHIP_PLAN, 20), (Flag.CEASE_CONTACT, 10),
                (Flag.OPT_OUT_SMS, 30))
SAMPLE_COLLECTORS = (("c-01", "王芳", 25), ("c-02", "李强", 25), ("c-03", "Chen Jing", 20))
#: What a sample borrower does when called: (outcome, share in per mille).
CALL_OUTCOMES = (("no_answer", 450), ("conversation", 300), ("promise_to_pay", 150),
                 ("voicemail_left", 100))


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
        people = uow.borrowers
        for req in requests:
            draw = rng.randrange(1000)
            flags = []
            for flag, per_mille in SAMPLE_FLAGS:
                if draw < per_mille:
                    flags.append(flag)
                    break
                draw -= per_mille
            people.put(borrower_id=req.borrower_id, name=f"借款人{req.borrower_id:05d}",
                       jurisdiction=Jurisdiction.CN_NIFA, timezone="Asia/Shanghai",
                       language="zh-CN", flags=flags)
        desk = uow.actions
        for cid, name, calls in SAMPLE_COLLECTORS:
            desk.put_collector(cid, name, calls, "09:00", "18:00")
        seed_field(uow, borrower_ids=[r.borrower_id for r in requests], start=start, seed=seed)
        seed_staff(uow, collectors=[(cid, name) for cid, name, _ in SAMPLE_COLLECTORS],
                   agents=[(a.agent_id, a.name) for a in sample_agents()], start=start)
        uow.commit()
    return [ln.loan_id for ln in booked]


def run_days(app: Dunwell, *, days: int, seed: int,
             on_day: Callable[[dt.date], None] | None = None,
             experiment: Experiment | None = None,
             model: ScoringModel | None = None,
             router: Router | None = None,
             dispatch: bool = False,
             during_day: Callable[[dt.date], None] | None = None) -> None:
    """Run ``days`` business days through the day loop (:mod:`dunwell.app.day.loop`), with
    the sample borrowers in it: after the morning's collection run they answer the
    day's contacts and pay by their behaviour; after the field plan ``during_day``
    runs (e.g. the agents' visits); after the close and scoring, ``on_day``.

    ``dispatch`` sends the outbox, ``router`` plans visits and ``model`` scores the
    book; each left out is recorded as a skipped step."""
    rng = random.Random(seed + 1)
    behaviours: dict[int, Behaviour] = {}

    def morning(today: dt.date) -> None:
        answer_contacts(app, today, rng)
        pay_today(app, today, rng, behaviours)

    options = DayOptions(experiment=experiment, router=router, model=model,
                         model_missing_reason="the run scores with no model",
                         dispatch=dispatch, after_collect=morning,
                         after_field_plan=during_day, after_day=on_day)
    start = open_date(app)
    run_until(app, start + dt.timedelta(days=days - 1), options)


def answer_contacts(app: Dunwell, today: dt.date, rng: random.Random) -> None:
    """The sample borrowers' side of today's allowed contacts: messages are delivered;
    calls are answered or not, and some answers are promises to pay."""
    zone = ZoneInfo("Asia/Shanghai")
    with app.uow() as uow:
        planned = [a for a in uow.actions.on_date(today)
                   if a["decision"] == "allow" and a["channel"] in ("sms", "in_app", "call",
                                                                    "letter", "email")]
        for a in planned:
            at = dt.datetime.fromisoformat(a["planned_at"]).replace(tzinfo=zone)
            outcome = "delivered"
            if a["channel"] == "call":
                draw = rng.randrange(1000)
                for name, per_mille in CALL_OUTCOMES:
                    outcome = name
                    if draw < per_mille:
                        break
                    draw -= per_mille
            record_contact(uow, borrower_id=int(a["borrower_id"]), at=at, channel=a["channel"],
                           outcome=outcome, action_id=int(a["action_id"]), now=at)
            if outcome == "promise_to_pay" and not a["case_id"].startswith("pre-"):
                with contextlib.suppress(DomainError):  # a promise already pending stands
                    record_promise(uow, case_id=a["case_id"], amount_minor=overdue_of(uow, a),
                                   due_date=today + dt.timedelta(days=3), today=today, now=at)
        uow.commit()


def overdue_of(uow: UnitOfWork, action: dict[str, Any]) -> int:
    borrower = int(action["borrower_id"])
    facts, _ = uow.loan_facts.facts(action["business_date"], [borrower], only=True)
    return max(1, sum(loan.overdue_minor for loan in facts.get(borrower, [])))


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
                            idempotency_key=f"seed:{loan_id}:{n}:{today}", settings=app.settings,
                            providers=app.providers)
            uow.commit()
