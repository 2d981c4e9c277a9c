"""Commands from the people working cases: record a contact's outcome and a promise
to pay, each audited in the same transaction; the compliance guard's verdict on a
contact about to be made, from the borrower's stored profile and history; what the
borrower asked about hours, channels and language; and their own messages (a STOP
reply opts them out of the channel).

``log_contact`` and ``log_promise`` are the operator's commands: an outbound contact
passes the guard (or a supervisor's audited override) before it is recorded, and the
same command again, by key or by content, returns what was recorded the first time.
``record_contact`` and ``record_promise`` are the writers underneath, also used for
the outcomes of actions the guard already allowed (a delivered message, a visit).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from dunwell.app import command_keys
from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.training.gate import record_staff_contact
from dunwell.app.uow import UnitOfWork
from dunwell.collections.cases import apply_promise
from dunwell.collections.errors import ContactRefused, PromiseConflict
from dunwell.collections.promises import make_promise
from dunwell.compliance.guard import decide
from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContactEvent,
    ContactPreferences,
    ContentTag,
    Direction,
    Outcome,
    ProposedAction,
    Recipient,
    Verdict,
)
from dunwell.compliance.packs.universal import OPT_OUT_FLAGS
from dunwell.compliance.replies import asks_to_stop
from dunwell.core.errors import InvalidInput, NotFound
from dunwell.store.borrowers_repo import BorrowerProfile

#: The longest supervisor name and override reason kept in the audit log.
OVERRIDE_NAME_CHARS_MAX = 64
OVERRIDE_REASON_CHARS_MAX = 500
#: The longest inbound message text read (the rest is not needed to find STOP).
INBOUND_TEXT_CHARS_MAX = 2_000
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")


class Keep(Enum):
    """Leave a stored preference as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


def with_channel_requests(borrower: Borrower) -> Borrower:
    """The borrower as the guard must see them: when they named the channels they may
    be contacted by (``dunwell borrower prefs --channels``), every other channel that
    can be opted out of (call, SMS, e-mail, visit) counts as opted out."""
    if not borrower.preferred_channels:
        return borrower
    refused = {flag for channel, flag in OPT_OUT_FLAGS.items()
               if channel not in borrower.preferred_channels}
    return replace(borrower, flags=borrower.flags | refused)


def judge_contact(profile: BorrowerProfile, history: Sequence[ContactEvent], *,
                  at: dt.datetime, channel: Channel, content_tags: Iterable[str],
                  recipient: Recipient = Recipient.BORROWER) -> Verdict:
    """The guard's verdict on contacting the borrower of ``profile`` at ``at`` (on the
    borrower's clock) by ``channel``, doing ``content_tags``, given their ``history``
    and their stored requests (hours, channels, opt-outs)."""
    action = ProposedAction(ts=at, channel=channel, recipient=recipient,
                            content_tags=frozenset(ContentTag(t) for t in content_tags))
    return decide(action, history, with_channel_requests(profile.borrower),
                  profile.jurisdiction)


def _event(at: dt.datetime, channel: str, direction: str, outcome: str) -> ContactEvent:
    try:
        return ContactEvent(at, Channel(channel), Direction(direction), Outcome(outcome))
    except ValueError as exc:
        raise InvalidInput(f"{exc}; see docs/compliance.md for the vocabulary",
                           code="contact_must_use_known_terms") from None


def record_contact(uow: UnitOfWork, *, borrower_id: int, at: dt.datetime, channel: str,
                   outcome: str, direction: str = "outbound", action_id: int | None = None,
                   now: dt.datetime, extra: dict[str, object] | None = None) -> ContactEvent:
    """What happened on a contact: the guard counts it from now on. This writes what
    is given; operators' contacts go through :func:`log_contact`, which asks the
    guard first."""
    uow.borrowers.get(borrower_id)
    event = _event(at, channel, direction, outcome)
    uow.actions.add_contact(borrower_id, event, action_id)
    record(uow, at=now, entries=[("contact", f"borrower:{borrower_id}", {
        "ts": at.isoformat(), "channel": channel, "direction": direction, "outcome": outcome,
        "action_id": action_id, **(extra or {})})])
    return event


