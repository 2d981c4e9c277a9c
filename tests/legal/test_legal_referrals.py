"""Referrals on a real book: propose, a person approves or rejects, protected
borrowers and plans in good standing are refused with a code and nothing changes,
and the strategy's legal review becomes a proposal in the review queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from legal_book import FIRST_DUE, NOW, reach_out, set_flags, snapshot

from dunwell.app.legal.cases import record_legal_event
from dunwell.app.legal.referrals import (
    approve_referral,
    propose_referral,
    queue_legal_reviews,
    reject_referral,
    review_queue,
)
from dunwell.app.negotiation.service import accept_offer, approve_offer, assess_hardship, offer_book
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError
from dunwell.legal.model import ReferralStatus
from dunwell.store import collection_tables as c

DAY = FIRST_DUE + dt.timedelta(days=100)  # 100 days past due
CASE = f"case-1-{DAY:%Y%m%d}"
Book = Callable[[dt.date], dt.date]


def propose(app: Dunwell, case_id: str = CASE, **kw: object) -> int:
    with app.uow() as uow:
        ref = propose_referral(uow, case_id=case_id, business_date=DAY, proposed_by="Li Na",
                               now=NOW, note="refuses to engage", **kw)  # type: ignore[arg-type]
        uow.commit()
    return ref.referral_id


def decide(app: Dunwell, rid: int, *, approve: bool = True, role: str = "legal_counsel",
           by: str = "Zhao Min", note: str = "evidence complete") -> ReferralStatus:
    fn = approve_referral if approve else reject_referral
    with app.uow() as uow:
        ref = fn(uow, referral_id=rid, approver=by, role=role, note=note, business_date=DAY,
                 now=NOW)
        uow.commit()
    return ref.status


def case_status(app: Dunwell, case_id: str = CASE) -> str:
    with app.engine.connect() as conn:
        return str(conn.execute(sa.select(c.cases.c.status)
                                .where(c.cases.c.case_id == case_id)).scalar_one())


def test_a_referral_is_proposed_then_approved_by_a_named_person(
        app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = propose(app)
    with app.uow() as uow:
        queued = review_queue(uow)
    assert [(r.referral_id, r.status, r.days_past_due) for r in queued] == [
        (rid, ReferralStatus.PROPOSED, 100)]
    assert case_status(app) == "open"  # proposing changes nothing on the case
    assert propose(app) == rid  # proposing again returns the same referral
    assert decide(app, rid) is ReferralStatus.APPROVED
    assert case_status(app) == "legal"
    with app.uow() as uow:
        # the daily runs may have recorded the strategy's own review as not eligible
        [ref] = [r for r in review_queue(uow, include_closed=True) if r.referral_id == rid]
        assert (ref.decided_by, ref.decided_role, ref.decided_note) == (
            "Zhao Min", "legal_counsel", "evidence complete")
        assert review_queue(uow) == []
    with app.engine.connect() as conn:
        texts = [r.text for r in conn.execute(sa.select(c.case_timeline.c.text)
                                              .where(c.case_timeline.c.case_id == CASE))]
    assert any("status open -> legal" in t and "Zhao Min" in t for t in texts)


def test_nothing_is_filed_before_a_person_approves(app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = propose(app)
    before = snapshot(app)
    with pytest.raises(DomainError) as err, app.uow() as uow:
        record_legal_event(uow, referral_id=rid, event="filed", on=DAY, cost_minor=50_000,
                           recorded_by="Zhao Min", now=NOW, court="c", reference="r")
    assert err.value.code == "referral_must_be_approved"
    assert snapshot(app) == before


@pytest.mark.parametrize(("role", "by", "note", "code"), [
    ("intern", "Zhao Min", "ok", "referral_approval_must_name_person_role_and_note"),
    ("legal_counsel", "  ", "ok", "referral_approval_must_name_person_role_and_note"),
    ("legal_counsel", "Zhao Min", "", "referral_approval_must_name_person_role_and_note"),
])
def test_an_approval_needs_a_named_person_an_approver_role_and_a_note(
        app: Dunwell, overdue_book: Book, role: str, by: str, note: str, code: str) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = propose(app)
    before = snapshot(app)
    with pytest.raises(DomainError) as err:
        decide(app, rid, role=role, by=by, note=note)
    assert err.value.code == code
    assert snapshot(app) == before


def test_a_rejected_referral_leaves_the_case_as_it_was(app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = propose(app)
    assert decide(app, rid, approve=False, note="a plan is being discussed") is (
        ReferralStatus.REJECTED)
    assert case_status(app) == "open"
    with pytest.raises(DomainError) as err:
        decide(app, rid)
    assert err.value.code == "referral_status_must_allow_operation"


@pytest.mark.parametrize("flag", ["vulnerable", "deceased", "bankruptcy", "breathing_space",
                                  "disputed", "time_barred"])
def test_referring_a_protected_borrower_is_a_coded_error_and_changes_nothing(
        app: Dunwell, overdue_book: Book, flag: str) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    set_flags(app, 1, flag)
    before = snapshot(app)
    with pytest.raises(DomainError) as err:
        propose(app)
    assert err.value.code == "referral_borrower_must_not_be_protected"
    assert flag in err.value.message
    assert snapshot(app) == before


def test_a_borrower_flagged_after_the_proposal_cannot_be_approved(
        app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = propose(app)
    set_flags(app, 1, "breathing_space")
    before = snapshot(app)
    with pytest.raises(DomainError) as err:
        decide(app, rid)
    assert err.value.code == "referral_borrower_must_not_be_protected"
    assert snapshot(app) == before


def test_a_plan_in_good_standing_blocks_a_referral(app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    set_flags(app, 1, "hardship_plan")
    before = snapshot(app)
    with pytest.raises(DomainError) as err:
        propose(app)
    assert err.value.code == "referral_plan_must_not_be_in_good_standing"
    assert snapshot(app) == before


def test_too_few_contact_attempts_and_no_visit_are_both_named(
        app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY, calls=2, visit=None)
    before = snapshot(app)
    with pytest.raises(DomainError) as err:
        propose(app)
    assert err.value.code == "referral_criteria_must_be_met"
    failures = [f["criterion"] for f in err.value.details["failures"]]
    assert failures == ["contact_attempts_must_be_exhausted", "visit_or_letter_must_be_delivered"]
    assert snapshot(app) == before


def test_the_strategys_legal_review_becomes_a_proposal_in_the_queue(
        app: Dunwell, overdue_book: Book) -> None:
    # the humane ladder proposes a legal review at D+90; run the days around it
    first = overdue_book(FIRST_DUE + dt.timedelta(days=1))
    reach_out(app, 1, first, visit="conversation")
    reach_out(app, 2, first, calls=1, visit=None)
    day = first
    while day < FIRST_DUE + dt.timedelta(days=91):
        day = overdue_book(day + dt.timedelta(days=1))
    # each day's collection run queued the reviews due that day; another pass finds
    # nothing left to queue
    with app.uow() as uow:
        again = queue_legal_reviews(uow, business_date=day, now=NOW)
        made = review_queue(uow, include_closed=True)
    assert again == []
    by_borrower = {r.borrower_id: r for r in made}
    assert by_borrower[1].status is ReferralStatus.PROPOSED
    assert by_borrower[1].proposed_by.startswith("strategy humane")
    # borrower 2 was hardly contacted: recorded, with reasons, never proposed
    assert by_borrower[2].status is ReferralStatus.NOT_ELIGIBLE
    assert "contact attempts" in by_borrower[2].eligibility.failures[0].reason
    with app.uow() as uow:
        assert [r.borrower_id for r in review_queue(uow)] == [1]


def test_a_plan_agreed_through_negotiation_blocks_a_referral(
        app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    assess_hardship(app, case_id=CASE, reason="business_downturn",
                    monthly_income_minor=800_000, essential_expenses_minor=450_000,
                    other_debt_payments_minor=0, evidence=["sales-ledger.pdf:" + "cd" * 32],
                    vulnerable=False, source="collector", now=NOW)
    best = offer_book(app, case_id=CASE, business_date=DAY).offers[0]
    approve_offer(app, offer_id=best.offer_id, approver_id="mgr-1",
                  role=best.offer.approval_role.value, now=NOW)
    accept_offer(app, offer_id=best.offer_id, now=NOW)
    before = snapshot(app)
    with pytest.raises(DomainError) as err:
        propose(app)
    assert err.value.code == "referral_plan_must_not_be_in_good_standing"
    assert snapshot(app) == before
