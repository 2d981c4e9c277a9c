"""The route guard over real HTTP requests: for every route the app serves (the
OpenAPI operations and the pages left out of the schema) and every role, plus nobody
signed in, the guard answers as the role × route matrix says. Paths carry valid
parameters, so a refusal is the guard's, not validation's: anonymous → 401 on every
route that needs a user, a role the matrix does not list → 403, a listed role is never
refused by the guard (the route may still say 404, or refuse the object)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.context import Dunwell
from dunwell.app.lending.book import open_book
from dunwell.identity.matrix import MATRIX, PUBLIC, SIGNED, Open, rule_for
from dunwell.identity.model import Role

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.sqlite_only(reason=(
    "the guard decides from the role x route matrix before a route reads the database; tokens and"
    " sessions are tested on both in the identity service tests"))

#: A valid value for each path parameter the routes declare.
SAMPLE = {"application_id": "1", "merchant_id": "m-1", "consumer_id": "c-1", "line_id": "1",
          "drawdown_id": "1", "loan_id": "1", "payment_id": "1", "code": "ABCD-EFGH-JKMN-PQRS",
          "topic": "budgeting", "case_id": "C-1", "offer_id": "1", "provider": "local",
          "referral_id": "1", "visit_id": "1", "plan_date": "2025-01-15", "staff_id": "c-01",
          "course_id": "COM-101", "path": "swagger-ui.css", "table": "overdue",
          "complaint_id": "1"}
#: The codes only the guard answers with.
GUARD_401 = {"credentials_must_be_valid"}
GUARD_403 = {"role_must_be_allowed", "route_must_be_in_matrix"}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def served_routes(api: FastAPI) -> list[tuple[str, str]]:
    """(method, template) of every route: the OpenAPI document's operations and every
    route of ``api.routes`` (pages outside the schema, the docs, their assets)."""
    found = {(m.upper(), path) for path, item in api.openapi()["paths"].items()
             for m in item}
    for route in iter_route_contexts(api.routes):
        template = route.path_format
        if isinstance(route.original_route, Mount):
            found.add(("GET", template))
            continue
        found |= {(m, template) for m in (route.methods or ()) if m != "HEAD"}
    return sorted(found)


def filled(template: str) -> str:
    return PARAM.sub(lambda m: SAMPLE[m.group(1)], template)


@pytest.fixture
def api(app: Dunwell) -> Iterator[tuple[TestClient, dict[Role, dict[str, str]]]]:
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=2, currency="CNY")
        uow.commit()
    headers = {role: token_headers(app, role, borrower_id=1 if role is Role.BORROWER else None,
                                   staff_id=None if role is Role.BORROWER else "c-01")
               for role in Role}
    # every route × every role from one client address: the abuse limits (tested on
    # their own in tests/api/test_rate_limits.py) must not answer for the matrix here
    unlimited = dataclasses.replace(app, settings=app.settings.model_copy(update={
        "portal_requests_per_minute": 100_000, "sign_in_attempts_per_minute": 10_000,
        "letter_checks_per_minute": 100_000, "otp_requests_per_hour": 10_000}))
    with TestClient(create_app(dunwell=unlimited), raise_server_exceptions=False) as client:
        yield client, headers


def refusal(r: Any) -> str | None:
    """The guard's code when the guard refused the request, else None."""
    if r.status_code not in (401, 403):
        return None
    try:
        code = r.json().get("error")
    except ValueError:  # a page's own 401 (the sign-in page)
        return "credentials_must_be_valid" if r.status_code == 401 else None
    return code if code in GUARD_401 | GUARD_403 else None


def test_every_served_route_has_a_matrix_entry(app: Dunwell) -> None:
    missing = [key for key in served_routes(create_app(dunwell=app)) if key not in MATRIX]
    assert missing == [], f"add these routes to dunwell.identity.matrix.MATRIX: {missing}"


def test_the_matrix_names_no_route_the_app_does_not_serve(app: Dunwell) -> None:
    served = set(served_routes(create_app(dunwell=app)))
    assert [key for key in MATRIX if key not in served] == []


