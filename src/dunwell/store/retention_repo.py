"""Repository of retention (``uow.retention``): the facts that decide how long a
borrower's records are kept, the personal data still held about them, and the writes
that anonymise it, leaving loans, the ledger, payments and contacts as they are.

Every write goes through SQLAlchemy with the tables' own column types, so a sealed
column is sealed again when it is cleared; nothing compares or counts ciphertext in
SQL: the personal values are read back (opened) and counted here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)

from dunwell.collections.model import CaseStatus
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.compliance.retention import RetentionFacts
from dunwell.legal.model import LegalState, ReferralStatus
from dunwell.lending.model import LoanStatus
from dunwell.store import channel_tables as ch
from dunwell.store import collection_tables as c
from dunwell.store import consent_tables as ct
from dunwell.store import field_tables as f
from dunwell.store import legal_tables as lg
from dunwell.store import letter_tables as lt
from dunwell.store import origination_tables as o
from dunwell.store import tables as t
from dunwell.store.consent_repo import utc_text

#: Borrower ids per ``IN (...)`` clause (well under every driver's parameter limit).
IN_CHUNK = 500
#: What a borrower's name becomes.
ANONYMISED = "anonymised"
_OPEN_LOANS = [int(s) for s in LoanStatus if s.is_open]
_CLOSED_LOANS = [int(LoanStatus.PAID_OFF), int(LoanStatus.CHARGED_OFF)]
_ACTIVE_CASES = [s.value for s in CaseStatus if s.is_active]
_OPEN_REFERRALS = [s.value for s in ReferralStatus if s.is_open]
_ENDED_LEGAL = [LegalState.SETTLED.value, LegalState.CLOSED.value]


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for k in range(0, len(items), IN_CHUNK):
        yield items[k:k + IN_CHUNK]


@dataclass(frozen=True, slots=True)
class Scrub:
    """Personal columns of ``table`` and what each becomes; ``owner`` is the borrower
    id of a row (a column of ``table``, or of ``parent`` joined on ``join``)."""

    table: Table
    columns: Mapping[str, Any]
    owner: Callable[[], ColumnElement[Any]]
    parent: Table | None = None
    join: Callable[[], ColumnElement[bool]] | None = None
    key: str = ""  # the column of ``table`` that ``parent`` is matched on
    parent_key: str = ""

    def owned(self, ids: list[int]) -> ColumnElement[bool]:
        """Rows of ``table`` that belong to the borrowers ``ids``."""
        if self.parent is None:
            return self.owner().in_(ids)
        return self.table.c[self.key].in_(
            select(self.parent.c[self.parent_key]).where(self.owner().in_(ids)))


def _utc(ts: dt.datetime) -> dt.datetime:
    return ts if ts.tzinfo is None else ts.astimezone(dt.UTC).replace(tzinfo=None)


def _changes(value: Any, becomes: Any) -> bool:
    if becomes is None:
        return value is not None
    return value not in (None, "", becomes)


SCRUBS: tuple[Scrub, ...] = (
    Scrub(ch.outbox, {"to_address": None, "subject": "", "body": "", "last_error": None},
          lambda: ch.outbox.c.borrower_id),
    Scrub(ch.outbox_attempts, {"error": None}, lambda: ch.outbox.c.borrower_id,
          ch.outbox, lambda: ch.outbox_attempts.c.message_id == ch.outbox.c.message_id,
          "message_id", "message_id"),
    Scrub(ch.delivery_reports, {"error": None}, lambda: ch.outbox.c.borrower_id,
          ch.outbox, lambda: ch.delivery_reports.c.message_id == ch.outbox.c.message_id,
          "message_id", "message_id"),
    Scrub(f.visits, {"outcome_latitude": None, "outcome_longitude": None, "proof": None,
                     "note": ""}, lambda: f.visits.c.borrower_id),
    Scrub(lt.letter_events, {"proof": None, "note": ""}, lambda: lt.letters.c.borrower_id,
          lt.letters, lambda: lt.letter_events.c.letter_no == lt.letters.c.letter_no,
          "letter_no", "letter_no"),
    Scrub(o.applicants, {"name": ANONYMISED}, lambda: o.credit_lines.c.borrower_id,
          o.credit_lines, lambda: o.applicants.c.applicant_id == o.credit_lines.c.applicant_id,
          "applicant_id", "applicant_id"),
    Scrub(ct.consents, {"evidence": ""}, lambda: ct.consents.c.borrower_id),
)
#: Tables whose rows are removed: the borrower's channel addresses and postal address.
REMOVED: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (ch.channel_addresses, ("address",)),
    (f.borrower_addresses, ("address_text", "latitude", "longitude")),
)


@dataclass(slots=True)
class PersonalData:
    """What is still held about one borrower: per table, the rows and the fields that
    anonymisation would change, and the letters whose document it would reduce."""

    borrower_id: int
    tables: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> rows, fields

    def add(self, table: str, rows: int, fields: int) -> None:
        if fields:
            had_rows, had_fields = self.tables.get(table, (0, 0))
            self.tables[table] = (had_rows + rows, had_fields + fields)

    @property
    def fields(self) -> int:
        return sum(n for _, n in self.tables.values())


@dataclass(frozen=True, slots=True)
class LetterText:
    letter_no: str
    borrower_id: int
    document_json: str


class RetentionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- which borrowers -------------------------------------------------------------
    def candidates(self, *, after: int, limit: int) -> list[int]:
        """Borrower ids above ``after`` not anonymised yet, ascending, at most ``limit``."""
        b = c.borrowers
        done = exists().where(ct.anonymisations.c.borrower_id == b.c.borrower_id)
        q = (select(b.c.borrower_id).where(b.c.borrower_id > after, ~done)
             .order_by(b.c.borrower_id).limit(limit))
        return [int(r[0]) for r in self.conn.execute(q)]

    def anonymised(self, ids: Sequence[int]) -> set[int]:
        a = ct.anonymisations
        out: set[int] = set()
        for chunk in _chunks(ids):
            out |= {int(r[0]) for r in self.conn.execute(
                select(a.c.borrower_id).where(a.c.borrower_id.in_(chunk)))}
        return out

    # --- facts -----------------------------------------------------------------------
    def facts(self, ids: Sequence[int]) -> dict[int, RetentionFacts]:
        """Retention facts of the borrowers ``ids``, a few grouped queries per chunk."""
        out: dict[int, RetentionFacts] = {}
        for chunk in _chunks(ids):
            out.update(self._facts(chunk))
        return out

    def _facts(self, ids: list[int]) -> dict[int, RetentionFacts]:
        b = c.borrowers
        people = {int(bid): (Jurisdiction(j), Flag.DISPUTED.value in json.loads(flags))
                  for bid, j, flags in self.conn.execute(
                      select(b.c.borrower_id, b.c.jurisdiction, b.c.flags_json)
                      .where(b.c.borrower_id.in_(ids)))}
        loans, events = t.loans, t.loan_events
        open_loans = self._counts(select(loans.c.borrower_id, func.count()).where(
            loans.c.borrower_id.in_(ids), loans.c.status.in_(_OPEN_LOANS))
            .group_by(loans.c.borrower_id))
        closed = self._dates(select(loans.c.borrower_id, func.max(events.c.business_date))
                             .join(events, events.c.loan_id == loans.c.loan_id)
                             .where(loans.c.borrower_id.in_(ids),
                                    events.c.after.in_(_CLOSED_LOANS))
                             .group_by(loans.c.borrower_id))
        cases = self._counts(select(c.cases.c.borrower_id, func.count()).where(
            c.cases.c.borrower_id.in_(ids), c.cases.c.status.in_(_ACTIVE_CASES))
            .group_by(c.cases.c.borrower_id))
        r = lg.legal_referrals
        legal = self._counts(select(r.c.borrower_id, func.count()).where(
            r.c.borrower_id.in_(ids), r.c.status.in_(_OPEN_REFERRALS),
            r.c.legal_state.is_(None) | r.c.legal_state.not_in(_ENDED_LEGAL))
            .group_by(r.c.borrower_id))
        activity = self._activity(ids)
        return {bid: RetentionFacts(
            jurisdiction=j, last_closed_on=closed.get(bid), last_activity_on=activity.get(bid),
            open_loans=open_loans.get(bid, 0), active_cases=cases.get(bid, 0),
            active_legal_cases=legal.get(bid, 0), open_disputes=int(disputed))
            for bid, (j, disputed) in people.items()}

    def _activity(self, ids: list[int]) -> dict[int, dt.date]:
        """The last day of collection activity per borrower: a payment, a loan event, a
        letter, a case opening or closing, or a contact (its own calendar day, plus one
        for the time zones: contacts are kept as local timestamps)."""
        loans = t.loans
        queries = [
            select(loans.c.borrower_id, func.max(t.payments.c.business_date))
            .join(t.payments, t.payments.c.loan_id == loans.c.loan_id)
            .where(loans.c.borrower_id.in_(ids)).group_by(loans.c.borrower_id),
            select(loans.c.borrower_id, func.max(t.loan_events.c.business_date))
            .join(t.loan_events, t.loan_events.c.loan_id == loans.c.loan_id)
            .where(loans.c.borrower_id.in_(ids)).group_by(loans.c.borrower_id),
            select(lt.letters.c.borrower_id, func.max(lt.letters.c.business_date))
            .where(lt.letters.c.borrower_id.in_(ids)).group_by(lt.letters.c.borrower_id),
            select(c.cases.c.borrower_id, func.max(c.cases.c.opened_on))
            .where(c.cases.c.borrower_id.in_(ids)).group_by(c.cases.c.borrower_id),
            select(c.cases.c.borrower_id, func.max(c.cases.c.closed_on))
            .where(c.cases.c.borrower_id.in_(ids)).group_by(c.cases.c.borrower_id),
        ]
        last: dict[int, dt.date] = {}
        for q in queries:
            for bid, day in self._dates(q).items():
                last[bid] = max(last.get(bid, day), day)
        for bid, stamps in self._contact_stamps(ids).items():
            latest = max((dt.datetime.fromisoformat(s) for s in stamps), key=_utc)
            day = latest.date() + dt.timedelta(days=1)
            last[bid] = max(last.get(bid, day), day)
        return last

    def _contact_stamps(self, ids: list[int]) -> dict[int, list[str]]:
        """The latest contact timestamp text per borrower and UTC offset (texts with one
        offset compare as times; across offsets they need reading)."""
        k = c.contacts
        offset = func.substr(k.c.ts, func.length(k.c.ts) - 5)  # "+08:00"
        q = (select(k.c.borrower_id, func.max(k.c.ts)).where(k.c.borrower_id.in_(ids))
             .group_by(k.c.borrower_id, offset))
        out: dict[int, list[str]] = defaultdict(list)
        for bid, ts in self.conn.execute(q):
            if ts is not None:
                out[int(bid)].append(str(ts))
        return out

    def _counts(self, q: Any) -> dict[int, int]:
        return {int(bid): int(n) for bid, n in self.conn.execute(q)}

    def _dates(self, q: Any) -> dict[int, dt.date]:
        return {int(bid): day for bid, day in self.conn.execute(q) if day is not None}

    # --- personal data ---------------------------------------------------------------
    def personal_data(self, ids: Sequence[int]) -> dict[int, PersonalData]:
        """What anonymisation would change for each of ``ids`` (letters excepted: see
        :meth:`letters`), read and counted in Python."""
        out = {bid: PersonalData(bid) for bid in ids}
        for chunk in _chunks(ids):
            self._borrower_rows(chunk, out)
            for scrub in SCRUBS:
                self._scrub_counts(scrub, chunk, out)
            for table, columns in REMOVED:
                q = (select(table.c.borrower_id, *(table.c[n] for n in columns))
                     .where(table.c.borrower_id.in_(chunk)))
                for bid, *values in self.conn.execute(q):
                    out[int(bid)].add(table.name, 1,
                                      sum(1 for v in values if v not in (None, "")))
        return out

    def _borrower_rows(self, ids: list[int], out: dict[int, PersonalData]) -> None:
        b = c.borrowers
        q = select(b.c.borrower_id, b.c.name, b.c.preferences_json).where(
            b.c.borrower_id.in_(ids))
        for bid, name, prefs in self.conn.execute(q):
            fields = int(name != ANONYMISED) + int(bool(json.loads(prefs).get("reason")))
            out[int(bid)].add(b.name, 1, fields)

    def _scrub_counts(self, scrub: Scrub, ids: list[int], out: dict[int, PersonalData]) -> None:
        cols = [scrub.table.c[n] for n in scrub.columns]
        keys = list(scrub.table.primary_key.columns)
        q = select(scrub.owner(), *cols, *keys)
        if scrub.parent is not None and scrub.join is not None:
            q = q.select_from(scrub.table.join(scrub.parent, scrub.join())).distinct()
        for bid, *values in self.conn.execute(q.where(scrub.owner().in_(ids))):
            changed = sum(1 for v, becomes in zip(values, scrub.columns.values(), strict=False)
                          if _changes(v, becomes))
            out[int(bid)].add(scrub.table.name, 1 if changed else 0, changed)

    def letters(self, borrower_id: int) -> list[LetterText]:
        """The borrower's letters with their stored documents, oldest first."""
        q = (select(lt.letters.c.letter_no, lt.letters.c.document_json)
             .where(lt.letters.c.borrower_id == borrower_id).order_by(lt.letters.c.letter_id))
        return [LetterText(str(no), borrower_id, str(doc)) for no, doc in self.conn.execute(q)]

    # --- writes ----------------------------------------------------------------------
    def anonymise(self, borrower_id: int) -> None:
        """Clear the borrower's personal data (see :data:`SCRUBS`, :data:`REMOVED`): the
        name becomes :data:`ANONYMISED`, requested hours lose their reason."""
        b = c.borrowers
        row = self.conn.execute(select(b.c.preferences_json)
                                .where(b.c.borrower_id == borrower_id)).first()
        if row is not None:
            prefs = {**json.loads(row[0]), "reason": None}
            self.conn.execute(update(b).where(b.c.borrower_id == borrower_id).values(
                name=ANONYMISED, preferences_json=json.dumps(prefs)))
        for scrub in SCRUBS:
            self.conn.execute(update(scrub.table).where(scrub.owned([borrower_id]))
                              .values(**scrub.columns))
        for table, _ in REMOVED:
            self.conn.execute(delete(table).where(table.c.borrower_id == borrower_id))

    def set_letter_document(self, letter_no: str, document_json: str) -> None:
        self.conn.execute(update(lt.letters).where(lt.letters.c.letter_no == letter_no)
                          .values(document_json=document_json))

    def record(self, borrower_id: int, *, at: dt.datetime, as_of: dt.date,
               jurisdiction: Jurisdiction, retain_until: dt.date,
               tables: Mapping[str, tuple[int, int]]) -> None:
        """Remember that the borrower was anonymised (once: the key is the borrower)."""
        self.conn.execute(insert(ct.anonymisations).values(
            borrower_id=borrower_id, anonymised_at=utc_text(at), as_of=as_of,
            jurisdiction=jurisdiction.value, retain_until=retain_until,
            fields=sum(n for _, n in tables.values()),
            tables_json=json.dumps({k: list(v) for k, v in sorted(tables.items())})))


__all__ = ["ANONYMISED", "LetterText", "PersonalData", "RetentionRepository"]
