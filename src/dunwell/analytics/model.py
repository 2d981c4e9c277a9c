"""The rows the figures are computed from, and the scope that selects them.

Rows are plain facts read from the book: loans, their bucket and status changes,
payments (with the principal they settled), cases, contacts, promises, visits, legal
costs and the guard's decisions. Money is in integer minor units; a rate is a
:class:`Ratio` (numerator and denominator kept, so a page and a CSV agree to the
unit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

#: The highest bucket reported on its own: M7 stands for M7+ (DPD over 180).
BUCKET_TOP = 7
#: Places a rate is given to (0.1234 = 12.34 %).
RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Ratio:
    """``numerator / denominator``; ``value`` is None when nothing was counted."""

    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        if self.denominator == 0:
            return None
        return (Decimal(self.numerator) / Decimal(self.denominator)).quantize(
            RATE_PLACES, rounding=ROUND_HALF_UP)

    def text(self) -> str:
        """The rate as a decimal string (``"0.1250"``), empty when not measured."""
        v = self.value
        return "" if v is None else str(v)


@dataclass(frozen=True, slots=True)
class LoanRow:
    loan_id: int
    borrower_id: int
    product_code: str
    currency: str
    principal_minor: int
    disbursed_on: dt.date


@dataclass(frozen=True, slots=True)
class LoanEventRow:
    """A loan's bucket (``kind == "bucket_changed"``) or status (``"status_changed"``)
    changing at the close of ``on``."""

    loan_id: int
    on: dt.date
    kind: str
    before: int
    after: int


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """A payment not reversed: its amount and the principal it settled."""

    loan_id: int
    on: dt.date
    amount_minor: int
    principal_minor: int


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: str
    borrower_id: int
    status: str
    opened_on: dt.date
    closed_on: dt.date | None
    strategy: str
    variant: str


@dataclass(frozen=True, slots=True)
class ContactRow:
    borrower_id: int
    on: dt.date
    channel: str
    direction: str


@dataclass(frozen=True, slots=True)
class PromiseRow:
    case_id: str
    due_on: dt.date
    status: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class VisitRow:
    """A field visit with an outcome: its day, its recorded cost."""

    borrower_id: int
    on: dt.date
    agent_id: str
    cost_minor: int


@dataclass(frozen=True, slots=True)
class CostRow:
    """A collection cost other than a visit (a legal step's cost)."""

    borrower_id: int
    on: dt.date
    kind: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """The guard's decision on one proposed action."""

    borrower_id: int
    on: dt.date
    decision: str
    rule: str


@dataclass(frozen=True, slots=True)
class Book:
    """Everything the figures read, for the whole book."""

    currency: str
    business_date: dt.date
    loans: tuple[LoanRow, ...]
    events: tuple[LoanEventRow, ...]
    payments: tuple[PaymentRow, ...]
    cases: tuple[CaseRow, ...]
    contacts: tuple[ContactRow, ...]
    promises: tuple[PromiseRow, ...]
    visits: tuple[VisitRow, ...]
    costs: tuple[CostRow, ...]
    decisions: tuple[DecisionRow, ...]
    #: Each borrower's territory (the field territory covering their address).
    territories: dict[int, str]


@dataclass(frozen=True, slots=True)
class Scope:
    """Which part of the book the figures describe: the period (both ends included)
    and, when given, one product, one strategy and one territory."""

    date_from: dt.date
    date_to: dt.date
    product: str | None = None
    strategy: str | None = None
    territory: str | None = None
