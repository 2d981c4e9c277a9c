"""Decisions as worked examples: a good merchant, a thin file, an over-indebted consumer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import pytest

from dunwell.core.errors import InvalidInput
from dunwell.lending.products import builtin_products
from dunwell.origination.decision import decide
from dunwell.origination.features import summarise
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Decision,
    Effect,
    Outcome,
    Purpose,
    Reason,
    Transaction,
    TransactionKind,
)
from dunwell.origination.policy import builtin_policy
from dunwell.origination.scorecard import builtin_scorecard
from dunwell.origination.wording import catalogue, explain

START = dt.date(2025, 1, 15)


def monthly_sales(first_minor: int, growth_minor: int, months: int) -> tuple[Transaction, ...]:
    """One sale on the 10th and a 1 % refund on the 20th of each month up to Dec 2024."""
    records = []
    for k in range(months):
        on = dt.date(2024, 12 - months + k + 1, 10)
        amount = first_minor + growth_minor * k
        records.append(Transaction(on, amount, TransactionKind.SALE))
        records.append(Transaction(on.replace(day=20), amount // 100, TransactionKind.REFUND))
    return tuple(records)


def merchant(requested_minor: int, *, months: int = 12, expenses_minor: int = 3_000_000,
             debts_minor: int = 200_000) -> Application:
    return Application(Applicant(ApplicantKind.MERCHANT, "m-noodles", "Noodle House"), "CNY",
                       requested_minor, 12, Purpose.WORKING_CAPITAL, 0, expenses_minor,
                       debts_minor, monthly_sales(5_500_000, 100_000, months))


def run(application: Application, model: object = None) -> Decision:
    return decide(application, summaries=summarise(application.transactions),
                  model=model or builtin_scorecard(),  # type: ignore[arg-type]
                  policy=builtin_policy(), products=builtin_products(), start=START)


def test_a_good_merchant_is_approved_at_grade_a_with_a_limit_and_a_price() -> None:
    d = run(merchant(8_000_000))
    # sales 55,000.00 rising 1,000.00 a month (mean 60,500.00), 1 % refunded: net
    # 59,895.00, less 30,000.00 expenses = 29,895.00 a month
    assert d.cash_flow_minor == 2_989_500
    assert (d.outcome, d.grade, d.annual_rate) == (Outcome.APPROVE, "A", Decimal("0.108"))
    assert d.pd_bps is not None and d.pd_bps < 200
    # limit: 300 % of cash flow = 89,685.00, in steps of 100.00
    assert d.limit_minor == 8_960_000
    assert d.approved_minor == 8_000_000
    assert d.term_options == (12,)  # 80,000 in 1 or 3 months would not be affordable
    assert d.reasons[0] == Reason("risk_grade", Effect.HELPS, "A", 0)
    assert d.advice == ()


def test_a_request_above_the_limit_is_approved_at_the_limit_and_says_so() -> None:
    d = run(merchant(10_000_000))
    assert (d.outcome, d.approved_minor) == (Outcome.APPROVE, 8_960_000)
    assert "Your credit limit is 89600.00 CNY, less than you asked for." in explain(
        d, "en").reasons


def test_a_merchant_with_two_months_of_records_is_referred_to_a_person() -> None:
    d = run(merchant(2_000_000, months=2))
    assert d.outcome is Outcome.REFER
    assert d.reasons[0].code == "thin_file"
    assert (d.approved_minor, d.limit_minor) == (0, 0)
    words = explain(d, "en")
    assert words.reasons[0].startswith("We have 2 months of history for you")
    assert "Adding more months of sales or income records would help." in words.advice


def over_indebted_consumer() -> Application:
    # net income 12,000.00, expenses 5,000.00: cash flow 7,000.00, of which existing
    # loans take 3,500.00 (50 %) where the 6-month product allows 40 %
    return Application(Applicant(ApplicantKind.CONSUMER, "c-liwei", "Li Wei", "zh-CN"), "CNY",
                       3_000_000, 6, Purpose.PERSONAL, 1_200_000, 500_000, 350_000,
                       income_history_minor=(1_200_000,) * 6)


def test_an_over_indebted_consumer_is_declined_with_reasons_and_what_would_help() -> None:
    d = run(over_indebted_consumer())
    assert d.outcome is Outcome.DECLINE
    assert d.cash_flow_minor == 700_000
    assert d.dsr_bps == 5000
    assert d.reasons[0] == Reason("existing_debt_too_high", Effect.HURTS, "50.0%", -100)
    en = explain(d, "en")
    assert en.reasons[0] == ("Your existing debt payments (50.0% of cash flow) leave no room "
                             "for another instalment.")
    assert en.advice[0] == "Paying down existing debts first would help."
    zh = explain(d, "zh-CN")
    assert zh.reasons[0] == "您现有的还款（占现金流 50.0%）已没有空间再承担新的分期。"
    assert zh.advice[0] == "先偿还部分现有债务会有帮助。"
    assert len(zh.advice) <= 3


def test_expenses_as_large_as_income_are_declined() -> None:
    d = run(merchant(1_000_000, expenses_minor=7_000_000))
    assert d.outcome is Outcome.DECLINE
    assert d.reasons[0].code == "cash_flow_not_positive"


class HighRisk:
    """A fake credit model: everyone is a 40 % risk, for a stated reason."""

    name = "fake-high-risk"

    def score(self, features: Mapping[str, object]) -> tuple[float, list[Reason]]:
        return 0.40, [Reason("model.late_payments", Effect.HURTS, "late payments", 0,
                             (("en", "Two late payments last year."),
                              ("zh-CN", "去年有两次逾期。")))]


def test_a_probability_beyond_the_last_grade_is_declined_in_the_models_words() -> None:
    d = run(merchant(1_000_000), model=HighRisk())
    assert (d.outcome, d.pd_bps) == (Outcome.DECLINE, 4000)
    assert [r.code for r in d.reasons] == ["risk_too_high", "model.late_payments"]
    assert explain(d, "zh-CN").reasons[1] == "去年有两次逾期。"


def test_a_term_not_offered_to_the_applicant_is_refused_naming_the_field() -> None:
    app = merchant(1_000_000)
    six_months = Application(**{**{f: getattr(app, f) for f in app.__slots__},
                                "term_months": 6})
    with pytest.raises(InvalidInput) as caught:
        run(six_months)
    assert (caught.value.code, caught.value.details["field"]) == ("term_must_be_offered",
                                                                  "term_months")


def test_the_scorecard_adds_points_and_turns_them_into_odds() -> None:
    row = {"kind": "merchant", "months_active": 12, "trend_bps": 150, "volatility_bps": 600,
           "refund_rate_bps": 100, "seasonality_pct": 120, "existing_dsr_bps": 700,
           "loan_to_cash_flow_pct": 270}
    points, reasons = builtin_scorecard().points(row)
    # 40 (12 months) + 40 + 40 + 40 + 30 + 45 + 15 (2.7x cash flow) = 250
    assert points == 250
    assert reasons[:2] == [Reason("loan_to_cash_flow_pct", Effect.HURTS, "2.7x", -15),
                           Reason("months_active", Effect.HURTS, "12", -10)]
    # odds = 20 * 2 ** ((250 - 180) / 25) = 139.3, PD = 1 / 140.3
    probability, _ = builtin_scorecard().score(row)
    assert probability == pytest.approx(1 / (1 + 20 * 2 ** (70 / 25)))


def test_every_reason_the_scorecard_and_policy_give_has_words_in_both_languages() -> None:
    words = catalogue()
    codes = {c.feature for card in builtin_scorecard().cards.values()
             for c in card.characteristics}
    codes |= {"thin_file", "cash_flow_not_positive", "existing_debt_too_high",
              "instalment_unaffordable", "amount_sized_down", "limit_caps_amount",
              "risk_grade", "risk_too_high"}
    for code in codes:
        for effect, texts in words[code].items():
            assert set(texts) == {"en", "zh-CN"}, (code, effect)
