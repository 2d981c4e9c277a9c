"""The facts the object rules read, loaded through the unit of work: whose a loan,
payment, credit line, case, offer, referral or visit is, whom the borrower's cases
are assigned to and which agents visit them (:mod:`dunwell.identity.objects`).

Each ``*_holding`` function answers a :class:`~dunwell.identity.objects.Holding` with
``borrower_id`` None when the object does not exist, so a borrower asking for
someone else's object and one asking for a missing object are refused alike; the
``require_*`` functions load the facts and apply the rule in one step. Facts a
principal's reach does not need (the case owners for a manager, who reaches every
case) are not loaded. :func:`record_personal_read` keeps who was shown personal data
in full in the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from dunwell.app.audit import record
from dunwell.app.uow import UnitOfWork
from dunwell.channels.model import MessageChannel
from dunwell.core.errors import NotFound
from dunwell.identity.authority import person
from dunwell.identity.masking import Contact
from dunwell.identity.model import Principal, Role
from dunwell.identity.objects import KIND_OF, Holding, Reach, Thing, reach, require_reach

T = TypeVar("T")


def _or_none(load: Callable[[], T]) -> T | None:
    try:
        return load()
    except NotFound:
        return None


def case_owners(uow: UnitOfWork, borrower_id: int) -> frozenset[str]:
    """The staff ids the borrower's cases are assigned to."""
    return frozenset(str(row["owner"]) for row in uow.cases.for_borrower(borrower_id)
                     if row.get("owner"))


def visit_agents(uow: UnitOfWork, borrower_id: int, day: dt.date | None) -> frozenset[str]:
    """The agents with a visit to the borrower on ``day`` (the book's business date
    when None; nobody before the book opens)."""
    if day is None:
        book = uow.book.get()
        if book is None:
            return frozenset()
        day = book.business_date
    return frozenset(v.agent_id for v in uow.field.visits_on(day)
                     if v.borrower_id == borrower_id and v.agent_id)


def holding_of(uow: UnitOfWork, principal: Principal, thing: Thing, ref: object,
               borrower_id: int | None, *, day: dt.date | None = None) -> Holding:
    """The facts about an object of ``borrower_id`` that the principal's reach needs."""
    if borrower_id is None or reach(principal.role, KIND_OF[thing]) is not Reach.ASSIGNED:
        return Holding(thing, ref, borrower_id)
    if principal.role is Role.FIELD_AGENT:
        return Holding(thing, ref, borrower_id,
                       visit_agents=visit_agents(uow, borrower_id, day))
    return Holding(thing, ref, borrower_id, case_owners=case_owners(uow, borrower_id))


def loan_holding(uow: UnitOfWork, principal: Principal, loan_id: int) -> Holding:
    loan = _or_none(lambda: uow.loans.get(loan_id))
    return holding_of(uow, principal, Thing.LOAN, loan_id,
                      None if loan is None else loan.borrower_id)


def payment_holding(uow: UnitOfWork, principal: Principal, payment_id: int) -> Holding:
    payment = _or_none(lambda: uow.payments.get(payment_id))
    loan = None if payment is None else _or_none(lambda: uow.loans.get(payment.loan_id))
    return holding_of(uow, principal, Thing.PAYMENT, payment_id,
                      None if loan is None else loan.borrower_id)


def line_holding(uow: UnitOfWork, principal: Principal, line_id: int) -> Holding:
    line = _or_none(lambda: uow.origination.line(line_id))
    return holding_of(uow, principal, Thing.CREDIT_LINE, line_id,
                      None if line is None else line.borrower_id)


def drawdown_holding(uow: UnitOfWork, principal: Principal, drawdown_id: int) -> Holding:
    drawdown = _or_none(lambda: uow.origination.drawdown(drawdown_id))
    line = None if drawdown is None else _or_none(
        lambda: uow.origination.line(drawdown.line_id))
    return holding_of(uow, principal, Thing.DRAWDOWN, drawdown_id,
                      None if line is None else line.borrower_id)


def case_holding(uow: UnitOfWork, principal: Principal, case_id: str) -> Holding:
    case = _or_none(lambda: uow.cases.get(case_id))
    return holding_of(uow, principal, Thing.CASE, case_id,
                      None if case is None else int(case.borrower_id))


