"""The steps of a decision, one at a time, on one consumer: net income 12,000.00 a
month for six months, expenses 5,000.00 (cash flow 7,000.00), existing loans
1,000.00 a month, asking for 30,000.00 over 6 months."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pytest

from dunwell.core.errors import InvalidInput, NotFound
from dunwell.lending.products import builtin_products
from dunwell.origination.decision import (
    Assessment,
    GradedBook,
    Offer,
    answer,
    assess,
    credit_limit_minor,
    feature_row,
    graded_answer,
    pd_bps_of,
    screen,
    sizing_reasons,
    term_options,
)
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Effect,
    Outcome,
    Purpose,
    Reason,
)
from dunwell.origination.policy import builtin_policy, load_policy
from dunwell.origination.scorecard import load_scorecard

START = dt.date(2025, 1, 15)
POLICY = builtin_policy()
LATE = Reason("model.late_payments", Effect.HURTS, "2", -10)
STEADY = Reason("model.steady_income", Effect.HELPS, "6", 10)


class FixedModel:
    """A fake credit model: the same probability and reasons for everyone."""

    name = "fake-fixed"

    def __init__(self, probability: float, reasons: Sequence[Reason] = ()) -> None:
        self.probability, self.reasons = probability, list(reasons)

    def score(self, features: Mapping[str, object]) -> tuple[float, list[Reason]]:
        return self.probability, self.reasons


def consumer(*, expenses_minor: int = 500_000, debts_minor: int = 100_000,
             months: int = 6) -> Application:
    return Application(Applicant(ApplicantKind.CONSUMER, "c-liwei", "Li Wei"), "CNY",
                       3_000_000, 6, Purpose.PERSONAL, 1_200_000, expenses_minor,
                       debts_minor, income_history_minor=(1_200_000,) * months)


def assessed(application: Application | None = None, probability: float = 0.015,
             reasons: Sequence[Reason] = (LATE, STEADY)) -> Assessment:
    return assess(application or consumer(), summaries=(),
                  model=FixedModel(probability, reasons), start=START)


def test_a_probability_is_turned_into_basis_points() -> None:
    assert pd_bps_of(0.015) == 150
    assert (pd_bps_of(0.0), pd_bps_of(1.0)) == (0, 10_000)


@pytest.mark.parametrize("probability", [-0.01, 1.2, float("nan")])
def test_a_model_answering_outside_zero_to_one_is_refused_not_clamped(
        probability: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        pd_bps_of(probability)
    assert caught.value.code == "probability_must_be_between_0_and_1"


def test_the_assessment_holds_cash_flow_history_score_and_the_models_reasons_split() -> None:
    a = assessed()
    assert (a.cash_flow_minor, a.existing_minor, a.history_months, a.pd_bps) == (
        700_000, 100_000, 6, 150)
    # 1,000.00 of 7,000.00 is 14.29 %, rounded up
    assert a.features["existing_dsr_bps"] == 1429
    assert (a.hurts, a.helps) == ((LATE,), (STEADY,))
    assert a.money(420_000) == "4200.00 CNY"


def test_screening_stops_on_cash_flow_then_debts_then_a_thin_file() -> None:
    assert screen(assessed(), POLICY) is None
    no_cash = screen(assessed(consumer(expenses_minor=1_300_000)), POLICY)
    assert no_cash == Reason("cash_flow_not_positive", Effect.HURTS, "-1000.00 CNY", -100)
    # 3,000.00 of 7,000.00 already exceeds the 6-month product's 40 %
    indebted = screen(assessed(consumer(debts_minor=300_000)), POLICY)
    assert indebted == Reason("existing_debt_too_high", Effect.HURTS, "42.9%", -100)
    thin = screen(assessed(consumer(months=2)), POLICY)
    assert thin == Reason("thin_file", Effect.HURTS, "2", -50)


def test_an_answer_shows_policy_reasons_first_at_most_five_and_advises_on_the_hurts() -> None:
    a = assessed(reasons=[LATE, LATE, LATE, LATE, LATE, STEADY])
    refused = answer(a, Outcome.DECLINE, [Reason("risk_too_high", Effect.HURTS, "1.5%", -100)])
    assert [r.code for r in refused.reasons] == ["risk_too_high", *["model.late_payments"] * 4]
    assert refused.advice == ("risk_too_high", "model.late_payments")
    assert (refused.approved_minor, refused.limit_minor, refused.term_options) == (0, 0, ())
    assert refused.dsr_bps == 1429  # existing debts only when nothing is lent
    approved = answer(a, Outcome.APPROVE, [], offer=Offer(420_000, 500_000, (1, 6), 2545),
                      model_reasons=[STEADY])
    assert (approved.reasons, approved.advice) == ((STEADY,), ())
    assert (approved.approved_minor, approved.limit_minor, approved.dsr_bps) == (
        420_000, 500_000, 2545)


def test_the_graded_book_prices_the_policys_products_and_refuses_a_missing_one() -> None:
    grade_a = POLICY.grade("A")
    book = GradedBook(builtin_products(), grade_a)
    product = book.product("consumer_equal_principal_6m")
    # priced at grade A: its own code, the grade's annual rate
    assert (product.code, product.annual_rate) == ("consumer_equal_principal_6m-a",
                                                   grade_a.annual_rate)
    assert book.repayment(product, 1_020_000, 6, START) == 179_356
    with pytest.raises(NotFound) as caught:
        GradedBook({}, grade_a).product("consumer_equal_principal_6m")
    assert caught.value.code == "product_must_exist"


def test_the_limit_is_the_grades_multiple_of_cash_flow_sized_on_the_longest_term() -> None:
    a, grade_a = assessed(), POLICY.grade("A")
    six_months = POLICY.terms_for(ApplicantKind.CONSUMER)[-1]
    # 300 % of 7,000.00 is 21,000.00, but 40 % of cash flow less 1,000.00 leaves room
    # for 1,800.00 a month: 10,200.00 over 6 months (1,793.56 a month)
    assert credit_limit_minor(a, grade_a, six_months, GradedBook(builtin_products(), grade_a),
                              step_minor=10_000, start=START) == 1_020_000


def test_term_options_list_every_term_the_amount_is_affordable_on() -> None:
    a, book = assessed(), GradedBook(builtin_products(), POLICY.grade("A"))
    terms = POLICY.terms_for(ApplicantKind.CONSUMER)
    requested = POLICY.term(ApplicantKind.CONSUMER, 6)
    assert term_options(a, terms, requested, book, approved_minor=1_020_000,
                        start=START) == (6,)
    assert term_options(a, terms, requested, book, approved_minor=100_000,
                        start=START) == (1, 6)


def test_sizing_reasons_say_whether_the_limit_or_affordability_cut_the_request() -> None:
    def money(minor: int) -> str:
        return f"{minor}"
    assert sizing_reasons(requested_minor=30, limit_minor=10, approved_minor=10,
                          money=money) == [Reason("limit_caps_amount", Effect.HURTS, "10", -20)]
    assert sizing_reasons(requested_minor=30, limit_minor=40, approved_minor=20,
                          money=money) == [Reason("amount_sized_down", Effect.HURTS, "20", -20)]
    assert sizing_reasons(requested_minor=30, limit_minor=40, approved_minor=30,
                          money=money) == []


def test_an_approving_grade_helps_and_a_referring_grade_hurts() -> None:
    a, offer = assessed(), Offer(1_020_000, 1_020_000, (6,), 3991)
    approved = graded_answer(a, POLICY.grade("A"), offer)
    assert approved.outcome is Outcome.APPROVE
    assert [r.code for r in approved.reasons] == [
        "risk_grade", "limit_caps_amount", "model.steady_income", "model.late_payments"]
    referred = graded_answer(a, POLICY.grade("E"), offer)
    assert (referred.outcome, referred.grade) == (Outcome.REFER, "E")
    assert referred.reasons[0] == Reason("risk_grade", Effect.HURTS, "E", -50)
    assert referred.advice == ("risk_grade", "limit_caps_amount", "model.late_payments")


def test_without_positive_cash_flow_the_feature_row_shows_the_worst_ratios() -> None:
    broke = consumer(expenses_minor=1_300_000)
    row = feature_row(broke, None, None, -100_000)
    assert (row["existing_dsr_bps"], row["loan_to_cash_flow_pct"]) == (100_000, 100_000)
    assert feature_row(consumer(), None, None, 700_000)["existing_dsr_bps"] == 1429


def test_a_policy_or_scorecard_entry_that_is_not_a_table_is_named_not_crashed_on() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_policy('min_loan = "500.00"\ngrades = [1]\n')
    assert (caught.value.code, caught.value.details["field"]) == ("policy_must_be_valid",
                                                                  "grades.0")
    card = ('name = "c"\n[merchant]\nbase_points = 1\nbase_odds = 1\n'
            'points_to_double_odds = 1\ncharacteristics = ["months_active"]\n')
    with pytest.raises(InvalidInput, match=r"merchant\.characteristics\.0 must be a table"):
        load_scorecard(card)
