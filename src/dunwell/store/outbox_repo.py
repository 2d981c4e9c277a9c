"""The outbox repository: write a message with the decision that caused it, claim due
messages for a dispatcher, record every attempt and every delivery report.

Claims are safe with several dispatchers: on PostgreSQL the candidate rows are locked
with ``FOR UPDATE SKIP LOCKED``; on every backend the claim itself is a conditional
update that only succeeds if the row is still in the state it was read in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, update

from dunwell.channels.errors import KEY_REUSED, MESSAGE_UNKNOWN
from dunwell.channels.model import Attempt, Message, MessageChannel, MessageStatus
from dunwell.complaints.model import DISPUTE_CATEGORIES, Complaint
from dunwell.compliance.consent import Consent
from dunwell.compliance.model import Channel, ContactEvent, Direction, Outcome
from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, NotFound
from dunwell.core.ids import fingerprint
from dunwell.store import channel_tables as ch
from dunwell.store import collection_tables as cl
from dunwell.store import complaints_tables as cm
from dunwell.store import consent_tables as cn
from dunwell.store import tables as t
from dunwell.store.borrowers_repo import BorrowerProfile, profile_from_row
from dunwell.store.crypto import keyring
from dunwell.store.encrypted import EncryptedText
from dunwell.store.json_rows import records, recordset

UTC = dt.UTC
#: Messages one claim takes at the most.
CLAIM_LIMIT_MAX = 10_000


# Statements built once: the collection run writes a message per allowed contact,
# and building the same expression for each row cost more than running it.
_BY_KEY = select(ch.outbox).where(ch.outbox.c.idempotency_key == bindparam("key"))
_BY_ID = select(ch.outbox).where(ch.outbox.c.message_id == bindparam("mid"))
_BY_IDS = select(ch.outbox).where(ch.outbox.c.message_id.in_(bindparam("mids", expanding=True)))
_BY_KEYS = select(ch.outbox).where(
    ch.outbox.c.idempotency_key.in_(bindparam("keys", expanding=True)))
#: A claim takes a message only if no one changed it since it was read.
_CLAIM_ONE = (update(ch.outbox)
              .where(ch.outbox.c.message_id == bindparam("mid"),
                     ch.outbox.c.status == bindparam("was"),
                     ch.outbox.c.attempts == bindparam("tries"))
              .values(status=bindparam("sending"), attempts=bindparam("next_try"),
                      lease_until=bindparam("until")))
_INSERT_ATTEMPT = insert(ch.outbox_attempts)
_INSERT = insert(ch.outbox).returning(ch.outbox.c.message_id)
_ADDRESS = select(ch.channel_addresses.c.address).where(
    ch.channel_addresses.c.borrower_id == bindparam("bid"),
    ch.channel_addresses.c.channel == bindparam("ch"))
_i = t.installments.c
_UNPAID = ((_i.principal_minor - _i.paid_principal_minor)
           + (_i.interest_minor - _i.paid_interest_minor)
           + (_i.fee_minor - _i.paid_fee_minor) + (_i.penalty_minor - _i.paid_penalty_minor))
_ADDRESSES = select(ch.channel_addresses.c.borrower_id, ch.channel_addresses.c.channel,
                    ch.channel_addresses.c.address).where(
    ch.channel_addresses.c.borrower_id.in_(bindparam("bids", expanding=True)))
_AMOUNT_DUE = (select(t.loans.c.currency, func.sum(_UNPAID))
               .join(t.installments, _i.loan_id == t.loans.c.loan_id)
               .where(t.loans.c.borrower_id == bindparam("bid"), _i.due_day <= bindparam("day"))
               .group_by(t.loans.c.currency).order_by(func.sum(_UNPAID).desc()))
#: Keys, and their borrowers' ids, read or written per statement at the most.
IN_CHUNK = 900


def _insert_new(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, key``: the key
    check folded into the insert (PostgreSQL and SQLite both have it)."""
    from sqlalchemy.dialects import postgresql, sqlite

    stmt = (postgresql.insert(ch.outbox) if dialect == "postgresql"
            else sqlite.insert(ch.outbox))
    return (stmt.on_conflict_do_nothing(index_elements=[ch.outbox.c.idempotency_key])
            .returning(ch.outbox.c.message_id, ch.outbox.c.idempotency_key))


