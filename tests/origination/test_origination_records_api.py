"""``POST /v1/merchants/{id}/records``: CSV or JSON rows, checked by line and field."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator

import pytest

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.context import Dunwell
from dunwell.app.lending.book import open_book, register_product
from dunwell.lending.products import builtin_product_texts

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CSV = "transaction_id,date,amount,currency,kind\n" + "".join(
    f"t{m},2024-{m:02d}-10,60000.00,CNY,sale\n" for m in range(1, 13))


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    with TestClient(create_app(dunwell=app), headers=token_headers(app, "manager")) as test_client:
        yield test_client


def test_csv_records_are_stored_once_and_summed_up(client: TestClient) -> None:
    r = client.post("/v1/merchants/m-1/records", content=CSV.encode(),
                    headers={"content-type": "text/csv"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["lines"], body["stored"], body["already_stored"]) == (12, 12, 0)
    assert body["summary"]["turnover"] == "720000.00"
    assert body["summary"]["months_active"] == 12
    again = client.post("/v1/merchants/m-1/records", content=CSV.encode(),
                        headers={"content-type": "text/csv"})
    assert (again.status_code, again.json()["stored"], again.json()["already_stored"]) == (
        200, 0, 12)


def test_json_rows_with_a_bad_field_are_422_listing_the_lines(client: TestClient) -> None:
    rows = [{"transaction_id": "a", "date": "2024-12-01", "amount": "10.00",
             "currency": "CNY"},
            {"transaction_id": "b", "date": "2030-01-01", "amount": "-1", "currency": "CNY"}]
    r = client.post("/v1/merchants/m-2/records", json={"name": "Teas", "rows": rows})
    assert r.status_code == 422, r.text
    rejected = r.json()["rejected"]
    assert {(e["line"], e["field"], e["code"]) for e in rejected} == {
        (2, "date", "record_date_must_be_within_range"),
        (2, "amount", "record_amount_must_be_within_limits")}
    assert r.json()["stored"] == 0
    ok = client.post("/v1/merchants/m-2/records", json={"rows": rows[:1]})
    assert (ok.status_code, ok.json()["stored"]) == (201, 1)


def test_a_body_that_is_not_records_is_one_named_error(client: TestClient) -> None:
    r = client.post("/v1/merchants/m-3/records", json={"rows": "nope"})
    assert (r.status_code, r.json()["error"]) == (400, "request_must_be_valid")


def test_records_with_no_line_are_refused(client: TestClient) -> None:
    r = client.post("/v1/merchants/m-4/records", content=b"false",
                    headers={"content-type": "text/csv"})
    assert (r.status_code, r.json()["error"]) == (400, "records_must_be_present")


INCOME_CSV = "record_id,month,amount,currency\n" + "".join(
    f"salary-2024-{m:02d},2024-{m:02d},8200.00,CNY\n" for m in range(1, 13))


def test_a_consumers_income_records_are_stored_once_and_summed_up(client: TestClient) -> None:
    r = client.post("/v1/consumers/c-1/records", content=INCOME_CSV.encode(),
                    headers={"content-type": "text/csv"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["consumer_id"] == "c-1"
    assert (body["lines"], body["stored"], body["already_stored"]) == (12, 12, 0)
    assert body["summary"]["months_active"] == 12
    assert body["summary"]["monthly_turnover"] == "8200.00"
    again = client.post("/v1/consumers/c-1/records", content=INCOME_CSV.encode(),
                        headers={"content-type": "text/csv"})
    assert again.status_code == 200, again.text
    assert (again.json()["stored"], again.json()["already_stored"]) == (0, 12)


def test_an_income_line_with_a_wrong_field_stores_nothing(client: TestClient) -> None:
    rows = [{"record_id": "s1", "month": "2024-11", "amount": "8200.00", "currency": "CNY"},
            {"record_id": "s2", "month": "2024-13", "amount": "8200.00", "currency": "CNY"}]
    r = client.post("/v1/consumers/c-2/records", json={"rows": rows})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["stored"] == 0
    assert [(e["line"], e["field"]) for e in body["rejected"]] == [(2, "month")]
    ok = client.post("/v1/consumers/c-2/records", json={"rows": rows[:1]})
    assert (ok.status_code, ok.json()["stored"]) == (201, 1)
