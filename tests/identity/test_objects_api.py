"""The object rules over HTTP, on the loans: nobody signed in reads any loan; a
borrower reads their own and hears of anyone else's exactly what a missing loan
says; a collector reads the loans of cases assigned to them; a loan's borrower's
contact details are in full for the borrower themself (the read kept in the audit
log) and masked for the staff working the case."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterator

import pytest

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.channels.outbox import set_channel_address
from dunwell.app.field.visits import set_address
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.collections.model import CaseStatus, CaseView
from dunwell.compliance.model import Jurisdiction
from dunwell.lending.products import builtin_product_texts
from dunwell.store.collections_repo import BorrowerRepository, CaseRepository

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DAY = dt.date(2025, 1, 15)
NOW = dt.datetime(2025, 1, 15, 2, 0, tzinfo=dt.UTC)
PHONE, EMAIL = "+8613812345678", "zhang.wei@example.com"


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    """Loan 1 is borrower 1's (张伟, case owned by collector c-01), loan 2 borrower 2's
    (Alice Brown, case owned by c-02)."""
    with app.uow() as uow:
        open_book(uow, business_date=DAY, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000, 12) for b in (1, 2)])
        people = BorrowerRepository(uow.conn)
        cases = CaseRepository(uow.conn)
        for b, name, owner in ((1, "张伟", "c-01"), (2, "Alice Brown", "c-02")):
            people.put(borrower_id=b, name=name, jurisdiction=Jurisdiction.CN_NIFA,
                       timezone="Asia/Shanghai", language="zh-CN")
            cases.save(CaseView(case_id=f"case-{b}", borrower_id=str(b),
                                status=CaseStatus.OPEN, loans=(), opened_on=DAY), DAY)
            cases.set_owner(f"case-{b}", owner)
        uow.commit()
    set_channel_address(app, borrower_id=1, channel="sms", address=PHONE)
    set_channel_address(app, borrower_id=1, channel="email", address=EMAIL)
    set_address(app, borrower_id=1, text="成都市武侯区人民南路四段12号3栋201室",
                latitude=30.612345, longitude=104.067891, now=NOW)
    with TestClient(create_app(dunwell=app)) as test_client:
        yield test_client


def test_nobody_signed_in_reads_any_loan(client: TestClient) -> None:
    for loan_id in (1, 2, 450):
        r = client.get(f"/v1/loans/{loan_id}")
        assert (r.status_code, r.json()["error"]) == (401, "credentials_must_be_valid")


def test_borrower_a_cannot_read_borrower_bs_loan(client: TestClient, app: Dunwell) -> None:
    a = token_headers(app, "borrower", borrower_id=1)
    assert client.get("/v1/loans/1", headers=a).json()["borrower_id"] == 1
    theirs = client.get("/v1/loans/2", headers=a)
    missing = client.get("/v1/loans/450", headers=a)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["error"] == missing.json()["error"] == "loan_must_exist"
    assert theirs.json()["message"] == missing.json()["message"].replace("450", "2")
    pay = client.post("/v1/loans/2/payments", headers={**a, "Idempotency-Key": "k-1"},
                      json={"amount": "10.00", "currency": "CNY"})
    assert (pay.status_code, pay.json()["error"]) == (404, "loan_must_exist")
    assert client.get("/v1/loans/2/borrower", headers=a).status_code == 404


def test_a_collector_reads_only_the_loans_of_cases_assigned_to_them(
        client: TestClient, app: Dunwell) -> None:
    mine = token_headers(app, "collector", staff_id="c-01")
    assert client.get("/v1/loans/1", headers=mine).status_code == 200
    other = client.get("/v1/loans/2", headers=mine)
    assert (other.status_code, other.json()["error"]) == (403, "loan_must_be_assigned_to_you")
    assert client.get("/v1/loans/450", headers=mine).status_code == 404  # staff may know
    manager = token_headers(app, "manager", staff_id="m-1")
    assert client.get("/v1/loans/2", headers=manager).status_code == 200


def personal_reads(app: Dunwell) -> list[dict[str, object]]:
    with app.uow() as uow:
        return [json.loads(r.payload_json) for r in uow.audit.records()
                if r.kind == "personal_data_read"]


def test_contact_details_are_masked_for_the_collector_and_whole_for_the_borrower(
        client: TestClient, app: Dunwell) -> None:
    collector = client.get("/v1/loans/1/borrower",
                           headers=token_headers(app, "collector", staff_id="c-01")).json()
    assert collector == {
        "loan_id": 1, "borrower_id": 1, "name": "张*", "phone": "+86 138****5678",
        "email": "z***@example.com", "address": "成都市武侯区", "latitude": 30.61,
        "longitude": 104.07, "masked": True}
    assert personal_reads(app) == []
    own = client.get("/v1/loans/1/borrower",
                     headers=token_headers(app, "borrower", borrower_id=1)).json()
    assert (own["name"], own["phone"], own["email"], own["masked"]) == (
        "张伟", PHONE, EMAIL, False)
    assert own["address"] == "成都市武侯区人民南路四段12号3栋201室"
    [read] = personal_reads(app)
    assert (read["what"], read["by"], read["role"], read["whose"]) == (
        "contact_details", "borrower:1", "borrower", ["borrower:1"])
