"""Authority limits, approval levels and maker-checker as worked examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.core.errors import Forbidden
from dunwell.identity.authority import (
    APPROVAL_LEVEL,
    Matter,
    approval_level,
    legal_decider,
    limit_minor,
    person,
    require_other_checker,
    require_within,
)
from dunwell.identity.model import Principal, Role
from dunwell.negotiation.model import Role as Level
from dunwell.negotiation.policy import builtin_approvals


def test_approval_levels_follow_the_negotiation_order_and_analysts_sit_on_the_committee(
        ) -> None:
    assert approval_level(Role.RISK_ANALYST) is Level.RISK_COMMITTEE
    assert approval_level(Role.TEAM_LEAD) is Level.TEAM_LEAD
    order = [a.role for a in builtin_approvals().authorities]
    ranked = sorted(APPROVAL_LEVEL, key=lambda r: order.index(APPROVAL_LEVEL[r]))
    assert ranked == [Role.COLLECTOR, Role.FIELD_AGENT, Role.TEAM_LEAD, Role.MANAGER,
                      Role.RISK_ANALYST]
    for role in (Role.BORROWER, Role.ADMIN, Role.LEGAL_COUNSEL, Role.COMPLIANCE_OFFICER):
        with pytest.raises(Forbidden) as refused:
            approval_level(role)
        assert refused.value.code == "role_must_approve_offers"


def test_referrals_are_decided_as_the_rules_approver_roles() -> None:
    assert legal_decider(Role.MANAGER) == "collections_manager"
    assert legal_decider(Role.LEGAL_COUNSEL) == "legal_counsel"
    with pytest.raises(Forbidden):
        legal_decider(Role.COLLECTOR)


@pytest.mark.parametrize(("role", "matter", "currency", "limit"), [
    (Role.LEGAL_COUNSEL, Matter.LEGAL_COST, "CNY", 2_000_000),
    (Role.LEGAL_COUNSEL, Matter.LEGAL_COST, "JPY", 20_000),
    (Role.MANAGER, Matter.WRITE_OFF, "CNY", 5_000_000),
    (Role.RISK_ANALYST, Matter.WRITE_OFF, "CNY", None),
    (Role.COLLECTOR, Matter.WRITE_OFF, "CNY", 0),
    (Role.MANAGER, Matter.WAIVER, "CNY", None),  # the approval level's, in approvals.toml
])
def test_each_roles_default_limit(role: Role, matter: Matter, currency: str,
                                  limit: int | None) -> None:
    assert limit_minor(role, matter, currency) == limit


def test_a_99999_cost_event_is_beyond_legal_counsel_and_500_is_within() -> None:
    require_within(Role.LEGAL_COUNSEL, Matter.LEGAL_COST, 50_000, "CNY")
    with pytest.raises(Forbidden) as refused:
        require_within(Role.LEGAL_COUNSEL, Matter.LEGAL_COST, 9_999_900, "CNY")
    assert refused.value.code == "legal_cost_must_be_within_your_authority"
    assert "99999.00 CNY" in refused.value.message and "20000.00 CNY" in refused.value.message


def test_a_users_own_authority_lowers_the_roles_never_raises_it() -> None:
    assert limit_minor(Role.LEGAL_COUNSEL, Matter.LEGAL_COST, "CNY", 10_000) == 10_000
    assert limit_minor(Role.LEGAL_COUNSEL, Matter.LEGAL_COST, "CNY", 10**12) == 2_000_000
    assert limit_minor(Role.RISK_ANALYST, Matter.WRITE_OFF, "CNY", 300) == 300
    assert limit_minor(Role.MANAGER, Matter.WAIVER, "CNY", 500) == 500
    with pytest.raises(Forbidden) as refused:
        require_within(Role.MANAGER, Matter.WAIVER, 501, "CNY", own_minor=500)
    assert refused.value.code == "waiver_must_be_within_your_authority"


@given(role=st.sampled_from(list(Role)), matter=st.sampled_from(list(Matter)),
       own=st.none() | st.integers(min_value=0, max_value=10**13),
       amount=st.integers(min_value=0, max_value=10**13))
def test_an_amount_passes_exactly_when_within_both_limits(role: Role, matter: Matter,
                                                          own: int | None, amount: int) -> None:
    limits = [x for x in (limit_minor(role, matter, "CNY"), own) if x is not None]
    allowed = amount == 0 or all(amount <= x for x in limits)
    try:
        require_within(role, matter, amount, "CNY", own_minor=own)
        passed = True
    except Forbidden:
        passed = False
    assert passed is allowed


def test_maker_checker_refuses_the_proposer_however_the_name_is_written() -> None:
    require_other_checker("Li Na", "Zhao Min", what="referral 1")
    for same in ("Li Na", "li  na", " LI NA ", "Ｌｉ Ｎａ"):
        with pytest.raises(Forbidden) as refused:
            require_other_checker("Li Na", same, what="referral 1")
        assert refused.value.code == "approver_must_not_be_the_proposer"


def test_records_name_staff_by_staff_id_and_borrowers_by_their_id() -> None:
    assert person(Principal(1, "wang", Role.COLLECTOR, staff_id="c-01")) == "c-01"
    assert person(Principal(1, "root", Role.ADMIN)) == "root"
    assert person(Principal(1, "borrower-7", Role.BORROWER, borrower_id=7)) == "borrower:7"
