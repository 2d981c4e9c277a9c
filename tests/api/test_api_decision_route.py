"""``POST /v1/applications`` reads the usual request straight from the body's bytes
(``DecisionRoute``); every request is answered as FastAPI's own path answers it. Each
case is sent through the direct path, then again with it turned off: an error must be
the same error, and a decision made one way must be a replay the other way (the same
fingerprint, so the same application) with the same body."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from dunwell.api import routes

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

JSON = "application/json"


def body(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "applicant": {"kind": "merchant", "reference": "m-route", "name": "Noodle House"},
        "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
        "purpose": "working_capital", "monthly_expenses": "30000.00",
        "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00", "kind": "sale"}
                         for m in range(1, 13)]}
    out.update(changes)
    return out


def raw(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


GOOD = raw(body())
CASES: dict[str, tuple[bytes, dict[str, str]]] = {
    "valid": (GOOD, {"content-type": JSON, "idempotency-key": "k-1"}),
    "valid with charset": (GOOD, {"content-type": "application/json; charset=utf-8",
                                  "idempotency-key": "k-1"}),
    "valid, key in the body": (raw(body(idempotency_key="k-2")), {"content-type": JSON}),
    "keys differ": (raw(body(idempotency_key="k-2")),
                    {"content-type": JSON, "idempotency-key": "k-3"}),
    "no key": (GOOD, {"content-type": JSON}),
    "empty key header": (raw(body(idempotency_key="k-4")),
                         {"content-type": JSON, "idempotency-key": ""}),
    "key header too long": (raw(body(term_months="12")),
                            {"content-type": JSON, "idempotency-key": "k" * 129}),
    "not JSON": (b'{"applicant": ', {"content-type": JSON, "idempotency-key": "k-5"}),
    "NaN": (GOOD[:-1] + b', "extra": NaN}', {"content-type": JSON, "idempotency-key": "k-6"}),
    "empty body": (b"", {"content-type": JSON, "idempotency-key": "k-7"}),
    "a string for a number": (raw(body(term_months="12")),
                              {"content-type": JSON, "idempotency-key": "k-8"}),
    "a field not taken": (raw(body(role="admin")), {"content-type": JSON,
                                                    "idempotency-key": "k-9"}),
    "no content type": (GOOD, {"idempotency-key": "k-10"}),
    "text/plain": (GOOD, {"content-type": "text/plain", "idempotency-key": "k-11"}),
    "UTF-16": (json.dumps(body()).encode("utf-16"), {"content-type": JSON,
                                                     "idempotency-key": "k-12"}),
    "not a calendar date": (raw(body(transactions=[
        {"date": "2024-02-30", "amount": "1.00", "kind": "sale"}])),
        {"content-type": JSON, "idempotency-key": "k-13"}),
    "too many decimals": (raw(body(requested_amount="50000.001")),
                          {"content-type": JSON, "idempotency-key": "k-14"}),
    "a key given twice": (GOOD[:-1] + b', "term_months": 3}',
                          {"content-type": JSON, "idempotency-key": "k-15"}),
    "a lone surrogate": (GOOD.replace(b"Noodle House", b"Noodle \\ud800"),
                         {"content-type": JSON, "idempotency-key": "k-16"}),
    "digits of another script": (raw(body(requested_amount="\u0665\u0660\u0660\u0660.00")),
                                 {"content-type": JSON, "idempotency-key": "k-17"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_direct_path_answers_as_fastapis(client: TestClient, case: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    data, headers = CASES[case]
    direct = client.post("/v1/applications", content=data, headers=headers)
    monkeypatch.setattr(routes, "_JSON_TYPES", frozenset())  # FastAPI's path only
    general = client.post("/v1/applications", content=data, headers=headers)
    if direct.status_code == 201:
        assert general.status_code == 200, general.text
        assert general.headers["idempotent-replayed"] == "true"
    else:
        assert general.status_code == direct.status_code
    assert general.json() == direct.json()
    assert general.headers["content-type"] == direct.headers["content-type"]


def test_a_decision_through_fastapis_path_is_replayed_by_the_direct_one(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = {"content-type": JSON, "idempotency-key": "k-back"}
    monkeypatch.setattr(routes, "_JSON_TYPES", frozenset())
    general = client.post("/v1/applications", content=GOOD, headers=headers)
    monkeypatch.undo()
    direct = client.post("/v1/applications", content=GOOD, headers=headers)
    assert (general.status_code, direct.status_code) == (201, 200)
    assert direct.json() == general.json()
