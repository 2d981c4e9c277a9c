"""The book's figures for one scope. Every function is pure: rows in, figures out.

Definitions (docs/web/dashboard.md gives them with examples):

- **overdue rate M1+ / M3+** at the period's end: open loans in bucket M1 or worse
  (M3 or worse) over all open loans, by count and by outstanding principal;
- **roll rate** of bucket b: of the loans open in b at one snapshot (the period's
  first day, each month end inside it, its last day), the share in a worse bucket at
  the next snapshot, pooled over the period's steps;
- **cure rate**: of the loans in M1+ at a snapshot, the share back in M0 or paid off
  at the next, pooled the same way;
- **recovery rate**: what the loans overdue (M1+) on the period's first day paid
  during the period, over their outstanding principal that day;
- **cost per unit recovered**: the period's collection costs (field visits' recorded
  costs and legal steps' costs) over what overdue loans paid in the period (a payment
  counts when its loan closed the day before in M1+);
- **contacts per case**: contacts recorded in the period with the borrowers of cases
  open at some time in it, over those cases;
- **promise-kept rate**: promises falling due in the period that were kept, over
  those kept or broken;
- **visit return**: per agent, what the visited borrowers paid from the visit's day
  through ``roi_days`` later, over the visits' recorded cost;
- **guard denials by rule**: actions the compliance guard denied in the period;
- **champion and challenger**: the case figures per variant;
- **vintage**: per disbursement month, the share of its loans that had been in M1+
  (M3+) by each month on book."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from dunwell.analytics.history import PAID_OFF, History
from dunwell.analytics.model import (
    BUCKET_TOP,
    Book,
    CaseRow,
    PaymentRow,
    Ratio,
    Scope,
)
from dunwell.core.errors import InvalidInput

#: Days after a visit whose payments count towards its return (as ``dunwell field roi``).
ROI_DAYS = 14
#: Case statuses that end a case well.
CURED_CASES = frozenset({"cured", "paid_off"})


@dataclass(frozen=True, slots=True)
class Overdue:
    on: dt.date
    loans: int
    loans_m1: int
    loans_m3: int
    balance_minor: int
    balance_m1_minor: int
    balance_m3_minor: int

    @property
    def count_m1(self) -> Ratio:
        return Ratio(self.loans_m1, self.loans)

    @property
    def count_m3(self) -> Ratio:
        return Ratio(self.loans_m3, self.loans)

    @property
    def balance_m1(self) -> Ratio:
        return Ratio(self.balance_m1_minor, self.balance_minor)

    @property
    def balance_m3(self) -> Ratio:
        return Ratio(self.balance_m3_minor, self.balance_minor)


@dataclass(frozen=True, slots=True)
class RollRow:
    """Loans in ``bucket`` at a snapshot and where they were at the next one."""

    bucket: int
    at_start: int
    worse: int
    same: int
    better: int
    closed: int

    @property
    def rate(self) -> Ratio:
        return Ratio(self.worse, self.at_start)


@dataclass(frozen=True, slots=True)
class RoiRow:
    agent_id: str
    visits: int
    cost_minor: int
    collected_minor: int

    @property
    def ratio(self) -> Ratio:
        return Ratio(self.collected_minor, self.cost_minor)


@dataclass(frozen=True, slots=True)
class VariantRow:
    variant: str
    cases: int
    cured: int
    contacts: int
    promises_kept: int
    promises_resolved: int
    collected_minor: int

    @property
    def cure_rate(self) -> Ratio:
        return Ratio(self.cured, self.cases)

    @property
    def contacts_per_case(self) -> Ratio:
        return Ratio(self.contacts, self.cases)

    @property
    def kept_rate(self) -> Ratio:
        return Ratio(self.promises_kept, self.promises_resolved)


@dataclass(frozen=True, slots=True)
class VintagePoint:
    cohort: str  # the disbursement month, YYYY-MM
    months_on_book: int
    loans: int
    ever_m1: int
    ever_m3: int

    @property
    def m1(self) -> Ratio:
        return Ratio(self.ever_m1, self.loans)

    @property
    def m3(self) -> Ratio:
        return Ratio(self.ever_m3, self.loans)


@dataclass(frozen=True, slots=True)
class Figures:
    scope: Scope
    currency: str
    overdue: Overdue
    rolls: tuple[RollRow, ...]
    cure: Ratio
    recovery: Ratio
    collected_overdue_minor: int
    cost_minor: int
    contacts_per_case: Ratio
    promises_kept: Ratio
    roi: tuple[RoiRow, ...]
    denials: tuple[tuple[str, int], ...]
    variants: tuple[VariantRow, ...]
    vintages: tuple[VintagePoint, ...]

    @property
    def cost_per_unit(self) -> Ratio:
        return Ratio(self.cost_minor, self.collected_overdue_minor)


def check_scope(scope: Scope) -> Scope:
    if scope.date_from > scope.date_to:
        raise InvalidInput("the period's start must not be after its end; swap the dates",
                           code="period_must_run_forwards", field="from")
    return scope


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clipped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def snapshots(scope: Scope) -> list[dt.date]:
    """The period's first day, each month end strictly inside it, and its last day."""
    days = [scope.date_from]
    cursor = scope.date_from
    while True:
        end = dt.date(cursor.year, cursor.month, calendar.monthrange(cursor.year,
                                                                     cursor.month)[1])
        if end >= scope.date_to:
            break
        if end > days[-1]:
            days.append(end)
        cursor = end + dt.timedelta(days=1)
    if scope.date_to > days[-1]:
        days.append(scope.date_to)
    return days


