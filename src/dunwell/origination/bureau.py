"""What a credit bureau reports about a borrower's debts elsewhere, as plain data, and
how a bureau's rows (a file's lines, an API's records) become it.

A row carries ``reference`` (the borrower's reference, as origination knows it),
``lender``, ``account_id``, ``status`` (``open``, ``closed`` or ``defaulted``),
``monthly_payment`` and ``outstanding`` (decimals in major units of ``currency``),
``opened_on`` and, for a default, ``defaulted_on`` (ISO dates). A row that is wrong
is refused whole with ``bureau_record_must_be_valid`` naming the row and field: a
bureau report is evidence a decision rests on, so it is not read in part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from dunwell.core.errors import InvalidInput
from dunwell.core.money import to_minor


class DebtStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    DEFAULTED = "defaulted"


@dataclass(frozen=True, slots=True)
class BureauDebt:
    """One account a borrower holds with another lender."""

    lender: str
    account_id: str
    status: DebtStatus
    currency: str
    monthly_payment_minor: int
    outstanding_minor: int
    opened_on: dt.date
    defaulted_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class BureauReport:
    """A borrower's accounts elsewhere as the bureau ``source`` knew them ``as_of``."""

    reference: str
    source: str
    as_of: dt.date
    debts: tuple[BureauDebt, ...] = ()

    @property
    def open_debts(self) -> tuple[BureauDebt, ...]:
        return tuple(d for d in self.debts if d.status is DebtStatus.OPEN)

    @property
    def monthly_payments_minor(self) -> int:
        """What the borrower's open accounts elsewhere cost a month."""
        return sum(d.monthly_payment_minor for d in self.open_debts)

    @property
    def last_default_on(self) -> dt.date | None:
        return max((d.defaulted_on for d in self.debts if d.defaulted_on), default=None)


def _bad(k: int, field: str, what: str) -> InvalidInput:
    return InvalidInput(f"bureau record {k + 1}: {field} {what}",
                        code="bureau_record_must_be_valid", field=f"{k}.{field}")


def _field(row: Mapping[str, object], k: int, field: str, *, required: bool = True) -> str:
    value = row.get(field)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise _bad(k, field, "must be present")
    return text


def _day(text: str, k: int, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise _bad(k, field, f"{text!r} must be a date like 2025-01-31") from None


def bureau_debt(row: Mapping[str, object], k: int, currency: str) -> BureauDebt:
    """Row ``k`` (from 0) as a debt in ``currency`` (the book's)."""
    try:
        status = DebtStatus(_field(row, k, "status").lower())
    except ValueError:
        raise _bad(k, "status", "must be open, closed or defaulted") from None
    if _field(row, k, "currency").upper() != currency:
        raise _bad(k, "currency", f"must be {currency}")
    amounts = []
    for name in ("monthly_payment", "outstanding"):
        try:
            minor = to_minor(_field(row, k, name, required=False) or "0", currency)
        except InvalidInput as exc:
            raise _bad(k, name, exc.message) from None
        if minor < 0:
            raise _bad(k, name, "must not be negative")
        amounts.append(minor)
    defaulted = _field(row, k, "defaulted_on", required=False)
    if status is DebtStatus.DEFAULTED and not defaulted:
        raise _bad(k, "defaulted_on", "must be present on a defaulted account")
    return BureauDebt(_field(row, k, "lender"), _field(row, k, "account_id"), status,
                      currency, amounts[0], amounts[1],
                      _day(_field(row, k, "opened_on"), k, "opened_on"),
                      _day(defaulted, k, "defaulted_on") if defaulted else None)


def reports_from_rows(rows: Iterable[Mapping[str, object]], *, currency: str, source: str,
                      as_of: dt.date) -> dict[str, BureauReport]:
    """Every borrower's report in ``rows``, by reference (a borrower with no row has
    no report: the bureau does not know them)."""
    debts: dict[str, list[BureauDebt]] = {}
    for k, row in enumerate(rows):
        reference = _field(row, k, "reference")
        debts.setdefault(reference, []).append(bureau_debt(row, k, currency))
    return {ref: BureauReport(ref, source, as_of, tuple(items)) for ref, items in debts.items()}