_INSERT_NEW = {name: _insert_new(name) for name in ("postgresql", "sqlite")}
#: The outbox's written columns on PostgreSQL's own path, each with its sealing type.
_PG_OUTBOX_COLS = tuple(
    (c.name, c.type if isinstance(c.type, EncryptedText) else None)
    for c in ch.outbox.columns if c.name in (
        "idempotency_key", "fingerprint", "channel", "provider", "borrower_id", "to_address",
        "kind", "language", "subject", "body", "case_id", "action_id", "status", "attempts",
        "created_at", "next_attempt_at", "not_after"))
_PG_OUTBOX_NAMES = tuple(n for n, _ in _PG_OUTBOX_COLS)
#: The PostgreSQL type of each of those columns as the statement reads it.
_PG_OUTBOX_TYPES = {"borrower_id": "bigint", "action_id": "bigint", "attempts": "int"}
#: One statement text whatever the number of messages (the rows one JSON array, read
#: in order: :mod:`dunwell.store.json_rows`); the ids are given in the rows' order, as
#: ``VALUES`` gives them.
_PG_OUTBOX_INSERT = (
    f"INSERT INTO outbox ({', '.join(_PG_OUTBOX_NAMES)}) SELECT * FROM "
    + recordset(_PG_OUTBOX_NAMES, [_PG_OUTBOX_TYPES.get(n, "text") for n in _PG_OUTBOX_NAMES])
    + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING message_id, idempotency_key")

def ts(moment: dt.datetime) -> str:
    """A timestamp as stored: UTC, microseconds, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("outbox timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class Draft:
    """A message to write: everything but its id and its sending state."""

    idempotency_key: str
    channel: MessageChannel
    provider: str
    borrower_id: int
    to_address: str | None
    kind: str
    language: str
    subject: str
    body: str
    case_id: str | None = None
    action_id: int | None = None
    #: Not to be sent before / after (the guard's contact window); None: any time.
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None

    def digest(self) -> str:
        return fingerprint({
            "channel": self.channel.value, "borrower_id": self.borrower_id,
            "kind": self.kind, "language": self.language, "subject": self.subject,
            "body": self.body, "case_id": self.case_id, "action_id": self.action_id,
            "to_address": self.to_address})


def _message(m: Any) -> Message:
    created = _parse(m["created_at"])
    due = _parse(m["next_attempt_at"])
    assert created is not None and due is not None
    return Message(
        message_id=int(m["message_id"]), idempotency_key=m["idempotency_key"],
        channel=MessageChannel(m["channel"]), provider=m["provider"],
        borrower_id=int(m["borrower_id"]), to_address=m["to_address"], kind=m["kind"],
        language=m["language"], subject=m["subject"], body=m["body"],
        case_id=m["case_id"],
        action_id=None if m["action_id"] is None else int(m["action_id"]),
        status=MessageStatus(m["status"]), attempts=int(m["attempts"]),
        created_at=created, next_attempt_at=due, not_after=_parse(m["not_after"]),
        lease_until=_parse(m["lease_until"]),
        provider_message_id=m["provider_message_id"], last_error=m["last_error"],
        sent_at=_parse(m["sent_at"]), final_at=_parse(m["final_at"]))


def _written(message_id: int, row: dict[str, Any], draft: Draft) -> Message:
    """The message just inserted as ``row``, as reading it back would give it."""
    created, due = _parse(row["created_at"]), _parse(row["next_attempt_at"])
    assert created is not None and due is not None
    return Message(
        message_id=message_id, idempotency_key=draft.idempotency_key, channel=draft.channel,
        provider=draft.provider, borrower_id=draft.borrower_id, to_address=draft.to_address,
        kind=draft.kind, language=draft.language, subject=draft.subject, body=draft.body,
        case_id=draft.case_id, action_id=draft.action_id, status=MessageStatus.PENDING,
        attempts=0, created_at=created, next_attempt_at=due,
        not_after=_parse(row["not_after"]))


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """What judging and writing a borrower's notices reads: their profile (requests,
    consents, disputes), their contact history and their addresses on file."""

    profile: BorrowerProfile
    history: Sequence[ContactEvent]
    addresses: Mapping[MessageChannel, str]


def _cols(table: Any, skip: tuple[str, ...] = ()) -> list[Any]:
    return [c for c in table.columns if c.name not in skip]


_N_BORROWERS = _cols(cl.borrowers)
_N_CONSENTS = _cols(cn.consents)
_N_DISPUTES = _cols(cm.complaints, ("text", "answer"))
_N_CONTACTS = _cols(cl.contacts)
_N_ADDRESSES = _cols(ch.channel_addresses, ("address_hash",))


def _sql(table: Any, cols: list[Any], where: str, order: str = "") -> str:
    return (f"SELECT {', '.join(c.name for c in cols)} FROM {table.name} WHERE {where}"
            + (f" ORDER BY {order}" if order else ""))


#: The reads of :meth:`ChannelFactsRepository.notice_facts` on PostgreSQL, as SQL text
#: so psycopg prepares them on each connection.
_PG_NOTICE_READS = (
    _sql(cl.borrowers, _N_BORROWERS, "borrower_id = ANY(%s)"),
    _sql(cn.consents, _N_CONSENTS, "borrower_id = ANY(%s)", "borrower_id, consent_id"),
    _sql(cm.complaints, _N_DISPUTES, "borrower_id = ANY(%s) AND category = ANY(%s)",
         "borrower_id, complaint_id"),
    _sql(cl.contacts, _N_CONTACTS, "borrower_id = ANY(%s)", "contact_id"),
    _sql(ch.channel_addresses, _N_ADDRESSES, "borrower_id = ANY(%s)"),
)


def _opened(cols: list[Any], rows: Sequence[Any], dialect: Any) -> list[dict[str, Any]]:
    """Raw rows as mappings, the sealed columns opened as SQLAlchemy would."""
    sealed = [(k, c.type) for k, c in enumerate(cols) if isinstance(c.type, EncryptedText)]
    names = [c.name for c in cols]
    out = []
    for row in rows:
        m = dict(zip(names, row, strict=True))
        for k, kind in sealed:
            m[names[k]] = kind.process_result_value(row[k], dialect)
        out.append(m)
    return out


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- writing -----------------------------------------------------------------
    def add(self, draft: Draft, *, now: dt.datetime) -> tuple[Message, bool]:
        """Write ``draft`` as a pending message due ``now``: ``(message, created)``.
        The same key with the same content returns the stored message; with other
        content it is a Conflict."""
        digest = draft.digest()
        found = self.conn.execute(_BY_KEY, {"key": draft.idempotency_key}).first()
        if found is not None:
            existing = _message(found._mapping)
            if found._mapping["fingerprint"] != digest:
                raise self._reused(draft.idempotency_key)
            return existing, False
        row = self.conn.execute(_INSERT, self._row(draft, digest, ts(now))).scalar_one()
        return self.get(int(row)), True

    def add_many(self, drafts: Sequence[Draft], *, now: dt.datetime) -> list[Message]:
        """Write ``drafts`` as pending messages due ``now`` (or their ``not_before``),
        in order, with one ``INSERT ... ON CONFLICT DO NOTHING`` per :data:`IN_CHUNK`
        drafts; the messages as :meth:`add` returns them, one per draft, without reading
        the new rows back. A key already stored (or earlier in ``drafts``) with the same
        content is that message; with other content it is a Conflict, and nothing of
        the call is kept by the caller's transaction once it rolls back."""
        if not drafts:
            return []
        at = ts(now)
        digests = [d.digest() for d in drafts]
        first: dict[str, int] = {}  # each key's first draft
        for k, d in enumerate(drafts):
            if first.setdefault(d.idempotency_key, k) != k and digests[first[
                    d.idempotency_key]] != digests[k]:
                raise self._reused(d.idempotency_key)
        rows = [self._row(drafts[k], digests[k], at) for k in first.values()]
        stmt = _INSERT_NEW.get(self.conn.dialect.name)
        if stmt is None:  # another database: the key checked, then written, one by one
            return [self.add(d, now=now)[0] for d in drafts]
        made: dict[str, int] = {}
        for c in range(0, len(rows), IN_CHUNK):
            chunk = rows[c:c + IN_CHUNK]
            if self.conn.dialect.name == "postgresql":
                made.update(self._insert_pg(chunk))
                continue
            result = (self.conn.execute(stmt, chunk[0]) if len(chunk) == 1
                      else self.conn.execute(stmt, chunk))
            made.update((str(key), int(mid)) for mid, key in result)
        stored: dict[str, Message] = {}
        missing = [key for key in first if key not in made]
        for c in range(0, len(missing), IN_CHUNK):  # keys written before: replays
            for found in self.conn.execute(_BY_KEYS, {"keys": missing[c:c + IN_CHUNK]}):
                m = found._mapping
                if m["fingerprint"] != digests[first[m["idempotency_key"]]]:
                    raise self._reused(m["idempotency_key"])
                stored[m["idempotency_key"]] = _message(m)
        for row in rows:
            key = row["idempotency_key"]
            if key in made:
                stored[key] = _written(made[key], row, drafts[first[key]])
        return [stored[d.idempotency_key] for d in drafts]

    def _insert_pg(self, rows: Sequence[dict[str, Any]]) -> list[tuple[str, int]]:
        """The rows with one ``INSERT ... SELECT FROM json_to_recordset(...) ON CONFLICT
        DO NOTHING`` as SQL text on the driver's connection, the same text for any
        number of rows (psycopg prepares it once it repeats), the sealed columns sealed
        as SQLAlchemy seals them: (key, id) of those written."""
        from dunwell.store.repositories import _driver_error, _wrapped

        dialect = self.conn.dialect
        values = records(_PG_OUTBOX_NAMES, [tuple(
            row[name] if kind is None else kind.process_bind_param(row[name], dialect)
            for name, kind in _PG_OUTBOX_COLS) for row in rows])
        raw = self.conn.connection.driver_connection
        assert raw is not None
        try:
            cur = raw.cursor()
            cur.execute(_PG_OUTBOX_INSERT, values)
            got = cur.fetchall()
        except _driver_error() as exc:
            raise _wrapped(exc) from exc
        return [(str(key), int(mid)) for mid, key in got]

    @staticmethod
    def _reused(key: str) -> Conflict:
        return Conflict(f"idempotency key {key} was used for a different message; derive "
                        "a new key for new content", code=KEY_REUSED, idempotency_key=key)

    @staticmethod
    def _row(draft: Draft, digest: str, at: str) -> dict[str, Any]:
        return dict(
            idempotency_key=draft.idempotency_key, fingerprint=digest,
            channel=draft.channel.value, provider=draft.provider,
            borrower_id=draft.borrower_id, to_address=draft.to_address, kind=draft.kind,
            language=draft.language, subject=draft.subject, body=draft.body,
            case_id=draft.case_id, action_id=draft.action_id,
            status=MessageStatus.PENDING.value, attempts=0, created_at=at,
            next_attempt_at=at if draft.not_before is None else max(at, ts(draft.not_before)),
            not_after=None if draft.not_after is None else ts(draft.not_after))

    # --- reading -----------------------------------------------------------------
    def get(self, message_id: int) -> Message:
        row = self.conn.execute(_BY_ID, {"mid": message_id}).first()
        if row is None:
            raise NotFound(f"message {message_id} is not in the outbox", code=MESSAGE_UNKNOWN)
        return _message(row._mapping)

    def find_by_key(self, key: str) -> Message | None:
        row = self.conn.execute(_BY_KEY, {"key": key}).first()
        return None if row is None else _message(row._mapping)

    def find_by_provider_id(self, provider: str, provider_message_id: str) -> Message | None:
        row = self.conn.execute(select(ch.outbox).where(
            ch.outbox.c.provider == provider,
            ch.outbox.c.provider_message_id == provider_message_id)).first()
        return None if row is None else _message(row._mapping)

    def recent(self, *, status: MessageStatus | None = None, limit: int = 100,
             borrower_id: int | None = None) -> list[Message]:
        q = select(ch.outbox).order_by(ch.outbox.c.message_id.desc()).limit(limit)
        if status is not None:
            q = q.where(ch.outbox.c.status == status.value)
        if borrower_id is not None:
            q = q.where(ch.outbox.c.borrower_id == borrower_id)
        return [_message(r._mapping) for r in self.conn.execute(q)]

    def attempts(self, message_id: int) -> list[Attempt]:
        q = (select(ch.outbox_attempts).where(ch.outbox_attempts.c.message_id == message_id)
             .order_by(ch.outbox_attempts.c.attempt_no))
        return [Attempt(int(m["message_id"]), int(m["attempt_no"]),
                        dt.datetime.fromisoformat(m["at"]), m["outcome"], m["error"],
                        m["provider_message_id"])
                for m in (r._mapping for r in self.conn.execute(q))]

    # --- dispatching -------------------------------------------------------------
    def _due(self, now: dt.datetime) -> Any:
        at = ts(now)
        o = ch.outbox.c
        return or_(and_(o.status == MessageStatus.PENDING.value, o.next_attempt_at <= at),
                   and_(o.status == MessageStatus.SENDING.value, o.lease_until <= at))

    def due_count(self, now: dt.datetime) -> int:
        return int(self.conn.execute(select(func.count()).select_from(ch.outbox)
                                     .where(self._due(now))).scalar_one())

    def claim(self, *, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[Message]:
        """Take up to ``limit`` due messages (pending and due, or sending with a lease
        that ran out): each becomes ``sending`` with a lease and one more attempt."""
        limit = max(0, min(limit, CLAIM_LIMIT_MAX))
        q = (select(ch.outbox.c.message_id, ch.outbox.c.status, ch.outbox.c.attempts)
             .where(self._due(now)).order_by(ch.outbox.c.next_attempt_at,
                                             ch.outbox.c.message_id).limit(limit))
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        claimed: list[int] = []
        lease_until = ts(now + lease)
        for message_id, status, attempts in self.conn.execute(q).all():
            done = self.conn.execute(_CLAIM_ONE, {
                "mid": message_id, "was": status, "tries": attempts,
                "sending": MessageStatus.SENDING.value, "next_try": int(attempts) + 1,
                "until": lease_until})
            if done.rowcount == 1:
                claimed.append(int(message_id))
        found: dict[int, Message] = {}
        for k in range(0, len(claimed), 900):
            for row in self.conn.execute(_BY_IDS, {"mids": claimed[k:k + 900]}):
                message = _message(row._mapping)
                found[message.message_id] = message
        return [found[i] for i in claimed]

    def add_attempt(self, attempt: Attempt) -> None:
        self.add_attempts([attempt])

    def add_attempts(self, attempts: Sequence[Attempt]) -> None:
        """Attempt records, in one batched statement."""
        if attempts:
            self.conn.execute(_INSERT_ATTEMPT, [{
                "message_id": a.message_id, "attempt_no": a.attempt_no, "at": ts(a.at),
                "outcome": a.outcome, "error": a.error,
                "provider_message_id": a.provider_message_id} for a in attempts])

    def record_attempt_outcome(self, message_id: int, attempt_no: int, *, outcome: str,
                               error: str | None, provider_message_id: str | None) -> None:
        """Write what attempt ``attempt_no`` came to (its row was added when claimed)."""
        self.conn.execute(update(ch.outbox_attempts).where(
            ch.outbox_attempts.c.message_id == message_id,
            ch.outbox_attempts.c.attempt_no == attempt_no).values(
            outcome=outcome, error=error, provider_message_id=provider_message_id))

    def finish_attempt(self, message: Message, *, status: MessageStatus, now: dt.datetime,
                       next_attempt_at: dt.datetime | None = None,
                       provider_message_id: str | None = None,
                       error: str | None = None) -> bool:
        """Record the outcome of the claimed attempt ``message.attempts``; False (and
        nothing changed) when the claim was lost meanwhile — another dispatcher took
        the message over, or a delivery report already settled it."""
        values: dict[str, Any] = {"status": status.value, "lease_until": None}
        if next_attempt_at is not None:
            values["next_attempt_at"] = ts(next_attempt_at)
        if provider_message_id is not None:
            values["provider_message_id"] = provider_message_id
        if status is MessageStatus.SENT:
            values["sent_at"] = ts(now)
            values["last_error"] = None
        if error is not None:
            values["last_error"] = error
        if status.is_final:
            values["final_at"] = ts(now)
        done = self.conn.execute(update(ch.outbox).where(
            ch.outbox.c.message_id == message.message_id,
            ch.outbox.c.status == MessageStatus.SENDING.value,
            ch.outbox.c.attempts == message.attempts).values(**values))
        if done.rowcount != 1 and provider_message_id is not None:
            self.conn.execute(update(ch.outbox).where(
                ch.outbox.c.message_id == message.message_id,
                ch.outbox.c.provider_message_id.is_(None)).values(
                provider_message_id=provider_message_id))
        return done.rowcount == 1

    # --- delivery reports --------------------------------------------------------
    def settle(self, message: Message, *, status: MessageStatus, at: dt.datetime,
               error: str | None) -> None:
        self.conn.execute(update(ch.outbox).where(
            ch.outbox.c.message_id == message.message_id,
            ch.outbox.c.status == message.status.value).values(
            status=status.value, final_at=ts(at), lease_until=None,
            last_error=error if error is not None else message.last_error))

    def add_report(self, *, provider: str, message_id: int, status: str, at: dt.datetime,
                   received_at: dt.datetime, applied: bool, error: str | None) -> None:
        self.conn.execute(insert(ch.delivery_reports).values(
            provider=provider, message_id=message_id, status=status, at=ts(at),
            received_at=ts(received_at), applied=applied, error=error))

    def reports(self, message_id: int) -> list[dict[str, Any]]:
        q = (select(ch.delivery_reports).where(ch.delivery_reports.c.message_id == message_id)
             .order_by(ch.delivery_reports.c.report_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]


class ChannelFactsRepository:
    """What a message needs to know about a borrower: addresses and amounts due."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def address(self, borrower_id: int, channel: MessageChannel) -> str | None:
        return self.conn.execute(_ADDRESS, {"bid": borrower_id, "ch": channel.value}
                                 ).scalar_one_or_none()

    def addresses(self, borrower_ids: Sequence[int]) -> dict[tuple[int, MessageChannel], str]:
        """Every address on file of ``borrower_ids``, by (borrower, channel): one query
        per :data:`IN_CHUNK` borrowers."""
        ids = sorted(set(borrower_ids))
        out: dict[tuple[int, MessageChannel], str] = {}
        for c in range(0, len(ids), IN_CHUNK):
            for bid, channel, address in self.conn.execute(_ADDRESSES,
                                                           {"bids": ids[c:c + IN_CHUNK]}):
                out[int(bid), MessageChannel(channel)] = address
        return out

    def notice_facts(self, borrower_ids: Sequence[int]) -> dict[int, NoticeFacts] | None:
        """The :class:`NoticeFacts` of each of ``borrower_ids`` with a profile, in one
        round trip where the database allows it: on PostgreSQL the profiles, consents,
        disputes, contacts and addresses are one pipeline (psycopg sends the five reads
        together and reads their results after one sync), read as the borrowers',
        consents', complaints' and actions' repositories read them. None elsewhere:
        the caller reads them through those repositories."""
        if self.conn.dialect.name != "postgresql" or not borrower_ids:
            return None
        from dunwell.complaints.rules import dispute_facts
        from dunwell.store.complaints_repo import _record as complaint_record
        from dunwell.store.consent_repo import _record as consent_record
        from dunwell.store.repositories import _driver_error, _wrapped

        ids = sorted(set(borrower_ids))
        categories = [c.value for c in DISPUTE_CATEGORIES]
        raw = self.conn.connection.driver_connection
        assert raw is not None
        try:
            with raw.pipeline():
                cursors = [raw.cursor() for _ in _PG_NOTICE_READS]
                for cur, sql in zip(cursors, _PG_NOTICE_READS, strict=True):
                    cur.execute(sql, (ids, categories) if "category" in sql else (ids,))
            fetched = [cur.fetchall() for cur in cursors]
        except _driver_error() as exc:
            raise _wrapped(exc) from exc
        dialect = self.conn.dialect
        people, consents, disputes, contacts, addresses = (
            _opened(cols, rows, dialect) for cols, rows in zip(
                (_N_BORROWERS, _N_CONSENTS, _N_DISPUTES, _N_CONTACTS, _N_ADDRESSES), fetched,
                strict=True))
        granted: dict[int, list[Consent]] = defaultdict(list)
        for m in consents:
            granted[int(m["borrower_id"])].append(consent_record(m).consent)
        complained: dict[int, list[Complaint]] = defaultdict(list)
        for m in disputes:
            complained[int(m["borrower_id"])].append(
                complaint_record(m | {"text": "", "answer": ""}).complaint)
        history: dict[int, list[ContactEvent]] = defaultdict(list)
        for m in contacts:
            history[int(m["borrower_id"])].append(ContactEvent(
                dt.datetime.fromisoformat(m["ts"]), Channel(m["channel"]),
                Direction(m["direction"]), Outcome(m["outcome"])))
        on_file: dict[int, dict[MessageChannel, str]] = defaultdict(dict)
        for m in addresses:
            on_file[int(m["borrower_id"])][MessageChannel(m["channel"])] = m["address"]
        out: dict[int, NoticeFacts] = {}
        for m in people:
            bid = int(m["borrower_id"])
            facts = dispute_facts(complained[bid]) if bid in complained else ()
            out[bid] = NoticeFacts(profile_from_row(m, tuple(granted.get(bid, ())), facts),
                                   history.get(bid, []), on_file.get(bid, {}))
        return out

    def set_address(self, borrower_id: int, channel: MessageChannel, address: str) -> None:
        found = self.address(borrower_id, channel)
        digest = keyring().lookup_hash(address)
        if found is None:
            self.conn.execute(insert(ch.channel_addresses).values(
                borrower_id=borrower_id, channel=channel.value, address=address,
                address_hash=digest))
        elif found != address:
            self.conn.execute(update(ch.channel_addresses).where(
                ch.channel_addresses.c.borrower_id == borrower_id,
                ch.channel_addresses.c.channel == channel.value).values(
                address=address, address_hash=digest))

    def amount_due(self, borrower_id: int, due_date: dt.date) -> tuple[int, str] | None:
        """What the borrower's open loans have unpaid on instalments due on or before
        ``due_date``, and their currency; None when the borrower has no loans."""
        rows: Sequence[Any] = self.conn.execute(
            _AMOUNT_DUE, {"bid": borrower_id, "day": to_day(due_date)}).all()
        if not rows:
            return None
        currency, total = rows[0]
        return max(0, int(total or 0)), str(currency)
