"""Checks every pack uses; each pack gives them its own rule ids.

Each check is ``check(action, history, borrower, params) -> Objection | None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dunwell.compliance.consent import (
    Purpose,
    third_party_problem,
    withdrawn_problem,
    work_email_problem,
)
from dunwell.compliance.history import (
    breathing_space_since,
    has_outcome,
    opted_out_channels,
    outbound_by_day,
)
from dunwell.compliance.localtime import (
    allowed_windows,
    next_opening,
    preference_windows,
    start_of_day,
    window_at,
)
from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContactEvent,
    ContentTag,
    Flag,
    Outcome,
    ProposedAction,
    Recipient,
)
from dunwell.compliance.packs.base import (
    TIMED_CHANNELS,
    Check,
    Objection,
    P,
    PackParams,
    Rule,
    Stage,
    defer,
    deny,
    is_collecting,
    is_termination_notice,
    is_third_party,
)

History = Sequence[ContactEvent]

#: What a hardship plan in good standing rules out: asking for more than the plan.
HARDSHIP_DENIED_TAGS = frozenset({
    ContentTag.PAYMENT_REQUEST, ContentTag.DEMAND_FULL_BALANCE_48H,
    ContentTag.FEE_ADDED, ContentTag.THREAT_OF_SUIT,
})  # fmt: skip
#: What a vulnerable borrower is never pressed with, in every pack: a demand for
#: payment, a short deadline, a fee or a threat of suit. Reminders, plan offers,
#: confirmations and signposts to free advice still reach them.
VULNERABLE_DENIED_TAGS = HARDSHIP_DENIED_TAGS
OPT_OUT_FLAGS = {
    Channel.SMS: Flag.OPT_OUT_SMS,
    Channel.EMAIL: Flag.OPT_OUT_EMAIL,
    Channel.CALL: Flag.OPT_OUT_CALL,
    Channel.VISIT: Flag.OPT_OUT_VISIT,
}
#: Quiet days in a row the search for the next open day looks through.
QUIET_DAYS_MAX = 366


def deceased(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    if b.has(Flag.DECEASED):
        return deny("the borrower is recorded as deceased: no collection contact")
    return None


def bankruptcy(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    if b.has(Flag.BANKRUPTCY) and not is_termination_notice(a):
        return deny(
            "the borrower is in bankruptcy and collection is stayed; "
            "only a notice that collection has stopped may be sent"
        )
    return None


def cease(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    asked = b.has(Flag.CEASE_CONTACT) or has_outcome(h, Outcome.WRITTEN_CEASE_REQUEST)
    if asked and not is_termination_notice(a):
        return deny(
            "the borrower asked that collection contact cease; "
            "only a notice that collection has stopped may be sent"
        )
    return None


def breathing_space(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    since = breathing_space_since(h, a.ts, p.breathing_space_assume_end_days)
    if not (b.has(Flag.BREATHING_SPACE) or since is not None) or not is_collecting(a):
        return None
    started = "" if since is None else f" since {since.date().isoformat()}"
    return deny(
        f"a breathing space (debt respite moratorium) is in force{started}: "
        "no request for payment, no fees or interest until it ends"
    )


def forbidden_content(
    tags: frozenset[ContentTag],
    why: str,
    *,
    channels: frozenset[Channel] = frozenset(Channel),
) -> Check[PackParams]:
    """A check denying any action on ``channels`` that carries one of ``tags``."""

    def check(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
        found = sorted(a.content_tags & tags)
        if found and a.channel in channels:
            return deny(f"{why} (content: {', '.join(found)})")
        return None

    return check


THREAT_WHY = "threats, intimidation and abuse are never allowed"
threat = forbidden_content(frozenset({ContentTag.THREAT}), THREAT_WHY)
fake_legal = forbidden_content(
    frozenset({ContentTag.FAKE_LEGAL}),
    "forged legal documents and posing as a court, the police or a lawyer are never allowed",
)
public_exposure = forbidden_content(
    frozenset({ContentTag.PUBLIC_POST, ContentTag.PUBLIC_EXPOSURE}),
    "the debt must never be made visible to the public or the borrower's contacts",
)
pressure = forbidden_content(
    frozenset({ContentTag.PRESSURE}), "pressurising the borrower is never allowed"
)
unaffordable_demand = forbidden_content(
    frozenset({ContentTag.DEMAND_FULL_BALANCE_48H, ContentTag.SUGGEST_BORROW_TO_REPAY}),
    "demanding the whole balance at short notice, or that the borrower borrow to repay, "
    "is not allowed",
)


def time_barred_suit(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    if b.has(Flag.TIME_BARRED) and ContentTag.THREAT_OF_SUIT in a.content_tags:
        return deny("the debt is time-barred: suing, or threatening to sue, is not allowed")
    return None


def dispute(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    disputed = b.has(Flag.DISPUTED) or has_outcome(h, Outcome.DISPUTE_RECEIVED)
    recorded = next((d for d in b.disputes if d.open_at(a.ts)), None)
    if (disputed or recorded is not None) and is_collecting(a):
        where = "" if recorded is None else (
            f" (dispute {recorded.reference or 'on record'} open since "
            f"{recorded.opened_at.date().isoformat()})")
        return deny(
            "the borrower disputes the debt: collection pauses until the dispute is "
            f"answered{where}"
        )
    return None


def hardship(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    found = sorted(a.content_tags & HARDSHIP_DENIED_TAGS)
    if b.has(Flag.HARDSHIP_PLAN) and found:
        return deny(
            "the borrower keeps to a hardship plan: no demand beyond the plan, no fees, "
            f"no threat of suit (content: {', '.join(found)})"
        )
    return None


def attorney(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    if b.has(Flag.ATTORNEY_REPRESENTED) and a.recipient is Recipient.BORROWER:
        return deny("the borrower is represented by an attorney: contact the attorney instead")
    return None


def employer(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    if b.has(Flag.EMPLOYER_PROHIBITS_CONTACT) and a.recipient is Recipient.EMPLOYER:
        return deny("the borrower's employer prohibits collection contact at work")
    return None


def third_party(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    if is_third_party(a, b):
        return deny(
            f"contact with a third party ({a.recipient}, {a.channel}) about the debt is not allowed"
        )
    return None


def purpose_of(action: ProposedAction) -> Purpose:
    """What a consent must cover for ``action``: collections when it asks for anything."""
    return Purpose.COLLECTIONS if is_collecting(action) else Purpose.SERVICING


def consent_withdrawn(a: ProposedAction, h: History, b: Borrower,
                      p: PackParams) -> Objection | None:
    problem = withdrawn_problem(a, b, purpose_of(a))
    return None if problem is None else deny(problem)


def third_party_unless_consented(rule_text: str) -> Check[PackParams]:
    """A check denying a third-party contact unless a consent for the named party by
    the action's channel is in force; ``rule_text`` says which rule needs it."""

    def check(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
        if not is_third_party(a, b):
            return None
        problem = third_party_problem(a, b, purpose_of(a), rule_text=rule_text)
        return None if problem is None else deny(problem)

    return check


def work_email(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    problem = work_email_problem(a, b, purpose_of(a))
    return None if problem is None else deny(problem)


def opt_out(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    flag = OPT_OUT_FLAGS.get(a.channel)
    if (flag is not None and b.has(flag)) or a.channel in opted_out_channels(h):
        return deny(f"the borrower asked not to be contacted by {a.channel}")
    return None


def vulnerable_visit(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    if b.has(Flag.VULNERABLE) and a.channel is Channel.VISIT:
        return deny("the borrower is known to be vulnerable: no field visit")
    return None


def vulnerable_pressure(a: ProposedAction, h: History, b: Borrower,
                        p: PackParams) -> Objection | None:
    found = sorted(a.content_tags & VULNERABLE_DENIED_TAGS)
    if b.has(Flag.VULNERABLE) and found:
        return deny(
            "the borrower is known to be vulnerable: no demand for payment, fee or threat "
            f"of suit; remind, offer a plan or signpost free advice (content: {', '.join(found)})"
        )
    return None


def contact_hours(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    """Inside the pack's hours and the borrower's own, in the borrower's zone."""
    if a.channel not in TIMED_CHANNELS:
        return None
    zone, prefs = b.zone, b.contact_preferences
    windows = allowed_windows(p.contact_window(), prefs)
    here = a.ts.astimezone(zone)
    if window_at(windows, here.time()) is not None:
        return None
    hours = p.contact_window().label()
    own = ""
    if prefs.no_contact_before is not None or prefs.no_contact_after is not None:
        own = " and the borrower's requested hours " + " or ".join(
            w.label() for w in preference_windows(prefs)
        )
    where = f"{here.strftime('%H:%M:%S')} local time ({b.timezone})"
    opening = next_opening(windows, a.ts, zone)
    if opening is None:
        return deny(f"the permitted hours {hours}{own} never overlap")
    return defer(
        opening,
        f"{where} is outside the permitted hours {hours}{own}; earliest {opening.isoformat()}",
    )


def quiet_days(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    if a.channel not in TIMED_CHANNELS:
        return None
    zone = b.zone
    day = a.ts.astimezone(zone).date()
    if not _quiet(day, p):
        return None
    for step in range(1, QUIET_DAYS_MAX + 1):
        later = day + dt.timedelta(days=step)
        if not _quiet(later, p):
            return defer(start_of_day(later, zone), f"{day.isoformat()} is a day without contact")
    return deny("every day of the coming year is marked as a day without contact")


def daily_cap(a: ProposedAction, h: History, b: Borrower, p: PackParams) -> Objection | None:
    cap = p.daily_caps.get(a.channel)
    if cap is None:
        return None
    zone = b.zone
    day = a.ts.astimezone(zone).date()
    sent = outbound_by_day(h, zone, a.channel)[day]
    if sent < cap:
        return None
    return defer(
        start_of_day(day + dt.timedelta(days=1), zone),
        f"{sent} {a.channel} contacts already on {day.isoformat()} (cap {cap} a day)",
    )


def _quiet(day: dt.date, p: PackParams) -> bool:
    return day in p.quiet_dates or day.weekday() in p.quiet_weekdays


def status_rules(*, cease_id: str, breathing_space_id: str,
                 breathing_space_summary: str) -> tuple[Rule[P], ...]:
    """The status rules every pack starts with (deceased, bankruptcy, cease, breathing
    space); packs differ only in the ids they cite for cease and breathing space."""
    return (
        Rule("UNIVERSAL-DECEASED", Stage.STATUS, "no contact about a deceased borrower's debt",
             deceased),
        Rule("UNIVERSAL-BANKRUPTCY", Stage.STATUS, "bankruptcy stays collection", bankruptcy),
        Rule(cease_id, Stage.STATUS, "written cease request ends contact", cease),
        Rule(breathing_space_id, Stage.STATUS, breathing_space_summary, breathing_space),
    )
