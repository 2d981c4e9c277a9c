"""Decisions stay the same: a fixed set of applications (merchants with a year of
records, a merchant applying again by reference, consumers with and without income
history, thin files, over-indebted applicants, a few replays) is posted to
``POST /v1/applications`` and each answer, and each stored decision read back in the
other language, must equal the golden file recorded from the code as it decided them.

Regenerate the file only when a decision is meant to change::

    DUNWELL_REGENERATE_GOLDEN=1 .venv/bin/pytest -p no:cacheprovider \
        tests/origination/test_origination_golden.py -k sqlite
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from access import token_headers
from dunwell.api.app import create_app
from dunwell.app.lending.book import open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.lending.products import builtin_product_texts

with warnings.catch_warnings():  # starlette asks for httpx2; httpx serves the tests as well
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "origination_golden.json"
SEED = 20250115
COUNT = 90


@pytest.fixture
def client(app: Dunwell) -> Iterator[TestClient]:
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    with TestClient(create_app(dunwell=app), headers=token_headers(app, "manager")) as test_client:
        yield test_client


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _merchant(i: int, rng: random.Random) -> dict[str, Any]:
    months = rng.choice((12, 12, 18, 24, 6)) if rng.random() > 0.1 else rng.randint(1, 2)
    base = rng.randint(2_000_000, 20_000_000)
    growth = rng.choice((-0.04, -0.01, 0.0, 0.02, 0.05))
    refund = rng.choice((0.005, 0.02, 0.05, 0.15))
    records = []
    for back in range(months, 0, -1):
        first = dt.date(2024, 12, 1)
        m = (first.month - back) % 12 + 1
        y = first.year + (first.month - back - 1) // 12
        level = int(base * (1 + growth) ** (months - back) * (1.3 if m in (10, 11) else 1.0))
        for day in (3, 10, 17, 24):
            records.append(
                {
                    "date": f"{y}-{m:02d}-{day:02d}",
                    "kind": "sale",
                    "amount": _money(level // 4 + rng.randint(-level // 10, level // 10)),
                }
            )
        if rng.random() < 0.7:
            records.append(
                {
                    "date": f"{y}-{m:02d}-15",
                    "kind": "refund",
                    "amount": _money(max(100, int(level * refund))),
                }
            )
    expenses = int(base * rng.uniform(0.3, 0.8))
    debts = int(max(0, base - expenses) * rng.choice((0.0, 0.1, 0.3, 0.6, 1.2)))
    return {
        "applicant": {
            "kind": "merchant",
            "reference": f"m-{i:04d}",
            "name": f"Merchant {i}",
            "language": rng.choice(("en", "zh-CN")),
        },
        "currency": "CNY",
        "requested_amount": _money(rng.randint(5, 4000) * 10_000),
        "term_months": rng.choice((12, 3, 1)),
        "purpose": rng.choice(("working_capital", "inventory", "equipment")),
        "monthly_expenses": _money(expenses),
        "existing_debt_payments": _money(debts),
        "transactions": records,
    }


def _consumer(i: int, rng: random.Random) -> dict[str, Any]:
    income = rng.randint(200_000, 4_000_000)
    months = rng.choice((0, 1, 2, 6, 12, 12))
    wobble = rng.choice((0.0, 0.05, 0.3, 0.8))
    history = [
        _money(max(0, int(income * rng.uniform(1 - wobble, 1 + wobble)))) for _ in range(months)
    ]
    return {
        "applicant": {
            "kind": "consumer",
            "reference": f"c-{i:04d}",
            "name": f"Customer {i}",
            "language": rng.choice(("en", "zh-CN")),
        },
        "currency": "CNY",
        "requested_amount": _money(rng.randint(5, 1500) * 10_000),
        "term_months": rng.choice((6, 1)),
        "purpose": rng.choice(("personal", "education", "medical")),
        "monthly_income": _money(income),
        "monthly_expenses": _money(int(income * rng.uniform(0.2, 1.1))),
        "existing_debt_payments": _money(int(income * rng.choice((0.0, 0.1, 0.3, 0.7)))),
        "income_history": history,
    }


def applications() -> list[tuple[str, dict[str, Any]]]:
    """(idempotency key, body) in the order they are posted: a merchant applies again
    by reference without records, and a few applications are replayed."""
    rng = random.Random(SEED)
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(COUNT):
        body = _merchant(i, rng) if rng.random() < 0.6 else _consumer(i, rng)
        out.append((f"golden-{i}", body))
        if i % 15 == 7 and body["applicant"]["kind"] == "merchant":
            again = {**body, "transactions": [], "requested_amount": "20000.00"}
            out.append((f"golden-{i}-again", again))
        if i % 20 == 3:
            out.append((f"golden-{i}", body))  # a replay
    return out


def decide_all(client: TestClient) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for key, body in applications():
        r = client.post("/v1/applications", json=body, headers={"Idempotency-Key": key})
        entry: dict[str, Any] = {"key": key, "status": r.status_code, "body": r.json()}
        if r.status_code in (200, 201):
            d = r.json()
            other = "en" if d["language"] == "zh-CN" else "zh-CN"
            entry["stored"] = client.get(
                f"/v1/applications/{d['application_id']}", params={"lang": other}
            ).json()
        seen.append(entry)
    return seen


def test_decisions_equal_the_golden_file(client: TestClient) -> None:
    got = decide_all(client)
    if os.environ.get("DUNWELL_REGENERATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", "utf-8")
        pytest.skip("golden file regenerated")
    want = json.loads(GOLDEN.read_text("utf-8"))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w, g["key"]
    outcomes = {w["body"].get("outcome") for w in want}
    assert {"approve", "decline", "refer"} <= outcomes  # the set exercises every outcome
