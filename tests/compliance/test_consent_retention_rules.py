"""Retention periods per pack, as worked examples: the later of closing and the last
activity starts the count, nothing is due while anything is still open, and a period
runs through its last day."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.compliance.model import Jurisdiction
from dunwell.compliance.retention import RETENTION, RetentionFacts, retention_decision

D = dt.date
CN, US, UK = Jurisdiction.CN_NIFA, Jurisdiction.US_REGF, Jurisdiction.UK_FCA


@pytest.mark.parametrize(("j", "years", "rule", "assumed"), [
    (CN, 5, "CN-RECORD", False), (US, 3, "US-RegF-RECORD", False), (UK, 6, "UK-RECORD", True),
])
def test_each_pack_has_its_period_and_says_where_it_comes_from(
        j: Jurisdiction, years: int, rule: str, assumed: bool) -> None:
    period = RETENTION[j]
    assert (period.years, period.rule, period.assumed) == (years, rule, assumed)
    assert period.source


@pytest.mark.parametrize(("j", "until"), [
    (CN, D(2024, 3, 31)), (US, D(2022, 3, 31)), (UK, D(2025, 3, 31)),
])
def test_the_period_runs_from_closing_through_its_last_day(j: Jurisdiction,
                                                           until: D) -> None:
    facts = RetentionFacts(j, last_closed_on=D(2019, 3, 31))
    kept = retention_decision(facts, until)
    assert (kept.retain_until, kept.anonymise) == (until, False)
    due = retention_decision(facts, until + dt.timedelta(days=1))
    assert due.anonymise and "ended on" in due.reason


def test_the_later_of_closing_and_last_activity_counts() -> None:
    facts = RetentionFacts(US, last_closed_on=D(2019, 1, 1), last_activity_on=D(2021, 6, 30))
    assert retention_decision(facts, D(2024, 7, 1)).retain_until == D(2024, 6, 30)
    assert retention_decision(facts, D(2024, 7, 1)).anonymise


def test_a_leap_day_anchor_ends_on_the_last_day_of_february() -> None:
    facts = RetentionFacts(CN, last_closed_on=D(2020, 2, 29))
    assert retention_decision(facts, D(2030, 1, 1)).retain_until == D(2025, 2, 28)


@pytest.mark.parametrize(("facts", "why"), [
    (RetentionFacts(CN, last_closed_on=D(2010, 1, 1), open_loans=1), "a loan is open"),
    (RetentionFacts(CN, last_closed_on=D(2010, 1, 1), active_cases=1),
     "a collection case is active"),
    (RetentionFacts(UK, last_closed_on=D(2010, 1, 1), active_legal_cases=2),
     "a legal case is active"),
    (RetentionFacts(US, last_closed_on=D(2010, 1, 1), open_disputes=1), "a dispute is open"),
])
def test_nothing_is_due_while_anything_is_still_open(facts: RetentionFacts, why: str) -> None:
    decision = retention_decision(facts, D(2030, 1, 1))
    assert not decision.anonymise and decision.retain_until is None
    assert decision.blockers == (why,)


def test_no_date_to_count_from_keeps_the_records() -> None:
    decision = retention_decision(RetentionFacts(CN), D(2030, 1, 1))
    assert not decision.anonymise and "nothing" not in decision.reason
    assert decision.reason.startswith("no closed loan")