@dataclass(frozen=True, slots=True)
class NewContact:
    """One contact for :func:`record_contacts`: :func:`record_contact`'s arguments."""

    borrower_id: int
    at: dt.datetime
    channel: str
    outcome: str
    now: dt.datetime
    direction: str = "outbound"
    action_id: int | None = None
    extra: dict[str, object] | None = None


def record_contacts(uow: UnitOfWork, contacts: Sequence[NewContact]) -> list[ContactEvent]:
    """:func:`record_contact` for many contacts at once: the same contact rows and the
    same audit entries in the same order, with one profile read, one insert and one
    audit write. Every contact is checked before any is written."""
    if not contacts:
        return []
    events = [_event(n.at, n.channel, n.direction, n.outcome) for n in contacts]
    if any(n.now.tzinfo is None for n in contacts):
        raise ValueError("audit timestamps must carry a time zone")
    known = uow.borrowers.many(sorted({n.borrower_id for n in contacts}))
    for n in contacts:
        if n.borrower_id not in known:
            uow.borrowers.get(n.borrower_id)  # its NotFound says what to do
    uow.actions.add_contacts([(n.borrower_id, e, n.action_id)
                              for n, e in zip(contacts, events, strict=True)])
    uow.audit.append_stamped([(n.now.isoformat(), "contact", f"borrower:{n.borrower_id}", {
        "ts": n.at.isoformat(), "channel": n.channel, "direction": n.direction,
        "outcome": n.outcome, "action_id": n.action_id, **(n.extra or {})})
        for n in contacts])
    return events


@dataclass(frozen=True, slots=True)
class Override:
    """A supervisor lets a contact the guard refused be recorded, and says why."""

    by: str
    reason: str

    def __post_init__(self) -> None:
        if not self.by.strip() or len(self.by) > OVERRIDE_NAME_CHARS_MAX:
            raise InvalidInput(f"the supervisor's name must be 1 to {OVERRIDE_NAME_CHARS_MAX} "
                               "characters", code="override_must_name_supervisor",
                               field="override_by")
        if not self.reason.strip() or len(self.reason) > OVERRIDE_REASON_CHARS_MAX:
            raise InvalidInput(f"an override needs a reason of 1 to {OVERRIDE_REASON_CHARS_MAX}"
                               " characters", code="override_must_give_reason", field="reason")


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """What :func:`log_contact` did: recorded (or found already recorded), with the
    guard's verdict for an outbound contact and the rule a supervisor overrode."""

    event: ContactEvent
    replayed: bool
    verdict: Verdict | None = None
    overridden_rule: str | None = None


def log_contact(uow: UnitOfWork, *, borrower_id: int, at: dt.datetime, channel: str,
                outcome: str, direction: str = "outbound", content_tags: Iterable[str] = (),
                staff: str | None = None, override: Override | None = None,
                key: str | None = None, now: dt.datetime) -> ContactRecord:
    """An operator records a contact. An outbound one must pass the guard at ``at``
    (with the borrower's stored flags, requests and history), or carry a supervisor's
    override, which is audited with the rule it overrode; an inbound one (the
    borrower called or wrote) is always recorded. The same contact again — the same
    ``key``, or the same moment, channel, direction and outcome — is a replay."""
    event = _event(at, channel, direction, outcome)
    try:
        tags = frozenset(ContentTag(t) for t in content_tags)
    except ValueError as exc:
        raise InvalidInput(f"{exc}; see docs/compliance.md for the content tags",
                           code="contact_must_use_known_terms", field="tags") from None
    profile = uow.borrowers.get(borrower_id)
    command_keys.serialise(uow)
    content = {"borrower_id": borrower_id, "ts": at.astimezone(dt.UTC).isoformat(),
               "channel": channel, "direction": direction, "outcome": outcome}
    contacts = uow.actions
    first = command_keys.seen(uow, command="contact", key=key, content=content)
    if first is not None or contacts.has_contact(borrower_id, event):
        return ContactRecord(event, replayed=True,
                             overridden_rule=None if first is None else first.get("overridden"))
    verdict = None
    overridden = None
    if event.direction is Direction.OUTBOUND:
        history = contacts.contacts_for([borrower_id]).get(borrower_id, [])
        verdict = judge_contact(profile, history, at=at, channel=event.channel,
                                content_tags=tags)
        if not verdict.allowed:
            if override is None:
                raise ContactRefused(
                    f"{verdict.rule}: {verdict.reason}; nothing was recorded (if the borrower "
                    "made the contact, record it with --direction inbound; a supervisor may "
                    "override with --override-by NAME --reason TEXT)",
                    rule=verdict.rule, decision=verdict.decision.value)
            overridden = verdict.rule
            record(uow, at=now, entries=[("guard_override", f"borrower:{borrower_id}", {
                "rule": verdict.rule, "decision": verdict.decision.value,
                "guard_reason": verdict.reason, "override_by": override.by,
                "reason": override.reason, "ts": at.isoformat(), "channel": channel,
                "outcome": outcome, "content_tags": sorted(tags)})])
    if staff is not None:
        record_staff_contact(uow, staff_id=staff, borrower_id=borrower_id, at=at,
                             channel=channel, outcome=outcome, now=now)
    extra: dict[str, object] = {"content_tags": sorted(tags)} if tags else {}
    if overridden is not None and override is not None:
        extra.update(overridden_rule=overridden, override_by=override.by)
    record_contact(uow, borrower_id=borrower_id, at=at, channel=channel, outcome=outcome,
                   direction=direction, now=now, extra=extra)
    command_keys.remember(uow, command="contact", key=key, content=content,
                          ref={"overridden": overridden}, now=now)
    return ContactRecord(event, replayed=False, verdict=verdict, overridden_rule=overridden)