def offer_holding(uow: UnitOfWork, principal: Principal, offer_id: int) -> Holding:
    offer = _or_none(lambda: uow.negotiation.offer(offer_id))
    case = None if offer is None else _or_none(lambda: uow.cases.get(offer.case_id))
    return holding_of(uow, principal, Thing.OFFER, offer_id,
                      None if case is None else int(case.borrower_id))


def referral_holding(uow: UnitOfWork, principal: Principal, referral_id: int) -> Holding:
    ref = _or_none(lambda: uow.legal.get(referral_id))
    return holding_of(uow, principal, Thing.REFERRAL, referral_id,
                      None if ref is None else ref.borrower_id)


def visit_holding(uow: UnitOfWork, visit_id: int) -> Holding:
    """A visit's facts: its borrower and its own agent."""
    visit = _or_none(lambda: uow.field.visit(visit_id))
    if visit is None:
        return Holding(Thing.VISIT, visit_id, None)
    return Holding(Thing.VISIT, visit_id, visit.borrower_id,
                   visit_agents=frozenset({visit.agent_id} if visit.agent_id else ()))


def contact_holding(uow: UnitOfWork, principal: Principal, borrower_id: int, *,
                    day: dt.date | None = None) -> Holding:
    """The facts behind a borrower's contact details (whether they exist is asked of
    the borrower's profile)."""
    exists = _or_none(lambda: uow.borrowers.get(borrower_id)) is not None
    return holding_of(uow, principal, Thing.BORROWER, borrower_id,
                      borrower_id if exists else None, day=day)


def require_loan(uow: UnitOfWork, principal: Principal, loan_id: int) -> None:
    require_reach(principal, loan_holding(uow, principal, loan_id))


def require_payment(uow: UnitOfWork, principal: Principal, payment_id: int) -> None:
    require_reach(principal, payment_holding(uow, principal, payment_id))


def require_line(uow: UnitOfWork, principal: Principal, line_id: int) -> None:
    require_reach(principal, line_holding(uow, principal, line_id))


def require_drawdown(uow: UnitOfWork, principal: Principal, drawdown_id: int) -> None:
    require_reach(principal, drawdown_holding(uow, principal, drawdown_id))


def require_case(uow: UnitOfWork, principal: Principal, case_id: str) -> None:
    require_reach(principal, case_holding(uow, principal, case_id))


def require_offer(uow: UnitOfWork, principal: Principal, offer_id: int) -> None:
    require_reach(principal, offer_holding(uow, principal, offer_id))


def require_referral(uow: UnitOfWork, principal: Principal, referral_id: int) -> None:
    require_reach(principal, referral_holding(uow, principal, referral_id))


def require_visit(uow: UnitOfWork, principal: Principal, visit_id: int) -> None:
    require_reach(principal, visit_holding(uow, visit_id))


def contact_of(uow: UnitOfWork, borrower_id: int) -> Contact:
    """The borrower's personal data as the book holds it: name, the phone and e-mail
    messages go to, the postal address and its coordinates."""
    name = uow.borrowers.get(borrower_id).name
    facts = uow.channel_facts
    address = uow.field.addresses([borrower_id]).get(borrower_id)
    where = None if address is None else address.location
    return Contact(borrower_id, name, phone=facts.address(borrower_id, MessageChannel.SMS),
                   email=facts.address(borrower_id, MessageChannel.EMAIL),
                   address=None if address is None else address.text,
                   latitude=None if where is None else where.latitude,
                   longitude=None if where is None else where.longitude)


def record_personal_read(uow: UnitOfWork, *, principal: Principal, what: str, subject: str,
                         now: dt.datetime, whose: Sequence[str],
                         detail: Mapping[str, object] | None = None) -> None:
    """Keep, in the hash-chained audit log and in the caller's transaction, that
    ``principal`` was shown personal data in full (``what``: a field plan with
    addresses, a borrower's contact details): who, in what role, when, and whose data
    (``whose``: borrowers or cases). Nothing is kept when nothing personal was shown."""
    if not whose:
        return
    record(uow, at=now, entries=[("personal_data_read", subject, {
        "what": what, "by": person(principal), "role": principal.role.value,
        "user_id": principal.user_id, "whose": sorted(set(whose)), **(detail or {})})])
