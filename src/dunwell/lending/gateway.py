"""The payment gateway's port: how money a borrower pays online is taken before the
ledger posts it.

A gateway charges the borrower's card or account for an amount on one loan under an
idempotency key: the same key again returns the first result and takes no more money.
It answers with its own reference and whether the charge was captured or declined;
only a captured charge is posted (``app.lending.online``). The adapters live in
``dunwell.providers`` (the local sandbox: ``providers.payment_sandbox``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class GatewayStatus(StrEnum):
    CAPTURED = "captured"  # the money is taken: post it
    DECLINED = "declined"  # the card or account refused: nothing is taken


@dataclass(frozen=True, slots=True)
class GatewayResult:
    """What the gateway did: its own reference for the charge, and the outcome (a
    declined charge says why in ``reason``, a short code like ``card_declined``)."""

    reference: str
    status: GatewayStatus
    reason: str = ""

    @property
    def captured(self) -> bool:
        return self.status is GatewayStatus.CAPTURED


class PaymentGateway(Protocol):
    """Takes a borrower's payment; idempotent by ``key``."""

    name: str

    def charge(self, *, borrower_id: int, loan_id: int, amount_minor: int, currency: str,
               account: str, key: str) -> GatewayResult: ...
