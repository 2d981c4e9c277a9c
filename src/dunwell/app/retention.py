"""Retention: which borrowers are past their jurisdiction's retention period, and their
anonymisation.

:func:`plan` reads and changes nothing: per borrower past their period, the rule and
the day it ended, and how many rows and fields of each table would change.
:func:`apply` does it in batches, one transaction each, re-checking every borrower
inside the transaction, with one audit record per borrower: the name becomes
"anonymised", channel and postal addresses are removed, message addresses and
bodies, visit coordinates, proofs and notes, letter event proofs and the consents'
evidence references are cleared, and letters keep only what the financial record
needs (their title, headings and tables of amounts). Loans, instalments, the ledger,
payments, contacts and cases are not touched, so ``dunwell book verify`` stays
clean. A borrower once anonymised is never picked again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.channels.document import (
    Document,
    Heading,
    Table,
    document_from_data,
    document_json,
)
from dunwell.compliance.model import Jurisdiction
from dunwell.compliance.retention import RetentionDecision, retention_decision
from dunwell.core.errors import InvalidInput

#: Borrowers read per page while looking for those past their period.
PAGE_SIZE = 500
#: Pages one scan reads at the most (PAGE_SIZE x PAGES_MAX borrowers).
PAGES_MAX = 100_000
#: Borrowers anonymised per transaction, by default and at the most.
BATCH_SIZE = 100
BATCH_SIZE_MAX = 1_000


@dataclass(frozen=True, slots=True)
class Due:
    """One borrower past their retention period, and what anonymising them changes:
    per table, (rows, fields)."""

    borrower_id: int
    jurisdiction: Jurisdiction
    decision: RetentionDecision
    tables: dict[str, tuple[int, int]]

    @property
    def retain_until(self) -> dt.date:
        assert self.decision.retain_until is not None
        return self.decision.retain_until

    @property
    def fields(self) -> int:
        return sum(n for _, n in self.tables.values())


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    """What :func:`apply` would do on ``as_of``: the borrowers due, and how many of the
    others are kept and why."""

    as_of: dt.date
    due: tuple[Due, ...]
    kept: dict[str, int]
    scanned: int

    @property
    def fields(self) -> int:
        return sum(d.fields for d in self.due)


@dataclass(slots=True)
class ApplyReport:
    as_of: dt.date
    anonymised: list[int] = field(default_factory=list)
    fields: int = 0
    tables: Counter[str] = field(default_factory=Counter)
    skipped: int = 0


def reduce_letter(text: str) -> str:
    """A stored letter reduced to what the financial record needs: its title,
    headings and tables (the amounts by loan and date); the name, the address and
    the running text go. Reducing twice gives the same text."""
    doc = document_from_data(json.loads(text))
    kept = tuple(b for b in doc.blocks if isinstance(b, Heading | Table))
    return document_json(Document(title=doc.title, language=doc.language, blocks=kept,
                                  footer=doc.footer))


def _letters(uow: UnitOfWork, borrower_id: int) -> list[tuple[str, str]]:
    """(letter number, reduced text) of each letter not reduced yet."""
    out = []
    for letter in uow.retention.letters(borrower_id):
        reduced = reduce_letter(letter.document_json)
        if reduced != letter.document_json:
            out.append((letter.letter_no, reduced))
    return out


def _due_in(uow: UnitOfWork, ids: list[int], as_of: dt.date,
            kept: Counter[str] | None = None) -> list[Due]:
    facts = uow.retention.facts(ids)
    due: list[tuple[int, RetentionDecision]] = []
    for bid in ids:
        if bid not in facts:
            continue
        decision = retention_decision(facts[bid], as_of)
        if decision.anonymise:
            due.append((bid, decision))
        elif kept is not None:
            kept[decision.blockers[0] if decision.blockers else (
                "within the retention period" if decision.retain_until else decision.reason)] += 1
    data = uow.retention.personal_data([bid for bid, _ in due])
    out = []
    for bid, decision in due:
        tables = dict(data[bid].tables)
        letters = len(_letters(uow, bid))
        if letters:
            tables["letters"] = (letters, letters)
        out.append(Due(bid, decision.period.jurisdiction, decision, tables))
    return out


def _pages(uow: UnitOfWork) -> Iterator[list[int]]:
    after = 0
    for _ in range(PAGES_MAX):
        ids = uow.retention.candidates(after=after, limit=PAGE_SIZE)
        if not ids:
            return
        yield ids
        after = ids[-1]


def plan(app: Dunwell, as_of: dt.date) -> RetentionPlan:
    """Who is past their retention period on ``as_of`` and what anonymising them would
    change; nothing is written."""
    kept: Counter[str] = Counter()
    due: list[Due] = []
    scanned = 0
    with app.db.snapshot() as uow:
        for ids in _pages(uow):
            scanned += len(ids)
            due.extend(_due_in(uow, ids, as_of, kept))
    return RetentionPlan(as_of, tuple(due), dict(kept), scanned)


def apply(app: Dunwell, as_of: dt.date, *, now: dt.datetime, batch_size: int = BATCH_SIZE,
          progress: Callable[[int, int], None] | None = None) -> ApplyReport:
    """Anonymise every borrower past their period on ``as_of``, ``batch_size`` to a
    transaction; ``progress(done, total)`` after each batch. Running it again changes
    nothing: an anonymised borrower is not picked again."""
    if not 1 <= batch_size <= BATCH_SIZE_MAX:
        raise InvalidInput(f"the batch size must be 1 to {BATCH_SIZE_MAX}, not {batch_size}",
                           code="batch_size_must_be_in_range", field="batch_size")
    if now.tzinfo is None:
        raise InvalidInput("now must carry a time zone", code="timestamp_must_carry_offset",
                           field="now")
    todo = [d.borrower_id for d in plan(app, as_of).due]
    report = ApplyReport(as_of)
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        with app.uow() as uow:
            fresh = {d.borrower_id: d for d in _due_in(uow, batch, as_of)}
            done = uow.retention.anonymised(batch)
            for bid in batch:
                if bid in done or bid not in fresh:
                    report.skipped += 1
                    continue
                _anonymise(uow, fresh[bid], as_of=as_of, now=now)
                report.anonymised.append(bid)
                report.fields += fresh[bid].fields
                report.tables.update({t: n for t, (_, n) in fresh[bid].tables.items()})
            uow.commit()
        if progress is not None:
            progress(min(start + batch_size, len(todo)), len(todo))
    return report


def _anonymise(uow: UnitOfWork, due: Due, *, as_of: dt.date, now: dt.datetime) -> None:
    repo = uow.retention
    for letter_no, reduced in _letters(uow, due.borrower_id):
        repo.set_letter_document(letter_no, reduced)
    repo.anonymise(due.borrower_id)
    repo.record(due.borrower_id, at=now, as_of=as_of, jurisdiction=due.jurisdiction,
                retain_until=due.retain_until, tables=due.tables)
    period = due.decision.period
    record(uow, at=now, entries=[("anonymisation", f"borrower:{due.borrower_id}", {
        "as_of": as_of.isoformat(), "jurisdiction": due.jurisdiction.value,
        "rule": period.rule, "years": period.years,
        "retain_until": due.retain_until.isoformat(), "fields": due.fields,
        "tables": {t: {"rows": r, "fields": n} for t, (r, n) in sorted(due.tables.items())}})])


__all__ = ["ApplyReport", "Due", "RetentionPlan", "apply", "plan", "reduce_letter"]
