"""Case lifecycle from loan facts, as pure functions that return the new case and
the timeline entries saying why.

* No active case and a loan overdue (DPD > 0): a case opens (``open``).
* Active case, every loan paid off: ``paid_off``.
* Active case, every loan not paid off is charged off: ``written_off`` (a case in
  ``legal`` stays there).
* Active case, nothing overdue any more: ``cured``, except that ``plan`` and
  ``legal`` stay as they are (a plan restructures the schedule; legal runs its course).
* Still overdue: the loans are updated, and a change of bucket is noted.

Promises move a case between ``open`` and ``promise`` (:func:`apply_promise`); plans,
legal referrals and closing go through :func:`change_status`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from dunwell.collections.errors import CaseTransitionRejected
from dunwell.collections.model import (
    CaseLoan,
    CaseStatus,
    CaseView,
    PromiseStatus,
    PromiseToPay,
    TimelineEntry,
    TimelineKind,
)
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor
from dunwell.lending.model import LoanStatus

S = CaseStatus
#: Status changes :func:`change_status` allows.
TRANSITIONS: Final[dict[CaseStatus, frozenset[CaseStatus]]] = {
    S.OPEN: frozenset({S.PLAN, S.LEGAL, S.WRITTEN_OFF, S.CLOSED}),
    S.PROMISE: frozenset({S.OPEN, S.PLAN, S.LEGAL, S.CLOSED}),
    S.PLAN: frozenset({S.OPEN, S.LEGAL, S.WRITTEN_OFF, S.CLOSED}),
    S.LEGAL: frozenset({S.OPEN, S.WRITTEN_OFF, S.CLOSED}),
}


@dataclass(frozen=True, slots=True)
class CaseChange:
    """The case after the change (None: no case) and what happened, in order."""

    case: CaseView | None
    timeline: tuple[TimelineEntry, ...] = ()


def case_id_for(borrower_id: str, opened_on: dt.date) -> str:
    return f"case-{borrower_id}-{opened_on:%Y%m%d}"


def _describe(loan: CaseLoan) -> str:
    return f"loan {loan.loan_id} is {loan.days_past_due} days past due ({loan.bucket.label})"


def open_or_update(
    existing: CaseView | None, borrower_id: str, loans: Sequence[CaseLoan], today: dt.date
) -> CaseChange:
    """Open, update or close the borrower's case from the facts of all their loans."""
    if existing is not None and existing.borrower_id != borrower_id:
        raise InvalidInput(
            f"case {existing.case_id} belongs to {existing.borrower_id}, not {borrower_id}",
            code="case_must_belong_to_borrower",
        )
    facts = tuple(loans)
    overdue = [loan for loan in facts if loan.is_overdue]
    if existing is None or not existing.status.is_active:
        if not overdue:
            return CaseChange(existing)
        worst = max(overdue, key=lambda loan: loan.days_past_due)
        case = CaseView(
            case_id=case_id_for(borrower_id, today),
            borrower_id=borrower_id,
            status=CaseStatus.OPEN,
            loans=facts,
            opened_on=today,
            risk_score=existing.risk_score if existing else None,
            flags=existing.flags if existing else frozenset(),
            broken_promises=existing.broken_promises if existing else 0,
        )
        text = f"case opened: {_describe(worst)}"
        entry = TimelineEntry(today, case.case_id, TimelineKind.CASE_OPENED, text)
        return CaseChange(case, (entry,))
    if not facts:
        raise InvalidInput(
            f"case {existing.case_id} is active; pass all of the borrower's loans",
            code="case_loans_must_be_given",
        )
    updated = replace(existing, loans=facts)
    unpaid = [loan for loan in facts if not loan.is_paid_off]
    if not unpaid:
        return _closed(updated, CaseStatus.PAID_OFF, TimelineKind.CASE_PAID_OFF, today,
                       f"all {len(facts)} loans are paid off")  # fmt: skip
    charged_off = all(loan.status is LoanStatus.CHARGED_OFF for loan in unpaid)
    if charged_off and existing.status is not CaseStatus.LEGAL:
        return _closed(updated, CaseStatus.WRITTEN_OFF, TimelineKind.CASE_WRITTEN_OFF, today,
                       f"every unpaid loan ({len(unpaid)}) is charged off")  # fmt: skip
    if not overdue:
        if existing.status.pauses_ladder:
            return CaseChange(updated)
        return _closed(updated, CaseStatus.CURED, TimelineKind.CASE_CURED, today,
                       "no loan is past due any more")  # fmt: skip
    if updated.bucket is not existing.bucket:
        text = f"bucket {existing.bucket.label} -> {updated.bucket.label}: " + _describe(
            max(overdue, key=lambda loan: loan.days_past_due)
        )
        entry = TimelineEntry(today, existing.case_id, TimelineKind.BUCKET_CHANGED, text)
        return CaseChange(updated, (entry,))
    return CaseChange(updated)


