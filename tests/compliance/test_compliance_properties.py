"""Property: the guard allows exactly what a plain restatement of the packs allows.

``violations`` below restates every rule of every pack (default parameters) as
simple conditions, without the packs' code. Across random borrowers, histories and
proposals, ``decide`` must allow only when it finds no violation, and when it does
not allow, its deciding rule must be one of the violations found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hypothesis import event, given, settings
from hypothesis import strategies as st

from dunwell.compliance import (
    Borrower,
    Channel,
    ContactEvent,
    ContactPreferences,
    ContentTag,
    Direction,
    Flag,
    Jurisdiction,
    Outcome,
    ProposedAction,
    Recipient,
    decide,
)

C, T, F, OUT, R = Channel, ContentTag, Flag, Outcome, Recipient
US, CN, UK = Jurisdiction.US_REGF, Jurisdiction.CN_NIFA, Jurisdiction.UK_FCA

ASKS_FOR_MONEY = {
    T.PAYMENT_REMINDER,
    T.PAYMENT_REQUEST,
    T.REMINDER_LETTER,
    T.SETTLEMENT_OFFER,
    T.INSTALMENT_PLAN,
    T.FEE_ADDED,
    T.DEMAND_FULL_BALANCE_48H,
    T.THREAT_OF_SUIT,
}
HARMLESS_PURPOSE = {
    T.PLAN_CONFIRMATION,
    T.INTEREST_FROZEN,
    T.NOTICE_COLLECTION_TERMINATED,
    T.SIGNPOST_FREE_DEBT_ADVICE,
}
OTHER_PEOPLE = {R.RELATIVE, R.EMPLOYER, R.NEIGHBOR, R.SOCIAL_CONTACT}
CHANNEL_OPT_OUT = {
    C.SMS: F.OPT_OUT_SMS,
    C.EMAIL: F.OPT_OUT_EMAIL,
    C.CALL: F.OPT_OUT_CALL,
    C.VISIT: F.OPT_OUT_VISIT,
}


def pick(j: Jurisdiction, us: str, cn: str, uk: str) -> str:
    return {US: us, CN: cn, UK: uk}[j]


@dataclass(frozen=True)
class Case:
    """What every restated rule reads of one proposal: the action, its history up to
    the proposal, the borrower and the jurisdiction, and the facts derived from them."""

    action: ProposedAction
    past: list[ContactEvent]
    borrower: Borrower
    j: Jurisdiction

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.borrower.timezone)

    @property
    def tags(self) -> frozenset[ContentTag]:
        return self.action.content_tags

    @property
    def flags(self) -> frozenset[Flag]:
        return self.borrower.flags

    @property
    def channel(self) -> Channel:
        return self.action.channel

    @property
    def to(self) -> Recipient:
        return self.action.recipient

    @property
    def now(self) -> dt.datetime:
        return self.action.ts.astimezone(self.zone)

    @property
    def outcomes(self) -> set[Outcome]:
        return {e.outcome for e in self.past}

    @property
    def asks(self) -> bool:
        return bool(self.tags & ASKS_FOR_MONEY) or not (self.tags & HARMLESS_PURPOSE)

    @property
    def stops_only(self) -> bool:
        return T.NOTICE_COLLECTION_TERMINATED in self.tags and not self.tags & ASKS_FOR_MONEY

    def pick(self, us: str, cn: str, uk: str) -> str:
        return pick(self.j, us, cn, uk)

    def day(self, e: ContactEvent) -> dt.date:
        return e.ts.astimezone(self.zone).date()


HARDSHIP_NO = {T.PAYMENT_REQUEST, T.DEMAND_FULL_BALANCE_48H, T.FEE_ADDED, T.THREAT_OF_SUIT}


def violations(
    action: ProposedAction, history: Sequence[ContactEvent], borrower: Borrower, j: Jurisdiction
) -> set[str]:
    case = Case(action, [e for e in history if e.ts <= action.ts], borrower, j)
    return (status_violations(case) | conduct_violations(case) | standing_violations(case)
            | recipient_violations(case) | medium_violations(case) | local_violations(case)
            | time_violations(case) | frequency_violations(case))


def status_violations(c: Case) -> set[str]:
    found: set[str] = set()
    if F.DECEASED in c.flags:
        found.add("UNIVERSAL-DECEASED")
    if F.BANKRUPTCY in c.flags and not c.stops_only:
        found.add("UNIVERSAL-BANKRUPTCY")
    if (F.CEASE_CONTACT in c.flags or OUT.WRITTEN_CEASE_REQUEST in c.outcomes) \
            and not c.stops_only:
        found.add(c.pick("US-RegF-CEASE", "UNIVERSAL-CEASE", "UNIVERSAL-CEASE"))
    notices = [e.ts for e in c.past if e.outcome is OUT.BREATHING_SPACE_NOTICE]
    in_space = bool(notices) and not any(
        e.outcome is OUT.BREATHING_SPACE_ENDED and e.ts >= max(notices) for e in c.past
    )
    if (F.BREATHING_SPACE in c.flags or in_space) and c.asks:
        found.add(c.pick("UNIVERSAL-BREATHING-SPACE", "UNIVERSAL-BREATHING-SPACE", "UK-BS"))
    return found


def conduct_violations(c: Case) -> set[str]:
    found: set[str] = set()
    tags = c.tags
    if T.THREAT in tags:
        uk_threat = "UK-CONC-7.9-VISIT" if c.channel is C.VISIT else "UNIVERSAL-THREAT"
        found.add(c.pick("US-RegF-FALSE", "CN-MEANS", uk_threat))
    if T.FAKE_LEGAL in tags:
        found.add(c.pick("US-RegF-FALSE", "CN-FAKE", "UK-CONC-7.11"))
    if tags & {T.PUBLIC_POST, T.PUBLIC_EXPOSURE}:
        us_public = "US-RegF-SOCIAL" if c.channel is C.SOCIAL_MEDIA else "US-RegF-3P"
        found.add(c.pick(us_public, "CN-PUBLIC", "UK-CONC-7.9.6R"))
    if T.PRESSURE in tags:
        found.add(c.pick("UNIVERSAL-PRESSURE", "CN-MEANS", "UK-CONC-7.3.10R"))
    if tags & {T.DEMAND_FULL_BALANCE_48H, T.SUGGEST_BORROW_TO_REPAY}:
        found.add(c.pick("UNIVERSAL-PRESSURE", "UNIVERSAL-PRESSURE", "UK-CONC-7.3.10R"))
    if F.TIME_BARRED in c.flags and T.THREAT_OF_SUIT in tags:
        found.add(c.pick("US-RegF-TBD", "UNIVERSAL-TIME-BARRED", "UK-CONC-7.15"))
    return found


def standing_violations(c: Case) -> set[str]:
    found: set[str] = set()
    if (F.DISPUTED in c.flags or OUT.DISPUTE_RECEIVED in c.outcomes) and c.asks:
        found.add(c.pick("US-RegF-DISPUTE", "UNIVERSAL-DISPUTE", "UK-CONC-7.14"))
    if F.HARDSHIP_PLAN in c.flags and c.tags & HARDSHIP_NO:
        found.add(c.pick("UNIVERSAL-HARDSHIP", "UNIVERSAL-HARDSHIP", "UK-CONC-7.3.4R"))
    return found


def recipient_violations(c: Case) -> set[str]:
    found: set[str] = set()
    flags, tags, to, channel = c.flags, c.tags, c.to, c.channel
    if F.ATTORNEY_REPRESENTED in flags and to is R.BORROWER:
        found.add(c.pick("US-RegF-ATTY", "UNIVERSAL-ATTORNEY", "UNIVERSAL-ATTORNEY"))
    if F.EMPLOYER_PROHIBITS_CONTACT in flags and to is R.EMPLOYER:
        found.add(c.pick("US-RegF-WORK", "UNIVERSAL-EMPLOYER", "UNIVERSAL-EMPLOYER"))
    if to is R.ATTORNEY:
        someone_else = F.ATTORNEY_REPRESENTED not in flags
    else:
        someone_else = to in OTHER_PEOPLE or channel is C.THIRD_PARTY_CALL
    if someone_else and c.j is CN and T.PRE_AGREED_EMERGENCY_CONTACT in tags:
        fine = (
            F.LOST_CONTACT in flags
            and channel in {C.CALL, C.SMS, C.THIRD_PARTY_CALL}
            and T.NO_DEBT_DETAILS in tags
            and not tags
            & (
                ASKS_FOR_MONEY
                | {T.DEBT_DISCLOSURE, T.PRESSURE, T.THREAT, T.SUGGEST_BORROW_TO_REPAY}
            )
        )
        if not fine:
            found.add("CN-EMERG")
    elif someone_else:
        found.add(c.pick("US-RegF-3P", "CN-3P", "UK-CONC-7.9.6R"))
    return found


def medium_violations(c: Case) -> set[str]:
    found: set[str] = set()
    channel, flags = c.channel, c.flags
    opted = {e.channel for e in c.past if e.outcome is OUT.OPT_OUT_REQUEST}
    if CHANNEL_OPT_OUT.get(channel) in flags or channel in opted:
        found.add(c.pick("US-RegF-MEDIUM", "UNIVERSAL-OPT-OUT", "UK-CONC-7.9.4R"))
    electronic = channel in {C.SMS, C.EMAIL, C.IN_APP, C.SOCIAL_MEDIA}
    if c.j is US and electronic and T.OPT_OUT_NOTICE not in c.tags:
        found.add("US-RegF-OPTOUT")
    if c.j is US and channel is C.EMAIL and T.WORK_ADDRESS in c.tags:  # no consents drawn
        found.add("US-RegF-WORK-EMAIL")
    if F.VULNERABLE in flags and channel is C.VISIT:
        found.add(c.pick("UNIVERSAL-VULNERABLE", "UNIVERSAL-VULNERABLE", "UK-CONC-7.9-VISIT"))
    if F.VULNERABLE in flags and c.tags & HARDSHIP_NO:
        found.add("UNIVERSAL-VULNERABLE")
    return found


def local_violations(c: Case) -> set[str]:
    """The medium rules only one jurisdiction has: China's recording and visiting
    staff, the UK's visit notice and sealed letters."""
    found: set[str] = set()
    channel, tags = c.channel, c.tags
    if c.j is CN:
        spoken = channel in {C.CALL, C.THIRD_PARTY_CALL, C.VISIT}
        if (T.NO_RECORDING in tags and spoken) or (
            channel is C.VISIT and T.AUDIO_VIDEO_RECORDING not in tags
        ):
            found.add("CN-RECORD")
        if channel is C.VISIT and T.STAFF_CERTIFIED not in tags:
            found.add("CN-VISIT-STAFF")
    if c.j is UK and channel is C.VISIT:
        visited = any(e.channel is C.VISIT and e.direction is Direction.OUTBOUND for e in c.past)
        told = T.PRIOR_NOTICE in tags or OUT.VISIT_NOTICE_DELIVERED in c.outcomes
        if not (visited or told):
            found.add("UK-CONC-7.9-VISIT")
    if c.j is UK and channel is C.LETTER and T.PRIVATE_AND_CONFIDENTIAL not in tags:
        found.add("UK-CONC-7.9.7R")
    return found


