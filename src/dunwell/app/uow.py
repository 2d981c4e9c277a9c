"""The unit of work the application layer is written against.

One command, one transaction: a service receives a unit of work, reads and writes
through the repositories it carries as attributes, and the caller commits at the
edge (:func:`dunwell.app.commands.run_command` does it for commands that may lose a
race). The SQL implementation lives in :mod:`dunwell.store.uow`; the tests hold an
in-memory one (``tests/fakes``), so a service's rules can be tested without a
database. No service sees a connection or writes SQL.

It is a protocol: :class:`dunwell.store.uow.SqlUnitOfWork` and the in-memory one
satisfy it by their shape, so the store needs nothing from this layer. The attribute
types are the store's repository classes, named for the type checker only.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:  # the repositories' interfaces, for the type checker
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


class UnitOfWork(Protocol):
    """A transaction and the repositories that read and write inside it.

    Leaving the ``with`` block without :meth:`commit` rolls everything back."""

    # the loan book
    book: BookRepository
    products: ProductRepository
    loans: LoanRepository
    ledger: LedgerRepository
    payments: PaymentRepository
    cob: CobRepository
    locks: LockRepository
    verify: VerifyRepository
    command_keys: CommandKeyRepository
    audit: AuditRepository
    day: DayRepository
    # origination
    origination: OriginationRepository
    # collections
    borrowers: BorrowerRepository
    loan_facts: LoanFactsRepository
    cases: CaseRepository
    actions: ActionRepository
    case_views: CaseViewRepository
    # channels and letters
    outbox: OutboxRepository
    channel_facts: ChannelFactsRepository
    letters: LetterRepository
    # consents and retention
    consents: ConsentRepository
    retention: RetentionRepository
    # complaints and disputes
    complaints: ComplaintRepository
    # field, negotiation, legal, training
    field: FieldRepository
    negotiation: NegotiationRepository
    legal: LegalRepository
    evidence: EvidenceRepository
    training: TrainingRepository
    # users, tokens, sessions, one-time codes
    identity: IdentityRepository
    # field encryption keys
    keys: KeysRepository
    # the dashboard's figures
    analytics: AnalyticsRepository
    # the collection history, for uplift modelling
    uplift: UpliftHistoryRepository

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> None:
        """Make the transaction's writes permanent."""

    def rollback(self) -> None:
        """Forget the transaction's writes."""

    def lost_race(self, exc: BaseException) -> bool:
        """Whether ``exc`` means another transaction got there first, so running the
        command again from the start is safe and may succeed."""
