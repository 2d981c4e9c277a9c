"""Origination commands through the unit of work, on every backend: idempotent
applications, merchants' records, and the credit model's wiring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dunwell.app.lending.book import open_book, register_product
from dunwell.app.origination.service import (
    KEY_CONFLICT,
    CreditModelNotAvailable,
    RiskModelAdapter,
    Status,
    load_credit_model,
    origination_for,
    register_merchant,
    submit_application,
)
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import Conflict, DomainError, InvalidInput, NotFound
from dunwell.lending.products import builtin_product_texts
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Effect,
    Outcome,
    Purpose,
    Transaction,
    TransactionKind,
)
from dunwell.origination.scorecard import builtin_scorecard
from dunwell.store import origination_tables as o

START = dt.date(2025, 1, 15)
SCORECARD = builtin_scorecard()


def open_book_with_products(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()


def sales(months: int = 12, monthly_minor: int = 6_000_000) -> tuple[Transaction, ...]:
    return tuple(Transaction(dt.date(2024, 12 - months + k + 1, 10), monthly_minor,
                             TransactionKind.SALE) for k in range(months))


NOODLES = Applicant(ApplicantKind.MERCHANT, "m-noodles", "Noodle House")


def application(requested_minor: int = 5_000_000, records: Sequence[Transaction] = sales(),
                applicant: Applicant = NOODLES) -> Application:
    return Application(applicant, "CNY", requested_minor, 12, Purpose.WORKING_CAPITAL, 0,
                       3_000_000, 0, tuple(records))


def submit(app: Dunwell, a: Application, key: str) -> Any:
    with app.uow() as uow:
        result = submit_application(uow, application=a, idempotency_key=key, model=SCORECARD)
        uow.commit()
    return result


def count(app: Dunwell, table: sa.Table) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_an_approval_is_stored_with_its_decision_and_opens_a_credit_line(app: Dunwell) -> None:
    open_book_with_products(app)
    result = submit(app, application(), "app-1")
    assert result.status is Status.CREATED
    d = result.application.decision
    assert (d.outcome, d.grade, d.approved_minor) == (Outcome.APPROVE, "A", 5_000_000)
    assert result.line is not None and result.line.limit_minor == d.limit_minor
    assert result.line.borrower_id == 1_000_000_000 + result.application.applicant_id
    assert count(app, o.merchant_months) == 12


def test_the_same_key_and_data_replays_the_first_decision(app: Dunwell) -> None:
    open_book_with_products(app)
    first = submit(app, application(), "app-1")
    again = submit(app, application(), "app-1")
    assert again.status is Status.REPLAYED
    assert again.application == first.application
    assert again.line == first.line
    assert (count(app, o.applications), count(app, o.credit_lines)) == (1, 1)


def test_the_same_key_with_different_data_is_a_named_rejection(app: Dunwell) -> None:
    open_book_with_products(app)
    submit(app, application(), "app-1")
    with pytest.raises(Conflict) as caught:
        submit(app, application(requested_minor=5_000_100), "app-1")
    assert caught.value.code == KEY_CONFLICT
    assert count(app, o.applications) == 1


def test_a_merchant_known_from_its_records_can_apply_without_sending_them(
        app: Dunwell) -> None:
    open_book_with_products(app)
    with app.uow() as uow:
        _, features = register_merchant(uow, applicant=NOODLES, transactions=sales())
        uow.commit()
    assert (features.months_active, features.monthly_turnover_minor) == (12, 6_000_000)
    result = submit(app, application(records=()), "app-2")
    assert result.application.decision.outcome is Outcome.APPROVE


def test_records_sent_again_replace_their_months_and_keep_the_others(app: Dunwell) -> None:
    open_book_with_products(app)
    with app.uow() as uow:
        register_merchant(uow, applicant=NOODLES, transactions=sales())
        _, features = register_merchant(uow, applicant=NOODLES, transactions=sales(
            months=1, monthly_minor=7_200_000))
        uow.commit()
    # eleven months of 60,000.00 and a December of 72,000.00
    assert features.monthly_turnover_minor == 6_100_000
    assert count(app, o.merchant_months) == 12


def test_an_unknown_merchant_without_records_is_not_found(app: Dunwell) -> None:
    open_book_with_products(app)
    stranger = Applicant(ApplicantKind.MERCHANT, "m-unknown", "Stranger")
    with pytest.raises(NotFound) as caught:
        submit(app, application(records=(), applicant=stranger), "app-3")
    assert caught.value.code == "merchant_must_exist"
    assert caught.value.details["field"] == "applicant.reference"


def test_an_application_in_another_currency_than_the_book_is_refused(app: Dunwell) -> None:
    open_book_with_products(app)
    usd = Application(NOODLES, "USD", 100_000, 12, Purpose.OTHER, 0, 0, 0, sales())
    with pytest.raises(InvalidInput) as caught:
        submit(app, usd, "app-4")
    assert caught.value.details["field"] == "currency"


def test_nothing_is_decided_before_the_book_is_open(app: Dunwell) -> None:
    with pytest.raises(DomainError) as caught:
        submit(app, application(), "app-5")
    assert caught.value.code == "book_must_be_open"


def test_without_a_model_directory_the_scorecard_decides() -> None:
    assert load_credit_model(None).name == "builtin-scorecard-1"


def test_a_model_directory_that_does_not_load_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(CreditModelNotAvailable):
        load_credit_model(tmp_path / "no-such-model")


class FakeRiskModel:
    """What dunwell.risk's models offer: score_rows and explain."""

    version = "v7"

    def score_rows(self, rows: Sequence[Mapping[str, object]]) -> list[float]:
        return [0.03 for _ in rows]

    def explain(self, row: Mapping[str, object], *, top: int = 3, lang: str = "en") -> list[Any]:
        class Why:
            feature = "refund_rate_bps"
            contribution = 0.4
            phrase = "退款偏多" if lang == "zh-CN" else "Many refunds"
        return [Why()]


def test_a_trained_model_is_adapted_to_the_port_with_its_own_words() -> None:
    model = RiskModelAdapter(FakeRiskModel(), "risk:v7")
    probability, reasons = model.score({"kind": "merchant"})
    assert probability == 0.03
    assert reasons[0].code == "model.refund_rate_bps"
    assert reasons[0].effect is Effect.HURTS
    assert reasons[0].text_in("zh-CN") == "退款偏多"
    assert reasons[0].text_in("en") == "Many refunds"


def test_a_configured_model_directory_is_loaded_at_start_or_the_start_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNWELL_CREDIT_MODEL_DIR", str(tmp_path / "missing"))
    with pytest.raises(CreditModelNotAvailable) as caught:
        origination_for(None)
    assert str(tmp_path / "missing") in str(caught.value)
    monkeypatch.delenv("DUNWELL_CREDIT_MODEL_DIR")
    assert origination_for(None).model.name == "builtin-scorecard-1"
