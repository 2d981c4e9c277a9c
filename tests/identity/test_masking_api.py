"""Masking in responses by role: an applicant's name in full for the manager who runs
origination, masked for risk and compliance."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.lending.book import open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.lending.products import builtin_product_texts

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


def application() -> dict[str, Any]:
    return {"applicant": {"kind": "merchant", "reference": "m-zs", "name": "Zhang San",
                          "language": "en"},
            "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
            "purpose": "working_capital", "monthly_expenses": "30000.00",
            "existing_debt_payments": "0.00",
            "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00", "kind": "sale"}
                             for m in range(1, 13)]}


def test_an_applicants_name_is_masked_for_risk_and_compliance(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    manager = token_headers(app, "manager", staff_id="m-1")
    with TestClient(create_app(dunwell=app)) as client:
        made = client.post("/v1/applications", json=application(),
                           headers={**manager, "Idempotency-Key": "a-1"})
        assert made.status_code == 201, made.text
        aid = made.json()["application_id"]
        names = {role: client.get(f"/v1/applications/{aid}",
                                  headers=token_headers(app, role)).json()["applicant"]["name"]
                 for role in ("manager", "risk_analyst", "compliance_officer")}
    assert names == {"manager": "Zhang San", "risk_analyst": "Z** S**",
                     "compliance_officer": "Z** S**"}
