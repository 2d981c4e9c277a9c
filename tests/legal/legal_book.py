"""A small book for the legal tests: two borrowers with one 6,000.00 CNY merchant
loan each, closed day by day until the loans are well past due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.collections.contacts import record_contact
from dunwell.app.collections.offers import offers_for_case
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.negotiation.service import decline_offers
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.lending.products import builtin_product_texts
from dunwell.store.collections_repo import ActionRepository, BorrowerRepository, CaseRepository

START = dt.date(2025, 1, 15)
FIRST_DUE = dt.date(2025, 2, 15)
NOW = dt.datetime(2025, 6, 1, 1, 0, tzinfo=dt.UTC)
#: Days past due from which the referral rules allow a referral (referral.toml).
REFERRAL_DPD = 90
#: Tables a refused command must leave exactly as they were.
WATCHED = ("legal_referrals", "legal_events", "legal_bundles", "cases", "case_timeline",
           "audit_log", "letters", "letter_events")
PEOPLE = {1: ("张伟", "zh-CN"), 2: ("Alice Brown", "en")}


def open_small_book(app: Dunwell, borrowers: tuple[int, ...] = (1, 2)) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000, 12) for b in borrowers])
        people = BorrowerRepository(uow.conn)
        for b in borrowers:
            name, lang = PEOPLE[b]
            people.put(borrower_id=b, name=name, jurisdiction=Jurisdiction.CN_NIFA,
                       timezone="Asia/Shanghai", language=lang)
        ActionRepository(uow.conn).put_collector("c-01", "Wang", 30, "09:00", "18:00")
        uow.commit()


def set_flags(app: Dunwell, borrower_id: int, *flags: str) -> None:
    name, lang = PEOPLE[borrower_id]
    with app.uow() as uow:
        BorrowerRepository(uow.conn).put(
            borrower_id=borrower_id, name=name, jurisdiction=Jurisdiction.CN_NIFA,
            timezone="Asia/Shanghai", language=lang, flags=[Flag(f) for f in flags])
        uow.commit()


def reach_out(app: Dunwell, borrower_id: int, day: dt.date, *, calls: int = 6,
              visit: str | None = "conversation") -> None:
    """Contacts after the case opened: ``calls`` unanswered calls, then a visit."""
    with app.uow() as uow:
        for k in range(calls):
            at = dt.datetime.combine(day, dt.time(10, k), tzinfo=dt.UTC)
            record_contact(uow, borrower_id=borrower_id, at=at, channel="call",
                           outcome="no_answer", now=at)
        if visit is not None:
            at = dt.datetime.combine(day, dt.time(14, 0), tzinfo=dt.UTC)
            record_contact(uow, borrower_id=borrower_id, at=at, channel="visit",
                           outcome=visit, now=at)
        uow.commit()


def offers_refused(app: Dunwell, day: dt.date) -> None:
    """Cases that reached the referral age without any repayment offer (they opened
    late, past the strategy's plan-offer step) get offers today, which the borrower
    refuses: the referral rules ask for offers that lapsed or were refused."""
    made = []
    with app.uow() as uow:
        for stored in CaseRepository(uow.conn).active().values():
            case_id = stored.view.case_id
            if uow.evidence.offer_states(case_id):
                continue
            book = offers_for_case(uow, case_id=case_id, business_date=day, now=NOW)
            if book is not None and book.offers:
                made.append(case_id)
        uow.commit()
    for case_id in made:
        decline_offers(app, case_id=case_id, now=NOW, note="the borrower refused every plan")


def snapshot(app: Dunwell) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    with app.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        for name in WATCHED:
            if name in names:
                out[name] = [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {name}")]
    return out


def run_to(app: Dunwell, day: dt.date) -> dt.date:
    """Close every day before ``day``, then run the collection for ``day``."""
    close_until(app, day - dt.timedelta(days=1))
    collect_day(app, day, now=NOW)
    if day >= FIRST_DUE + dt.timedelta(days=REFERRAL_DPD):
        offers_refused(app, day)
    return day


def small_book_at(app: Dunwell, day: dt.date) -> None:
    """The small book opened and run to ``day`` (:func:`run_to`)."""
    open_small_book(app)
    run_to(app, day)


@pytest.fixture
def overdue_book(app: Dunwell, fill_book: Callable[..., None]) -> Callable[[dt.date], dt.date]:
    """``to(day)``: close every day before ``day``, then run the collection for ``day``
    (cases open on the first run). The first call takes the book opened and run to its
    day as built once per worker for that day (``fill_book``), so it comes before the
    test writes anything else; later calls run on from there."""
    built: list[dt.date] = []

    def to(day: dt.date) -> dt.date:
        if built:
            return run_to(app, day)
        fill_book(app, small_book_at, day)
        built.append(day)
        return day

    return to
