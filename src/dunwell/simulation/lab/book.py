"""A fresh book for one lab run, seeded through the real services: the products, the
staff (collectors and certified field agents), and the synthetic borrowers applying
through origination (the decision engine and the over-indebtedness review), the
approved ones drawing down, with their addresses.

The book opens :data:`WARMUP_DAYS` before the run's start and the borrowers apply in
daily cohorts over those days (:func:`cohort_day`; the two story borrowers on the first
day), so when the measured run starts the book already has instalments falling due
every day and loans in arrears, as a lender's book does.

Where the book lives: by default a SQLite file per run in a temporary directory; with
a SQLite URL, one file per run next to it (``lab.sqlite`` -> ``lab-humane-7.sqlite``);
with a PostgreSQL URL, one schema per run (``lab_humane_7_<8 hex>``) in that database,
left in place afterwards for inspection.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dunwell.app.lab_read import new_schema_url
from dunwell.app.lending.book import open_book, register_product
from dunwell.app.origination.service import (
    ApplicationRequest,
    ApplicationResult,
    DrawdownResult,
    DrawRequest,
    Origination,
    draw_down,
    draw_down_many,
    origination_for,
    submit_application,
    submit_applications,
)
from dunwell.app.uow import UnitOfWork
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.compliance.model import Jurisdiction
from dunwell.core.errors import DomainError
from dunwell.core.money import format_minor
from dunwell.field.model import Address, GeoPoint
from dunwell.lending.products import builtin_product_texts
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Purpose,
    Transaction,
    TransactionKind,
)
from dunwell.settings import Settings
from dunwell.simulation.field import sample_agents
from dunwell.simulation.lab.population import (
    STORY_COURT,
    STORY_PLAN,
    Population,
    income_history,
    monthly_sales,
    months_before,
    uniforms,
)
from dunwell.simulation.training import seed_staff

#: Applications decided in one transaction.
APPLICATIONS_PER_BATCH = 500
#: Borrowers per desk collector and per field agent (at least three and ten).
BORROWERS_PER_COLLECTOR = 250
BORROWERS_PER_AGENT = 150
CALLS_PER_COLLECTOR = 60
#: Share of the line a borrower draws, in percent.
DRAW_PCT = 60
DRAW_MIN_MINOR = 50_000
RECORDS_PER_MONTH = 4
HISTORY_MONTHS = 12
#: Days before the run's start the book opens; the borrowers draw down over them.
WARMUP_DAYS = 45


@dataclass
class Book:
    """A seeded book and who is in it."""

    app: Dunwell
    url: str
    borrower_index: dict[int, int] = field(default_factory=dict)  # borrower id -> index
    loan_index: dict[int, int] = field(default_factory=dict)  # loan id -> index
    applied: int = 0
    approved: int = 0
    declined_by_reason: dict[str, int] = field(default_factory=dict)

    def index_of_borrower(self, borrower_id: int) -> int | None:
        return self.borrower_index.get(borrower_id)

    def borrower_of_index(self, i: int) -> int | None:
        for bid, k in self.borrower_index.items():
            if k == i:
                return bid
        return None


def run_url(base: str | None, workdir: Path, strategy: str, seed: int) -> str:
    """The database URL of one run (see the module's docstring)."""
    if base is None:
        workdir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{workdir / f'book-{strategy}-{seed}.sqlite'}"
    if base.startswith("sqlite"):
        path = Path(base.split("///", 1)[-1] or "lab.sqlite")
        suffix = path.suffix or ".sqlite"
        return f"sqlite:///{path.with_name(f'{path.stem}-{strategy}-{seed}{suffix}')}"
    return new_schema_url(base, f"lab_{strategy.replace('-', '_')}_{seed}")


def cohorts(pop: Population, days: int) -> list[list[int]]:
    """The borrowers who apply on each of the first ``days`` days of the book (the
    story borrowers on day 0); fixed by the population's seed."""
    out: list[list[int]] = [[] for _ in range(max(1, days))]
    draws = uniforms(pop.seed, np.arange(pop.size, dtype=np.int64), "cohort")
    for i in range(pop.size):
        k = 0 if i in (STORY_PLAN, STORY_COURT) else int(draws[i] * len(out))
        out[min(k, len(out) - 1)].append(i)
    return out


def open_lab_book(pop: Population, *, url: str, opened: dt.date) -> Book:
    """Open an empty book on ``opened`` with the products and the staff for ``pop``."""
    app = bootstrap(Settings(db_url=url, log_level="WARNING", dev_mode=True))
    book = Book(app, url)
    with app.uow() as uow:
        open_book(uow, business_date=opened, partitions=app.settings.partitions, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    _staff(book, pop.size, opened)
    return book


def originate(
    book: Book, pop: Population, indices: list[int], *, today: dt.date, batch: bool = True
) -> None:
    """The borrowers ``indices`` apply on the book's business date ``today``.

    ``batch`` decides the applications and draws the loans set-based
    (:func:`submit_applications`, :func:`draw_down_many`); without it each borrower goes
    through the one-by-one commands. Both write the same rows with the same ids."""
    origination = origination_for(book.app.settings)
    for lo in range(0, len(indices), APPLICATIONS_PER_BATCH):
        chunk = indices[lo : lo + APPLICATIONS_PER_BATCH]
        with book.app.uow() as uow:
            if batch:
                _apply_many(book, uow, pop, chunk, today, origination)
            else:
                for i in chunk:
                    _apply(book, uow, pop, i, today, origination)
            uow.commit()


def seed(pop: Population, *, url: str, start: dt.date) -> Book:
    """Open a book at ``start`` and bring the whole population in on that day."""
    book = open_lab_book(pop, url=url, opened=start)
    originate(book, pop, list(range(pop.size)), today=start)
    return book


def _application(pop: Population, i: int, start: dt.date) -> Application:
    ref, name, language = pop.reference(i), pop.names[i], pop.language[i]
    if pop.merchant[i]:
        records = []
        for month in months_before(start, HISTORY_MONTHS):
            sales = monthly_sales(pop, i, month.month - 1)
            for r in range(RECORDS_PER_MONTH):
                records.append(
                    Transaction(
                        month + dt.timedelta(days=7 * r),
                        max(100, sales // RECORDS_PER_MONTH),
                        TransactionKind.SALE,
                    )
                )
        monthly = int(pop.sales_minor[i])
        return Application(
            Applicant(ApplicantKind.MERCHANT, ref, name, language),
            "CNY",
            monthly // 100 * 100,
            12,
            Purpose.WORKING_CAPITAL,
            0,
            monthly - int(pop.income_minor[i]),
            0,
            tuple(records),
        )
    income = int(pop.income_minor[i])
    return Application(
        Applicant(ApplicantKind.CONSUMER, ref, name, language),
        "CNY",
        income * 2 // 100 * 100,
        6,
        Purpose.PERSONAL,
        income,
        income * 45 // 100,
        0,
        income_history_minor=income_history(pop, i),
    )


def _draw_amounts(limit_minor: int) -> tuple[int, ...]:
    """The amounts a borrower asks for, in order: :data:`DRAW_PCT` of the line, then
    half of the last refused one, while at least :data:`DRAW_MIN_MINOR`."""
    amounts = []
    amount = limit_minor * DRAW_PCT // 100 // 10_000 * 10_000
    while amount >= DRAW_MIN_MINOR:
        amounts.append(amount)
        amount = amount // 2 // 10_000 * 10_000
    return tuple(amounts)


def _declined(book: Book, reason: str) -> None:
    book.declined_by_reason[reason] = book.declined_by_reason.get(reason, 0) + 1


def _apply(
    book: Book, uow: UnitOfWork, pop: Population, i: int, start: dt.date, origination: Origination
) -> None:
    application = _application(pop, i, start)
    book.applied += 1
    decided = submit_application(
        uow,
        application=application,
        idempotency_key=f"lab-apply-{pop.seed}-{i}",
        model=origination.model,
        policy=origination.policy,
        bureau=book.app.providers.bureau,
    )
    line = decided.line
    if line is None:
        _declined(book, decided.application.decision.outcome.value)
        return
    drawn = None
    for amount in _draw_amounts(line.limit_minor):
        try:  # a refused drawdown writes nothing; the borrower asks for half
            drawn = draw_down(
                uow,
                line_id=line.line_id,
                amount=format_minor(amount, "CNY"),
                term_months=application.term_months,
                idempotency_key=f"lab-draw-{pop.seed}-{i}",
                policy=origination.policy,
            )
            break
        except DomainError:
            continue
    if drawn is None:
        _declined(book, "not_affordable")
        return
    _approved(book, uow, pop, i, start, line.borrower_id, drawn.loan.loan_id)


def _apply_many(
    book: Book,
    uow: UnitOfWork,
    pop: Population,
    chunk: list[int],
    start: dt.date,
    origination: Origination,
) -> None:
    """:func:`_apply` of each of ``chunk``, set-based: the applications decided in one
    :func:`submit_applications`, the approved borrowers' drawdowns in one
    :func:`draw_down_many` (each trying the same amounts in the same order)."""
    apps = [_application(pop, i, start) for i in chunk]
    book.applied += len(chunk)
    decided = submit_applications(
        uow,
        [
            ApplicationRequest(a, f"lab-apply-{pop.seed}-{i}")
            for a, i in zip(apps, chunk, strict=True)
        ],
        model=origination.model,
        policy=origination.policy,
        bureau=book.app.providers.bureau,
    )
    approved: list[tuple[int, ApplicationResult]] = []
    for i, decision in zip(chunk, decided, strict=True):
        if decision.line is None:
            _declined(book, decision.application.decision.outcome.value)
        else:
            approved.append((i, decision))
    requests = [
        DrawRequest(
            r.line.line_id,
            _draw_amounts(r.line.limit_minor),
            r.application.term_months,
            f"lab-draw-{pop.seed}-{i}",
        )
        for i, r in approved
        if r.line is not None
    ]
    drawn = draw_down_many(uow, requests, policy=origination.policy)
    for (i, r), result in zip(approved, drawn, strict=True):
        if not isinstance(result, DrawdownResult) or r.line is None:
            _declined(book, "not_affordable")
            continue
        _approved(book, uow, pop, i, start, r.line.borrower_id, result.loan.loan_id)


def _approved(
    book: Book,
    uow: UnitOfWork,
    pop: Population,
    i: int,
    start: dt.date,
    borrower_id: int,
    loan_id: int,
) -> None:
    """Borrower ``i`` drew loan ``loan_id``: the borrower's record and address."""
    book.approved += 1
    book.borrower_index[borrower_id] = i
    book.loan_index[loan_id] = i
    uow.borrowers.put(
        borrower_id=borrower_id,
        name=pop.names[i],
        jurisdiction=Jurisdiction.CN_NIFA,
        timezone="Asia/Shanghai",
        language=pop.language[i],
    )
    at = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    text = f"{pop.city[i]}市{(i % 300) + 1}号{(i % 30) + 1}栋{101 + i % 2700}室"
    uow.field.put_address(
        Address(borrower_id, text, GeoPoint(float(pop.latitude[i]), float(pop.longitude[i]))),
        at=at,
    )


def _staff(book: Book, size: int, start: dt.date) -> None:
    """Collectors and field agents in proportion to the population, certified."""
    n = max(1, size)
    collectors = [
        (f"c-{k + 1:02d}", f"催收员{k + 1:02d}")
        for k in range(max(3, math.ceil(n / BORROWERS_PER_COLLECTOR)))
    ]
    agents = sample_agents(max(10, math.ceil(n / BORROWERS_PER_AGENT)))
    with book.app.uow() as uow:
        for cid, name in collectors:
            uow.actions.put_collector(cid, name, CALLS_PER_COLLECTOR, "09:00", "18:00")
        for agent in agents:
            if not uow.field.has_agent(agent.agent_id):
                uow.field.put_agent(agent)
        seed_staff(
            uow, collectors=collectors, agents=[(a.agent_id, a.name) for a in agents], start=start
        )
        uow.commit()
