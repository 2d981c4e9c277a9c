"""The loan sub-ledger against the journal: what each loan's servicing state says it
is owed must equal what the ledger holds for it, account by account.

For an open or paid-off loan:

- principal receivable = scheduled principal not yet paid,
- interest receivable = interest accrued (by COB or recognised by a payment) not yet paid,
- penalty receivable = penalty charged not yet paid,
- fee receivable = fees charged not yet paid,
- suspense (a liability, so credit) = money held on the loan not yet applied.

A charged-off loan's receivables were moved to the write-off account, so the journal
holds none for it; its suspense still matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dunwell.ledger.model import Account
from dunwell.lending.model import LoanStatus


@dataclass(frozen=True, slots=True)
class SubLedgerRow:
    """One loan's servicing state summed over its instalments (minor units)."""

    loan_id: int
    status: LoanStatus
    suspense_minor: int
    principal_minor: int
    interest_minor: int
    penalty_minor: int
    fee_minor: int

    def expected(self) -> dict[Account, int]:
        """Signed (debit-positive) journal balances this state implies."""
        held = {Account.SUSPENSE: -self.suspense_minor}
        if self.status is LoanStatus.CHARGED_OFF:
            return {**held, Account.PRINCIPAL_RECEIVABLE: 0, Account.INTEREST_RECEIVABLE: 0,
                    Account.PENALTY_RECEIVABLE: 0, Account.FEE_RECEIVABLE: 0}
        return {**held,
                Account.PRINCIPAL_RECEIVABLE: self.principal_minor,
                Account.INTEREST_RECEIVABLE: self.interest_minor,
                Account.PENALTY_RECEIVABLE: self.penalty_minor,
                Account.FEE_RECEIVABLE: self.fee_minor}


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A loan whose journal differs from its servicing state on one account."""

    loan_id: int
    account: Account
    journal_minor: int
    subledger_minor: int

    def describe(self) -> str:
        return (f"loan {self.loan_id} {self.account.label}: journal {self.journal_minor}, "
                f"loan {self.subledger_minor}")


def mismatches(rows: Iterable[SubLedgerRow], journal: Mapping[tuple[int, int], int],
               *, limit: int = 50) -> tuple[list[Mismatch], int]:
    """The first ``limit`` mismatches and how many loans differ in all.

    ``journal`` maps (loan id, account code) to the signed journal balance; a loan
    present in the journal but not in ``rows`` is compared against zero.
    """
    found: list[Mismatch] = []
    loans_off = 0
    seen: set[int] = set()
    for row in rows:
        seen.add(row.loan_id)
        off = False
        for account, want in row.expected().items():
            got = journal.get((row.loan_id, int(account)), 0)
            if got != want:
                off = True
                if len(found) < limit:
                    found.append(Mismatch(row.loan_id, account, got, want))
        loans_off += off
    strays = sorted({lid for (lid, _), v in journal.items() if lid not in seen and v != 0})
    for lid in strays:
        loans_off += 1
        for (jl, acc), v in sorted(journal.items()):
            if jl == lid and v != 0 and len(found) < limit:
                found.append(Mismatch(lid, Account(acc), v, 0))
    return found, loans_off
