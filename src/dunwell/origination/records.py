"""Records in: a merchant's transaction records and a consumer's income records, as a
file reader hands them over (one mapping of column name to text per line), checked
line by line and field by field, and summed up.

**Merchant transaction records** carry ``transaction_id``, ``date`` (ISO),
``amount`` (a positive decimal in major units), ``currency`` and ``kind`` (``sale``,
the default when the column is absent or empty, or ``refund``). **Income records**
carry ``record_id``, ``month`` (``YYYY-MM`` or an ISO date in the month), ``amount``
and ``currency``.

Every line is checked on its own; a line with any wrong field is rejected with one
:class:`LineError` per wrong field (its line number, the field, a code saying what
must be true, and a message), and the other lines are accepted:

- ``record_field_must_be_present`` — a required column is missing or empty;
- ``record_date_must_be_iso_date`` — the date is not ``YYYY-MM-DD`` (``YYYY-MM`` for
  an income month);
- ``record_date_must_be_within_range`` — the date lies more than
  ``history_days_max`` days before the business date, before
  :data:`~dunwell.core.limits.DATE_MIN`, or after the business date plus
  :data:`~dunwell.core.limits.FUTURE_SLACK_DAYS`;
- ``record_amount_must_be_decimal`` — the amount is not a decimal number, or has
  more decimals than the currency;
- ``record_amount_must_be_within_limits`` — the amount is not from one minor unit to
  :data:`~dunwell.core.limits.AMOUNT_MINOR_MAX`;
- ``record_currency_must_match_book`` — the currency is not the book's;
- ``record_kind_must_be_sale_or_refund``;
- ``record_id_must_be_unique_in_file`` — an id already taken by an earlier accepted
  line of the file (the first one is kept).

An id already stored (``known_ids``) is not an error: the line is *skipped* (counted
in :attr:`Validated.already_stored`), so importing the same file twice stores
nothing the second time.

**The summary** (:func:`merchant_summary`) is over the active span, the first to the
last calendar month with a record: ``months_active`` (the span's length),
``months_with_records``, ``gap_months`` (months inside the span with no record),
``turnover_minor`` (net sales, sales less refunds, over the span),
``monthly_turnover_minor`` (its mean per month of the span, rounded down), and
seasonality over the last :data:`~dunwell.origination.features.WINDOW_MONTHS` months
of the span, two ways: ``seasonality_cv_bps``, the coefficient of variation
(population standard deviation over the mean) of monthly net turnover, and
``peak_to_trough_pct``, the best month over the weakest x100 (capped at
:data:`~dunwell.origination.features.SEASONALITY_CAP_PCT`; the cap when the weakest
month is zero or negative). The same measures as the decision's features
(:mod:`.features`), so what a merchant is shown is what it is judged on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import Generic, TypeVar

from dunwell.core.errors import InvalidInput
from dunwell.core.limits import AMOUNT_MINOR_MAX, DATE_MIN, latest_record_date
from dunwell.core.money import exponent_of
from dunwell.origination.features import (
    SEASONALITY_CAP_PCT,
    VOLATILITY_CAP_BPS,
    WINDOW_MONTHS,
    coefficient_of_variation_bps,
    monthly_series,
    summarise,
)
from dunwell.origination.model import MonthSummary, Transaction, TransactionKind

#: Lines one file may carry; a bigger file is refused whole, before any line is read.
RECORD_LINES_MAX = 1_000_000
#: How far back a record may go by default: ten years before the business date.
HISTORY_DAYS_MAX = 3_653

R = TypeVar("R")
#: The longest record id taken.
RECORD_ID_CHARS_MAX = 128


class LineCode(StrEnum):
    """What must be true of each line of a records file."""

    FIELD_PRESENT = "record_field_must_be_present"
    DATE_ISO = "record_date_must_be_iso_date"
    DATE_IN_RANGE = "record_date_must_be_within_range"
    AMOUNT_DECIMAL = "record_amount_must_be_decimal"
    AMOUNT_IN_LIMITS = "record_amount_must_be_within_limits"
    CURRENCY_BOOK = "record_currency_must_match_book"
    KIND_KNOWN = "record_kind_must_be_sale_or_refund"
    ID_UNIQUE = "record_id_must_be_unique_in_file"
    ID_LENGTH = "record_id_must_be_at_most_128_characters"


@dataclass(frozen=True, slots=True)
class LineError:
    """One wrong field of one line: ``line`` counts as the file does (a CSV's header is
    line 1, its first record line 2; pass ``first_line=1`` for a Parquet row index)."""

    line: int
    field: str
    code: LineCode
    message: str


@dataclass(frozen=True, slots=True)
class RecordRules:
    """What a records file is held to: the book's currency, its business date, and how
    far back a record may go."""

    currency: str
    business_date: dt.date
    history_days_max: int = HISTORY_DAYS_MAX

    @property
    def earliest(self) -> dt.date:
        return max(DATE_MIN, self.business_date - dt.timedelta(days=self.history_days_max))

    @property
    def latest(self) -> dt.date:
        return latest_record_date(self.business_date)


@dataclass(frozen=True, slots=True)
class MerchantRecord:
    transaction_id: str
    on: dt.date
    amount_minor: int
    kind: TransactionKind

    @property
    def transaction(self) -> Transaction:
        return Transaction(self.on, self.amount_minor, self.kind)


@dataclass(frozen=True, slots=True)
class IncomeRecord:
    record_id: str
    month: dt.date  # the 1st of the month
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Validated(Generic[R]):
    """A file's lines sorted out: records to store, lines rejected (one error per wrong
    field), and how many lines were skipped because their id is already stored."""

    accepted: tuple[R, ...]
    rejected: tuple[LineError, ...]
    already_stored: int
    lines: int

    @property
    def rejected_lines(self) -> tuple[int, ...]:
        return tuple(sorted({e.line for e in self.rejected}))


Row = Mapping[str, object]


def _text(row: Row, field: str) -> str:
    value = row.get(field)
    return "" if value is None else str(value).strip()


def _error(line: int, field: str, code: LineCode, message: str) -> LineError:
    return LineError(line, field, code, message)


def _required(row: Row, field: str, line: int, errors: list[LineError]) -> str | None:
    text = _text(row, field)
    if not text:
        errors.append(_error(line, field, LineCode.FIELD_PRESENT,
                             f"line {line}: {field} is missing; every line needs one"))
        return None
    return text


def _record_id(row: Row, field: str, line: int, errors: list[LineError]) -> str | None:
    text = _required(row, field, line, errors)
    if text is not None and len(text) > RECORD_ID_CHARS_MAX:
        errors.append(_error(line, field, LineCode.ID_LENGTH,
                             f"line {line}: {field} has {len(text)} characters, more than "
                             f"{RECORD_ID_CHARS_MAX}"))
        return None
    return text


def _in_range(day: dt.date, field: str, line: int, rules: RecordRules,
              errors: list[LineError]) -> dt.date | None:
    if rules.earliest <= day <= rules.latest:
        return day
    errors.append(_error(line, field, LineCode.DATE_IN_RANGE,
                         f"line {line}: {field} {day.isoformat()} must be from "
                         f"{rules.earliest.isoformat()} to {rules.latest.isoformat()}"))
    return None


def _date(row: Row, field: str, line: int, rules: RecordRules,
          errors: list[LineError]) -> dt.date | None:
    text = _required(row, field, line, errors)
    if text is None:
        return None
    day: dt.date | None = None
    if len(text) == 10 or (len(text) > 10 and text[10] in "T "):  # a date, or a timestamp
        try:
            day = dt.date.fromisoformat(text[:10])
        except ValueError:
            day = None
    if day is None:
        errors.append(_error(line, field, LineCode.DATE_ISO,
                             f"line {line}: {field} {text!r} must be a date like 2025-01-31"))
        return None
    return _in_range(day, field, line, rules, errors)


def _month(row: Row, field: str, line: int, rules: RecordRules,
           errors: list[LineError]) -> dt.date | None:
    text = _required(row, field, line, errors)
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(f"{text}-01" if len(text) == 7 else text)
    except ValueError:
        errors.append(_error(line, field, LineCode.DATE_ISO,
                             f"line {line}: {field} {text!r} must be a month like 2025-01"))
        return None
    first = day.replace(day=1)
    # a month is in range when any of its days is
    last_day = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) \
        - dt.timedelta(days=1)
    if last_day >= rules.earliest and first <= rules.latest:
        return first
    return _in_range(first, field, line, rules, errors)


def _amount(row: Row, field: str, line: int, rules: RecordRules,
            errors: list[LineError]) -> int | None:
    text = _required(row, field, line, errors)
    if text is None:
        return None
    exp = exponent_of(rules.currency)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    scaled = value.scaleb(exp) if value.is_finite() else value
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        errors.append(_error(line, field, LineCode.AMOUNT_DECIMAL,
                             f"line {line}: {field} {text!r} must be a decimal number with "
                             f"at most {exp} decimals, like 1234.50"))
        return None
    minor = int(scaled)
    if not 1 <= minor <= AMOUNT_MINOR_MAX:
        errors.append(_error(line, field, LineCode.AMOUNT_IN_LIMITS,
                             f"line {line}: {field} {text} must be more than 0 and at most "
                             f"{AMOUNT_MINOR_MAX} minor units; record refunds as positive "
                             "amounts of kind refund"))
        return None
    return minor


def _currency(row: Row, line: int, rules: RecordRules, errors: list[LineError]) -> bool:
    text = _required(row, "currency", line, errors)
    if text is None:
        return False
    if text.upper() != rules.currency:
        errors.append(_error(line, "currency", LineCode.CURRENCY_BOOK,
                             f"line {line}: currency {text} must be the book's, "
                             f"{rules.currency}"))
        return False
    return True


def _kind(row: Row, line: int, errors: list[LineError]) -> TransactionKind | None:
    text = _text(row, "kind").lower() or TransactionKind.SALE.value
    try:
        return TransactionKind(text)
    except ValueError:
        errors.append(_error(line, "kind", LineCode.KIND_KNOWN,
                             f"line {line}: kind {text!r} must be sale or refund"))
        return None


def _check_size(rows: Collection[Row]) -> None:
    if len(rows) > RECORD_LINES_MAX:
        raise InvalidInput(f"a records file may have at most {RECORD_LINES_MAX} lines; "
                           f"this one has {len(rows)}; split it by month",
                           code="record_lines_must_not_exceed_maximum", field="file")


def _duplicate(record_id: str, line: int, field: str, seen: dict[str, int],
               errors: list[LineError]) -> bool:
    first = seen.get(record_id)
    if first is None:
        seen[record_id] = line
        return False
    errors.append(_error(line, field, LineCode.ID_UNIQUE,
                         f"line {line}: {field} {record_id!r} is already on line {first}; "
                         "each record needs its own id"))
    return True


def merchant_record(row: Row, line: int, rules: RecordRules) -> MerchantRecord | list[LineError]:
    """One line as a record, or every wrong field of it."""
    errors: list[LineError] = []
    record_id = _record_id(row, "transaction_id", line, errors)
    on = _date(row, "date", line, rules, errors)
    amount = _amount(row, "amount", line, rules, errors)
    _currency(row, line, rules, errors)
    kind = _kind(row, line, errors)
    if errors:
        return errors
    assert record_id is not None and on is not None and amount is not None and kind
    return MerchantRecord(record_id, on, amount, kind)


def income_record(row: Row, line: int, rules: RecordRules) -> IncomeRecord | list[LineError]:
    """One line of income records as a record, or every wrong field of it."""
    errors: list[LineError] = []
    record_id = _record_id(row, "record_id", line, errors)
    month = _month(row, "month", line, rules, errors)
    amount = _amount(row, "amount", line, rules, errors)
    _currency(row, line, rules, errors)
    if errors:
        return errors
    assert record_id is not None and month is not None and amount is not None
    return IncomeRecord(record_id, month, amount)


def validate_merchant_records(rows: Collection[Row], *, rules: RecordRules,
                              known_ids: Collection[str] = frozenset(),
                              first_line: int = 2) -> Validated[MerchantRecord]:
    """Sort a merchant's transaction records into accepted and rejected lines (see the
    module doc); ids in ``known_ids`` are skipped."""
    return _validate(rows, rules, known_ids, first_line, merchant_record,
                     lambda r: r.transaction_id, "transaction_id")


def validate_income_records(rows: Collection[Row], *, rules: RecordRules,
                            known_ids: Collection[str] = frozenset(),
                            first_line: int = 2) -> Validated[IncomeRecord]:
    """Sort a consumer's income records into accepted and rejected lines."""
    return _validate(rows, rules, known_ids, first_line, income_record,
                     lambda r: r.record_id, "record_id")


