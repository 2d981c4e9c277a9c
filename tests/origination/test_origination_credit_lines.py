"""Credit lines: drawdowns become loans on the ledger, never beyond the available
limit; limit reviews follow the borrower's behaviour."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dunwell.app.cob import close_until
from dunwell.app.lending.book import open_book, register_product
from dunwell.app.lending.payments import receive_payment
from dunwell.app.origination.service import (
    KEY_CONFLICT,
    DrawdownResult,
    Status,
    draw_down,
    line_view,
    review_limits,
    submit_application,
)
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import Conflict
from dunwell.ledger.model import Account
from dunwell.lending.model import Bucket, LoanStatus
from dunwell.lending.products import builtin_product_texts
from dunwell.origination.credit_line import (
    Behaviour,
    CreditLine,
    LimitReview,
    LineStatus,
    ReviewAction,
    review_limit,
)
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Purpose,
    Transaction,
    TransactionKind,
)
from dunwell.origination.policy import builtin_policy
from dunwell.origination.scorecard import builtin_scorecard

START = dt.date(2025, 1, 15)
RULES = builtin_policy().review


def approved_line(app: Dunwell) -> int:
    """Noodle House: 60,000.00 of sales a month, 30,000.00 expenses: a grade A line of
    90,000.00 (three months of cash flow)."""
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        records = tuple(Transaction(dt.date(2024, m, 10), 6_000_000, TransactionKind.SALE)
                        for m in range(1, 13))
        a = Application(Applicant(ApplicantKind.MERCHANT, "m-noodles", "Noodle House"), "CNY",
                        5_000_000, 12, Purpose.WORKING_CAPITAL, 0, 3_000_000, 0, records)
        result = submit_application(uow, application=a, idempotency_key="app-1",
                                    model=builtin_scorecard())
        uow.commit()
    assert result.line is not None and result.line.limit_minor == 9_000_000
    return result.line.line_id


def draw(app: Dunwell, line_id: int, amount: str, months: int, key: str) -> DrawdownResult:
    with app.uow() as uow:
        result = draw_down(uow, line_id=line_id, amount=amount, term_months=months,
                           idempotency_key=key)
        uow.commit()
    return result


def test_a_drawdown_books_a_loan_at_the_lines_price_and_the_ledger_shows_it(
        app: Dunwell) -> None:
    line_id = approved_line(app)
    result = draw(app, line_id, "20000.00", 12, "dd-1")
    assert result.status is Status.CREATED
    loan = result.loan
    assert loan.product_code == "merchant_annuity_12m-a"
    assert loan.principal_minor == 2_000_000 and loan.status is LoanStatus.DISBURSED
    with app.uow() as uow:
        balances = uow.ledger.balances(loan_id=loan.loan_id)
        product = uow.products.get("merchant_annuity_12m-a")
        view = line_view(uow, line_id)
    assert balances[Account.PRINCIPAL_RECEIVABLE] == 2_000_000
    assert balances[Account.CASH] == -2_000_000
    assert product.annual_rate == Decimal("0.108")  # grade A's price, not the base 18 %
    assert (view.exposure.outstanding_minor, view.available_minor) == (2_000_000, 7_000_000)
    assert [d.loan_id for d in view.drawdowns] == [loan.loan_id]


def test_a_drawdown_beyond_the_available_limit_is_refused(app: Dunwell) -> None:
    line_id = approved_line(app)
    draw(app, line_id, "60000.00", 12, "dd-1")
    with pytest.raises(Conflict) as caught:
        draw(app, line_id, "30000.01", 12, "dd-2")
    assert caught.value.code == "drawdown_must_fit_available_limit"
    assert caught.value.details["available_minor"] == 3_000_000
    with app.uow() as uow:
        assert line_view(uow, line_id).available_minor == 3_000_000


def test_repaying_restores_what_is_available(app: Dunwell) -> None:
    line_id = approved_line(app)
    result = draw(app, line_id, "20000.00", 12, "dd-1")
    loan_id = result.loan.loan_id
    with app.uow() as uow:
        receive_payment(uow, loan_id=loan_id, amount="5000.00", currency="CNY",
                        idempotency_key="pay-1", providers=app.providers)
        uow.commit()
    with app.uow() as uow:
        view = line_view(uow, line_id)
    assert view.available_minor > 7_000_000


def test_a_drawdown_the_borrower_could_not_repay_is_refused(app: Dunwell) -> None:
    line_id = approved_line(app)
    # 1 month: everything back in a month; 40 % of 30,000.00 cash flow leaves 12,000.00
    with pytest.raises(Conflict) as caught:
        draw(app, line_id, "15000.00", 1, "dd-1")
    assert caught.value.code == "drawdown_must_be_affordable"


def test_a_drawdown_replayed_with_its_key_books_one_loan(app: Dunwell) -> None:
    line_id = approved_line(app)
    first = draw(app, line_id, "10000.00", 3, "dd-1")
    again = draw(app, line_id, "10000.00", 3, "dd-1")
    assert again.status is Status.REPLAYED
    assert again.loan.loan_id == first.loan.loan_id
    with pytest.raises(Conflict) as caught:
        draw(app, line_id, "10000.00", 12, "dd-1")
    assert caught.value.code == KEY_CONFLICT


def review(app: Dunwell) -> list[LimitReview]:
    with app.uow() as uow:
        reviews = review_limits(uow)
        uow.commit()
    return list(reviews)


def test_an_unpaid_instalment_lowers_the_limit_and_a_month_late_freezes_it(
        app: Dunwell) -> None:
    line_id = approved_line(app)
    draw(app, line_id, "20000.00", 12, "dd-1")
    close_until(app, dt.date(2025, 2, 24))  # the first instalment was due 15 Feb
    (lowered,) = review(app)
    assert lowered.action is ReviewAction.LOWER
    assert lowered.limit_after_minor == 6_750_000
    assert review(app) == []  # reviewed today already
    close_until(app, dt.date(2025, 3, 20))
    (frozen,) = review(app)
    assert frozen.action is ReviewAction.FREEZE
    with pytest.raises(Conflict) as caught:
        draw(app, line_id, "100.00", 12, "dd-2")
    assert caught.value.code == "credit_line_must_be_active"


def line(limit_minor: int = 9_000_000, changed: dt.date = dt.date(2025, 1, 15)) -> CreditLine:
    return CreditLine(1, 1, 1, 1_000_000_001, ApplicantKind.MERCHANT, "CNY", limit_minor,
                      30_000_000, "A", Decimal("0.108"), LineStatus.ACTIVE, 3_000_000, 0,
                      dt.date(2025, 1, 15), changed)


@pytest.mark.parametrize(("dpd", "worst", "used", "on", "action", "after"), [
    # clean, 60 % used, four months after the last change: +20 %
    (0, Bucket.M0, 5_400_000, dt.date(2025, 5, 20), ReviewAction.RAISE, 10_800_000),
    # clean but only 30 % used: kept
    (0, Bucket.M0, 2_700_000, dt.date(2025, 5, 20), ReviewAction.KEEP, 9_000_000),
    # clean and used, but changed two months ago: kept
    (0, Bucket.M0, 5_400_000, dt.date(2025, 3, 20), ReviewAction.KEEP, 9_000_000),
    # 10 days late now: -25 %
    (10, Bucket.M1, 5_400_000, dt.date(2025, 5, 20), ReviewAction.LOWER, 6_750_000),
    # paid up now, but was in M1 within the last 90 days: -25 %
    (0, Bucket.M1, 5_400_000, dt.date(2025, 5, 20), ReviewAction.LOWER, 6_750_000),
    # 31 days late, or was in M2 lately: frozen at its limit
    (31, Bucket.M2, 5_400_000, dt.date(2025, 5, 20), ReviewAction.FREEZE, 9_000_000),
    (0, Bucket.M2, 5_400_000, dt.date(2025, 5, 20), ReviewAction.FREEZE, 9_000_000),
])
def test_the_limit_review_rule(dpd: int, worst: Bucket, used: int, on: dt.date,
                               action: ReviewAction, after: int) -> None:
    verdict = review_limit(line(), Behaviour(dpd, worst, used), on=on, rules=RULES,
                           step_minor=10_000)
    assert (verdict.action, verdict.limit_after_minor) == (action, after)
    assert verdict.reasons


def test_a_raise_never_passes_the_lines_ceiling() -> None:
    near = line(limit_minor=28_000_000)
    verdict = review_limit(near, Behaviour(0, Bucket.M0, 20_000_000), on=dt.date(2025, 6, 1),
                           rules=RULES, step_minor=10_000)
    assert (verdict.action, verdict.limit_after_minor) == (ReviewAction.RAISE, 30_000_000)
