"""The letter register: generated → printed → dispatched → delivered or returned, with
every other move refused by code and nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from letters_book import LETTER_DAY, NOW

from dunwell.app.letters.service import issue_letter, record_letter_event
from dunwell.bootstrap import Dunwell
from dunwell.channels.letter_register import next_state, parse_event, parse_method
from dunwell.channels.letters import (
    DispatchMethod,
    LetterEvent,
    LetterEventKind,
    LetterStatus,
)
from dunwell.core.errors import Conflict, DomainError, InvalidInput
from dunwell.store.letters_repo import LetterRepository

S, E, M = LetterStatus, LetterEventKind, DispatchMethod

# (state, event, method, proof) -> new state, or the code of the refusal
TABLE = [
    (S.GENERATED, E.PRINTED, None, None, S.PRINTED),
    (S.GENERATED, E.DISPATCHED, M.E_LETTER, None, S.DISPATCHED),
    (S.GENERATED, E.DISPATCHED, M.POST, None, "letter_must_be_printed_before_dispatch"),
    (S.GENERATED, E.DELIVERED, M.IN_PERSON, "visit 17", S.DELIVERED),
    (S.GENERATED, E.DELIVERED, M.POST, "SF123", "letter_transition_must_be_allowed"),
    (S.GENERATED, E.RETURNED, None, None, "letter_transition_must_be_allowed"),
    (S.PRINTED, E.PRINTED, None, None, "letter_transition_must_be_allowed"),
    (S.PRINTED, E.DISPATCHED, M.POST, None, S.DISPATCHED),
    (S.PRINTED, E.DISPATCHED, None, None, "dispatch_method_must_be_given"),
    (S.PRINTED, E.DELIVERED, M.IN_PERSON, "visit 17", S.DELIVERED),
    (S.DISPATCHED, E.DELIVERED, None, "SF123 signed", S.DELIVERED),
    (S.DISPATCHED, E.DELIVERED, None, None, "delivery_proof_must_be_given"),
    (S.DISPATCHED, E.RETURNED, None, None, S.RETURNED),
    (S.DISPATCHED, E.PRINTED, None, None, "letter_transition_must_be_allowed"),
    (S.RETURNED, E.DISPATCHED, M.POST, None, S.DISPATCHED),
    (S.RETURNED, E.DELIVERED, None, "x", "letter_transition_must_be_allowed"),
    (S.DELIVERED, E.RETURNED, None, None, "letter_transition_must_be_allowed"),
    (S.DELIVERED, E.DISPATCHED, M.POST, None, "letter_transition_must_be_allowed"),
]


@pytest.mark.parametrize(("status", "event", "method", "proof", "expected"), TABLE)
def test_the_register_allows_only_its_transitions(
        status: LetterStatus, event: LetterEventKind, method: DispatchMethod | None,
        proof: str | None, expected: LetterStatus | str) -> None:
    if isinstance(expected, LetterStatus):
        move = next_state(status=status, method_on_record=None, event=event, method=method,
                          proof=proof)
        assert move.status is expected and not move.replay
    else:
        with pytest.raises(DomainError) as err:
            next_state(status=status, method_on_record=None, event=event, method=method,
                       proof=proof)
        assert err.value.code == expected


def test_repeating_the_last_event_exactly_is_a_replay() -> None:
    last = LetterEvent("DW-20250302-000001", E.DELIVERED, NOW, M.IN_PERSON, "visit 17")
    move = next_state(status=S.DELIVERED, method_on_record=M.IN_PERSON, event=E.DELIVERED,
                      method=M.IN_PERSON, proof="visit 17", last_event=last)
    assert move.replay and move.status is S.DELIVERED
    with pytest.raises(Conflict):  # different proof: not a replay, and delivered is final
        next_state(status=S.DELIVERED, method_on_record=M.IN_PERSON, event=E.DELIVERED,
                   method=M.IN_PERSON, proof="visit 18", last_event=last)


def test_unknown_events_and_methods_are_bad_input() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_event("lost")
    assert err.value.code == "letter_event_must_be_known"
    with pytest.raises(InvalidInput):
        parse_event("generated")  # only issuing a letter generates it
    with pytest.raises(InvalidInput) as err:
        parse_method("pigeon")
    assert err.value.code == "dispatch_method_must_be_known"


def test_a_posted_letter_goes_through_the_register_and_illegal_moves_change_nothing(
        overdue_book: Dunwell) -> None:
    at = dt.datetime(2025, 3, 2, 9, 0, tzinfo=dt.UTC)
    with overdue_book.uow() as uow:
        letter = issue_letter(uow, templates=overdue_book.providers.templates(),
                              borrower_id=1, case_id=None, kind="reminder",
                              business_date=LETTER_DAY, now=NOW)
        uow.commit()
    no = letter.letter_no

    def step(event: str, **kw: str) -> LetterStatus:
        with overdue_book.uow() as uow:
            done = record_letter_event(uow, letter_no=no, event=event, at=at, **kw)
            uow.commit()
        return done.status

    assert step("printed") is S.PRINTED
    with pytest.raises(Conflict) as err:
        step("returned")
    assert err.value.code == "letter_transition_must_be_allowed"
    assert step("dispatched", method="post", proof="SF1234567") is S.DISPATCHED
    assert step("returned", note="moved away") is S.RETURNED
    assert step("dispatched", method="post") is S.DISPATCHED
    assert step("delivered", proof="SF7654321 signed by addressee") is S.DELIVERED
    with pytest.raises(Conflict):
        step("returned")
    with overdue_book.uow() as uow:
        repo = LetterRepository(uow.conn)
        final = repo.get(no)
        events = repo.events(no)
    assert final.status is S.DELIVERED and final.dispatch_method is M.POST
    assert [e.event.value for e in events] == [
        "generated", "printed", "dispatched", "returned", "dispatched", "delivered"]
    assert events[-1].proof == "SF7654321 signed by addressee"
    assert events[3].note == "moved away"


def test_a_visit_hands_over_a_notice_in_person_once(overdue_book: Dunwell) -> None:
    at = dt.datetime(2025, 3, 9, 6, 0, tzinfo=dt.UTC)
    with overdue_book.uow() as uow:
        letter = issue_letter(uow, templates=overdue_book.providers.templates(),
                              borrower_id=2, case_id=None, kind="visit_notice",
                              business_date=LETTER_DAY, now=NOW)
        first = record_letter_event(uow, letter_no=letter.letter_no, event="delivered",
                                    at=at, method="in_person", proof="visit 17")
        again = record_letter_event(uow, letter_no=letter.letter_no, event="delivered",
                                    at=at, method="in_person", proof="visit 17")
        events = LetterRepository(uow.conn).events(letter.letter_no)
        uow.commit()
    assert first.status is again.status is S.DELIVERED
    assert first.dispatch_method is M.IN_PERSON
    assert [e.event.value for e in events] == ["generated", "delivered"]
