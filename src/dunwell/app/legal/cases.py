"""The legal case after approval: the demand letter and the case's events with their
costs. Every function works inside the caller's unit of work (it never commits) and
audits what it does in the same transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from dunwell.app.legal.referrals import (
    audit_entry,
    money_text,
    move_case,
    person_named,
    require_approved,
)
from dunwell.app.letters.service import issue_letter, letter_verdict
from dunwell.app.training.gate import require_qualified
from dunwell.app.uow import UnitOfWork
from dunwell.channels.letters import LetterRecord
from dunwell.channels.ports import Templates
from dunwell.collections.model import CaseStatus, TimelineKind
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.core.limits import check_date, latest_record_date
from dunwell.identity.authority import Approver, Matter
from dunwell.legal.demand import KIND as DEMAND_KIND
from dunwell.legal.errors import ReferralStateRejected
from dunwell.legal.model import LegalCase, LegalEvent, LegalState, Referral, ReferralStatus
from dunwell.legal.tracking import allowed_after, apply_event, parse_state, replay
from dunwell.settings import Settings
from dunwell.store.legal_repo import StoredEvent
from dunwell.training.model import Action

#: Length limits on what people type.
NAME_MAX, REFERENCE_MAX, NOTE_MAX = 128, 128, 4000


@dataclass(frozen=True, slots=True)
class LegalCaseView:
    referral: Referral
    case: LegalCase
    events: tuple[StoredEvent, ...]
    allowed_next: tuple[str, ...]

    @property
    def total_cost_minor(self) -> int:
        return self.case.total_cost_minor


def legal_case(uow: UnitOfWork, *, referral_id: int) -> LegalCaseView:
    repo = uow.legal
    ref = repo.get(referral_id)
    stored = tuple(repo.events(referral_id))
    case = replay(tuple(s.event for s in stored))
    nxt = tuple(sorted(s.value for s in allowed_after(case.state))) if (
        ref.status is ReferralStatus.APPROVED) else ()
    return LegalCaseView(ref, case, stored, nxt)


def case_timeline(uow: UnitOfWork, *, case_id: str) -> list[tuple[dt.date, str, str]]:
    """The collection case's timeline: (date, kind, text), oldest first."""
    return uow.cases.timeline(case_id)


def record_legal_event(uow: UnitOfWork, *, referral_id: int, event: str, on: dt.date,
                       cost_minor: int, recorded_by: str, now: dt.datetime, court: str = "",
                       reference: str = "", note: str = "",
                       idempotency_key: str | None = None,
                       approver: Approver | None = None) -> LegalCaseView:
    """Record one step of the legal case with its cost (minor units, >= 0). Illegal
    transitions, negative costs and unapproved referrals are coded errors and change
    nothing. A repeat with the same key (derived from the event's content when not
    given) is acknowledged without recording twice. Closing the legal case closes the
    collection case.

    ``approver`` is the signed-in user recording it: a cost beyond their authority is
    refused (``legal_cost_must_be_within_your_authority``). Without one (an operator
    at the console, who holds the book itself) the cost is not bounded by a role."""
    who = person_named(recorded_by, "recorded_by", NAME_MAX)
    state = parse_state(event)
    _require_minor_units(cost_minor)
    ref = uow.legal.get(referral_id)
    require_approved(ref)
    if approver is not None:
        approver.require_within(Matter.LEGAL_COST, cost_minor, ref.currency)
    book = uow.book.get()
    check_date(on, field="on", latest=latest_record_date(
        now.date(), *([book.business_date] if book else [])))
    item = LegalEvent(state, on, cost_minor, court.strip()[:NOTE_MAX],
                      reference.strip()[:REFERENCE_MAX], note.strip()[:NOTE_MAX])
    key = idempotency_key or _event_key(referral_id, item)
    if is_recorded(uow, referral_id=referral_id, item=item, key=key):
        return legal_case(uow, referral_id=referral_id)
    require_qualified(uow, staff_id=who, action=Action.LEGAL, on=on)
    current = replay(tuple(s.event for s in uow.legal.events(referral_id)))
    after = apply_event(current, item)
    uow.legal.add_event(referral_id, item, currency=ref.currency, recorded_by=who,
                        recorded_at=now.isoformat(), key=key)
    uow.legal.set_state(referral_id, after.state)
    _follow_on_case(uow, ref, item)
    audit_entry(uow, now, "legal_event", ref.borrower_id, {
        "referral_id": referral_id, "case_id": ref.case_id, "event": state.value,
        "on": on.isoformat(), "cost_minor": cost_minor, "court": item.court,
        "reference": item.reference, "note": item.note, "by": who,
        "role": None if approver is None else approver.role.value})
    return legal_case(uow, referral_id=referral_id)


