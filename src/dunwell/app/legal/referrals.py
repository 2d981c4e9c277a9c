"""Legal referrals and their human approval (the demand letter and the legal case's
events are in :mod:`dunwell.app.legal.cases`). Every function works inside the
caller's unit of work (it never commits) and audits what it decides in the same
transaction.

A referral is only ever *proposed* by software (a person with ``dunwell legal propose``
or the strategy's ``legal_review`` step through :func:`queue_legal_reviews`); a named
person with an approver role approves or rejects it with a note. Nothing is filed
without that approval, and the referral rules are checked again at approval time.
Maker-checker: the person who proposed a referral may reject (withdraw) it but never
approve it (``approver_must_not_be_the_proposer``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dunwell.app.audit import record
from dunwell.app.training.gate import require_qualified
from dunwell.app.uow import UnitOfWork
from dunwell.collections.cases import change_status
from dunwell.collections.model import CaseStatus, TimelineKind
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor
from dunwell.identity.authority import require_other_checker
from dunwell.legal.errors import (
    ApprovalInvalid,
    PlanInGoodStanding,
    ProtectedBorrower,
    ReferralRejected,
    ReferralStateRejected,
)
from dunwell.legal.model import (
    Eligibility,
    LegalState,
    Referral,
    ReferralFacts,
    ReferralRules,
    ReferralSource,
    ReferralStatus,
)
from dunwell.legal.rules import builtin_rules, check_eligibility
from dunwell.negotiation.model import OfferStatus
from dunwell.negotiation.outcome import is_open
from dunwell.training.model import Action

#: Contact outcomes that mean nobody was reached (a visit with one of these did not
#: meet the borrower; a letter with one of these was not delivered).
NOT_REACHED = frozenset({"no_answer", "not_connected", "number_unreachable", "undelivered"})
#: Letter outcomes that prove delivery.
LETTER_DELIVERED = frozenset({"delivered", "visit_notice_delivered"})
#: Length limits on what people type.
NAME_MAX, ROLE_MAX, NOTE_MAX = 128, 64, 4000


def _rules(rules: ReferralRules | None) -> ReferralRules:
    return rules or builtin_rules()


def referral_facts(uow: UnitOfWork, *, case_id: str, business_date: dt.date) -> ReferralFacts:
    """What the eligibility check reads about ``case_id`` on ``business_date``."""
    case = uow.cases.get(case_id)
    bid = int(case.borrower_id)
    profile = uow.borrowers.get(bid)
    facts, _ = uow.loan_facts.facts(business_date, [bid], only=True)
    loans = facts.get(bid, [])
    evidence = uow.evidence
    opened = case.opened_on or business_date
    reached = contacts_reached(evidence.contacts(bid), opened)
    flags = frozenset(f.value for f in profile.borrower.flags)
    plan_ok = (case.status is CaseStatus.PLAN or "hardship_plan" in flags
               or evidence.plan_in_good_standing(case_id))
    offers = evidence.offer_states(case_id)
    still_open = [until for status, until in offers
                  if is_open(OfferStatus(status), until, business_date)]
    reasons = evidence.no_offer_reasons(case_id)
    return ReferralFacts(
        case_id=case_id, case_status=case.status.value,
        days_past_due=max((ln.days_past_due for ln in loans if ln.is_overdue), default=0),
        outstanding_minor=sum(ln.outstanding_minor for ln in loans if not ln.is_paid_off),
        currency=currency_of({str(ln["currency"]) for ln in evidence.loans(bid)}),
        contact_attempts=reached.attempts,
        in_person_visits=max(reached.visits_met, evidence.visits_met(case_id, bid)),
        letters_delivered=max(reached.letters_delivered,
                              evidence.letters_delivered(bid, opened)),
        plan_in_good_standing=plan_ok,
        promise_pending=case.open_promise is not None,
        flags=flags, offers_made=len(offers), offers_open=len(still_open),
        offers_open_until=max(still_open, default=None),
        no_offer_reason=reasons[-1][1] if reasons else None)


@dataclass(frozen=True, slots=True)
class ContactsReached:
    attempts: int
    visits_met: int
    letters_delivered: int


def contacts_reached(contacts: Sequence[Mapping[str, Any]], opened: dt.date) -> ContactsReached:
    """The outbound contact attempts since the day before the case opened, the visits
    that met the borrower and the letters delivered. One attempt may record several
    outcomes (a visit that also hands over a letter): an attempt is a channel at a
    moment."""
    outbound = [m for m in contacts if m["direction"] == "outbound"
                and dt.datetime.fromisoformat(m["ts"]).date() >= opened - dt.timedelta(days=1)]
    return ContactsReached(
        attempts=len({(m["channel"], m["ts"]) for m in outbound}),
        visits_met=len({m["ts"] for m in outbound
                        if m["channel"] == "visit" and m["outcome"] not in NOT_REACHED}),
        letters_delivered=len({m["ts"] for m in outbound if m["channel"] == "letter"
                               and m["outcome"] in LETTER_DELIVERED}))


def currency_of(currencies: set[str]) -> str:
    """The case's currency: its loans' one currency, several joined by ``/``, or the
    book's default before any loan."""
    if len(currencies) == 1:
        return next(iter(currencies))
    return "/".join(sorted(currencies)) or "CNY"


