"""Bad input is refused with a clear code and changes nothing in the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from dunwell.app.lending.payments import quote_payoff, receive_payment
from dunwell.app.negotiation.service import (
    accept_offer,
    approve_offer,
    assess_hardship,
    make_offers,
    offer_book,
)
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError
from dunwell.core.money import format_minor
from dunwell.lending.payments import PaymentKind
from dunwell.negotiation.model import Debt, PlanInstalment, Waiver
from dunwell.negotiation.restructure import check_covers

NOW = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
CASE = "case-1-20250216"
DAY = dt.date(2025, 3, 1)
Snapshot = Callable[[Dunwell], Any]


def assess(app: Dunwell, **over: Any) -> None:
    args: dict[str, Any] = dict(
        case_id=CASE, reason="family_emergency", monthly_income_minor=600_000,
        essential_expenses_minor=350_000, other_debt_payments_minor=50_000, evidence=[],
        vulnerable=False, source="portal", now=NOW)
    args.update(over)
    assess_hardship(app, **args)


def refused(app: Dunwell, snapshot: Snapshot, code: str, command: Callable[[], object]) -> None:
    before = snapshot(app)
    with pytest.raises(DomainError) as err:
        command()
    assert err.value.code == code, err.value
    assert err.value.message
    assert snapshot(app) == before


@pytest.mark.parametrize(("over", "code"), [
    ({"reason": "bad_luck"}, "reason_must_be_known"),
    ({"source": "neighbour"}, "source_must_be_known"),
    ({"monthly_income_minor": -1}, "hardship_amount_must_be_in_range"),
    ({"evidence": ["payslip.pdf"]}, "evidence_must_carry_sha256"),
    ({"evidence": ["payslip.pdf:" + "Z" * 64]}, "evidence_must_carry_sha256"),
    ({"case_id": "case-404"}, "case_must_exist"),
    ({"now": dt.datetime(2025, 3, 1, 2, 0)}, "time_must_be_aware"),
])
def test_a_bad_hardship_form_is_refused(app: Dunwell, overdue: Callable[..., list[int]],
                                        snapshot: Snapshot, over: dict[str, Any],
                                        code: str) -> None:
    overdue()
    refused(app, snapshot, code, lambda: assess(app, **over))


def test_vulnerability_sets_the_flag_the_guard_reads(
        app: Dunwell, overdue: Callable[..., list[int]]) -> None:
    overdue()
    assess(app, vulnerable=True, evidence=["letter.pdf:" + "0" * 64])
    with app.uow() as uow:
        from dunwell.store.collections_repo import BorrowerRepository

        flags = BorrowerRepository(uow.conn).get(1).borrower.flags
    assert {f.value for f in flags} == {"vulnerable"}


def test_offers_need_an_assessment(app: Dunwell, overdue: Callable[..., list[int]],
                                   snapshot: Snapshot) -> None:
    overdue()
    refused(app, snapshot, "hardship_assessment_must_exist",
            lambda: make_offers(app, case_id=CASE, business_date=DAY))


def test_no_offer_for_a_paid_off_loan(app: Dunwell, overdue: Callable[..., list[int]],
                                      snapshot: Snapshot) -> None:
    overdue()
    assess(app)
    with app.uow() as uow:
        quote = quote_payoff(uow, loan_id=1)
        receive_payment(uow, loan_id=1, amount=format_minor(quote, "CNY"), currency="CNY",
                        idempotency_key="payoff-1", kind=PaymentKind.PAYOFF,
                        providers=app.providers)
        uow.commit()
    refused(app, snapshot, "offer_needs_outstanding_debt",
            lambda: make_offers(app, case_id=CASE, business_date=DAY))


def test_a_plan_that_no_longer_covers_the_debt_is_refused(
        app: Dunwell, overdue: Callable[..., list[int]], snapshot: Snapshot) -> None:
    overdue()
    assess(app)
    offer = offer_book(app, case_id=CASE, business_date=DAY).offers[0]
    approve_offer(app, offer_id=offer.offer_id, approver_id="tl", role="team_lead", now=NOW)
    with app.uow() as uow:  # a payment after the offer: the debt is no longer 3,045.78
        receive_payment(uow, loan_id=1, amount="100.00", currency="CNY", idempotency_key="p",
                        providers=app.providers)
        uow.commit()
    refused(app, snapshot, "plan_must_cover_debt",
            lambda: accept_offer(app, offer_id=offer.offer_id, now=NOW))


def test_plan_payments_and_waivers_must_sum_to_the_debt() -> None:
    debt = Debt(300_000, 3_928, 650, 0)
    short = (PlanInstalment(1, dt.date(2025, 4, 1), principal_minor=299_999),)
    with pytest.raises(DomainError) as err:
        check_covers(debt, short, Waiver(interest_minor=3_928, penalty_minor=650))
    assert err.value.code == "plan_must_cover_debt"
    assert "principal" in err.value.message


def test_an_expired_offer_cannot_be_accepted(app: Dunwell, overdue: Callable[..., list[int]],
                                             run_days: Callable[[dt.date, dt.date], None],
                                             snapshot: Snapshot) -> None:
    overdue()
    assess(app)
    offer = offer_book(app, case_id=CASE, business_date=DAY).offers[0]
    approve_offer(app, offer_id=offer.offer_id, approver_id="tl", role="team_lead", now=NOW)
    assert offer.expires_on == dt.date(2025, 3, 15)
    run_days(dt.date(2025, 3, 2), dt.date(2025, 3, 16))
    refused(app, snapshot, "offer_must_not_be_expired",
            lambda: accept_offer(app, offer_id=offer.offer_id, now=NOW))


def test_an_offer_is_used_once(app: Dunwell, overdue: Callable[..., list[int]],
                               snapshot: Snapshot) -> None:
    overdue()
    assess(app)
    first, second = offer_book(app, case_id=CASE, business_date=DAY).offers[:2]
    approve_offer(app, offer_id=first.offer_id, approver_id="tl", role="team_lead", now=NOW)
    accept_offer(app, offer_id=first.offer_id, now=NOW)
    refused(app, snapshot, "offer_must_be_unused",
            lambda: accept_offer(app, offer_id=first.offer_id, now=NOW))
    # the case's other offers were superseded by the acceptance
    refused(app, snapshot, "offer_must_be_unused",
            lambda: approve_offer(app, offer_id=second.offer_id, approver_id="tl",
                                  role="team_lead", now=NOW))
    refused(app, snapshot, "case_must_not_have_active_plan",
            lambda: make_offers(app, case_id=CASE, business_date=DAY))
    refused(app, snapshot, "offer_must_exist",
            lambda: accept_offer(app, offer_id=999, now=NOW))


def test_offers_are_made_on_the_open_business_date(
        app: Dunwell, overdue: Callable[..., list[int]], snapshot: Snapshot) -> None:
    overdue()
    assess(app)
    refused(app, snapshot, "offer_date_must_be_open_date",
            lambda: make_offers(app, case_id=CASE, business_date=dt.date(2025, 3, 9)))


def test_the_same_assessment_and_offers_on_the_same_day_are_not_duplicated(
        app: Dunwell, overdue: Callable[..., list[int]], snapshot: Snapshot) -> None:
    overdue()
    assess(app)
    made = make_offers(app, case_id=CASE, business_date=DAY)
    before = snapshot(app)
    assess(app)
    assert make_offers(app, case_id=CASE, business_date=DAY) == made
    assert snapshot(app) == before
