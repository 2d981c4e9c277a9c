"""Parsing one scenario line: the DESIGN.md §4 shape, and clear errors otherwise."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from dunwell.compliance import (
    Channel,
    ContentTag,
    Direction,
    Flag,
    Jurisdiction,
    Outcome,
    Recipient,
    parse_scenario,
)
from dunwell.core.errors import InvalidInput

GOOD: dict[str, Any] = {
    "id": "s1",
    "jurisdiction": "CN-NIFA",
    "description": "ignored",
    "expected": "allow",
    "note": "ignored too",
    "borrower": {
        "timezone": "Asia/Shanghai",
        "flags": ["hardship_plan"],
        "preferred_channels": ["sms"],
        "contact_preferences": {
            "no_contact_before": "09:00",
            "no_contact_after": "19:30",
            "reason": "works late",
        },
        "language": "zh",
    },
    "history": [
        {
            "ts": "2025-03-01T10:00:00+08:00",
            "channel": "call",
            "direction": "inbound",
            "outcome": "conversation",
        }
    ],
    "proposed_action": {
        "ts": "2025-03-02T02:00:00Z",
        "channel": "sms",
        "recipient": "borrower",
        "content_tags": ["payment_reminder"],
    },
}


def line(**changes: Any) -> str:
    """GOOD with dotted paths replaced (value ``...`` deletes the key)."""
    data = copy.deepcopy(GOOD)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is ...:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return json.dumps(data)


def test_a_scenario_line_becomes_plain_data_and_extra_keys_are_ignored() -> None:
    s = parse_scenario(line())
    assert s.id == "s1" and s.jurisdiction is Jurisdiction.CN_NIFA
    assert s.borrower.flags == {Flag.HARDSHIP_PLAN}
    assert s.borrower.preferred_channels == (Channel.SMS,)
    assert s.borrower.contact_preferences.no_contact_after == dt.time(19, 30)
    assert s.borrower.language == "zh"
    (event,) = s.history
    assert (event.channel, event.direction, event.outcome) == (
        Channel.CALL,
        Direction.INBOUND,
        Outcome.CONVERSATION,
    )
    assert s.action.ts == dt.datetime(2025, 3, 2, 2, tzinfo=dt.UTC)
    assert s.action.recipient is Recipient.BORROWER
    assert s.action.content_tags == {ContentTag.PAYMENT_REMINDER}


def test_optional_parts_may_be_left_out() -> None:
    s = parse_scenario(
        line(
            history=...,
            borrower__flags=...,
            borrower__contact_preferences=...,
            proposed_action__recipient=...,
            proposed_action__content_tags=...,
        )
    )
    assert s.history == () and s.borrower.flags == frozenset()
    assert s.action.recipient is Recipient.BORROWER and s.action.content_tags == frozenset()


@pytest.mark.parametrize(
    ("changes", "field", "code", "words"),
    [
        (
            {"borrower__flags": ["hardship"]},
            "borrower.flags[0]",
            "flag_must_be_known",
            "'hardship' is not a known flag",
        ),
        (
            {"proposed_action__channel": "fax"},
            "proposed_action.channel",
            "channel_must_be_known",
            "'fax' is not a known channel",
        ),
        (
            {"borrower__preferred_channels": ["sms", "pigeon"]},
            "borrower.preferred_channels[1]",
            "channel_must_be_known",
            "'pigeon'",
        ),
        (
            {"proposed_action__recipient": "cousin"},
            "proposed_action.recipient",
            "recipient_must_be_known",
            "'cousin' is not a known recipient",
        ),
        (
            {"history__0__outcome": "rang"},
            "history[0].outcome",
            "outcome_must_be_known",
            "'rang' is not a known outcome",
        ),
        (
            {"history__0__direction": "sideways"},
            "history[0].direction",
            "direction_must_be_known",
            "'sideways'",
        ),
        (
            {"proposed_action__content_tags": ["payment_reminder", "shame"]},
            "proposed_action.content_tags[1]",
            "content_tag_must_be_known",
            "'shame' is not a known content tag",
        ),
        ({"jurisdiction": "EU-CCD"}, "jurisdiction", "jurisdiction_must_be_known", "'EU-CCD'"),
        (
            {"proposed_action__ts": "2025-03-02T10:00:00"},
            "proposed_action.ts",
            "timestamp_must_carry_offset",
            "has no UTC offset",
        ),
        (
            {"history__0__ts": "2025-03-01 10:00"},
            "history[0].ts",
            "timestamp_must_carry_offset",
            "has no UTC offset",
        ),
        (
            {"proposed_action__ts": "yesterday"},
            "proposed_action.ts",
            "timestamp_must_be_iso",
            "'yesterday'",
        ),
        (
            {"borrower__timezone": "Mars/Olympus"},
            "borrower.timezone",
            "timezone_must_be_known",
            "'Mars/Olympus'",
        ),
        (
            {"borrower__contact_preferences__no_contact_before": "9am"},
            "borrower.contact_preferences.no_contact_before",
            "time_of_day_must_be_hh_mm",
            "'9am'",
        ),
        ({"proposed_action__ts": ...}, "proposed_action.ts", "field_must_be_present", "missing"),
        (
            {"borrower__flags": "vulnerable"},
            "borrower.flags",
            "field_must_have_type",
            "must be a JSON list",
        ),
        ({"history": {"ts": 1}}, "history", "field_must_have_type", "must be a JSON list"),
    ],
)
def test_each_bad_field_is_named_with_its_value_and_a_stable_code(
    changes: dict[str, Any], field: str, code: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_scenario(line(**changes))
    error = caught.value
    assert error.code == code
    assert error.details["field"] == field
    assert error.message.startswith(f"{field}: ")
    assert words in error.message
    assert error.details["scenario_id"] == "s1"


def test_malformed_json_names_the_column() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_scenario('{"id": "x", "jurisdiction" "US-RegF"}')
    assert caught.value.code == "scenario_must_be_json"
    assert caught.value.message.startswith("column 28: malformed JSON")


def test_a_line_that_is_not_an_object_or_has_no_id_is_refused() -> None:
    with pytest.raises(InvalidInput) as not_object:
        parse_scenario("[1, 2]")
    assert "must be a JSON object" in not_object.value.message
    with pytest.raises(InvalidInput) as no_id:
        parse_scenario(line(id=...))
    assert no_id.value.message == "id: is missing"
