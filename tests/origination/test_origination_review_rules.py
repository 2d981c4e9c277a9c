"""The credit review against over-indebtedness: debt service with debts elsewhere, a
cap on concurrent loans, cooling-off after a decline or a default, a stricter review
for first-time and thin-file borrowers — each rule data with its reason code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.core.errors import DomainError, InvalidInput
from dunwell.origination.bureau import BureauDebt, BureauReport, DebtStatus, reports_from_rows
from dunwell.origination.credit_review import (
    Applicant,
    OwnHistory,
    Verdict,
    builtin_rules,
    debts_elsewhere_minor,
    explain_review,
    load_rules,
    review,
)
from dunwell.origination.ports import Bureau
from dunwell.origination.wording import catalogue
from dunwell.providers.bureau_file import FileBureau

TODAY = dt.date(2025, 6, 30)
RULES = builtin_rules()


def debt(payment: int, status: DebtStatus = DebtStatus.OPEN,
         defaulted_on: dt.date | None = None) -> BureauDebt:
    return BureauDebt("Other Bank", f"acc-{payment}", status, "CNY", payment, payment * 10,
                      dt.date(2024, 1, 1), defaulted_on)


def report(*debts: BureauDebt) -> BureauReport:
    return BureauReport("m-1", "test", TODAY, debts)


def seasoned(**changes: object) -> Applicant:
    """A borrower with a year of records, a past loan with us and a clean report:
    cash flow 10,000.00, a new payment of 2,000.00 (20 %)."""
    base = Applicant(on=TODAY, cash_flow_minor=1_000_000, new_payment_minor=200_000,
                     declared_debt_payments_minor=0, history_months=12,
                     own=OwnHistory(loans_ever=1), bureau=report(debt(100_000)))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_seasoned_borrower_within_every_rule_passes_and_is_told_why() -> None:
    result = review(seasoned())
    assert result.verdict is Verdict.PASS
    assert result.dsr_bps == 3000 and result.dsr_max_bps == 5000  # (2,000 + 1,000) / 10,000
    assert all(c.held for c in result.checks)
    assert explain_review(result, "en") == (
        "Your monthly debt payments, with this loan, would take 30.0% of your cash flow: "
        "within what we allow.",)


def test_debts_elsewhere_are_the_larger_of_declared_and_reported_never_both() -> None:
    assert debts_elsewhere_minor(seasoned(declared_debt_payments_minor=50_000)) == 100_000
    assert debts_elsewhere_minor(seasoned(declared_debt_payments_minor=150_000)) == 150_000
    assert debts_elsewhere_minor(seasoned(bureau=report(debt(100_000, DebtStatus.CLOSED)))) == 0


def test_debt_service_beyond_the_limit_declines_counting_our_own_loans() -> None:
    result = review(seasoned(own=OwnHistory(loans_ever=2, open_loans=1,
                                            monthly_payments_minor=250_000)))
    assert result.verdict is Verdict.DECLINE
    assert result.dsr_bps == 5500
    assert [r.code for r in result.reasons] == ["debt_service_too_high"]
    assert "55.0%" in explain_review(result, "zh-CN")[0]


def test_no_cash_flow_is_never_within_the_debt_service_limit() -> None:
    result = review(seasoned(cash_flow_minor=0))
    assert result.verdict is Verdict.DECLINE and result.dsr_bps is None


def test_too_many_loans_open_at_once_declines() -> None:
    result = review(seasoned(new_payment_minor=1, own=OwnHistory(loans_ever=3, open_loans=2),
                             bureau=report(debt(1), debt(2))))
    assert result.concurrent_loans == 5
    assert [r.code for r in result.reasons] == ["too_many_loans"]


def test_a_recent_decline_or_default_means_waiting_until_the_date_named() -> None:
    declined = review(seasoned(own=OwnHistory(loans_ever=1,
                                              last_decline_on=dt.date(2025, 6, 10))))
    assert declined.verdict is Verdict.DECLINE
    assert declined.cooling_off_until == dt.date(2025, 7, 10)
    assert "2025-07-10" in explain_review(declined, "en")[0]
    after = review(seasoned(own=OwnHistory(loans_ever=1, last_decline_on=dt.date(2025, 5, 31))))
    assert after.verdict is Verdict.PASS
    reported = review(seasoned(bureau=report(debt(0, DebtStatus.DEFAULTED,
                                                  dt.date(2025, 1, 1)))))
    assert [r.code for r in reported.reasons] == ["cooling_off_after_default"]
    assert reported.cooling_off_until == dt.date(2026, 1, 1)


def test_a_first_time_borrower_is_held_to_a_lower_debt_service_limit() -> None:
    first = seasoned(own=OwnHistory(), bureau=report(), new_payment_minor=450_000)
    result = review(first)
    assert result.dsr_max_bps == 4000 and result.verdict is Verdict.DECLINE
    assert "debt_service_too_high" in [r.code for r in result.reasons]
    assert review(dataclasses.replace(first, new_payment_minor=350_000)).verdict is Verdict.PASS


def test_a_thin_file_is_referred_to_a_person_on_a_lower_limit() -> None:
    thin = review(seasoned(history_months=4, new_payment_minor=200_000))
    assert thin.verdict is Verdict.REFER and thin.dsr_max_bps == 3500
    assert [r.code for r in thin.reasons] == ["thin_file_borrower"]
    unknown_to_bureau = review(seasoned(bureau=None))
    assert unknown_to_bureau.verdict is Verdict.REFER
    no_bureau = dataclasses.replace(RULES, thin_file=dataclasses.replace(
        RULES.thin_file, without_bureau_report=False))
    assert review(seasoned(bureau=None), no_bureau).verdict is Verdict.PASS


def test_a_decline_outranks_a_referral() -> None:
    result = review(seasoned(history_months=2, cash_flow_minor=100))
    assert result.verdict is Verdict.DECLINE
    assert {r.code for r in result.reasons} == {"debt_service_too_high", "thin_file_borrower"}


def test_every_rule_has_words_in_both_languages() -> None:
    words = catalogue()
    for rule in dataclasses.astuple(RULES):
        code = rule[0]
        for texts in words[code].values():
            assert set(texts) == {"en", "zh-CN"}, code
    assert set(words["credit_review_passed"]["helps"]) == {"en", "zh-CN"}


@pytest.mark.parametrize(("text", "field"), [
    ("[debt_service]\ncode='x'\naction='maybe'\ndsr_max_bps=1", "debt_service.action"),
    ("[debt_service]\ncode='x'\naction='decline'\ndsr_max_bps=-1", "debt_service.dsr_max_bps"),
    ("debt_service = 1", "debt_service"),
    ("[[", "file"),
    ("[debt_service]\ncode='x'\naction='refer'\ndsr_max_bps=1\nwithout_bureau_report=1",
     "debt_service.without_bureau_report"),
])
def test_a_bad_rules_file_is_named_by_its_field(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_rules(text)
    assert caught.value.code == "credit_review_rules_must_be_valid"
    assert caught.value.details["field"] == field


@given(st.integers(1, 10**8), st.integers(0, 10**7), st.integers(0, 10**7),
       st.integers(0, 10**7), st.integers(0, 24))
def test_the_verdict_is_never_milder_than_a_failing_rule_and_the_dsr_limit_is_the_lowest(
        cash_flow: int, new: int, declared: int, own: int, months: int) -> None:
    applicant = seasoned(cash_flow_minor=cash_flow, new_payment_minor=new,
                         declared_debt_payments_minor=declared, history_months=months,
                         own=OwnHistory(loans_ever=1, open_loans=1, monthly_payments_minor=own))
    result = review(applicant)
    assert result.dsr_max_bps <= RULES.debt_service.limit
    failed = [c for c in result.checks if not c.held]
    if any(c.action is Verdict.DECLINE for c in failed):
        assert result.verdict is Verdict.DECLINE
    assert (result.verdict is Verdict.PASS) == (not failed or all(
        c.action is Verdict.PASS for c in failed))
    # more debt never turns a decline into a pass
    heavier = review(dataclasses.replace(applicant, new_payment_minor=new + 1))
    assert not (result.verdict is Verdict.DECLINE and heavier.verdict is Verdict.PASS)


# --- bureau records and the file provider ----------------------------------------------

ROWS = [
    {"reference": "m-1", "lender": "Bank A", "account_id": "a1", "status": "open",
     "currency": "CNY", "monthly_payment": "1200.00", "outstanding": "10000",
     "opened_on": "2024-03-01"},
    {"reference": "m-1", "lender": "Bank B", "account_id": "b1", "status": "defaulted",
     "currency": "CNY", "monthly_payment": "0", "outstanding": "800",
     "opened_on": "2023-01-01", "defaulted_on": "2024-09-30"},
    {"reference": "c-2", "lender": "Bank A", "account_id": "a2", "status": "closed",
     "currency": "CNY", "monthly_payment": "", "outstanding": "", "opened_on": "2022-01-01"},
]


def test_bureau_rows_become_each_borrowers_report() -> None:
    reports = reports_from_rows(ROWS, currency="CNY", source="test", as_of=TODAY)
    m1 = reports["m-1"]
    assert m1.monthly_payments_minor == 120_000
    assert m1.last_default_on == dt.date(2024, 9, 30)
    assert len(m1.open_debts) == 1
    assert reports["c-2"].monthly_payments_minor == 0 and reports["c-2"].debts


@pytest.mark.parametrize(("change", "field"), [
    ({"status": "late"}, "0.status"), ({"currency": "USD"}, "0.currency"),
    ({"monthly_payment": "-1"}, "0.monthly_payment"), ({"opened_on": "soon"}, "0.opened_on"),
    ({"status": "defaulted"}, "0.defaulted_on"), ({"lender": ""}, "0.lender"),
    ({"outstanding": "1.234"}, "0.outstanding"),
])
def test_a_wrong_bureau_record_is_refused_naming_the_record_and_field(
        change: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        reports_from_rows([ROWS[0] | change], currency="CNY", source="t", as_of=TODAY)
    assert caught.value.code == "bureau_record_must_be_valid"
    assert caught.value.details["field"] == field


def test_the_file_bureau_reads_json_with_its_date(tmp_path: Path) -> None:
    path = tmp_path / "bureau.json"
    path.write_text(json.dumps({"as_of": "2025-06-01", "records": ROWS}), encoding="utf-8")
    bureau: Bureau = FileBureau(path)
    found = bureau.report("m-1", currency="CNY", as_of=TODAY)
    assert found is not None and found.as_of == dt.date(2025, 6, 1)
    assert found.source == "file:bureau.json" == bureau.name
    assert bureau.report("nobody", currency="CNY", as_of=TODAY) is None
    assert review(seasoned(bureau=found)).verdict is Verdict.DECLINE  # defaulted 2024-09-30


def test_the_file_bureau_reads_csv_and_a_plain_json_list(tmp_path: Path) -> None:
    header = ["reference", "lender", "account_id", "status", "currency", "monthly_payment",
              "outstanding", "opened_on", "defaulted_on"]
    lines = [",".join(header)] + [",".join(str(r.get(h, "")) for h in header) for r in ROWS]
    csv_path = tmp_path / "bureau.csv"
    csv_path.write_text("\n".join(lines).replace("Bank A", '"Bank A, Ltd"'), encoding="utf-8")
    json_path = tmp_path / "list.json"
    json_path.write_text(json.dumps(ROWS), encoding="utf-8")
    for path in (csv_path, json_path):
        found = FileBureau(path).report("m-1", currency="CNY", as_of=TODAY)
        assert found is not None and found.monthly_payments_minor == 120_000
        assert found.as_of == TODAY


@pytest.mark.parametrize(("content", "code"), [
    (None, "bureau_file_must_exist"), ("{not json", "bureau_file_must_be_valid"),
    ('{"records": 3}', "bureau_file_must_be_valid"),
    ('{"as_of": "later", "records": []}', "bureau_file_must_be_valid"),
    ('[{"reference": "x"}]', "bureau_record_must_be_valid"),
])
def test_a_missing_or_wrong_bureau_file_fails_with_a_code(tmp_path: Path, content: str | None,
                                                           code: str) -> None:
    path = tmp_path / "bureau.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DomainError) as caught:
        FileBureau(path).report("x", currency="CNY", as_of=TODAY)
    assert caught.value.code == code
