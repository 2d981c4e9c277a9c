"""The unit of work on SQLAlchemy: one connection, one transaction, every repository.

:class:`Database` is what the composition root hands to the application layer: it
opens units of work and holds the one lock that outlives a transaction (one COB at a
time). Only the store sees the engine and its connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from importlib import import_module
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from dunwell.core.errors import Conflict
from dunwell.store.locks import cob_run_lock
from dunwell.store.repositories import LOAN_CHANGED

if TYPE_CHECKING:  # the repositories' classes, for the type checker: each module is
    # imported when its repository is first used (see SqlUnitOfWork)
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
    from dunwell.store.locks import LockRepository
    from dunwell.store.negotiation_repo import NegotiationRepository
    from dunwell.store.origination_repo import OriginationRepository
    from dunwell.store.outbox_repo import ChannelFactsRepository, OutboxRepository
    from dunwell.store.repositories import (
        BookRepository,
        LedgerRepository,
        LoanRepository,
        PaymentRepository,
        ProductRepository,
    )
    from dunwell.store.retention_repo import RetentionRepository
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


R = TypeVar("R")


class _Repository(Generic[R]):
    """A unit of work's repository, built on first use: reading ``uow.loans`` imports
    the repository's module and binds the repository to the unit of work's connection,
    once per transaction. A command that reads the book therefore never imports the
    modules of the repositories it does not use (and the libraries behind them)."""

    def __init__(self, where: str) -> None:
        """``where``: ``"module:Class"``, the module's name within :mod:`dunwell.store`."""
        module, _, self._class = where.partition(":")
        self._module = f"dunwell.store.{module}"
        self._name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type[Any]) -> R: ...

    def __get__(self, uow: SqlUnitOfWork | None, owner: type[Any]) -> Self | R:
        if uow is None:
            return self
        repository: R = getattr(import_module(self._module), self._class)(uow.conn)
        uow.__dict__[self._name] = repository  # later reads find it without this hook
        return repository


class SqlUnitOfWork:
    """A unit of work on one connection of ``engine``.

    Its repositories are built when first read inside the ``with`` block (see
    :class:`_Repository`) and forgotten when it ends."""

    book: _Repository[BookRepository] = _Repository("repositories:BookRepository")
    products: _Repository[ProductRepository] = _Repository("repositories:ProductRepository")
    loans: _Repository[LoanRepository] = _Repository("repositories:LoanRepository")
    ledger: _Repository[LedgerRepository] = _Repository("repositories:LedgerRepository")
    payments: _Repository[PaymentRepository] = _Repository("repositories:PaymentRepository")
    cob: _Repository[CobRepository] = _Repository("cob_io:CobRepository")
    locks: _Repository[LockRepository] = _Repository("locks:LockRepository")
    verify: _Repository[VerifyRepository] = _Repository("verify_repo:VerifyRepository")
    command_keys: _Repository[CommandKeyRepository] = _Repository(
        "command_keys_repo:CommandKeyRepository")
    audit: _Repository[AuditRepository] = _Repository("audit:AuditRepository")
    day: _Repository[DayRepository] = _Repository("day_repo:DayRepository")
    origination: _Repository[OriginationRepository] = _Repository(
        "origination_repo:OriginationRepository")
    borrowers: _Repository[BorrowerRepository] = _Repository("collections_repo:BorrowerRepository")
    loan_facts: _Repository[LoanFactsRepository] = _Repository(
        "collections_repo:LoanFactsRepository")
    cases: _Repository[CaseRepository] = _Repository("collections_repo:CaseRepository")
    actions: _Repository[ActionRepository] = _Repository("collections_repo:ActionRepository")
    case_views: _Repository[CaseViewRepository] = _Repository("case_views_repo:CaseViewRepository")
    outbox: _Repository[OutboxRepository] = _Repository("outbox_repo:OutboxRepository")
    channel_facts: _Repository[ChannelFactsRepository] = _Repository(
        "outbox_repo:ChannelFactsRepository")
    letters: _Repository[LetterRepository] = _Repository("letters_repo:LetterRepository")
    consents: _Repository[ConsentRepository] = _Repository("consent_repo:ConsentRepository")
    complaints: _Repository[ComplaintRepository] = _Repository(
        "complaints_repo:ComplaintRepository")
    retention: _Repository[RetentionRepository] = _Repository("retention_repo:RetentionRepository")
    field: _Repository[FieldRepository] = _Repository("field_repo:FieldRepository")
    negotiation: _Repository[NegotiationRepository] = _Repository(
        "negotiation_repo:NegotiationRepository")
    legal: _Repository[LegalRepository] = _Repository("legal_repo:LegalRepository")
    evidence: _Repository[EvidenceRepository] = _Repository("legal_repo:EvidenceRepository")
    training: _Repository[TrainingRepository] = _Repository("training_repo:TrainingRepository")
    identity: _Repository[IdentityRepository] = _Repository("identity_repo:IdentityRepository")
    keys: _Repository[KeysRepository] = _Repository("keys_repo:KeysRepository")
    analytics: _Repository[AnalyticsRepository] = _Repository("analytics_repo:AnalyticsRepository")
    uplift: _Repository[UpliftHistoryRepository] = _Repository(
        "uplift_repo:UpliftHistoryRepository")

    def __init__(self, engine: Engine, *, snapshot: bool = False) -> None:
        self.engine = engine
        self._snapshot = snapshot
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        self._forget_repositories()
        conn = self._conn = self.engine.connect()
        if self._snapshot and conn.dialect.name == "postgresql":
            conn = self._conn = conn.execution_options(isolation_level="REPEATABLE READ")
        self._tx = conn.begin()
        return self

    def _forget_repositories(self) -> None:
        built = self.__dict__
        for name in _REPOSITORY_NAMES:
            built.pop(name, None)

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
        self._forget_repositories()


_REPOSITORY_NAMES = tuple(name for name, attribute in vars(SqlUnitOfWork).items()
                          if isinstance(attribute, _Repository))


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
        from dunwell.store.sqlite_wal import WalCheckpointer

        checkpointer = WalCheckpointer(self.engine)
        checkpointer.start()
        try:
            yield
        finally:
            checkpointer.stop()

    def dispose(self) -> None:
        self.engine.dispose()
