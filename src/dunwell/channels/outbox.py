"""The outbox's state machine and retry schedule, pure.

=============  ==========================================  =====================
from           event                                       to
=============  ==========================================  =====================
pending        a dispatcher claims it (lease)              sending
sending        the provider accepts it                     sent
sending        a retryable failure, attempts left          pending (back-off)
sending        a permanent failure, or attempts exhausted  failed
sending        the lease runs out (the dispatcher died)    sending (re-claimed)
sent/sending   the provider reports delivery               delivered/undelivered
=============  ==========================================  =====================
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from dunwell.channels.errors import STATUS_TRANSITION
from dunwell.channels.model import DeliveryStatus, MessageStatus, RetryPolicy
from dunwell.core.errors import Conflict

S = MessageStatus
TRANSITIONS: Final[dict[MessageStatus, frozenset[MessageStatus]]] = {
    S.PENDING: frozenset({S.SENDING}),
    S.SENDING: frozenset({S.SENDING, S.SENT, S.PENDING, S.FAILED, S.DELIVERED,
                          S.UNDELIVERED}),
    S.SENT: frozenset({S.DELIVERED, S.UNDELIVERED}),
    S.DELIVERED: frozenset(),
    S.UNDELIVERED: frozenset(),
    S.FAILED: frozenset(),
}


def transition(current: MessageStatus, target: MessageStatus) -> MessageStatus:
    """``target`` if the machine allows ``current → target``; otherwise a Conflict."""
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a {current.value} message cannot become {target.value}",
                       code=STATUS_TRANSITION, current=current.value, target=target.value)
    return target


def backoff_delay(policy: RetryPolicy, *, attempt: int, jitter: float) -> dt.timedelta:
    """How long to wait after failed attempt ``attempt`` (1-based). ``jitter`` is a
    draw in [0, 1) from the caller's random generator; for a fixed draw the delay never
    shrinks as attempts grow, and it never exceeds ``policy.cap_seconds``."""
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if not (0.0 <= jitter < 1.0):
        raise ValueError("jitter must be a draw in [0, 1)")
    step_seconds = policy.base_seconds
    for _ in range(min(attempt - 1, 64)):
        step_seconds = min(step_seconds * policy.factor, policy.cap_seconds)
    fixed_ms = round(step_seconds * 1000 * (1.0 - policy.jitter_ratio))
    spread_ms = step_seconds * 1000 - fixed_ms
    return dt.timedelta(milliseconds=fixed_ms + int(spread_ms * jitter))


def after_failure(policy: RetryPolicy, *, attempt: int, retryable: bool, now: dt.datetime,
                  jitter: float, not_after: dt.datetime | None = None,
                  ) -> tuple[MessageStatus, dt.datetime | None]:
    """Where a message goes after failed attempt ``attempt``: back to pending at a
    later time, or dead — also when that time would fall after ``not_after`` (the
    end of the contact window the guard allowed)."""
    if not retryable or attempt >= policy.attempts_max:
        return MessageStatus.FAILED, None
    later = now + backoff_delay(policy, attempt=attempt, jitter=jitter)
    if not_after is not None and later > not_after:
        return MessageStatus.FAILED, None
    return MessageStatus.PENDING, later


def expired(not_after: dt.datetime | None, now: dt.datetime) -> bool:
    """True when the contact window a message was allowed in has closed."""
    return not_after is not None and now > not_after


def after_report(current: MessageStatus, reported: DeliveryStatus) -> tuple[MessageStatus, bool]:
    """``(status, changed)`` for a delivery report: the same report twice changes
    nothing the second time; a contradicting one is a Conflict."""
    target = MessageStatus(reported.value)
    if current is target:
        return current, False
    return transition(current, target), True