def record_promise(uow: UnitOfWork, *, case_id: str, amount_minor: int, due_date: dt.date,
                   today: dt.date, now: dt.datetime) -> bool:
    """The borrower promised to pay ``amount_minor`` by ``due_date``. The same promise
    while it is pending is already recorded: nothing changes and False is returned."""
    cases = uow.cases
    case = cases.get(case_id)
    current = case.open_promise
    if current is not None and (current.amount_minor, current.due_date) == (amount_minor,
                                                                            due_date):
        return False
    ptp = make_promise(amount_minor, due_date, today)
    book = uow.book.get()  # a promise taken where no loan book is kept counts minor units
    change = apply_promise(case, ptp, today, currency=book.currency if book else None)
    assert change.case is not None
    cases.add_promise(case_id, ptp)
    cases.save(change.case, today)
    cases.add_timeline(change.timeline)
    record(uow, at=now, entries=[("promise", f"borrower:{case.borrower_id}", {
        "case_id": case_id, "amount_minor": amount_minor, "due_date": due_date.isoformat()})])
    return True


def log_promise(uow: UnitOfWork, *, case_id: str, amount_minor: int, due_date: dt.date,
                today: dt.date, key: str | None = None, now: dt.datetime) -> bool:
    """An operator records a promise to pay; True when it was new. The same ``key``,
    or the same amount and date while that promise is pending, is a replay (False);
    a different promise while one is pending is refused: let it be kept or broken
    first."""
    command_keys.serialise(uow)
    content = {"case_id": case_id, "amount_minor": amount_minor,
               "due_date": due_date.isoformat()}
    if command_keys.seen(uow, command="promise", key=key, content=content) is not None:
        return False
    pending = uow.cases.get(case_id).open_promise
    if pending is not None and (pending.amount_minor, pending.due_date) != (amount_minor,
                                                                            due_date):
        raise PromiseConflict(
            f"case {case_id} has a pending promise of {pending.amount_minor} minor units by "
            f"{pending.due_date} (made {pending.created_on}); it is judged kept or broken "
            "first", case_id=case_id)
    made = record_promise(uow, case_id=case_id, amount_minor=amount_minor, due_date=due_date,
                          today=today, now=now)
    if made:
        command_keys.remember(uow, command="promise", key=key, content=content, ref={},
                              now=now)
    return made


@dataclass(frozen=True, slots=True)
class InboundResult:
    """A borrower's own message: who sent it, what it was recorded as, whether it
    opted them out of the channel (and whether that flag was new)."""

    borrower_id: int
    outcome: Outcome
    opted_out: bool
    flag_changed: bool
    replayed: bool


