"""In-memory repositories of channels: the outbox with its attempts and delivery
reports (``uow.outbox``), what a message needs to know about a borrower
(``uow.channel_facts``) and the letter register (``uow.letters``), on dictionaries.

They keep their data in ``state["channels"]`` (a :class:`ChannelsData`), looked up on
every call, and return the store's records and raise the store's rejections (same
codes, same words). A message is kept as the store's :class:`Message` with its
content's fingerprint; a claim is a conditional change like the store's, so a
dispatcher that lost its claim finds out the same way. Addresses, cases and the
day's allowed letter actions are read from the collections fake, the loans from the
lending fake, where the store reads their tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dunwell.channels.document import Document, document_from_data
from dunwell.channels.errors import KEY_REUSED, MESSAGE_UNKNOWN
from dunwell.channels.letters import (
    DispatchMethod,
    LetterEvent,
    LetterRecord,
    LetterStatus,
)
from dunwell.channels.model import Attempt, Message, MessageChannel, MessageStatus
from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, NotFound
from dunwell.store.letters_repo import LIST_LIMIT_MAX, LetterAction
from dunwell.store.outbox_repo import CLAIM_LIMIT_MAX, Draft
from fakes import registry
from fakes.collections import collections_data, unpaid_minor
from fakes.lending import lending_data


@dataclass
class Report:
    provider: str
    message_id: int
    status: str
    at: dt.datetime
    received_at: dt.datetime
    applied: bool
    error: str | None


@dataclass
class StoredLetter:
    record: LetterRecord
    sequence: int
    document_json: str


@dataclass
class ChannelsData:
    #: message id -> (message, fingerprint of its content)
    messages: dict[int, tuple[Message, str]] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    #: letter number -> the letter and its stored body
    letters: dict[str, StoredLetter] = field(default_factory=dict)
    letter_events: list[LetterEvent] = field(default_factory=list)


def channels_data(state: dict[str, Any]) -> ChannelsData:
    """The outbox and the letter register kept in ``state`` (made on first use)."""
    data = state.setdefault("channels", ChannelsData())
    assert isinstance(data, ChannelsData)
    return data


class _Repo:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def data(self) -> ChannelsData:
        return channels_data(self._state)


def _micro(moment: dt.datetime) -> dt.datetime:
    """A moment as the store keeps it: UTC, to the microsecond."""
    if moment.tzinfo is None:
        raise ValueError("outbox timestamps must be timezone-aware")
    return moment.astimezone(dt.UTC)


def _due(m: Message, now: dt.datetime) -> bool:
    at = _micro(now)
    return ((m.status is MessageStatus.PENDING and m.next_attempt_at <= at)
            or (m.status is MessageStatus.SENDING and m.lease_until is not None
                and m.lease_until <= at))


class FakeOutboxRepository(_Repo):
    def add(self, draft: Draft, *, now: dt.datetime) -> tuple[Message, bool]:
        digest = draft.digest()
        for message, stored in self.data.messages.values():
            if message.idempotency_key == draft.idempotency_key:
                if stored != digest:
                    raise Conflict(
                        f"idempotency key {draft.idempotency_key} was used for a different "
                        "message; derive a new key for new content",
                        code=KEY_REUSED, idempotency_key=draft.idempotency_key)
                return message, False
        at = _micro(now)
        due = at if draft.not_before is None else max(at, _micro(draft.not_before))
        message_id = max(self.data.messages, default=0) + 1
        message = Message(
            message_id=message_id, idempotency_key=draft.idempotency_key,
            channel=draft.channel, provider=draft.provider, borrower_id=draft.borrower_id,
            to_address=draft.to_address, kind=draft.kind, language=draft.language,
            subject=draft.subject, body=draft.body, case_id=draft.case_id,
            action_id=draft.action_id, status=MessageStatus.PENDING, attempts=0,
            created_at=at, next_attempt_at=due,
            not_after=None if draft.not_after is None else _micro(draft.not_after))
        self.data.messages[message_id] = (message, digest)
        return message, True

    def add_many(self, drafts: Sequence[Draft], *, now: dt.datetime) -> list[Message]:
        """As the store: every key checked before anything is written."""
        first: dict[str, str] = {}
        for draft in drafts:
            digest = first.setdefault(draft.idempotency_key, draft.digest())
            found = self.find_by_key(draft.idempotency_key)
            stored = self.data.messages[found.message_id][1] if found else digest
            if digest != draft.digest() or stored != digest:
                raise Conflict(
                    f"idempotency key {draft.idempotency_key} was used for a different "
                    "message; derive a new key for new content",
                    code=KEY_REUSED, idempotency_key=draft.idempotency_key)
        return [self.add(draft, now=now)[0] for draft in drafts]

    def _put(self, message: Message) -> None:
        self.data.messages[message.message_id] = (message,
                                                  self.data.messages[message.message_id][1])

    def get(self, message_id: int) -> Message:
        found = self.data.messages.get(message_id)
        if found is None:
            raise NotFound(f"message {message_id} is not in the outbox", code=MESSAGE_UNKNOWN)
        return found[0]

    def find_by_key(self, key: str) -> Message | None:
        return next((m for m, _ in self.data.messages.values() if m.idempotency_key == key),
                    None)

    def find_by_provider_id(self, provider: str, provider_message_id: str) -> Message | None:
        return next((m for m, _ in self.data.messages.values()
                     if m.provider == provider
                     and m.provider_message_id == provider_message_id), None)

    def recent(self, *, status: MessageStatus | None = None, limit: int = 100,
               borrower_id: int | None = None) -> list[Message]:
        found = [m for _, (m, _) in sorted(self.data.messages.items(), reverse=True)
                 if (status is None or m.status is status)
                 and (borrower_id is None or m.borrower_id == borrower_id)]
        return found[:limit]

    def attempts(self, message_id: int) -> list[Attempt]:
        return sorted((a for a in self.data.attempts if a.message_id == message_id),
                      key=lambda a: a.attempt_no)

    def due_count(self, now: dt.datetime) -> int:
        return sum(_due(m, now) for m, _ in self.data.messages.values())

    def claim(self, *, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[Message]:
        limit = max(0, min(limit, CLAIM_LIMIT_MAX))
        due = sorted((m for m, _ in self.data.messages.values() if _due(m, now)),
                     key=lambda m: (m.next_attempt_at, m.message_id))[:limit]
        claimed = []
        for m in due:
            taken = replace(m, status=MessageStatus.SENDING, attempts=m.attempts + 1,
                            lease_until=_micro(now + lease))
            self._put(taken)
            claimed.append(taken)
        return claimed

    def add_attempt(self, attempt: Attempt) -> None:
        assert not any((a.message_id, a.attempt_no) == (attempt.message_id, attempt.attempt_no)
                       for a in self.data.attempts), "an attempt is recorded once"
        self.data.attempts.append(replace(attempt, at=_micro(attempt.at)))

    def add_attempts(self, attempts: Sequence[Attempt]) -> None:
        for attempt in attempts:
            self.add_attempt(attempt)

    def record_attempt_outcome(self, message_id: int, attempt_no: int, *, outcome: str,
                               error: str | None, provider_message_id: str | None) -> None:
        self.data.attempts = [
            replace(a, outcome=outcome, error=error, provider_message_id=provider_message_id)
            if (a.message_id, a.attempt_no) == (message_id, attempt_no) else a
            for a in self.data.attempts]

    def finish_attempt(self, message: Message, *, status: MessageStatus, now: dt.datetime,
                       next_attempt_at: dt.datetime | None = None,
                       provider_message_id: str | None = None,
                       error: str | None = None) -> bool:
        current = self.get(message.message_id)
        if current.status is not MessageStatus.SENDING or current.attempts != message.attempts:
            if provider_message_id is not None and current.provider_message_id is None:
                self._put(replace(current, provider_message_id=provider_message_id))
            return False
        values: dict[str, Any] = {"status": status, "lease_until": None}
        if next_attempt_at is not None:
            values["next_attempt_at"] = _micro(next_attempt_at)
        if provider_message_id is not None:
            values["provider_message_id"] = provider_message_id
        if status is MessageStatus.SENT:
            values["sent_at"] = _micro(now)
            values["last_error"] = None
        if error is not None:
            values["last_error"] = error
        if status.is_final:
            values["final_at"] = _micro(now)
        self._put(replace(current, **values))
        return True

    def settle(self, message: Message, *, status: MessageStatus, at: dt.datetime,
               error: str | None) -> None:
        current = self.get(message.message_id)
        if current.status is message.status:
            self._put(replace(current, status=status, final_at=_micro(at), lease_until=None,
                              last_error=error if error is not None else message.last_error))

    def add_report(self, *, provider: str, message_id: int, status: str, at: dt.datetime,
                   received_at: dt.datetime, applied: bool, error: str | None) -> None:
        self.data.reports.append(Report(provider, message_id, status, _micro(at),
                                        _micro(received_at), applied, error))

    def reports(self, message_id: int) -> list[dict[str, Any]]:
        return [{"report_id": k + 1, **dataclasses.asdict(r)}
                for k, r in enumerate(self.data.reports) if r.message_id == message_id]


class FakeChannelFactsRepository(_Repo):
    def address(self, borrower_id: int, channel: MessageChannel) -> str | None:
        return collections_data(self._state).addresses.get((borrower_id, channel.value))

    def notice_facts(self, borrower_ids: Sequence[int]) -> None:
        return None  # read through the other repositories, as on SQLite

    def addresses(self, borrower_ids: Sequence[int]) -> dict[tuple[int, MessageChannel], str]:
        wanted = set(borrower_ids)
        return {(bid, MessageChannel(channel)): address for (bid, channel), address
                in collections_data(self._state).addresses.items() if bid in wanted}

    def set_address(self, borrower_id: int, channel: MessageChannel, address: str) -> None:
        collections_data(self._state).addresses[(borrower_id, channel.value)] = address

    def amount_due(self, borrower_id: int, due_date: dt.date) -> tuple[int, str] | None:
        day = to_day(due_date)
        totals: dict[str, int] = {}
        for loan in lending_data(self._state).loans.values():
            if loan.borrower_id != borrower_id:
                continue
            owed = [unpaid_minor(i) for i in loan.installments if i.due_day <= day]
            if owed:
                totals[loan.currency] = totals.get(loan.currency, 0) + sum(owed)
        if not totals:
            return None
        currency, total = max(totals.items(), key=lambda kv: kv[1])
        return max(0, total), currency


class FakeLetterRepository(_Repo):
    def by_key(self, idempotency_key: str) -> LetterRecord | None:
        return next((s.record for s in self.data.letters.values()
                     if s.record.idempotency_key == idempotency_key), None)

    def by_code(self, code: str) -> LetterRecord | None:
        return next((s.record for s in self.data.letters.values()
                     if s.record.verification_code == code), None)

    def get(self, letter_no: str) -> LetterRecord:
        found = self.data.letters.get(letter_no)
        if found is None:
            raise NotFound(f"letter {letter_no} does not exist; list letters with "
                           "`dunwell letters list`", code="letter_must_exist",
                           letter_no=letter_no)
        return found.record

    def document(self, letter_no: str) -> tuple[Document, str]:
        found = self.data.letters.get(letter_no)
        if found is None:
            raise NotFound(f"letter {letter_no} does not exist", code="letter_must_exist",
                           letter_no=letter_no)
        return document_from_data(json.loads(found.document_json)), found.document_json

    def next_sequence(self, business_date: dt.date) -> int:
        return max((s.sequence for s in self.data.letters.values()
                    if s.record.business_date == business_date), default=0) + 1

    def add(self, *, letter_no: str, sequence: int, verification_code: str,
            idempotency_key: str, kind: str, borrower_id: int, case_id: str | None,
            action_id: int | None, language: str, jurisdiction: str,
            business_date: dt.date, content_sha256: str, document_json: str,
            issued_at: dt.datetime) -> LetterRecord:
        assert letter_no not in self.data.letters, "a letter number is issued once"
        assert self.by_key(idempotency_key) is None, "a letter's key is used once"
        record = LetterRecord(
            letter_id=len(self.data.letters) + 1, letter_no=letter_no,
            verification_code=verification_code, kind=kind, borrower_id=borrower_id,
            case_id=case_id, action_id=action_id, language=language,
            jurisdiction=jurisdiction, business_date=business_date,
            status=LetterStatus.GENERATED, content_sha256=content_sha256,
            issued_at=dt.datetime.fromisoformat(issued_at.isoformat()),
            idempotency_key=idempotency_key, dispatch_method=None)
        self.data.letters[letter_no] = StoredLetter(record, sequence, document_json)
        return record

    def set_status(self, letter_no: str, status: LetterStatus,
                   method: DispatchMethod | None) -> None:
        found = self.data.letters.get(letter_no)
        if found is not None:
            found.record = replace(found.record, status=status, dispatch_method=method)

    def listing(self, *, status: LetterStatus | None = None,
                business_date: dt.date | None = None, borrower_id: int | None = None,
                limit: int = 500) -> list[LetterRecord]:
        found = sorted((s for s in self.data.letters.values()
                        if (status is None or s.record.status is status)
                        and (business_date is None or s.record.business_date == business_date)
                        and (borrower_id is None or s.record.borrower_id == borrower_id)),
                       key=lambda s: (s.record.business_date, s.sequence))
        return [s.record for s in found[:max(1, min(limit, LIST_LIMIT_MAX))]]

    def first_issued(self, *, borrower_id: int, kind: str,
                     since: dt.date | None = None) -> dt.date | None:
        return self.first_issued_many(borrower_ids=[borrower_id], kind=kind,
                                      since=since).get(borrower_id)

    def first_issued_many(self, *, borrower_ids: list[int], kind: str,
                          since: dt.date | None = None) -> dict[int, dt.date]:
        wanted = set(borrower_ids)
        out: dict[int, dt.date] = {}
        for s in self.data.letters.values():
            r = s.record
            if r.borrower_id in wanted and r.kind == kind and (
                    since is None or r.business_date >= since):
                out[r.borrower_id] = min(out.get(r.borrower_id, r.business_date),
                                         r.business_date)
        return out

    def add_event(self, event: LetterEvent) -> None:
        assert event.letter_no in self.data.letters, "an event is of a letter (foreign key)"
        self.data.letter_events.append(event)

    def events(self, letter_no: str) -> list[LetterEvent]:
        return [e for e in self.data.letter_events if e.letter_no == letter_no]

    def case_borrower(self, case_id: str) -> int:
        row = collections_data(self._state).cases.get(case_id)
        if row is None:
            raise NotFound(f"case {case_id} does not exist; see `dunwell case` for cases",
                           code="case_must_exist", case_id=case_id)
        return int(row["borrower_id"])

    def open_loan_ids(self, borrower_id: int) -> list[int]:
        return sorted(ln.loan_id for ln in lending_data(self._state).loans.values()
                      if ln.borrower_id == borrower_id and ln.status.is_open)

    def allowed_letter_actions(self, business_date: dt.date) -> list[LetterAction]:
        actions = collections_data(self._state).actions
        return [LetterAction(aid, str(a["case_id"]), int(a["borrower_id"]), str(a["step_id"]),
                             tuple(json.loads(a["tags_json"])))
                for aid, a in sorted(actions.items())
                if a["business_date"] == business_date and a["kind"] == "letter"
                and a["decision"] == "allow"]


registry.register("outbox", FakeOutboxRepository)
registry.register("channel_facts", FakeChannelFactsRepository)
registry.register("letters", FakeLetterRepository)
