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

from collections.abc import Mapping
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


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a move is refused, and its code; ``why`` may name the ``{method}``."""

    why: str
    code: str = "letter_transition_must_be_allowed"


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the register: the state an event leads to from one state, the
    methods it admits (``None``: any, or none given), whether the event's method goes
    on record (else the method on record stays), and the refusal for a method not
    admitted (``None``: the event's own refusal)."""

    target: LetterStatus
    methods: frozenset[DispatchMethod] | None = None
    records_method: bool = False
    wrong_method: Refusal | None = None

    def admits(self, method: DispatchMethod | None) -> bool:
        return self.methods is None or method in self.methods


#: The register (the module doc's table): (event, from state) -> rule.
TRANSITIONS: Mapping[tuple[LetterEventKind, LetterStatus], Rule] = {
    (E.PRINTED, S.GENERATED): Rule(S.PRINTED),
    (E.DISPATCHED, S.GENERATED): Rule(
        S.DISPATCHED, frozenset({M.E_LETTER}), records_method=True, wrong_method=Refusal(
            "a letter sent by {method} must be printed first: record `dunwell letters "
            "event LETTER printed` (or print the day's letters with `dunwell letters "
            "print`), then dispatch it", code="letter_must_be_printed_before_dispatch")),
    (E.DISPATCHED, S.PRINTED): Rule(S.DISPATCHED, records_method=True),
    (E.DISPATCHED, S.RETURNED): Rule(S.DISPATCHED, records_method=True),
    (E.DELIVERED, S.DISPATCHED): Rule(S.DELIVERED, records_method=True),
    (E.DELIVERED, S.GENERATED): Rule(S.DELIVERED, frozenset({M.IN_PERSON}),
                                     records_method=True),
    (E.DELIVERED, S.PRINTED): Rule(S.DELIVERED, frozenset({M.IN_PERSON}),
                                   records_method=True),
    (E.RETURNED, S.DISPATCHED): Rule(S.RETURNED),
}

#: Each event's refusal from a state its rows do not start from.
REFUSALS: Mapping[LetterEventKind, Refusal] = {
    E.GENERATED: Refusal("only issuing a letter generates it"),
    E.PRINTED: Refusal("a letter is printed once, right after it is generated; render it "
                       "again with `dunwell letters render` for a copy"),
    E.DISPATCHED: Refusal("only a printed, generated (e-letter) or returned letter can be "
                          "dispatched"),
    E.DELIVERED: Refusal("only a dispatched letter, or one handed over in person "
                         "(--method in_person), can be delivered"),
    E.RETURNED: Refusal("only a dispatched letter can come back"),
}

#: The state each event leads to, whatever it came from.
LEADS_TO: Mapping[LetterEventKind, LetterStatus] = {
    E.GENERATED: S.GENERATED, E.PRINTED: S.PRINTED, E.DISPATCHED: S.DISPATCHED,
    E.DELIVERED: S.DELIVERED, E.RETURNED: S.RETURNED}


def check_proof_length(proof: str | None) -> None:
    """A proof is a reference, at most :data:`PROOF_CHARS_MAX` characters."""
    if proof is not None and len(proof) > PROOF_CHARS_MAX:
        raise InvalidInput(f"proof is {len(proof)} characters; keep it under "
                           f"{PROOF_CHARS_MAX} (store a reference, not the document)",
                           code="delivery_proof_must_be_short")


def check_event_input(event: LetterEventKind, method: DispatchMethod | None,
                      proof: str | None) -> None:
    """What the event needs whatever the state: a method to dispatch by, a proof of
    delivery."""
    if event is E.DISPATCHED and method is None:
        raise InvalidInput("say how the letter went out: --method post, e_letter or "
                           "in_person", code="dispatch_method_must_be_given")
    if event is E.DELIVERED and not proof:
        raise InvalidInput("delivery needs proof: a tracking reference, a read receipt "
                           "or the visit record (--proof)", code="delivery_proof_must_be_given")


def is_replay(*, status: LetterStatus, event: LetterEventKind, method: DispatchMethod | None,
              proof: str | None, last_event: LetterEvent | None) -> bool:
    """The event repeats the one that produced ``status``, with the same method and proof."""
    return (last_event is not None and last_event.event is event
            and last_event.method is method and last_event.proof == proof
            and status is LEADS_TO[event])


def next_state(*, status: LetterStatus, method_on_record: DispatchMethod | None,
               event: LetterEventKind, method: DispatchMethod | None, proof: str | None,
               last_event: LetterEvent | None = None) -> Transition:
    """Where ``event`` takes a letter in ``status``; a coded rejection if it may not."""
    check_proof_length(proof)
    if is_replay(status=status, event=event, method=method, proof=proof,
                 last_event=last_event):
        return Transition(status, method_on_record, replay=True)
    check_event_input(event, method, proof)
    rule = TRANSITIONS.get((event, status))
    if rule is None:
        raise _refuse(status, event, REFUSALS[event], method)
    if not rule.admits(method):
        raise _refuse(status, event, rule.wrong_method or REFUSALS[event], method)
    return Transition(rule.target,
                      (method or method_on_record) if rule.records_method else method_on_record)


def _refuse(status: LetterStatus, event: LetterEventKind, refusal: Refusal,
            method: DispatchMethod | None) -> Conflict:
    why = refusal.why.format(method=method.value if method else "")
    return Conflict(f"the letter is {status.value}, so it cannot be marked {event.value}: "
                    f"{why}", code=refusal.code, status=status.value, event=event.value)
