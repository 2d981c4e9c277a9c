"""Ledger rejections."""

from dunwell.core.errors import DomainError


class UnbalancedEntry(DomainError):
    code = "entry_must_balance"

