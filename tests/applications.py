"""The merchant application the API tests send: ``merchant_application(reference)`` is
the documented body of ``POST /v1/applications`` for a noodle house with a year of
sales of 60,000.00 a month and 30,000.00 of expenses (approved at grade A), with
``changes`` over it.

    client.post("/v1/applications", json=merchant_application("m-1", term_months=6))
"""

from __future__ import annotations

from typing import Any


def merchant_application(reference: str, **changes: Any) -> dict[str, Any]:
    """The body of a merchant's application under ``reference``, ``changes`` applied."""
    body: dict[str, Any] = {
        "applicant": {"kind": "merchant", "reference": reference, "name": "Noodle House"},
        "currency": "CNY", "requested_amount": "50000.00", "term_months": 12,
        "purpose": "working_capital", "monthly_expenses": "30000.00",
        "transactions": [{"date": f"2024-{m:02d}-10", "amount": "60000.00", "kind": "sale"}
                         for m in range(1, 13)]}
    body.update(changes)
    return body
