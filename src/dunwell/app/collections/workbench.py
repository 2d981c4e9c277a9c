"""The collector's workbench: the day's call queue as a person reads it, one case's
file (its timeline across payments, contacts, guard decisions, letters, visits,
promises, offers, plans and the borrower's complaints), the guard's live answer to
"may I contact now?" per channel, and the three commands a call ends with (its
outcome, a promise to pay, a hardship assessment).

Every function takes the signed-in :class:`~dunwell.identity.model.Principal` and
applies the object rules first: a collector reads and acts only on the cases
assigned to them; a team lead or manager on every case. Borrowers' names are masked
unless the object rules show them in full (:mod:`dunwell.identity.masking`). The
commands are the operators' own services (``dunwell contact``, ``dunwell promise``,
``dunwell hardship``), so the guard, the replay rules and the audit log are the
same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dunwell.app.collections.contacts import judge_contact, log_contact, log_promise
from dunwell.app.context import Dunwell
from dunwell.app.negotiation.replays import assess_hardship_once
from dunwell.app.objects import holding_of, require_case
from dunwell.app.training.gate import gated_staff
from dunwell.app.uow import UnitOfWork
from dunwell.complaints.rules import pauses_collection
from dunwell.compliance.model import Channel, Decision
from dunwell.core.errors import Forbidden, InvalidInput
from dunwell.identity.masking import mask_name
from dunwell.identity.model import Principal
from dunwell.identity.objects import Kind as ObjectKind
from dunwell.identity.objects import Reach, Thing, reach, sees_contact_in_full

#: The channels the workbench asks the guard about, with what such a contact does
#: (its content tags): a reminder by call or message; a visit announced beforehand,
#: by certified staff, recorded.
CHANNEL_TAGS: dict[Channel, tuple[str, ...]] = {
    Channel.CALL: ("payment_reminder",),
    Channel.SMS: ("payment_reminder",),
    Channel.EMAIL: ("payment_reminder",),
    Channel.VISIT: ("prior_notice", "staff_certified", "audio_video_recording"),
}
#: The call outcomes the workbench records.
CALL_OUTCOMES = ("conversation", "no_answer", "voicemail_left", "not_connected",
                 "number_unreachable", "promise_to_pay", "dispute_received",
                 "opt_out_request")
#: How far ahead of the clock a recorded contact may be (a slow clock on the desk).
CONTACT_AHEAD_MAX = dt.timedelta(minutes=5)
#: The most timeline entries one case file shows.
TIMELINE_MAX = 500


# --- the queue ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueRow:
    position: int | None
    collector_id: str | None
    case_id: str
    borrower_id: int
    borrower: str  # masked unless the object rules show it in full
    days_past_due: int
    overdue_minor: int
    expected_recovery_minor: int
    step: str  # the step's kind: call, call_queue, negotiation_offer
    window: str  # the guard's window, "09:00-12:00", or why no collector took it


@dataclass(frozen=True, slots=True)
class WorkQueue:
    business_date: dt.date
    currency: str
    rows: list[QueueRow]
    collectors: list[str]  # every collector with calls that day (for a lead's filter)
    sees_all: bool


def _sees_all_cases(principal: Principal) -> bool:
    return reach(principal.role, ObjectKind.CASE) is Reach.ALL


def _shown_name(uow: UnitOfWork, principal: Principal, borrower_id: int, name: str) -> str:
    full = sees_contact_in_full(principal, holding_of(uow, principal, Thing.BORROWER,
                                                      borrower_id, borrower_id))
    return name if full else mask_name(name)


def _overdue(uow: UnitOfWork, day: dt.date, borrower_ids: Sequence[int],
             ) -> dict[int, tuple[int, int]]:
    """Borrower -> (days past due, amount overdue) over their open loans on ``day``."""
    if not borrower_ids:
        return {}
    loans, _ = uow.loan_facts.facts(day, list(borrower_ids), only=True)
    return {b: (max((x.days_past_due for x in ls), default=0),
                sum(x.overdue_minor for x in ls)) for b, ls in loans.items()}


def work_queue(app: Dunwell, principal: Principal, *, business_date: dt.date | None = None,
               collector: str | None = None) -> WorkQueue:
    """The day's calls (default: the book's open date) in priority order: a
    collector's own queue; for a lead or manager every collector's (or ``collector``'s
    alone), then the calls no collector could take."""
    sees_all = _sees_all_cases(principal)
    if not sees_all and not principal.staff_id:
        raise Forbidden("your user has no staff id, so no calls are queued for you; ask an "
                        "administrator to link it (dunwell user add --staff-id)",
                        code="work_queue_must_have_staff_id")
    with app.uow() as uow:
        info = uow.book.require()
        day = business_date or info.business_date
        tasks = uow.actions.call_tasks(day)
        collectors = sorted({str(t["collector_id"]) for t in tasks if t["collector_id"]})
        wanted = collector if sees_all else principal.staff_id
        if wanted:
            tasks = [t for t in tasks if t["collector_id"] == wanted]
        tasks.sort(key=lambda t: (t["collector_id"] is None, t["collector_id"] or "",
                                  t["position"] or 0, t["action_id"]))
        ids = sorted({int(t["borrower_id"]) for t in tasks})
        names = {b: p.name for b, p in uow.borrowers.many(ids).items()}
        overdue = _overdue(uow, day, ids)
        rows = [QueueRow(t["position"], t["collector_id"], str(t["case_id"]),
                         int(t["borrower_id"]),
                         _shown_name(uow, principal, int(t["borrower_id"]),
                                     names.get(int(t["borrower_id"]), "?")),
                         *overdue.get(int(t["borrower_id"]), (0, 0)),
                         int(t["expected_recovery_minor"] or 0), str(t["kind"]),
                         str(t["note"] or "")) for t in tasks]
    return WorkQueue(day, info.currency, rows, collectors, sees_all)


# --- the case file ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a case's timeline."""

    on: dt.date
    at: dt.datetime | None  # when the moment is known
    kind: str  # payment, contact, decision, letter, visit, promise, offer, plan, case,
    # complaint
    what: str
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class CaseFile:
    case_id: str
    borrower_id: int
    borrower: str  # masked unless the object rules show it in full
    language: str  # the borrower's: zh-CN or en
    timezone: str  # the borrower's clock, which the guard judges on
    status: str
    owner: str | None
    business_date: dt.date
    currency: str
    days_past_due: int
    overdue_minor: int
    open_promise: tuple[int, dt.date] | None
    step: str  # the kind of the case's latest planned step ("call" without one)
    events: list[Event]


