"""A decision's answer is written straight from the decision (``decision_json``) with
the same bytes the response model wrote (``decision_out(...).model_dump_json()``):
every outcome, grade, amount, reason (the catalogue's words and a model's own, in
both languages) and any text a name or a model's words may hold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.api.views import decision_json, decision_out
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Decision,
    Effect,
    Outcome,
    Purpose,
    Reason,
)
from dunwell.store.origination_repo import StoredApplication

#: Codes the wording catalogue knows, and ones it does not (worded as a model's).
CODES = ("risk_grade", "trend_bps", "volatility_bps", "months_active", "thin_file",
         "existing_debt_too_high", "amount_sized_down", "limit_caps_amount",
         "instalment_unaffordable", "model.refund_rate", "model.x_y")
ADVICE = ("existing_debt_too_high", "thin_file", "amount_sized_down", "instalment_unaffordable",
          "risk_too_high", "unknown_code")
LANGS = ("en", "zh-CN", "zh", "", "fr")

texts = st.text(max_size=12)
reasons = st.builds(
    Reason, code=st.sampled_from(CODES), effect=st.sampled_from(list(Effect)), value=texts,
    impact=st.integers(-100, 100),
    texts=st.lists(st.tuples(st.sampled_from(("en", "zh-CN")), texts), max_size=2).map(tuple))
decisions = st.builds(
    Decision, outcome=st.sampled_from(list(Outcome)),
    grade=st.none() | st.sampled_from(("A", "B", "C", "D")),
    pd_bps=st.none() | st.integers(-10_000, 10_000),
    requested_minor=st.integers(0, 10**15), approved_minor=st.integers(0, 10**15),
    limit_minor=st.integers(-10**6, 10**15),
    annual_rate=st.none() | st.sampled_from((Decimal("0.108"), Decimal("0.1080"),
                                              Decimal("0.24"), Decimal("1E-3"))),
    term_options=st.lists(st.integers(1, 36), max_size=4).map(tuple),
    reasons=st.lists(reasons, max_size=6).map(tuple),
    advice=st.lists(st.sampled_from(ADVICE), max_size=5).map(tuple),
    cash_flow_minor=st.integers(-10**9, 10**12), existing_payments_minor=st.integers(0, 10**9),
    dsr_bps=st.none() | st.integers(-10**6, 10**6))


@settings(deadline=None, max_examples=300)
@given(decision=decisions, kind=st.sampled_from(list(ApplicantKind)), name=texts,
       reference=texts, language=st.sampled_from(LANGS),
       currency=st.sampled_from(("CNY", "JPY", "USD")),
       line=st.none() | st.integers(1, 2**63 - 1), model=texts)
def test_the_answer_is_the_response_models_bytes(decision: Decision, kind: ApplicantKind,
                                                 name: str, reference: str, language: str,
                                                 currency: str, line: int | None,
                                                 model: str) -> None:
    stored = StoredApplication(
        7, "key", "f" * 64, 3, Applicant(kind, reference, name, language),
        dt.date(2025, 1, 15), currency, 12, Purpose.WORKING_CAPITAL, language, decision,
        model, line)
    assert decision_json(stored) == decision_out(stored).model_dump_json().encode()


def test_a_stored_decision_is_written_the_same() -> None:
    """The documented answer (docs/origination.md, API), written both ways."""
    reasons = (Reason("risk_grade", Effect.HELPS, "A"),
               Reason("trend_bps", Effect.HELPS, "1.6%", 12),
               Reason("months_active", Effect.HURTS, "12", -8))
    decision = Decision(Outcome.APPROVE, "A", 54, 5_000_000, 5_000_000, 9_120_000,
                        Decimal("0.108"), (12,), reasons, (), 3_040_000, 200_000, 2111)
    stored = StoredApplication(
        1, "app-2025-0001", "0" * 64, 1, Applicant(ApplicantKind.MERCHANT, "m-1001",
                                                   "Noodle House", "en"),
        dt.date(2025, 1, 15), "CNY", 12, Purpose.WORKING_CAPITAL, "en", decision,
        "builtin-scorecard-1", 1)
    written = decision_json(stored)
    assert written == decision_out(stored).model_dump_json().encode()
    assert written.startswith(b'{"application_id":1,"applicant":{"kind":"merchant",'
                              b'"reference":"m-1001","name":"Noodle House"},'
                              b'"business_date":"2025-01-15","outcome":"approve","grade":"A",'
                              b'"probability_of_default":"0.0054"')
