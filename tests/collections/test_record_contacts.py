"""Recording many contacts at once writes the rows recording them one by one writes:
the same contacts, the same audit chain in the same order (each entry stamped as
given), and bad input writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from contact_book import NOW, at, contact_book

from dunwell.app.audit import verify
from dunwell.app.collections.contacts import NewContact, record_contact, record_contacts
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import InvalidInput, NotFound
from dunwell.store import collection_tables as c
from dunwell.store import tables as t

CONTACTS = [
    NewContact(26, at(10), "sms", "delivered", now=at(10)),
    NewContact(27, at(10), "call", "no_answer", now=at(10), action_id=7),
    NewContact(26, at(9, 30), "call", "conversation", now=at(9, 30), action_id=3),
    NewContact(
        28, at(11), "email", "delivered", now=NOW, direction="outbound", extra={"message_id": 5}
    ),
    NewContact(26, at(12), "sms", "conversation", now=at(12), direction="inbound"),
]


Rows = tuple[list[tuple[object, ...]], list[tuple[object, ...]]]


def rows(conn: sa.Connection) -> Rows:
    """The contacts (without their ids: a PostgreSQL sequence does not roll back) and
    the whole audit log."""
    contacts = [
        tuple(r)[1:] for r in conn.execute(sa.select(c.contacts).order_by(c.contacts.c.contact_id))
    ]
    audit = [tuple(r) for r in conn.execute(sa.select(t.audit_log).order_by(t.audit_log.c.seq))]
    return contacts, audit


def stored(app: Dunwell) -> Rows:
    with app.engine.connect() as conn:
        return rows(conn)


def test_a_batch_writes_the_rows_one_by_one_writes(app: Dunwell) -> None:
    contact_book(app)
    before = stored(app)
    with app.uow() as uow:  # one by one, read back, then rolled back
        for n in CONTACTS:
            record_contact(
                uow,
                borrower_id=n.borrower_id,
                at=n.at,
                channel=n.channel,
                outcome=n.outcome,
                direction=n.direction,
                action_id=n.action_id,
                now=n.now,
                extra=n.extra,
            )
        expected = rows(uow.conn)  # type: ignore[attr-defined]
    assert stored(app) == before
    assert len(expected[0]) == len(before[0]) + 5
    assert len(expected[1]) == len(before[1]) + 5
    with app.uow() as uow:
        events = record_contacts(uow, CONTACTS[:2])
        events += record_contacts(uow, [])
        events += record_contacts(uow, CONTACTS[2:])
        uow.commit()
    assert [e.ts for e in events] == [n.at for n in CONTACTS]
    assert stored(app) == expected
    assert verify(app).intact


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (NewContact(99, at(10), "sms", "delivered", now=at(10)), NotFound),
        (NewContact(26, at(10), "pigeon", "delivered", now=at(10)), InvalidInput),
    ],
)
def test_one_bad_contact_writes_none_of_the_batch(
    app: Dunwell, bad: NewContact, error: type[Exception]
) -> None:
    contact_book(app)
    before = stored(app)
    with app.uow() as uow:
        with pytest.raises(error):
            record_contacts(uow, [CONTACTS[0], bad])
        assert rows(uow.conn) == before  # type: ignore[attr-defined]  # nothing written yet
    with app.uow() as uow:
        record_contacts(uow, [CONTACTS[0]])
        uow.commit()
    assert len(stored(app)[0]) == len(before[0]) + 1


def test_a_stamp_without_a_zone_is_refused() -> None:
    naive = dt.datetime(2025, 5, 1, 10)
    with pytest.raises(ValueError):
        record_contacts(None, [NewContact(26, at(10), "sms", "delivered", now=naive)])  # type: ignore[arg-type]