def _language(tag: str | None) -> str:
    return "zh-CN" if (tag or "zh").lower().startswith("zh") else "en"


def _decisions(rows: Iterable[dict[str, object]], case_id: str) -> list[Event]:
    out = []
    for a in rows:
        if a.get("case_id") != case_id:
            continue
        on = a["business_date"]
        assert isinstance(on, dt.date)
        rule = a.get("rule")
        out.append(Event(on, None, "decision",
                         f"{a['kind']} ({a['channel']}): {a['decision']}",
                         str(rule) if rule else None))
    return out


def _contacts(uow: UnitOfWork, borrower_id: int) -> list[Event]:
    return [Event(e.ts.date(), e.ts, "contact",
                  f"{e.direction.value} {e.channel.value}: {e.outcome.value}")
            for e in uow.actions.contacts_for([borrower_id]).get(borrower_id, [])]


def _payments(uow: UnitOfWork, borrower_id: int, since: dt.date) -> list[Event]:
    return [Event(day, None, "payment", str(amount))
            for day, amount in uow.loan_facts.payments_since(borrower_id, since)]


def _letters(uow: UnitOfWork, borrower_id: int) -> list[Event]:
    return [Event(x.business_date, x.issued_at, "letter",
                  f"{x.kind} {x.letter_no}: {x.status.value}")
            for x in uow.letters.listing(borrower_id=borrower_id)]


