"""Borrowers' consents: grant, withdraw, list. Each change is audited in the same
transaction; the guard reads the records from the next decision on (they come with
the borrower's profile, :func:`dunwell.store.consent_repo.consents_by_borrower`).

Granting what is already in force, or withdrawing what is not, changes nothing and
says so. A withdrawal always takes effect: with no consent on record it is written
as a consent withdrawn at the moment it was given, so the channel stops all the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from dunwell.app import command_keys
from dunwell.app.audit import record
from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.compliance.consent import EVIDENCE_CHARS_MAX, Consent, ConsentSource, Purpose
from dunwell.compliance.model import Channel, Party
from dunwell.core.errors import InvalidInput
from dunwell.store.consent_repo import ConsentRecord

_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """What a grant or withdrawal did: the records it wrote or touched, and whether
    anything changed (False: it was already so)."""

    borrower_id: int
    channel: Channel
    party: Party
    records: tuple[ConsentRecord, ...]
    changed: bool


def _enum(kind: type[_E], value: str, field: str, noun: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(m.value for m in kind)
        raise InvalidInput(f"{field} {value!r} is not a known {noun}; use one of {known}",
                           code=f"{noun.replace(' ', '_')}_must_be_known",
                           field=field) from None


def _aware(ts: dt.datetime, field: str) -> dt.datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise InvalidInput(f"{field} {ts.isoformat()!r} has no UTC offset; give it like "
                           "2025-03-01T10:00:00+08:00", code="timestamp_must_carry_offset",
                           field=field)
    return ts


def _evidence(text: str) -> str:
    text = text.strip()
    if len(text) > EVIDENCE_CHARS_MAX:
        raise InvalidInput(f"the evidence reference has {len(text)} characters; at most "
                           f"{EVIDENCE_CHARS_MAX} (a recording id or form number, not the "
                           "evidence itself)", code="consent_evidence_must_be_short",
                           field="evidence")
    return text


def grant(app: Dunwell, *, borrower_id: int, channel: str, source: str,
          party: str = Party.BORROWER.value, purpose: str = Purpose.COLLECTIONS.value,
          evidence: str = "", at: dt.datetime | None = None,
          now: dt.datetime) -> ConsentChange:
    """The borrower allows contact by ``channel`` with ``party`` for ``purpose`` from
    ``at`` (default ``now``). Already in force: nothing changes."""
    terms = Consent(
        channel=_enum(Channel, channel, "channel", "channel"),
        party=_enum(Party, party, "party", "party"),
        purpose=_enum(Purpose, purpose, "purpose", "purpose"),
        granted_at=_aware(at or now, "at"),
        source=_enum(ConsentSource, source, "source", "consent source"),
        evidence=_evidence(evidence))
    with app.uow() as uow:
        uow.borrowers.get(borrower_id)
        command_keys.serialise(uow)
        current = [r for r in uow.consents.for_borrower(borrower_id)
                   if (r.consent.channel, r.consent.party, r.consent.purpose)
                   == (terms.channel, terms.party, terms.purpose)
                   and r.consent.withdrawn_at is None]
        if current:
            return ConsentChange(borrower_id, terms.channel, terms.party, tuple(current), False)
        consent_id = uow.consents.add(borrower_id, terms)
        _audit(uow, "consent_granted", borrower_id, consent_id, terms, terms.granted_at,
               terms.source, now)
        stored = _by_id(uow, borrower_id, consent_id)
        uow.commit()
    return ConsentChange(borrower_id, terms.channel, terms.party, (stored,), True)


def withdraw(app: Dunwell, *, borrower_id: int, channel: str, source: str,
             party: str = Party.BORROWER.value, purpose: str | None = None,
             at: dt.datetime | None = None, now: dt.datetime) -> ConsentChange:
    """The borrower withdraws consent to contact by ``channel`` with ``party`` (for
    ``purpose``, or every purpose) from ``at`` (default ``now``)."""
    chosen = _enum(Channel, channel, "channel", "channel")
    whom = _enum(Party, party, "party", "party")
    only = None if purpose is None else _enum(Purpose, purpose, "purpose", "purpose")
    how = _enum(ConsentSource, source, "source", "consent source")
    when = _aware(at or now, "at")
    with app.uow() as uow:
        uow.borrowers.get(borrower_id)
        command_keys.serialise(uow)
        mine = [r for r in uow.consents.for_borrower(borrower_id)
                if r.consent.channel is chosen and r.consent.party is whom
                and (only is None or r.consent.purpose is only)]
        open_ = [r for r in mine if r.consent.withdrawn_at is None]
        if not open_ and mine:
            return ConsentChange(borrower_id, chosen, whom, tuple(mine), False)
        ids: list[int] = []
        for rec in open_:
            if when < rec.consent.granted_at:
                raise InvalidInput(
                    f"consent {rec.consent_id} was given at {rec.consent.granted_at.isoformat()}"
                    f"; a withdrawal at {when.isoformat()} would come before it",
                    code="consent_withdrawal_must_follow_grant", field="at")
            uow.consents.withdraw(rec.consent_id, at=when, source=how)
            ids.append(rec.consent_id)
        if not open_:  # nothing on record: the withdrawal itself is the record
            terms = Consent(chosen, whom, only or Purpose.COLLECTIONS, when, when, how)
            ids.append(uow.consents.add(borrower_id, terms))
        for consent_id in ids:
            stored = _by_id(uow, borrower_id, consent_id)
            _audit(uow, "consent_withdrawn", borrower_id, consent_id, stored.consent, when,
                   how, now)
        records = tuple(_by_id(uow, borrower_id, i) for i in ids)
        uow.commit()
    return ConsentChange(borrower_id, chosen, whom, records, True)


def list_consents(app: Dunwell, *, borrower_id: int) -> list[ConsentRecord]:
    """The borrower's consent records, oldest first, withdrawn ones included."""
    with app.uow() as uow:
        uow.borrowers.get(borrower_id)
        return uow.consents.for_borrower(borrower_id)


def _by_id(uow: UnitOfWork, borrower_id: int, consent_id: int) -> ConsentRecord:
    return next(r for r in uow.consents.for_borrower(borrower_id) if r.consent_id == consent_id)


def _audit(uow: UnitOfWork, kind: str, borrower_id: int, consent_id: int, terms: Consent,
           at: dt.datetime, source: ConsentSource, now: dt.datetime) -> None:
    """The change in the hash-chained log (the evidence reference stays out of it: the
    log is kept for good, the reference is cleared when the borrower is anonymised)."""
    record(uow, at=now, entries=[(kind, f"borrower:{borrower_id}", {
        "consent_id": consent_id, "channel": terms.channel.value, "party": terms.party.value,
        "purpose": terms.purpose.value, "at": at.isoformat(), "source": source.value})])


__all__ = ["ConsentChange", "ConsentRecord", "grant", "list_consents", "withdraw"]
