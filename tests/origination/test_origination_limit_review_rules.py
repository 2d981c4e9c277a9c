"""Limit reviews that follow the business: the repayment rule extended with fresh
records, the early-warning score and the share paid on time; a decrease never below
what is drawn."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.core.errors import InvalidInput
from dunwell.lending.model import Bucket
from dunwell.origination.credit_line import Behaviour, CreditLine, LineStatus, ReviewAction
from dunwell.origination.limit_review import (
    Evidence,
    builtin_evidence_rules,
    explain_limit_review,
    load_evidence_rules,
    review_line,
    turnover,
)
from dunwell.origination.model import ApplicantKind, MonthSummary
from dunwell.origination.policy import builtin_policy
from dunwell.origination.wording import catalogue

POLICY = builtin_policy()
RULES = builtin_evidence_rules()
ON = dt.date(2025, 6, 5)
STEP = 10_000


def line(limit_minor: int = 9_000_000, status: LineStatus = LineStatus.ACTIVE) -> CreditLine:
    """Grade A (3x turnover), 90,000.00, ceiling 300,000.00, last changed in January."""
    return CreditLine(1, 1, 1, 1_000_000_001, ApplicantKind.MERCHANT, "CNY", limit_minor,
                      30_000_000, "A", Decimal("0.108"), status, 3_000_000, 0,
                      dt.date(2025, 1, 15), dt.date(2025, 1, 15))


def months(*nets: int, last: dt.date = dt.date(2025, 5, 1)) -> tuple[MonthSummary, ...]:
    """Monthly sales ending in ``last``; a 0 is a month without records."""
    out = []
    month = last
    for net in reversed(nets):
        if net:
            out.append(MonthSummary(month, net, 0, 1))
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return tuple(reversed(out))


STEADY = months(*[6_000_000] * 12)
GOOD = Evidence(STEADY, early_warning_bps=300, on_time_bps=10_000)
USED = Behaviour(0, Bucket.M0, 6_000_000)  # 2/3 of the limit drawn, clean


def test_clean_used_and_supported_by_the_evidence_the_limit_rises() -> None:
    result = review_line(line(), USED, GOOD, on=ON, policy=POLICY, step_minor=STEP)
    assert result.action is ReviewAction.RAISE
    assert result.limit_after_minor == 10_800_000
    assert [r.code for r in result.reasons] == ["repaid_on_time"]


def test_a_raise_is_capped_by_the_grades_multiple_of_recent_turnover() -> None:
    small = Evidence(months(*[3_200_000] * 12), 300, 10_000)  # 3 x 32,000 = 96,000
    result = review_line(line(), USED, small, on=ON, policy=POLICY, step_minor=STEP)
    assert result.action is ReviewAction.RAISE and result.limit_after_minor == 9_600_000
    capped = review_line(line(), USED, Evidence(months(*[2_000_000] * 12), 300, 10_000),
                         on=ON, policy=POLICY, step_minor=STEP)
    assert capped.action is ReviewAction.KEEP
    assert [r.code for r in capped.reasons] == ["turnover_caps_limit"]


@pytest.mark.parametrize(("evidence", "codes"), [
    (Evidence((), 300, 10_000), ["records_stale"]),
    (Evidence(months(*[6_000_000] * 12, last=dt.date(2025, 2, 1)), 300, 10_000),
     ["records_stale"]),
    (Evidence(months(6_000_000, 0, 0, *[6_000_000] * 9), 300, 10_000), ["records_gaps"]),
    (Evidence(STEADY, None, 10_000), ["early_warning_elevated"]),
    (Evidence(STEADY, 900, 9_000), ["early_warning_elevated", "on_time_share_low"]),
    (Evidence(STEADY, 300, None), ["on_time_share_low"]),
])
def test_a_raise_the_evidence_does_not_support_is_a_hold_with_every_reason(
        evidence: Evidence, codes: list[str]) -> None:
    result = review_line(line(), USED, evidence, on=ON, policy=POLICY, step_minor=STEP)
    assert result.action is ReviewAction.KEEP
    assert result.limit_after_minor == result.limit_before_minor
    assert [r.code for r in result.reasons] == codes


def test_a_high_early_warning_score_or_falling_sales_lower_the_limit() -> None:
    light = Behaviour(0, Bucket.M0, 1_000_000)
    warned = review_line(line(), light, Evidence(STEADY, 2500, 10_000), on=ON, policy=POLICY,
                         step_minor=STEP)
    assert warned.action is ReviewAction.LOWER and warned.limit_after_minor == 6_750_000
    assert [r.code for r in warned.reasons] == ["early_warning_high"]
    fell = Evidence(months(*[6_000_000] * 9, *[3_000_000] * 3), 300, 10_000)
    result = review_line(line(), light, fell, on=ON, policy=POLICY, step_minor=STEP)
    assert result.action is ReviewAction.LOWER
    assert [(r.code, r.value) for r in result.reasons] == [("turnover_fell", "50%")]


def test_a_decrease_never_goes_below_what_is_drawn() -> None:
    drawn = Behaviour(0, Bucket.M0, 8_123_400)
    result = review_line(line(), drawn, Evidence(STEADY, 2500, 10_000), on=ON, policy=POLICY,
                         step_minor=STEP)
    assert result.action is ReviewAction.LOWER and result.limit_after_minor == 8_123_400
    full = review_line(line(), Behaviour(0, Bucket.M0, 9_000_000),
                       Evidence(STEADY, 2500, 10_000), on=ON, policy=POLICY, step_minor=STEP)
    assert full.action is ReviewAction.KEEP
    assert [r.code for r in full.reasons] == ["early_warning_high", "limit_at_drawn"]


def test_a_late_repayment_lowers_as_before_but_not_below_what_is_drawn() -> None:
    result = review_line(line(), Behaviour(5, Bucket.M1, 8_000_000), GOOD, on=ON,
                         policy=POLICY, step_minor=STEP)
    assert result.action is ReviewAction.LOWER and result.limit_after_minor == 8_000_000
    assert [r.code for r in result.reasons] == ["days_past_due"]


def test_a_freeze_or_a_frozen_line_stands_whatever_the_evidence() -> None:
    freeze = review_line(line(), Behaviour(40, Bucket.M2, 1), GOOD, on=ON, policy=POLICY,
                         step_minor=STEP)
    assert freeze.action is ReviewAction.FREEZE
    frozen = review_line(line(status=LineStatus.FROZEN), USED, GOOD, on=ON, policy=POLICY,
                         step_minor=STEP)
    assert frozen.action is ReviewAction.KEEP
    assert [r.code for r in frozen.reasons] == ["line_frozen"]


def test_recent_and_baseline_turnover() -> None:
    flow = turnover(months(100, 200, 300, 600, 600, 600), RULES)
    assert flow is not None
    assert (flow.recent_minor, flow.baseline_minor, flow.gap_months) == (600, 200, 0)
    assert flow.change_pct == 200
    only_recent = turnover(months(100, 200), RULES)
    assert only_recent is not None and only_recent.change_pct is None
    assert turnover((), RULES) is None


def test_the_reasons_read_in_the_borrowers_language() -> None:
    result = review_line(line(), USED, Evidence(STEADY, 300, 9_000), on=ON, policy=POLICY,
                         step_minor=STEP)
    assert explain_limit_review(result, "zh")[0] == \
        "您按时偿还了 90% 的分期；提高额度需要几乎全部按时还款。"
    words = catalogue()
    for code in ("line_frozen", "days_past_due", "repaid_on_time", "limit_recently_changed",
                 "utilisation_low", "limit_at_ceiling", "early_warning_high", "turnover_fell",
                 "records_stale", "records_gaps", "early_warning_elevated",
                 "on_time_share_low", "limit_at_drawn", "turnover_caps_limit"):
        for texts in words[code].values():
            assert set(texts) == {"en", "zh-CN"}, code


def test_the_rules_file_is_checked() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_evidence_rules("[limit_review]\nrecords_stale_days = -1")
    assert caught.value.details["field"] == "limit_review.records_stale_days"
    with pytest.raises(InvalidInput):
        load_evidence_rules("min_loan = '1'")


@given(st.integers(0, 9_000_000), st.integers(0, 60), st.one_of(st.none(), st.integers(0, 10_000)),
       st.one_of(st.none(), st.integers(0, 10_000)),
       st.lists(st.integers(0, 10_000_000), max_size=18))
def test_a_review_never_lowers_below_drawn_never_beyond_the_ceiling_and_moves_as_it_says(
        drawn: int, dpd: int, score: int | None, on_time: int | None, nets: list[int]) -> None:
    behaviour = Behaviour(dpd, Bucket.M0, drawn)
    evidence = Evidence(months(*nets), score, on_time)
    before = line()
    result = review_line(before, behaviour, evidence, on=ON, policy=POLICY, step_minor=STEP)
    after = result.limit_after_minor
    assert after <= before.limit_max_minor
    if result.action is ReviewAction.LOWER:
        assert drawn <= after < before.limit_minor
    elif result.action is ReviewAction.RAISE:
        assert after > before.limit_minor
    else:
        assert after == before.limit_minor
    assert result.reasons

