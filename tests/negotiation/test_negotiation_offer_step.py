"""The strategy's plan-offer step keeps the humane promise: a case that reaches D+45
gets real, affordable repayment offers in the same collection run.

The demo loan: 3,000.00 over three months, equal principal at 12 % a year (30/360),
so the schedule is 1,030.00, 1,020.00 and 1,010.00 and its average 1,020.00. Nobody
has heard the borrower's budget, so the step assumes half of that, 510.00 a month,
is affordable (``policy.toml`` ``[book_basis]``) and says so on every offer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.collections.offers import offers_for_case
from dunwell.app.negotiation.service import (
    accept_offer,
    assess_hardship,
    current_offers,
    decline_offers,
    make_offers,
)
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError
from dunwell.negotiation.book_basis import book_basis
from dunwell.negotiation.model import OfferStatus, PlanStatus
from dunwell.negotiation.outcome import PlanEnd, offer_ending
from dunwell.negotiation.policy import builtin_policy, parse_policy
from dunwell.store import collection_tables as c
from dunwell.store import tables as t

FIRST_DUE = dt.date(2025, 2, 15)  # the demo loan's first due date (conftest.py)
OFFER_DAY = FIRST_DUE + dt.timedelta(days=45)
CASE = f"case-1-{FIRST_DUE + dt.timedelta(days=1):%Y%m%d}"
SCHEDULE = [103_000, 102_000, 101_000]


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)


def run(app: Dunwell, day: dt.date) -> None:
    """COB of the day before, then the day's collection run."""
    close_until(app, day - dt.timedelta(days=1))
    collect_day(app, day, now=at(day))


# --- the book's estimate, as worked examples -------------------------------------------

def test_the_book_assumes_half_the_scheduled_payment_when_nothing_was_paid() -> None:
    basis = book_basis(scheduled_minor=SCHEDULE, paid_minor=0, currency="CNY",
                       policy=builtin_policy())
    assert (basis.scheduled_monthly_minor, basis.paid_monthly_minor, basis.capacity_minor) == (
        102_000, 0, 51_000)
    # a disposable income of 1,020.00 makes 510.00 exactly the affordable maximum (50 %)
    assert basis.assessment.disposable_income_minor == 102_000
    assert basis.text.startswith("proposed without an assessment: assumed affordable "
                                 "510.00 CNY a month")


def test_what_the_borrower_actually_paid_raises_the_estimate_up_to_the_schedule() -> None:
    policy = builtin_policy()
    # 2,100.00 over the last three months is 700.00 a month: more than half the schedule
    paid = book_basis(scheduled_minor=SCHEDULE, paid_minor=210_000, currency="CNY",
                      policy=policy)
    assert paid.capacity_minor == 70_000
    # never more than the scheduled payment itself
    lots = book_basis(scheduled_minor=SCHEDULE, paid_minor=900_000, currency="CNY",
                      policy=policy)
    assert lots.capacity_minor == 102_000


@pytest.mark.parametrize(("status", "plan", "ending"), [
    (OfferStatus.OPEN, None, "lapsed: not taken up by 2025-04-15"),
    (OfferStatus.APPROVED, None, "lapsed: not taken up by 2025-04-15"),
    (OfferStatus.REFUSED, None, "refused by the borrower"),
    (OfferStatus.SUPERSEDED, None,
     "superseded: newer offers were made, or another offer was accepted"),
    (OfferStatus.ACCEPTED, PlanEnd(4, PlanStatus.BROKEN, dt.date(2025, 5, 2)),
     "accepted: plan 4 broken on 2025-05-02"),
    (OfferStatus.ACCEPTED, PlanEnd(4, PlanStatus.ACTIVE), "accepted: plan 4 being kept"),
])
def test_how_an_offer_ended(status: OfferStatus, plan: PlanEnd | None, ending: str) -> None:
    assert offer_ending(status=status, expires_on=dt.date(2025, 4, 15),
                        on=dt.date(2025, 5, 16), plan=plan) == ending
    # on its last day an untouched offer is still open
    if status is OfferStatus.OPEN:
        assert offer_ending(status=status, expires_on=dt.date(2025, 4, 15),
                            on=dt.date(2025, 4, 15)) == "open until 2025-04-15"


# --- the collection run at D+45 --------------------------------------------------------

def test_a_case_reaching_d45_gets_affordable_offers_proposed_without_an_assessment(
        overdue: Callable[..., list[int]], app: Dunwell) -> None:
    overdue(until=OFFER_DAY)  # every day's run from the day before the first due date
    with app.engine.connect() as conn:
        step = conn.execute(sa.select(c.case_actions.c.decision).where(
            c.case_actions.c.step_id == "d45_negotiation_offer")).scalar_one()
        offers = conn.execute(sa.text(
            "SELECT o.business_date, o.expires_on, o.status, o.monthly_payment_minor, "
            "o.approval_role, a.source, a.disposable_minor FROM offers o JOIN "
            "hardship_assessments a ON a.assessment_id = o.assessment_id")).all()
        audit = [json.loads(r[0]) for r in conn.execute(sa.select(
            t.audit_log.c.payload_json).where(t.audit_log.c.kind == "offers_made"))]
    assert step == "allow"
    assert len(offers) >= 5
    for made, expires, status, monthly, _role, source, disposable in offers:
        assert (str(made), str(expires), status) == (
            str(OFFER_DAY), str(OFFER_DAY + dt.timedelta(days=14)), "open")
        assert (source, disposable) == ("book", 102_000)
        assert monthly <= 51_000  # within what the book's estimate calls affordable
    assert any(role == "collector" for *_, role, _s, _d in offers)  # a collector confirms
    (entry,) = audit
    assert entry["basis"] == "book" and entry["why"].startswith("step d45_negotiation_offer")
    assert entry["assumption"].startswith("proposed without an assessment")
    assert len(entry["offer_ids"]) == len(offers) and entry["referral"] is None


