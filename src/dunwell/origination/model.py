"""Plain data for origination: applicants, applications, transaction records, monthly
summaries, reasons and decisions (frozen dataclasses and enums). Amounts are integer
minor units of the application's currency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import overload

#: Languages a decision can be explained in.
LANGUAGES: tuple[str, ...] = ("en", "zh-CN")


class ApplicantKind(StrEnum):
    MERCHANT = "merchant"  # a business selling through the platform; judged on its sales
    CONSUMER = "consumer"  # a person; judged on declared and observed income


class TransactionKind(StrEnum):
    SALE = "sale"
    REFUND = "refund"


class Purpose(StrEnum):
    WORKING_CAPITAL = "working_capital"
    INVENTORY = "inventory"
    EQUIPMENT = "equipment"
    PERSONAL = "personal"
    EDUCATION = "education"
    MEDICAL = "medical"
    OTHER = "other"


class Outcome(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    REFER = "refer"  # a person looks at it: too little history, or a marginal grade


class Effect(StrEnum):
    """Which way a reason pushed the decision."""

    HELPS = "helps"
    HURTS = "hurts"


@dataclass(frozen=True, slots=True)
class Transaction:
    """One merchant transaction record: a sale or a refund (amount always positive)."""

    on: dt.date
    amount_minor: int
    kind: TransactionKind


@dataclass(frozen=True, slots=True)
class MonthSummary:
    """A merchant's sales and refunds in one calendar month (``month`` is its 1st)."""

    month: dt.date
    sales_minor: int
    refunds_minor: int
    sales_count: int = 0
    refunds_count: int = 0

    @property
    def net_minor(self) -> int:
        return self.sales_minor - self.refunds_minor


class Records(Sequence[Transaction]):
    """A merchant's records as one reading made them: each record as its day's ordinal,
    amount and kind (``rows``, the plain values an application's fingerprint writes),
    their sums per month (``summaries``, as :func:`~dunwell.origination.features.
    summarise` makes them) and the latest day, worked out as they were read
    (:func:`~dunwell.origination.features.read_records`). A :class:`Transaction` is
    made only when one is asked for. It reads as, and is equal to, the tuple of its
    transactions."""

    __slots__ = ("latest", "rows", "summaries")

    def __init__(self, rows: list[tuple[int, int, TransactionKind]],
                 summaries: tuple[MonthSummary, ...], latest: dt.date | None) -> None:
        self.rows = rows
        self.summaries = summaries
        self.latest = latest

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Transaction: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Transaction, ...]: ...

    def __getitem__(self, index: int | slice) -> Transaction | tuple[Transaction, ...]:
        if isinstance(index, slice):
            return tuple(Transaction(dt.date.fromordinal(o), a, k) for o, a, k in self.rows[index])
        o, a, k = self.rows[index]
        return Transaction(dt.date.fromordinal(o), a, k)

    def __iter__(self) -> Iterator[Transaction]:
        fromordinal = dt.date.fromordinal
        for o, a, k in self.rows:
            yield Transaction(fromordinal(o), a, k)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Records):
            return self.rows == other.rows
        if isinstance(other, tuple):
            return tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Records({tuple(self)!r})"


@dataclass(frozen=True, slots=True)
class Applicant:
    """Who applies. ``reference`` is the merchant id or the customer's reference."""

    kind: ApplicantKind
    reference: str
    name: str
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Application:
    """What the applicant asks for and declares.

    ``monthly_income_minor`` is declared net income (for a merchant, optional: the
    sales records are the income). ``income_history_minor`` holds a consumer's
    observed monthly incomes, oldest first; ``transactions`` a merchant's records.
    """

    applicant: Applicant
    currency: str
    requested_minor: int
    term_months: int
    purpose: Purpose
    monthly_income_minor: int
    monthly_expenses_minor: int
    existing_debt_payments_minor: int
    transactions: Sequence[Transaction] = ()  # a tuple, or Records as read
    income_history_minor: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision went the way it did.

    ``code`` names a feature or a policy rule (``refund_rate``, ``thin_file``);
    ``value`` is the fact shown to the applicant (``"8.2%"``); ``impact`` is the
    scorecard points lost (negative) or the policy's weight. A trained model may
    bring its own words in ``texts`` as (language, text) pairs.
    """

    code: str
    effect: Effect
    value: str = ""
    impact: int = 0
    texts: tuple[tuple[str, str], ...] = ()

    def text_in(self, lang: str) -> str | None:
        for language, text in self.texts:
            if language == lang:
                return text
        return None


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to an application.

    ``approved_minor`` is what can be drawn now on the requested term (the request,
    sized down to what is affordable and within the limit); ``limit_minor`` is the
    revolving credit line; ``term_options`` the terms (months) on which the approved
    amount is affordable. ``advice`` lists the codes of what would help, for
    declined and referred applicants. ``dsr_bps`` is the debt service ratio with
    the new loan's monthly repayment (existing debts only when nothing is lent).
    """

    outcome: Outcome
    grade: str | None
    pd_bps: int | None
    requested_minor: int
    approved_minor: int
    limit_minor: int
    annual_rate: Decimal | None
    term_options: tuple[int, ...]
    reasons: tuple[Reason, ...]
    advice: tuple[str, ...]
    cash_flow_minor: int
    existing_payments_minor: int
    dsr_bps: int | None
    features: tuple[tuple[str, int | str], ...] = ()