def time_violations(c: Case) -> set[str]:
    if c.channel is C.LETTER:
        return set()
    clock = c.now.time()
    if c.j is CN:
        pack_hours = dt.time(8) <= clock < dt.time(20)
    else:
        pack_hours = dt.time(8) <= clock <= dt.time(21)
    before = c.borrower.contact_preferences.no_contact_before
    after = c.borrower.contact_preferences.no_contact_after
    late_enough = before is None or clock >= before
    early_enough = after is None or clock <= after
    if before is not None and after is not None and before > after:
        own_hours = late_enough or early_enough
    else:
        own_hours = late_enough and early_enough
    if not (pack_hours and own_hours):
        return {c.pick("US-RegF-TIME", "CN-TIME", "UK-CONC-7.9.4R")}
    return set()


def frequency_violations(c: Case) -> set[str]:
    found: set[str] = set()
    today = c.now.date()
    if c.j is US and c.channel is C.CALL and c.to is R.BORROWER:
        talked = {OUT.CONVERSATION, OUT.PROMISE_TO_PAY, OUT.DISPUTE_RECEIVED}
        if any(
            e.channel is C.CALL and e.outcome in talked and 0 <= (today - c.day(e)).days <= 6
            for e in c.past
        ):
            found.add("US-RegF-CONV7")
        calls = [
            e
            for e in c.past
            if e.channel is C.CALL
            and e.direction is Direction.OUTBOUND
            and e.outcome is not OUT.NOT_CONNECTED
            and 0 <= (today - c.day(e)).days <= 6
        ]
        if len(calls) >= 7:
            found.add("US-RegF-FREQ7")
    if c.j is CN and c.channel in {C.CALL, C.THIRD_PARTY_CALL}:
        same_day = [
            e
            for e in c.past
            if e.channel is c.channel and e.direction is Direction.OUTBOUND
            and c.day(e) == today
        ]
        if len(same_day) >= 3:
            found.add("CN-FREQ")
    return found


ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "Asia/Shanghai",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
]
OFFSETS = [dt.timezone(dt.timedelta(minutes=m)) for m in (0, -420, -300, 480, 330, 60)]
EDGES = [
    dt.time(7, 59, 59),
    dt.time(8),
    dt.time(19, 59, 59),
    dt.time(20),
    dt.time(20, 0, 1),
    dt.time(21),
    dt.time(21, 0, 1),
    dt.time(21, 59),
    dt.time(22),
    dt.time(2, 30),
]
CALMER = [
    T.PAYMENT_REMINDER,
    T.PLAN_CONFIRMATION,
    T.OPT_OUT_NOTICE,
    T.PRIVATE_AND_CONFIDENTIAL,
    T.NO_DEBT_DETAILS,
    T.PRE_AGREED_EMERGENCY_CONTACT,
    T.STAFF_CERTIFIED,
    T.AUDIO_VIDEO_RECORDING,
    T.PRIOR_NOTICE,
    T.SIGNPOST_FREE_DEBT_ADVICE,
]
FEW_FLAGS = [F.LOST_CONTACT, F.HARDSHIP_PLAN, F.OPT_OUT_SMS, F.TIME_BARRED, F.VULNERABLE]
#: Everyday outcomes, many times over, so that the rare ones stay rare.
OUTCOMES = [
    OUT.NO_ANSWER,
    OUT.VOICEMAIL_LEFT,
    OUT.NOT_CONNECTED,
    OUT.CONVERSATION,
    OUT.DELIVERED,
    OUT.NUMBER_UNREACHABLE,
    OUT.PROMISE_TO_PAY,
    OUT.NO_ANSWER,
] * 12 + list(Outcome)

