"""How each repayment offer ended, in words a reviewer (or a court) can read. Pure.

An offer is made, then one of: it **lapses** (nobody took it up by its expiry date),
the borrower **refuses** it, newer offers **supersede** it, or it is **accepted** and
becomes a plan that is kept, broken or completed. Until its expiry date an open or
approved offer is still **open**.

>>> import datetime as dt
>>> offer_ending(status=OfferStatus.OPEN, expires_on=dt.date(2025, 4, 15),
...              on=dt.date(2025, 5, 16))
'lapsed: not taken up by 2025-04-15'
>>> offer_ending(status=OfferStatus.ACCEPTED, expires_on=dt.date(2025, 4, 15),
...              on=dt.date(2025, 5, 16),
...              plan=PlanEnd(3, PlanStatus.BROKEN, dt.date(2025, 5, 2)))
'accepted: plan 3 broken on 2025-05-02'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dunwell.negotiation.model import OfferStatus, PlanStatus


@dataclass(frozen=True, slots=True)
class PlanEnd:
    """The plan an accepted offer became, and where it stands."""

    plan_id: int
    status: PlanStatus
    resolved_on: dt.date | None = None


def is_open(status: OfferStatus, expires_on: dt.date, on: dt.date) -> bool:
    """Whether the borrower can still take the offer up on ``on``."""
    return status.is_live and on <= expires_on


def offer_ending(*, status: OfferStatus, expires_on: dt.date, on: dt.date,
                 plan: PlanEnd | None = None) -> str:
    """How the offer ended as seen on ``on`` (or that it is still open)."""
    if status is OfferStatus.ACCEPTED:
        if plan is None:
            return "accepted"
        if plan.status is PlanStatus.ACTIVE:
            return f"accepted: plan {plan.plan_id} being kept"
        return f"accepted: plan {plan.plan_id} {plan.status.value} on {plan.resolved_on}"
    if status is OfferStatus.REFUSED:
        return "refused by the borrower"
    if status is OfferStatus.SUPERSEDED:
        return "superseded: newer offers were made, or another offer was accepted"
    if is_open(status, expires_on, on):
        return f"open until {expires_on}"
    return f"lapsed: not taken up by {expires_on}"
