"""The legal case's life as a transition table: the usual path, settlement, and the
coded refusals (illegal transition, negative cost, backwards dates, filing without a
court)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.core.errors import InvalidInput
from dunwell.legal.errors import LegalCostInvalid, LegalTransitionRejected
from dunwell.legal.model import LegalCase, LegalEvent, LegalState
from dunwell.legal.tracking import TRANSITIONS, apply_event, parse_state, replay

L = LegalState
D = dt.date(2025, 6, 1)


def ev(state: LegalState, days: int = 0, cost: int = 0, **kw: str) -> LegalEvent:
    return LegalEvent(state, D + dt.timedelta(days=days), cost, **kw)


FILED = ev(L.FILED, 0, 50_000, court="上海市浦东新区人民法院", reference="(2025)沪0115民初1234号")


def test_filed_hearing_judgment_enforcement_closed_adds_up_the_costs() -> None:
    case = replay((FILED, ev(L.HEARING, 30, 0), ev(L.HEARING, 45, 20_000),
                   ev(L.JUDGMENT, 60, 0), ev(L.ENFORCEMENT, 90, 15_000), ev(L.CLOSED, 120)))
    assert case.state is L.CLOSED
    assert case.total_cost_minor == 85_000
    assert [e.event for e in case.events][:2] == [L.FILED, L.HEARING]


def test_a_settlement_can_end_the_case_at_any_point_before_closing() -> None:
    for path in ((), (FILED,), (FILED, ev(L.HEARING, 3)), (FILED, ev(L.JUDGMENT, 3))):
        case = replay(path)
        settled = apply_event(case, ev(L.SETTLED, 10))
        assert apply_event(settled, ev(L.CLOSED, 11)).state is L.CLOSED


@pytest.mark.parametrize(("path", "event"), [
    ((), L.JUDGMENT),  # nothing filed yet
    ((), L.HEARING),
    ((FILED,), L.ENFORCEMENT),  # enforcement needs a judgment
    ((FILED, ev(L.HEARING, 1)), L.CLOSED),  # a hearing under way is settled or decided
    ((FILED, ev(L.SETTLED, 1)), L.HEARING),
    ((FILED, ev(L.CLOSED, 1)), L.FILED),  # closed is final
])
def test_illegal_transitions_are_refused_with_the_allowed_next_steps(
        path: tuple[LegalEvent, ...], event: LegalState) -> None:
    case = replay(path)
    with pytest.raises(LegalTransitionRejected) as err:
        apply_event(case, ev(event, 5, court="c", reference="r"))
    assert err.value.code == "legal_case_transition_must_be_allowed"
    assert "allowed next" in err.value.message


def test_a_negative_cost_is_refused() -> None:
    with pytest.raises(LegalCostInvalid) as err:
        apply_event(LegalCase(L.APPROVED), ev(L.FILED, 0, -1, court="c", reference="r"))
    assert err.value.code == "legal_cost_must_not_be_negative"


def test_events_may_not_run_backwards() -> None:
    case = replay((FILED,))
    with pytest.raises(LegalTransitionRejected) as err:
        apply_event(case, ev(L.HEARING, -1))
    assert err.value.code == "legal_events_must_be_in_date_order"
    assert apply_event(case, ev(L.HEARING, 0)).state is L.HEARING  # the same day is fine


def test_the_table_covers_every_state_and_closed_is_terminal() -> None:
    assert set(TRANSITIONS) == set(LegalState)
    assert TRANSITIONS[L.CLOSED] == frozenset()
    assert all(L.APPROVED not in after for after in TRANSITIONS.values())


def test_unknown_event_names_are_refused() -> None:
    assert parse_state("judgment") is L.JUDGMENT
    for bad in ("approved", "appeal", ""):
        with pytest.raises(InvalidInput) as err:
            parse_state(bad)
        assert err.value.code == "legal_event_must_be_known"


@given(st.lists(st.tuples(st.sampled_from([s for s in LegalState if s is not L.APPROVED]),
                          st.integers(0, 10), st.integers(0, 1_000_000)), max_size=12))
def test_any_sequence_keeps_only_allowed_steps_and_costs_add_up(
        steps: list[tuple[LegalState, int, int]]) -> None:
    case, day, accepted = LegalCase(L.APPROVED), D, []
    for state, gap, cost in steps:
        day += dt.timedelta(days=gap)
        item = LegalEvent(state, day, cost, court="c", reference="r")
        try:
            after = apply_event(case, item)
        except LegalTransitionRejected:
            assert state not in TRANSITIONS[case.state]
            continue
        assert state in TRANSITIONS[case.state]
        case = after
        accepted.append(item)
    assert case.events == tuple(accepted)
    assert case.state == (accepted[-1].event if accepted else L.APPROVED)
    assert case.total_cost_minor == sum(e.cost_minor for e in accepted)
    assert replay(tuple(accepted)) == case