def select(book: Book, scope: Scope) -> Book:
    """The rows of the borrowers (and loans, cases) the scope names."""
    borrowers = {ln.borrower_id for ln in book.loans}
    loans = book.loans
    cases = book.cases
    if scope.product is not None:
        loans = tuple(ln for ln in loans if ln.product_code == scope.product)
        borrowers = {ln.borrower_id for ln in loans}
    if scope.strategy is not None:
        cases = tuple(c for c in cases if c.strategy == scope.strategy)
        borrowers &= {c.borrower_id for c in cases}
    if scope.territory is not None:
        borrowers = {b for b in borrowers if book.territories.get(b) == scope.territory}
    loans = tuple(ln for ln in loans if ln.borrower_id in borrowers)
    loan_ids = {ln.loan_id for ln in loans}
    cases = tuple(c for c in cases if c.borrower_id in borrowers)
    case_ids = {c.case_id for c in cases}
    return replace(
        book, loans=loans, cases=cases,
        events=tuple(e for e in book.events if e.loan_id in loan_ids),
        payments=tuple(p for p in book.payments if p.loan_id in loan_ids),
        contacts=tuple(c for c in book.contacts if c.borrower_id in borrowers),
        promises=tuple(p for p in book.promises if p.case_id in case_ids),
        visits=tuple(v for v in book.visits if v.borrower_id in borrowers),
        costs=tuple(c for c in book.costs if c.borrower_id in borrowers),
        decisions=tuple(d for d in book.decisions if d.borrower_id in borrowers))


def overdue(history: History, day: dt.date) -> Overdue:
    n = n1 = n3 = b = b1 = b3 = 0
    for loan_id in history.loans:
        if not history.is_open(loan_id, day):
            continue
        bucket, owed = history.bucket(loan_id, day), history.outstanding(loan_id, day)
        n, b = n + 1, b + owed
        if bucket >= 1:
            n1, b1 = n1 + 1, b1 + owed
        if bucket >= 3:
            n3, b3 = n3 + 1, b3 + owed
    return Overdue(day, n, n1, n3, b, b1, b3)


def _step(history: History, loan_id: int, start: dt.date, end: dt.date) -> tuple[int, str]:
    """The loan's bucket at ``start`` and where it went by ``end``."""
    before = history.bucket(loan_id, start)
    if not history.is_open(loan_id, end):
        return before, "paid" if history.status(loan_id, end) == PAID_OFF else "closed"
    after = history.bucket(loan_id, end)
    return before, "worse" if after > before else "same" if after == before else "better"


def rolls_and_cure(history: History, days: Sequence[dt.date]) -> tuple[tuple[RollRow, ...],
                                                                        Ratio]:
    tally: dict[int, Counter[str]] = {b: Counter() for b in range(BUCKET_TOP)}
    overdue_then, cured = 0, 0
    for start, end in pairwise(days):
        for loan_id in history.loans:
            if not history.is_open(loan_id, start):
                continue
            before, where = _step(history, loan_id, start, end)
            if before < BUCKET_TOP:
                tally[before][where] += 1
            if before >= 1:
                overdue_then += 1
                back = where == "paid" or (where == "better" and
                                           history.bucket(loan_id, end) == 0)
                cured += back
    rows = tuple(RollRow(b, sum(t.values()), t["worse"], t["same"], t["better"] + t["paid"],
                         t["closed"]) for b, t in tally.items())
    return rows, Ratio(cured, overdue_then)


def recovery(history: History, payments: Iterable[PaymentRow], scope: Scope) -> Ratio:
    start = scope.date_from
    cohort = {lid for lid in history.loans
              if history.is_open(lid, start) and history.bucket(lid, start) >= 1}
    owed = sum(history.outstanding(lid, start) for lid in cohort)
    paid = sum(p.amount_minor for p in payments
               if p.loan_id in cohort and start < p.on <= scope.date_to)
    return Ratio(paid, owed)


def collected_while_overdue(history: History, payments: Iterable[PaymentRow],
                            scope: Scope) -> int:
    return sum(p.amount_minor for p in payments
               if scope.date_from <= p.on <= scope.date_to
               and history.bucket(p.loan_id, p.on - dt.timedelta(days=1)) >= 1)


def _active(cases: Iterable[CaseRow], scope: Scope) -> list[CaseRow]:
    return [c for c in cases if c.opened_on <= scope.date_to
            and (c.closed_on is None or c.closed_on >= scope.date_from)]


def _in(day: dt.date, scope: Scope) -> bool:
    return scope.date_from <= day <= scope.date_to


