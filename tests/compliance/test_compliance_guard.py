"""The guard as worked examples: windows, deferrals, parameters, decision order."""

from __future__ import annotations

import ast
import datetime as dt
import sys
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from dunwell.compliance import (
    Borrower,
    Channel,
    CNParams,
    ContactEvent,
    ContactPreferences,
    ContentTag,
    Decision,
    Direction,
    Flag,
    Jurisdiction,
    Outcome,
    ProposedAction,
    Recipient,
    UKParams,
    USParams,
    decide,
)
from dunwell.compliance.localtime import at_local
from dunwell.compliance.packs import PACKS
from dunwell.core.errors import InvalidInput

US, CN, UK = Jurisdiction.US_REGF, Jurisdiction.CN_NIFA, Jurisdiction.UK_FCA
LA = ZoneInfo("America/Los_Angeles")
SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def call(ts: str, *tags: ContentTag, to: Recipient = Recipient.BORROWER) -> ProposedAction:
    return ProposedAction(
        when(ts), Channel.CALL, to, frozenset(tags or {ContentTag.PAYMENT_REMINDER})
    )


def placed(ts: str, outcome: Outcome = Outcome.NO_ANSWER) -> ContactEvent:
    return ContactEvent(when(ts), Channel.CALL, Direction.OUTBOUND, outcome)


def borrower(zone: str = "America/Los_Angeles", *flags: Flag, **prefs: str) -> Borrower:
    times = {k: dt.time.fromisoformat(v) for k, v in prefs.items()}
    own = ContactPreferences(no_contact_before=times.get("no_contact_before"),
                             no_contact_after=times.get("no_contact_after"))
    return Borrower(zone, frozenset(flags), contact_preferences=own)


def test_an_allow_carries_the_local_window_and_every_rule_consulted() -> None:
    verdict = decide(call("2025-04-08T10:00:00-07:00"), [], borrower(), US)
    assert verdict.decision is Decision.ALLOW and verdict.rule is None
    assert verdict.window is not None
    assert verdict.window.starts_at == when("2025-04-08T08:00:00-07:00")
    assert verdict.window.ends_at == when("2025-04-08T21:00:00-07:00")
    assert set(verdict.consulted) == {rule.id for rule in PACKS[US].rules}
    assert verdict.failed == ()


def test_a_letter_has_no_window_because_its_hour_does_not_matter() -> None:
    letter = ProposedAction(when("2025-04-08T23:00:00-07:00"), Channel.LETTER)
    assert decide(letter, [], borrower(), US).window is None


def test_a_deny_lists_every_objection_in_decision_order() -> None:
    action = call("2025-04-08T23:00:00-07:00", ContentTag.THREAT)
    verdict = decide(action, [], borrower("America/Los_Angeles", Flag.DECEASED), US)
    assert verdict.decision is Decision.DENY
    assert [v.rule for v in verdict.failed] == [
        "UNIVERSAL-DECEASED",
        "US-RegF-FALSE",
        "US-RegF-TIME",
    ]
    assert verdict.rule == "UNIVERSAL-DECEASED"


def test_a_hard_prohibition_beats_a_deferral_even_when_listed_later() -> None:
    action = ProposedAction(when("2025-04-08T06:00:00-07:00"), Channel.SMS)
    verdict = decide(action, [], borrower(), US)
    assert (verdict.decision, verdict.rule) == (Decision.DENY, "US-RegF-OPTOUT")


def test_a_deferral_waits_for_every_time_and_frequency_rule_together() -> None:
    talk = [placed("2025-04-01T14:00:00-07:00", Outcome.CONVERSATION)]
    verdict = decide(call("2025-04-06T22:00:00-07:00"), talk, borrower(), US)
    assert verdict.decision is Decision.DEFER and verdict.rule == "US-RegF-TIME"
    assert verdict.defer_until == when("2025-04-08T08:00:00-07:00")
    assert [v.rule for v in verdict.failed] == ["US-RegF-TIME", "US-RegF-CONV7"]


