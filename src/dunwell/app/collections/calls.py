"""The collectors' call queues: the call an allowed step asks for, and the day's calls
booked into the queues of the collectors the training gate lets call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dunwell.app.training.gate import qualified_callers
from dunwell.collections.model import CaseLoan, CaseView, ProposedStep
from dunwell.collections.queues import CallTask, build_queues
from dunwell.compliance.model import Verdict

if TYPE_CHECKING:  # the repositories' interfaces, for the type checker
    from dunwell.store.collections_repo import ActionRepository, CaseRepository
    from dunwell.store.training_repo import TrainingRepository

#: Step kinds that become a call in a collector's queue once the guard allows them.
CALL_KINDS = frozenset({"call", "call_queue", "negotiation_offer"})


def call_task(step: ProposedStep, verdict: Verdict, loans: Sequence[CaseLoan],
              case: CaseView | None) -> CallTask:
    """The call an allowed step asks for, with what ranks it in a queue: the borrower's
    overdue balance and days past due, the case's risk and broken promises, and the
    window the guard allows (the planned time to 20:00 without one)."""
    window = verdict.window
    start = window.start if window else step.planned_time
    end = window.end if window else dt.time(20, 0)
    overdue = sum(loan.overdue_minor for loan in loans)
    dpd = max((loan.days_past_due for loan in loans), default=0)
    return CallTask(task_id=f"{step.case_id}:{step.step_id}:{step.occurrence}",
                    case_id=step.case_id, balance_minor=overdue, days_past_due=dpd,
                    risk_score=case.risk_score if case else None,
                    broken_promises=case.broken_promises if case else 0,
                    window_start=max(start, step.planned_time) if start < end else start,
                    window_end=end if end != dt.time.max else dt.time(23, 59))


def queue_calls(training: TrainingRepository, actions: ActionRepository, cases: CaseRepository,
                calls: list[tuple[CallTask, int]], day: dt.date) -> tuple[int, int]:
    """Book allowed calls (each with its action's id) into the queues of the
    collectors the training gate lets call today; a case's owner is its caller.
    Returns how many calls were queued and how many found no collector."""
    if not calls:
        return 0, 0
    by_task = {task.task_id: action_id for task, action_id in calls}
    plan = build_queues([task for task, _ in calls],
                        qualified_callers(training, on=day, callers=actions.collectors()))
    rows: list[dict[str, object]] = []
    for collector_id, queued in plan.queues.items():
        for pos, q in enumerate(queued):
            rows.append({"business_date": day, "action_id": by_task[q.task.task_id],
                         "collector_id": collector_id, "position": pos + 1,
                         "expected_recovery_minor": q.task.expected_recovery_minor,
                         "note": f"{q.start.isoformat('minutes')}-{q.end.isoformat('minutes')}"})
            if not q.task.case_id.startswith("pre-"):
                cases.set_owner(q.task.case_id, collector_id)
    for miss in plan.unassigned:
        rows.append({"business_date": day, "action_id": by_task[miss.task.task_id],
                     "collector_id": None, "position": None,
                     "expected_recovery_minor": miss.task.expected_recovery_minor,
                     "note": miss.reason})
    actions.add_call_tasks(rows)
    return sum(len(q) for q in plan.queues.values()), len(plan.unassigned)


__all__ = ["CALL_KINDS", "call_task", "queue_calls"]
