"""The manager's dashboard: every figure for a scope (period, product, strategy,
territory), read in one consistent snapshot of the book.

A borrower's territory is the first field territory (by name) whose circle covers
their address; a borrower with no coordinates, or outside every territory, is in none
(and is left out when a territory is chosen)."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from typing import Any

from dunwell.analytics.figures import ROI_DAYS, Figures, check_scope, figures
from dunwell.analytics.model import Book, Scope
from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import InvalidInput
from dunwell.field.rules import covers

__all__ = ["ComplaintLine", "Dashboard", "Options", "dashboard", "load_book", "options"]


@dataclass(frozen=True, slots=True)
class Options:
    """What the filters offer, and the default period (the book's first disbursement
    through its business date)."""

    products: tuple[str, ...]
    strategies: tuple[str, ...]
    territories: tuple[str, ...]
    first_day: dt.date
    business_date: dt.date


@dataclass(frozen=True, slots=True)
class ComplaintLine:
    """Complaints received in the period (the whole book: complaints are not filtered
    by product, strategy or territory) and their rate per 1,000 open cases."""

    received: int
    rate_per_1000_open_cases: float | None


@dataclass(frozen=True, slots=True)
class Dashboard:
    figures: Figures
    #: None while the book records no complaints.
    complaints: ComplaintLine | None


def _territories(uow: UnitOfWork, borrower_ids: list[int]) -> dict[int, str]:
    agents = sorted(uow.field.agents(active_only=False), key=lambda a: a.territory.name)
    out: dict[int, str] = {}
    for bid, address in uow.field.addresses(borrower_ids).items():
        if address.location is None:
            continue
        for agent in agents:
            if covers(agent.territory, address.location):
                out[bid] = agent.territory.name
                break
    return out


def options(app: Dunwell) -> Options:
    with app.db.snapshot() as uow:
        info = uow.book.get()
        today = info.business_date if info is not None else dt.date(1970, 1, 1)
        loans = uow.analytics.loans(today)
        territories = sorted({a.territory.name for a in uow.field.agents(active_only=False)})
        return Options(tuple(uow.analytics.products()), tuple(uow.analytics.strategies()),
                       tuple(territories),
                       min((ln.disbursed_on for ln in loans), default=today), today)


def load_book(uow: UnitOfWork, scope: Scope) -> Book:
    """The rows the figures for ``scope`` read (everything up to its last day)."""
    info = uow.book.get()
    end = scope.date_to
    repo = uow.analytics
    loans = repo.loans(end)
    return Book(
        currency=info.currency if info is not None else "CNY",
        business_date=info.business_date if info is not None else end,
        loans=tuple(loans), events=tuple(repo.loan_events(end)),
        payments=tuple(repo.payments(end)), cases=tuple(repo.cases(end)),
        contacts=tuple(repo.contacts(scope.date_from, end)),
        promises=tuple(repo.promises(end)), visits=tuple(repo.visits(scope.date_from, end)),
        costs=tuple(repo.legal_costs(scope.date_from, end)),
        decisions=tuple(repo.decisions(scope.date_from, end)),
        territories=_territories(uow, sorted({ln.borrower_id for ln in loans})))


def _complaints(app: Dunwell, scope: Scope) -> ComplaintLine | None:
    compute: Any = None
    for where in ("dunwell.app.complaints.figures", "dunwell.app.complaints"):
        try:
            compute = getattr(importlib.import_module(where), "complaint_figures", None)
        except ImportError:  # this book's code keeps no complaints
            continue
        if compute is not None:
            break
    if compute is None:
        return None
    found = compute(app, start=scope.date_from, end=scope.date_to)
    return ComplaintLine(int(found.received), found.rate_per_1000_open_cases)


def dashboard(app: Dunwell, scope: Scope) -> Dashboard:
    """Every figure for ``scope``; a product, strategy or territory the book does not
    know is refused (``dashboard_filter_must_be_known``)."""
    check_scope(scope)
    known = options(app)
    for name, value, allowed in (("product", scope.product, known.products),
                                 ("strategy", scope.strategy, known.strategies),
                                 ("territory", scope.territory, known.territories)):
        if value is not None and value not in allowed:
            raise InvalidInput(f"there is no {name} {value!r} in the book; pick one from the list",
                               code="dashboard_filter_must_be_known", field=name)
    with app.db.snapshot() as uow:
        book = load_book(uow, scope)
    return Dashboard(figures(book, scope, roi_days=ROI_DAYS), _complaints(app, scope))
