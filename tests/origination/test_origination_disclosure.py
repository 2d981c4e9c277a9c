"""Clear cost before acceptance: the all-in annual cost the cost cap holds a loan to,
the total to repay and the schedule, labelled in en and zh-CN, and the cooling-off
window by jurisdiction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.lending.cost import contract_cost, origination_fee, rate_ppm, within_cap
from dunwell.lending.model import Fees
from dunwell.lending.products import builtin_products
from dunwell.lending.schedules import product_schedule
from dunwell.origination.disclosure import (
    Method,
    builtin_disclosure_rules,
    check_accepted,
    disclose,
    load_disclosure_rules,
    may_cancel,
    product_for,
    render,
    terms_fingerprint,
)
from dunwell.origination.model import ApplicantKind
from dunwell.origination.policy import builtin_policy

START = dt.date(2025, 1, 15)
PRODUCTS = builtin_products()
POLICY = builtin_policy()
MERCHANT, CONSUMER = ApplicantKind.MERCHANT, ApplicantKind.CONSUMER


def test_instalments_over_twelve_months_show_cost_total_and_schedule() -> None:
    product = product_for(POLICY, PRODUCTS, kind=MERCHANT, term_months=12,
                          method=Method.INSTALMENTS)
    d = disclose(product=product, amount_minor=2_890_000, term_months=12, start=START,
                 kind=MERCHANT, jurisdiction="CN")
    assert d.method is Method.INSTALMENTS and len(d.rows) == 12
    assert d.interest_minor == sum(r.interest_minor for r in d.rows) == 289_463
    assert d.total_to_repay_minor == 2_890_000 + 289_463 == sum(r.total_minor for r in d.rows)
    assert d.annual_cost_ppm == 180_694 and d.cost_cap_ppm == 240_000
    assert d.cancel_until == dt.date(2025, 1, 22)  # CN: the lender's 7 days
    assert d.monthly_repayment_minor == 264_958


def test_one_sum_is_the_bullet_product_and_other_terms_say_where_it_is_offered() -> None:
    product = product_for(POLICY, PRODUCTS, kind=MERCHANT, term_months=1, method=Method.ONE_SUM)
    d = disclose(product=product, amount_minor=1_000_000, term_months=1, start=START,
                 kind=MERCHANT, jurisdiction=None)
    assert d.method is Method.ONE_SUM and len(d.rows) == 1 and d.cancel_until is None
    with pytest.raises(InvalidInput) as caught:
        product_for(POLICY, PRODUCTS, kind=MERCHANT, term_months=12, method=Method.ONE_SUM)
    assert caught.value.code == "repayment_method_must_be_offered_for_term"
    assert "1 months" in caught.value.message
    with pytest.raises(InvalidInput) as term:
        product_for(POLICY, PRODUCTS, kind=CONSUMER, term_months=12, method=Method.INSTALMENTS)
    assert term.value.code == "term_must_be_offered"
    with pytest.raises(InvalidInput) as missing:
        product_for(POLICY, {}, kind=MERCHANT, term_months=12, method=Method.INSTALMENTS)
    assert missing.value.code == "product_must_exist"


def test_the_fee_is_what_the_cap_leaves_and_is_charged_with_the_first_instalment() -> None:
    base = PRODUCTS["merchant_annuity_12m"]
    greedy = dataclasses.replace(base, fees=Fees(origination_minor=10_000_000))
    d = disclose(product=greedy, amount_minor=1_000_000, term_months=12, start=START,
                 kind=MERCHANT, jurisdiction="CN")
    assert 0 < d.fee_minor < 10_000_000
    assert d.rows[0].fee_minor == d.fee_minor and all(r.fee_minor == 0 for r in d.rows[1:])
    assert d.annual_cost_ppm <= d.cost_cap_ppm


def test_the_cooling_off_window_follows_the_jurisdiction_and_the_borrower() -> None:
    rules = builtin_disclosure_rules()
    assert rules.window("UK").days == 14 and rules.window("EU").days == 14
    assert rules.window("CN-PRIVATE") == rules.window("CN")
    assert rules.window("US-NY").days == 0 and rules.window("XX").days == 0
    product = PRODUCTS["consumer_equal_principal_6m"]
    uk_consumer = disclose(product=product, amount_minor=500_000, term_months=6, start=START,
                           kind=CONSUMER, jurisdiction="UK")
    assert uk_consumer.cancel_until == dt.date(2025, 1, 29)
    uk_company = disclose(product=product, amount_minor=500_000, term_months=6, start=START,
                          kind=MERCHANT, jurisdiction="UK")
    assert uk_company.cancel_until is None


def test_the_disclosure_reads_in_english_and_chinese_with_the_same_fields() -> None:
    d = disclose(product=PRODUCTS["merchant_annuity_12m"], amount_minor=2_890_000,
                 term_months=12, start=START, kind=MERCHANT, jurisdiction="CN")
    en, zh = render(d, "en"), render(d, "zh-CN")
    assert en["language"] == "en" and zh["language"] == "zh-CN"
    en_fields = {f["key"]: f for f in en["fields"]}  # type: ignore[attr-defined]
    zh_fields = {f["key"]: f for f in zh["fields"]}  # type: ignore[attr-defined]
    assert en_fields.keys() == zh_fields.keys()
    assert en_fields["annual_cost"]["value"] == "18.07%" == zh_fields["annual_cost"]["value"]
    assert en_fields["total_to_repay"]["value"] == "31794.63 CNY"
    assert zh_fields["total_to_repay"]["label"] == "应还总额"
    assert "at no cost" in en["cooling_off"]["text"]  # type: ignore[index]
    assert "2025-01-22" in zh["cooling_off"]["text"]  # type: ignore[index]
    assert len(en["schedule"]["rows"]) == 12  # type: ignore[index]


@pytest.mark.parametrize(("text", "field"), [
    ("[cooling_off.X]\ndays = -1\ncharges='none'", "cooling_off.X.days"),
    ("[cooling_off.X]\ndays = 1\ncharges='some'", "cooling_off.X.charges"),
    ("[cooling_off.X]\ndays = 1\ncharges='none'\nkinds=['bank']", "cooling_off.X.kinds"),
    ("[labels.en]\na='x'", "labels"),
    ("[labels.en]\na='x'\n[labels.zh-CN]\nb='y'", "labels"),
])
def test_a_bad_disclosure_file_is_named(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_disclosure_rules(text)
    assert caught.value.code == "disclosure_rules_must_be_valid"
    assert caught.value.details["field"] == field


@settings(max_examples=60)
@given(st.sampled_from(sorted(PRODUCTS)), st.integers(100_00, 1_000_000_00),
       st.integers(0, 200_000), st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)))
def test_the_cost_shown_is_the_cost_cap_measure_on_the_booked_schedule(
        code: str, amount: int, fee: int, start: dt.date) -> None:
    product = dataclasses.replace(PRODUCTS[code], fees=Fees(origination_minor=fee))
    term = product.term_months_min
    d = disclose(product=product, amount_minor=amount, term_months=term, start=start,
                 kind=MERCHANT, jurisdiction="CN")
    schedule = product_schedule(product, principal_minor=amount, periods=term, start=start)
    cap = rate_ppm(product.cost_cap_annual)
    charged = origination_fee(schedule, start_day=to_day(start), product_fee_minor=fee,
                              cap_ppm=cap)
    cost = contract_cost(schedule, start_day=to_day(start), fee_minor=charged.fee_minor)
    assert d.annual_cost_ppm == cost.annual_cost_ppm
    assert d.fee_minor == charged.fee_minor
    assert within_cap(cost.charges_minor, cost.exposure_minor_days, cap)
    assert d.annual_cost_ppm <= d.cost_cap_ppm
    assert d.total_to_repay_minor == sum(r.total_minor for r in d.rows)
    assert sum(r.principal_minor for r in d.rows) == amount
    assert d.annual_rate == product.annual_rate and isinstance(d.annual_rate, Decimal)


def test_acceptance_holds_only_for_the_terms_shown_and_cancelling_for_the_window() -> None:
    product = PRODUCTS["merchant_annuity_12m"]
    shown = disclose(product=product, amount_minor=2_890_000, term_months=12, start=START,
                     kind=MERCHANT, jurisdiction="CN")
    accepted = terms_fingerprint(shown)
    check_accepted(disclose(product=product, amount_minor=2_890_000, term_months=12,
                            start=START, kind=MERCHANT, jurisdiction="CN"), accepted)
    later = disclose(product=product, amount_minor=2_890_000, term_months=12,
                     start=START + dt.timedelta(days=1), kind=MERCHANT, jurisdiction="CN")
    with pytest.raises(Conflict) as caught:
        check_accepted(later, accepted)
    assert caught.value.code == "accepted_terms_must_match_disclosure"
    assert may_cancel(shown, dt.date(2025, 1, 22)) and not may_cancel(shown, dt.date(2025, 1, 23))
    assert not may_cancel(dataclasses.replace(shown, cancel_until=None), START)