def test_a_stricter_state_limit_is_a_parameter() -> None:
    massachusetts = USParams(calls_per_7_days_max=2)
    history = [placed("2025-04-03T10:00:00-07:00"), placed("2025-04-05T10:00:00-07:00")]
    action = call("2025-04-08T10:00:00-07:00")
    assert decide(action, history, borrower(), US).allowed
    verdict = decide(action, history, borrower(), US, massachusetts)
    assert verdict.rule == "US-RegF-FREQ7"
    assert verdict.defer_until == when("2025-04-10T08:00:00-07:00")


@pytest.mark.parametrize(
    ("clock", "strict", "evening"),
    [
        ("19:59", True, True),
        ("20:00", False, True),
        ("21:59", False, True),
        ("22:00", False, False),
    ],
)
def test_the_unsettled_chinese_evening_is_closed_unless_opened(
    clock: str, strict: bool, evening: bool
) -> None:
    action = call(f"2025-03-10T{clock}:00+08:00")
    who = borrower("Asia/Shanghai")
    assert decide(action, [], who, CN).allowed is strict
    assert decide(action, [], who, CN, CNParams(evening_allowed=True)).allowed is evening


def test_per_channel_daily_caps_and_quiet_days_are_parameters() -> None:
    sms = ProposedAction(
        when("2025-04-08T10:00:00-07:00"),
        Channel.SMS,
        content_tags=frozenset({ContentTag.PAYMENT_REMINDER, ContentTag.OPT_OUT_NOTICE}),
    )
    sent = [
        ContactEvent(
            when("2025-04-08T09:00:00-07:00"), Channel.SMS, Direction.OUTBOUND, Outcome.DELIVERED
        )
    ]
    capped = decide(
        sms, sent, borrower(), US, USParams(daily_caps=MappingProxyType({Channel.SMS: 1}))
    )
    assert capped.rule == "UNIVERSAL-DAILY-CAP"
    assert capped.defer_until == when("2025-04-09T08:00:00-07:00")
    sundays = USParams(quiet_dates=frozenset({dt.date(2025, 4, 8), dt.date(2025, 4, 9)}))
    quiet = decide(sms, [], borrower(), US, sundays)
    assert quiet.rule == "UNIVERSAL-QUIET-DAYS"
    assert quiet.defer_until == when("2025-04-10T08:00:00-07:00")


def test_a_night_shift_window_that_wraps_midnight_is_cut_to_the_pack_hours() -> None:
    nights = borrower("America/Los_Angeles", no_contact_before="20:00", no_contact_after="06:00")
    verdict = decide(call("2025-04-08T10:00:00-07:00"), [], nights, US)
    assert verdict.defer_until == when("2025-04-08T20:00:00-07:00")
    allowed = decide(call("2025-04-08T20:30:00-07:00"), [], nights, US)
    assert allowed.window is not None
    assert (allowed.window.start, allowed.window.end) == (dt.time(20), dt.time(21))


def test_requested_hours_that_never_meet_the_pack_hours_deny() -> None:
    owls = borrower("America/Los_Angeles", no_contact_before="22:00", no_contact_after="23:00")
    verdict = decide(call("2025-04-08T22:30:00-07:00"), [], owls, US)
    assert (verdict.decision, verdict.rule) == (Decision.DENY, "US-RegF-TIME")


def test_events_after_the_proposed_moment_are_not_its_history() -> None:
    later = [placed("2025-04-08T12:00:00-07:00", Outcome.CONVERSATION)]
    assert decide(call("2025-04-08T10:00:00-07:00"), later, borrower(), US).allowed


def test_a_breathing_space_can_be_assumed_over_after_a_set_number_of_days() -> None:
    notice = [
        ContactEvent(
            when("2025-01-01T09:00:00+00:00"),
            Channel.LETTER,
            Direction.INBOUND,
            Outcome.BREATHING_SPACE_NOTICE,
        )
    ]
    letter = ProposedAction(
        when("2025-03-10T10:00:00+00:00"),
        Channel.LETTER,
        content_tags=frozenset({ContentTag.REMINDER_LETTER, ContentTag.PRIVATE_AND_CONFIDENTIAL}),
    )
    london = borrower("Europe/London")
    assert decide(letter, notice, london, UK).rule == "UK-BS"
    assert decide(letter, notice, london, UK, UKParams(breathing_space_assume_end_days=60)).allowed