def _negotiation(uow: UnitOfWork, case_id: str) -> list[Event]:
    out = [Event(o.business_date, None, "offer",
                 f"{o.offer.kind.value} #{o.offer_id}: {o.status.value}")
           for o in uow.negotiation.offers_for_case(case_id)]
    out += [Event(p.accepted_on, None, "plan", f"{p.kind.value} #{p.plan_id}: "
                  f"{p.status.value}") for p in uow.negotiation.plans(case_id=case_id)]
    return out


_TIMELINE_KIND = {"promise_made": "promise", "promise_kept": "promise",
                  "promise_broken": "promise", "field_visit": "visit",
                  "plan_requested": "visit", "hardship_reported": "visit"}


def _case_notes(uow: UnitOfWork, case_id: str) -> list[Event]:
    return [Event(day, None, _TIMELINE_KIND.get(kind, "case"), f"{kind}: {text}")
            for day, kind, text in uow.cases.timeline(case_id)]


def _complaints(uow: UnitOfWork, borrower_id: int) -> list[Event]:
    """The borrower's complaints as the register holds them (category, channel, where
    each stands; their texts stay in the register), and a dispute's pause."""
    out = []
    for rec in uow.complaints.for_borrower(borrower_id):
        c = rec.complaint
        paused = pauses_collection(c) and not c.status.answered
        out.append(Event(c.received_on, c.received_at, "complaint",
                         f"#{c.complaint_id} {c.category.value} by {c.channel.value}: "
                         f"{c.status.value}" + (" (collection paused)" if paused else "")))
    return out


def case_file(app: Dunwell, principal: Principal, case_id: str) -> CaseFile:
    """One case with its timeline, newest first. A collector reaches only the cases
    assigned to them (403; 404 for a case that does not exist)."""
    with app.uow() as uow:
        require_case(uow, principal, case_id)
        case = uow.cases.get(case_id)
        bid = int(case.borrower_id)
        info = uow.book.require()
        row = next(r for r in uow.cases.for_borrower(bid) if r["case_id"] == case_id)
        profile = uow.borrowers.get(bid)
        actions = uow.actions.for_borrower(bid)
        since = case.opened_on or info.business_date
        events = (_case_notes(uow, case_id) + _decisions(actions, case_id)
                  + _contacts(uow, bid) + _payments(uow, bid, since) + _letters(uow, bid)
                  + _negotiation(uow, case_id) + _complaints(uow, bid))
        dpd, overdue = _overdue(uow, info.business_date, [bid]).get(bid, (0, 0))
        shown = _shown_name(uow, principal, bid, profile.name)
    events.sort(key=lambda e: (e.on, e.at or dt.datetime.combine(e.on, dt.time.min,
                                                                  tzinfo=dt.UTC)),
                reverse=True)
    mine = [a for a in actions if a.get("case_id") == case_id]
    promise = case.open_promise
    return CaseFile(case_id, bid, shown, _language(profile.borrower.language),
                    profile.borrower.timezone, case.status.value, row.get("owner"),
                    info.business_date, info.currency, dpd, overdue,
                    None if promise is None else (promise.amount_minor, promise.due_date),
                    str(mine[-1]["kind"]) if mine else "call", events[:TIMELINE_MAX])


# --- may I contact now? ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactAnswer:
    """The guard's answer for one channel at one moment."""

    channel: str
    decision: str  # allow, defer, deny
    rule: str | None
    reason: str
    next_at: dt.datetime | None  # the next permitted time (a deferral's), when known
    window: str  # the window an allowed contact falls in, "09:00-20:00"

    @property
    def allowed(self) -> bool:
        return self.decision == Decision.ALLOW.value


