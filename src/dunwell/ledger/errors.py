"""Ledger rejections."""

from dunwell.core.errors import DomainError


class UnbalancedEntry(DomainError):
    code = "entry_must_balance"


class NegativeLine(DomainError):
    """A debit or credit asked for a negative amount: the side says the sign."""

    code = "line_amount_must_not_be_negative"

