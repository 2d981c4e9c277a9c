"""Origination's commands on the in-memory unit of work: applications decided once per
key, merchants known by their records, credit lines drawn down within their limit and
reviewed on the borrower's behaviour — the rules, without a database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

import pytest

from dunwell.app.context import Dunwell
from dunwell.app.lending.book import open_book, register_product
from dunwell.app.origination.service import (
    KEY_CONFLICT,
    ApplicationResult,
    DrawdownResult,
    Status,
    application_view,
    draw_down,
    line_view,
    register_merchant,
    review_limits,
    submit_application,
)
from dunwell.core.errors import Conflict, DomainError
from dunwell.lending.model import Bucket, LoanStatus
from dunwell.lending.products import builtin_product_texts
from dunwell.origination.credit_line import LimitReview, LineStatus, ReviewAction
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Outcome,
    Purpose,
    Transaction,
    TransactionKind,
)
from dunwell.origination.scorecard import builtin_scorecard
from fakes.app import fake_app
from fakes.lending import lending_data
from fakes.origination import OriginationData, origination_data

START = dt.date(2025, 1, 15)
SCORECARD = builtin_scorecard()
NOODLES = Applicant(ApplicantKind.MERCHANT, "m-noodles", "Noodle House")


@pytest.fixture
def app() -> Dunwell:
    return fake_app()


def data(app: Dunwell) -> OriginationData:
    return origination_data(getattr(app.db, "state"))  # noqa: B009 - the fake's dictionary


def open_book_with_products(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()


def sales(months: int = 12, monthly_minor: int = 6_000_000) -> tuple[Transaction, ...]:
    return tuple(Transaction(dt.date(2024, 12 - months + k + 1, 10), monthly_minor,
                             TransactionKind.SALE) for k in range(months))


def application(requested_minor: int = 5_000_000, records: Sequence[Transaction] = sales(),
                applicant: Applicant = NOODLES) -> Application:
    return Application(applicant, "CNY", requested_minor, 12, Purpose.WORKING_CAPITAL, 0,
                       3_000_000, 0, tuple(records))


def submit(app: Dunwell, a: Application, key: str) -> ApplicationResult:
    with app.uow() as uow:
        result = submit_application(uow, application=a, idempotency_key=key, model=SCORECARD)
        uow.commit()
    return result


def approved_line(app: Dunwell) -> int:
    """Noodle House: 60,000.00 of sales a month, 30,000.00 expenses: a grade A line of
    90,000.00 (three months of cash flow)."""
    open_book_with_products(app)
    result = submit(app, application(), "app-1")
    assert result.line is not None and result.line.limit_minor == 9_000_000
    return result.line.line_id


def draw(app: Dunwell, line_id: int, amount: str, months: int, key: str) -> DrawdownResult:
    with app.uow() as uow:
        result = draw_down(uow, line_id=line_id, amount=amount, term_months=months,
                           idempotency_key=key)
        uow.commit()
    return result


def review(app: Dunwell) -> list[LimitReview]:
    with app.uow() as uow:
        reviews = review_limits(uow)
        uow.commit()
    return reviews


def fall_behind(app: Dunwell, loan_id: int, *, days_past_due: int, bucket: Bucket) -> None:
    """What COB would leave on the loan (the fakes run no COB)."""
    loans = lending_data(getattr(app.db, "state")).loans  # noqa: B009
    loans[loan_id] = replace(loans[loan_id], status=LoanStatus.OVERDUE,
                             days_past_due=days_past_due, bucket=bucket)


# applications


def test_an_approval_is_stored_with_its_decision_and_opens_a_credit_line(app: Dunwell) -> None:
    open_book_with_products(app)
    result = submit(app, application(), "app-1")
    assert result.status is Status.CREATED
    d = result.application.decision
    assert (d.outcome, d.grade, d.approved_minor) == (Outcome.APPROVE, "A", 5_000_000)
    assert result.line is not None and result.line.limit_minor == d.limit_minor
    assert result.line.borrower_id == 1_000_000_000 + result.application.applicant_id
    assert len(data(app).months[result.application.applicant_id]) == 12
    with app.uow() as uow:
        stored, line = application_view(uow, result.application.application_id)
    assert stored.credit_line_id == result.line.line_id == (line.line_id if line else None)


def test_the_same_key_and_data_replays_the_first_decision(app: Dunwell) -> None:
    open_book_with_products(app)
    first = submit(app, application(), "app-1")
    again = submit(app, application(), "app-1")
    assert again.status is Status.REPLAYED
    assert (again.application.decision, again.line) == (first.application.decision, first.line)
    assert (len(data(app).applications), len(data(app).lines)) == (1, 1)


def test_the_same_key_with_different_data_is_a_named_rejection(app: Dunwell) -> None:
    open_book_with_products(app)
    submit(app, application(), "app-1")
    with pytest.raises(Conflict) as caught:
        submit(app, application(requested_minor=5_000_100), "app-1")
    assert caught.value.code == KEY_CONFLICT
    assert len(data(app).applications) == 1


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
        applicant_id, features = register_merchant(
            uow, applicant=NOODLES, transactions=sales(months=1, monthly_minor=7_200_000))
        uow.commit()
    assert features.monthly_turnover_minor == 6_100_000
    assert len(data(app).months[applicant_id]) == 12


def test_only_a_merchant_has_records(app: Dunwell) -> None:
    open_book_with_products(app)
    person = Applicant(ApplicantKind.CONSUMER, "p-1", "Li Lei")
    with app.uow() as uow, pytest.raises(DomainError) as caught:
        register_merchant(uow, applicant=person, transactions=sales())
    assert caught.value.code == "applicant_must_be_merchant"


def test_an_unknown_merchant_without_records_is_not_found(app: Dunwell) -> None:
    open_book_with_products(app)
    stranger = Applicant(ApplicantKind.MERCHANT, "m-unknown", "Stranger")
    with pytest.raises(DomainError) as caught:
        submit(app, application(records=(), applicant=stranger), "app-3")
    assert caught.value.code == "merchant_must_exist"
    assert data(app).applicants == {}


def test_an_application_in_another_currency_than_the_book_is_refused(app: Dunwell) -> None:
    open_book_with_products(app)
    usd = Application(NOODLES, "USD", 100_000, 12, Purpose.OTHER, 0, 0, 0, sales())
    with pytest.raises(DomainError) as caught:
        submit(app, usd, "app-4")
    assert caught.value.code == "currency_must_match_book"


def test_nothing_is_decided_before_the_book_is_open(app: Dunwell) -> None:
    with pytest.raises(DomainError) as caught:
        submit(app, application(), "app-5")
    assert caught.value.code == "book_must_be_open"


# drawdowns


def test_a_drawdown_books_a_loan_at_the_lines_price(app: Dunwell) -> None:
    line_id = approved_line(app)
    result = draw(app, line_id, "20000.00", 12, "dd-1")
    assert result.status is Status.CREATED
    assert result.loan.product_code == "merchant_annuity_12m-a"
    assert result.loan.principal_minor == 2_000_000
    assert result.available_minor == 7_000_000
    with app.uow() as uow:
        product = uow.products.get("merchant_annuity_12m-a")
        view = line_view(uow, line_id)
    assert product.annual_rate == Decimal("0.108")  # grade A's price, not the base 18 %
    assert (view.exposure.outstanding_minor, view.available_minor) == (2_000_000, 7_000_000)
    assert [d.loan_id for d in view.drawdowns] == [result.loan.loan_id]


def test_a_drawdown_beyond_the_available_limit_is_refused(app: Dunwell) -> None:
    line_id = approved_line(app)
    draw(app, line_id, "60000.00", 12, "dd-1")
    with pytest.raises(Conflict) as caught:
        draw(app, line_id, "30000.01", 12, "dd-2")
    assert caught.value.code == "drawdown_must_fit_available_limit"
    assert caught.value.details["available_minor"] == 3_000_000
    assert len(data(app).drawdowns) == 1


def test_a_drawdown_the_borrower_could_not_repay_is_refused(app: Dunwell) -> None:
    line_id = approved_line(app)
    with pytest.raises(Conflict) as caught:
        draw(app, line_id, "15000.00", 1, "dd-1")
    assert caught.value.code == "drawdown_must_be_affordable"
    assert data(app).drawdowns == {}


def test_a_drawdown_replayed_with_its_key_books_one_loan(app: Dunwell) -> None:
    line_id = approved_line(app)
    first = draw(app, line_id, "10000.00", 3, "dd-1")
    again = draw(app, line_id, "10000.00", 3, "dd-1")
    assert again.status is Status.REPLAYED
    assert again.loan.loan_id == first.loan.loan_id
    assert len(lending_data(getattr(app.db, "state")).loans) == 1  # noqa: B009
    with pytest.raises(Conflict) as caught:
        draw(app, line_id, "10000.00", 12, "dd-1")
    assert caught.value.code == KEY_CONFLICT


def test_a_drawdown_from_an_unknown_line_names_it(app: Dunwell) -> None:
    approved_line(app)
    with pytest.raises(DomainError) as caught:
        draw(app, 404, "100.00", 12, "dd-1")
    assert caught.value.code == "credit_line_must_exist"


# limit reviews


def test_a_loan_behind_lowers_the_limit_once_a_day_and_a_month_late_freezes_it(
        app: Dunwell) -> None:
    line_id = approved_line(app)
    loan_id = draw(app, line_id, "20000.00", 12, "dd-1").loan.loan_id
    fall_behind(app, loan_id, days_past_due=10, bucket=Bucket.M1)
    (lowered,) = review(app)
    assert lowered.action is ReviewAction.LOWER
    assert lowered.limit_after_minor == 6_750_000
    assert review(app) == []  # reviewed today already
    with app.uow() as uow:
        uow.book.advance(START + dt.timedelta(days=1))
        uow.commit()
    fall_behind(app, loan_id, days_past_due=31, bucket=Bucket.M2)
    (frozen,) = review(app)
    assert frozen.action is ReviewAction.FREEZE
    assert data(app).lines[line_id].status is LineStatus.FROZEN
    with pytest.raises(Conflict) as caught:
        draw(app, line_id, "100.00", 12, "dd-2")
    assert caught.value.code == "credit_line_must_be_active"
