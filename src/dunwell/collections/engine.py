"""The strategy engine: which ladder steps a case is due today, and which arm of an
experiment a case belongs to. Pure: the business date and the history come in.

Ladder rules (see docs/collections.md):

* The ladder counts days from one due date, the *anchor*: for an overdue case the
  oldest overdue due date (today minus the maximum DPD); before the due date the
  case's ``next_due_date``. A step is done for an anchor once ``history`` holds it.
* A step is due from its day until the next later step's day (the last step: until
  done), so a day the engine did not run is caught up once, not replayed; steps
  before the due date are not caught up on or after it, nor a due-day step after
  that day.
* A repeating step's occurrence ``n`` is due from ``day + n * repeat_every_days``
  until the next occurrence, for ``max_times`` occurrences.
* ``requires`` conditions are checked each day of that window.
* Cases in ``plan`` or ``legal`` (and closed cases) get nothing. While a promise to
  pay is pending, steps that press for payment wait; once it is broken the ladder
  goes on from the step the case's day has reached. After a step that ends the
  ladder (legal review) is done, nothing more is proposed for that due date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Final

from dunwell.collections.ladder import Segment, Step, Strategy
from dunwell.collections.model import (
    ActionKind,
    CaseView,
    PastAction,
    PromiseStatus,
    ProposedStep,
    Variant,
)
from dunwell.collections.vocabulary import CONTACT_OUTCOMES, PAYMENT_TAGS, RECIPIENT_BORROWER
from dunwell.core.errors import InvalidInput

#: Kinds that press for payment whatever their tags say.
PRESSING_KINDS: Final = frozenset(
    {ActionKind.FIELD_VISIT, ActionKind.NEGOTIATION_OFFER, ActionKind.LEGAL_REVIEW}
)
VARIANT_BUCKETS: Final = 10_000


def presses_for_payment(step: Step) -> bool:
    """Steps that wait while a promise to pay is pending."""
    return step.kind in PRESSING_KINDS or bool(PAYMENT_TAGS.intersection(step.content_tags))


def ladder_anchor(case: CaseView, today: dt.date) -> dt.date | None:
    """The due date the ladder counts from today, or None when nothing is due."""
    dpd = case.max_days_past_due
    if dpd > 0:
        return today - dt.timedelta(days=dpd)
    if case.next_due_date is not None and case.next_due_date >= today:
        return case.next_due_date
    return None


def case_metrics(
    case: CaseView, today: dt.date, anchor: dt.date, history: Sequence[PastAction]
) -> dict[str, int]:
    """The numbers ``requires`` conditions may name."""
    contacts = [
        a.on for a in (*history, *case.last_actions)
        if a.outcome in CONTACT_OUTCOMES and a.on <= today
    ]  # fmt: skip
    since = max(contacts) if contacts else anchor
    return {
        "no_contact_days": max(0, (today - since).days),
        "broken_promises": case.broken_promises,
        "days_past_due": case.max_days_past_due,
    }


def _d(day: int) -> str:
    return "D" if day == 0 else f"D{day:+d}"


def _window_end(step: Step, ladder: tuple[Step, ...]) -> int | None:
    """The first day ``step`` is no longer due (None: until done)."""
    later = [other.day for other in ladder if other.day > step.day]
    if step.day <= 0:
        later.append(0 if step.day < 0 else 1)
    return min(later) if later else None


def _due_occurrence(step: Step, day: int, ladder: tuple[Step, ...]) -> int | None:
    """Which occurrence of ``step`` is due on ``day``, if any."""
    if day < step.day:
        return None
    if step.repeat_every_days is None:
        end = _window_end(step, ladder)
        return 0 if end is None or day < end else None
    occurrence = (day - step.day) // step.repeat_every_days
    return occurrence if occurrence < step.times else None


def propose(
    case: CaseView, strategy: Strategy, today: dt.date, history: Sequence[PastAction]
) -> list[ProposedStep]:
    """The steps ``strategy`` proposes for ``case`` today, in planned-time order."""
    if not case.status.is_active or case.status.pauses_ladder:
        return []
    anchor = ladder_anchor(case, today)
    if anchor is None:
        return []
    day = (today - anchor).days
    segment = strategy.segment_for(
        day=day, score=case.risk_score, balance_minor=case.total_outstanding_minor,
        flags=case.flags,
    )  # fmt: skip
    if segment is None:
        return []
    cycle = [a for a in history if a.due_date == anchor and a.step_id is not None]
    if any(a.kind is not None and a.kind.ends_ladder for a in cycle):
        return []
    done = {(a.step_id, a.occurrence) for a in cycle}
    metrics = case_metrics(case, today, anchor, history)
    promise = case.open_promise
    waiting = promise is not None and promise.status is PromiseStatus.PENDING
    ladder = segment.ladder
    proposals: list[ProposedStep] = []
    for step in ladder:
        occurrence = _due_occurrence(step, day, ladder)
        if occurrence is None or (step.id, occurrence) in done:
            continue
        if waiting and presses_for_payment(step):
            continue
        if not all(condition.holds(metrics) for condition in step.requires):
            continue
        reason = _reason(strategy, segment, step, occurrence, day, metrics)
        proposals.append(
            ProposedStep(
                case_id=case.case_id,
                borrower_id=case.borrower_id,
                kind=step.kind,
                channel=step.channel,
                content_tags=step.content_tags,
                recipient=RECIPIENT_BORROWER if step.channel is not None else None,
                planned_time=step.at,
                priority=step.priority,
                reason=reason,
                strategy_name=strategy.name,
                strategy_version=strategy.version,
                segment_id=segment.id,
                step_id=step.id,
                due_date=anchor,
                occurrence=occurrence,
            )
        )
    return sorted(proposals, key=lambda p: (p.planned_time, -p.priority, p.step_id))


def _reason(
    strategy: Strategy,
    segment: Segment,
    step: Step,
    occurrence: int,
    day: int,
    metrics: dict[str, int],
) -> str:
    step_day = step.day + occurrence * (step.repeat_every_days or 0)
    text = (
        f"{strategy.label}, segment {segment.id}: step {step.id} ({step.kind.value}) "
        f"is due on {_d(step_day)}"
    )
    if step.repeat_every_days is not None:
        text += f" (occurrence {occurrence + 1} of {step.times})"
    text += f"; the case is at {_d(day)}"
    if day > step_day:
        text += ", catching up a step not yet done"
    if step.requires:
        held = ", ".join(f"{c} ({c.metric} = {metrics[c.metric]})" for c in step.requires)
        text += f"; {held}"
    return text


def assign_variant(case_key: str, experiment: str, challenger_share_pct: int, seed: int) -> Variant:
    """``"challenger"`` for about ``challenger_share_pct`` % of case keys, else
    ``"champion"``; the same inputs always give the same answer (SHA-256 of seed,
    experiment and key, not a random generator)."""
    if not 0 <= challenger_share_pct <= 100:
        raise InvalidInput(
            f"challenger_share_pct must be 0..100, got {challenger_share_pct}",
            code="challenger_share_must_be_a_percentage",
        )
    digest = hashlib.sha256(f"{seed}\x1f{experiment}\x1f{case_key}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % VARIANT_BUCKETS
    return "challenger" if bucket < challenger_share_pct * 100 else "champion"


def choose_strategy(
    case: CaseView,
    *,
    champion: Strategy,
    challenger: Strategy,
    experiment: str,
    challenger_share_pct: int,
    seed: int,
) -> tuple[Strategy, Variant]:
    """The strategy for ``case``: the variant recorded on the case wins, so a case
    stays in its arm when the share changes; otherwise it is assigned by case id."""
    variant = case.variant or assign_variant(case.case_id, experiment, challenger_share_pct, seed)
    return (challenger if variant == "challenger" else champion), variant


def missed_steps(
    case: CaseView,
    strategy: Strategy,
    today: dt.date,
    last_run: dt.date,
    history: Sequence[PastAction],
) -> list[ProposedStep]:
    """Steps whose whole window fell between the last collection run and ``today``.

    The engine catches up a step whose window is still open (it is done late); a step
    whose window opened after ``last_run`` and closed before ``today`` can no longer be
    done, and is returned so the run records it as skipped, with the days it was due,
    instead of letting it vanish. Steps already done, and steps that press for payment
    while a promise is pending, are not missed."""
    if not case.status.is_active or case.status.pauses_ladder or last_run >= today:
        return []
    anchor = ladder_anchor(case, today)
    if anchor is None:
        return []
    day, last_day = (today - anchor).days, (last_run - anchor).days
    segment = strategy.segment_for(
        day=day, score=case.risk_score, balance_minor=case.total_outstanding_minor,
        flags=case.flags,
    )  # fmt: skip
    if segment is None:
        return []
    done = {(a.step_id, a.occurrence) for a in history
            if a.due_date == anchor and a.step_id is not None}
    promise = case.open_promise
    waiting = promise is not None and promise.status is PromiseStatus.PENDING
    missed: list[ProposedStep] = []
    for step in segment.ladder:
        if waiting and presses_for_payment(step):
            continue
        for occurrence, start, end in _windows(step, segment.ladder):
            if (step.id, occurrence) in done or start <= last_day or end > day:
                continue
            first, last = anchor + dt.timedelta(days=start), anchor + dt.timedelta(days=end - 1)
            missed.append(ProposedStep(
                case_id=case.case_id, borrower_id=case.borrower_id, kind=step.kind,
                channel=step.channel, content_tags=step.content_tags,
                recipient=RECIPIENT_BORROWER if step.channel is not None else None,
                planned_time=step.at, priority=step.priority,
                reason=(f"skipped: {strategy.label}, step {step.id} was due {first} to {last}; "
                        f"no collection run between {last_run} and {today}"),
                strategy_name=strategy.name, strategy_version=strategy.version,
                segment_id=segment.id, step_id=step.id, due_date=anchor,
                occurrence=occurrence))
    return missed


def _windows(step: Step, ladder: tuple[Step, ...]) -> list[tuple[int, int, int]]:
    """(occurrence, first day, first day no longer due) of each of ``step``'s windows
    that closes; a window open until done never closes."""
    if step.repeat_every_days is None:
        end = _window_end(step, ladder)
        return [] if end is None else [(0, step.day, end)]
    every = step.repeat_every_days
    return [(n, step.day + n * every, step.day + (n + 1) * every) for n in range(step.times)]
