"""Promises to pay: made, then judged kept or broken from the payments that arrive.

A promise is *kept* once the payments made from its creation up to ``due_date +
grace_days`` add up to its amount; it is *broken* on the first day after that
deadline without full payment. Run :func:`evaluate_promise` before the strategy
engine each day: while a promise is pending the engine holds back steps that press
for payment; a broken promise releases them, and the ladder continues from the step
the case's day has reached (see :mod:`dunwell.collections.engine`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from dunwell.collections.errors import PromiseRejected
from dunwell.collections.model import PromiseStatus, PromiseToPay

PROMISE_HORIZON_DAYS_MAX: Final = 31
GRACE_DAYS_MAX: Final = 10


def make_promise(amount_minor: int, due_date: dt.date, today: dt.date) -> PromiseToPay:
    """A new pending promise; the date must be today or within the horizon."""
    problems: list[str] = []
    if amount_minor <= 0:
        problems.append(f"amount_minor must be positive, got {amount_minor}")
    if not today <= due_date <= today + dt.timedelta(days=PROMISE_HORIZON_DAYS_MAX):
        problems.append(
            f"due_date {due_date} must be from {today} to {PROMISE_HORIZON_DAYS_MAX} days later"
        )
    if problems:
        raise PromiseRejected("; ".join(problems), problems=problems)
    return PromiseToPay(amount_minor=amount_minor, due_date=due_date, created_on=today)


def promise_deadline(ptp: PromiseToPay, grace_days: int) -> dt.date:
    """The last day a payment still counts towards the promise."""
    return ptp.due_date + dt.timedelta(days=grace_days)


def evaluate_promise(
    ptp: PromiseToPay,
    payments_since_created: Sequence[tuple[dt.date, int]],
    today: dt.date,
    grace_days: int,
) -> PromiseToPay:
    """The promise as it stands today. ``payments_since_created`` are (date, amount in
    minor units); payments before creation, after the deadline or after today are
    ignored. A promise already kept or broken is returned unchanged."""
    if not 0 <= grace_days <= GRACE_DAYS_MAX:
        raise PromiseRejected(f"grace_days must be 0..{GRACE_DAYS_MAX}, got {grace_days}")
    if ptp.status is not PromiseStatus.PENDING:
        return ptp
    deadline = promise_deadline(ptp, grace_days)
    paid_minor = 0
    for on, amount_minor in sorted(payments_since_created):
        if amount_minor < 0:
            raise PromiseRejected(f"payment on {on} has a negative amount {amount_minor}")
        if not ptp.created_on <= on <= min(deadline, today):
            continue
        paid_minor += amount_minor
        if paid_minor >= ptp.amount_minor:
            return replace(ptp, status=PromiseStatus.KEPT, paid_minor=paid_minor, resolved_on=on)
    if today > deadline:
        return replace(
            ptp,
            status=PromiseStatus.BROKEN,
            paid_minor=paid_minor,
            resolved_on=deadline + dt.timedelta(days=1),
        )
    return replace(ptp, paid_minor=paid_minor)
