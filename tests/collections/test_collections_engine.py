"""The strategy engine walked day by day: the humane ladder, catching up, conditions,
promises pausing and resuming, statuses that pause, and two invariants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.channels.letters import VISIT_NOTICE_DAYS
from dunwell.collections.engine import propose
from dunwell.collections.ladder import Strategy
from dunwell.collections.model import (
    CaseLoan,
    CaseStatus,
    CaseView,
    PastAction,
    PromiseStatus,
    PromiseToPay,
    ProposedStep,
)
from dunwell.collections.promises import evaluate_promise, make_promise
from dunwell.collections.strategy import builtin_strategies
from dunwell.collections.vocabulary import FLAGS
from dunwell.lending.model import LoanStatus

DUE = dt.date(2025, 3, 10)  # the instalment's due date: day 0
STRATEGIES = builtin_strategies()
HUMANE = STRATEGIES["humane"]
AGGRESSIVE = STRATEGIES["aggressive"]

#: What the humane strategy proposes for a standard case nobody answers, by day.
HUMANE_LADDER_BY_DAY = {
    -3: ["in_app_reminder"],
    -1: ["sms_reminder"],
    0: ["sms_reminder"],
    1: ["sms_reminder"],
    3: ["call"],
    7: ["call_queue"],
    15: ["letter"],
    30: ["letter"],
    37: ["field_visit"],
    45: ["negotiation_offer"],
    90: ["legal_review"],
}


def case_on(
    day: int,
    *,
    status: CaseStatus = CaseStatus.OPEN,
    score: float | None = None,
    flags: Iterable[str] = (),
    promise: PromiseToPay | None = None,
) -> CaseView:
    """Borrower b-1 with one loan due on DUE, seen ``day`` days after it."""
    dpd = max(day, 0)
    loan = CaseLoan(
        "L1", dpd, 12_000 if dpd else 0, 60_000, LoanStatus.OVERDUE if dpd else LoanStatus.CURRENT
    )
    return CaseView(
        case_id="case-1",
        borrower_id="b-1",
        status=status,
        loans=(loan,),
        next_due_date=None if dpd else DUE,
        risk_score=score,
        flags=frozenset(flags),
        open_promise=promise,
    )


def done(proposal: ProposedStep, on: dt.date) -> PastAction:
    return PastAction(
        on=on,
        kind=proposal.kind,
        step_id=proposal.step_id,
        due_date=proposal.due_date,
        occurrence=proposal.occurrence,
    )


def walk(
    strategy: Strategy,
    days: Iterable[int],
    make_case: Callable[[int], CaseView] = case_on,
    history: Iterable[PastAction] = (),
) -> dict[int, list[str]]:
    """Run the engine on each day, doing everything it proposes; kinds by day."""
    past = list(history)
    seen: dict[int, list[str]] = {}
    for day in days:
        today = DUE + dt.timedelta(days=day)
        proposals = propose(make_case(day), strategy, today, past)
        if proposals:
            seen[day] = [p.kind.value for p in proposals]
        past += [done(p, today) for p in proposals]
    return seen


def test_a_case_walked_from_d_minus_3_to_d_plus_90_gets_exactly_the_humane_ladder() -> None:
    assert walk(HUMANE, range(-3, 91)) == HUMANE_LADDER_BY_DAY


def test_every_proposal_says_why_and_carries_the_step_it_came_from() -> None:
    (visit_notice,) = propose(case_on(30), HUMANE, DUE + dt.timedelta(days=30), [])
    assert (visit_notice.kind.value, visit_notice.step_id) == ("letter", "d30_visit_notice")
    sent = done(visit_notice, DUE + dt.timedelta(days=30))
    (visit,) = propose(case_on(37), HUMANE, DUE + dt.timedelta(days=37), [sent])
    assert visit.reason == (
        "humane v1, segment standard: step d37_field_visit (field_visit) is due on D+37; "
        "the case is at D+37; no_contact_days >= 14 (no_contact_days = 37)"
    )
    assert (visit.channel, visit.recipient, visit.planned_time) == (
        "visit",
        "borrower",
        dt.time(14),
    )
    assert (visit.strategy_name, visit.strategy_version, visit.segment_id) == (
        "humane",
        1,
        "standard",
    )
    assert (visit.step_id, visit.due_date, visit.occurrence) == ("d37_field_visit", DUE, 0)


def test_the_visit_comes_no_sooner_than_seven_days_after_its_notice() -> None:
    seen = walk(HUMANE, range(-3, 91))
    notice_day = next(day for day, kinds in seen.items() if "letter" in kinds and day >= 30)
    visit_day = next(day for day, kinds in seen.items() if "field_visit" in kinds)
    assert (notice_day, visit_day) == (30, 37)
    assert visit_day - notice_day >= VISIT_NOTICE_DAYS  # what the notice letter promises


def test_the_legal_review_is_internal() -> None:
    (review,) = propose(case_on(90), HUMANE, DUE + dt.timedelta(days=90), [])
    assert (review.kind.value, review.channel, review.recipient) == ("legal_review", None, None)


def test_a_day_the_engine_did_not_run_is_caught_up_once_and_not_replayed() -> None:
    days = [d for d in range(-3, 16) if d != 3]
    assert walk(HUMANE, days) == {
        -3: ["in_app_reminder"],
        -1: ["sms_reminder"],
        0: ["sms_reminder"],
        1: ["sms_reminder"],
        4: ["call"],
        7: ["call_queue"],
        15: ["letter"],
    }
    (late_call,) = propose(case_on(5), HUMANE, DUE + dt.timedelta(days=5), [])
    assert late_call.reason.endswith("the case is at D+5, catching up a step not yet done")


def test_a_case_that_opens_late_starts_at_the_rung_its_day_has_reached() -> None:
    assert walk(HUMANE, range(50, 60)) == {50: ["negotiation_offer"]}


def test_a_visit_waits_until_the_borrower_has_not_been_reached_for_14_days() -> None:
    talked = PastAction(on=DUE + dt.timedelta(days=20), outcome="conversation")
    assert walk(HUMANE, range(-3, 50), history=[talked]) == {
        **{day: kinds for day, kinds in HUMANE_LADDER_BY_DAY.items() if day < 30},
        # The notice waits for 14 days without contact (D+34); the visit step stays at
        # D+37, and the field plan holds it back until the notice's seven days have run.
        34: ["letter"],
        37: ["field_visit"],
        45: ["negotiation_offer"],
    }


def test_a_pending_promise_pauses_payment_requests_and_a_broken_one_resumes_the_ladder() -> None:
    promise = make_promise(20_000, DUE + dt.timedelta(days=6), DUE + dt.timedelta(days=2))

    def with_promise(day: int) -> CaseView:
        today = DUE + dt.timedelta(days=day)
        judged = evaluate_promise(promise, [], today, grace_days=2) if day >= 2 else None
        return case_on(day, promise=judged)

    assert with_promise(8).open_promise == promise
    broken = with_promise(9).open_promise
    assert broken is not None and broken.status is PromiseStatus.BROKEN
    assert walk(HUMANE, range(1, 17), with_promise) == {
        1: ["sms_reminder"],
        9: ["call_queue"],
        15: ["letter"],
    }


def test_a_pending_promise_does_not_hold_back_education() -> None:
    promise = make_promise(5_000, DUE + dt.timedelta(days=20), DUE + dt.timedelta(days=2))
    seen = walk(HUMANE, range(1, 40), lambda d: case_on(d, flags={"vulnerable"}, promise=promise))
    assert seen == {7: ["education"], 37: ["education"]}


def test_the_care_segment_sends_only_plan_confirmations_and_education() -> None:
    proposals: list[ProposedStep] = []
    past: list[PastAction] = []
    for day in range(-3, 181):
        today = DUE + dt.timedelta(days=day)
        todays = propose(case_on(day, flags={"hardship_plan"}), HUMANE, today, past)
        proposals += todays
        past += [done(p, today) for p in todays]
    assert [(p.step_id, p.content_tags) for p in proposals] == [
        ("care_plan_confirmation", ("plan_confirmation", "no_deadline_pressure")),
        ("care_education", ("signpost_free_debt_advice", "no_deadline_pressure")),
        ("care_education", ("signpost_free_debt_advice", "no_deadline_pressure")),
        ("care_education", ("signpost_free_debt_advice", "no_deadline_pressure")),
    ]


def test_a_high_risk_borrower_is_offered_help_before_the_due_date() -> None:
    seen = walk(HUMANE, range(-5, 16), lambda d: case_on(d, score=0.85))
    assert seen == {
        -5: ["hardship_outreach"],
        -3: ["in_app_reminder"],
        -1: ["sms_reminder"],
        0: ["sms_reminder"],
        1: ["sms_reminder"],
        3: ["call"],
        7: ["call_queue"],
        10: ["hardship_outreach"],
        15: ["letter"],
    }


def test_aggressive_daily_calls_stop_after_max_times_and_the_legal_review_ends_the_ladder() -> None:
    seen = walk(AGGRESSIVE, range(-3, 60))
    calls = [day for day, kinds in seen.items() if "call" in kinds]
    assert calls == list(range(1, 30))
    assert seen[30] == ["legal_review"]
    assert max(seen) == 30


def test_plan_legal_and_closed_cases_get_nothing() -> None:
    for status in CaseStatus:
        proposals = propose(case_on(3, status=status), HUMANE, DUE + dt.timedelta(days=3), [])
        assert (status.value, bool(proposals)) == (
            status.value,
            status.value in {"open", "promise"},
        )


def test_a_case_paid_before_its_due_date_ran_out_gets_nothing() -> None:
    paid = case_on(0)
    assert propose(paid, HUMANE, DUE + dt.timedelta(days=2), []) == []


scores = st.one_of(st.none(), st.floats(min_value=0, max_value=1))
flag_sets = st.frozensets(st.sampled_from(sorted(FLAGS)), max_size=3)


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from([CaseStatus.PLAN, CaseStatus.LEGAL]),
    day=st.integers(min_value=-10, max_value=400),
    score=scores,
    flags=flag_sets,
    strategy=st.sampled_from(sorted(STRATEGIES)),
)
def test_propose_never_returns_a_step_for_a_case_in_plan_or_legal(
    status: CaseStatus, day: int, score: float | None, flags: frozenset[str], strategy: str
) -> None:
    case = case_on(day, status=status, score=score, flags=flags)
    assert propose(case, STRATEGIES[strategy], DUE + dt.timedelta(days=day), []) == []


@settings(max_examples=60, deadline=None)
@given(
    strategy=st.sampled_from(sorted(STRATEGIES)),
    runs=st.lists(st.booleans(), min_size=110, max_size=110),
    daily_scores=st.lists(scores, min_size=1, max_size=4),
    daily_flags=st.lists(flag_sets, min_size=1, max_size=3),
    promise_days=st.one_of(st.none(), st.tuples(st.integers(1, 60), st.integers(0, 20))),
)
def test_propose_never_proposes_the_same_step_twice_for_the_same_due_date(
    strategy: str,
    runs: list[bool],
    daily_scores: list[float | None],
    daily_flags: list[frozenset[str]],
    promise_days: tuple[int, int] | None,
) -> None:
    past: list[PastAction] = []
    keys: set[tuple[str, dt.date, int]] = set()
    for day, run in zip(range(-10, 100), runs, strict=True):
        if not run:
            continue
        today = DUE + dt.timedelta(days=day)
        promise = None
        if promise_days is not None and promise_days[0] <= day <= sum(promise_days):
            promise = PromiseToPay(1_000, DUE + dt.timedelta(days=sum(promise_days)), DUE)
        case = case_on(
            day,
            score=daily_scores[day % len(daily_scores)],
            flags=daily_flags[day % len(daily_flags)],
            promise=promise,
        )
        proposals = propose(case, STRATEGIES[strategy], today, past)
        for p in proposals:
            key = (p.step_id, p.due_date, p.occurrence)
            assert key not in keys
            keys.add(key)
            assert p.reason
        past += [done(p, today) for p in proposals]
