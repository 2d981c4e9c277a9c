"""The unit of work on SQLAlchemy: one connection, one transaction, every repository.

:class:`Database` is what the composition root hands to the application layer: it
opens units of work and holds the one lock that outlives a transaction (one COB at a
time). Only the store sees the engine and its connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from dunwell.core.errors import Conflict
from dunwell.store.analytics_repo import AnalyticsRepository
from dunwell.store.audit import AuditRepository
from dunwell.store.case_views_repo import CaseViewRepository
from dunwell.store.cob_io import CobRepository
from dunwell.store.collections_repo import (
    ActionRepository,
    BorrowerRepository,
    CaseRepository,
    LoanFactsRepository,
)
from dunwell.store.command_keys_repo import CommandKeyRepository
from dunwell.store.complaints_repo import ComplaintRepository
from dunwell.store.consent_repo import ConsentRepository
from dunwell.store.day_repo import DayRepository
from dunwell.store.field_repo import FieldRepository
from dunwell.store.identity_repo import IdentityRepository
from dunwell.store.keys_repo import KeysRepository
from dunwell.store.legal_repo import EvidenceRepository, LegalRepository
from dunwell.store.letters_repo import LetterRepository
from dunwell.store.locks import LockRepository, cob_run_lock
from dunwell.store.negotiation_repo import NegotiationRepository
from dunwell.store.origination_repo import OriginationRepository
from dunwell.store.outbox_repo import ChannelFactsRepository, OutboxRepository
from dunwell.store.repositories import (
    LOAN_CHANGED,
    BookRepository,
    LedgerRepository,
    LoanRepository,
    PaymentRepository,
    ProductRepository,
)
from dunwell.store.retention_repo import RetentionRepository
from dunwell.store.sqlite_wal import WalCheckpointer
from dunwell.store.training_repo import TrainingRepository
from dunwell.store.uplift_repo import UpliftHistoryRepository
from dunwell.store.verify_repo import VerifyRepository

_PG_RETRY_STATES = frozenset({"40001", "40P01", "55P03"})  # serialisation, deadlock, lock
_PG_UNIQUE = "23505"


def lost_race(exc: BaseException) -> bool:
    """Whether ``exc`` means "another transaction got there first; run me again"."""
    if isinstance(exc, Conflict):
        return exc.code == LOAN_CHANGED
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state is not None:
        return state == _PG_UNIQUE if isinstance(exc, IntegrityError) else (
            state in _PG_RETRY_STATES)
    text = str(orig).lower()
    if isinstance(exc, IntegrityError):
        return "unique constraint failed" in text
    return isinstance(exc, OperationalError) and "database is locked" in text


class SqlUnitOfWork:
    """A unit of work on one connection of ``engine``."""

    def __init__(self, engine: Engine, *, snapshot: bool = False) -> None:
        self.engine = engine
        self._snapshot = snapshot
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        conn = self._conn = self.engine.connect()
        if self._snapshot and conn.dialect.name == "postgresql":
            conn = self._conn = conn.execution_options(isolation_level="REPEATABLE READ")
        self._tx = conn.begin()
        self.book = BookRepository(conn)
        self.products = ProductRepository(conn)
        self.loans = LoanRepository(conn)
        self.ledger = LedgerRepository(conn)
        self.payments = PaymentRepository(conn)
        self.cob = CobRepository(conn)
        self.locks = LockRepository(conn)
        self.verify = VerifyRepository(conn)
        self.command_keys = CommandKeyRepository(conn)
        self.audit = AuditRepository(conn)
        self.day = DayRepository(conn)
        self.origination = OriginationRepository(conn)
        self.borrowers = BorrowerRepository(conn)
        self.loan_facts = LoanFactsRepository(conn)
        self.cases = CaseRepository(conn)
        self.actions = ActionRepository(conn)
        self.case_views = CaseViewRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.channel_facts = ChannelFactsRepository(conn)
        self.letters = LetterRepository(conn)
        self.consents = ConsentRepository(conn)
        self.complaints = ComplaintRepository(conn)
        self.retention = RetentionRepository(conn)
        self.field = FieldRepository(conn)
        self.negotiation = NegotiationRepository(conn)
        self.legal = LegalRepository(conn)
        self.evidence = EvidenceRepository(conn)
        self.training = TrainingRepository(conn)
        self.identity = IdentityRepository(conn)
        self.keys = KeysRepository(conn)
        self.analytics = AnalyticsRepository(conn)
        self.uplift = UpliftHistoryRepository(conn)
        return self

    @property
    def conn(self) -> Connection:
        """The transaction's connection, for the store's own code."""
        assert self._conn is not None, "unit of work used outside its with-block"
        return self._conn

    def commit(self) -> None:
        assert self._tx is not None, "unit of work used outside its with-block"
        self._tx.commit()

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()

    def lost_race(self, exc: BaseException) -> bool:
        return lost_race(exc)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._tx = None


class Database:
    """A book's database: opens units of work; holds the COB lock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def snapshot(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, snapshot=True)

    def cob_lock(self) -> AbstractContextManager[None]:
        """Hold the book's one-COB-at-a-time lock, or refuse at once with RetryLater."""
        return cob_run_lock(self.engine)

    @contextmanager
    def serving(self) -> Iterator[None]:
        """While a server runs: SQLite's WAL is checkpointed off the request path."""
        if self.dialect != "sqlite":
            yield
            return
        checkpointer = WalCheckpointer(self.engine)
        checkpointer.start()
        try:
            yield
        finally:
            checkpointer.stop()

    def dispose(self) -> None:
        self.engine.dispose()
