"""Case lifecycle from loan facts, and promises to pay judged from payments."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from dunwell.collections.cases import apply_promise, change_status, open_or_update
from dunwell.collections.errors import CaseTransitionRejected, PromiseRejected
from dunwell.collections.model import CaseLoan, CaseStatus, CaseView, PromiseStatus, TimelineKind
from dunwell.collections.promises import evaluate_promise, make_promise
from dunwell.lending.model import Bucket, LoanStatus

TODAY = dt.date(2025, 3, 15)
CURRENT = CaseLoan("L1", 0, 0, 40_000, LoanStatus.CURRENT)
LATE_5 = CaseLoan("L2", 5, 12_000, 60_000, LoanStatus.OVERDUE)
LATE_31 = CaseLoan("L2", 31, 24_000, 60_000, LoanStatus.OVERDUE)
CAUGHT_UP = CaseLoan("L2", 0, 0, 48_000, LoanStatus.CURRENT)
PAID_1 = CaseLoan("L1", 0, 0, 0, LoanStatus.PAID_OFF)
PAID_2 = CaseLoan("L2", 0, 0, 0, LoanStatus.PAID_OFF)
CHARGED_OFF = CaseLoan("L2", 200, 60_000, 60_000, LoanStatus.CHARGED_OFF)


def opened() -> CaseView:
    case = open_or_update(None, "b-1", [CURRENT, LATE_5], TODAY).case
    assert case is not None
    return case


def test_nothing_overdue_opens_no_case() -> None:
    change = open_or_update(None, "b-1", [CURRENT], TODAY)
    assert (change.case, change.timeline) == (None, ())


def test_a_loan_past_due_opens_a_case_saying_which_loan() -> None:
    change = open_or_update(None, "b-1", [CURRENT, LATE_5], TODAY)
    case = change.case
    assert case is not None
    assert (case.case_id, case.status, case.opened_on) == (
        "case-b-1-20250315",
        CaseStatus.OPEN,
        TODAY,
    )
    assert (case.max_days_past_due, case.bucket, case.total_overdue_minor) == (5, Bucket.M1, 12_000)
    assert [(e.kind, e.text) for e in change.timeline] == [
        (TimelineKind.CASE_OPENED, "case opened: loan L2 is 5 days past due (M1)")
    ]


def test_a_case_moving_into_the_next_bucket_notes_it() -> None:
    later = TODAY + dt.timedelta(days=26)
    change = open_or_update(opened(), "b-1", [CURRENT, LATE_31], later)
    assert [e.text for e in change.timeline] == [
        "bucket M1 -> M2: loan L2 is 31 days past due (M2)"
    ]
    assert change.case is not None and change.case.status is CaseStatus.OPEN


def test_a_case_with_nothing_overdue_any_more_is_cured() -> None:
    change = open_or_update(opened(), "b-1", [CURRENT, CAUGHT_UP], TODAY)
    assert change.case is not None and change.case.status is CaseStatus.CURED
    assert [e.text for e in change.timeline] == [
        "case cured (was open): no loan is past due any more"
    ]


def test_a_case_whose_loans_are_all_paid_off_is_paid_off() -> None:
    change = open_or_update(opened(), "b-1", [PAID_1, PAID_2], TODAY)
    assert change.case is not None and change.case.status is CaseStatus.PAID_OFF
    assert [e.kind for e in change.timeline] == [TimelineKind.CASE_PAID_OFF]


@pytest.mark.parametrize("status", [CaseStatus.PLAN, CaseStatus.LEGAL])
def test_plan_and_legal_cases_stay_put_when_nothing_is_overdue(status: CaseStatus) -> None:
    case = replace(opened(), status=status)
    change = open_or_update(case, "b-1", [CURRENT, CAUGHT_UP], TODAY)
    assert change.case is not None and change.case.status is status
    assert change.timeline == ()


def test_a_plan_case_paid_off_is_paid_off() -> None:
    case = replace(opened(), status=CaseStatus.PLAN)
    change = open_or_update(case, "b-1", [PAID_1, PAID_2], TODAY)
    assert change.case is not None and change.case.status is CaseStatus.PAID_OFF


def test_a_case_whose_unpaid_loans_are_charged_off_is_written_off() -> None:
    change = open_or_update(opened(), "b-1", [PAID_1, CHARGED_OFF], TODAY)
    assert change.case is not None and change.case.status is CaseStatus.WRITTEN_OFF


def test_a_cured_borrower_who_falls_behind_again_gets_a_new_case() -> None:
    cured = open_or_update(opened(), "b-1", [CURRENT, CAUGHT_UP], TODAY).case
    later = TODAY + dt.timedelta(days=40)
    again = open_or_update(cured, "b-1", [CURRENT, LATE_5], later).case
    assert again is not None
    assert (again.case_id, again.status) == ("case-b-1-20250424", CaseStatus.OPEN)


def test_a_promise_moves_the_case_to_promise_and_a_broken_one_back_to_open_once() -> None:
    ptp = make_promise(12_000, TODAY + dt.timedelta(days=5), TODAY)
    promised = apply_promise(opened(), ptp, TODAY)
    assert promised.case is not None and promised.case.status is CaseStatus.PROMISE
    assert [e.text for e in promised.timeline] == [
        "promise to pay 12000 (minor units) by 2025-03-20"
    ]
    judged_on = TODAY + dt.timedelta(days=8)
    broken = evaluate_promise(ptp, [(TODAY + dt.timedelta(days=1), 2_000)], judged_on, grace_days=2)
    first = apply_promise(promised.case, broken, judged_on)
    assert first.case is not None
    assert (first.case.status, first.case.broken_promises, first.case.open_promise) == (
        CaseStatus.OPEN,
        1,
        None,
    )
    assert [e.text for e in first.timeline] == [
        "promise of 12000 due 2025-03-20 broken (paid 2000)"
    ]
    twice = apply_promise(first.case, broken, judged_on)
    assert (twice.case, twice.timeline) == (first.case, ())


def test_status_changes_follow_the_transition_table() -> None:
    plan = change_status(opened(), CaseStatus.PLAN, TODAY, "plan agreed")
    assert plan.case is not None and plan.case.status is CaseStatus.PLAN
    assert [e.text for e in plan.timeline] == ["status open -> plan: plan agreed"]
    cured = replace(opened(), status=CaseStatus.CURED)
    with pytest.raises(CaseTransitionRejected, match="cannot go from cured to plan; allowed: none"):
        change_status(cured, CaseStatus.PLAN, TODAY, "plan agreed")


DUE = dt.date(2025, 4, 1)
MADE = dt.date(2025, 3, 28)


@pytest.mark.parametrize(
    ("payments", "today", "status", "paid", "resolved"),
    [
        (
            [(dt.date(2025, 3, 30), 5_000), (dt.date(2025, 4, 2), 15_000)],
            dt.date(2025, 4, 2),
            "kept",
            20_000,
            dt.date(2025, 4, 2),
        ),
        ([(dt.date(2025, 3, 30), 5_000)], dt.date(2025, 4, 2), "pending", 5_000, None),
        ([(dt.date(2025, 3, 30), 5_000)], dt.date(2025, 4, 3), "pending", 5_000, None),
        (
            [(dt.date(2025, 3, 30), 5_000)],
            dt.date(2025, 4, 4),
            "broken",
            5_000,
            dt.date(2025, 4, 4),
        ),
        ([(dt.date(2025, 4, 4), 20_000)], dt.date(2025, 4, 4), "broken", 0, dt.date(2025, 4, 4)),
        ([(dt.date(2025, 3, 27), 20_000)], dt.date(2025, 4, 4), "broken", 0, dt.date(2025, 4, 4)),
        ([(dt.date(2025, 4, 3), 25_000)], dt.date(2025, 4, 9), "kept", 25_000, dt.date(2025, 4, 3)),
    ],
)
def test_a_promise_is_kept_by_full_payment_by_the_due_date_plus_grace(
    payments: list[tuple[dt.date, int]],
    today: dt.date,
    status: str,
    paid: int,
    resolved: dt.date | None,
) -> None:
    ptp = make_promise(20_000, DUE, MADE)
    judged = evaluate_promise(ptp, payments, today, grace_days=2)
    assert (judged.status.value, judged.paid_minor, judged.resolved_on) == (status, paid, resolved)


def test_a_judged_promise_stays_judged() -> None:
    kept = evaluate_promise(make_promise(1_000, DUE, MADE), [(MADE, 1_000)], MADE, grace_days=0)
    assert kept.status is PromiseStatus.KEPT
    assert evaluate_promise(kept, [], DUE + dt.timedelta(days=30), grace_days=0) is kept


def test_a_promise_must_be_positive_and_within_the_horizon() -> None:
    with pytest.raises(PromiseRejected) as caught:
        make_promise(0, MADE - dt.timedelta(days=1), MADE)
    assert caught.value.details["problems"] == [
        "amount_minor must be positive, got 0",
        "due_date 2025-03-27 must be from 2025-03-28 to 31 days later",
    ]
