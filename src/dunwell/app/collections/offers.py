"""The strategy's plan-offer step: when the compliance guard allows a
``negotiation_offer`` step (D+45 in the humane strategy), the case gets real,
affordable repayment offers in the same transaction as the collection run.

The offers are made on the latest hardship assessment a person took. When nobody has
heard the borrower's budget yet, they are made on the book's estimate
(:mod:`dunwell.negotiation.book_basis`), stored as an assessment with source
``book`` and marked *proposed without an assessment*: the collector who makes the
call confirms them with the borrower (the approval) before any can be accepted.
When nothing is affordable, the case timeline gets the referral to free debt advice
with the reason, which the legal referral rules read as "no offer was possible".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from dunwell.app.audit import record
from dunwell.app.negotiation.service import LIVE, OfferBook, offers_in
from dunwell.app.uow import UnitOfWork
from dunwell.collections.model import ActionKind, CaseStatus, ProposedStep
from dunwell.compliance.model import Verdict
from dunwell.core.ids import fingerprint
from dunwell.negotiation.book_basis import BookBasis, book_basis, book_referral
from dunwell.negotiation.model import AssessmentSource, PlanStatus
from dunwell.negotiation.policy import (
    ApprovalMatrix,
    Policy,
    builtin_approvals,
    builtin_policy,
)
from dunwell.negotiation.restructure import current_debt
from dunwell.store.negotiation_repo import HardshipRecord

if TYPE_CHECKING:  # the repository's interface, for the type checker
    from dunwell.store.negotiation_repo import NegotiationRepository

#: Days in one month of the payment window the book basis looks back over.
DAYS_PER_MONTH = 30


def offer_for_step(uow: UnitOfWork, *, step: ProposedStep, verdict: Verdict | None,
                   business_date: dt.date, now: dt.datetime) -> OfferBook | None:
    """Offers for the case of an allowed ``negotiation_offer`` step (None for any other
    step, a step the guard did not allow, or a case with nothing to negotiate)."""
    if step.kind is not ActionKind.NEGOTIATION_OFFER or verdict is None or not verdict.allowed:
        return None
    return offers_for_case(uow, case_id=step.case_id, business_date=business_date, now=now,
                           why=f"step {step.step_id} ({step.strategy_name}@"
                               f"{step.strategy_version})")


def offers_for_case(uow: UnitOfWork, *, case_id: str, business_date: dt.date,
                    now: dt.datetime, why: str = "", policy: Policy | None = None,
                    approvals: ApprovalMatrix | None = None) -> OfferBook | None:
    """Inside the caller's transaction: offers for an active case without a plan, on a
    person's assessment or else on the book's estimate; audited as ``offers_made``.
    A case whose offers are still open (or approved) keeps them: None."""
    policy = policy or builtin_policy()
    approvals = approvals or builtin_approvals()
    repo = uow.negotiation
    case = uow.cases.get(case_id)
    if not case.status.is_active or case.status in (CaseStatus.PLAN, CaseStatus.LEGAL):
        return None
    if repo.plans(status=PlanStatus.ACTIVE, case_id=case_id):
        return None
    if any(business_date <= o.expires_on for o in repo.offers_for_case(case_id, statuses=LIVE)):
        return None  # offers still open (perhaps approved): the borrower has them already
    basis: BookBasis | None = None
    assessment = repo.latest_assessment(case_id, people_only=True)
    if assessment is None:
        found = _book_assessment(uow, repo, case_id=case_id, borrower_id=int(case.borrower_id),
                                 business_date=business_date, now=now, policy=policy)
        if found is None:
            return None
        assessment, basis = found
    loan = uow.loans.get(assessment.loan_id)
    if not loan.status.is_open or current_debt(loan)[0].total_minor <= 0:
        return None
    book = offers_in(uow, assessment=assessment, business_date=business_date, policy=policy,
                     approvals=approvals,
                     referral=None if basis is None else book_referral(basis))
    if basis is not None:
        book = replace(book, basis=basis.text)
    record(uow, at=now, entries=[("offers_made", f"case:{case_id}", {
        "case_id": case_id, "loan_id": loan.loan_id, "why": why,
        "business_date": business_date.isoformat(),
        "assessment_id": assessment.assessment_id,
        "basis": "book" if basis is not None else assessment.source.value,
        "assumption": None if basis is None else basis.text,
        "offer_ids": [o.offer_id for o in book.offers],
        "referral": book.referral})])
    return book


def _book_assessment(uow: UnitOfWork, repo: NegotiationRepository, *, case_id: str,
                     borrower_id: int, business_date: dt.date, now: dt.datetime,
                     policy: Policy) -> tuple[HardshipRecord, BookBasis] | None:
    """The book's estimate for the case's most overdue open loan, stored once a day."""
    open_loans = repo.open_loans(borrower_id)
    if not open_loans:
        return None
    loan = uow.loans.get(open_loans[0][0])
    since = business_date - dt.timedelta(days=DAYS_PER_MONTH * policy.book_payment_months)
    basis = book_basis(
        scheduled_minor=[i.principal_minor + i.interest_minor + i.fee_minor
                         for i in loan.installments],
        paid_minor=repo.paid_since(loan.loan_id, since), currency=loan.currency,
        policy=policy)
    a = basis.assessment
    fp = fingerprint({"case_id": case_id, "loan_id": loan.loan_id, "basis": "book",
                      "date": business_date.isoformat(), "income": a.monthly_income_minor})
    rec = repo.assessment_by_fingerprint(fp) or repo.add_assessment(
        fingerprint=fp, case_id=case_id, borrower_id=borrower_id, loan_id=loan.loan_id,
        business_date=business_date, recorded_at=now.isoformat(),
        source=AssessmentSource.BOOK, assessment=a)
    return rec, basis
