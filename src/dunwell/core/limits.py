"""The limits every input is held to, in one place: amounts, rates, terms, ids, dates.

This module is the only definition of each bound: other modules import the name they
check against and define no bound of their own (``tests/core/test_limits.py`` scans
the package for module constants that would). Where two bounds look alike they are
two rules, each named for what it bounds:

- a **principal**: the schedule calculator takes any amount (:data:`AMOUNT_MINOR_MAX`,
  10^15 minor units); the loan book takes :data:`LOAN_PRINCIPAL_MINOR_MAX` (10^9),
  which is what COB's arithmetic is sized for;
- a **rate**: an interest rate a schedule is built on may reach
  :data:`ANNUAL_RATE_MAX` (10, 1,000 % a year); a penalty rate or a cost cap, which
  COB multiplies day by day, :data:`CHARGE_RATE_MAX` (1, 100 % a year);
- a **term**: a schedule may run :data:`PERIODS_MAX` months; a product's loans
  :data:`LOAN_TERM_MONTHS_MAX`.

Amounts are integers counted in minor units, stored as ``int64`` in NumPy, Arrow and
the database (``BIGINT``). The limits below are chosen so that every sum and product
Dunwell computes stays inside ``int64`` (ADR 0002), and an input beyond them is
rejected *before* any arithmetic, with a code and a message saying what is allowed:

- a single amount is at most :data:`AMOUNT_MINOR_MAX` (10^15 minor units,
  10,000,000,000,000.00 in a two-decimal currency; also the largest principal a
  schedule is calculated for): 9,000 such amounts still sum inside ``int64``;
- a loan's principal is at most :data:`LOAN_PRINCIPAL_MINOR_MAX` (10^9 minor units);
- a penalty rate and a cost cap are at most :data:`CHARGE_RATE_MAX` (100 % a year),
  an interest rate at most :data:`ANNUAL_RATE_MAX` (1,000 % a year, for schedules);
- COB's largest products are principal x days x rate in parts per million (the
  penalty basis and the cost-cap exposure): at the largest principal and charge rate
  they stay below ``2**63`` for :data:`LOAN_LIFE_DAYS_MAX` days (about 24 years), far
  beyond the longest term, :data:`LOAN_TERM_MONTHS_MAX` months;
- ids are positive ``int64`` (:data:`ID_MAX`);
- dates lie between :data:`DATE_MIN` and :data:`DATE_MAX`; records of what happened
  (transactions, legal events, visit outcomes) may not lie more than
  :data:`FUTURE_SLACK_DAYS` beyond the book's business date or the clock.

Pure: the checks take the dates to compare with as arguments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from dunwell.core.errors import InvalidInput

#: The largest value an ``int64`` column holds.
INT64_MAX: Final = 2**63 - 1
#: Ids (loans, applications, lines, visits, referrals, offers...) run from 1 to here.
ID_MIN: Final = 1
ID_MAX: Final = INT64_MAX

#: The largest single amount any input may carry, in minor units (and the largest
#: principal the schedule calculator takes).
AMOUNT_MINOR_MAX: Final = 10**15
#: The largest loan the book takes (10,000,000.00 in a two-decimal currency).
LOAN_PRINCIPAL_MINOR_MAX: Final = 10**9

#: The highest annual interest rate a schedule is built on (10 = 1,000 % a year).
ANNUAL_RATE_MAX: Final = Decimal(10)
#: The highest penalty rate and annual cost cap a product may name (1 = 100 % a year):
#: what COB's daily integer arithmetic is sized for.
CHARGE_RATE_MAX: Final = Decimal(1)
#: Parts per million in one (rates in the columnar kernels are integer ppm).
PPM: Final = 1_000_000

#: Months a schedule may run (the schedule calculator).
PERIODS_MAX: Final = 600
#: Months a product's loans may run.
LOAN_TERM_MONTHS_MAX: Final = 120
#: Days after a due date a product may leave before an instalment counts as late.
GRACE_DAYS_MAX: Final = 30
#: Days of a loan's life (term plus time overdue) COB's arithmetic is sized for.
LOAN_LIFE_DAYS_MAX: Final = 9_000

#: No record of anything Dunwell books is older than this.
DATE_MIN: Final = dt.date(2000, 1, 1)
#: No date Dunwell reads lies beyond this (schedules and due dates included).
DATE_MAX: Final = dt.date(2199, 12, 31)
#: How far beyond the business date (or the clock) a record may be dated: time zones.
FUTURE_SLACK_DAYS: Final = 1

assert LOAN_PRINCIPAL_MINOR_MAX * LOAN_LIFE_DAYS_MAX * int(CHARGE_RATE_MAX * PPM) < INT64_MAX
assert LOAN_TERM_MONTHS_MAX * 31 < LOAN_LIFE_DAYS_MAX


def check_amount_minor(value: int, *, field: str = "amount", currency: str | None = None,
                       low: int = 0, high: int = AMOUNT_MINOR_MAX) -> int:
    """``value`` if it lies in ``low..high`` minor units, else ``amount_must_be_within_limits``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number of minor units",
                           code="amount_must_be_minor_units", field=field)
    if not low <= value <= high:
        unit = f" {currency}" if currency else ""
        raise InvalidInput(
            f"{field} must be between {low} and {high} minor units{unit}; got {value}",
            code="amount_must_be_within_limits", field=field)
    return value


def check_id(value: int, *, field: str = "id") -> int:
    """``value`` if it can be an id (1..2^63-1), else ``id_must_be_within_limits``."""
    if isinstance(value, bool) or not isinstance(value, int) or not ID_MIN <= value <= ID_MAX:
        raise InvalidInput(f"{field} must be a whole number from {ID_MIN} to {ID_MAX}; "
                           f"got {value!r}", code="id_must_be_within_limits", field=field)
    return value


def check_rate(value: Decimal, *, field: str, high: Decimal = CHARGE_RATE_MAX) -> Decimal:
    """``value`` if it is a finite rate in ``0..high``, else ``rate_must_be_within_limits``."""
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= high:
        raise InvalidInput(f"{field} must be a decimal rate from 0 to {high} "
                           f"({high * 100:.0f} % a year); got {value}; write 18 % as 0.18",
                           code="rate_must_be_within_limits", field=field)
    return value


def latest_record_date(*bounds: dt.date) -> dt.date:
    """The latest date a record may carry: the latest of ``bounds`` (the business date,
    the clock's date) plus :data:`FUTURE_SLACK_DAYS`."""
    return max(bounds) + dt.timedelta(days=FUTURE_SLACK_DAYS)


def check_date(value: dt.date, *, field: str = "date", latest: dt.date | None = None,
               earliest: dt.date = DATE_MIN) -> dt.date:
    """``value`` if it lies in ``earliest..latest`` (``latest`` defaults to
    :data:`DATE_MAX`), else ``date_must_be_within_limits`` naming the field."""
    top = DATE_MAX if latest is None else min(latest, DATE_MAX)
    day = value.date() if isinstance(value, dt.datetime) else value
    if not earliest <= day <= top:
        why = ("in the future" if day > top and latest is not None
               else "outside the dates Dunwell books")
        raise InvalidInput(f"{field} {value.isoformat()} is {why}; send a date from "
                           f"{earliest.isoformat()} to {top.isoformat()}",
                           code="date_must_be_within_limits", field=field)
    return value
