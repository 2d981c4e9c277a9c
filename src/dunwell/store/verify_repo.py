"""The reconciliation's reads: set-based queries that return plain numbers.

Each method answers one question of ``dunwell book verify`` over the whole book in a
few statements (no per-loan round trips), so a nightly check of a large book costs
seconds. The comparison itself is pure and lives in :mod:`dunwell.lending.reconcile`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Select, case, exists, func, literal, or_, select

from dunwell.ledger.model import Account
from dunwell.lending.model import LoanStatus
from dunwell.lending.reconcile import SubLedgerRow
from dunwell.store import tables as t

#: The most offending items any one query brings back: the report names the first.
OFFENDING_MAX = 50

_RECEIVABLE_ACCOUNTS = (Account.PRINCIPAL_RECEIVABLE, Account.INTEREST_RECEIVABLE,
                        Account.PENALTY_RECEIVABLE, Account.FEE_RECEIVABLE, Account.SUSPENSE)


class VerifyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def unbalanced_entries(self) -> list[tuple[str, int, int]]:
        """Entries whose lines do not sum to zero, or that hold fewer than two lines:
        (entry id, sum, line count)."""
        jl = t.journal_lines.c
        total = func.coalesce(func.sum(jl.amount_minor), 0)
        q = (select(t.journal_entries.c.entry_id, total, func.count(jl.line_id))
             .select_from(t.journal_entries.outerjoin(
                 t.journal_lines, jl.entry_id == t.journal_entries.c.entry_id))
             .group_by(t.journal_entries.c.entry_id)
             .having((total != 0) | (func.count(jl.line_id) < 2))
             .order_by(t.journal_entries.c.entry_id).limit(OFFENDING_MAX))
        return [(str(e), int(s), int(n)) for e, s, n in self.conn.execute(q).all()]

    def orphan_lines(self) -> int:
        """Lines whose entry does not exist (a foreign key forbids them; counted anyway)."""
        jl = t.journal_lines.c
        q = (select(func.count()).select_from(t.journal_lines.outerjoin(
            t.journal_entries, t.journal_entries.c.entry_id == jl.entry_id))
            .where(t.journal_entries.c.entry_id.is_(None)))
        return int(self.conn.execute(q).scalar_one())

    def ledger_total(self, after_line: int | None = None) -> int:
        """All lines summed (only those after line ``after_line`` when given)."""
        q = select(func.coalesce(func.sum(t.journal_lines.c.amount_minor), 0))
        if after_line is not None:
            q = q.where(t.journal_lines.c.line_id > after_line)
        return int(self.conn.execute(q).scalar_one())

    def journal_by_loan(self, after_line: int | None = None,
                        through_line: int | None = None) -> dict[tuple[int, int], int]:
        """Signed journal balance per (loan, account) for the sub-ledger accounts (over
        the lines after ``after_line`` and up to ``through_line`` only, when given)."""
        jl = t.journal_lines.c
        q = (select(jl.loan_id, jl.account, func.sum(jl.amount_minor))
             .where(jl.loan_id.is_not(None),
                    jl.account.in_([int(a) for a in _RECEIVABLE_ACCOUNTS]))
             .group_by(jl.loan_id, jl.account))
        if after_line is not None:
            q = q.where(jl.line_id > after_line)
        if through_line is not None:
            q = q.where(jl.line_id <= through_line)
        return {(int(lid), int(acc)): int(v) for lid, acc, v in self.conn.execute(q).all()}

    # -- the day loop's incremental reads: the journal is append-only, so what a clean
    # check saw up to its last line cannot have changed; these read what came after.

    def journal_mark(self) -> tuple[int, int]:
        """(the last line's id, how many lines there are): where an incremental check
        starts next time."""
        jl = t.journal_lines.c
        last, n = self.conn.execute(select(func.coalesce(func.max(jl.line_id), 0),
                                           func.count())).one()
        return int(last), int(n)

    def lines_through(self, last_line: int) -> int:
        """How many lines have an id up to ``last_line``: equal to the count at the mark
        unless lines were removed, or (PostgreSQL) committed late with earlier ids."""
        jl = t.journal_lines.c
        return int(self.conn.execute(select(func.count()).select_from(t.journal_lines)
                                     .where(jl.line_id <= last_line)).scalar_one())

    def unbalanced_entries_after(self, after_line: int) -> list[tuple[str, int, int]]:
        """:meth:`unbalanced_entries` restricted to the entries with a line after
        ``after_line`` and the entries with no line at all (index reads, not a scan)."""
        jl = t.journal_lines.c
        je = t.journal_entries.c
        other = t.journal_lines.alias("other_lines")
        touched = (select(other.c.entry_id).where(other.c.line_id > after_line)
                   .distinct().scalar_subquery())
        no_lines = ~exists().where(other.c.entry_id == je.entry_id).correlate(t.journal_entries)
        total = func.coalesce(func.sum(jl.amount_minor), 0)
        q = (select(je.entry_id, total, func.count(jl.line_id))
             .select_from(t.journal_entries.outerjoin(t.journal_lines,
                                                      jl.entry_id == je.entry_id))
             .where(or_(je.entry_id.in_(touched), no_lines))
             .group_by(je.entry_id)
             .having((total != 0) | (func.count(jl.line_id) < 2))
             .order_by(je.entry_id).limit(OFFENDING_MAX))
        return [(str(e), int(s), int(n)) for e, s, n in self.conn.execute(q).all()]

    def orphan_lines_after(self, after_line: int) -> int:
        """:meth:`orphan_lines` among the lines after ``after_line``."""
        jl = t.journal_lines.c
        q = (select(func.count()).select_from(t.journal_lines.outerjoin(
            t.journal_entries, t.journal_entries.c.entry_id == jl.entry_id))
            .where(t.journal_entries.c.entry_id.is_(None), jl.line_id > after_line))
        return int(self.conn.execute(q).scalar_one())

    def payments_without_matching_entry_by_index(self) -> list[tuple[int, str]]:
        """:meth:`payments_without_matching_entry`, each payment's cash summed over its
        own entry's lines (an index read per payment, not a scan of every cash line)."""
        p = t.payments.c
        jl = t.journal_lines.c
        cash = (select(func.sum(jl.amount_minor))
                .where(jl.entry_id == p.entry_id, jl.account == int(Account.CASH))
                .scalar_subquery())
        q = (select(p.payment_id, p.amount_minor, t.journal_entries.c.entry_id, cash)
             .select_from(t.payments.outerjoin(
                 t.journal_entries, t.journal_entries.c.entry_id == p.entry_id))
             .where(case((t.journal_entries.c.entry_id.is_(None), literal(True)),
                         else_=func.coalesce(cash, 0) != p.amount_minor))
             .order_by(p.payment_id).limit(OFFENDING_MAX))
        return self._payment_mismatches(q)

    def subledger(self) -> list[SubLedgerRow]:
        """Every loan's servicing state summed by component, with its status."""
        i = t.installments.c
        sums = (select(
            i.loan_id,
            func.sum(i.principal_minor - i.paid_principal_minor).label("principal"),
            func.sum(i.interest_accrued_minor - i.paid_interest_minor).label("interest"),
            func.sum(i.penalty_minor - i.paid_penalty_minor).label("penalty"),
            func.sum(i.fee_minor - i.paid_fee_minor).label("fee"))
            .group_by(i.loan_id).subquery())
        ln = t.loans.c
        q = (select(ln.loan_id, ln.status, ln.suspense_minor,
                    func.coalesce(sums.c.principal, 0), func.coalesce(sums.c.interest, 0),
                    func.coalesce(sums.c.penalty, 0), func.coalesce(sums.c.fee, 0))
             .select_from(t.loans.outerjoin(sums, sums.c.loan_id == ln.loan_id))
             .order_by(ln.loan_id))
        return [SubLedgerRow(int(lid), LoanStatus(int(st)), int(susp), int(p), int(it),
                             int(pe), int(f))
                for lid, st, susp, p, it, pe, f in self.conn.execute(q).all()]

    def payments_without_matching_entry(self) -> list[tuple[int, str]]:
        """Payments whose entry is missing or whose cash line differs from the amount:
        (payment id, what is wrong)."""
        p = t.payments.c
        jl = t.journal_lines.c
        cash = (select(jl.entry_id, func.sum(jl.amount_minor).label("cash"))
                .where(jl.account == int(Account.CASH)).group_by(jl.entry_id).subquery())
        q = (select(p.payment_id, p.amount_minor, t.journal_entries.c.entry_id, cash.c.cash)
             .select_from(t.payments
                          .outerjoin(t.journal_entries, t.journal_entries.c.entry_id == p.entry_id)
                          .outerjoin(cash, cash.c.entry_id == p.entry_id))
             .where(case((t.journal_entries.c.entry_id.is_(None), literal(True)),
                         else_=func.coalesce(cash.c.cash, 0) != p.amount_minor))
             .order_by(p.payment_id).limit(OFFENDING_MAX))
        return self._payment_mismatches(q)

    def _payment_mismatches(self, q: Select[Any]) -> list[tuple[int, str]]:
        """(payment id, what is wrong) for each row (payment id, amount, entry id or
        None, cash on the entry) of ``q``."""
        out = []
        for pid, amount, entry_id, cash_minor in self.conn.execute(q).all():
            why = ("no journal entry" if entry_id is None
                   else f"cash {int(cash_minor or 0)} != amount {int(amount)}")
            out.append((int(pid), why))
        return out

    def entries_shared_by_payments(self) -> list[str]:
        """Journal entries claimed by more than one payment."""
        p = t.payments.c
        q = (select(p.entry_id).group_by(p.entry_id).having(func.count() > 1)
             .order_by(p.entry_id).limit(OFFENDING_MAX))
        return [str(r[0]) for r in self.conn.execute(q).all()]

    def repeated_keys(self) -> list[str]:
        p = t.payments.c
        q = (select(p.idempotency_key).group_by(p.idempotency_key)
             .having(func.count() > 1).order_by(p.idempotency_key).limit(OFFENDING_MAX))
        return [str(r[0]) for r in self.conn.execute(q).all()]

    def loans_closed_beyond(self, last_day: int) -> list[tuple[int, int]]:
        """Loans closed (by COB) through a day later than ``last_day``."""
        ln = t.loans.c
        q = (select(ln.loan_id, ln.last_cob_day).where(ln.last_cob_day > last_day)
             .order_by(ln.loan_id).limit(OFFENDING_MAX))
        return [(int(a), int(b)) for a, b in self.conn.execute(q).all()]

    def open_loans_behind(self, first_day: int) -> list[tuple[int, int]]:
        """Open loans whose last closed day is before ``first_day``: COB missed them."""
        ln = t.loans.c
        q = (select(ln.loan_id, ln.last_cob_day)
             .where(ln.status.in_([int(s) for s in LoanStatus if s.is_open]),
                    ln.last_cob_day < first_day, ln.disbursed_day <= first_day)
             .order_by(ln.loan_id).limit(OFFENDING_MAX))
        return [(int(a), int(b)) for a, b in self.conn.execute(q).all()]

    def partitions_closed_on(self, business_date: dt.date) -> int:
        q = (select(func.count()).select_from(t.cob_runs)
             .where(t.cob_runs.c.business_date == business_date))
        return int(self.conn.execute(q).scalar_one())