def _validate(rows: Collection[Row], rules: RecordRules, known_ids: Collection[str],
              first_line: int, parse: Callable[[Row, int, RecordRules], R | list[LineError]],
              id_of: Callable[[R], str], id_field: str) -> Validated[R]:
    """Each line parsed by ``parse``; a line whose id came earlier in the file is
    rejected, one whose id is in ``known_ids`` counted as already stored."""
    _check_size(rows)
    accepted: list[R] = []
    rejected: list[LineError] = []
    seen: dict[str, int] = {}
    stored = 0
    for line, row in enumerate(rows, start=first_line):
        result = parse(row, line, rules)
        if isinstance(result, list):
            rejected.extend(result)
        elif _duplicate(id_of(result), line, id_field, seen, rejected):
            continue
        elif id_of(result) in known_ids:
            stored += 1
        else:
            accepted.append(result)
    return Validated(tuple(accepted), tuple(rejected), stored, len(rows))


# --- summaries -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RecordsSummary:
    """A history of monthly amounts over its active span (see the module doc)."""

    first_month: dt.date | None
    last_month: dt.date | None
    months_active: int
    months_with_records: int
    gap_months: tuple[dt.date, ...]
    turnover_minor: int
    monthly_turnover_minor: int
    seasonality_cv_bps: int
    peak_to_trough_pct: int


