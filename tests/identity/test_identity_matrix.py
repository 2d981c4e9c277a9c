"""The role × route matrix as data: default deny, open rules, and the least-privilege
facts a lender would check first."""

from __future__ import annotations

import pytest

from dunwell.identity.matrix import (
    MATRIX,
    PUBLIC,
    SIGNED,
    Decision,
    Open,
    allowed_roles,
    decide,
    rule_for,
)
from dunwell.identity.model import STAFF_ROLES, Principal, Role


def who(role: Role) -> Principal:
    return Principal(user_id=1, name="someone", role=role,
                     borrower_id=7 if role is Role.BORROWER else None)


@pytest.mark.parametrize(("rule", "principal", "decision"), [
    (PUBLIC, None, Decision.ALLOW),
    (PUBLIC, who(Role.BORROWER), Decision.ALLOW),
    (SIGNED, None, Decision.ALLOW),
    (frozenset({Role.MANAGER}), None, Decision.SIGN_IN),
    (frozenset({Role.MANAGER}), who(Role.MANAGER), Decision.ALLOW),
    (frozenset({Role.MANAGER}), who(Role.ADMIN), Decision.DENY),
    (frozenset(), who(Role.ADMIN), Decision.DENY),
    (None, None, Decision.DENY),  # not in the matrix: refused to everyone, 403 not 401
    (None, who(Role.ADMIN), Decision.DENY),
])
def test_decide_worked_examples(rule: frozenset[Role] | Open | None,
                                principal: Principal | None, decision: Decision) -> None:
    assert decide(rule, principal) is decision


def test_head_is_looked_up_as_get_and_an_unknown_route_has_no_rule() -> None:
    assert rule_for("HEAD", "/openapi.json") is PUBLIC
    assert rule_for("get", "/v1/loans/{loan_id}") == MATRIX[("GET", "/v1/loans/{loan_id}")]
    assert rule_for("DELETE", "/v1/loans/{loan_id}") is None
    assert rule_for("GET", "/v1/loans/7") is None  # templates, never filled-in paths


def test_every_rule_is_open_or_a_non_empty_set_of_roles() -> None:
    for key, rule in MATRIX.items():
        method, template = key
        assert method in {"GET", "POST", "PUT", "PATCH", "DELETE"}, key
        assert template.startswith("/"), key
        assert isinstance(rule, Open) or (rule and rule <= frozenset(Role)), key


def test_only_documentation_letter_checks_education_and_sign_in_are_public() -> None:
    public = sorted(t for (_, t), rule in MATRIX.items() if rule is PUBLIC)
    for template in public:
        assert (template in {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
                             "/v1/sessions", "/v1/portal/codes", "/v1/portal/sessions",
                             "/portal/sign-in", "/", "/sign-in"}
                or template.startswith(("/static/docs/", "/static/web/", "/static/charts/",
                                        "/letters/verify",
                                        "/v1/letters/verify/", "/portal/learn"))), template


def test_only_provider_callbacks_are_signed() -> None:
    assert {t for (_, t), rule in MATRIX.items() if rule is SIGNED} == {
        "/v1/channels/inbound", "/v1/channels/{provider}/status"}


def test_least_privilege_where_money_moves() -> None:
    assert allowed_roles(rule_for("POST", "/v1/payments/{payment_id}/reversal")) == {
        Role.MANAGER}
    assert Role.COLLECTOR not in allowed_roles(rule_for("POST", "/v1/loans/{loan_id}/payments"))
    assert allowed_roles(rule_for("POST", "/v1/legal/referrals/{referral_id}/events")) == {
        Role.LEGAL_COUNSEL}
    approvers = allowed_roles(rule_for("POST", "/v1/legal/referrals/{referral_id}/approve"))
    proposers = allowed_roles(rule_for("POST", "/v1/legal/referrals"))
    assert Role.LEGAL_COUNSEL in approvers and Role.LEGAL_COUNSEL not in proposers


def test_a_borrower_reaches_only_their_own_kinds_of_things() -> None:
    borrower_routes = {t for (_, t), rule in MATRIX.items()
                       if not isinstance(rule, Open) and Role.BORROWER in rule}
    assert all(t.startswith(("/v1/loans", "/v1/payments/", "/v1/credit-lines/",
                             "/v1/drawdowns/", "/v1/hardship", "/v1/cases/", "/v1/offers/",
                             "/portal", "/v1/me", "/v1/sessions", "/sign-out"))
               for t in borrower_routes), borrower_routes
    assert Role.BORROWER not in allowed_roles(rule_for("POST", "/v1/offers/{offer_id}/approve"))


def test_the_administrator_sees_no_borrower_data() -> None:
    for (method, template), rule in MATRIX.items():
        if isinstance(rule, Open) or Role.ADMIN not in rule:
            continue
        assert template.startswith(("/v1/training/", "/v1/me", "/v1/sessions",
                                    "/sign-out")), (
            method, template)


def test_the_portal_pages_are_for_borrowers_and_training_for_staff() -> None:
    assert rule_for("GET", "/portal/hardship") == frozenset({Role.BORROWER})
    assert rule_for("POST", "/v1/training/staff/{staff_id}/enrolments") == STAFF_ROLES
