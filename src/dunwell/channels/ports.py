"""The ports the shell implements for channels: the channel providers (and the
factory entry points name) and the templates messages and letters are written from.

A provider plugin is a callable ``factory(config: ProviderConfig) -> ChannelProvider``
registered under the entry-point group ``dunwell.channel_providers``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig, SendReceipt

#: The entry-point group provider factories register under.
ENTRY_POINT_GROUP = "dunwell.channel_providers"


@runtime_checkable
class ChannelProvider(Protocol):
    """Sends messages on one or more channels.

    ``send`` either returns a receipt (the provider accepted the message) or raises
    :class:`dunwell.channels.errors.TransientFailure` (try later) or
    :class:`dunwell.channels.errors.PermanentFailure` (never). Sending the same
    ``idempotency_key`` twice must not deliver twice: the provider answers the second
    call with the first receipt.
    """

    name: str
    channels: frozenset[MessageChannel]

    def send(self, message: OutgoingMessage) -> SendReceipt: ...


ProviderFactory = Callable[[ProviderConfig], ChannelProvider]


class Template(Protocol):
    """One message or letter template, in the language it was found in."""

    @property
    def name(self) -> str: ...

    @property
    def language(self) -> str: ...

    @property
    def requires(self) -> frozenset[str]:
        """The variables the template declares (and the only ones it reads)."""
        ...

    def render(self, context: Mapping[str, object]) -> str: ...


class Templates(Protocol):
    """The message and letter templates, and how their language writes money and
    dates. The shell's template book implements it (``app.providers.templates()``)."""

    def template(self, name: str, language: str) -> Template:
        """``name`` in ``language``, falling back to English."""
        ...

    def requires(self, name: str, language: str) -> frozenset[str]: ...

    def render(self, name: str, language: str, context: Mapping[str, object]) -> str: ...

    def format_money(self, amount_minor: int, currency: str, *, language: str) -> str:
        """``amount_minor`` of ``currency`` as ``language`` writes money."""
        ...

    def format_day(self, day: dt.date, *, language: str) -> str:
        """``day`` as ``language`` writes a date."""
        ...


class TemplateFiles(Protocol):
    """Template files on disk: the built-in directory, one file loaded and checked, a
    whole directory loaded, and sample values to render a template with. The shell's
    template book implements it."""

    def builtin_directory(self) -> str:
        """Where the built-in templates are."""
        ...

    def load_file(self, path: str) -> Template:
        """One ``<name>.<lang>.j2`` file, loaded and checked."""
        ...

    def load_directory(self, directory: str | None) -> Templates:
        """Every template of ``directory`` (default: the built-in ones)."""
        ...

    def sample_context(self, variables: frozenset[str]) -> dict[str, object]: ...
