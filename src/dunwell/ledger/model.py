"""Accounts, journal lines and journal entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum

from dunwell.ledger.errors import NegativeLine, UnbalancedEntry


class Side(IntEnum):
    DEBIT = 1
    CREDIT = -1


class Account(IntEnum):
    """The lending chart of accounts. Small integer codes so kernels can use them."""

    CASH = 1  # cash / payment clearing (asset)
    PRINCIPAL_RECEIVABLE = 2  # asset
    INTEREST_RECEIVABLE = 3  # asset
    PENALTY_RECEIVABLE = 4  # asset
    FEE_RECEIVABLE = 5  # asset
    INTEREST_INCOME = 6  # income
    PENALTY_INCOME = 7  # income
    FEE_INCOME = 8  # income
    SUSPENSE = 9  # liability: overpayments and unapplied cash
    WRITE_OFF = 10  # expense: charged-off balances
    WAIVER_EXPENSE = 11  # expense: amounts forgiven under a negotiated plan (ADR 0007)

    @property
    def normal_side(self) -> Side:
        if self in _CREDIT_NORMAL:
            return Side.CREDIT
        return Side.DEBIT

    @property
    def label(self) -> str:
        return self.name.lower()


_CREDIT_NORMAL = frozenset(
    {Account.INTEREST_INCOME, Account.PENALTY_INCOME, Account.FEE_INCOME, Account.SUSPENSE}
)


@dataclass(frozen=True, slots=True)
class Line:
    """One posting: a signed amount, debit positive and credit negative."""

    account: Account
    amount_minor: int
    loan_id: int | None = None

    @staticmethod
    def debit(account: Account, amount_minor: int, loan_id: int | None = None) -> Line:
        """A debit of ``amount_minor`` (zero or more) to ``account``."""
        return Line(account, _unsigned(amount_minor, Side.DEBIT, account), loan_id)

    @staticmethod
    def credit(account: Account, amount_minor: int, loan_id: int | None = None) -> Line:
        """A credit of ``amount_minor`` (zero or more) to ``account``."""
        return Line(account, -_unsigned(amount_minor, Side.CREDIT, account), loan_id)


def _unsigned(amount_minor: int, side: Side, account: Account) -> int:
    """``amount_minor`` if it is not negative: a negative debit is not read as a credit."""
    if amount_minor < 0:
        other = "credit" if side is Side.DEBIT else "debit"
        raise NegativeLine(
            f"a {side.name.lower()} to {account.label} of {amount_minor} minor units is "
            f"negative; post a {other} of {-amount_minor} instead",
            code="line_amount_must_not_be_negative", account=account.label,
            amount_minor=amount_minor)
    return amount_minor


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """An immutable, balanced entry. Build with :func:`dunwell.ledger.rules.entry`."""

    entry_id: str
    business_date: dt.date
    kind: str
    currency: str
    lines: tuple[Line, ...]
    reverses: str | None = None
    memo: str = ""

    def __post_init__(self) -> None:
        if len(self.lines) < 2:
            raise UnbalancedEntry(
                f"entry {self.entry_id} needs at least two lines, has {len(self.lines)}",
                code="entry_must_have_two_lines",
            )
        total = sum(line.amount_minor for line in self.lines)
        if total != 0:
            raise UnbalancedEntry(
                f"entry {self.entry_id} does not balance: debits minus credits = {total}",
                code="entry_must_balance",
            )
        if any(line.amount_minor == 0 for line in self.lines):
            raise UnbalancedEntry(
                f"entry {self.entry_id} has a zero line; drop it",
                code="entry_lines_must_be_nonzero",
            )
