"""Building entries, reversing them, and folding them into balances."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from dunwell.ledger.model import Account, JournalEntry, Line


def entry(
    *,
    entry_id: str,
    business_date: dt.date,
    kind: str,
    currency: str,
    lines: Iterable[Line],
    memo: str = "",
) -> JournalEntry:
    """A balanced entry; zero lines are dropped, so callers may propose them freely."""
    kept = tuple(line for line in lines if line.amount_minor != 0)
    return JournalEntry(entry_id, business_date, kind, currency, kept, None, memo)


def reversal(original: JournalEntry, *, entry_id: str, business_date: dt.date,
             memo: str = "") -> JournalEntry:
    """A new entry that undoes ``original`` line by line and points at it."""
    lines = tuple(Line(ln.account, -ln.amount_minor, ln.loan_id) for ln in original.lines)
    return JournalEntry(
        entry_id,
        business_date,
        f"reversal:{original.kind}",
        original.currency,
        lines,
        reverses=original.entry_id,
        memo=memo or f"reverses {original.entry_id}",
    )


def balances(
    entries: Iterable[JournalEntry],
    *,
    as_of: dt.date | None = None,
    loan_id: int | None = None,
) -> dict[Account, int]:
    """Signed balances (debit positive) by account, optionally as of a date / for a loan."""
    out: dict[Account, int] = defaultdict(int)
    for e in entries:
        if as_of is not None and e.business_date > as_of:
            continue
        for ln in e.lines:
            if loan_id is not None and ln.loan_id != loan_id:
                continue
            out[ln.account] += ln.amount_minor
    return {a: v for a, v in out.items() if v != 0}


def natural_balance(account: Account, signed_minor: int) -> int:
    """A signed (debit-positive) balance shown on the account's normal side."""
    return signed_minor * int(account.normal_side)
