"""A fresh book for one lab run, seeded through the real services: the products, every
synthetic borrower applying through origination (the decision engine and the
over-indebtedness review), the approved ones drawing down, their addresses, and the
staff (collectors and certified field agents).

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

from dunwell.app.lab_read import new_schema_url
from dunwell.app.lending.book import open_book, register_product
from dunwell.app.origination.service import (
    Origination,
    draw_down,
    origination_for,
    submit_application,
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
    Population,
    income_history,
    monthly_sales,
    months_before,
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
        return f"sqlite:///{workdir / f'book-{strategy}-{seed}.sqlite'}"
    if base.startswith("sqlite"):
        path = Path(base.split("///", 1)[-1] or "lab.sqlite")
        suffix = path.suffix or ".sqlite"
        return f"sqlite:///{path.with_name(f'{path.stem}-{strategy}-{seed}{suffix}')}"
    return new_schema_url(base, f"lab_{strategy.replace('-', '_')}_{seed}")


def seed(pop: Population, *, url: str, start: dt.date) -> Book:
    """Open a book at ``start`` and bring the population in through origination."""
    app = bootstrap(Settings(db_url=url, log_level="WARNING", dev_mode=True))
    book = Book(app, url)
    with app.uow() as uow:
        open_book(uow, business_date=start, partitions=app.settings.partitions, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    origination = origination_for(app.settings)
    for lo in range(0, pop.size, APPLICATIONS_PER_BATCH):
        with app.uow() as uow:
            for i in range(lo, min(pop.size, lo + APPLICATIONS_PER_BATCH)):
                _apply(book, uow, pop, i, start, origination)
            uow.commit()
    _staff(book, pop, start)
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
        reason = decided.application.decision.outcome.value
        book.declined_by_reason[reason] = book.declined_by_reason.get(reason, 0) + 1
        return
    term = application.term_months
    amount = line.limit_minor * DRAW_PCT // 100 // 10_000 * 10_000
    drawn = None
    while drawn is None and amount >= DRAW_MIN_MINOR:
        try:  # a refused drawdown writes nothing; the borrower asks for half
            drawn = draw_down(
                uow,
                line_id=line.line_id,
                amount=format_minor(amount, "CNY"),
                term_months=term,
                idempotency_key=f"lab-draw-{pop.seed}-{i}",
                policy=origination.policy,
            )
        except DomainError:
            amount = amount // 2 // 10_000 * 10_000
    if drawn is None:
        book.declined_by_reason["not_affordable"] = (
            book.declined_by_reason.get("not_affordable", 0) + 1
        )
        return
    bid = line.borrower_id
    book.approved += 1
    book.borrower_index[bid] = i
    book.loan_index[drawn.loan.loan_id] = i
    uow.borrowers.put(
        borrower_id=bid,
        name=pop.names[i],
        jurisdiction=Jurisdiction.CN_NIFA,
        timezone="Asia/Shanghai",
        language=pop.language[i],
    )
    at = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    text = f"{pop.city[i]}市{(i % 300) + 1}号{(i % 30) + 1}栋{101 + i % 2700}室"
    uow.field.put_address(
        Address(bid, text, GeoPoint(float(pop.latitude[i]), float(pop.longitude[i]))), at=at
    )


def _staff(book: Book, pop: Population, start: dt.date) -> None:
    """Collectors and field agents in proportion to the book, certified."""
    n = max(1, len(book.borrower_index))
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
