"""Maker-checker and authority limits in the services themselves, so every path (API,
command line, the day's run) obeys them: the proposer of a referral cannot approve
it, a legal cost and a write-off beyond the approver's authority are refused and
change nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dunwell.app.context import Dunwell
from dunwell.app.legal import cases, referrals
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.writeoff import write_off
from dunwell.collections.model import CaseStatus, CaseView
from dunwell.core.errors import Forbidden
from dunwell.identity.authority import Approver
from dunwell.identity.model import Role
from dunwell.legal.model import Eligibility, LegalState, ReferralSource, ReferralStatus
from dunwell.lending.products import builtin_product_texts
from fakes.app import fake_app

DAY = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def book() -> Dunwell:
    app = fake_app()
    with app.uow() as uow:
        uow.book.open(DAY, 4, "CNY")
        uow.commit()
    return app


def proposed(app: Dunwell, *, by: str = "li.na") -> int:
    with app.uow() as uow:
        rid = uow.legal.add_referral(
            case_id="case-1", borrower_id=1, source=ReferralSource.MANUAL, action_id=None,
            status=ReferralStatus.PROPOSED, proposed_on=DAY, proposed_by=by,
            proposed_at=NOW.isoformat(), proposal_note="", days_past_due=120,
            outstanding_minor=1_200_000, currency="CNY", eligibility=Eligibility(()))
        uow.commit()
    return rid


def test_the_proposer_may_never_approve_their_own_referral(book: Dunwell) -> None:
    rid = proposed(book, by="li.na")
    for same in ("li.na", "Li.Na", " li.na "):
        with book.uow() as uow, pytest.raises(Forbidden) as refused:
            referrals.approve_referral(uow, referral_id=rid, approver=same,
                                       role="legal_counsel", note="fine by me",
                                       business_date=DAY, now=NOW)
        assert refused.value.code == "approver_must_not_be_the_proposer"
    with book.uow() as uow:
        assert referrals.referral_record(uow, referral_id=rid).status is ReferralStatus.PROPOSED
        assert list(uow.audit.records()) == []


def approved(app: Dunwell) -> int:
    with app.uow() as uow:
        uow.cases.save(CaseView(case_id="case-1", borrower_id="1", status=CaseStatus.LEGAL,
                                loans=(), opened_on=DAY), DAY)
        rid = uow.legal.add_referral(
            case_id="case-1", borrower_id=1, source=ReferralSource.MANUAL, action_id=None,
            status=ReferralStatus.APPROVED, proposed_on=DAY, proposed_by="li.na",
            proposed_at=NOW.isoformat(), proposal_note="", days_past_due=120,
            outstanding_minor=1_200_000, currency="CNY", eligibility=Eligibility(()))
        uow.legal.decide(rid, status=ReferralStatus.APPROVED, by="zhao", role="legal_counsel",
                         note="ok", on=DAY, at=NOW.isoformat(), eligibility=Eligibility(()),
                         legal_state=LegalState.APPROVED)
        uow.commit()
    return rid


def test_a_cost_event_beyond_the_recorders_authority_is_refused(book: Dunwell) -> None:
    rid = approved(book)
    counsel = Approver("zhao", Role.LEGAL_COUNSEL)
    with book.uow() as uow, pytest.raises(Forbidden) as refused:
        cases.record_legal_event(uow, referral_id=rid, event="filed", on=DAY,
                                 cost_minor=9_999_900, recorded_by="zhao", now=NOW,
                                 approver=counsel)
    assert refused.value.code == "legal_cost_must_be_within_your_authority"
    capped = Approver("zhao", Role.LEGAL_COUNSEL, authority_minor=10_000)
    with book.uow() as uow, pytest.raises(Forbidden):
        cases.record_legal_event(uow, referral_id=rid, event="filed", on=DAY, cost_minor=50_000,
                                 recorded_by="zhao", now=NOW, approver=capped)
    with book.uow() as uow:
        view = cases.record_legal_event(uow, referral_id=rid, event="filed", on=DAY,
                                        cost_minor=50_000, recorded_by="zhao", now=NOW,
                                        approver=counsel)
        uow.commit()
    assert view.total_cost_minor == 50_000 and view.case.state is LegalState.FILED


def test_a_write_off_beyond_the_approvers_authority_posts_nothing(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=DAY, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(1, "merchant_annuity_12m", 6_000_000, 12)])
        uow.commit()
    with app.uow() as uow:
        before = uow.ledger.balances(loan_id=1)
        audited = len(list(uow.audit.records()))
    refused_by = (Approver("tl-1", Role.TEAM_LEAD),  # no write-offs at all
                  Approver("m-1", Role.MANAGER),  # up to 50,000.00: the loan is 60,000.00
                  Approver("r-1", Role.RISK_ANALYST, authority_minor=100_000))  # their own cap
    for who in refused_by:
        with app.uow() as uow, pytest.raises(Forbidden) as refused:
            write_off(uow, loan_id=1, reason="fraud", idempotency_key=f"wo-{who.person}",
                      now=NOW, approver=who)
        assert refused.value.code == "write_off_must_be_within_your_authority"
        assert "60000.00 CNY" in refused.value.message
    with app.uow() as uow:
        assert uow.ledger.balances(loan_id=1) == before
        assert len(list(uow.audit.records())) == audited
        done = write_off(uow, loan_id=1, reason="fraud", idempotency_key="wo-ok", now=NOW,
                         approver=Approver("r-1", Role.RISK_ANALYST))
        uow.commit()
    assert done.written_off.total_minor == 6_000_000
    with app.uow() as uow:
        last = list(uow.audit.records())[-1]
    payload = json.loads(last.payload_json)
    assert (last.kind, payload["by"], payload["role"]) == ("loan_written_off", "r-1",
                                                            "risk_analyst")