def _refuse_if_blocked(case_id: str, verdict: Eligibility) -> None:
    failures = verdict.to_json()
    if verdict.protected:
        reason = next(f.reason for f in verdict.failures if f.criterion.value.startswith(
            "borrower_must_not_be_protected"))
        raise ProtectedBorrower(f"case {case_id} cannot be referred: {reason}",
                                case_id=case_id, failures=failures)
    if verdict.plan_in_good_standing:
        raise PlanInGoodStanding(
            f"case {case_id} cannot be referred: a repayment plan is in good standing; "
            "refer only if the plan breaks", case_id=case_id, failures=failures)
    if not verdict.eligible:
        reasons = "; ".join(f.reason for f in verdict.failures)
        raise ReferralRejected(f"case {case_id} does not meet the referral rules: {reasons}",
                               case_id=case_id, failures=failures)


def person_named(text: str, what: str, limit: int) -> str:
    value = text.strip()
    if not value or len(value) > limit:
        raise ApprovalInvalid(f"{what} must be given (1-{limit} characters)", field=what)
    return value


def propose_referral(uow: UnitOfWork, *, case_id: str, business_date: dt.date,
                     proposed_by: str, now: dt.datetime, note: str = "",
                     rules: ReferralRules | None = None) -> Referral:
    """Propose referring ``case_id``; it waits in the review queue for a person.

    Refused with a coded error (nothing written) when the rules do not allow it: a
    protected borrower, a plan in good standing, or any other failed criterion. A case
    that already has an open referral gets that referral back (a repeat is harmless)."""
    repo = uow.legal
    who = person_named(proposed_by, "proposed_by", NAME_MAX)
    existing = repo.open_for_case(case_id)
    if existing is not None:
        return existing
    facts = referral_facts(uow, case_id=case_id, business_date=business_date)
    verdict = check_eligibility(facts, _rules(rules))
    _refuse_if_blocked(case_id, verdict)
    case = uow.cases.get(case_id)
    rid = repo.add_referral(
        case_id=case_id, borrower_id=int(case.borrower_id), source=ReferralSource.MANUAL,
        action_id=None, status=ReferralStatus.PROPOSED, proposed_on=business_date,
        proposed_by=who, proposed_at=now.isoformat(), proposal_note=note.strip()[:NOTE_MAX],
        days_past_due=facts.days_past_due, outstanding_minor=facts.outstanding_minor,
        currency=facts.currency, eligibility=verdict)
    audit_entry(uow, now, "referral_proposed", case.borrower_id, {
        "referral_id": rid, "case_id": case_id, "by": who, "source": "manual",
        "days_past_due": facts.days_past_due, "outstanding_minor": facts.outstanding_minor})
    return repo.get(rid)