def _require_minor_units(cost_minor: object) -> None:
    if isinstance(cost_minor, bool) or not isinstance(cost_minor, int):
        raise InvalidInput("cost must be a whole number of minor units", field="cost",
                           code="legal_cost_must_be_minor_units")


def is_recorded(uow: UnitOfWork, *, referral_id: int, item: LegalEvent, key: str) -> bool:
    """Whether ``key`` already recorded exactly this event (a harmless repeat); refused
    (``legal_event_key_must_match_its_event``) when it recorded another one."""
    seen = uow.legal.event_by_key(key)
    if seen is None:
        return False
    if seen != (referral_id, item):
        raise Conflict(f"idempotency key {key!r} was used for a different legal event; "
                       "use a new key for a new event",
                       code="legal_event_key_must_match_its_event")
    return True


def legal_event_text(item: LegalEvent, currency: str) -> str:
    """The event as the case timeline states it: where, the reference, the cost and the
    note, each when there is one."""
    return f"legal {item.event.value}" + (f" at {item.court}" if item.court else "") + (
        f" ref {item.reference}" if item.reference else "") + (
        f", cost {money_text(item.cost_minor, currency)}" if item.cost_minor else "") + (
        f": {item.note}" if item.note else "")


def _follow_on_case(uow: UnitOfWork, ref: Referral, item: LegalEvent) -> None:
    """The event on the collection case's timeline; closing the legal case closes the
    collection case while it is in ``legal`` (a case paid off or written off meanwhile
    keeps that outcome)."""
    uow.cases.note(ref.case_id, item.on, TimelineKind(f"legal_{item.event.value}"),
                   legal_event_text(item, ref.currency))
    if (item.event is LegalState.CLOSED
            and uow.cases.get(ref.case_id).status is CaseStatus.LEGAL):
        move_case(uow, ref.case_id, CaseStatus.CLOSED, item.on,
                  f"legal case of referral {ref.referral_id} closed")


#: What a demand letter does, in the guard's vocabulary.
DEMAND_TAGS = ("payment_request", "private_and_confidential", "signpost_free_debt_advice",
               "instalment_plan")


def issue_demand(uow: UnitOfWork, *, templates: Templates, referral_id: int,
                 business_date: dt.date, now: dt.datetime,
                 settings: Settings | None = None) -> LetterRecord:
    """Issue the demand letter (kind ``demand``) for an approved referral: numbered,
    verifiable and in the register like every letter. It passes the compliance guard
    like any contact; a referral that already has one gets the same letter back."""
    repo = uow.legal
    ref = repo.get(referral_id)
    require_approved(ref)
    if ref.demand_letter_no is not None:
        return uow.letters.get(ref.demand_letter_no)
    if ref.legal_state in (LegalState.SETTLED, LegalState.CLOSED):
        raise ReferralStateRejected(
            f"the legal case of referral {referral_id} is {ref.legal_state.value}; no demand "
            "letter is sent", code="legal_case_must_be_open_for_demand")
    verdict = letter_verdict(uow, borrower_id=ref.borrower_id, business_date=business_date,
                             content_tags=DEMAND_TAGS)
    if not verdict.allowed:
        raise Conflict(f"the compliance guard does not allow the demand letter "
                       f"({verdict.rule}): {verdict.reason}",
                       code="demand_letter_must_pass_guard", rule=verdict.rule)
    letter = issue_letter(uow, templates=templates, borrower_id=ref.borrower_id,
                          case_id=ref.case_id, kind=DEMAND_KIND,
                          business_date=business_date, now=now, settings=settings)
    repo.set_demand_letter(referral_id, letter.letter_no)
    uow.cases.note(
        ref.case_id, business_date, TimelineKind.LEGAL_DEMAND,
        f"demand letter {letter.letter_no} issued for referral {referral_id}")
    audit_entry(uow, now, "demand_issued", ref.borrower_id, {
        "referral_id": referral_id, "case_id": ref.case_id, "letter_no": letter.letter_no,
        "guard_rule": verdict.rule})
    return letter


def _event_key(referral_id: int, e: LegalEvent) -> str:
    body = "\x1f".join((str(referral_id), e.event.value, e.on.isoformat(), str(e.cost_minor),
                        e.court, e.reference, e.note))
    return f"legal-event:{referral_id}:" + hashlib.sha256(body.encode()).hexdigest()[:40]
