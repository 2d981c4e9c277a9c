"""The letter register's steps, one at a time: its transition table, the input every
event needs, recognising a replay, and the refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.channels.letter_register import (
    LEADS_TO,
    REFUSALS,
    TRANSITIONS,
    Rule,
    check_event_input,
    check_proof_length,
    is_replay,
    next_state,
)
from dunwell.channels.letters import DispatchMethod, LetterEvent, LetterEventKind, LetterStatus
from dunwell.core.errors import Conflict, InvalidInput

S, E, M = LetterStatus, LetterEventKind, DispatchMethod
AT = dt.datetime(2025, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_the_table_reads_as_the_register_generated_printed_dispatched_delivered_returned(
) -> None:
    moves = {(event.value, source.value): rule.target.value
             for (event, source), rule in TRANSITIONS.items()}
    assert moves == {
        ("printed", "generated"): "printed",
        ("dispatched", "generated"): "dispatched",  # an e-letter only
        ("dispatched", "printed"): "dispatched",
        ("dispatched", "returned"): "dispatched",  # a re-send
        ("delivered", "dispatched"): "delivered",
        ("delivered", "generated"): "delivered",  # handed over in person
        ("delivered", "printed"): "delivered",  # handed over in person
        ("returned", "dispatched"): "returned",
    }
    assert not any(source is S.DELIVERED for _, source in TRANSITIONS)  # final
    assert all(LEADS_TO[event] is rule.target for (event, _), rule in TRANSITIONS.items())
    assert set(REFUSALS) == set(E)


def test_a_rule_admits_any_method_or_only_those_it_names() -> None:
    assert Rule(S.PRINTED).admits(None) and Rule(S.PRINTED).admits(M.POST)
    in_person = Rule(S.DELIVERED, frozenset({M.IN_PERSON}))
    assert in_person.admits(M.IN_PERSON)
    assert not in_person.admits(M.POST) and not in_person.admits(None)


def test_a_proof_is_a_short_reference() -> None:
    check_proof_length("SF123" * 100)
    with pytest.raises(InvalidInput) as caught:
        check_proof_length("x" * 501)
    assert caught.value.code == "delivery_proof_must_be_short"


@pytest.mark.parametrize(("event", "method", "proof", "code"), [
    (E.DISPATCHED, None, None, "dispatch_method_must_be_given"),
    (E.DELIVERED, M.POST, None, "delivery_proof_must_be_given"),
    (E.DELIVERED, M.POST, "", "delivery_proof_must_be_given"),
])
def test_dispatch_needs_a_method_and_delivery_a_proof_in_any_state(
        event: LetterEventKind, method: DispatchMethod | None, proof: str | None,
        code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_event_input(event, method, proof)
    assert caught.value.code == code


def test_other_events_need_nothing_more() -> None:
    check_event_input(E.PRINTED, None, None)
    check_event_input(E.RETURNED, None, None)
    check_event_input(E.DISPATCHED, M.POST, None)
    check_event_input(E.DELIVERED, None, "SF123 signed")


def test_a_replay_repeats_the_event_that_produced_the_state_with_the_same_method_and_proof(
) -> None:
    last = LetterEvent("DW-1", E.DISPATCHED, AT, M.POST, "SF123")
    same = {"event": E.DISPATCHED, "method": M.POST, "proof": "SF123", "last_event": last}
    assert is_replay(status=S.DISPATCHED, **same)  # type: ignore[arg-type]
    assert not is_replay(status=S.RETURNED, **same)  # type: ignore[arg-type]
    assert not is_replay(status=S.DISPATCHED, event=E.DISPATCHED, method=M.POST,
                         proof="SF124", last_event=last)
    assert not is_replay(status=S.DISPATCHED, event=E.DISPATCHED, method=M.POST,
                         proof="SF123", last_event=None)


def test_the_event_method_goes_on_record_only_where_the_rule_says() -> None:
    dispatched = next_state(status=S.PRINTED, method_on_record=None, event=E.DISPATCHED,
                            method=M.POST, proof=None)
    assert (dispatched.status, dispatched.method) == (S.DISPATCHED, M.POST)
    delivered = next_state(status=S.DISPATCHED, method_on_record=M.POST, event=E.DELIVERED,
                           method=None, proof="SF123 signed")
    assert delivered.method is M.POST  # no method given: the one on record stays
    returned = next_state(status=S.DISPATCHED, method_on_record=M.POST, event=E.RETURNED,
                          method=M.E_LETTER, proof=None)
    assert (returned.status, returned.method) == (S.RETURNED, M.POST)


def test_a_refusal_says_the_state_the_event_and_why_with_its_code() -> None:
    with pytest.raises(Conflict) as caught:
        next_state(status=S.GENERATED, method_on_record=None, event=E.DISPATCHED,
                   method=M.POST, proof=None)
    assert caught.value.code == "letter_must_be_printed_before_dispatch"
    assert caught.value.message.startswith(
        "the letter is generated, so it cannot be marked dispatched: a letter sent by post "
        "must be printed first")
    assert dict(caught.value.details) == {"status": "generated", "event": "dispatched"}
    with pytest.raises(Conflict) as caught:
        next_state(status=S.DELIVERED, method_on_record=None, event=E.GENERATED,
                   method=None, proof=None)
    assert caught.value.code == "letter_transition_must_be_allowed"
