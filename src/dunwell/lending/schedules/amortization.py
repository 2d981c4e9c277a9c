"""The one amortisation loop every monthly schedule runs, with its method's rules
plugged in.

Period by period, on the principal ``O`` still owed at the start of the period:

1. interest is the method's :class:`InterestRule` for the period and ``O``;
2. the principal part is the method's :class:`PrincipalRule`, kept within ``[0, O]``;
3. the last period repays all that is still owed, so the parts sum exactly to the
   principal whatever the rules round.

The methods differ only in their principal rule: :func:`level_payment` (等额本息:
the payment less the interest), :func:`equal_share` (等额本金: ``P // N``) and
:func:`nothing_until_the_end` (先息后本). Interest is :func:`day_count_interest`
(each period's dates under the day count) or, for the progressive method, its own
rate factors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from dunwell.core.dates import DayCount
from dunwell.core.money import Rounding
from dunwell.lending.model import Schedule, ScheduledInstallment
from dunwell.lending.schedules.common import due_date, period_interest_minor, period_start


@dataclass(frozen=True, slots=True)
class Split:
    """One instalment's principal and interest, in minor units."""

    principal_minor: int
    interest_minor: int

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor


class InterestRule(Protocol):
    """Interest of period ``n`` (from 1) on ``outstanding_minor``, rounded once."""

    def __call__(self, n: int, outstanding_minor: int) -> int: ...


class PrincipalRule(Protocol):
    """The principal period ``n`` repays, before it is kept within what is owed."""

    def __call__(self, n: int, interest_minor: int, outstanding_minor: int) -> int: ...


def amortize(*, principal_minor: int, periods: int, interest: InterestRule,
             principal: PrincipalRule) -> tuple[Split, ...]:
    """Split ``principal_minor`` over ``periods`` periods by the two rules; the last
    period repays all that is left."""
    outstanding_minor = principal_minor
    splits: list[Split] = []
    for n in range(1, periods + 1):
        interest_minor = interest(n, outstanding_minor)
        if n == periods:
            principal_part = outstanding_minor
        else:
            wanted = principal(n, interest_minor, outstanding_minor)
            principal_part = min(max(wanted, 0), outstanding_minor)
        outstanding_minor -= principal_part
        splits.append(Split(principal_minor=principal_part, interest_minor=interest_minor))
    return tuple(splits)


def level_payment(payment_minor: int) -> PrincipalRule:
    """等额本息: each total is ``payment_minor``; principal is what interest leaves."""
    def rule(n: int, interest_minor: int, outstanding_minor: int) -> int:
        return payment_minor - interest_minor
    return rule


def equal_share(*, principal_minor: int, periods: int) -> PrincipalRule:
    """等额本金: ``P // N`` every period."""
    share_minor = principal_minor // periods

    def rule(n: int, interest_minor: int, outstanding_minor: int) -> int:
        return share_minor
    return rule


def nothing_until_the_end(n: int, interest_minor: int, outstanding_minor: int) -> int:
    """先息后本: no principal before the last period."""
    return 0


def day_count_interest(*, annual_rate: Decimal, day_count: DayCount, start: dt.date,
                       rounding: Rounding) -> InterestRule:
    """Interest over period ``n``'s own dates (monthly from ``start``) under the day count."""
    def rule(n: int, outstanding_minor: int) -> int:
        return period_interest_minor(
            outstanding_minor=outstanding_minor, annual_rate=annual_rate, day_count=day_count,
            start=period_start(start, n), end=due_date(start, n), rounding=rounding)
    return rule


def monthly_schedule(*, principal_minor: int, currency: str, start: dt.date,
                     splits: Sequence[Split]) -> Schedule:
    """The schedule of ``splits``, one a month from ``start``, with what is still owed
    after each."""
    outstanding_minor = principal_minor
    rows: list[ScheduledInstallment] = []
    for n, split in enumerate(splits, start=1):
        outstanding_minor -= split.principal_minor
        rows.append(ScheduledInstallment(
            n=n, due_date=due_date(start, n), period_start=period_start(start, n),
            principal_minor=split.principal_minor, interest_minor=split.interest_minor,
            outstanding_minor=outstanding_minor))
    return Schedule(principal_minor=principal_minor, currency=currency, installments=tuple(rows))
