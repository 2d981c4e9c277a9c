"""Features from a merchant's transaction records and a consumer's income history.

Records are first summed per calendar month (:func:`summarise`). Over the active span
(first to last month with a record; quiet months in between count as zero):

- ``months_active`` — the span's length in months;
- ``monthly_turnover_minor`` — mean net sales (sales - refunds) over the last
  ``WINDOW_MONTHS`` months of the span;
- ``trend_minor_per_month`` — the least-squares slope of monthly net sales (exact
  rational arithmetic, rounded half-even), and ``trend_bps`` that slope over the mean;
- ``volatility_bps`` — the coefficient of variation (population standard deviation
  over the mean) of monthly net sales;
- ``refund_rate_bps`` — refunds over sales;
- ``seasonality_pct`` — the peak month over the trough month, x100 (capped).

For a consumer, ``income_stability_bps`` is 10,000 minus the coefficient of variation
of the monthly incomes (floored at 0), and ``income_months`` their count.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dunwell.core.errors import InvalidInput
from dunwell.core.limits import (
    AMOUNT_MINOR_MAX,
    DATE_MAX,
    DATE_MIN,
    FUTURE_SLACK_DAYS,
    check_date,
    latest_record_date,
)
from dunwell.origination.model import MonthSummary, Records, Transaction, TransactionKind

#: The months of recent history turnover, trend, volatility and seasonality look at.
WINDOW_MONTHS = 12
#: The longest span of records looked at; older months are ignored.
SPAN_MONTHS_MAX = 120
#: Records one application may carry.
TRANSACTIONS_MAX = 50_000
VOLATILITY_CAP_BPS = 100_000
SEASONALITY_CAP_PCT = 1_000
BPS = 10_000


@dataclass(frozen=True, slots=True)
class MerchantFeatures:
    months_active: int
    monthly_turnover_minor: int
    trend_minor_per_month: int
    trend_bps: int
    volatility_bps: int
    refund_rate_bps: int
    seasonality_pct: int


@dataclass(frozen=True, slots=True)
class ConsumerFeatures:
    income_months: int
    mean_income_minor: int
    income_stability_bps: int


NO_RECORDS = MerchantFeatures(0, 0, 0, 0, 0, 0, 100)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def check_transaction_dates(transactions: Iterable[Transaction], *,
                            business_date: dt.date) -> None:
    """Every record must be dated from :data:`~dunwell.core.limits.DATE_MIN` to the
    business date (plus a day's slack for time zones): a record from the future would
    stretch the merchant's history and change every later decision. The first record
    out of range is named by its field."""
    latest = latest_record_date(business_date)
    if isinstance(transactions, Records) and (transactions.latest is None
                                              or transactions.latest <= latest):
        return  # every record as read is from DATE_MIN on, and none is after the latest
    for k, tx in enumerate(transactions):
        if not DATE_MIN <= tx.on <= latest:
            check_date(tx.on, field=f"transactions.{k}.date", latest=latest)
        if k >= TRANSACTIONS_MAX:
            break


def read_records(items: Iterable[Mapping[str, Any]], exponent: int) -> Records | None:
    """Records sent as text, read in one pass: each mapping's ``date`` (``YYYY-MM-DD``
    in ASCII digits), ``amount`` (decimal digits, at most one point; ``exponent``: the
    currency's decimals) and ``kind`` (a :class:`TransactionKind`) made a row, summed
    into its month (as :func:`summarise` sums them) and the latest day kept. None when
    a record is not a usual one — not a calendar date, a date outside the book's years,
    more decimals than the currency has, an amount not above zero or beyond the limits
    — which is then read record by record (and named where it is refused)."""
    rows: list[tuple[int, int, TransactionKind]] = []
    months: dict[str, list[Any]] = {}
    latest: dt.date | None = None
    fromisoformat = dt.date.fromisoformat
    sale = TransactionKind.SALE
    for item in items:
        text: str = item["date"]
        try:
            day = fromisoformat(text)
        except ValueError:
            return None
        if not DATE_MIN <= day <= DATE_MAX:
            return None
        whole, _, frac = item["amount"].partition(".")
        if len(frac) > exponent:
            return None
        minor = int(whole + frac.ljust(exponent, "0"))
        if not 0 < minor <= AMOUNT_MINOR_MAX:
            return None
        kind = item["kind"]
        rows.append((day.toordinal(), minor, kind))
        acc = months.get(text[:7])  # the month's "YYYY-MM": in order as text and in time
        if acc is None:
            acc = months[text[:7]] = [day.replace(day=1), 0, 0, 0, 0]
        if kind is sale:
            acc[1] += minor
            acc[3] += 1
        else:
            acc[2] += minor
            acc[4] += 1
        if latest is None or day > latest:
            latest = day
    if len(rows) > TRANSACTIONS_MAX:
        return None
    summaries = tuple(MonthSummary(*months[m]) for m in sorted(months))
    return Records(rows, summaries, latest)


def summarise(transactions: Iterable[Transaction]) -> tuple[MonthSummary, ...]:
    """Sum records per calendar month, oldest month first (records as read have been
    summed already: :func:`read_records`)."""
    if isinstance(transactions, Records):
        return transactions.summaries
    months: dict[tuple[int, int], list[int]] = {}
    sale = TransactionKind.SALE
    for k, tx in enumerate(transactions):
        if k >= TRANSACTIONS_MAX:
            raise InvalidInput(f"an application may carry at most {TRANSACTIONS_MAX} "
                               "transaction records; send monthly totals instead",
                               code="transactions_must_not_exceed_maximum",
                               field="transactions")
        if tx.amount_minor <= 0:
            raise InvalidInput(f"transaction {k + 1} has amount {tx.amount_minor}; record "
                               "sales and refunds as positive amounts with their kind",
                               code="transaction_amount_must_be_positive",
                               field=f"transactions.{k}.amount")
        if tx.amount_minor > AMOUNT_MINOR_MAX:
            raise InvalidInput(f"transaction {k + 1} has amount {tx.amount_minor} minor units, "
                               f"more than {AMOUNT_MINOR_MAX}; check the amount",
                               code="amount_must_be_within_limits",
                               field=f"transactions.{k}.amount")
        if tx.on < DATE_MIN:
            check_date(tx.on, field=f"transactions.{k}.date")
        on = tx.on
        acc = months.get((on.year, on.month))
        if acc is None:
            acc = months[(on.year, on.month)] = [0, 0, 0, 0]
        if tx.kind is sale:
            acc[0] += tx.amount_minor
            acc[2] += 1
        else:
            acc[1] += tx.amount_minor
            acc[3] += 1
    return tuple(MonthSummary(dt.date(y, m, 1), *acc) for (y, m), acc in sorted(months.items()))


def monthly_series(summaries: Sequence[MonthSummary]) -> list[MonthSummary]:
    """The active span month by month, quiet months filled with zeros."""
    if not summaries:
        return []
    by_month = {s.month: s for s in summaries}
    first, last = min(by_month), max(by_month)
    series: list[MonthSummary] = []
    month = first
    while month <= last and len(series) < SPAN_MONTHS_MAX * 2:
        series.append(by_month.get(month, MonthSummary(month, 0, 0)))
        month = next_month(month)
    return series[-SPAN_MONTHS_MAX:]


def slope(values: Sequence[int]) -> Fraction:
    """Least-squares slope of ``values`` against 0, 1, 2, ... (exact)."""
    n = len(values)
    if n < 2:
        return Fraction(0)
    sx = n * (n - 1) // 2
    sxx = (n - 1) * n * (2 * n - 1) // 6
    sy = sum(values)
    sxy = sum(i * v for i, v in enumerate(values))
    return Fraction(n * sxy - sx * sy, n * sxx - sx * sx)


def coefficient_of_variation_bps(values: Sequence[int], cap_bps: int) -> int:
    """Population standard deviation over the mean, in basis points (capped, rounded
    down): ``sqrt(n * sum(v^2) - sum(v)^2) / sum(v)``, in exact integer arithmetic."""
    n = len(values)
    total = sum(values)
    if n == 0 or total <= 0:
        return cap_bps if n else 0
    spread = n * sum(v * v for v in values) - total * total
    return min(cap_bps, math.isqrt(spread * BPS * BPS) // total)


def merchant_features(summaries: Sequence[MonthSummary], *,
                      through: dt.date | None = None) -> MerchantFeatures:
    """The features of the months in ``summaries``; with ``through`` (the business
    date), months after it are not evidence and are left out."""
    if through is not None:
        last = through + dt.timedelta(days=FUTURE_SLACK_DAYS)
        summaries = [s for s in summaries if s.month <= last]
    series = monthly_series(summaries)
    if not series:
        return NO_RECORDS
    window = series[-WINDOW_MONTHS:]
    nets = [s.net_minor for s in window]
    n = len(nets)
    mean = Fraction(sum(nets), n)
    trend = slope(nets)
    sales = sum(s.sales_minor for s in series)
    refunds = sum(s.refunds_minor for s in series)
    peak, trough = max(nets), min(nets)
    if n < 2:
        season = 100
    elif trough <= 0:
        season = SEASONALITY_CAP_PCT
    else:
        season = min(SEASONALITY_CAP_PCT, round(Fraction(peak * 100, trough)))
    return MerchantFeatures(
        months_active=len(series),
        monthly_turnover_minor=mean.numerator // mean.denominator,
        trend_minor_per_month=round(trend),
        trend_bps=round(trend * BPS / mean) if mean > 0 else 0,
        volatility_bps=coefficient_of_variation_bps(nets, VOLATILITY_CAP_BPS),
        refund_rate_bps=round(Fraction(refunds * BPS, sales)) if sales else BPS,
        seasonality_pct=season,
    )


def consumer_features(income_history_minor: Sequence[int]) -> ConsumerFeatures:
    incomes = list(income_history_minor[-WINDOW_MONTHS:])
    if not incomes:
        return ConsumerFeatures(0, 0, 0)
    cv = coefficient_of_variation_bps(incomes, BPS)
    return ConsumerFeatures(income_months=len(income_history_minor),
                            mean_income_minor=sum(incomes) // len(incomes),
                            income_stability_bps=max(0, BPS - cv))