def contact_now(app: Dunwell, case_id: str, at: dt.datetime, *,
                principal: Principal | None = None,
                channels: Sequence[Channel] = tuple(CHANNEL_TAGS)) -> list[ContactAnswer]:
    """The guard's verdict on contacting the case's borrower at ``at`` by each of
    ``channels``, from the borrower's stored profile, requests and contact history —
    the same inputs ``dunwell contact`` is judged on. With ``principal``, the object
    rules apply first."""
    if at.tzinfo is None:
        raise InvalidInput("the moment asked about must carry a UTC offset",
                           code="timestamp_must_carry_offset", field="at")
    with app.uow() as uow:
        if principal is not None:
            require_case(uow, principal, case_id)
        bid = int(uow.cases.get(case_id).borrower_id)
        profile = uow.borrowers.get(bid)
        history = uow.actions.contacts_for([bid]).get(bid, [])
    out = []
    for channel in channels:
        v = judge_contact(profile, history, at=at, channel=channel,
                          content_tags=CHANNEL_TAGS.get(channel, ()))
        window = "" if v.window is None else (
            f"{v.window.start.isoformat('minutes')}-{v.window.end.isoformat('minutes')}")
        out.append(ContactAnswer(channel.value, v.decision.value, v.rule, v.reason,
                                 v.defer_until, window))
    return out


# --- the commands a call ends with --------------------------------------------------------


def _staff_of(uow: UnitOfWork, principal: Principal) -> str | None:
    """The principal's staff id when the training register knows them (a gated call
    is then checked against their certificates and linked to them)."""
    sid = principal.staff_id
    return sid if sid and gated_staff(uow.training, sid) is not None else None


def record_call(app: Dunwell, principal: Principal, *, case_id: str, outcome: str,
                at: dt.datetime, now: dt.datetime) -> bool:
    """Record a call's outcome on the case's borrower as ``dunwell contact`` does: the
    guard must allow an outbound call at ``at`` (refused with its rule, nothing
    recorded). True when new, False when it was already recorded."""
    if outcome not in CALL_OUTCOMES:
        raise InvalidInput(f"outcome {outcome!r} is not one of {', '.join(CALL_OUTCOMES)}",
                           code="call_outcome_must_be_known", field="outcome")
    if at.tzinfo is None:
        raise InvalidInput("the call's time must carry a UTC offset",
                           code="timestamp_must_carry_offset", field="at")
    if at > now + CONTACT_AHEAD_MAX:
        raise InvalidInput("a call is recorded after it happened; the time is in the future",
                           code="contact_time_must_not_be_in_the_future", field="at")
    with app.uow() as uow:
        require_case(uow, principal, case_id)
        bid = int(uow.cases.get(case_id).borrower_id)
        done = log_contact(uow, borrower_id=bid, at=at, channel=Channel.CALL.value,
                           outcome=outcome, content_tags=CHANNEL_TAGS[Channel.CALL],
                           staff=_staff_of(uow, principal), now=now)
        uow.commit()
    return not done.replayed


def record_case_promise(app: Dunwell, principal: Principal, *, case_id: str,
                        amount_minor: int, due_date: dt.date, now: dt.datetime) -> bool:
    """Record a promise to pay as ``dunwell promise`` does; True when new."""
    with app.uow() as uow:
        require_case(uow, principal, case_id)
        today = uow.book.require().business_date
        made = log_promise(uow, case_id=case_id, amount_minor=amount_minor,
                           due_date=due_date, today=today, now=now)
        uow.commit()
    return made


def record_case_hardship(app: Dunwell, principal: Principal, *, case_id: str, reason: str,
                         income_minor: int, expenses_minor: int, other_debts_minor: int,
                         vulnerable: bool, now: dt.datetime) -> tuple[int, bool]:
    """Record a hardship assessment told on a call as ``dunwell hardship`` does (source
    ``collector``); (the assessment's id, whether it was already recorded)."""
    with app.uow() as uow:
        require_case(uow, principal, case_id)
    rec, replayed = assess_hardship_once(
        app, case_id=case_id, reason=reason, monthly_income_minor=income_minor,
        essential_expenses_minor=expenses_minor, other_debt_payments_minor=other_debts_minor,
        evidence=[], vulnerable=vulnerable, source="collector", now=now)
    return rec.assessment_id, replayed


__all__ = ["CALL_OUTCOMES", "CHANNEL_TAGS", "CaseFile", "ContactAnswer", "Event", "QueueRow",
           "WorkQueue", "case_file", "contact_now", "record_call", "record_case_hardship",
           "record_case_promise", "work_queue"]
