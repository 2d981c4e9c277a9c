"""Commands from the people working cases: record a contact's outcome and a promise
to pay, each audited in the same transaction; and the compliance guard's verdict on a
contact about to be made, from the borrower's stored profile and history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from dunwell.app.audit import record
from dunwell.app.uow import UnitOfWork
from dunwell.collections.cases import apply_promise
from dunwell.collections.promises import make_promise
from dunwell.compliance.guard import decide
from dunwell.compliance.model import (
    Channel,
    ContactEvent,
    ContentTag,
    Direction,
    Outcome,
    ProposedAction,
    Recipient,
    Verdict,
)
from dunwell.core.errors import InvalidInput
from dunwell.store.collections_repo import (
    ActionRepository,
    BorrowerProfile,
    BorrowerRepository,
    CaseRepository,
)


def judge_contact(profile: BorrowerProfile, history: Sequence[ContactEvent], *,
                  at: dt.datetime, channel: Channel, content_tags: Iterable[str],
                  recipient: Recipient = Recipient.BORROWER) -> Verdict:
    """The guard's verdict on contacting the borrower of ``profile`` at ``at`` (on the
    borrower's clock) by ``channel``, doing ``content_tags``, given their ``history``."""
    action = ProposedAction(ts=at, channel=channel, recipient=recipient,
                            content_tags=frozenset(ContentTag(t) for t in content_tags))
    return decide(action, history, profile.borrower, profile.jurisdiction)


def record_contact(uow: UnitOfWork, *, borrower_id: int, at: dt.datetime, channel: str,
                   outcome: str, direction: str = "outbound", action_id: int | None = None,
                   now: dt.datetime) -> ContactEvent:
    """What happened on a contact: the guard counts it from now on."""
    BorrowerRepository(uow.conn).get(borrower_id)
    try:
        event = ContactEvent(at, Channel(channel), Direction(direction), Outcome(outcome))
    except ValueError as exc:
        raise InvalidInput(f"{exc}; see docs/compliance.md for the vocabulary",
                           code="contact_must_use_known_terms") from None
    ActionRepository(uow.conn).add_contact(borrower_id, event, action_id)
    record(uow, at=now, entries=[("contact", f"borrower:{borrower_id}", {
        "ts": at.isoformat(), "channel": channel, "direction": direction, "outcome": outcome,
        "action_id": action_id})])
    return event


def record_promise(uow: UnitOfWork, *, case_id: str, amount_minor: int, due_date: dt.date,
                   today: dt.date, now: dt.datetime) -> None:
    """The borrower promised to pay ``amount_minor`` by ``due_date``."""
    cases = CaseRepository(uow.conn)
    case = cases.get(case_id)
    ptp = make_promise(amount_minor, due_date, today)
    change = apply_promise(case, ptp, today, currency=uow.book.require().currency)
    assert change.case is not None
    cases.add_promise(case_id, ptp)
    cases.save(change.case, today)
    cases.add_timeline(change.timeline)
    record(uow, at=now, entries=[("promise", f"borrower:{case.borrower_id}", {
        "case_id": case_id, "amount_minor": amount_minor, "due_date": due_date.isoformat()})])
