"""``POST /v1/applications`` reads the usual request straight from the body's bytes
(``DecisionRoute``); every request is answered as FastAPI's own path answers it. Each
case is sent through the direct path, then again with it turned off: an error must be
the same error, and a decision made one way must be a replay the other way (the same
fingerprint, so the same application) with the same body."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applications import merchant_application
from dunwell.api import routes
from dunwell.api.schemas import ApplicationDirect, ApplicationIn

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

JSON = "application/json"
pytestmark = pytest.mark.sqlite_only(reason=(
    "the two readers of one request are compared; what a decision stores and replays is "
    "tested on both databases by the golden, newcomer and fast-front tests"))


def body(**changes: Any) -> dict[str, Any]:
    return merchant_application("m-route", **changes)


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
    "a record with a field not taken": (raw(body(transactions=[
        {"date": "2024-02-10", "amount": "1.00", "kind": "sale", "note": "x"}])),
        {"content-type": JSON, "idempotency-key": "k-18"}),
    "a record before 2000": (raw(body(transactions=[
        {"date": "1999-12-31", "amount": "60000.00", "kind": "sale"}])),
        {"content-type": JSON, "idempotency-key": "k-19"}),
    "a record's date in other digits": (raw(body(transactions=[
        {"date": "\u0662\u0660\u0662\u0664-01-10", "amount": "1.00", "kind": "sale"}])),
        {"content-type": JSON, "idempotency-key": "k-20"}),
    "a record's amount with a trailing zero": (raw(body(transactions=[
        {"date": f"2024-{m:02d}-10", "amount": "60000.000", "kind": "sale"}
        for m in range(1, 13)])), {"content-type": JSON, "idempotency-key": "k-21"}),
    "a record's amount with three decimals": (raw(body(transactions=[
        {"date": "2024-01-10", "amount": "1.001", "kind": "sale"}])),
        {"content-type": JSON, "idempotency-key": "k-22"}),
    "a record's amount beyond the limits": (raw(body(transactions=[
        {"date": "2024-01-10", "amount": "99999999999999.00", "kind": "sale"}])),
        {"content-type": JSON, "idempotency-key": "k-23"}),
    "a refund": (raw(body(transactions=[
        *body()["transactions"], {"date": "2024-12-11", "amount": "10.00", "kind": "refund"}])),
        {"content-type": JSON, "idempotency-key": "k-24"}),
    "a record's kind unknown": (raw(body(transactions=[
        {"date": "2024-01-10", "amount": "1.00", "kind": "gift"}])),
        {"content-type": JSON, "idempotency-key": "k-25"}),
    "a record's date a number": (raw(body(transactions=[
        {"date": 20240110, "amount": "1.00", "kind": "sale"}])),
        {"content-type": JSON, "idempotency-key": "k-26"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_direct_path_answers_as_fastapis(client: TestClient, case: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    data, headers = CASES[case]
    direct = client.post("/v1/applications", content=data, headers=headers)
    monkeypatch.setattr(routes, "JSON_TYPES", frozenset())  # FastAPI's path only
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
    monkeypatch.setattr(routes, "JSON_TYPES", frozenset())
    general = client.post("/v1/applications", content=GOOD, headers=headers)
    monkeypatch.undo()
    direct = client.post("/v1/applications", content=GOOD, headers=headers)
    assert (general.status_code, direct.status_code) == (201, 200)
    assert direct.json() == general.json()


def test_the_direct_reader_has_the_fields_of_applicationin() -> None:
    direct, general = ApplicationDirect.model_fields, ApplicationIn.model_fields
    assert list(direct) == list(general)
    for name, field in general.items():
        if name != "transactions":
            assert repr(direct[name]) == repr(field), name
    assert ApplicationDirect.model_config == ApplicationIn.model_config


dates = st.one_of(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2210, 1, 1))
                  .map(dt.date.isoformat),
                  st.sampled_from(["2024-02-30", "2024-13-01", "2024-1-01", "2024/01/01",
                                   "\u0662\u0660\u0662\u0664-01-10", "20240110", ""]))
amounts = st.one_of(st.decimals(min_value=0, max_value=10**14, places=2).map(str),
                    st.sampled_from(["1.000", "1.001", "0", "1.", ".5", "1e3", "-1.00",
                                     "99999999999999.00", "0001.50"]))
records = st.fixed_dictionaries(
    {"date": dates, "amount": amounts, "kind": st.sampled_from(["sale", "refund", "gift"])},
    optional={"note": st.just("x")})


@settings(deadline=None, max_examples=300)
@given(st.lists(records, max_size=6), st.sampled_from(["CNY", "JPY", "KWD", "XXX"]))
def test_the_direct_reader_takes_a_subset_into_the_same_application(
        transactions: list[dict[str, Any]], currency: str) -> None:
    data = raw(body(transactions=transactions, currency=currency))
    try:
        direct = ApplicationDirect.model_validate_json(data).to_domain()
    except Exception:  # read as ApplicationIn instead: nothing to compare
        return
    assert ApplicationIn.model_validate_json(data).to_domain() == direct