def queue_legal_reviews(uow: UnitOfWork, *, business_date: dt.date, now: dt.datetime,
                        rules: ReferralRules | None = None) -> list[Referral]:
    """Turn the strategy's ``legal_review`` steps into referral proposals for people to
    review. A step whose case fails the rules is recorded as ``not_eligible`` with
    every failed criterion (so it is not proposed again); a case that already has an
    open referral is left as it is. Running it twice changes nothing."""
    repo = uow.legal
    made: list[Referral] = []
    for step in repo.legal_reviews_without_referral(business_date):
        case_id = str(step["case_id"])
        if repo.open_for_case(case_id) is not None:
            continue
        facts = referral_facts(uow, case_id=case_id, business_date=business_date)
        verdict = check_eligibility(facts, _rules(rules))
        status = ReferralStatus.PROPOSED if verdict.eligible else ReferralStatus.NOT_ELIGIBLE
        rid = repo.add_referral(
            case_id=case_id, borrower_id=int(step["borrower_id"]),
            source=ReferralSource.STRATEGY, action_id=int(step["action_id"]), status=status,
            proposed_on=business_date, proposed_by=f"strategy {step['strategy']}",
            proposed_at=now.isoformat(),
            proposal_note=f"step {step['step_id']} planned {step['business_date']}",
            days_past_due=facts.days_past_due, outstanding_minor=facts.outstanding_minor,
            currency=facts.currency, eligibility=verdict)
        audit_entry(uow, now, "referral_proposed", step["borrower_id"], {
            "referral_id": rid, "case_id": case_id, "source": "strategy",
            "action_id": int(step["action_id"]), "status": status.value,
            "failures": verdict.to_json()})
        made.append(repo.get(rid))
    return made


def referral_record(uow: UnitOfWork, *, referral_id: int) -> Referral:
    """The referral ``referral_id`` (``referral_must_exist`` when there is none)."""
    return uow.legal.get(referral_id)


def review_queue(uow: UnitOfWork, *, include_closed: bool = False,
                 statuses: Sequence[ReferralStatus] | None = None) -> list[Referral]:
    """Referrals waiting for a person (all referrals with ``include_closed``, or those
    in ``statuses``)."""
    repo = uow.legal
    if statuses:
        return repo.listed(list(statuses))
    return repo.listed(None if include_closed else [ReferralStatus.PROPOSED])


@dataclass(frozen=True, slots=True)
class Decider:
    """Who decides a referral, in what role, and why."""

    person: str
    role: str
    note: str


def decider(person: str, role: str, note: str, rules: ReferralRules) -> Decider:
    """A named person with one of the rules' approver roles, with a note
    (``referral_approval_must_name_person_role_and_note`` otherwise)."""
    who = Decider(person_named(person, "approver", NAME_MAX),
                  person_named(role, "role", ROLE_MAX), person_named(note, "note", NOTE_MAX))
    if who.role not in rules.approver_roles:
        raise ApprovalInvalid(
            f"role {who.role!r} may not decide referrals; use one of "
            f"{', '.join(sorted(rules.approver_roles))}", field="role")
    return who


