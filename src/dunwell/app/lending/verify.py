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

The day loop verifies after every close. Read whole, the journal grows by every loan's
accruals each day, so the nightly check would cost O(days x loans) per day and the run
O(days² x loans). :func:`verify_book_since_mark` gives the same report at O(day's
lines): the journal is append-only (lines are only ever inserted), so after a clean
check it keeps a :class:`JournalMark` — the last line id, the line count and each
loan's receivable balances — and the next check reads only the lines after it for the
journal checks (the sub-ledger, payment, key and date checks read as before). Anything
not clean, or a mark that no longer holds (fewer or more lines up to its last id:
lines removed, or on PostgreSQL committed late with earlier ids), falls back to
:func:`verify_book`, so every failure is reported by the full check.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, field
from typing import Any

from dunwell.app.context import Database, Dunwell
from dunwell.app.uow import UnitOfWork
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
        return _check(uow)


@dataclass(slots=True)
class JournalMark:
    """What a clean check saw of the journal: lines up to ``last_line`` (``lines`` of
    them) and the receivable balance per (loan, account) they sum to."""

    last_line: int
    lines: int
    by_loan: dict[tuple[int, int], int]


#: The last clean check's mark per database, for as long as the database is open.
_MARKS: weakref.WeakKeyDictionary[Database, JournalMark] = weakref.WeakKeyDictionary()


def verify_book_since_mark(app: Dunwell) -> BookCheck:
    """:func:`verify_book`'s report, reading only the journal lines added since the
    last clean check of this database in this process (the first call reads all)."""
    mark = _MARKS.get(app.db)
    if mark is not None:
        with app.db.snapshot() as uow:
            report, new_mark = _since(uow, mark)
        if report is not None:
            _MARKS[app.db] = new_mark
            return report
    _MARKS.pop(app.db, None)
    with app.db.snapshot() as uow:
        last, n = uow.verify.journal_mark()
        report = _check(uow)
        if report.ok:
            _MARKS[app.db] = JournalMark(last, n, uow.verify.journal_by_loan(through_line=last))
    return report


def _since(uow: UnitOfWork, mark: JournalMark) -> tuple[BookCheck | None, JournalMark]:
    """The checks over the lines after ``mark``, or None when the mark no longer holds
    or anything is wrong (the caller then runs the full check)."""
    repo = uow.verify
    if repo.lines_through(mark.last_line) != mark.lines:
        return None, mark
    last, n = repo.journal_mark()
    by_loan = dict(mark.by_loan)
    for key, amount in repo.journal_by_loan(after_line=mark.last_line,
                                            through_line=last).items():
        by_loan[key] = by_loan.get(key, 0) + amount
    info = uow.book.get()
    bad_entries = repo.unbalanced_entries_after(mark.last_line)
    orphans = repo.orphan_lines_after(mark.last_line)
    total = repo.ledger_total(after_line=mark.last_line)
    _, loans_off = mismatches(repo.subledger(), by_loan, limit=OFFENDING_MAX)
    payments = _payments(repo, by_index=True)
    checks = [Check("entries_balance", not bad_entries and not orphans),
              Check("ledger_sums_to_zero", total == 0),
              Check("loans_match_journal", loans_off == 0),
              payments, _keys(repo)]
    if info is not None:
        checks.append(_dates(repo, info.business_date))
    report = BookCheck(None if info is None else info.business_date, checks)
    return (report if report.ok else None), JournalMark(last, n, by_loan)


def _check(uow: UnitOfWork) -> BookCheck:
    repo = uow.verify
    info = uow.book.get()
    checks = [_entries(repo), _total(repo), _loans(repo), _payments(repo), _keys(repo)]
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


def _payments(repo: VerifyRepository, *, by_index: bool = False) -> Check:
    found = (repo.payments_without_matching_entry_by_index() if by_index
             else repo.payments_without_matching_entry())
    bad = [f"payment {pid}: {why}" for pid, why in found]
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
