"""What a service is handed: the settings and the book's database.

Built by :func:`dunwell.bootstrap.bootstrap` (the composition root) and passed to the
services that open their own units of work. Services never build an engine, a
provider or a connection themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from dunwell.app.uow import UnitOfWork
from dunwell.settings import Settings

if TYPE_CHECKING:  # the adapters' interfaces, for the type checker: a command that only
    # reads the book does not import the channel, bureau, gateway or template modules
    from dunwell.channels.document import Document
    from dunwell.channels.model import MessageChannel
    from dunwell.channels.ports import ChannelProvider
    from dunwell.lending.gateway import PaymentGateway
    from dunwell.origination.ports import Bureau
    from dunwell.providers.templating import TemplateBook


class Database(Protocol):
    """Opens units of work on a book and holds its one-COB-at-a-time lock."""

    @property
    def dialect(self) -> str: ...

    def uow(self) -> UnitOfWork: ...

    def snapshot(self) -> UnitOfWork:
        """A unit of work that reads one consistent snapshot of the book."""
        ...

    def cob_lock(self) -> AbstractContextManager[None]: ...

    def serving(self) -> AbstractContextManager[None]:
        """Background upkeep while a server runs on the book."""
        ...

    def dispose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Providers:
    """The outside world's adapters, chosen by the composition root."""

    #: The message and letter templates (built-in, merged with the lender's own).
    templates: Callable[[], TemplateBook]
    #: Renders a document to PDF bytes (the letter font chosen by the settings).
    pdf: Callable[[Document], bytes]
    #: The channel providers the settings choose, keyed by provider name.
    channels: Callable[[Settings], dict[str, ChannelProvider]]
    #: The provider name the settings choose for a channel.
    provider_name: Callable[[Settings, MessageChannel], str]
    #: The credit bureau the credit review consults (None: the lender consults none).
    bureau: Bureau | None = None
    #: The payment gateway the portal charges borrowers through (None: no online payments).
    payments: PaymentGateway | None = None


@dataclass
class Dunwell:
    settings: Settings
    db: Database
    providers: Providers

    def uow(self) -> UnitOfWork:
        return self.db.uow()

    @property
    def engine(self) -> Any:
        """The SQLAlchemy engine behind a SQL database, for the store's own tests and
        the benchmarks; the application layer never uses it."""
        return getattr(self.db, "engine", None)
