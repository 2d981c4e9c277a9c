"""The letter register's state machine: which event may follow which state.

=============  ==========================================  ===========
event          allowed from                                 leads to
=============  ==========================================  ===========
printed        generated                                    printed
dispatched     printed (post, in_person); generated or      dispatched
               printed (e_letter); returned (any method,
               a re-send after the address is corrected)
delivered      dispatched; printed or generated when        delivered
               handed over in person (a visit). Proof
               of delivery is required.
returned       dispatched                                   returned
=============  ==========================================  ===========

``delivered`` is final. An event that would leave its rule is rejected with a coded
:class:`~dunwell.core.errors.Conflict` and changes nothing. Repeating the event that
produced the current state, with the same method and proof, is a replay: it is
acknowledged and changes nothing either.

Pure: the shell loads the letter, asks :func:`next_state`, and stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from dunwell.channels.letters import (
    DispatchMethod,
    LetterEvent,
    LetterEventKind,
    LetterStatus,
)
from dunwell.core.errors import Conflict, InvalidInput

S, E, M = LetterStatus, LetterEventKind, DispatchMethod
PAPER = frozenset({M.POST, M.IN_PERSON})
#: Longest proof text (a tracking number, a signature reference, a photo's hash).
PROOF_CHARS_MAX = 500


@dataclass(frozen=True, slots=True)
class Transition:
    """The register's answer: the new state, the method now on record, and whether
    the event only replayed the last one."""

    status: LetterStatus
    method: DispatchMethod | None
    replay: bool = False


def parse_event(event: str) -> LetterEventKind:
    try:
        kind = LetterEventKind(event)
    except ValueError:
        kind = None
    if kind is None or kind is E.GENERATED:
        raise InvalidInput(
            f"unknown letter event {event!r}; use printed, dispatched, delivered or returned",
            code="letter_event_must_be_known")
    return kind


def parse_method(method: str | None) -> DispatchMethod | None:
    if method is None or method == "":
        return None
    try:
        return DispatchMethod(method)
    except ValueError:
        raise InvalidInput(
            f"unknown dispatch method {method!r}; use post, e_letter or in_person",
            code="dispatch_method_must_be_known") from None


def next_state(*, status: LetterStatus, method_on_record: DispatchMethod | None,
               event: LetterEventKind, method: DispatchMethod | None, proof: str | None,
               last_event: LetterEvent | None = None) -> Transition:
    """Where ``event`` takes a letter in ``status``; a coded rejection if it may not."""
    if proof is not None and len(proof) > PROOF_CHARS_MAX:
        raise InvalidInput(f"proof is {len(proof)} characters; keep it under "
                           f"{PROOF_CHARS_MAX} (store a reference, not the document)",
                           code="delivery_proof_must_be_short")
    if (last_event is not None and last_event.event is event and last_event.method is method
            and last_event.proof == proof and status is _target(event)):
        return Transition(status, method_on_record, replay=True)
    if event is E.PRINTED:
        if status is not S.GENERATED:
            raise _refuse(status, event, "a letter is printed once, right after it is "
                          "generated; render it again with `dunwell letters render` for a copy")
        return Transition(S.PRINTED, method_on_record)
    if event is E.DISPATCHED:
        if method is None:
            raise InvalidInput("say how the letter went out: --method post, e_letter or "
                               "in_person", code="dispatch_method_must_be_given")
        if status is S.RETURNED or (status is S.PRINTED) or (
                status is S.GENERATED and method is M.E_LETTER):
            return Transition(S.DISPATCHED, method)
        if status is S.GENERATED:
            raise _refuse(status, event, f"a letter sent by {method.value} must be printed "
                          "first: record `dunwell letters event LETTER printed` (or print the "
                          "day's letters with `dunwell letters print`), then dispatch it",
                          code="letter_must_be_printed_before_dispatch")
        raise _refuse(status, event, "only a printed, generated (e-letter) or returned letter "
                      "can be dispatched")
    if event is E.DELIVERED:
        if not proof:
            raise InvalidInput("delivery needs proof: a tracking reference, a read receipt "
                               "or the visit record (--proof)",
                               code="delivery_proof_must_be_given")
        if status is S.DISPATCHED:
            return Transition(S.DELIVERED, method or method_on_record)
        if status in (S.GENERATED, S.PRINTED) and method is M.IN_PERSON:
            return Transition(S.DELIVERED, M.IN_PERSON)
        raise _refuse(status, event, "only a dispatched letter, or one handed over in person "
                      "(--method in_person), can be delivered")
    if event is E.RETURNED:
        if status is not S.DISPATCHED:
            raise _refuse(status, event, "only a dispatched letter can come back")
        return Transition(S.RETURNED, method_on_record)
    raise AssertionError(f"unhandled event {event}")  # pragma: no cover


def _target(event: LetterEventKind) -> LetterStatus:
    return {E.PRINTED: S.PRINTED, E.DISPATCHED: S.DISPATCHED, E.DELIVERED: S.DELIVERED,
            E.RETURNED: S.RETURNED, E.GENERATED: S.GENERATED}[event]


def _refuse(status: LetterStatus, event: LetterEventKind, why: str,
            code: str = "letter_transition_must_be_allowed") -> Conflict:
    return Conflict(f"the letter is {status.value}, so it cannot be marked {event.value}: "
                    f"{why}", code=code, status=status.value, event=event.value)
