"""Records in: a merchant's transaction records and a consumer's income records,
checked line by line and field by field, and their summary."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from dunwell.core.errors import InvalidInput
from dunwell.origination.features import merchant_features, summarise
from dunwell.origination.model import TransactionKind
from dunwell.origination.records import (
    RECORD_LINES_MAX,
    LineCode,
    MerchantRecord,
    RecordRules,
    income_history_minor,
    income_summary,
    merchant_summary,
    peak_to_trough_pct,
    validate_income_records,
    validate_merchant_records,
)

TODAY = dt.date(2025, 6, 30)
RULES = RecordRules(currency="CNY", business_date=TODAY, history_days_max=365)


def row(tx: str, on: str, amount: str, currency: str = "CNY", kind: str = "") -> dict[str, str]:
    return {"transaction_id": tx, "date": on, "amount": amount, "currency": currency,
            "kind": kind}


def test_a_good_file_is_accepted_whole_and_dates_sales_by_default() -> None:
    result = validate_merchant_records(
        [row("t1", "2025-01-10", "100.50"), row("t2", "2025-01-11", "20", kind="refund"),
         row("t3", "2025-06-30T09:00:00", "5.00", kind="SALE")], rules=RULES)
    assert result.rejected == () and result.already_stored == 0 and result.lines == 3
    assert result.accepted[0] == MerchantRecord("t1", dt.date(2025, 1, 10), 10_050,
                                                TransactionKind.SALE)
    assert result.accepted[1].kind is TransactionKind.REFUND
    assert result.accepted[2].on == TODAY


def test_each_wrong_field_is_named_with_its_line_and_the_other_lines_go_in() -> None:
    rows = [row("t1", "2025-01-10", "100.00"),
            row("", "2025-13-01", "abc", currency="USD", kind="gift"),
            row("t3", "2023-01-10", "0"),
            row("t4", "2025-07-02", "1.234")]
    result = validate_merchant_records(rows, rules=RULES)
    assert [r.transaction_id for r in result.accepted] == ["t1"]
    got = {(e.line, e.field, e.code) for e in result.rejected}
    assert got == {
        (3, "transaction_id", LineCode.FIELD_PRESENT), (3, "date", LineCode.DATE_ISO),
        (3, "amount", LineCode.AMOUNT_DECIMAL), (3, "currency", LineCode.CURRENCY_BOOK),
        (3, "kind", LineCode.KIND_KNOWN),
        (4, "date", LineCode.DATE_IN_RANGE), (4, "amount", LineCode.AMOUNT_IN_LIMITS),
        (5, "date", LineCode.DATE_IN_RANGE), (5, "amount", LineCode.AMOUNT_DECIMAL)}
    assert result.rejected_lines == (3, 4, 5)
    in_range = next(e for e in result.rejected if e.line == 5 and e.field == "date")
    assert "2024-06-30 to 2025-07-01" in in_range.message  # a day of slack


def test_a_repeated_id_is_rejected_and_a_stored_one_skipped_so_reimport_is_idempotent() -> None:
    rows = [row("t1", "2025-01-10", "1"), row("t2", "2025-01-10", "1"),
            row("t1", "2025-01-11", "2")]
    first = validate_merchant_records(rows, rules=RULES)
    assert [r.transaction_id for r in first.accepted] == ["t1", "t2"]
    assert [(e.line, e.code) for e in first.rejected] == [(4, LineCode.ID_UNIQUE)]
    again = validate_merchant_records(rows, rules=RULES,
                                      known_ids={r.transaction_id for r in first.accepted})
    assert again.accepted == () and again.already_stored == 2


def test_line_numbers_follow_the_reader() -> None:
    result = validate_merchant_records([row("t1", "x", "1")], rules=RULES, first_line=1)
    assert result.rejected[0].line == 1


def test_a_file_too_long_is_refused_before_any_line_is_read() -> None:
    class Huge(list[dict[str, str]]):
        def __len__(self) -> int:
            return RECORD_LINES_MAX + 1

    try:
        validate_merchant_records(Huge(), rules=RULES)
    except InvalidInput as exc:
        assert exc.code == "record_lines_must_not_exceed_maximum"
    else:
        raise AssertionError("a file beyond the maximum must be refused")


def test_the_summary_counts_the_span_its_gaps_turnover_and_seasonality() -> None:
    rows = [row("a", "2025-01-05", "1000"), row("b", "2025-01-20", "100", kind="refund"),
            row("c", "2025-02-05", "2000"), row("d", "2025-04-05", "3000")]
    summary = merchant_summary(validate_merchant_records(rows, rules=RULES).accepted)
    assert summary.first_month == dt.date(2025, 1, 1)
    assert summary.last_month == dt.date(2025, 4, 1)
    assert summary.months_active == 4 and summary.months_with_records == 3
    assert summary.gap_months == (dt.date(2025, 3, 1),)
    assert summary.turnover_minor == 590_000  # 900 + 2000 + 0 + 3000
    assert summary.monthly_turnover_minor == 147_500
    assert summary.peak_to_trough_pct == 1000  # a month with nothing: the cap
    assert summary.seasonality_cv_bps > 0


def test_the_summary_of_nothing_is_empty() -> None:
    assert merchant_summary([]).months_active == 0


def test_even_sales_have_no_seasonality() -> None:
    rows = [row(f"t{m}", f"2025-0{m}-01", "500") for m in range(1, 6)]
    summary = merchant_summary(validate_merchant_records(rows, rules=RULES).accepted)
    assert summary.seasonality_cv_bps == 0 and summary.peak_to_trough_pct == 100
    assert summary.gap_months == ()


def test_income_records_take_months_and_fill_a_gap_with_nothing() -> None:
    rows = [{"record_id": "i1", "month": "2025-01", "amount": "8000", "currency": "CNY"},
            {"record_id": "i2", "month": "2025-03-15", "amount": "8000", "currency": "CNY"},
            {"record_id": "i3", "month": "2025-03", "amount": "500", "currency": "CNY"},
            {"record_id": "i4", "month": "2025-1", "amount": "1", "currency": "CNY"},
            {"record_id": "i5", "month": "2023-01", "amount": "1", "currency": "CNY"}]
    result = validate_income_records(rows, rules=RULES)
    assert [(e.line, e.field, e.code) for e in result.rejected] == [
        (5, "month", LineCode.DATE_ISO), (6, "month", LineCode.DATE_IN_RANGE)]
    assert income_history_minor(result.accepted) == (800_000, 0, 850_000)
    summary = income_summary(result.accepted)
    assert summary.gap_months == (dt.date(2025, 2, 1),)
    assert summary.turnover_minor == 1_650_000


def test_an_income_month_partly_in_range_is_taken() -> None:
    rules = RecordRules("CNY", TODAY, history_days_max=10)  # earliest 2025-06-20
    ok = validate_income_records(
        [{"record_id": "i", "month": "2025-06", "amount": "1", "currency": "CNY"}], rules=rules)
    assert ok.rejected == ()


def test_peak_to_trough_is_capped_and_one_month_is_even() -> None:
    assert peak_to_trough_pct([5]) == 100
    assert peak_to_trough_pct([100, 300]) == 300
    assert peak_to_trough_pct([100, 100_000]) == 1000


@given(st.lists(st.tuples(st.integers(0, 364), st.integers(1, 10**9), st.booleans()),
                max_size=40))
def test_every_line_is_either_accepted_or_rejected_and_the_summary_matches_the_features(
        lines: list[tuple[int, int, bool]]) -> None:
    rows = [row(f"t{k % 30}", (TODAY - dt.timedelta(days=d)).isoformat(), str(a),
                kind="refund" if refund else "sale") for k, (d, a, refund) in enumerate(lines)]
    result = validate_merchant_records(rows, rules=RULES)
    assert len(result.accepted) + len(result.rejected_lines) == len(rows)
    ids = [r.transaction_id for r in result.accepted]
    assert len(ids) == len(set(ids))
    summary = merchant_summary(result.accepted)
    features = merchant_features(summarise(r.transaction for r in result.accepted))
    assert summary.months_active == features.months_active
    assert summary.seasonality_cv_bps == features.volatility_bps
    assert summary.peak_to_trough_pct == features.seasonality_pct
    assert summary.months_with_records + len(summary.gap_months) == summary.months_active
    assert summary.turnover_minor == sum(
        r.amount_minor * (1 if r.kind is TransactionKind.SALE else -1) for r in result.accepted)


@given(st.text(max_size=12), st.text(max_size=12))
def test_any_text_in_date_and_amount_is_a_named_field_error_never_a_crash(
        on: str, amount: str) -> None:
    result = validate_merchant_records([row("t", on, amount)], rules=RULES)
    assert len(result.accepted) + len(result.rejected_lines) == 1
    assert all(e.field in {"date", "amount"} for e in result.rejected)
