"""Unit of work: one command, one transaction, committed at the edge."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from dunwell.store.audit import AuditRepository
from dunwell.store.repositories import (
    BookRepository,
    LedgerRepository,
    LoanRepository,
    PaymentRepository,
    ProductRepository,
)


class UnitOfWork:
    """Opens a transaction; rolls back unless :meth:`commit` is called."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None

    def __enter__(self) -> UnitOfWork:
        self._conn = self.engine.connect()
        self._tx = self._conn.begin()
        conn = self._conn
        self.book = BookRepository(conn)
        self.products = ProductRepository(conn)
        self.loans = LoanRepository(conn)
        self.ledger = LedgerRepository(conn)
        self.payments = PaymentRepository(conn)
        self.audit = AuditRepository(conn)
        return self

    @property
    def conn(self) -> Connection:
        assert self._conn is not None, "unit of work used outside its with-block"
        return self._conn

    def commit(self) -> None:
        self._tx.commit()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._tx.is_active:
            self._tx.rollback()
        self.conn.close()
        self._conn = None
