"""The port every channel provider implements, and the factory entry points name.

A provider plugin is a callable ``factory(config: ProviderConfig) -> ChannelProvider``
registered under the entry-point group ``dunwell.channel_providers``.
"""

from __future__ import annotations

from collections.abc import Callable
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
