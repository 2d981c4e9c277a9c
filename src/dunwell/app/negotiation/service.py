"""Negotiation commands: record a hardship assessment, make offers, approve one,
accept it (restructuring the loan through the ledger), and monitor plans each day.

Each command is one transaction; a rejection changes nothing. ``monitor_plans`` runs
inside the caller's unit of work (the daily collection run).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from dunwell.app.audit import record
from dunwell.app.channels.notices import notify_plan
from dunwell.app.context import Dunwell
from dunwell.app.training.gate import require_qualified
from dunwell.app.uow import UnitOfWork
from dunwell.collections.cases import change_status
from dunwell.collections.model import CaseStatus, TimelineKind
from dunwell.compliance.model import Flag
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.core.ids import fingerprint
from dunwell.core.money import format_minor
from dunwell.identity.authority import Matter, require_other_checker, require_own_limit
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.negotiation.approvals import authorise
from dunwell.negotiation.errors import HardshipRejected, OfferRejected, RestructureRejected
from dunwell.negotiation.model import (
    Assessment,
    AssessmentSource,
    Evidence,
    HardshipReason,
    OfferSheet,
    OfferStatus,
    PlanStatus,
    Role,
    Waiver,
)
from dunwell.negotiation.offers import LoanTerms, generate_offers, offers_valid_until
from dunwell.negotiation.policy import (
    ApprovalMatrix,
    Policy,
    builtin_approvals,
    builtin_policy,
)
from dunwell.negotiation.restructure import (
    Restructure,
    current_debt,
    held_quote,
    plan_status,
    restructure,
)
from dunwell.store.negotiation_repo import HardshipRecord as HardshipRecord
from dunwell.store.negotiation_repo import OfferRecord as OfferRecord
from dunwell.store.negotiation_repo import PlanRecord as PlanRecord
from dunwell.training.model import Action

if TYPE_CHECKING:  # the repository's interface, for the type checker
    from dunwell.store.negotiation_repo import NegotiationRepository

E = TypeVar("E", bound=StrEnum)
SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: Evidence items one assessment may carry.
EVIDENCE_MAX = 20
#: Plans one monitoring pass checks at the most.
PLANS_PER_RUN_MAX = 1_000_000
#: One monthly figure's upper bound (100,000,000.00 in a two-decimal currency).
AMOUNT_MAX_MINOR = 10**10
#: Length of a refusal note kept with the audit record.
NOTE_MAX = 2000
LIVE = (OfferStatus.OPEN, OfferStatus.APPROVED)


@dataclass(frozen=True, slots=True)
class OfferBook:
    """The case's offers as made today, and the referral when none is affordable."""

    case_id: str
    assessment: HardshipRecord
    offers: list[OfferRecord]
    unaffordable: int
    referral: str | None
    #: Set when the offers were proposed without an assessment: the book's estimate.
    basis: str | None = None

    @property
    def without_assessment(self) -> bool:
        return not self.assessment.source.is_person


@dataclass(frozen=True, slots=True)
class MonitorReport:
    business_date: dt.date
    checked: int
    broken: int
    completed: int


def parse_evidence(items: Sequence[str]) -> tuple[Evidence, ...]:
    """Evidence given as ``reference:sha256`` (the file name or scan id, then the hex
    digest of its content)."""
    if len(items) > EVIDENCE_MAX:
        raise HardshipRejected(f"at most {EVIDENCE_MAX} evidence items per assessment",
                               code="evidence_must_be_bounded")
    out = []
    for item in items:
        reference, _, digest = item.rpartition(":")
        if not reference.strip() or not SHA256.match(digest):
            raise HardshipRejected(
                f"evidence {item!r} must be 'reference:sha256' with the 64-character "
                "lower-case hex digest of the document", code="evidence_must_carry_sha256",
                field="evidence")
        out.append(Evidence(reference.strip(), digest))
    return tuple(out)


