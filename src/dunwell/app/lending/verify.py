"""``dunwell book verify``: the reconciliation a lender runs every night.

Every check reads the whole book and names the first offenders:

- ``entries_balance``: every journal entry sums to zero and has two or more lines;
- ``ledger_sums_to_zero``: all lines together sum to zero;
- ``loans_match_journal``: each loan's instalments and suspense equal its journal
  lines account by account (:mod:`dunwell.lending.reconcile`);
- ``payments_posted_once``: each payment has exactly one entry whose cash equals it;
- ``idempotency_keys_once``: no payment key twice;
- ``loans_closed_within_book_date``: no loan closed beyond the book's date, and no
  open loan left behind by COB.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dunwell.app.context import Dunwell
from dunwell.core.dates import to_day
from dunwell.lending.reconcile import mismatches
from dunwell.store.verify_repo import OFFENDING_MAX, VerifyRepository


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    offending: list[Any] = field(default_factory=list)
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "offending": self.offending,
                "detail": self.detail}


@dataclass(frozen=True, slots=True)
class BookCheck:
    business_date: dt.date | None
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok,
                "business_date": None if self.business_date is None
                else self.business_date.isoformat(),
                "checks": [c.as_json() for c in self.checks]}


def verify_book(app: Dunwell) -> BookCheck:
    """Run every check in one read-only transaction on a consistent snapshot."""
    with app.db.snapshot() as uow:
        repo = uow.verify
        info = uow.book.get()
        checks = [_entries(repo), _total(repo), _loans(repo), _payments(repo),
                  _keys(repo)]
        if info is not None:
            checks.append(_dates(repo, info.business_date))
    return BookCheck(None if info is None else info.business_date, checks)


def _entries(repo: VerifyRepository) -> Check:
    bad = repo.unbalanced_entries()
    orphans = repo.orphan_lines()
    detail = f"{orphans} lines without an entry" if orphans else ""
    return Check("entries_balance", not bad and not orphans,
                 [f"{e}: sum {s}, {n} lines" for e, s, n in bad], detail)


def _total(repo: VerifyRepository) -> Check:
    total = repo.ledger_total()
    return Check("ledger_sums_to_zero", total == 0, [] if total == 0 else [total],
                 "" if total == 0 else f"all lines sum to {total}")


def _loans(repo: VerifyRepository) -> Check:
    found, loans_off = mismatches(repo.subledger(), repo.journal_by_loan(),
                                  limit=OFFENDING_MAX)
    return Check("loans_match_journal", loans_off == 0, [m.describe() for m in found],
                 f"{loans_off} loans differ from their journal lines" if loans_off else "")


def _payments(repo: VerifyRepository) -> Check:
    bad = [f"payment {pid}: {why}" for pid, why in repo.payments_without_matching_entry()]
    bad += [f"entry {e} belongs to more than one payment"
            for e in repo.entries_shared_by_payments()]
    return Check("payments_posted_once", not bad, bad[:OFFENDING_MAX])


def _keys(repo: VerifyRepository) -> Check:
    keys = repo.repeated_keys()
    return Check("idempotency_keys_once", not keys, keys)


def _dates(repo: VerifyRepository, business_date: dt.date) -> Check:
    """While COB closes ``business_date`` some partitions may already be closed
    through it; otherwise every loan stands at the day before the book's date."""
    today = to_day(business_date)
    closing = repo.partitions_closed_on(business_date) > 0
    ahead = repo.loans_closed_beyond(today if closing else today - 1)
    behind = [] if closing else repo.open_loans_behind(today - 1)
    bad = ([f"loan {lid} closed through day {d} (book at {business_date})" for lid, d in ahead]
           + [f"open loan {lid} closed only through day {d}" for lid, d in behind])
    return Check("loans_closed_within_book_date", not bad, bad[:OFFENDING_MAX])