def _closed(
    case: CaseView, status: CaseStatus, kind: TimelineKind, today: dt.date, why: str
) -> CaseChange:
    text = f"case {status.value} (was {case.status.value}): {why}"
    entry = TimelineEntry(today, case.case_id, kind, text)
    return CaseChange(replace(case, status=status, open_promise=None), (entry,))


def apply_promise(case: CaseView, ptp: PromiseToPay, today: dt.date, *,
                  currency: str | None = None) -> CaseChange:
    """Record a new pending promise (status ``promise``), or its outcome once
    evaluated: kept or broken returns the case to ``open`` and a broken one is
    counted. Applying an outcome twice changes nothing the second time. The timeline
    states amounts in ``currency``'s major units (``500.00 CNY``); without a currency
    it can only count minor units."""

    def money(minor: int) -> str:
        return str(minor) if currency is None else f"{format_minor(minor, currency)} {currency}"

    if ptp.status is PromiseStatus.PENDING:
        if case.status not in (CaseStatus.OPEN, CaseStatus.PROMISE):
            raise CaseTransitionRejected(
                f"case {case.case_id} is {case.status.value}; a promise needs an open case"
            )
        if case.open_promise == ptp:
            return CaseChange(case)
        unit = " (minor units)" if currency is None else ""
        text = f"promise to pay {money(ptp.amount_minor)}{unit} by {ptp.due_date}"
        entry = TimelineEntry(today, case.case_id, TimelineKind.PROMISE_MADE, text)
        return CaseChange(replace(case, status=CaseStatus.PROMISE, open_promise=ptp), (entry,))
    current = case.open_promise
    same = current is not None and (current.created_on, current.due_date, current.amount_minor) == (
        ptp.created_on, ptp.due_date, ptp.amount_minor,
    )  # fmt: skip
    if not same:
        return CaseChange(case)
    kept = ptp.status is PromiseStatus.KEPT
    status = CaseStatus.OPEN if case.status is CaseStatus.PROMISE else case.status
    updated = replace(
        case,
        status=status,
        open_promise=None,
        broken_promises=case.broken_promises + (0 if kept else 1),
    )
    kind = TimelineKind.PROMISE_KEPT if kept else TimelineKind.PROMISE_BROKEN
    text = (
        f"promise of {money(ptp.amount_minor)} due {ptp.due_date} {ptp.status.value} "
        f"(paid {money(ptp.paid_minor)})"
    )
    return CaseChange(updated, (TimelineEntry(today, case.case_id, kind, text),))


def change_status(case: CaseView, status: CaseStatus, today: dt.date, reason: str) -> CaseChange:
    """Move a case to ``plan``, ``legal``, ``written_off`` or ``closed`` (or back to
    ``open``) when :data:`TRANSITIONS` allows it."""
    if status not in TRANSITIONS.get(case.status, frozenset()):
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS.get(case.status, ()))) or "none"
        raise CaseTransitionRejected(
            f"case {case.case_id} cannot go from {case.status.value} to {status.value}; "
            f"allowed: {allowed}"
        )
    text = f"status {case.status.value} -> {status.value}: {reason}"
    entry = TimelineEntry(today, case.case_id, TimelineKind.STATUS_CHANGED, text)
    return CaseChange(replace(case, status=status), (entry,))


def pre_due_view(
    borrower_id: str,
    loans: Sequence[CaseLoan],
    next_due_date: dt.date,
    *,
    risk_score: float | None = None,
    flags: frozenset[str] = frozenset(),
) -> CaseView:
    """A view of a borrower who is not overdue yet, so the engine can propose the
    steps before the due date; it is not a case and is not stored."""
    return CaseView(
        case_id=f"pre-{borrower_id}-{next_due_date:%Y%m%d}",
        borrower_id=borrower_id,
        status=CaseStatus.OPEN,
        loans=tuple(loans),
        next_due_date=next_due_date,
        risk_score=risk_score,
        flags=flags,
    )
