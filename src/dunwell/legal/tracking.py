"""The legal case's life after a referral is approved, as a pure transition table.

``approved`` → ``filed`` → ``hearing`` (one or more) → ``judgment`` → ``enforcement``
(one or more) → ``closed``; a settlement may be reached at any point before closing,
and a case may be closed (withdrawn) before it is filed or after judgment. Every
event records its date and what it cost (integer minor units, never negative).
"""

from __future__ import annotations

from typing import Final

from dunwell.core.errors import InvalidInput
from dunwell.legal.errors import LegalCostInvalid, LegalTransitionRejected
from dunwell.legal.model import LegalCase, LegalEvent, LegalState

L = LegalState
#: From each state, the events that may follow.
TRANSITIONS: Final[dict[LegalState, frozenset[LegalState]]] = {
    L.APPROVED: frozenset({L.FILED, L.SETTLED, L.CLOSED}),
    L.FILED: frozenset({L.HEARING, L.JUDGMENT, L.SETTLED, L.CLOSED}),
    L.HEARING: frozenset({L.HEARING, L.JUDGMENT, L.SETTLED}),
    L.JUDGMENT: frozenset({L.ENFORCEMENT, L.SETTLED, L.CLOSED}),
    L.ENFORCEMENT: frozenset({L.ENFORCEMENT, L.SETTLED, L.CLOSED}),
    L.SETTLED: frozenset({L.CLOSED}),
    L.CLOSED: frozenset(),
}


def allowed_after(state: LegalState) -> frozenset[LegalState]:
    return TRANSITIONS[state]


def parse_state(text: str) -> LegalState:
    try:
        state = LegalState(text)
    except ValueError:
        state = None
    if state is None or state is LegalState.APPROVED:
        names = ", ".join(s.value for s in LegalState if s is not LegalState.APPROVED)
        raise InvalidInput(f"unknown legal event {text!r}; use one of {names}",
                           code="legal_event_must_be_known", field="event")
    return state


def apply_event(case: LegalCase, event: LegalEvent) -> LegalCase:
    """The case after ``event``; raises a coded rejection when the table forbids it,
    the cost is negative or the date runs backwards."""
    if event.cost_minor < 0:
        raise LegalCostInvalid(
            f"cost {event.cost_minor} is negative; record costs as amounts >= 0 "
            "(a recovery of costs is a payment, not a negative cost)", field="cost")
    allowed = TRANSITIONS[case.state]
    if event.event not in allowed:
        names = ", ".join(sorted(s.value for s in allowed)) or "nothing (the case is closed)"
        raise LegalTransitionRejected(
            f"a legal case in {case.state.value} cannot record {event.event.value}; "
            f"allowed next: {names}")
    last = case.events[-1].on if case.events else None
    if last is not None and event.on < last:
        raise LegalTransitionRejected(
            f"{event.event.value} on {event.on} is before the previous event on {last}",
            code="legal_events_must_be_in_date_order")
    return LegalCase(event.event, (*case.events, event))


def replay(events: tuple[LegalEvent, ...]) -> LegalCase:
    """The case from its recorded events (each checked again)."""
    case = LegalCase(LegalState.APPROVED)
    for e in events:
        case = apply_event(case, e)
    return case


__all__ = ["TRANSITIONS", "allowed_after", "apply_event", "parse_state", "replay"]
