"""Referral eligibility as worked examples: one case that meets every rule, then one
example per criterion that fails it, each reported with its reason."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.legal.errors import ReferralRulesInvalid
from dunwell.legal.model import Criterion, ReferralFacts
from dunwell.legal.rules import builtin_rules, check_eligibility, load_rules

RULES = builtin_rules()

#: 120 days past due, 8,000.00 outstanding, 9 attempts, one visit where the borrower
#: refused, three repayment offers that lapsed, no plan, no promise, no flags: every
#: rule holds.
READY = ReferralFacts(case_id="case-7-20250216", case_status="open", days_past_due=120,
                      outstanding_minor=800_000, currency="CNY", contact_attempts=9,
                      in_person_visits=1, letters_delivered=0, plan_in_good_standing=False,
                      promise_pending=False, offers_made=3)


def failed(facts: ReferralFacts) -> list[Criterion]:
    return [f.criterion for f in check_eligibility(facts, RULES).failures]


def test_the_shipped_rules_read_as_written() -> None:
    assert RULES.days_past_due_min == 90
    assert RULES.amount_min_minor["CNY"] == 300_000
    assert RULES.contact_attempts_min == 6
    assert {"vulnerable", "deceased", "bankruptcy", "breathing_space", "disputed",
            "time_barred"} <= RULES.protected_flags
    assert "legal_counsel" in RULES.approver_roles


def test_a_case_meeting_every_rule_is_eligible() -> None:
    verdict = check_eligibility(READY, RULES)
    assert verdict.eligible and verdict.failures == ()


def test_89_days_past_due_is_one_day_short() -> None:
    verdict = check_eligibility(replace(READY, days_past_due=89), RULES)
    assert [f.criterion for f in verdict.failures] == [Criterion.DAYS_PAST_DUE]
    assert "89 days past due is below the 90" in verdict.failures[0].reason
    assert failed(replace(READY, days_past_due=90)) == []


def test_a_small_balance_is_not_worth_a_court() -> None:
    verdict = check_eligibility(replace(READY, outstanding_minor=299_999), RULES)
    assert [f.criterion for f in verdict.failures] == [Criterion.AMOUNT]
    assert "2999.99 CNY is below the 3000.00 CNY threshold" in verdict.failures[0].reason
    assert failed(replace(READY, outstanding_minor=300_000)) == []


def test_thresholds_are_per_currency_and_an_unlisted_currency_is_never_referred() -> None:
    assert failed(replace(READY, currency="USD", outstanding_minor=50_000)) == []
    assert failed(replace(READY, currency="USD", outstanding_minor=49_999)) == [Criterion.AMOUNT]
    verdict = check_eligibility(replace(READY, currency="JPY"), RULES)
    assert "no amount threshold is set for JPY" in verdict.failures[0].reason


def test_contact_attempts_must_be_exhausted_first() -> None:
    verdict = check_eligibility(replace(READY, contact_attempts=5), RULES)
    assert [f.criterion for f in verdict.failures] == [Criterion.CONTACT_ATTEMPTS]
    assert "5 contact attempts" in verdict.failures[0].reason


def test_someone_must_have_visited_or_a_letter_been_delivered() -> None:
    nobody = replace(READY, in_person_visits=0, letters_delivered=0)
    assert failed(nobody) == [Criterion.IN_PERSON_OR_LETTER]
    assert failed(replace(nobody, letters_delivered=1)) == []


@pytest.mark.parametrize("flag", ["vulnerable", "deceased", "bankruptcy", "breathing_space",
                                  "disputed", "time_barred"])
def test_a_protected_borrower_is_never_eligible(flag: str) -> None:
    verdict = check_eligibility(replace(READY, flags=frozenset({flag, "opt_out_sms"})), RULES)
    assert verdict.protected and not verdict.eligible
    assert [f.criterion for f in verdict.failures] == [Criterion.PROTECTED]
    assert flag in verdict.failures[0].reason


def test_a_plan_in_good_standing_or_a_pending_promise_blocks_a_referral() -> None:
    assert failed(replace(READY, plan_in_good_standing=True)) == [Criterion.PLAN]
    assert failed(replace(READY, promise_pending=True)) == [Criterion.PROMISE]


def test_a_closed_case_cannot_be_referred() -> None:
    assert failed(replace(READY, case_status="cured")) == [Criterion.CASE_ACTIVE]


def test_every_failed_criterion_is_reported_not_just_the_first() -> None:
    early = replace(READY, days_past_due=20, outstanding_minor=10_000, contact_attempts=1,
                    in_person_visits=0, flags=frozenset({"disputed"}))
    assert failed(early) == [Criterion.PROTECTED, Criterion.DAYS_PAST_DUE, Criterion.AMOUNT,
                             Criterion.CONTACT_ATTEMPTS, Criterion.IN_PERSON_OR_LETTER]


def test_rules_files_may_not_drop_the_legally_required_protections() -> None:
    text = _shipped_text()
    weakened = text.replace('"time_barred"]', "]")
    assert weakened != text
    with pytest.raises(ReferralRulesInvalid) as err:
        load_rules(weakened)
    assert "time_barred" in err.value.message
    with pytest.raises(ReferralRulesInvalid):
        load_rules(text.replace("days_past_due_min = 90", "days_past_due_min = \"90\""))


def _shipped_text() -> str:
    from importlib import resources
    return resources.files("dunwell.legal").joinpath("referral.toml").read_text("utf-8")


@given(dpd=st.integers(0, 400), amount=st.integers(0, 10_000_000),
       attempts=st.integers(0, 30), visits=st.integers(0, 3), letters=st.integers(0, 3),
       flags=st.frozensets(st.sampled_from(sorted(RULES.protected_flags | {"opt_out_sms"}))))
def test_eligible_exactly_when_no_criterion_fails(dpd: int, amount: int, attempts: int,
                                                  visits: int, letters: int,
                                                  flags: frozenset[str]) -> None:
    facts = replace(READY, days_past_due=dpd, outstanding_minor=amount,
                    contact_attempts=attempts, in_person_visits=visits,
                    letters_delivered=letters, flags=flags)
    verdict = check_eligibility(facts, RULES)
    expected = (dpd >= 90 and amount >= 300_000 and attempts >= 6 and (visits or letters)
                and not (flags & RULES.protected_flags))
    assert verdict.eligible == bool(expected)