clock_times = st.one_of(st.sampled_from(EDGES), st.times())
minutes = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))
preferences = st.builds(ContactPreferences, st.none() | minutes, st.none() | minutes)


@st.composite
def cases(draw: st.DrawFn) -> tuple[ProposedAction, list[ContactEvent], Borrower, Jurisdiction]:
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    day = draw(st.dates(dt.date(2025, 3, 1), dt.date(2025, 11, 30)))
    wall = dt.datetime.combine(day, draw(clock_times), tzinfo=zone)
    ts = wall.astimezone(draw(st.sampled_from(OFFSETS)))
    few_flags = st.sets(st.sampled_from(FEW_FLAGS), max_size=2)
    flags = draw(st.one_of(few_flags, few_flags, st.sets(st.sampled_from(list(Flag)), max_size=2)))
    borrower = Borrower(zone_name, frozenset(flags), contact_preferences=draw(preferences))
    calm = st.sets(st.sampled_from(CALMER), max_size=4)
    tags = draw(st.one_of(calm, calm, st.sets(st.sampled_from(list(ContentTag)), max_size=3)))
    recipient = draw(st.sampled_from([R.BORROWER] * 12 + list(Recipient)))
    channel = draw(st.sampled_from([C.CALL] * 4 + list(Channel)))
    action = ProposedAction(ts, channel, recipient, frozenset(tags))
    events = draw(
        st.lists(
            st.tuples(
                st.integers(-60, 9 * 24 * 60),
                st.sampled_from([C.CALL] * 10 + list(Channel)),
                st.sampled_from([Direction.OUTBOUND] * 3 + [Direction.INBOUND]),
                st.sampled_from(OUTCOMES),
                st.sampled_from(OFFSETS),
            ),
            max_size=16,
        )
    )
    burst = draw(
        st.lists(
            st.tuples(
                st.integers(0, 7 * 24 * 60),
                st.just(C.CALL),
                st.just(Direction.OUTBOUND),
                st.sampled_from([OUT.NO_ANSWER, OUT.VOICEMAIL_LEFT, OUT.NOT_CONNECTED]),
                st.sampled_from(OFFSETS),
            ),
            max_size=9,
        )
    )
    history = [
        ContactEvent((ts - dt.timedelta(minutes=back)).astimezone(offset), ch, direction, outcome)
        for back, ch, direction, outcome, offset in events + burst
    ]
    return action, history, borrower, draw(st.sampled_from(list(Jurisdiction)))


