"""Repository for negotiation: hardship assessments, offers with their approvals,
plans and their monitoring state, and the two borrower/case facts negotiation
changes (a borrower flag, a case timeline entry)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from dunwell.core.errors import NotFound
from dunwell.lending.model import LoanStatus
from dunwell.negotiation.model import (
    Assessment,
    AssessmentSource,
    Debt,
    Evidence,
    HardshipReason,
    Offer,
    OfferKind,
    OfferStatus,
    PlanInstalment,
    PlanStatus,
    Role,
    Waiver,
)
from dunwell.store import negotiation_tables as n
from dunwell.store import tables as t


@dataclass(frozen=True, slots=True)
class HardshipRecord:
    assessment_id: int
    case_id: str
    borrower_id: int
    loan_id: int
    business_date: dt.date
    recorded_at: str
    source: AssessmentSource
    assessment: Assessment

    @property
    def disposable_income_minor(self) -> int:
        return self.assessment.disposable_income_minor


@dataclass(frozen=True, slots=True)
class OfferRecord:
    offer_id: int
    assessment_id: int
    case_id: str
    loan_id: int
    business_date: dt.date
    expires_on: dt.date
    rank: int
    status: OfferStatus
    offer: Offer
    approved_by: str | None = None
    approved_role: Role | None = None
    approved_at: str | None = None


@dataclass(frozen=True, slots=True)
class PlanRecord:
    plan_id: int
    offer_id: int
    case_id: str
    borrower_id: int
    loan_id: int
    kind: OfferKind
    accepted_on: dt.date
    accepted_at: str
    first_n: int
    last_n: int
    grace_days: int
    entry_id: str | None
    status: PlanStatus
    checked_on: dt.date | None
    resolved_on: dt.date | None


def _debt_json(d: Debt) -> str:
    return json.dumps([d.principal_minor, d.interest_minor, d.penalty_minor, d.fee_minor])


def _waiver_json(w: Waiver) -> str:
    return json.dumps([w.principal_minor, w.interest_minor, w.penalty_minor, w.fee_minor])


def _insts_json(insts: Iterable[PlanInstalment]) -> str:
    return json.dumps([[i.n, i.due_date.isoformat(), i.principal_minor, i.interest_minor,
                        i.penalty_minor, i.fee_minor, i.new_interest_minor] for i in insts])


def _offer_from(m: Any) -> OfferRecord:
    insts = tuple(PlanInstalment(int(k), dt.date.fromisoformat(d), int(p), int(i), int(pen),
                                 int(f), int(x))
                  for k, d, p, i, pen, f, x in json.loads(m["instalments_json"]))
    offer = Offer(
        kind=OfferKind(m["kind"]), months=int(m["months"]), instalments=insts,
        debt=Debt(*(int(v) for v in json.loads(m["debt_json"]))),
        waiver=Waiver(*(int(v) for v in json.loads(m["waiver_json"]))),
        monthly_payment_minor=int(m["monthly_payment_minor"]),
        affordability=Decimal(m["affordability"]),
        keep_probability=Decimal(m["keep_probability"]),
        expected_npv_minor=int(m["expected_npv_minor"]),
        total_cost_minor=int(m["total_cost_minor"]),
        approval_role=Role(m["approval_role"]), reduced_months=int(m["reduced_months"]))
    return OfferRecord(int(m["offer_id"]), int(m["assessment_id"]), m["case_id"],
                       int(m["loan_id"]), m["business_date"], m["expires_on"], int(m["rank"]),
                       OfferStatus(m["status"]), offer, m["approved_by"],
                       None if m["approved_role"] is None else Role(m["approved_role"]),
                       m["approved_at"])


def _assessment_from(m: Any) -> HardshipRecord:
    evidence = tuple(Evidence(r, h) for r, h in json.loads(m["evidence_json"]))
    a = Assessment(HardshipReason(m["reason"]), int(m["monthly_income_minor"]),
                   int(m["essential_expenses_minor"]), int(m["other_debt_payments_minor"]),
                   bool(m["vulnerable"]), evidence)
    return HardshipRecord(int(m["assessment_id"]), m["case_id"], int(m["borrower_id"]),
                          int(m["loan_id"]), m["business_date"], m["recorded_at"],
                          AssessmentSource(m["source"]), a)


def _plan_from(m: Any) -> PlanRecord:
    return PlanRecord(int(m["plan_id"]), int(m["offer_id"]), m["case_id"], int(m["borrower_id"]),
                      int(m["loan_id"]), OfferKind(m["kind"]), m["accepted_on"],
                      m["accepted_at"], int(m["first_n"]), int(m["last_n"]),
                      int(m["grace_days"]), m["entry_id"], PlanStatus(m["status"]),
                      m["checked_on"], m["resolved_on"])


class NegotiationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- assessments -------------------------------------------------------------
    def assessment_by_fingerprint(self, fp: str) -> HardshipRecord | None:
        row = self.conn.execute(select(n.hardship_assessments)
                                .where(n.hardship_assessments.c.fingerprint == fp)).first()
        return None if row is None else _assessment_from(row._mapping)

    def add_assessment(self, *, fingerprint: str, case_id: str, borrower_id: int, loan_id: int,
                       business_date: dt.date, recorded_at: str, source: AssessmentSource,
                       assessment: Assessment) -> HardshipRecord:
        a = assessment
        res = self.conn.execute(insert(n.hardship_assessments).values(
            fingerprint=fingerprint, case_id=case_id, borrower_id=borrower_id, loan_id=loan_id,
            business_date=business_date, recorded_at=recorded_at, source=source.value,
            reason=a.reason.value, monthly_income_minor=a.monthly_income_minor,
            essential_expenses_minor=a.essential_expenses_minor,
            other_debt_payments_minor=a.other_debt_payments_minor,
            disposable_minor=a.disposable_income_minor, vulnerable=a.vulnerable,
            evidence_json=json.dumps([[e.reference, e.sha256] for e in a.evidence])))
        pk = res.inserted_primary_key
        assert pk is not None
        return self.assessment(int(pk[0]))

    def assessment(self, assessment_id: int) -> HardshipRecord:
        row = self.conn.execute(select(n.hardship_assessments).where(
            n.hardship_assessments.c.assessment_id == assessment_id)).first()
        if row is None:
            raise NotFound(f"hardship assessment {assessment_id} does not exist",
                           code="hardship_assessment_must_exist")
        return _assessment_from(row._mapping)

    def latest_assessment(self, case_id: str, *,
                          people_only: bool = False) -> HardshipRecord | None:
        """The case's newest assessment; with ``people_only``, the newest one a person
        took (not the plan-offer step's estimate from the book)."""
        q = select(n.hardship_assessments).where(n.hardship_assessments.c.case_id == case_id)
        if people_only:
            q = q.where(n.hardship_assessments.c.source != AssessmentSource.BOOK.value)
        row = self.conn.execute(
            q.order_by(n.hardship_assessments.c.assessment_id.desc()).limit(1)).first()
        return None if row is None else _assessment_from(row._mapping)

    def paid_since(self, loan_id: int, since: dt.date) -> int:
        """What was paid on the loan from ``since`` on, reversed payments left out."""
        q = select(func.coalesce(func.sum(t.payments.c.amount_minor), 0)).where(
            t.payments.c.loan_id == loan_id, t.payments.c.business_date >= since,
            t.payments.c.reversal_entry_id.is_(None))
        return int(self.conn.execute(q).scalar_one())

    # --- offers ------------------------------------------------------------------
    def add_offers(self, *, assessment_id: int, case_id: str, loan_id: int,
                   business_date: dt.date, expires_on: dt.date,
                   offers: Sequence[Offer]) -> list[OfferRecord]:
        ids = []
        for rank, o in enumerate(offers, start=1):
            res = self.conn.execute(insert(n.offers).values(
                assessment_id=assessment_id, case_id=case_id, loan_id=loan_id,
                business_date=business_date, expires_on=expires_on, rank=rank,
                kind=o.kind.value, months=o.months, reduced_months=o.reduced_months,
                monthly_payment_minor=o.monthly_payment_minor,
                affordability=str(o.affordability), keep_probability=str(o.keep_probability),
                expected_npv_minor=o.expected_npv_minor, total_cost_minor=o.total_cost_minor,
                waiver_minor=o.waiver.total_minor, approval_role=o.approval_role.value,
                debt_json=_debt_json(o.debt), waiver_json=_waiver_json(o.waiver),
                instalments_json=_insts_json(o.instalments), status=OfferStatus.OPEN.value))
            pk = res.inserted_primary_key
            assert pk is not None
            ids.append(int(pk[0]))
        return [self.offer(i) for i in ids]

    def offer(self, offer_id: int) -> OfferRecord:
        row = self.conn.execute(select(n.offers).where(n.offers.c.offer_id == offer_id)).first()
        if row is None:
            raise NotFound(f"offer {offer_id} does not exist; list offers with "
                           "`dunwell offers CASE`", code="offer_must_exist")
        return _offer_from(row._mapping)

    def offers_for_case(self, case_id: str, *,
                        statuses: Sequence[OfferStatus] | None = None) -> list[OfferRecord]:
        q = select(n.offers).where(n.offers.c.case_id == case_id)
        if statuses is not None:
            q = q.where(n.offers.c.status.in_([s.value for s in statuses]))
        rows = self.conn.execute(q.order_by(n.offers.c.business_date, n.offers.c.rank)).all()
        return [_offer_from(r._mapping) for r in rows]

    def offers_made(self, assessment_id: int, business_date: dt.date) -> list[OfferRecord]:
        rows = self.conn.execute(select(n.offers).where(
            n.offers.c.assessment_id == assessment_id,
            n.offers.c.business_date == business_date).order_by(n.offers.c.rank)).all()
        return [_offer_from(r._mapping) for r in rows]

    def set_offer_status(self, offer_ids: Sequence[int], status: OfferStatus) -> None:
        if offer_ids:
            self.conn.execute(update(n.offers).where(n.offers.c.offer_id.in_(list(offer_ids)))
                              .values(status=status.value))

    def approve(self, offer_id: int, *, by: str, role: Role, at: str) -> None:
        self.conn.execute(update(n.offers).where(n.offers.c.offer_id == offer_id).values(
            status=OfferStatus.APPROVED.value, approved_by=by, approved_role=role.value,
            approved_at=at))

    # --- plans -------------------------------------------------------------------
    def add_plan(self, *, offer: OfferRecord, borrower_id: int, accepted_on: dt.date,
                 accepted_at: str, first_n: int, last_n: int, grace_days: int,
                 entry_id: str | None) -> PlanRecord:
        res = self.conn.execute(insert(n.plans).values(
            offer_id=offer.offer_id, case_id=offer.case_id, borrower_id=borrower_id,
            loan_id=offer.loan_id, kind=offer.offer.kind.value, accepted_on=accepted_on,
            accepted_at=accepted_at, first_n=first_n, last_n=last_n, grace_days=grace_days,
            entry_id=entry_id, status=PlanStatus.ACTIVE.value))
        pk = res.inserted_primary_key
        assert pk is not None
        return self.plan(int(pk[0]))

    def plan(self, plan_id: int) -> PlanRecord:
        row = self.conn.execute(select(n.plans).where(n.plans.c.plan_id == plan_id)).first()
        if row is None:
            raise NotFound(f"plan {plan_id} does not exist; list plans with `dunwell plan list`",
                           code="plan_must_exist")
        return _plan_from(row._mapping)

    def plans(self, *, status: PlanStatus | None = None,
              case_id: str | None = None) -> list[PlanRecord]:
        q = select(n.plans)
        if status is not None:
            q = q.where(n.plans.c.status == status.value)
        if case_id is not None:
            q = q.where(n.plans.c.case_id == case_id)
        return [_plan_from(r._mapping)
                for r in self.conn.execute(q.order_by(n.plans.c.plan_id)).all()]

    def resolve_plan(self, plan_id: int, *, status: PlanStatus, on: dt.date) -> None:
        self.conn.execute(update(n.plans).where(n.plans.c.plan_id == plan_id)
                          .values(status=status.value, resolved_on=on, checked_on=on))

    def mark_checked(self, plan_ids: Sequence[int], on: dt.date) -> None:
        if plan_ids:
            self.conn.execute(update(n.plans).where(n.plans.c.plan_id.in_(list(plan_ids)))
                              .values(checked_on=on))

    # --- borrower and case facts negotiation changes -----------------------------
    def open_loans(self, borrower_id: int) -> list[tuple[int, int]]:
        """(loan id, days past due) of the borrower's open loans, most overdue first."""
        open_codes = [int(s) for s in LoanStatus if s.is_open]
        q = (select(t.loans.c.loan_id, t.loans.c.days_past_due)
             .where(t.loans.c.borrower_id == borrower_id, t.loans.c.status.in_(open_codes))
             .order_by(t.loans.c.days_past_due.desc(), t.loans.c.loan_id))
        return [(int(a), int(b)) for a, b in self.conn.execute(q).all()]