def visit_returns(book: Book, scope: Scope, days_after: int = ROI_DAYS) -> tuple[RoiRow, ...]:
    """Per agent and in total (agent ``*``)."""
    borrower_of = {ln.loan_id: ln.borrower_id for ln in book.loans}
    paid: dict[int, list[PaymentRow]] = {}
    for p in book.payments:
        paid.setdefault(borrower_of[p.loan_id], []).append(p)
    per: dict[str, list[int]] = {}
    for v in book.visits:
        if not _in(v.on, scope):
            continue
        until = v.on + dt.timedelta(days=days_after)
        acc = per.setdefault(v.agent_id, [0, 0, 0])
        acc[0] += 1
        acc[1] += v.cost_minor
        acc[2] += sum(p.amount_minor for p in paid.get(v.borrower_id, ())
                      if v.on <= p.on <= until)
    rows = [RoiRow(k, *acc) for k, acc in sorted(per.items())]
    if rows:
        rows.append(RoiRow("*", sum(r.visits for r in rows), sum(r.cost_minor for r in rows),
                           sum(r.collected_minor for r in rows)))
    return tuple(rows)


def variants(book: Book, scope: Scope) -> tuple[VariantRow, ...]:
    """Champion and challenger (each variant the cases carry) side by side."""
    out = []
    active = _active(book.cases, scope)
    for variant in sorted({c.variant for c in active}):
        mine = [c for c in active if c.variant == variant]
        people = {c.borrower_id for c in mine}
        ids = {c.case_id for c in mine}
        cured = sum(1 for c in mine if c.status in CURED_CASES and c.closed_on is not None
                    and _in(c.closed_on, scope))
        contacts = sum(1 for x in book.contacts if x.borrower_id in people and _in(x.on, scope))
        due = [p for p in book.promises if p.case_id in ids and _in(p.due_on, scope)]
        kept = sum(1 for p in due if p.status == "kept")
        resolved = sum(1 for p in due if p.status in ("kept", "broken"))
        loans = {ln.loan_id for ln in book.loans if ln.borrower_id in people}
        collected = sum(p.amount_minor for p in book.payments
                        if p.loan_id in loans and _in(p.on, scope))
        out.append(VariantRow(variant, len(mine), cured, contacts, kept, resolved, collected))
    return tuple(out)


def vintages(history: History, scope: Scope) -> tuple[VintagePoint, ...]:
    """Cohorts of the loans disbursed in the period, each month on book observed by
    the period's end."""
    cohorts: dict[str, list[int]] = {}
    for ln in history.loans.values():
        if _in(ln.disbursed_on, scope):
            cohorts.setdefault(ln.disbursed_on.strftime("%Y-%m"), []).append(ln.loan_id)
    points = []
    for cohort, ids in sorted(cohorts.items()):
        reached = {lid: (history.first_reached(lid, 1), history.first_reached(lid, 3))
                   for lid in ids}
        mob = 1
        while True:
            seen = [lid for lid in ids
                    if add_months(history.loans[lid].disbursed_on, mob) <= scope.date_to]
            if not seen:
                break
            points.append(VintagePoint(cohort, mob, len(seen), *(
                sum(1 for lid in seen if (d := reached[lid][k]) is not None
                    and d <= add_months(history.loans[lid].disbursed_on, mob))
                for k in (0, 1))))
            mob += 1
    return tuple(points)


def figures(book: Book, scope: Scope, *, roi_days: int = ROI_DAYS) -> Figures:
    """Every figure for ``scope`` (checked: the period must run forwards)."""
    check_scope(scope)
    part = select(book, scope)
    history = History(part.loans, part.events, part.payments)
    rolls, cure = rolls_and_cure(history, snapshots(scope))
    active = _active(part.cases, scope)
    people = {c.borrower_id for c in active}
    ids = {c.case_id for c in active}
    contacts = sum(1 for x in part.contacts if x.borrower_id in people and _in(x.on, scope))
    due = [p for p in part.promises if p.case_id in ids and _in(p.due_on, scope)]
    cost = (sum(v.cost_minor for v in part.visits if _in(v.on, scope))
            + sum(c.amount_minor for c in part.costs if _in(c.on, scope)))
    denials = Counter(d.rule or "-" for d in part.decisions
                      if d.decision == "deny" and _in(d.on, scope))
    return Figures(
        scope=scope, currency=book.currency, overdue=overdue(history, scope.date_to),
        rolls=rolls, cure=cure, recovery=recovery(history, part.payments, scope),
        collected_overdue_minor=collected_while_overdue(history, part.payments, scope),
        cost_minor=cost, contacts_per_case=Ratio(contacts, len(active)),
        promises_kept=Ratio(sum(1 for p in due if p.status == "kept"),
                            sum(1 for p in due if p.status in ("kept", "broken"))),
        roi=visit_returns(part, scope, roi_days),
        denials=tuple(sorted(denials.items(), key=lambda kv: (-kv[1], kv[0]))),
        variants=variants(part, scope), vintages=vintages(history, scope))