EMPTY_SUMMARY = RecordsSummary(None, None, 0, 0, (), 0, 0, 0, 100)


def peak_to_trough_pct(values: list[int]) -> int:
    """The largest value over the smallest, x100, rounded half-even and capped."""
    if len(values) < 2:
        return 100
    peak, trough = max(values), min(values)
    if trough <= 0:
        return SEASONALITY_CAP_PCT
    return min(SEASONALITY_CAP_PCT, round(Fraction(peak * 100, trough)))


def summary_of(months: Iterable[MonthSummary]) -> RecordsSummary:
    """The summary of monthly totals (a month with no record may be absent)."""
    given = [m for m in months if m.sales_count or m.refunds_count
             or m.sales_minor or m.refunds_minor]
    series = monthly_series(given)
    if not series:
        return EMPTY_SUMMARY
    present = {m.month for m in given}
    nets = [s.net_minor for s in series]
    window = nets[-WINDOW_MONTHS:]
    total = sum(nets)
    return RecordsSummary(
        first_month=series[0].month, last_month=series[-1].month,
        months_active=len(series), months_with_records=sum(s.month in present for s in series),
        gap_months=tuple(s.month for s in series if s.month not in present),
        turnover_minor=total, monthly_turnover_minor=total // len(series),
        seasonality_cv_bps=coefficient_of_variation_bps(window, VOLATILITY_CAP_BPS),
        peak_to_trough_pct=peak_to_trough_pct(window))


def merchant_summary(records: Iterable[MerchantRecord | Transaction]) -> RecordsSummary:
    """The summary of a merchant's records (accepted now, or with those stored)."""
    return summary_of(summarise(r.transaction if isinstance(r, MerchantRecord) else r
                                for r in records))


def income_months(records: Iterable[IncomeRecord]) -> tuple[MonthSummary, ...]:
    """Income records summed per calendar month, oldest first (as sales)."""
    by_month: dict[dt.date, list[int]] = {}
    for r in records:
        acc = by_month.setdefault(r.month, [0, 0])
        acc[0] += r.amount_minor
        acc[1] += 1
    return tuple(MonthSummary(m, total, 0, count) for m, (total, count)
                 in sorted(by_month.items()))


def income_summary(records: Iterable[IncomeRecord]) -> RecordsSummary:
    """The same summary for income: ``turnover`` is income over the span."""
    return summary_of(income_months(records))


def income_history_minor(records: Iterable[IncomeRecord]) -> tuple[int, ...]:
    """Monthly incomes over the active span, oldest first, a month with no record as 0:
    what :attr:`~dunwell.origination.model.Application.income_history_minor` takes."""
    return tuple(s.net_minor for s in monthly_series(income_months(records)))