def test_every_route_answers_every_role_as_the_matrix_says(
        app: Dunwell, api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, headers = api
    wrong = []
    for method, template in served_routes(client.app):  # type: ignore[arg-type]
        rule = rule_for(method, template)
        path = filled(template)
        callers: list[tuple[str, dict[str, str]]] = [("anonymous", {})]
        callers += [(role.value, headers[role]) for role in Role]
        for who, sent in callers:
            r = client.request(method, path, headers=sent, json={})
            got = refusal(r)
            if isinstance(rule, Open):
                expected = None
            elif who == "anonymous":
                expected = "credentials_must_be_valid"
            else:
                assert rule is not None
                expected = None if Role(who) in rule else "role_must_be_allowed"
            if got != expected:
                wrong.append((method, template, who, r.status_code, r.text[:120]))
    assert wrong == []


def test_anonymous_is_401_before_the_body_is_read(
        api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, headers = api
    for raw in (b"{bad", b"\xff\xfe", b""):
        r = client.post("/v1/loans/1/payments", content=raw,
                        headers={"Content-Type": "application/json"})
        assert (r.status_code, r.json()["error"]) == (401, "credentials_must_be_valid")
        assert r.headers["www-authenticate"] == "Bearer"
    r = client.post("/v1/payments/1/reversal", content=b"{bad",
                    headers={**headers[Role.COLLECTOR], "Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (403, "role_must_be_allowed")
    r = client.get("/v1/loans/99999999999999999999999", headers=headers[Role.RISK_ANALYST])
    assert r.status_code == 403  # the role is refused before the id is validated


def test_a_route_missing_from_the_matrix_is_refused_to_everyone(app: Dunwell) -> None:
    api = create_app(dunwell=app)

    @api.get("/v1/unlisted")
    async def unlisted() -> dict[str, str]:
        return {"seen": "yes"}

    manager = token_headers(app, Role.MANAGER)
    with TestClient(api) as client:
        for sent in ({}, manager):
            r = client.get("/v1/unlisted", headers=sent)
            assert (r.status_code, r.json()["error"]) == (403, "route_must_be_in_matrix")


def test_credentials_that_do_not_work_are_refused_with_their_reason(
        api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, _ = api
    for sent, code in (({"Authorization": "Basic bWU6eW91"}, "token_must_be_valid"),
                       ({"Authorization": "Bearer nonsense"}, "token_must_be_valid"),
                       ({"Authorization": "Bearer dw_77_" + "A" * 43}, "token_must_be_valid"),
                       ({"Cookie": "dunwell_session=forged"}, "session_must_be_valid")):
        r = client.get("/v1/me", headers=sent)
        assert (r.status_code, r.json()["error"]) == (401, code), sent
    # on an open route bad credentials are ignored, not refused
    assert client.get("/openapi.json", headers={"Authorization": "Bearer nonsense"}
                      ).status_code == 200


def test_unknown_paths_and_methods_keep_their_404_and_405(
        api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, _ = api
    assert client.get("/v1/nowhere").status_code == 404
    assert client.delete("/v1/loans/1").status_code == 405


def test_a_page_asks_a_person_to_sign_in(
        api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, headers = api
    page = client.get("/portal/hardship", headers={"Accept": "text/html"})
    assert page.status_code == 401 and 'href="/portal/sign-in?next=/portal/hardship"' in page.text
    staff = client.get("/portal/hardship", headers=headers[Role.COLLECTOR])
    assert (staff.status_code, staff.json()["error"]) == (403, "role_must_be_allowed")


def test_the_openapi_document_says_who_may_call_each_operation(
        api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, _ = api
    doc = client.get("/openapi.json").json()
    assert set(doc["components"]["securitySchemes"]) >= {"token", "session"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            rule = rule_for(method, path)
            if rule is PUBLIC or rule is SIGNED:
                assert op["security"] == [], (method, path)
                continue
            assert isinstance(rule, frozenset)
            assert op["x-roles"] == sorted(r.value for r in rule), (method, path)
            assert {"401", "403"} <= set(op["responses"]), (method, path)