def test_params_of_another_pack_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        decide(call("2025-04-08T10:00:00-07:00"), [], borrower(), US, CNParams())
    assert caught.value.code == "params_must_match_jurisdiction"


def test_the_emergency_contact_exception_needs_every_condition() -> None:
    tags = (ContentTag.PRE_AGREED_EMERGENCY_CONTACT, ContentTag.NO_DEBT_DETAILS)
    action = call("2025-03-10T10:00:00+08:00", *tags, to=Recipient.RELATIVE)
    lost = borrower("Asia/Shanghai", Flag.LOST_CONTACT)
    assert decide(action, [], lost, CN).allowed
    assert decide(action, [], borrower("Asia/Shanghai"), CN).rule == "CN-EMERG"
    asking = call(
        "2025-03-10T10:00:00+08:00", *tags, ContentTag.PAYMENT_REQUEST, to=Recipient.RELATIVE
    )
    assert decide(asking, [], lost, CN).rule == "CN-EMERG"


def test_a_local_time_inside_the_spring_forward_gap_reads_as_just_after_it() -> None:
    assert at_local(dt.date(2025, 3, 9), dt.time(2, 30), LA) == when("2025-03-09T03:30:00-07:00")
    assert at_local(dt.date(2025, 11, 2), dt.time(1, 30), LA).utcoffset() == dt.timedelta(hours=-7)


def test_every_pack_lists_its_rules_in_stage_order_and_documents_them() -> None:
    docs = (ROOT / "docs" / "compliance.md").read_text(encoding="utf-8")
    for pack in PACKS.values():
        stages = [rule.stage for rule in pack.rules]
        assert stages == sorted(stages)
        for rule in pack.rules:
            assert f"`{rule.id}`" in docs, rule.id


def test_the_compliance_package_imports_only_core_and_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"dunwell"}
    for path in (ROOT / "src" / "dunwell" / "compliance").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                if name.startswith("dunwell."):
                    assert name.split(".")[1] in {"core", "compliance"}, f"{path.name}: {name}"


def test_a_deferral_the_search_cannot_confirm_is_a_refusal_not_an_unchecked_time() -> None:
    """Two time rules that each push the other on: the bounded search never finds a
    moment both accept, so no deferral is offered."""
    from dunwell.compliance.guard import DEFER_SEARCH_STEPS_MAX, NO_PERMITTED_TIME, _decide
    from dunwell.compliance.packs.base import Objection, Pack, PackParams, Rule, Stage, defer

    def always_later(action: ProposedAction, history: object, who: Borrower,
                     params: PackParams) -> Objection:
        return defer(action.ts + dt.timedelta(hours=1), "not yet")

    pack = Pack(US, PackParams(), (Rule("TEST-LATER", Stage.TIME, "always later", always_later),))
    verdict = _decide(pack, PackParams(), call("2025-03-03T10:00:00-08:00"), (), borrower())
    assert verdict.decision is Decision.DENY
    assert verdict.rule == NO_PERMITTED_TIME
    assert verdict.defer_until is None
    assert f"within {DEFER_SEARCH_STEPS_MAX} rounds" in verdict.reason
    assert [v.rule for v in verdict.failed] == ["TEST-LATER"]


def test_a_deferral_the_search_confirms_is_offered() -> None:
    from dunwell.compliance.guard import _decide
    from dunwell.compliance.packs.base import Objection, Pack, PackParams, Rule, Stage, defer

    noon = when("2025-03-03T12:00:00-08:00")

    def after_noon(action: ProposedAction, history: object, who: Borrower,
                   params: PackParams) -> Objection | None:
        return defer(noon, "after noon") if action.ts < noon else None

    pack = Pack(US, PackParams(), (Rule("TEST-NOON", Stage.TIME, "after noon", after_noon),))
    verdict = _decide(pack, PackParams(), call("2025-03-03T10:00:00-08:00"), (), borrower())
    assert verdict.decision is Decision.DEFER
    assert verdict.defer_until == noon
