"""The whole OpenAPI document, fuzzed: Schemathesis generates requests for every
operation (valid ones, and invalid ones for negative testing) against the
in-process app over a small seeded book (no socket is opened), and checks that no
response is a 5xx, every response (errors included) matches the documented status
codes, content type and schema, and invalid input is rejected. Each operation is
called as a role the role × route matrix lets in (a manager where it may), so the
requests reach the routes rather than the guard. Examples per operation are few so
the whole document runs in well under a minute on SQLite."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from access import token_headers
from applications import merchant_application
from dunwell.api.app import create_app
from dunwell.app.lending.book import open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.identity.matrix import allowed_roles, rule_for
from dunwell.identity.model import Role
from dunwell.lending.products import builtin_product_texts

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

EXAMPLES_PER_OPERATION = 8
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance,
          content_type_conformance, response_schema_conformance, negative_data_rejection]


def seed(http: TestClient) -> None:
    """A merchant approved with a credit line, and one drawdown: a loan to look at."""
    r = http.post("/v1/applications", json=merchant_application("m-1"),
                  headers={"Idempotency-Key": "seed-1"})
    assert r.status_code == 201 and r.json()["credit_line_id"] == 1, r.text
    terms = {"amount": "10000.00", "term_months": 12}
    q = http.post("/v1/credit-lines/1/quotes", json=terms)
    assert q.status_code == 200, q.text
    r = http.post("/v1/credit-lines/1/drawdowns",
                  json={**terms, "accepted_terms": q.json()["fingerprint"]},
                  headers={"Idempotency-Key": "seed-2"})
    assert r.status_code == 201, r.text


@pytest.fixture
def api_schema(app: Dunwell) -> Any:
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    api = create_app(dunwell=app)
    with TestClient(api, headers=token_headers(app, Role.MANAGER)) as http:
        seed(http)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, deterministic=True)
    return schema


@pytest.fixture
def role_headers(app: Dunwell) -> dict[Role, dict[str, str]]:
    """A token's header for each role (the borrower is borrower 1)."""
    return {role: token_headers(app, role, borrower_id=1 if role is Role.BORROWER else None)
            for role in Role}


def headers_for(role_headers: dict[Role, dict[str, str]], op: Any) -> dict[str, str]:
    """A token of a role the matrix lets call ``op`` (a manager's where it may)."""
    allowed = allowed_roles(rule_for(op.method.upper(), op.path))
    if not allowed:
        return {}
    return role_headers[Role.MANAGER if Role.MANAGER in allowed else min(allowed)]


def operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_answers_valid_requests_as_documented(
        api_schema: Any, role_headers: dict[Role, dict[str, str]]) -> None:
    """Valid requests reach the store, so they run on each database."""
    every_operation_answers_as_documented(api_schema, GenerationMode.POSITIVE, role_headers)


@pytest.mark.sqlite_only(reason=(
    "an invalid request is refused by the route's validation, whatever the database; "
    "the valid requests, which the routes carry into the store, run on each"))
def test_every_operation_refuses_invalid_requests_as_documented(
        api_schema: Any, role_headers: dict[Role, dict[str, str]]) -> None:
    every_operation_answers_as_documented(api_schema, GenerationMode.NEGATIVE, role_headers)


def every_operation_answers_as_documented(api_schema: Any, mode: GenerationMode,
                                          role_headers: dict[Role, dict[str, str]]) -> None:
    """For each operation, a few generated requests of ``mode`` (valid, or invalid)."""
    ops = operations(api_schema)
    assert len(ops) >= 15, [op.label for op in ops]
    for op in ops:
        headers = headers_for(role_headers, op)

        @given(case=op.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                  database=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:  # run at once below, while ``headers`` is this op's
            case.call_and_validate(checks=CHECKS, headers=headers)  # noqa: B023

        try:
            call()
        except Unsatisfiable:  # nothing invalid can be made for this operation
            continue