def test_a_persons_assessment_comes_before_the_books_estimate(
        overdue: Callable[..., list[int]], app: Dunwell) -> None:
    overdue(until=OFFER_DAY - dt.timedelta(days=1))
    assess_hardship(app, case_id=CASE, reason="illness", monthly_income_minor=500_000,
                    essential_expenses_minor=300_000, other_debt_payments_minor=0,
                    evidence=[], vulnerable=False, source="collector",
                    now=at(OFFER_DAY - dt.timedelta(days=1)))
    run(app, OFFER_DAY)
    with app.engine.connect() as conn:
        sources = {r[0] for r in conn.execute(sa.text(
            "SELECT a.source FROM offers o JOIN hardship_assessments a "
            "ON a.assessment_id = o.assessment_id"))}
    assert sources == {"collector"}


def test_offers_a_person_made_that_are_still_open_are_kept_not_replaced(
        overdue: Callable[..., list[int]], app: Dunwell) -> None:
    overdue()
    assess_hardship(app, case_id=CASE, reason="job_loss", monthly_income_minor=400_000,
                    essential_expenses_minor=250_000, other_debt_payments_minor=0,
                    evidence=[], vulnerable=False, source="field_agent",
                    now=at(dt.date(2025, 3, 1)))
    mine = make_offers(app, case_id=CASE, business_date=dt.date(2025, 3, 1))
    with app.uow() as uow:
        assert offers_for_case(uow, case_id=CASE, business_date=dt.date(2025, 3, 1),
                               now=at(dt.date(2025, 3, 1))) is None
        uow.commit()
    assert [o.status for o in current_offers(app, case_id=CASE)] == [
        OfferStatus.OPEN] * len(mine)


def test_when_nothing_is_affordable_the_reason_is_recorded_for_the_referral_rules(
        overdue: Callable[..., list[int]], app: Dunwell) -> None:
    overdue()
    text = (builtin_policy_text()
            .replace('share = "0.50"', 'share = "0.00"'))
    with app.uow() as uow:
        book = offers_for_case(uow, case_id=CASE, business_date=dt.date(2025, 3, 1),
                               now=at(dt.date(2025, 3, 1)), policy=parse_policy(text))
        uow.commit()
    assert book is not None and book.offers == [] and book.without_assessment
    assert book.referral is not None and "free, independent debt advice" in book.referral
    with app.engine.connect() as conn:
        (note,) = [r[0] for r in conn.execute(sa.select(c.case_timeline.c.text).where(
            c.case_timeline.c.kind == "debt_advice_referral"))]
    assert note.startswith("no plan is affordable on the book's estimate")
    assert "assumed affordable 0.00 CNY a month" in note


def test_the_borrower_refuses_the_offers_and_none_can_be_taken_up_afterwards(
        overdue: Callable[..., list[int]], app: Dunwell) -> None:
    overdue()
    with app.uow() as uow:
        book = offers_for_case(uow, case_id=CASE, business_date=dt.date(2025, 3, 1),
                               now=at(dt.date(2025, 3, 1)))
        uow.commit()
    assert book is not None and book.offers
    refused = decline_offers(app, case_id=CASE, now=at(dt.date(2025, 3, 1)),
                             note="does not want a plan")
    assert {o.status for o in refused} == {OfferStatus.REFUSED}
    assert len(refused) == len(book.offers)
    with pytest.raises(DomainError) as err:
        decline_offers(app, case_id=CASE, now=at(dt.date(2025, 3, 1)))
    assert err.value.code == "offers_must_be_open"
    with pytest.raises(DomainError) as err:
        accept_offer(app, offer_id=refused[0].offer_id, now=at(dt.date(2025, 3, 1)))
    assert err.value.code == "offer_must_be_unused"


def test_the_books_estimate_is_not_a_source_a_person_may_claim(
        overdue: Callable[..., list[int]], app: Dunwell) -> None:
    overdue()
    with pytest.raises(DomainError) as err:
        assess_hardship(app, case_id=CASE, reason="other", monthly_income_minor=1,
                        essential_expenses_minor=0, other_debt_payments_minor=0,
                        evidence=[], vulnerable=False, source="book",
                        now=at(dt.date(2025, 3, 1)))
    assert err.value.code == "source_must_be_known"


def builtin_policy_text() -> str:
    from importlib import resources
    return resources.files("dunwell.negotiation").joinpath("policy.toml").read_text("utf-8")