def record_inbound_message(app: Dunwell, *, channel: str, text: str, at: dt.datetime,
                    now: dt.datetime, borrower_id: int | None = None,
                    sender: str | None = None) -> InboundResult:
    """A message from the borrower (``borrower_id``, or the ``sender`` address stored
    for the channel) is recorded as an inbound contact. STOP, 退订 or TD sets the
    borrower's opt-out flag for the channel, which every pack obeys, and is recorded
    as an ``opt_out_request``; anything else as a ``conversation``. The same message
    again changes nothing."""
    try:
        chosen = Channel(channel)
    except ValueError:
        raise InvalidInput(f"channel {channel!r} is not one of sms, email, in_app, "
                           "social_media", code="contact_must_use_known_terms",
                           field="channel") from None
    if at.tzinfo is None or now.tzinfo is None:
        raise InvalidInput("message times must carry a time zone",
                           code="timestamp_must_carry_offset", field="at")
    stop = asks_to_stop(text[:INBOUND_TEXT_CHARS_MAX])
    outcome = Outcome.OPT_OUT_REQUEST if stop else Outcome.CONVERSATION
    with app.uow() as uow:
        people = uow.borrowers
        if borrower_id is None:
            if not sender:
                raise InvalidInput("name the borrower (borrower_id) or the sender's address "
                                   "(from)", code="inbound_must_name_sender", field="from")
            found = people.by_address(chosen.value, sender.strip())
            if found is None:
                raise NotFound(f"no one borrower has the {chosen.value} address {sender!r}",
                               code="sender_must_be_known", field="from")
            borrower_id = found
        flag = OPT_OUT_FLAGS.get(chosen)
        changed = False
        if stop and flag is not None:
            changed = people.set_flag(borrower_id, flag, on=True)
        logged = log_contact(uow, borrower_id=borrower_id, at=at, channel=chosen.value,
                              outcome=outcome.value, direction=Direction.INBOUND.value, now=now)
        if changed:
            record(uow, at=now, entries=[("opt_out", f"borrower:{borrower_id}", {
                "channel": chosen.value, "flag": flag.value if flag else None,
                "ts": at.isoformat(), "text": text[:64]})])
        uow.commit()
    return InboundResult(borrower_id, outcome, stop, changed, logged.replayed and not changed)


def set_contact_preferences(app: Dunwell, *, borrower_id: int,
                            no_contact_before: dt.time | Keep | None = KEEP,
                            no_contact_after: dt.time | Keep | None = KEEP,
                            channels: Sequence[str] | None = None,
                            language: str | None = None, reason: str | None = None,
                            now: dt.datetime) -> Borrower:
    """Store what the borrower asked: no contact before/after a local time (None clears
    it; ``KEEP`` leaves it), the only channels they may be contacted by (empty: no
    restriction), their language. The guard obeys them from the next decision on."""
    try:
        chosen = None if channels is None else tuple(Channel(c) for c in channels)
    except ValueError as exc:
        raise InvalidInput(f"{exc}; channels are call, sms, email, letter, visit, in_app",
                           code="channel_must_be_known", field="channels") from None
    if language is not None and not LANGUAGE.match(language):
        raise InvalidInput(f"language {language!r} must be a tag like zh-CN or en-GB",
                           code="language_must_be_a_tag", field="language")
    with app.uow() as uow:
        people = uow.borrowers
        current = people.get(borrower_id).borrower
        prefs = current.contact_preferences
        before = prefs.no_contact_before if isinstance(no_contact_before, Keep) else (
            no_contact_before)
        after = prefs.no_contact_after if isinstance(no_contact_after, Keep) else (
            no_contact_after)
        updated = ContactPreferences(before, after, reason if reason is not None
                                     else prefs.reason)
        channels_now = current.preferred_channels if chosen is None else chosen
        lang = language or current.language or ""
        people.set_contact_preferences(borrower_id, preferences=updated,
                                       channels=channels_now, language=lang)
        record(uow, at=now, entries=[("contact_preferences", f"borrower:{borrower_id}", {
            "no_contact_before": None if before is None else before.isoformat("minutes"),
            "no_contact_after": None if after is None else after.isoformat("minutes"),
            "channels": [c.value for c in channels_now], "language": lang,
            "reason": updated.reason})])
        stored = people.get(borrower_id).borrower
        uow.commit()
    return stored
