"""CN-NIFA: GB/T 45251-2025 and NIFA's 2018 self-regulatory convention.

Hours: 08:00 to 20:00 local (20:00 itself is outside); 22:00-08:00 is forbidden by
every source and 20:00-22:00 is unsettled, so it is closed unless
``evening_allowed``. Third parties only through the pre-agreed emergency contact,
only when the borrower cannot be reached, and never with debt details. Visits are
recorded in full audio and video.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dunwell.compliance.history import has_outcome, outbound_by_day
from dunwell.compliance.localtime import start_of_day
from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContactEvent,
    ContentTag,
    Flag,
    Jurisdiction,
    LocalWindow,
    Outcome,
    ProposedAction,
)
from dunwell.compliance.packs import universal as u
from dunwell.compliance.packs.base import (
    COLLECTING_TAGS,
    Check,
    Objection,
    Pack,
    PackParams,
    Rule,
    Stage,
    defer,
    deny,
    is_third_party,
)

History = Sequence[ContactEvent]
_PRESSING_TAGS = frozenset({
    ContentTag.DEBT_DISCLOSURE, ContentTag.PRESSURE, ContentTag.THREAT,
    ContentTag.DEMAND_FULL_BALANCE_48H, ContentTag.SUGGEST_BORROW_TO_REPAY,
}) | COLLECTING_TAGS  # fmt: skip

#: 08:00 up to, not including, 20:00 local.
EIGHT_TO_EIGHT = LocalWindow(dt.time(8), dt.time(20), end_inclusive=False)


@dataclass(frozen=True)
class CNParams(PackParams):
    #: The safe intersection of the sources: 08:00 up to (not including) 20:00.
    window: LocalWindow = EIGHT_TO_EIGHT
    #: Open 20:00-22:00 as well (the 公约 art. 16 reading "8:00-22:00").
    evening_allowed: bool = False
    #: "No frequent calls": 3 calls a day is only in secondary summaries (unverified).
    calls_per_day_max: int = 3
    #: Channels through which the pre-agreed emergency contact may be reached.
    emergency_contact_channels: frozenset[Channel] = frozenset(
        {Channel.CALL, Channel.SMS, Channel.THIRD_PARTY_CALL}
    )
    visit_requires_certified_staff: bool = True
    visit_requires_prior_notice: bool = False

    def contact_window(self) -> LocalWindow:
        if self.evening_allowed:
            return LocalWindow(self.window.start, dt.time(22), end_inclusive=False)
        return self.window


def emergency_contact_problem(a: ProposedAction, b: Borrower, p: CNParams) -> str | None:
    """Why the pre-agreed emergency contact may not be contacted, or None."""
    if not b.has(Flag.LOST_CONTACT):
        return "the emergency contact may be used only when the borrower cannot be reached"
    if a.channel not in p.emergency_contact_channels:
        return f"the emergency contact may not be reached by {a.channel}"
    if ContentTag.NO_DEBT_DETAILS not in a.content_tags:
        return "a message to the emergency contact must carry no debt details (no_debt_details)"
    pressing = sorted(a.content_tags & _PRESSING_TAGS)
    if pressing:
        return (
            "the emergency contact may only be asked to pass on a message, never pressed "
            f"or told about the debt (content: {', '.join(pressing)})"
        )
    return None


def emergency_contact(a: ProposedAction, h: History, b: Borrower, p: CNParams) -> Objection | None:
    if not is_third_party(a, b) or ContentTag.PRE_AGREED_EMERGENCY_CONTACT not in a.content_tags:
        return None
    problem = emergency_contact_problem(a, b, p)
    return None if problem is None else deny(problem)


def third_party(a: ProposedAction, h: History, b: Borrower, p: CNParams) -> Objection | None:
    if ContentTag.PRE_AGREED_EMERGENCY_CONTACT in a.content_tags:
        return None
    return u.third_party(a, h, b, p)


def recording(a: ProposedAction, h: History, b: Borrower, p: CNParams) -> Objection | None:
    if ContentTag.NO_RECORDING in a.content_tags and a.channel in (
        Channel.CALL,
        Channel.THIRD_PARTY_CALL,
        Channel.VISIT,
    ):
        return deny(f"a {a.channel} must be recorded; no_recording is not allowed")
    if a.channel is Channel.VISIT and ContentTag.AUDIO_VIDEO_RECORDING not in a.content_tags:
        return deny("an on-site visit must be recorded in full audio and video")
    return None


def certified_staff(a: ProposedAction, h: History, b: Borrower, p: CNParams) -> Objection | None:
    if (
        a.channel is Channel.VISIT
        and p.visit_requires_certified_staff
        and ContentTag.STAFF_CERTIFIED not in a.content_tags
    ):
        return deny("an on-site visit must be made by certified collection staff")
    return None


def visit_notice(a: ProposedAction, h: History, b: Borrower, p: CNParams) -> Objection | None:
    noticed = ContentTag.PRIOR_NOTICE in a.content_tags or has_outcome(
        h, Outcome.VISIT_NOTICE_DELIVERED
    )
    if a.channel is Channel.VISIT and p.visit_requires_prior_notice and not noticed:
        return deny("an on-site visit needs notice beforehand")
    return None


def calls_per_day(a: ProposedAction, h: History, b: Borrower, p: CNParams) -> Objection | None:
    if a.channel not in (Channel.CALL, Channel.THIRD_PARTY_CALL):
        return None
    zone = b.zone
    day = a.ts.astimezone(zone).date()
    placed = outbound_by_day(h, zone, a.channel)[day]
    if placed < p.calls_per_day_max:
        return None
    return defer(
        start_of_day(day + dt.timedelta(days=1), zone),
        f"{placed} calls already placed on {day.isoformat()} "
        f"(no frequent calls: at most {p.calls_per_day_max} a day)",
    )


def _rule(rule_id: str, stage: Stage, summary: str, check: Check[CNParams]) -> Rule[CNParams]:
    return Rule(rule_id, stage, summary, check)


RULES: tuple[Rule[CNParams], ...] = (
    *u.status_rules(cease_id="UNIVERSAL-CEASE", breathing_space_id="UNIVERSAL-BREATHING-SPACE",
                    breathing_space_summary="no payment requests in a moratorium"),
    _rule("CN-FAKE", Stage.CONDUCT, "no forged legal documents or impersonation", u.fake_legal),
    _rule("CN-MEANS", Stage.CONDUCT, "no violence, threats or intimidation", u.threat),
    _rule("CN-MEANS", Stage.CONDUCT, "no harassment or pressure", u.pressure),
    _rule("CN-PUBLIC", Stage.CONDUCT, "no public exposure of the debt", u.public_exposure),
    _rule(
        "UNIVERSAL-PRESSURE",
        Stage.CONDUCT,
        "no 48-hour full-balance demands, no suggestion to borrow",
        u.unaffordable_demand,
    ),
    _rule(
        "UNIVERSAL-TIME-BARRED",
        Stage.CONDUCT,
        "no threat of suit on a time-barred debt",
        u.time_barred_suit,
    ),
    _rule("UNIVERSAL-DISPUTE", Stage.STANDING, "a dispute pauses collection", u.dispute),
    _rule("UNIVERSAL-HARDSHIP", Stage.STANDING, "respect a hardship plan", u.hardship),
    _rule(
        "CONSENT-WITHDRAWN", Stage.RECIPIENT, "a withdrawn consent stops that contact",
        u.consent_withdrawn,
    ),
    _rule("UNIVERSAL-ATTORNEY", Stage.RECIPIENT, "represented: contact the attorney", u.attorney),
    _rule("UNIVERSAL-EMPLOYER", Stage.RECIPIENT, "employer prohibits contact at work", u.employer),
    _rule(
        "CN-EMERG",
        Stage.RECIPIENT,
        "emergency contact only when unreachable, no details",
        emergency_contact,
    ),
    _rule("CN-3P", Stage.RECIPIENT, "collect only from the borrower", third_party),
    _rule("UNIVERSAL-OPT-OUT", Stage.MEDIUM, "respect a channel opt-out", u.opt_out),
    _rule(
        "UNIVERSAL-VULNERABLE",
        Stage.MEDIUM,
        "no visits to a vulnerable borrower",
        u.vulnerable_visit,
    ),
    _rule(
        "UNIVERSAL-VULNERABLE",
        Stage.MEDIUM,
        "no payment demands on a vulnerable borrower",
        u.vulnerable_pressure,
    ),
    _rule(
        "CN-RECORD", Stage.MEDIUM, "visits recorded in audio and video; calls recorded", recording
    ),
    _rule("CN-VISIT-STAFF", Stage.MEDIUM, "visits by certified staff", certified_staff),
    _rule("CN-VISIT-NOTICE", Stage.MEDIUM, "visits announced (off by default)", visit_notice),
    _rule("CN-TIME", Stage.TIME, "08:00-20:00 local and the borrower's own hours", u.contact_hours),
    _rule("UNIVERSAL-QUIET-DAYS", Stage.TIME, "no contact on configured quiet days", u.quiet_days),
    _rule("CN-FREQ", Stage.FREQUENCY, "no frequent calls", calls_per_day),
    _rule("UNIVERSAL-DAILY-CAP", Stage.FREQUENCY, "configured per-channel daily caps", u.daily_cap),
)

PACK = Pack(Jurisdiction.CN_NIFA, CNParams(), RULES)
