"""Journal entries as columns, for the batches that post thousands of lines at once.

A :class:`ColumnarEntry` is the columnar twin of :class:`~dunwell.ledger.model.
JournalEntry`: one entry id, many lines held as arrays. It is built only by
:func:`columnar_entry`, which checks what the row form checks — and more: the lines
of **each loan** sum to zero (not just the whole batch), no line is zero, every
account is in the chart — and raises :class:`~dunwell.ledger.errors.UnbalancedEntry`
naming the first loan that does not balance. The store only persists what this
module built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from dunwell.ledger.errors import UnbalancedEntry
from dunwell.ledger.model import Account

_ACCOUNT_CODES = np.array(sorted(int(a) for a in Account), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class ColumnarEntry:
    """A balanced entry whose lines are columns (debit positive, credit negative)."""

    entry_id: str
    business_date: dt.date
    kind: str
    currency: str
    memo: str
    loan_id: np.ndarray[Any, np.dtype[np.int64]]
    account: np.ndarray[Any, np.dtype[np.int64]]
    amount_minor: np.ndarray[Any, np.dtype[np.int64]]

    def __len__(self) -> int:
        return int(self.loan_id.shape[0])


def columnar_entry(*, entry_id: str, business_date: dt.date, kind: str, currency: str,
                   memo: str, loan_id: Any, account: Any, amount_minor: Any) -> ColumnarEntry:
    """Check and build a columnar entry balanced loan by loan.

    >>> e = columnar_entry(entry_id="e1", business_date=dt.date(2025, 1, 1), kind="k",
    ...                    currency="CNY", memo="", loan_id=[7, 7], account=[3, 6],
    ...                    amount_minor=[125, -125])
    >>> len(e)
    2
    >>> try:
    ...     columnar_entry(entry_id="e2", business_date=dt.date(2025, 1, 1), kind="k",
    ...                    currency="CNY", memo="", loan_id=[7, 8], account=[3, 6],
    ...                    amount_minor=[125, -125])
    ... except UnbalancedEntry as exc:
    ...     print(exc.code, exc.details["loan_id"])
    entry_must_balance 7
    """
    ids = np.asarray(loan_id, dtype=np.int64)
    accounts = np.asarray(account, dtype=np.int64)
    amounts = np.asarray(amount_minor, dtype=np.int64)
    if not ids.shape == accounts.shape == amounts.shape or ids.ndim != 1:
        raise UnbalancedEntry(f"entry {entry_id}: loan, account and amount columns must have "
                              "one value per line", code="entry_columns_must_align")
    if ids.size < 2:
        raise UnbalancedEntry(f"entry {entry_id} needs at least two lines, has {ids.size}",
                              code="entry_must_have_two_lines")
    if (amounts == 0).any():
        raise UnbalancedEntry(f"entry {entry_id} has a zero line; drop it",
                              code="entry_lines_must_be_nonzero")
    unknown = ~np.isin(accounts, _ACCOUNT_CODES)
    if unknown.any():
        raise UnbalancedEntry(f"entry {entry_id} posts to unknown account "
                              f"{int(accounts[unknown][0])}", code="entry_accounts_must_exist")
    owners, inverse = np.unique(ids, return_inverse=True)
    per_loan = np.zeros(owners.size, dtype=np.int64)
    np.add.at(per_loan, inverse, amounts)
    off = np.flatnonzero(per_loan)
    if off.size:
        first = int(off[0])
        raise UnbalancedEntry(
            f"entry {entry_id} does not balance for loan {int(owners[first])}: debits minus "
            f"credits = {int(per_loan[first])}", code="entry_must_balance",
            loan_id=int(owners[first]))
    return ColumnarEntry(entry_id, business_date, kind, currency, memo, ids, accounts, amounts)
