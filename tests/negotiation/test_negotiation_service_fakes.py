"""The negotiation rules on the in-memory book: an offer is approved within the
approver's authority by someone the training gate lets negotiate, once, while it is
live; only an approved offer can be accepted; offers are made on the open date for a
case without an active plan — no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from dunwell.app.collections import collect
from dunwell.app.context import Dunwell
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.negotiation import service as svc
from dunwell.app.negotiation.replays import approve_offer_once
from dunwell.app.negotiation.service import OfferRecord, PlanRecord
from dunwell.app.training import service as training
from dunwell.collections.model import CaseStatus, TimelineKind
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.core.dates import from_day
from dunwell.core.errors import DomainError
from dunwell.lending.loans import InstallmentState
from dunwell.lending.products import builtin_product_texts
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
from fakes.app import fake_app

DAY = dt.date(2026, 3, 2)
START = dt.date(2025, 1, 1)
NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
DEBT = Debt(900_000, 60_000, 30_000, 10_000)  # 10,000.00 owed in all


def offer(waiver: Waiver, role: Role) -> Offer:
    left = DEBT.total_minor - waiver.total_minor
    months = 4
    insts = tuple(PlanInstalment(n, DAY + dt.timedelta(days=30 * n), left // months)
                  for n in range(1, months + 1))
    return Offer(kind=OfferKind.PENALTY_WAIVER if waiver.total_minor else
                 OfferKind.INSTALMENT_PLAN, months=months, instalments=insts, debt=DEBT,
                 waiver=waiver, monthly_payment_minor=left // months,
                 affordability=Decimal("0.40"), keep_probability=Decimal("0.70"),
                 expected_npv_minor=left * 7 // 10, total_cost_minor=left,
                 approval_role=role)


def code_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


@pytest.fixture
def app() -> Dunwell:
    app = fake_app()
    with app.uow() as uow:
        uow.book.open(DAY, 4, "CNY")
        uow.commit()
    return app


def make_offers(app: Dunwell, *offers: Offer, expires_on: dt.date = DAY + dt.timedelta(days=14),
                business_date: dt.date = DAY) -> list[int]:
    """An assessment of case-1 taken by a collector, and ``offers`` made on it."""
    with app.uow() as uow:
        rec = uow.negotiation.add_assessment(
            fingerprint=f"fp-{business_date}", case_id="case-1", borrower_id=1, loan_id=10,
            business_date=business_date, recorded_at=NOW.isoformat(),
            source=AssessmentSource.COLLECTOR,
            assessment=Assessment(HardshipReason.JOB_LOSS, 500_000, 300_000, 50_000, False, ()))
        made = uow.negotiation.add_offers(
            assessment_id=rec.assessment_id, case_id="case-1", loan_id=10,
            business_date=business_date, expires_on=expires_on, offers=offers)
        uow.commit()
    return [o.offer_id for o in made]


def approve(app: Dunwell, offer_id: int, by: str = "tl-1",
            role: str = "team_lead") -> OfferRecord:
    return svc.approve_offer(app, offer_id=offer_id, approver_id=by, role=role, now=NOW)


def test_an_offer_is_approved_only_within_the_approvers_authority(app: Dunwell) -> None:
    [plain, waiving] = make_offers(app, offer(Waiver(), Role.COLLECTOR),
                                   offer(Waiver(penalty_minor=30_000, fee_minor=10_000),
                                         Role.TEAM_LEAD))
    assert code_of(approve, app, waiving, "c-1", "collector") == (
        "approval_must_be_within_authority")
    assert svc.approve_offer(app, offer_id=plain, approver_id="c-1", role="collector",
                             now=NOW).status is OfferStatus.APPROVED
    approved = approve(app, waiving)
    assert (approved.status, approved.approved_by, approved.approved_role) == (
        OfferStatus.APPROVED, "tl-1", Role.TEAM_LEAD)


def test_an_approval_names_a_person_and_a_known_role(app: Dunwell) -> None:
    [oid] = make_offers(app, offer(Waiver(), Role.COLLECTOR))
    assert code_of(approve, app, oid, " ", "team_lead") == "approver_must_be_named"
    assert code_of(approve, app, oid, "tl-1", "chief") == "role_must_be_known"
    assert code_of(approve, app, 99) == "offer_must_exist"


def test_an_offer_is_approved_once_and_the_same_approval_again_is_harmless(
        app: Dunwell) -> None:
    [oid] = make_offers(app, offer(Waiver(), Role.COLLECTOR))
    first = approve(app, oid)
    assert approve(app, oid) == first
    assert code_of(approve, app, oid, "m-1", "manager") == "offer_must_be_approved_once"
    again, replayed = approve_offer_once(app, offer_id=oid, approver_id="tl-1",
                                         role="team_lead", now=NOW)
    assert again == first and replayed


def test_an_approval_is_kept_under_its_key(app: Dunwell) -> None:
    [oid] = make_offers(app, offer(Waiver(), Role.COLLECTOR))
    first, replayed = approve_offer_once(app, offer_id=oid, approver_id="tl-1",
                                         role="team_lead", now=NOW, key="k-1")
    assert not replayed and first.status is OfferStatus.APPROVED
    second, replayed = approve_offer_once(app, offer_id=oid, approver_id="tl-1",
                                          role="team_lead", now=NOW, key="k-1")
    assert replayed and second == first
    assert code_of(approve_offer_once, app, offer_id=oid, approver_id="m-1", role="manager",
                   now=NOW, key="k-1") == "idempotency_key_must_match_request"


def test_a_registered_approver_needs_the_certificates_to_negotiate(app: Dunwell) -> None:
    training.add_staff(app, staff_id="tl-1", name="team lead", role="team_lead", lead_id=None,
                       now=NOW)
    [oid] = make_offers(app, offer(Waiver(), Role.COLLECTOR))
    assert code_of(approve, app, oid) == "staff_must_hold_valid_certificates"
    with app.uow() as uow:
        assert uow.negotiation.offer(oid).status is OfferStatus.OPEN


def test_an_offer_that_expired_or_was_superseded_is_not_approved(app: Dunwell) -> None:
    [stale] = make_offers(app, offer(Waiver(), Role.COLLECTOR),
                          business_date=DAY - dt.timedelta(days=20),
                          expires_on=DAY - dt.timedelta(days=6))
    assert code_of(approve, app, stale) == "offer_must_not_be_expired"
    [gone] = make_offers(app, offer(Waiver(), Role.COLLECTOR))
    with app.uow() as uow:
        uow.negotiation.set_offer_status([gone], OfferStatus.SUPERSEDED)
        uow.commit()
    assert code_of(approve, app, gone) == "offer_must_be_unused"


def test_only_an_approved_offer_is_accepted(app: Dunwell) -> None:
    [oid] = make_offers(app, offer(Waiver(), Role.COLLECTOR))
    assert code_of(svc.accept_offer, app, offer_id=oid, now=NOW) == "offer_must_be_approved"
    assert code_of(svc.accept_offer, app, offer_id=oid,
                   now=NOW.replace(tzinfo=None)) == "time_must_be_aware"


def test_offers_are_made_on_the_open_date_for_a_case_without_an_active_plan(
        app: Dunwell) -> None:
    [oid] = make_offers(app, offer(Waiver(), Role.COLLECTOR))
    assert code_of(svc.offer_book, app, case_id="case-1",
                   business_date=DAY + dt.timedelta(days=1)) == "offer_date_must_be_open_date"
    with app.uow() as uow:
        uow.negotiation.add_plan(offer=uow.negotiation.offer(oid), borrower_id=1,
                                 accepted_on=DAY, accepted_at=NOW.isoformat(), first_n=1,
                                 last_n=4, grace_days=5, entry_id=None)
        uow.commit()
    assert code_of(svc.offer_book, app, case_id="case-1", business_date=DAY) == (
        "case_must_not_have_active_plan")
    assert [p.offer_id for p in svc.plans(app, status="active")] == [oid]
    assert code_of(svc.plans, app, status="paused") == "status_must_be_known"


def test_a_plan_that_ends_tells_the_case_why() -> None:
    plan = PlanRecord(3, 7, "case-1", 1, 10, OfferKind.INSTALMENT_PLAN, DAY, NOW.isoformat(),
                      first_n=4, last_n=9, grace_days=5, entry_id=None,
                      status=PlanStatus.ACTIVE, checked_on=None, resolved_on=None)
    missed = InstallmentState(n=6, due_day=0, accrual_start_day=0, principal_minor=1,
                              interest_minor=0)
    assert svc.plan_end_note(plan, PlanStatus.BROKEN, missed) == (
        TimelineKind.PLAN_BROKEN,
        "plan 3 broken: payment 3 is unpaid more than 5 days after its due date")
    assert svc.plan_end_note(plan, PlanStatus.COMPLETED, None) == (
        TimelineKind.PLAN_COMPLETED, "plan 3 completed: every payment made")


def test_monitoring_without_active_plans_changes_nothing(app: Dunwell) -> None:
    with app.uow() as uow:
        report = svc.monitor_plans(uow, business_date=DAY, now=NOW)
    assert (report.checked, report.broken, report.completed) == (0, 0, 0)


SHA = "ab" * 32


def test_an_assessment_is_taken_by_a_person_with_whole_figures_and_digested_evidence() -> None:
    base: dict[str, Any] = {"reason": "job_loss", "source": "collector",
                            "monthly_income_minor": 500_000, "essential_expenses_minor": 300_000,
                            "other_debt_payments_minor": 50_000,
                            "evidence": [f"payslip.pdf:{SHA}"], "vulnerable": False}
    src, assessment = svc.hardship_assessment(**base)
    assert src is AssessmentSource.COLLECTOR and assessment.disposable_income_minor == 150_000
    assert code_of(svc.hardship_assessment, **{**base, "source": "book"}) == (
        "source_must_be_known")
    assert code_of(svc.hardship_assessment, **{**base, "reason": "bored"}) == (
        "reason_must_be_known")
    assert code_of(svc.hardship_assessment, **{**base, "monthly_income_minor": -1}) == (
        "hardship_amount_must_be_in_range")
    assert code_of(svc.hardship_assessment, **{**base, "evidence": ["payslip.pdf"]}) == (
        "evidence_must_carry_sha256")


def test_the_same_assessment_has_the_same_fingerprint_whatever_the_evidence_order() -> None:
    one = Assessment(HardshipReason.ILLNESS, 400_000, 250_000, 0, True,
                     (Evidence("a.pdf", SHA), Evidence("b.pdf", "cd" * 32)))
    other = replace(one, evidence=tuple(reversed(one.evidence)))
    args: dict[str, Any] = {"case_id": "case-1", "loan_id": 10, "on": DAY,
                            "source": AssessmentSource.PORTAL}
    assert svc.hardship_fingerprint(assessment=one, **args) == svc.hardship_fingerprint(
        assessment=other, **args)
    assert svc.hardship_fingerprint(assessment=one, **args) != svc.hardship_fingerprint(
        assessment=replace(one, monthly_income_minor=400_001), **args)
    assert svc.hardship_fingerprint(assessment=one, **args) != svc.hardship_fingerprint(
        assessment=one, **{**args, "on": DAY + dt.timedelta(days=1)})


# --- the whole negotiation on an overdue case -----------------------------------------


def overdue_book() -> tuple[Dunwell, dt.date, str]:
    """A loan of 10,000.00 forty days past its first due date, with the case the day's
    run opened; the book is open on that day."""
    app = fake_app()
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=1, currency="CNY")
        product = register_product(uow, builtin_product_texts()[0])
        [loan] = disburse(uow, [LoanRequest(1, product.code, 1_000_000,
                                            product.term_months_min)])
        uow.borrowers.put(borrower_id=1, name="Borrower 1", jurisdiction=Jurisdiction.CN_NIFA,
                          timezone="Asia/Shanghai", language="zh-CN", flags=())
        uow.commit()
    day = from_day(loan.installments[0].due_day) + dt.timedelta(days=40)
    with app.uow() as uow:
        uow.book.advance(day)
        facts = collect.read_day(uow, day, currency="CNY", last_run=None)
        collect.plan_case(uow, facts, arms=collect.choose_arms(collect.Experiment(), None),
                          bid=1, profile=facts.profiles[1], report=collect.CollectReport(day))
        [stored] = uow.cases.active().values()
        uow.commit()
    return app, day, stored.view.case_id


def test_hardship_then_offers_then_approval_by_another_person_then_the_plan() -> None:
    app, day, case_id = overdue_book()
    now = dt.datetime.combine(day, dt.time(3), tzinfo=dt.UTC)
    rec = svc.assess_hardship(app, case_id=case_id, reason="job_loss",
                              monthly_income_minor=600_000, essential_expenses_minor=350_000,
                              other_debt_payments_minor=50_000, evidence=[f"slip.pdf:{SHA}"],
                              vulnerable=True, source="collector", now=now)
    assert svc.assess_hardship(app, case_id=case_id, reason="job_loss",
                               monthly_income_minor=600_000, essential_expenses_minor=350_000,
                               other_debt_payments_minor=50_000,
                               evidence=[f"slip.pdf:{SHA}"], vulnerable=True,
                               source="collector", now=now) == rec  # the same one again
    book = svc.offer_book(app, case_id=case_id, business_date=day)
    assert book.offers and book.assessment == rec
    assert svc.offer_book(app, case_id=case_id, business_date=day).offers == book.offers
    best = book.offers[0]
    assert code_of(svc.accept_offer, app, offer_id=best.offer_id, now=now) == (
        "offer_must_be_approved")
    role = best.offer.approval_role.value
    svc.approve_offer(app, offer_id=best.offer_id, approver_id="tl-1", role=role, now=now)
    plan = svc.accept_offer(app, offer_id=best.offer_id, now=now)
    with app.uow() as uow:
        case = uow.cases.get(case_id)
        flags = uow.borrowers.get(1).borrower.flags
        statuses = {o.offer_id: o.status for o in uow.negotiation.offers_for_case(case_id)}
        kinds = [k for _, k, _ in uow.cases.timeline(case_id)]
        hardship = [t for _, k, t in uow.cases.timeline(case_id) if k == "hardship_assessed"]
    # staff read amounts in major units with the currency, never minor units
    assert "disposable income 2000.00 " in hardship[0], hardship
    assert case.status is CaseStatus.PLAN and plan.case_id == case_id
    assert {Flag.VULNERABLE, Flag.HARDSHIP_PLAN} <= set(flags)
    assert statuses[best.offer_id] is OfferStatus.ACCEPTED
    assert all(s is OfferStatus.SUPERSEDED for k, s in statuses.items() if k != best.offer_id)
    assert {"hardship_assessed", "plan_accepted"} <= set(kinds)
    assert code_of(svc.accept_offer, app, offer_id=best.offer_id, now=now) == (
        "offer_must_be_unused")
