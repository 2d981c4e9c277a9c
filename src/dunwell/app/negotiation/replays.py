"""Negotiation decisions an operator may send twice: a hardship assessment, an
offer's approval, the borrower's acceptance. Each returns what the first one
recorded and whether this call was a replay — by ``key`` (kept in the audit log), or
by content: the same assessment of the same case on the same day, the same approver
and role on the same offer, an offer already accepted.

The same key with other content is refused (``idempotency_key_must_match_request``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from dunwell.app import command_keys
from dunwell.app.context import Dunwell
from dunwell.app.negotiation.service import accept_offer, approve_offer, assess_hardship
from dunwell.negotiation.model import OfferStatus
from dunwell.store.negotiation_repo import HardshipRecord, OfferRecord, PlanRecord


def _seen(app: Dunwell, command: str, key: str | None,
          content: dict[str, Any]) -> dict[str, Any] | None:
    if key is None:
        return None
    with app.uow() as uow:
        return command_keys.seen(uow, command=command, key=key, content=content)


def _remember(app: Dunwell, command: str, key: str | None, content: dict[str, Any],
              ref: dict[str, Any], now: dt.datetime) -> None:
    if key is None:
        return
    with app.uow() as uow:
        command_keys.serialise(uow)
        if command_keys.seen(uow, command=command, key=key, content=content) is None:
            command_keys.remember(uow, command=command, key=key, content=content, ref=ref,
                                  now=now)
        uow.commit()


def assess_hardship_once(app: Dunwell, *, case_id: str, reason: str,
                         monthly_income_minor: int, essential_expenses_minor: int,
                         other_debt_payments_minor: int, evidence: Sequence[str],
                         vulnerable: bool, source: str, now: dt.datetime,
                         loan_id: int | None = None,
                         key: str | None = None) -> tuple[HardshipRecord, bool]:
    """:func:`assess_hardship`, and whether it was already recorded."""
    content = {"case_id": case_id, "reason": reason, "income": monthly_income_minor,
               "expenses": essential_expenses_minor, "debts": other_debt_payments_minor,
               "evidence": sorted(evidence), "vulnerable": bool(vulnerable), "source": source,
               "loan_id": loan_id}
    first = _seen(app, "hardship", key, content)
    if first is not None:
        with app.uow() as uow:
            return uow.negotiation.assessment(int(first["assessment_id"])), True
    rec = assess_hardship(app, case_id=case_id, reason=reason,
                          monthly_income_minor=monthly_income_minor,
                          essential_expenses_minor=essential_expenses_minor,
                          other_debt_payments_minor=other_debt_payments_minor,
                          evidence=evidence, vulnerable=vulnerable, source=source, now=now,
                          loan_id=loan_id)
    _remember(app, "hardship", key, content, {"assessment_id": rec.assessment_id}, now)
    return rec, rec.recorded_at != now.isoformat()


def approve_offer_once(app: Dunwell, *, offer_id: int, approver_id: str, role: str,
                       now: dt.datetime, key: str | None = None) -> tuple[OfferRecord, bool]:
    """:func:`approve_offer`, and whether this approver had already approved it."""
    content = {"offer_id": offer_id, "by": approver_id, "role": role}
    first = _seen(app, "plan_approve", key, content)
    with app.uow() as uow:
        before = uow.negotiation.offer(offer_id)
    if first is not None:
        return before, True
    approved = approve_offer(app, offer_id=offer_id, approver_id=approver_id, role=role,
                             now=now)
    _remember(app, "plan_approve", key, content, {"offer_id": offer_id}, now)
    return approved, before.status is OfferStatus.APPROVED


def accept_offer_once(app: Dunwell, *, offer_id: int, now: dt.datetime,
                      key: str | None = None) -> tuple[PlanRecord, bool]:
    """:func:`accept_offer`; an offer already accepted returns its plan (a replay)."""
    content = {"offer_id": offer_id}
    _seen(app, "plan_accept", key, content)
    with app.uow() as uow:
        repo = uow.negotiation
        offer = repo.offer(offer_id)
        if offer.status is OfferStatus.ACCEPTED:
            plan = next((p for p in repo.plans(case_id=offer.case_id)
                         if p.offer_id == offer_id), None)
            if plan is not None:
                return plan, True
    plan = accept_offer(app, offer_id=offer_id, now=now)
    _remember(app, "plan_accept", key, content, {"plan_id": plan.plan_id}, now)
    return plan, False
