"""The referral rules on the in-memory book: the facts a referral check reads, and a
referral refused for a protected borrower, a plan in good standing or a case that
does not meet the criteria yet; the strategy's legal review steps become referrals
once; a rejection goes on the case's timeline — no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from dunwell.app.collections import collect
from dunwell.app.context import Dunwell
from dunwell.app.legal import cases, referrals
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.collections.model import ActionKind, TimelineKind
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.core.dates import from_day
from dunwell.core.errors import DomainError
from dunwell.legal.model import (
    Criterion,
    Eligibility,
    LegalState,
    Referral,
    ReferralSource,
    ReferralStatus,
)
from dunwell.legal.rules import builtin_rules
from dunwell.lending.products import builtin_product_texts
from fakes.app import fake_app

START = dt.date(2025, 1, 1)
NOW = dt.datetime(2025, 6, 1, 2, 0, tzinfo=dt.UTC)


def code_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def overdue_case(*, flags: tuple[Flag, ...] = (), late_days: int = 100) -> tuple[Dunwell,
                                                                                  dt.date]:
    """A borrower whose loan of 10,000.00 is ``late_days`` past its first due date,
    with the case the day's run opened; the book is open on that day."""
    app = fake_app()
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=1, currency="CNY")
        product = register_product(uow, builtin_product_texts()[0])
        [loan] = disburse(uow, [LoanRequest(1, product.code, 1_000_000,
                                            product.term_months_min)])
        uow.borrowers.put(borrower_id=1, name="Borrower 1", jurisdiction=Jurisdiction.CN_NIFA,
                          timezone="Asia/Shanghai", language="zh-CN", flags=flags)
        uow.commit()
    day = from_day(loan.installments[0].due_day) + dt.timedelta(days=late_days)
    with app.uow() as uow:
        uow.book.advance(day)
        facts = collect.read_day(uow, day, currency="CNY", last_run=None)
        case = collect.plan_case(uow, facts, arms=collect.choose_arms(collect.Experiment(), None),
                                 bid=1, profile=facts.profiles[1],
                                 report=collect.CollectReport(day))
        uow.commit()
    assert case is not None
    return app, day


def case_id_of(app: Dunwell) -> str:
    with app.uow() as uow:
        [stored] = uow.cases.active().values()
    return stored.view.case_id


def propose(app: Dunwell, day: dt.date) -> Referral:
    with app.uow() as uow:
        ref = referrals.propose_referral(uow, case_id=case_id_of(app), business_date=day,
                                         proposed_by="Li", now=NOW)
        uow.commit()
    return ref


def test_the_facts_read_the_arrears_the_contacts_and_the_offers_of_the_case() -> None:
    app, day = overdue_case()
    with app.uow() as uow:
        facts = referrals.referral_facts(uow, case_id=case_id_of(app), business_date=day)
    assert facts.days_past_due >= 100 and facts.outstanding_minor > 300_000
    assert (facts.currency, facts.contact_attempts, facts.in_person_visits,
            facts.letters_delivered, facts.offers_made, facts.plan_in_good_standing) == (
        "CNY", 0, 0, 0, 0, False)


def test_a_case_that_does_not_meet_the_rules_is_refused_with_every_failed_criterion() -> None:
    app, day = overdue_case(late_days=30)
    with pytest.raises(DomainError) as err:
        propose(app, day)
    assert err.value.code == "referral_criteria_must_be_met"
    failed = {f["criterion"] for f in err.value.details["failures"]}
    assert {Criterion.DAYS_PAST_DUE.value, Criterion.CONTACT_ATTEMPTS.value} <= failed
    with app.uow() as uow:
        assert referrals.review_queue(uow, include_closed=True) == []


def test_a_protected_borrower_is_never_referred() -> None:
    app, day = overdue_case(flags=(Flag.VULNERABLE,))
    assert code_of(propose, app, day) == "referral_borrower_must_not_be_protected"


def test_a_case_whose_plan_is_in_good_standing_is_not_referred() -> None:
    app, day = overdue_case(flags=(Flag.HARDSHIP_PLAN,))
    assert code_of(propose, app, day) == "referral_plan_must_not_be_in_good_standing"


def test_a_strategy_review_step_becomes_a_referral_once_recorded_with_its_failures() -> None:
    app, day = overdue_case()
    with app.uow() as uow:
        case_id = case_id_of(app)
        uow.actions.add({"case_id": case_id, "step_id": 99, "due_date": day, "occurrence": 0,
                         "business_date": day, "borrower_id": 1,
                         "kind": ActionKind.LEGAL_REVIEW.value, "decision": "internal",
                         "strategy": "humane@1"})
        made = referrals.queue_legal_reviews(uow, business_date=day, now=NOW)
        again = referrals.queue_legal_reviews(uow, business_date=day, now=NOW)
        uow.commit()
    [ref] = made
    assert again == [] and ref.status is ReferralStatus.NOT_ELIGIBLE
    assert ref.eligibility.failures and ref.proposed_by == "strategy humane@1"


