"""Repayment offers come before court: a referral needs offers that lapsed or were
refused, or a recorded reason why none was possible. Worked examples of the
criterion, then the rule on a real book: a case that reached 100 days past due
without any offer is refused with the criterion named; once the borrower refuses the
offers made to him, the same case can be proposed, and the bundle says how each
offer ended."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from legal_book import FIRST_DUE, NOW, open_small_book, reach_out, snapshot

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.collections.offers import offers_for_case
from dunwell.app.legal.evidence import export_bundle
from dunwell.app.legal.referrals import propose_referral
from dunwell.app.negotiation.service import decline_offers
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError
from dunwell.legal.model import Criterion, ReferralFacts
from dunwell.legal.rules import builtin_rules, check_eligibility, load_rules

RULES = builtin_rules()
DAY = FIRST_DUE + dt.timedelta(days=100)
CASE = f"case-1-{DAY:%Y%m%d}"
#: Everything else holds: 120 days past due, 8,000.00, nine attempts, a visit.
READY = ReferralFacts(case_id="case-7-20250216", case_status="open", days_past_due=120,
                      outstanding_minor=800_000, currency="CNY", contact_attempts=9,
                      in_person_visits=1, letters_delivered=0, plan_in_good_standing=False,
                      promise_pending=False)


def failures(facts: ReferralFacts) -> list[tuple[Criterion, str]]:
    return [(f.criterion, f.reason) for f in check_eligibility(facts, RULES).failures]


def test_the_shipped_rules_require_offers_before_a_referral() -> None:
    assert RULES.offers_required


def test_no_offer_and_no_reason_fails_the_criterion_with_what_to_do() -> None:
    ((criterion, reason),) = failures(READY)
    assert criterion is Criterion.OFFERS
    assert criterion.value == "repayment_offers_must_be_exhausted"
    assert reason.startswith("no repayment offer was made on the case")
    assert "refer only once they have lapsed or been refused" in reason


def test_offers_still_open_wait_until_they_lapse_or_are_refused() -> None:
    ((criterion, reason),) = failures(replace(READY, offers_made=4, offers_open=2,
                                              offers_open_until=dt.date(2025, 4, 15)))
    assert criterion is Criterion.OFFERS
    assert reason == ("2 repayment offer(s) still open until 2025-04-15: wait until they "
                      "lapse or the borrower refuses them")


def test_offers_that_ended_or_a_recorded_reason_satisfy_the_criterion() -> None:
    assert failures(replace(READY, offers_made=4)) == []
    assert failures(replace(READY, no_offer_reason="no plan is affordable on this budget: "
                            "refer the borrower to free, independent debt advice")) == []


def test_a_rules_file_may_switch_the_criterion_off_but_must_say_so_plainly() -> None:
    from importlib import resources
    text = resources.files("dunwell.legal").joinpath("referral.toml").read_text("utf-8")
    off = load_rules(text.replace("repayment_offers_required = true",
                                  "repayment_offers_required = false"))
    assert check_eligibility(READY, off).eligible
    with pytest.raises(DomainError):
        load_rules(text.replace("repayment_offers_required = true",
                                'repayment_offers_required = "yes"'))


def test_a_referral_without_offers_is_refused_with_the_criterion_named(
        app: Dunwell, tmp_path: Path) -> None:
    # the case opens at 100 days past due, long after the strategy's plan-offer step
    open_small_book(app, borrowers=(1,))
    close_until(app, DAY - dt.timedelta(days=1))
    collect_day(app, DAY, now=NOW)
    reach_out(app, 1, DAY)
    before = snapshot(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        propose_referral(uow, case_id=CASE, business_date=DAY, proposed_by="Li Na", now=NOW)
    assert err.value.code == "referral_criteria_must_be_met"
    assert [f["criterion"] for f in err.value.details["failures"]] == [
        "repayment_offers_must_be_exhausted"]
    assert "no repayment offer was made" in err.value.message
    assert snapshot(app) == before

    # the collector makes offers; while they are open the referral still waits
    with app.uow() as uow:
        book = offers_for_case(uow, case_id=CASE, business_date=DAY, now=NOW)
        uow.commit()
    assert book is not None and book.offers and book.without_assessment
    with app.uow() as uow, pytest.raises(DomainError) as err:
        propose_referral(uow, case_id=CASE, business_date=DAY, proposed_by="Li Na", now=NOW)
    assert "still open until" in err.value.message

    # he refuses them: now the case may be proposed, and the bundle says so
    decline_offers(app, case_id=CASE, now=NOW, note="will not agree to any plan")
    with app.uow() as uow:
        ref = propose_referral(uow, case_id=CASE, business_date=DAY, proposed_by="Li Na",
                               now=NOW)
        uow.commit()
    assert ref.eligibility.failures == ()
    out = export_bundle(app, referral_id=ref.referral_id, out_dir=tmp_path, now=NOW)
    table = list(csv.reader(io.StringIO(
        zipfile.ZipFile(out.zip_path).read("sections/08_offers.csv").decode())))
    rows = table[1:]
    assert len(rows) == len(book.offers)
    assert {r[-1] for r in rows} == {"refused by the borrower"}
    assert {r[3] for r in rows} == {"proposed without an assessment (the book's estimate)"}
    assert rows[0][2] == f"{book.offers[0].offer.label}"
