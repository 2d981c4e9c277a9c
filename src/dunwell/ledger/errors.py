"""Ledger rejections."""

from dunwell.core.errors import DomainError


class UnbalancedEntry(DomainError):
    code = "entry_must_balance"


class AlreadyReversed(DomainError):
    code = "entry_must_not_be_reversed_twice"
