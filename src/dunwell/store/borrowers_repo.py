"""Repositories of what collections knows about people and their loans: borrowers'
contact profiles (flags, hours, channels, language) and the loan facts per borrower
(days past due, amounts overdue, the next due date, risk scores, payments)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)

from dunwell.collections.model import CaseLoan
from dunwell.compliance.consent import Consent
from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContactPreferences,
    Dispute,
    Flag,
    Jurisdiction,
)
from dunwell.core.dates import to_day
from dunwell.core.errors import NotFound
from dunwell.lending.model import LoanStatus
from dunwell.store import collection_tables as c
from dunwell.store import tables as t
from dunwell.store.channel_tables import channel_addresses
from dunwell.store.complaints_repo import disputes_by_borrower
from dunwell.store.consent_repo import consents_by_borrower
from dunwell.store.crypto import keyring


@dataclass(frozen=True, slots=True)
class BorrowerProfile:
    borrower_id: int
    name: str
    jurisdiction: Jurisdiction
    borrower: Borrower


class BorrowerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, *, borrower_id: int, name: str, jurisdiction: Jurisdiction, timezone: str,
            language: str, flags: Iterable[Flag] = (), channels: Iterable[Channel] = (),
            preferences: ContactPreferences | None = None) -> None:
        prefs = preferences or ContactPreferences()
        row = {"name": name, "jurisdiction": jurisdiction.value, "timezone": timezone,
               "language": language, "flags_json": json.dumps(sorted(f.value for f in flags)),
               "channels_json": json.dumps([ch.value for ch in channels]),
               "preferences_json": json.dumps({
                   "no_contact_before": _hhmm(prefs.no_contact_before),
                   "no_contact_after": _hhmm(prefs.no_contact_after), "reason": prefs.reason})}
        exists = self.conn.execute(select(c.borrowers.c.borrower_id)
                                   .where(c.borrowers.c.borrower_id == borrower_id)).first()
        if exists:
            self.conn.execute(update(c.borrowers)
                              .where(c.borrowers.c.borrower_id == borrower_id).values(**row))
        else:
            self.conn.execute(insert(c.borrowers).values(borrower_id=borrower_id, **row))

    def set_flag(self, borrower_id: int, flag: Flag, *, on: bool) -> bool:
        """Set or clear one flag in the borrower's contact profile; True if it changed."""
        row = self.conn.execute(select(c.borrowers.c.flags_json)
                                .where(c.borrowers.c.borrower_id == borrower_id)).first()
        if row is None:
            raise NotFound(f"borrower {borrower_id} has no contact profile; add one first",
                           code="borrower_must_exist")
        flags = set(json.loads(row[0]))
        before = set(flags)
        if on:
            flags.add(flag.value)
        else:
            flags.discard(flag.value)
        if flags == before:
            return False
        self.conn.execute(update(c.borrowers).where(c.borrowers.c.borrower_id == borrower_id)
                          .values(flags_json=json.dumps(sorted(flags))))
        return True

    def set_contact_preferences(self, borrower_id: int, *, preferences: ContactPreferences,
                                channels: Sequence[Channel], language: str) -> None:
        """Replace what the borrower asked about hours, channels and language."""
        self.get(borrower_id)
        self.conn.execute(update(c.borrowers).where(c.borrowers.c.borrower_id == borrower_id)
                          .values(language=language,
                                  channels_json=json.dumps([ch.value for ch in channels]),
                                  preferences_json=json.dumps({
                                      "no_contact_before": _hhmm(preferences.no_contact_before),
                                      "no_contact_after": _hhmm(preferences.no_contact_after),
                                      "reason": preferences.reason})))

    def by_address(self, channel: str, address: str) -> int | None:
        """The borrower a channel address (phone number, e-mail) belongs to, if one
        borrower alone has it: found by its keyed hash (a phone's digits, an e-mail in
        any case), or on a row stored before encryption by the address as written."""
        a = channel_addresses
        legacy = and_(a.c.address_hash.is_(None), type_coerce(a.c.address, Text) == address)
        rows = self.conn.execute(select(a.c.borrower_id).where(
            a.c.channel == channel,
            or_(a.c.address_hash == keyring().lookup_hash(address), legacy)).limit(2)).all()
        return int(rows[0][0]) if len(rows) == 1 else None

    def get(self, borrower_id: int) -> BorrowerProfile:
        found = self.many([borrower_id])
        if borrower_id not in found:
            raise NotFound(f"borrower {borrower_id} has no contact profile; add one first",
                           code="borrower_must_exist")
        return found[borrower_id]

    def many(self, ids: Sequence[int]) -> dict[int, BorrowerProfile]:
        out: dict[int, BorrowerProfile] = {}
        for chunk in chunks(ids):
            consents = consents_by_borrower(self.conn, chunk)  # the guard reads them too
            disputes = disputes_by_borrower(self.conn, chunk)  # and the open disputes
            for r in self.conn.execute(select(c.borrowers)
                                       .where(c.borrowers.c.borrower_id.in_(chunk))):
                m = r._mapping
                bid = int(m["borrower_id"])
                out[bid] = profile_from_row(m, consents.get(bid, ()), disputes.get(bid, ()))
        return out