def _amount(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= AMOUNT_MAX_MINOR:
        raise HardshipRejected(f"{field} must be a whole number of minor units between 0 and "
                               f"{AMOUNT_MAX_MINOR}", code="hardship_amount_must_be_in_range",
                               field=field)
    return value


def _enum(kind: type[E], value: str, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(f"{field} {value!r} is not one of {allowed}",
                           code=f"{field}_must_be_known", field=field) from None


def assess_hardship(app: Dunwell, *, case_id: str, reason: str, monthly_income_minor: int,
                    essential_expenses_minor: int, other_debt_payments_minor: int,
                    evidence: Sequence[str], vulnerable: bool, source: str,
                    now: dt.datetime, loan_id: int | None = None,
                    recorded_by: str | None = None) -> HardshipRecord:
    """Record the borrower's hardship on the case's most overdue open loan (or
    ``loan_id``). A vulnerable borrower gets the ``vulnerable`` flag the guard reads.
    A repeat of the same assessment on the same day returns the first record.
    ``recorded_by`` (the signed-in user who sent it) goes into the audit log."""
    src, assessment = hardship_assessment(
        reason=reason, source=source, monthly_income_minor=monthly_income_minor,
        essential_expenses_minor=essential_expenses_minor,
        other_debt_payments_minor=other_debt_payments_minor, evidence=evidence,
        vulnerable=vulnerable)
    _aware(now)
    with app.uow() as uow:
        info = uow.book.require()
        case = uow.cases.get(case_id)
        if not case.status.is_active:
            raise Conflict(f"case {case_id} is {case.status.value}; hardship is assessed on "
                           "an active case", code="case_must_be_active")
        borrower_id = int(case.borrower_id)
        loan = _case_loan(uow, uow.negotiation, borrower_id, loan_id)
        fp = hardship_fingerprint(case_id=case_id, loan_id=loan, on=info.business_date,
                                  source=src, assessment=assessment)
        seen = uow.negotiation.assessment_by_fingerprint(fp)
        if seen is not None:
            return seen
        rec = uow.negotiation.add_assessment(
            fingerprint=fp, case_id=case_id, borrower_id=borrower_id, loan_id=loan,
            business_date=info.business_date, recorded_at=now.isoformat(), source=src,
            assessment=assessment)
        _record_hardship(uow, rec, now=now, by=recorded_by, currency=info.currency)
        uow.commit()
        return rec


def hardship_assessment(*, reason: str, source: str, monthly_income_minor: int,
                        essential_expenses_minor: int, other_debt_payments_minor: int,
                        evidence: Sequence[str], vulnerable: bool,
                        ) -> tuple[AssessmentSource, Assessment]:
    """The assessment a person took (``book`` is the plan-offer step's own estimate),
    each figure a whole number of minor units in range, each evidence item with its
    digest."""
    why = _enum(HardshipReason, reason, "reason")
    src = _enum(AssessmentSource, source, "source")
    if not src.is_person:
        raise InvalidInput("source 'book' is the plan-offer step's own estimate; a person "
                           "records hardship as portal, collector or field_agent",
                           code="source_must_be_known", field="source")
    return src, Assessment(
        why, _amount(monthly_income_minor, "monthly_income"),
        _amount(essential_expenses_minor, "essential_expenses"),
        _amount(other_debt_payments_minor, "other_debt_payments"), bool(vulnerable),
        parse_evidence(evidence))


def hardship_fingerprint(*, case_id: str, loan_id: int, on: dt.date, source: AssessmentSource,
                         assessment: Assessment) -> str:
    """What makes two assessments the same one: the case, the loan, the day, and every
    figure and evidence item (in any order)."""
    return fingerprint({"case_id": case_id, "loan_id": loan_id, "date": on.isoformat(),
                        "reason": assessment.reason.value, "source": source.value,
                        "income": assessment.monthly_income_minor,
                        "expenses": assessment.essential_expenses_minor,
                        "debts": assessment.other_debt_payments_minor,
                        "vulnerable": assessment.vulnerable,
                        "evidence": sorted([e.reference, e.sha256]
                                           for e in assessment.evidence)})


def _record_hardship(uow: UnitOfWork, rec: HardshipRecord, *, now: dt.datetime,
                     currency: str, by: str | None = None) -> None:
    """The ``vulnerable`` flag when it applies, the case timeline and the audit log."""
    a = rec.assessment
    if a.vulnerable:
        uow.borrowers.set_flag(rec.borrower_id, Flag.VULNERABLE, on=True)
    uow.cases.note(
        rec.case_id, rec.business_date, TimelineKind.HARDSHIP_ASSESSED,
        f"hardship ({a.reason.value}) recorded by {rec.source.value}: disposable income "
        f"{_money(a.disposable_income_minor, currency)} a month"
        + ("; borrower vulnerable" if a.vulnerable else ""))
    record(uow, at=now, entries=[("hardship_assessed", f"case:{rec.case_id}", {
        "assessment_id": rec.assessment_id, "loan_id": rec.loan_id, "reason": a.reason.value,
        "source": rec.source.value, "disposable_minor": a.disposable_income_minor,
        "vulnerable": a.vulnerable,
        "evidence": [[e.reference, e.sha256] for e in a.evidence], "by": by})])


def _case_loan(uow: UnitOfWork, repo: NegotiationRepository, borrower_id: int,
               loan_id: int | None) -> int:
    if loan_id is not None:
        loan = uow.loans.get(loan_id)
        if loan.borrower_id != borrower_id:
            raise InvalidInput(f"loan {loan_id} is not borrower {borrower_id}'s",
                               code="loan_must_belong_to_case", field="loan_id")
        if not loan.status.is_open:
            raise Conflict(f"loan {loan_id} is {loan.status.name.lower()}; there is nothing "
                           "to negotiate", code="offer_needs_outstanding_debt")
        return loan_id
    open_loans = repo.open_loans(borrower_id)
    if not open_loans:
        raise Conflict(f"borrower {borrower_id} has no open loan; there is nothing to "
                       "negotiate", code="offer_needs_outstanding_debt")
    return open_loans[0][0]


def _aware(now: dt.datetime) -> None:
    if now.tzinfo is None:
        raise InvalidInput("the time must carry a time zone", code="time_must_be_aware")


def offer_book(app: Dunwell, *, case_id: str, business_date: dt.date,
               policy: Policy | None = None, approvals: ApprovalMatrix | None = None) -> OfferBook:
    """Make (or, the same day, return) the ranked offers for the case's latest
    assessment a person took. Offers made earlier and still open are superseded."""
    with app.uow() as uow:
        repo = uow.negotiation
        info = uow.book.require()
        if business_date != info.business_date:
            raise InvalidInput(f"offers are made on the open business date {info.business_date}"
                               f", not {business_date}", code="offer_date_must_be_open_date")
        assessment = repo.latest_assessment(case_id, people_only=True)
        if assessment is None:
            uow.cases.get(case_id)
            raise Conflict(f"case {case_id} has no hardship assessment; record one first "
                           "(`dunwell hardship CASE ...`)", code="hardship_assessment_must_exist")
        if repo.plans(status=PlanStatus.ACTIVE, case_id=case_id):
            raise Conflict(f"case {case_id} already has an active plan",
                           code="case_must_not_have_active_plan")
        book = offers_in(uow, assessment=assessment, business_date=business_date,
                         policy=policy or builtin_policy(),
                         approvals=approvals or builtin_approvals())
        uow.commit()
        return book


def offers_in(uow: UnitOfWork, *, assessment: HardshipRecord, business_date: dt.date,
              policy: Policy, approvals: ApprovalMatrix,
              referral: str | None = None) -> OfferBook:
    """Inside the caller's transaction: the ranked offers on ``assessment`` (the same
    ones again when made today for the same debt), superseding the case's older open
    offers. When none is affordable the case timeline gets the referral to free debt
    advice (``referral`` replaces the standard wording)."""
    repo = uow.negotiation
    case_id = assessment.case_id
    loan = uow.loans.get(assessment.loan_id)
    debt, _ = current_debt(loan)
    if not loan.status.is_open or debt.total_minor <= 0:
        raise Conflict(f"loan {loan.loan_id} is {loan.status.name.lower()} and owes "
                       "nothing; there is nothing to negotiate",
                       code="offer_needs_outstanding_debt")
    made = [o for o in repo.offers_made(assessment.assessment_id, business_date)
            if o.status in LIVE]
    product = uow.products.get(loan.product_code)
    sheet: OfferSheet = generate_offers(
        assessment=assessment.assessment, debt=debt,
        terms=LoanTerms(loan.currency, product.annual_rate, product.day_count,
                        product.rounding),
        business_date=business_date, policy=policy, approvals=approvals)
    advice = None if sheet.referral is None else (referral or sheet.referral)
    if made and made[0].offer.debt == debt:
        return OfferBook(case_id, assessment, made, sheet.unaffordable, advice)
    stale = [o.offer_id for o in repo.offers_for_case(case_id, statuses=LIVE)]
    repo.set_offer_status(stale, OfferStatus.SUPERSEDED)
    records = repo.add_offers(assessment_id=assessment.assessment_id, case_id=case_id,
                              loan_id=loan.loan_id, business_date=business_date,
                              expires_on=offers_valid_until(business_date, policy),
                              offers=sheet.offers)
    cases = uow.cases
    kind = TimelineKind.DEBT_ADVICE_REFERRAL
    if advice is not None and not cases.has_note(case_id, business_date, kind):
        cases.note(case_id, business_date, kind, advice)
    return OfferBook(case_id, assessment, records, sheet.unaffordable, advice)


def make_offers(app: Dunwell, *, case_id: str, business_date: dt.date) -> list[OfferRecord]:
    """The case's affordable offers, best first (empty: refer to free debt advice; see
    :func:`offer_book` for the referral text)."""
    return offer_book(app, case_id=case_id, business_date=business_date).offers


def current_offers(app: Dunwell, *, case_id: str) -> list[OfferRecord]:
    """The case's offers still open or approved, best first (read only)."""
    with app.uow() as uow:
        uow.cases.get(case_id)
        return uow.negotiation.offers_for_case(case_id, statuses=LIVE)


def decline_offers(app: Dunwell, *, case_id: str, now: dt.datetime,
                   note: str = "") -> list[OfferRecord]:
    """The borrower refuses the case's open offers: each is marked ``refused`` (the
    referral rules read it as an offer that ended) and the refusal is audited."""
    _aware(now)
    with app.uow() as uow:
        repo = uow.negotiation
        today = uow.book.require().business_date
        uow.cases.get(case_id)
        live = [o for o in repo.offers_for_case(case_id, statuses=LIVE)
                if today <= o.expires_on]
        if not live:
            raise OfferRejected(f"case {case_id} has no open offer to refuse; make offers "
                                "first (`dunwell offers CASE`)", code="offers_must_be_open")
        ids = [o.offer_id for o in live]
        repo.set_offer_status(ids, OfferStatus.REFUSED)
        record(uow, at=now, entries=[("offers_refused", f"case:{case_id}", {
            "offer_ids": ids, "business_date": today.isoformat(),
            "note": note.strip()[:NOTE_MAX]})])
        uow.commit()
        return [repo.offer(i) for i in ids]


def _usable(offer: OfferRecord, today: dt.date) -> None:
    if not offer.status.is_live:
        raise OfferRejected(f"offer {offer.offer_id} is {offer.status.value}; it cannot be "
                            "used again — make new offers", code="offer_must_be_unused",
                            offer_id=offer.offer_id)
    if today > offer.expires_on:
        raise OfferRejected(f"offer {offer.offer_id} expired on {offer.expires_on}; make new "
                            "offers", code="offer_must_not_be_expired", offer_id=offer.offer_id)


def approve_offer(app: Dunwell, *, offer_id: int, approver_id: str, role: str,
                  now: dt.datetime, approvals: ApprovalMatrix | None = None,
                  authority_minor: int | None = None) -> OfferRecord:
    """Approve an offer within the approver's authority: the level of ``role``
    (``approvals.toml``) and, when given, the approver's own ``authority_minor`` on
    the amount waived."""
    approvals = approvals or builtin_approvals()
    who = _enum(Role, role, "role")
    if not approver_id.strip() or len(approver_id) > 64:
        raise InvalidInput("the approver's id must be 1 to 64 characters",
                           code="approver_must_be_named", field="by")
    _aware(now)
    with app.uow() as uow:
        repo = uow.negotiation
        info = uow.book.require()
        today = info.business_date
        offer = repo.offer(offer_id)
        _usable(offer, today)
        if offer.status is OfferStatus.APPROVED:
            if (offer.approved_by, offer.approved_role) == (approver_id, who):
                return offer
            raise OfferRejected(f"offer {offer_id} is already approved by {offer.approved_by}",
                                code="offer_must_be_approved_once")
        authorise(approvals, role=who, offer=offer.offer)
        require_own_limit(Matter.WAIVER, offer.offer.waiver.total_minor, info.currency,
                          own_minor=authority_minor)
        require_qualified(uow, staff_id=approver_id, action=Action.NEGOTIATE, on=today)
        repo.approve(offer_id, by=approver_id, role=who, at=now.isoformat())
        record(uow, at=now, entries=[("offer_approved", f"case:{offer.case_id}", {
            "offer_id": offer_id, "by": approver_id, "role": who.value,
            "kind": offer.offer.kind.value, "waiver_minor": offer.offer.waiver.total_minor,
            "authority_minor": authority_minor})])
        uow.commit()
        return repo.offer(offer_id)


def accept_offer(app: Dunwell, *, offer_id: int, now: dt.datetime,
                 policy: Policy | None = None, accepted_by: str | None = None) -> PlanRecord:
    """The borrower accepts an approved offer: the loan is restructured through the
    ledger, the case moves to ``plan`` and the borrower gets the ``hardship_plan`` flag.

    ``accepted_by`` names who records the acceptance (the borrower, or staff on their
    behalf); the person who approved the offer may not also accept it
    (maker-checker)."""
    policy = policy or builtin_policy()
    _aware(now)
    with app.uow() as uow:
        today = uow.book.require().business_date
        rec = uow.negotiation.offer(offer_id)
        _require_acceptable(rec, today)
        if accepted_by is not None and rec.approved_by is not None:
            require_other_checker(rec.approved_by, accepted_by, what=f"offer {offer_id}")
        case = uow.cases.get(rec.case_id)
        moved = change_status(case, CaseStatus.PLAN, today,
                              f"plan accepted: {rec.offer.label}, offer {offer_id}")
        loan = uow.loans.get(rec.loan_id)
        done, waiver = _restructure_loan(uow, rec, loan, today)
        plan = _start_plan(uow, rec, done, accepted_at=now, today=today,
                           grace_days=policy.plan_grace_days)
        uow.borrowers.set_flag(loan.borrower_id, Flag.HARDSHIP_PLAN, on=True)
        assert moved.case is not None
        uow.cases.save(moved.case, today)
        uow.cases.add_timeline(moved.timeline)
        _record_acceptance(uow, rec, plan, waiver, currency=loan.currency, today=today,
                           now=now, accepted_by=accepted_by)
        notify_plan(uow, plan=plan, loan=done.loan, providers=app.providers,
                    settings=app.settings, now=now)
        uow.commit()
        return plan


def _require_acceptable(rec: OfferRecord, today: dt.date) -> None:
    """A live offer, unexpired, that the approver with the authority approved."""
    _usable(rec, today)
    if rec.status is not OfferStatus.APPROVED:
        raise OfferRejected(
            f"offer {rec.offer_id} needs approval by a {rec.offer.approval_role.value} first "
            f"(`dunwell plan approve {rec.offer_id} --by ID --role "
            f"{rec.offer.approval_role.value}`)", code="offer_must_be_approved")


def _restructure_loan(uow: UnitOfWork, rec: OfferRecord, loan: LoanState,
                      today: dt.date) -> tuple[Restructure, Waiver]:
    """The loan restructured under the offer (its quote held: what accrued since joins
    the waiver), posted to the ledger and saved; with the waiver granted."""
    owed, _ = current_debt(loan)
    held = held_quote(rec.offer.debt, owed, rec.offer.waiver)
    if held is None:
        raise RestructureRejected(
            f"loan {loan.loan_id} owes {owed.total_minor} minor units, not the "
            f"{rec.offer.debt.total_minor} offer {rec.offer_id} was made for, and not only "
            "by what accrued since (a payment or a reversal came in); make new offers",
            code="plan_must_cover_debt", offered=rec.offer.debt.total_minor,
            owed=owed.total_minor)
    debt, waiver = held
    done = restructure(loan, debt=debt, instalments=rec.offer.instalments, waiver=waiver,
                       business_date=today, entry_id=_entry_id(rec))
    if done.entry is not None:
        uow.ledger.post(done.entry)
    uow.loans.save(done.loan)
    return done, waiver


def _entry_id(rec: OfferRecord) -> str:
    return f"rst:{rec.loan_id}:{rec.offer_id}"


def _start_plan(uow: UnitOfWork, rec: OfferRecord, done: Restructure, *,
                accepted_at: dt.datetime, today: dt.date, grace_days: int) -> PlanRecord:
    """The plan on the restructured instalments; the offer accepted, the case's other
    live offers superseded."""
    repo = uow.negotiation
    plan = repo.add_plan(offer=rec, borrower_id=done.loan.borrower_id, accepted_on=today,
                         accepted_at=accepted_at.isoformat(), first_n=done.first_n,
                         last_n=done.last_n, grace_days=grace_days,
                         entry_id=None if done.entry is None else _entry_id(rec))
    repo.set_offer_status([rec.offer_id], OfferStatus.ACCEPTED)
    others = [o.offer_id for o in repo.offers_for_case(rec.case_id, statuses=LIVE)]
    repo.set_offer_status(others, OfferStatus.SUPERSEDED)
    return plan


def _record_acceptance(uow: UnitOfWork, rec: OfferRecord, plan: PlanRecord, waiver: Waiver,
                       *, currency: str, today: dt.date, now: dt.datetime,
                       accepted_by: str | None = None) -> None:
    """The plan on the case timeline (in major units) and in the audit log."""
    held_minor = waiver.total_minor - rec.offer.waiver.total_minor
    uow.cases.note(rec.case_id, today, TimelineKind.PLAN_ACCEPTED,
                   f"plan {plan.plan_id} ({rec.offer.label}): {rec.offer.months} payments"
                   f" of up to {_money(rec.offer.monthly_payment_minor, currency)}, "
                   f"waived {_money(waiver.total_minor, currency)}"
                   + (f" (of which {_money(held_minor, currency)} accrued since the "
                      "offer, which holds its quote)" if held_minor else ""))
    record(uow, at=now, entries=[("plan_accepted", f"case:{rec.case_id}", {
        "plan_id": plan.plan_id, "offer_id": rec.offer_id, "loan_id": rec.loan_id,
        "kind": rec.offer.kind.value, "months": rec.offer.months,
        "waiver_minor": waiver.total_minor, "accrued_since_offer_minor": held_minor,
        "entry_id": plan.entry_id, "approved_by": rec.approved_by,
        "accepted_by": accepted_by})])


def monitor_plans(uow: UnitOfWork, *, business_date: dt.date,
                  now: dt.datetime | None = None) -> MonitorReport:
    """Judge every active plan on ``business_date`` inside the caller's transaction.

    A plan payment unpaid more than the plan's grace days after it fell due breaks the
    plan: the ``hardship_plan`` flag is removed, the case goes back to ``open``. A plan
    whose payments are all made is completed (the day's run then closes a paid-off
    case). Running it again for the same day changes nothing."""
    active = uow.negotiation.plans(status=PlanStatus.ACTIVE)[:PLANS_PER_RUN_MAX]
    ended: Counter[PlanStatus] = Counter()
    audit: list[tuple[str, str, dict[str, object]]] = []
    for plan in active:
        loan = uow.loans.get(plan.loan_id)
        status, missed = plan_status(loan, first_n=plan.first_n, last_n=plan.last_n,
                                     business_date=business_date, grace_days=plan.grace_days)
        if status is PlanStatus.ACTIVE:
            continue
        _end_plan(uow, plan, status, missed, business_date)
        ended[status] += 1
        audit.append((f"plan_{status.value}", f"case:{plan.case_id}", {
            "plan_id": plan.plan_id, "loan_id": plan.loan_id,
            "business_date": business_date.isoformat()}))
    uow.negotiation.mark_checked([p.plan_id for p in active], business_date)
    if now is not None and audit:
        record(uow, at=now, entries=audit)
    return MonitorReport(business_date, len(active), ended[PlanStatus.BROKEN],
                         ended[PlanStatus.COMPLETED])


def plan_end_note(plan: PlanRecord, status: PlanStatus,
                  missed: InstallmentState | None) -> tuple[TimelineKind, str]:
    """What the case timeline says when ``plan`` ends broken (naming the payment
    missed) or completed."""
    if status is PlanStatus.BROKEN:
        assert missed is not None
        return TimelineKind.PLAN_BROKEN, (
            f"plan {plan.plan_id} broken: payment {missed.n - plan.first_n + 1} is "
            f"unpaid more than {plan.grace_days} days after its due date")
    return TimelineKind.PLAN_COMPLETED, f"plan {plan.plan_id} completed: every payment made"


def _end_plan(uow: UnitOfWork, plan: PlanRecord, status: PlanStatus,
              missed: InstallmentState | None, business_date: dt.date) -> None:
    """The plan resolved, the ``hardship_plan`` flag lifted and the case told why; a
    case on the plan goes back to ``open`` (after a completed plan, only while a loan
    is still open: a paid-off case is closed by the day's run)."""
    uow.negotiation.resolve_plan(plan.plan_id, status=status, on=business_date)
    uow.borrowers.set_flag(plan.borrower_id, Flag.HARDSHIP_PLAN, on=False)
    case = uow.cases.get(plan.case_id)
    kind, text = plan_end_note(plan, status, missed)
    uow.cases.note(plan.case_id, business_date, kind, text)
    if case.status is not CaseStatus.PLAN:
        return
    if status is PlanStatus.COMPLETED and not uow.negotiation.open_loans(plan.borrower_id):
        return
    moved = change_status(case, CaseStatus.OPEN, business_date, text)
    assert moved.case is not None
    uow.cases.save(moved.case, business_date)
    uow.cases.add_timeline(moved.timeline)


def plans(app: Dunwell, *, status: str | None = None) -> list[PlanRecord]:
    with app.uow() as uow:
        which = None if status is None else _enum(PlanStatus, status, "status")
        return uow.negotiation.plans(status=which)


@dataclass(frozen=True, slots=True)
class PlanView:
    plan: PlanRecord
    offer: OfferRecord
    currency: str
    paid_minor: tuple[int, ...]  # paid on each plan payment so far


def plan_view(app: Dunwell, *, plan_id: int) -> PlanView:
    with app.uow() as uow:
        repo = uow.negotiation
        plan = repo.plan(plan_id)
        offer = repo.offer(plan.offer_id)
        loan = uow.loans.get(plan.loan_id)
        paid = tuple(i.paid_principal_minor + i.paid_interest_minor + i.paid_fee_minor
                     + i.paid_penalty_minor for i in loan.installments
                     if plan.first_n <= i.n <= plan.last_n)
        return PlanView(plan, offer, loan.currency, paid)


def _money(minor: int, currency: str) -> str:
    """An amount as staff read it on a timeline: major units and the currency."""
    return f"{format_minor(minor, currency)} {currency}"
