"""US-RegF: CFPB Regulation F (12 CFR 1006) and the FDCPA, as a policy pack.

Hours: 08:00:00 and 21:00:00 local are allowed; only "before 8" and "after 9" are
presumed inconvenient. Calls: at most 7 in 7 consecutive local days per person per
debt (not-connected calls excluded), none in the 7 days that start with the day of
a telephone conversation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dunwell.compliance.history import conversation_days, outbound_by_day
from dunwell.compliance.localtime import start_of_day
from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContactEvent,
    ContentTag,
    Jurisdiction,
    LocalWindow,
    Outcome,
    ProposedAction,
    Recipient,
)
from dunwell.compliance.packs import universal as u
from dunwell.compliance.packs.base import (
    EIGHT_TO_NINE,
    ELECTRONIC_CHANNELS,
    Check,
    Objection,
    Pack,
    PackParams,
    Rule,
    Stage,
    defer,
    deny,
)

History = Sequence[ContactEvent]


@dataclass(frozen=True)
class USParams(PackParams):
    #: §1006.6(b)(1)(i): before 8:00 or after 21:00 is inconvenient; both ends allowed.
    window: LocalWindow = EIGHT_TO_NINE
    #: §1006.14(b)(2)(i)(A): more than 7 calls in 7 consecutive days is presumed a
    #: violation. A state may be stricter (Massachusetts 209 CMR 18.16: 2).
    calls_per_7_days_max: int = 7
    #: §1006.14(b)(3)(iii) (US-RegF-EXCL): calls that do not connect are not counted.
    uncounted_call_outcomes: frozenset[Outcome] = frozenset({Outcome.NOT_CONNECTED})
    #: §1006.14(b)(2)(i)(B): outcomes of a call that mean a conversation took place.
    conversation_outcomes: frozenset[Outcome] = frozenset(
        {Outcome.CONVERSATION, Outcome.PROMISE_TO_PAY, Outcome.DISPUTE_RECEIVED}
    )
    #: Days, counting the conversation's day as day 1, with no further call.
    conversation_quiet_days: int = 7


def opt_out_notice(a: ProposedAction, h: History, b: Borrower, p: USParams) -> Objection | None:
    if a.channel in ELECTRONIC_CHANNELS and ContentTag.OPT_OUT_NOTICE not in a.content_tags:
        return deny(
            f"every {a.channel} message must carry a clear, simple way to opt out "
            "(add opt_out_notice)"
        )
    return None


def after_conversation(a: ProposedAction, h: History, b: Borrower, p: USParams) -> Objection | None:
    if a.channel is not Channel.CALL or a.recipient is not Recipient.BORROWER:
        return None
    zone = b.zone
    today = a.ts.astimezone(zone).date()
    span = dt.timedelta(days=p.conversation_quiet_days)
    recent = [
        d for d in conversation_days(h, zone, p.conversation_outcomes) if d <= today < d + span
    ]
    if not recent:
        return None
    talked = max(recent)
    free = talked + span
    return defer(
        start_of_day(free, zone),
        f"a telephone conversation on {talked.isoformat()} (day 1) rules out calls "
        f"through {(free - dt.timedelta(days=1)).isoformat()}",
    )


def seven_in_seven(a: ProposedAction, h: History, b: Borrower, p: USParams) -> Objection | None:
    if a.channel is not Channel.CALL or a.recipient is not Recipient.BORROWER:
        return None
    zone = b.zone
    today = a.ts.astimezone(zone).date()
    per_day = outbound_by_day(h, zone, Channel.CALL, uncounted=p.uncounted_call_outcomes)

    def placed(last: dt.date) -> int:
        return sum(per_day[last - dt.timedelta(days=k)] for k in range(7))

    if placed(today) < p.calls_per_7_days_max:
        return None
    for step in range(1, 8):
        day = today + dt.timedelta(days=step)
        if placed(day) < p.calls_per_7_days_max:
            return defer(
                start_of_day(day, zone),
                f"{placed(today)} calls already placed in the 7 days to {today.isoformat()} "
                f"(limit {p.calls_per_7_days_max}); the next is possible on {day.isoformat()}",
            )
    return deny(f"calls are limited to {p.calls_per_7_days_max} in 7 days")


def _rule(rule_id: str, stage: Stage, summary: str, check: Check[USParams]) -> Rule[USParams]:
    return Rule(rule_id, stage, summary, check)


_ON_SOCIAL = frozenset({Channel.SOCIAL_MEDIA})
_OFF_SOCIAL = frozenset(Channel) - _ON_SOCIAL
_PUBLIC = frozenset({ContentTag.PUBLIC_POST, ContentTag.PUBLIC_EXPOSURE})
_SOCIAL_WHY = "on social media only private messages are allowed"
_PUBLIC_WHY = "the debt must never be made visible to other people"

RULES: tuple[Rule[USParams], ...] = (
    *u.status_rules(cease_id="US-RegF-CEASE", breathing_space_id="UNIVERSAL-BREATHING-SPACE",
                    breathing_space_summary="no payment requests in a moratorium"),
    _rule("US-RegF-FALSE", Stage.CONDUCT, "no threats", u.threat),
    _rule("US-RegF-FALSE", Stage.CONDUCT, "no fake legal documents", u.fake_legal),
    _rule(
        "US-RegF-SOCIAL",
        Stage.CONDUCT,
        "social media: private messages only",
        u.forbidden_content(_PUBLIC, _SOCIAL_WHY, channels=_ON_SOCIAL),
    ),
    _rule(
        "US-RegF-3P",
        Stage.CONDUCT,
        "no public exposure of the debt",
        u.forbidden_content(_PUBLIC, _PUBLIC_WHY, channels=_OFF_SOCIAL),
    ),
    _rule("UNIVERSAL-PRESSURE", Stage.CONDUCT, "no pressure", u.pressure),
    _rule(
        "UNIVERSAL-PRESSURE",
        Stage.CONDUCT,
        "no 48-hour full-balance demands, no suggestion to borrow",
        u.unaffordable_demand,
    ),
    _rule(
        "US-RegF-TBD", Stage.CONDUCT, "no threat of suit on a time-barred debt", u.time_barred_suit
    ),
    _rule("US-RegF-DISPUTE", Stage.STANDING, "a dispute pauses collection", u.dispute),
    _rule("UNIVERSAL-HARDSHIP", Stage.STANDING, "respect a hardship plan", u.hardship),
    _rule(
        "CONSENT-WITHDRAWN", Stage.RECIPIENT, "a withdrawn consent stops that contact",
        u.consent_withdrawn,
    ),
    _rule("US-RegF-ATTY", Stage.RECIPIENT, "represented: contact the attorney", u.attorney),
    _rule("US-RegF-WORK", Stage.RECIPIENT, "employer prohibits contact at work", u.employer),
    _rule(
        "US-RegF-3P",
        Stage.RECIPIENT,
        "no third-party communication without the consumer's consent",
        u.third_party_unless_consented(
            "needs the borrower's prior consent given directly (12 CFR 1006.6(d)(1))"
        ),
    ),
    _rule("US-RegF-MEDIUM", Stage.MEDIUM, "respect a medium opt-out", u.opt_out),
    _rule(
        "US-RegF-WORK-EMAIL",
        Stage.MEDIUM,
        "no e-mail to a work address without consent",
        u.work_email,
    ),
    _rule("US-RegF-OPTOUT", Stage.MEDIUM, "electronic messages carry an opt-out", opt_out_notice),
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
        "US-RegF-TIME",
        Stage.TIME,
        "08:00-21:00 local and the borrower's own hours",
        u.contact_hours,
    ),
    _rule("UNIVERSAL-QUIET-DAYS", Stage.TIME, "no contact on configured quiet days", u.quiet_days),
    _rule(
        "US-RegF-CONV7",
        Stage.FREQUENCY,
        "no call for 7 days from a conversation",
        after_conversation,
    ),
    _rule("US-RegF-FREQ7", Stage.FREQUENCY, "at most 7 calls in 7 days", seven_in_seven),
    _rule("UNIVERSAL-DAILY-CAP", Stage.FREQUENCY, "configured per-channel daily caps", u.daily_cap),
)

PACK = Pack(Jurisdiction.US_REGF, USParams(), RULES)
