"""Responsible origination's services on the in-memory unit of work: records imported
all or nothing and once per id, the credit review overriding an approval, the limit
review weighing the early-warning score — the rules, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.app.context import Dunwell
from dunwell.app.lending.book import open_book, register_product
from dunwell.app.origination.records import import_merchant_records
from dunwell.app.origination.service import review_limits, submit_application
from dunwell.lending.products import builtin_product_texts
from dunwell.origination.bureau import BureauReport, reports_from_rows
from dunwell.origination.credit_line import ReviewAction
from dunwell.origination.model import Applicant, ApplicantKind, Application, Outcome, Purpose
from dunwell.origination.scorecard import builtin_scorecard
from fakes.app import fake_app

START = dt.date(2025, 1, 15)
NOODLES = Applicant(ApplicantKind.MERCHANT, "m-noodles", "Noodle House")


@pytest.fixture
def app() -> Dunwell:
    app = fake_app()
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    return app


def rows(months: int = 12) -> list[dict[str, object]]:
    return [{"transaction_id": f"t{m}", "date": f"2024-{m:02d}-10", "amount": "60000.00",
             "currency": "CNY"} for m in range(1, months + 1)]


def imported(app: Dunwell, lines: list[dict[str, object]]) -> int:
    with app.uow() as uow:
        result = import_merchant_records(uow, merchant="m-noodles", rows=lines)
        if not result.rejected:
            uow.commit()
    return result.stored


class OneBureau:
    name = "test"

    def __init__(self, monthly_payment: str) -> None:
        self.rows = [{"reference": "m-noodles", "lender": "Other", "account_id": "A",
                      "status": "open", "currency": "CNY", "monthly_payment": monthly_payment,
                      "outstanding": "1000.00", "opened_on": "2023-01-01"}]

    def report(self, reference: str, *, currency: str, as_of: dt.date) -> BureauReport | None:
        return reports_from_rows(self.rows, currency=currency, source=self.name,
                                 as_of=as_of).get(reference)


def apply(app: Dunwell, key: str, bureau: OneBureau | None = None) -> Outcome:
    application = Application(NOODLES, "CNY", 5_000_000, 12, Purpose.WORKING_CAPITAL, 0,
                              3_000_000, 0)
    with app.uow() as uow:
        result = submit_application(uow, application=application, idempotency_key=key,
                                    model=builtin_scorecard(), bureau=bureau)
        uow.commit()
    return result.application.decision.outcome


def test_an_import_with_a_bad_line_stores_nothing_and_a_good_one_stores_once(
        app: Dunwell) -> None:
    wrong: dict[str, object] = {"transaction_id": "x", "date": "2024-13-01", "amount": "1",
                                "currency": "CNY"}
    bad = [*rows(3), wrong]
    assert imported(app, bad) == 0
    assert imported(app, rows()) == 12
    assert imported(app, rows()) == 0
    assert apply(app, "a-1") is Outcome.APPROVE  # decided on the imported records


def test_debts_the_bureau_reports_turn_an_approval_into_a_decline(app: Dunwell) -> None:
    imported(app, rows())
    assert apply(app, "a-1", OneBureau("15000.00")) is Outcome.DECLINE
    with app.uow() as uow:
        stored = uow.origination.application_by_key("a-1")
    assert stored is not None and stored.credit_line_id is None
    assert stored.decision.reasons[0].code == "debt_service_too_high"


def test_a_high_early_warning_score_lowers_a_line(app: Dunwell) -> None:
    imported(app, rows())
    assert apply(app, "a-1") is Outcome.APPROVE
    state = getattr(app.db, "state")  # noqa: B009 - the fake's dictionary
    state["origination_scores"] = {1: 4000}
    with app.uow() as uow:
        (review,) = review_limits(uow)
        uow.commit()
    assert review.action is ReviewAction.LOWER
    assert "early_warning_high" in {r.code for r in review.reasons}
