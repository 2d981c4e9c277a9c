"""The approval authority matrix: who may approve what an offer waives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from dunwell.app.negotiation.service import accept_offer, approve_offer, assess_hardship, offer_book
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError
from dunwell.negotiation.approvals import authorise
from dunwell.negotiation.errors import ApprovalRejected
from dunwell.negotiation.model import Debt, Offer, OfferKind, OfferStatus, Role, Waiver
from dunwell.negotiation.policy import builtin_approvals, parse_approvals
from dunwell.store.negotiation_repo import OfferRecord

MATRIX = builtin_approvals()
NOW = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
CASE = "case-1-20250216"


@pytest.mark.parametrize(("waived", "debt", "role"), [
    (0, 300_000, Role.COLLECTOR),  # no waiver: any collector
    (4_578, 300_000, Role.TEAM_LEAD),  # 1.5 %, 45.78
    (30_000, 300_000, Role.TEAM_LEAD),  # exactly 10 %
    (30_001, 300_000, Role.MANAGER),  # just over 10 %
    (105_000, 300_000, Role.MANAGER),  # 35 %
    (105_001, 300_000, Role.RISK_COMMITTEE),  # over 35 %
    (1_500_000, 10_000_000, Role.RISK_COMMITTEE),  # 15 % but over 10,000.00
])
def test_the_role_an_offer_needs_depends_on_amount_and_share(waived: int, debt: int,
                                                             role: Role) -> None:
    assert MATRIX.required_role(waived, debt) is role


def test_a_matrix_must_name_every_role() -> None:
    with pytest.raises(DomainError) as err:
        parse_approvals('order = ["collector"]\n[roles.collector]\nwaiver_max_minor = 0\n'
                        'waiver_max_pct = "0"\n')
    assert err.value.code == "negotiation_policy_must_be_valid"


def booked_offers(app: Dunwell, overdue: Callable[..., list[int]]) -> list[OfferRecord]:
    overdue()
    assess_hardship(app, case_id=CASE, reason="family_emergency",
                    monthly_income_minor=600_000, essential_expenses_minor=350_000,
                    other_debt_payments_minor=50_000, evidence=[], vulnerable=False,
                    source="collector", now=NOW)
    return list(offer_book(app, case_id=CASE, business_date=dt.date(2025, 3, 1)).offers)


def test_a_collector_cannot_approve_a_waiver_and_nothing_changes(
        app: Dunwell, overdue: Callable[..., list[int]],
        snapshot: Callable[[Dunwell], object]) -> None:
    offers = booked_offers(app, overdue)
    waiver = next(o for o in offers if o.offer.kind is OfferKind.PENALTY_WAIVER)
    before = snapshot(app)
    with pytest.raises(ApprovalRejected) as err:
        approve_offer(app, offer_id=waiver.offer_id, approver_id="c-01", role="collector",
                      now=NOW)
    assert err.value.code == "approval_must_be_within_authority"
    assert "team_lead" in err.value.message
    assert snapshot(app) == before
    # a team lead may, and a repeat of the same approval is acknowledged
    done = approve_offer(app, offer_id=waiver.offer_id, approver_id="tl-01", role="team_lead",
                         now=NOW)
    again = approve_offer(app, offer_id=waiver.offer_id, approver_id="tl-01",
                          role="team_lead", now=NOW)
    assert done.status is OfferStatus.APPROVED and again == done
    assert (done.approved_by, done.approved_role) == ("tl-01", Role.TEAM_LEAD)


def test_an_offer_without_waiver_needs_an_approval_before_acceptance(
        app: Dunwell, overdue: Callable[..., list[int]],
        snapshot: Callable[[Dunwell], object]) -> None:
    offers = booked_offers(app, overdue)
    plain = next(o for o in offers if o.offer.kind is OfferKind.INSTALMENT_PLAN)
    before = snapshot(app)
    with pytest.raises(DomainError) as err:
        accept_offer(app, offer_id=plain.offer_id, now=NOW)
    assert err.value.code == "offer_must_be_approved"
    assert snapshot(app) == before
    approve_offer(app, offer_id=plain.offer_id, approver_id="fa-07", role="field_agent",
                  now=NOW)
    assert accept_offer(app, offer_id=plain.offer_id, now=NOW).offer_id == plain.offer_id


def test_authorise_names_the_role_needed() -> None:
    offer = Offer(OfferKind.SETTLEMENT, 1, (), Debt(300_000, 0, 0, 0),
                  Waiver(principal_minor=90_000), 210_000, Decimal("0.1"), Decimal("0.9"), 0,
                  210_000, Role.MANAGER)
    with pytest.raises(ApprovalRejected) as err:
        authorise(MATRIX, role=Role.TEAM_LEAD, offer=offer)
    assert "manager" in err.value.message
    authorise(MATRIX, role=Role.MANAGER, offer=offer)
