"""The object rules as worked examples: who reaches which loan, case, visit and
contact details, and how a refusal reads (a borrower never learns what exists)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.core.errors import Forbidden, NotFound
from dunwell.identity.model import Principal, Role
from dunwell.identity.objects import (
    KIND_OF,
    REACH,
    Holding,
    Kind,
    Reach,
    Thing,
    reaches,
    require_reach,
    sees_all_visits,
    sees_contact_in_full,
)

BORROWER_7 = Principal(1, "borrower-7", Role.BORROWER, borrower_id=7)
COLLECTOR_C1 = Principal(2, "wang", Role.COLLECTOR, staff_id="c-01")
AGENT_A1 = Principal(3, "li", Role.FIELD_AGENT, staff_id="a-1")
LEAD = Principal(4, "zhao", Role.TEAM_LEAD, staff_id="tl-1")
ADMIN = Principal(5, "root", Role.ADMIN)

#: Borrower 7's loan: their case is owned by c-01; agent a-1 visits them today.
LOAN_OF_7 = Holding(Thing.LOAN, 70, 7, frozenset({"c-01"}), frozenset({"a-1"}))
LOAN_OF_8 = Holding(Thing.LOAN, 80, 8, frozenset({"c-02"}), frozenset({"a-2"}))
NO_LOAN = Holding(Thing.LOAN, 99, None)


@pytest.mark.parametrize(("who", "holding", "expected"), [
    (BORROWER_7, LOAN_OF_7, True),
    (BORROWER_7, LOAN_OF_8, False),
    (COLLECTOR_C1, LOAN_OF_7, True),
    (COLLECTOR_C1, LOAN_OF_8, False),
    (AGENT_A1, LOAN_OF_7, True),
    (AGENT_A1, LOAN_OF_8, False),
    (LEAD, LOAN_OF_8, True),
    (ADMIN, LOAN_OF_7, False),
    (LEAD, NO_LOAN, False),
])
def test_who_reaches_a_loan(who: Principal, holding: Holding, expected: bool) -> None:
    assert reaches(who, holding) is expected


def test_a_borrower_asking_for_someone_elses_loan_hears_what_a_missing_loan_says() -> None:
    with pytest.raises(NotFound) as other:
        require_reach(BORROWER_7, LOAN_OF_8)
    with pytest.raises(NotFound) as missing:
        require_reach(BORROWER_7, Holding(Thing.LOAN, 80, None))
    assert (other.value.code, other.value.message) == (missing.value.code,
                                                       missing.value.message)
    assert other.value.code == "loan_must_exist"


def test_staff_are_told_an_existing_object_is_not_theirs() -> None:
    with pytest.raises(Forbidden) as unassigned:
        require_reach(COLLECTOR_C1, LOAN_OF_8)
    assert unassigned.value.code == "loan_must_be_assigned_to_you"
    assert "c-01" in unassigned.value.message
    with pytest.raises(Forbidden) as outside:
        require_reach(ADMIN, LOAN_OF_7)
    assert outside.value.code == "object_must_be_within_your_role"
    with pytest.raises(NotFound):
        require_reach(LEAD, NO_LOAN)


def test_a_visit_is_its_agents_and_the_leads_not_another_agents_nor_a_collectors() -> None:
    visit = Holding(Thing.VISIT, 3, 7, frozenset({"c-01"}), frozenset({"a-1"}))
    assert reaches(AGENT_A1, visit) and reaches(LEAD, visit)
    assert not reaches(Principal(6, "chen", Role.FIELD_AGENT, staff_id="a-2"), visit)
    assert not reaches(COLLECTOR_C1, visit)  # owns the case, but does not visit
    assert sees_all_visits(LEAD) and not sees_all_visits(AGENT_A1)


def test_contact_details_in_full_for_the_borrower_and_the_visiting_agent_only() -> None:
    assert sees_contact_in_full(BORROWER_7, LOAN_OF_7)
    assert sees_contact_in_full(AGENT_A1, LOAN_OF_7)
    assert not sees_contact_in_full(COLLECTOR_C1, LOAN_OF_7)
    assert not sees_contact_in_full(LEAD, LOAN_OF_7)
    assert not sees_contact_in_full(BORROWER_7, LOAN_OF_8)


def test_staff_without_a_staff_id_are_assigned_nothing() -> None:
    nameless = Principal(9, "temp", Role.COLLECTOR)
    assert not reaches(nameless, Holding(Thing.CASE, "x", 7, frozenset({""})))


def test_each_thing_is_refused_with_the_code_a_missing_one_has() -> None:
    for thing, code in ((Thing.PAYMENT, "payment_must_exist"),
                        (Thing.CREDIT_LINE, "credit_line_must_exist"),
                        (Thing.OFFER, "offer_must_exist")):
        with pytest.raises(NotFound) as refused:
            require_reach(BORROWER_7, Holding(thing, 1, 8))
        assert refused.value.code == code
        assert refused.value.message.startswith(thing.value.replace("_", " ") + " 1 ")


def test_every_role_has_a_reach_for_every_kind() -> None:
    assert set(REACH) == set(Role)
    assert all(set(row) == set(Kind) for row in REACH.values())
    assert all(row[k] is not Reach.OWN for r, row in REACH.items() if r is not Role.BORROWER
               for k in Kind)


ids = st.integers(min_value=1, max_value=50)
staff = st.sampled_from(["c-01", "c-02", "a-1", "a-2", "tl-1"])


@given(role=st.sampled_from(list(Role)), thing=st.sampled_from(list(Thing)), owner=ids,
       me=ids, sid=staff, owners=st.frozensets(staff, max_size=3),
       agents=st.frozensets(staff, max_size=3))
def test_the_rules_agree_with_a_plain_restatement(role: Role, thing: Thing, owner: int, me: int,
                                                  sid: str, owners: frozenset[str],
                                                  agents: frozenset[str]) -> None:
    who = Principal(1, "x", role, borrower_id=me if role is Role.BORROWER else None,
                    staff_id=None if role is Role.BORROWER else sid)
    holding = Holding(thing, 1, owner, owners, agents)
    kind = KIND_OF[thing]
    how = REACH[role][kind]
    expected = (how is Reach.ALL
                or (how is Reach.OWN and me == owner)
                or (how is Reach.ASSIGNED and role is Role.FIELD_AGENT and sid in agents)
                or (how is Reach.ASSIGNED and role is Role.COLLECTOR and kind is not Kind.VISIT
                    and sid in owners))
    assert reaches(who, holding) is expected
    if not expected:
        with pytest.raises(NotFound if role is Role.BORROWER else Forbidden):
            require_reach(who, holding)