def _decide(uow: UnitOfWork, *, referral_id: int, approve: bool, person: str, role: str,
            note: str, business_date: dt.date, now: dt.datetime,
            rules: ReferralRules | None) -> Referral:
    rules = _rules(rules)
    who = decider(person, role, note, rules)
    ref = uow.legal.get(referral_id)
    target = ReferralStatus.APPROVED if approve else ReferralStatus.REJECTED
    if ref.status is target and ref.decided_by == who.person:
        return ref  # the same decision again: nothing to do
    if approve:  # maker-checker: the proposer may withdraw (reject), never approve
        require_other_checker(ref.proposed_by, who.person, what=f"referral {referral_id}")
    require_qualified(uow, staff_id=who.person, action=Action.LEGAL, on=business_date)
    if ref.status is not ReferralStatus.PROPOSED:
        raise ReferralStateRejected(
            f"referral {referral_id} is {ref.status.value}; only a proposed referral can be "
            f"{target.value}")
    facts = referral_facts(uow, case_id=ref.case_id, business_date=business_date)
    verdict = check_eligibility(facts, rules)
    if approve:
        _refuse_if_blocked(ref.case_id, verdict)
    uow.legal.decide(referral_id, status=target, by=who.person, role=who.role, note=who.note,
                     on=business_date, at=now.isoformat(),
                     legal_state=LegalState.APPROVED if approve else None, eligibility=verdict)
    _follow_decision(uow, ref, who, approve=approve, on=business_date)
    kind = "referral_approved" if approve else "referral_rejected"
    audit_entry(uow, now, kind, ref.borrower_id, {
        "referral_id": referral_id, "case_id": ref.case_id, "by": who.person,
        "role": who.role, "note": who.note, "failures": verdict.to_json()})
    return uow.legal.get(referral_id)


def _follow_decision(uow: UnitOfWork, ref: Referral, who: Decider, *, approve: bool,
                     on: dt.date) -> None:
    """An approved referral moves the case to ``legal``; a rejected one is noted on its
    timeline and the case carries on."""
    said = f"by {who.person} ({who.role}): {who.note}"
    if approve:
        move_case(uow, ref.case_id, CaseStatus.LEGAL, on,
                  f"legal referral {ref.referral_id} approved {said}")
    else:
        uow.cases.note(ref.case_id, on, TimelineKind.LEGAL_REFERRAL_REJECTED,
                       f"legal referral {ref.referral_id} rejected {said}")


def approve_referral(uow: UnitOfWork, *, referral_id: int, approver: str, role: str,
                     note: str, business_date: dt.date, now: dt.datetime,
                     rules: ReferralRules | None = None) -> Referral:
    """A named person with an approver role approves the referral, with a note. The
    rules are checked again; the case moves to ``legal`` with a timeline entry."""
    return _decide(uow, referral_id=referral_id, approve=True, person=approver, role=role,
                   note=note, business_date=business_date, now=now, rules=rules)


def reject_referral(uow: UnitOfWork, *, referral_id: int, approver: str, role: str,
                    note: str, business_date: dt.date, now: dt.datetime,
                    rules: ReferralRules | None = None) -> Referral:
    """A named person rejects the referral, with a note; the case carries on as before."""
    return _decide(uow, referral_id=referral_id, approve=False, person=approver, role=role,
                   note=note, business_date=business_date, now=now, rules=rules)


def move_case(uow: UnitOfWork, case_id: str, status: CaseStatus, today: dt.date,
               reason: str) -> None:
    cases = uow.cases
    case = cases.get(case_id)
    if case.status is status:
        return
    bid = int(case.borrower_id)
    facts, _ = uow.loan_facts.facts(today, [bid], only=True)
    change = change_status(replace(case, loans=tuple(facts.get(bid, ()))), status, today, reason)
    assert change.case is not None
    cases.save(change.case, today)
    cases.add_timeline(change.timeline)


def require_approved(ref: Referral) -> None:
    if ref.status is not ReferralStatus.APPROVED:
        raise ReferralStateRejected(
            f"referral {ref.referral_id} is {ref.status.value}; a person must approve it "
            f"first (`dunwell legal approve {ref.referral_id} --by NAME --role ROLE --note ...`)",
            code="referral_must_be_approved")


def money_text(minor: int, currency: str) -> str:
    try:
        return f"{format_minor(minor, currency)} {currency}"
    except InvalidInput:
        return f"{minor} (minor units)"


def audit_entry(uow: UnitOfWork, now: dt.datetime, kind: str, borrower_id: object,
           payload: dict[str, object]) -> None:
    record(uow, at=now, entries=[(kind, f"borrower:{borrower_id}", payload)])
