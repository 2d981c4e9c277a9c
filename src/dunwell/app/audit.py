"""The audit trail: every guard decision and contact is appended to a hash chain in
the same transaction as the change it explains; ``verify`` finds any record that was
edited, deleted or reordered since.

``anchor`` is the chain's head as ``SEQ:HASH``, to be kept outside the database;
``verify(app, anchor=...)`` also checks that record SEQ still has that hash, which
finds a chain rewritten from its start, or cut short below the anchor, that is
whole in itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.core.hashchain import Anchor, ChainProblem, ChainRecord, verify_chain


def record(uow: UnitOfWork, *, at: dt.datetime,
           entries: Sequence[tuple[str, str, Mapping[str, Any]]]) -> list[ChainRecord]:
    """Append (kind, subject, payload) entries stamped ``at`` (an aware datetime)."""
    if at.tzinfo is None:
        raise ValueError("audit timestamps must carry a time zone")
    return uow.audit.append_many(recorded_at=at.isoformat(), entries=entries)


@dataclass(frozen=True, slots=True)
class AuditReport:
    records: int
    head_seq: int
    problems: list[ChainProblem]
    anchor: Anchor | None = None

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(app: Dunwell, *, anchor: Anchor | None = None) -> AuditReport:
    """Recompute every hash; with ``anchor``, also check the anchored record's hash."""
    with app.uow() as uow:
        head = uow.audit.head()
        count = 0

        def counted() -> Any:
            nonlocal count
            for r in uow.audit.records():
                count += 1
                yield r

        problems = verify_chain(counted(), head=head, anchor=anchor)
    return AuditReport(count, head[0], problems, anchor)


def anchor(app: Dunwell) -> Anchor:
    """The chain's head as the writer last recorded it (``0:000...`` when empty)."""
    with app.uow() as uow:
        seq, digest = uow.audit.head()
    return Anchor(seq, digest)