def test_a_rejection_names_the_person_and_goes_on_the_case_timeline() -> None:
    app, day = overdue_case()
    with app.uow() as uow:
        rid = uow.legal.add_referral(
            case_id=case_id_of(app), borrower_id=1, source=ReferralSource.MANUAL,
            action_id=None, status=ReferralStatus.PROPOSED, proposed_on=day, proposed_by="Li",
            proposed_at=NOW.isoformat(), proposal_note="", days_past_due=100,
            outstanding_minor=1_000_000, currency="CNY",
            eligibility=Eligibility(()))
        ref = referrals.reject_referral(uow, referral_id=rid, approver="Zhao",
                                        role="legal_counsel", note="offer a plan first",
                                        business_date=day, now=NOW)
        uow.commit()
    assert (ref.status, ref.decided_by, ref.decided_note) == (
        ReferralStatus.REJECTED, "Zhao", "offer a plan first")
    with app.uow() as uow:
        timeline = uow.cases.timeline(ref.case_id)
    assert (day, TimelineKind.LEGAL_REFERRAL_REJECTED.value,
            f"legal referral {rid} rejected by Zhao (legal_counsel): offer a plan first"
            ) in timeline


def contact(ts: str, channel: str, outcome: str, direction: str = "outbound") -> dict[str, str]:
    return {"ts": ts, "channel": channel, "outcome": outcome, "direction": direction}


def test_an_attempt_is_a_channel_at_a_moment_counted_from_the_day_before_the_case() -> None:
    opened = dt.date(2025, 3, 10)
    reached = referrals.contacts_reached([
        contact("2025-03-08T10:00:00+08:00", "call", "no_answer"),  # before the case
        contact("2025-03-09T10:00:00+08:00", "call", "no_answer"),
        contact("2025-03-11T10:00:00+08:00", "visit", "conversation"),
        contact("2025-03-11T10:00:00+08:00", "visit", "visit_notice_delivered"),
        contact("2025-03-12T10:00:00+08:00", "visit", "no_answer"),
        contact("2025-03-13T09:00:00+08:00", "letter", "delivered"),
        contact("2025-03-14T09:00:00+08:00", "letter", "undelivered"),
        contact("2025-03-15T09:00:00+08:00", "call", "conversation", "inbound"),
    ], opened)
    assert (reached.attempts, reached.visits_met, reached.letters_delivered) == (5, 1, 1)


def test_the_case_currency_is_its_loans_one_currency() -> None:
    assert referrals.currency_of({"CNY"}) == "CNY"
    assert referrals.currency_of({"USD", "CNY"}) == "CNY/USD"
    assert referrals.currency_of(set()) == "CNY"


def test_a_decider_is_a_named_person_with_an_approver_role_and_a_note() -> None:
    rules = builtin_rules()
    who = referrals.decider(" Zhao ", "legal_counsel", " file complete ", rules)
    assert (who.person, who.role, who.note) == ("Zhao", "legal_counsel", "file complete")
    for person, role, note in (("", "legal_counsel", "x"), ("Zhao", "collector", "x"),
                               ("Zhao", "legal_counsel", " "), ("Z" * 129, "legal_counsel", "x")):
        assert code_of(referrals.decider, person, role, note, rules) == (
            "referral_approval_must_name_person_role_and_note")


def approved_referral(app: Dunwell, day: dt.date) -> int:
    with app.uow() as uow:
        rid = uow.legal.add_referral(
            case_id=case_id_of(app), borrower_id=1, source=ReferralSource.MANUAL,
            action_id=None, status=ReferralStatus.PROPOSED, proposed_on=day, proposed_by="Li",
            proposed_at=NOW.isoformat(), proposal_note="", days_past_due=100,
            outstanding_minor=1_000_000, currency="CNY", eligibility=Eligibility(()))
        uow.legal.decide(rid, status=ReferralStatus.APPROVED, by="Zhao", role="legal_counsel",
                         note="ok", on=day, at=NOW.isoformat(),
                         legal_state=LegalState.APPROVED, eligibility=Eligibility(()))
        uow.commit()
    return rid


def test_a_demand_letter_is_issued_once_for_an_approved_referral() -> None:
    app, day = overdue_case()
    rid = approved_referral(app, day)
    now = dt.datetime.combine(day, dt.time(2), tzinfo=dt.UTC)
    with app.uow() as uow:
        letter = cases.issue_demand(uow, templates=app.providers.templates(), referral_id=rid,
                                    business_date=day, now=now)
        again = cases.issue_demand(uow, templates=app.providers.templates(), referral_id=rid,
                                   business_date=day, now=now)
        uow.commit()
    assert again.letter_no == letter.letter_no and letter.kind == "demand"
    with app.uow() as uow:
        assert uow.legal.get(rid).demand_letter_no == letter.letter_no
        kinds = [k for _, k, _ in uow.cases.timeline(case_id_of(app))]
    assert TimelineKind.LEGAL_DEMAND.value in kinds


def test_no_demand_letter_for_a_referral_not_approved_or_a_case_settled() -> None:
    app, day = overdue_case()
    rid = approved_referral(app, day)
    with app.uow() as uow:
        uow.legal.set_state(rid, LegalState.SETTLED)
        proposed = uow.legal.add_referral(
            case_id="case-x", borrower_id=1, source=ReferralSource.MANUAL, action_id=None,
            status=ReferralStatus.PROPOSED, proposed_on=day, proposed_by="Li",
            proposed_at=NOW.isoformat(), proposal_note="", days_past_due=100,
            outstanding_minor=1_000_000, currency="CNY", eligibility=Eligibility(()))
        uow.commit()
    for referral_id, code in ((rid, "legal_case_must_be_open_for_demand"),
                              (proposed, "referral_must_be_approved")):
        with app.uow() as uow:
            assert code_of(cases.issue_demand, uow, templates=app.providers.templates(),
                           referral_id=referral_id, business_date=day, now=NOW) == code
