"""In-memory repository of negotiation (``uow.negotiation``): hardship assessments,
offers with their approvals, plans and their monitoring state, on dictionaries.

It keeps its data in ``state["negotiation"]`` (a :class:`NegotiationData`), looked up
on every call; the loans and payments it reads are the lending fake's. It returns the
store's records and raises the store's rejections (same codes, same words).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dunwell.core.errors import NotFound
from dunwell.negotiation.model import (
    Assessment,
    AssessmentSource,
    Offer,
    OfferStatus,
    PlanStatus,
    Role,
)
from dunwell.store.negotiation_repo import HardshipRecord, OfferRecord, PlanRecord
from fakes import registry
from fakes.lending import lending_data


@dataclass
class NegotiationData:
    assessments: dict[int, HardshipRecord] = field(default_factory=dict)
    fingerprints: dict[str, int] = field(default_factory=dict)
    offers: dict[int, OfferRecord] = field(default_factory=dict)
    plans: dict[int, PlanRecord] = field(default_factory=dict)


def negotiation_data(state: dict[str, Any]) -> NegotiationData:
    """The negotiation records kept in ``state`` (made on first use)."""
    data = state.setdefault("negotiation", NegotiationData())
    assert isinstance(data, NegotiationData)
    return data


class FakeNegotiationRepository:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def data(self) -> NegotiationData:
        return negotiation_data(self._state)

    # --- assessments -------------------------------------------------------------
    def assessment_by_fingerprint(self, fp: str) -> HardshipRecord | None:
        found = self.data.fingerprints.get(fp)
        return None if found is None else self.data.assessments[found]

    def add_assessment(self, *, fingerprint: str, case_id: str, borrower_id: int, loan_id: int,
                       business_date: dt.date, recorded_at: str, source: AssessmentSource,
                       assessment: Assessment) -> HardshipRecord:
        if fingerprint in self.data.fingerprints:
            raise AssertionError(f"assessment {fingerprint} stored twice (a unique key)")
        aid = max(self.data.assessments, default=0) + 1
        self.data.assessments[aid] = HardshipRecord(aid, case_id, borrower_id, loan_id,
                                                    business_date, recorded_at, source,
                                                    assessment)
        self.data.fingerprints[fingerprint] = aid
        return self.data.assessments[aid]

    def assessment(self, assessment_id: int) -> HardshipRecord:
        if assessment_id not in self.data.assessments:
            raise NotFound(f"hardship assessment {assessment_id} does not exist",
                           code="hardship_assessment_must_exist")
        return self.data.assessments[assessment_id]

    def latest_assessment(self, case_id: str, *,
                          people_only: bool = False) -> HardshipRecord | None:
        found = [a for _, a in sorted(self.data.assessments.items())
                 if a.case_id == case_id
                 and not (people_only and a.source is AssessmentSource.BOOK)]
        return found[-1] if found else None

    def paid_since(self, loan_id: int, since: dt.date) -> int:
        return sum(p.amount_minor for p in lending_data(self._state).payments.values()
                   if p.loan_id == loan_id and p.business_date >= since
                   and p.reversal_entry_id is None)

    # --- offers ------------------------------------------------------------------
    def add_offers(self, *, assessment_id: int, case_id: str, loan_id: int,
                   business_date: dt.date, expires_on: dt.date,
                   offers: Sequence[Offer]) -> list[OfferRecord]:
        made = []
        for rank, o in enumerate(offers, start=1):
            oid = max(self.data.offers, default=0) + 1
            self.data.offers[oid] = OfferRecord(oid, assessment_id, case_id, loan_id,
                                                business_date, expires_on, rank,
                                                OfferStatus.OPEN, o)
            made.append(self.data.offers[oid])
        return made

    def offer(self, offer_id: int) -> OfferRecord:
        if offer_id not in self.data.offers:
            raise NotFound(f"offer {offer_id} does not exist; list offers with "
                           "`dunwell offers CASE`", code="offer_must_exist")
        return self.data.offers[offer_id]

    def offers_for_case(self, case_id: str, *,
                        statuses: Sequence[OfferStatus] | None = None) -> list[OfferRecord]:
        found = [o for o in self.data.offers.values() if o.case_id == case_id
                 and (statuses is None or o.status in statuses)]
        return sorted(found, key=lambda o: (o.business_date, o.rank, o.offer_id))

    def offers_made(self, assessment_id: int, business_date: dt.date) -> list[OfferRecord]:
        found = [o for o in self.data.offers.values()
                 if o.assessment_id == assessment_id and o.business_date == business_date]
        return sorted(found, key=lambda o: (o.rank, o.offer_id))

    def set_offer_status(self, offer_ids: Sequence[int], status: OfferStatus) -> None:
        for oid in offer_ids:
            if oid in self.data.offers:
                self.data.offers[oid] = replace(self.data.offers[oid], status=status)

    def approve(self, offer_id: int, *, by: str, role: Role, at: str) -> None:
        if offer_id in self.data.offers:
            self.data.offers[offer_id] = replace(
                self.data.offers[offer_id], status=OfferStatus.APPROVED, approved_by=by,
                approved_role=role, approved_at=at)

    # --- plans -------------------------------------------------------------------
    def add_plan(self, *, offer: OfferRecord, borrower_id: int, accepted_on: dt.date,
                 accepted_at: str, first_n: int, last_n: int, grace_days: int,
                 entry_id: str | None) -> PlanRecord:
        pid = max(self.data.plans, default=0) + 1
        self.data.plans[pid] = PlanRecord(pid, offer.offer_id, offer.case_id, borrower_id,
                                          offer.loan_id, offer.offer.kind, accepted_on,
                                          accepted_at, first_n, last_n, grace_days, entry_id,
                                          PlanStatus.ACTIVE, None, None)
        return self.data.plans[pid]

    def plan(self, plan_id: int) -> PlanRecord:
        if plan_id not in self.data.plans:
            raise NotFound(f"plan {plan_id} does not exist; list plans with `dunwell plan list`",
                           code="plan_must_exist")
        return self.data.plans[plan_id]

    def plans(self, *, status: PlanStatus | None = None,
              case_id: str | None = None) -> list[PlanRecord]:
        return [p for _, p in sorted(self.data.plans.items())
                if (status is None or p.status is status)
                and (case_id is None or p.case_id == case_id)]

    def resolve_plan(self, plan_id: int, *, status: PlanStatus, on: dt.date) -> None:
        if plan_id in self.data.plans:
            self.data.plans[plan_id] = replace(self.data.plans[plan_id], status=status,
                                               resolved_on=on, checked_on=on)

    def mark_checked(self, plan_ids: Sequence[int], on: dt.date) -> None:
        for pid in plan_ids:
            if pid in self.data.plans:
                self.data.plans[pid] = replace(self.data.plans[pid], checked_on=on)

    # --- borrower and case facts negotiation reads ------------------------------
    def open_loans(self, borrower_id: int) -> list[tuple[int, int]]:
        found = [(loan.loan_id, loan.days_past_due)
                 for loan in lending_data(self._state).loans.values()
                 if loan.borrower_id == borrower_id and loan.status.is_open]
        return sorted(found, key=lambda x: (-x[1], x[0]))


registry.register("negotiation", FakeNegotiationRepository)
