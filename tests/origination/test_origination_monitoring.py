"""``dunwell origination monitor`` and ``GET /v1/origination/monitoring``: rates by
vintage and grade, and the application features' population stability."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from access import token_headers
from dunwell.api.app import create_app
from dunwell.bootstrap import bootstrap
from dunwell.cli.main import app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def apply(db: str, tmp_path: Path, key: str, reference: str, expenses: str) -> str:
    body: dict[str, Any] = {
        "idempotency_key": key,
        "applicant": {"kind": "merchant", "reference": reference, "name": reference},
        "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
        "purpose": "working_capital", "monthly_expenses": expenses,
        "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00", "kind": "sale"}
                         for m in range(1, 13)]}
    path = tmp_path / f"{key}.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return invoke("apply", "--json", str(path), "--db", db)


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> str:
    invoke("init", "--date", "2025-01-15", "--partitions", "2", "--db", db_url)
    assert "approve" in apply(db_url, tmp_path, "k1", "m-1", "30000.00")
    assert "decline" in apply(db_url, tmp_path, "k2", "m-2", "70000.00")
    invoke("credit-line", "draw", "1", "20000.00", "--term", "12", "--accept", "--db", db_url)
    invoke("cob", "--until", "2025-04-20", "--db", db_url)  # nothing repaid: delinquent
    assert "approve" in apply(db_url, tmp_path, "k3", "m-3", "20000.00")
    return db_url


@pytest.mark.usefixtures("wide_console")
def test_the_monitor_shows_rates_by_vintage_and_grade_and_psi(db: str) -> None:
    out = invoke("origination", "monitor", "--db", db)
    assert "2025-01" in out and "2025-04" in out
    assert "50.0% (1/2)" in out  # January: one approved of two decided
    assert "100.0% (1/1)" in out  # the loan lent in January went 30+ days late early
    assert "population stability: 1 application(s)" in out
    assert "cash_flow" in out or "monthly" in out


def test_the_api_gives_the_same_rates(db: str) -> None:
    served = bootstrap(db_url=db)
    analyst = token_headers(served, "risk_analyst")
    with TestClient(create_app(dunwell=served), headers=analyst) as client:
        r = client.get("/v1/origination/monitoring")
    assert r.status_code == 200, r.text
    body = r.json()
    january = [c for c in body["cohorts"] if c["vintage"] == "2025-01" and c["grade"] == "all"]
    assert january[0]["approval"] == {"count": 1, "of": 2, "rate": "0.5000"}
    assert january[0]["early_delinquency"]["count"] == 1
    assert body["recent_applications"] == 1
    assert body["population_stability"]