@settings(max_examples=600, deadline=None)
@given(cases())
def test_the_guard_allows_exactly_when_the_plain_restatement_finds_no_violation(
    case: tuple[ProposedAction, list[ContactEvent], Borrower, Jurisdiction],
) -> None:
    action, history, borrower, jurisdiction = case
    verdict = decide(action, history, borrower, jurisdiction)
    found = violations(action, history, borrower, jurisdiction)
    event(f"{jurisdiction} {verdict.decision} {verdict.rule}")
    if verdict.allowed:
        assert found == set(), verdict.reason
    else:
        assert verdict.rule in found, (verdict.rule, verdict.reason, found)
        assert found, verdict.reason
    assert {v.rule for v in verdict.failed} == found
    if verdict.defer_until is not None:
        assert verdict.defer_until > action.ts


@settings(max_examples=300, deadline=None)
@given(cases())
def test_a_deferred_action_is_no_longer_held_back_by_time_or_frequency_at_its_new_time(
    case: tuple[ProposedAction, list[ContactEvent], Borrower, Jurisdiction],
) -> None:
    action, history, borrower, jurisdiction = case
    past = [e for e in history if e.ts <= action.ts]
    verdict = decide(action, past, borrower, jurisdiction)
    if verdict.defer_until is None:
        return
    later = ProposedAction(
        verdict.defer_until, action.channel, action.recipient, action.content_tags
    )
    assert decide(later, past, borrower, jurisdiction).allowed