def profile_from_row(m: Any, consents: tuple[Consent, ...],
                     disputes: tuple[Dispute, ...]) -> BorrowerProfile:
    """A ``borrowers`` row (as a mapping, the name opened) with the borrower's consent
    records and dispute facts, as the guard reads them."""
    prefs = json.loads(m["preferences_json"])
    borrower = Borrower(
        timezone=m["timezone"],
        flags=frozenset(Flag(f) for f in json.loads(m["flags_json"])),
        preferred_channels=tuple(Channel(x) for x in json.loads(m["channels_json"])),
        contact_preferences=ContactPreferences(
            _time(prefs.get("no_contact_before")), _time(prefs.get("no_contact_after")),
            prefs.get("reason")),
        language=m["language"], consents=consents, disputes=disputes)
    return BorrowerProfile(int(m["borrower_id"]), m["name"], Jurisdiction(m["jurisdiction"]),
                           borrower)


def _hhmm(t_: dt.time | None) -> str | None:
    return None if t_ is None else t_.isoformat("minutes")


def _time(text: str | None) -> dt.time | None:
    return None if not text else dt.time.fromisoformat(text)


def chunks(ids: Sequence[int], size: int = 900) -> Iterable[list[int]]:
    """``ids`` in lists small enough for one ``IN (...)`` on every backend."""
    items = list(ids)
    for k in range(0, len(items), size):
        yield items[k:k + size]


class LoanFactsRepository:
    """What collections sees of the loan book, by borrower."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def facts(self, today: dt.date, borrower_ids: Sequence[int] | None = None, *,
              only: bool = False) -> tuple[dict[int, list[CaseLoan]], dict[int, dt.date]]:
        """Loans per borrower (open ones, and closed ones of the given borrowers) with
        days past due as of ``today`` (today minus the oldest unpaid due date), and
        each borrower's next unpaid due date on or after ``today``. With ``only``, just
        the given borrowers' loans are read (not the whole open book)."""
        day = to_day(today)
        i = t.installments.c
        unpaid = ((i.principal_minor - i.paid_principal_minor)
                  + (i.interest_minor - i.paid_interest_minor)
                  + (i.fee_minor - i.paid_fee_minor) + (i.penalty_minor - i.paid_penalty_minor))
        overdue = func.sum(_case_when(i.due_day < day, unpaid))
        outstanding = func.sum(unpaid)
        oldest_late = func.min(_case_when(and_(i.due_day < day, unpaid > 0), i.due_day, None))
        next_due = func.min(_case_when(and_(i.due_day >= day, unpaid > 0), i.due_day, None))
        open_codes = [int(s) for s in LoanStatus if s.is_open]
        mine = t.loans.c.borrower_id.in_(list(borrower_ids or ()))
        cond: ColumnElement[bool] = t.loans.c.status.in_(open_codes)
        if only:
            cond = mine
        elif borrower_ids:
            cond = cond | mine
        q = (select(t.loans.c.loan_id, t.loans.c.borrower_id, t.loans.c.status,
                    oldest_late, overdue, outstanding, next_due)
             .join(t.installments, i.loan_id == t.loans.c.loan_id).where(cond)
             .group_by(t.loans.c.loan_id, t.loans.c.borrower_id, t.loans.c.status)
             .order_by(t.loans.c.borrower_id, t.loans.c.loan_id))
        loans: dict[int, list[CaseLoan]] = defaultdict(list)
        due: dict[int, dt.date] = {}
        for lid, bid, status, late, od, outst, nd in self.conn.execute(q):
            st = LoanStatus(int(status))
            dpd = day - int(late) if late is not None and st.is_open else 0
            loans[int(bid)].append(CaseLoan(str(lid), dpd, max(0, int(od or 0)),
                                            max(0, int(outst or 0)), st))
            if nd is not None and st.is_open:
                when = today + dt.timedelta(days=int(nd) - day)
                due[int(bid)] = min(due.get(int(bid), when), when)
        return loans, due

    def risk_scores(self) -> dict[int, float]:
        """Each borrower's latest early-warning score: the highest over their loans."""
        q = (select(t.loans.c.borrower_id, func.max(c.loan_scores.c.score_bps))
             .join(c.loan_scores, c.loan_scores.c.loan_id == t.loans.c.loan_id)
             .group_by(t.loans.c.borrower_id))
        return {int(b): int(s) / 10_000 for b, s in self.conn.execute(q)}  # float-ok: a probability

    def payments_since(self, borrower_id: int, since: dt.date) -> list[tuple[dt.date, int]]:
        q = (select(t.payments.c.business_date, t.payments.c.amount_minor)
             .join(t.loans, t.loans.c.loan_id == t.payments.c.loan_id)
             .where(t.loans.c.borrower_id == borrower_id, t.payments.c.business_date >= since,
                    t.payments.c.reversal_entry_id.is_(None))
             .order_by(t.payments.c.payment_id))
        return [(d, int(a)) for d, a in self.conn.execute(q)]


def _case_when(cond: Any, value: Any, other: Any = 0) -> Any:
    return case((cond, value), else_=other)


__all__ = ["BorrowerProfile", "BorrowerRepository", "LoanFactsRepository", "chunks"]
