"""Channel providers' delivery-status callbacks.

``POST /v1/channels/{provider}/status`` with ``{"id": "<provider's message id>",
"client_ref": "<our idempotency key>", "status": "delivered" | "undelivered",
"at": "<ISO time>", "error": "..."}`` (``id`` or ``client_ref``; ``at`` defaults to
now). The first report settles the message and becomes a contact in the borrower's
history; the same report again answers 200 with ``"changed": false``; a report that
contradicts a settled one is 409.

``POST /v1/channels/inbound`` with ``{"channel": "sms", "from": "+8613800000001"
(or "borrower_id": 26), "text": "退订", "at": "<ISO time>"}``: a message from the
borrower, recorded as an inbound contact. A text that is only STOP, 退订 or TD sets the
borrower's opt-out flag for the channel, which the guard obeys from then on; the
same message again answers ``"changed": false``.

Both are signed by the provider (``dunwell.channels.callbacks``): ``Dunwell-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256(DUNWELL_CALLBACK_SECRET, "<t>.<raw body>")>``. A
callback without it, malformed, not matching the body or signed further than
``DUNWELL_CALLBACK_WINDOW_SECONDS`` from now is refused (401) before its body is
used; with no secret configured every callback is refused (401) until one is set.
docs/security/secrets.md shows how a provider signs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from dunwell.api.deps import ServicesDep, utc_now
from dunwell.api.schemas import ERROR_RESPONSES, IsoDateTime, StrictIn
from dunwell.app.channels.outbox import record_delivery
from dunwell.app.collections.contacts import record_inbound_message
from dunwell.app.secrets import callback_key
from dunwell.channels.callbacks import SIGNATURE_HEADER, verify_callback
from dunwell.core.errors import Unauthenticated
from dunwell.core.limits import check_date, latest_record_date


async def signed_by_provider(
        request: Request, svc: ServicesDep,
        signature: Annotated[str | None, Header(
            alias=SIGNATURE_HEADER, description="t=<unix seconds>,v1=<hex HMAC-SHA256 "
            "of \"<t>.<raw body>\" under the callback secret>")] = None) -> None:
    """Refuse a callback that the provider did not sign (401), before its body is used."""
    settings = svc.dunwell.settings
    secret = callback_key(settings)
    if secret is None:
        raise Unauthenticated("this server has no callback secret, so no callback can be "
                              "verified: the lender must set DUNWELL_CALLBACK_SECRET and "
                              "share it with the provider", code="callback_secret_must_be_set",
                              field=SIGNATURE_HEADER)
    verify_callback(header=signature, body=await request.body(), secret=secret,
                    now_seconds=int(utc_now().timestamp()),
                    window_seconds=settings.callback_window_seconds)


router = APIRouter(prefix="/v1/channels", tags=["channels"], responses=ERROR_RESPONSES,
                   dependencies=[Depends(signed_by_provider)])
ProviderPath = Annotated[str, Path(min_length=1, max_length=64,
                                   description="The provider's name, e.g. sms_http.")]


class StatusIn(StrictIn):
    #: Providers add fields of their own to callbacks; what we do not read is ignored.
    model_config = ConfigDict(strict=True, extra="ignore")

    id: str | None = Field(default=None, max_length=128,
                           description="The provider's message id.")
    client_ref: str | None = Field(default=None, max_length=128,
                                   description="Our idempotency key, sent with the message.")
    status: Literal["delivered", "undelivered"]
    at: IsoDateTime | None = Field(default=None, description="When it happened (ISO 8601); "
                                   "not in the future.")
    error: str | None = Field(default=None, max_length=500)


class StatusOut(BaseModel):
    message_id: int
    status: str
    changed: bool


class InboundIn(StrictIn):
    model_config = ConfigDict(strict=True, extra="ignore")

    model_config = ConfigDict(strict=True, populate_by_name=True)

    channel: Literal["sms", "email", "in_app", "social_media"]
    sender: str | None = Field(default=None, alias="from", max_length=320,
                               description="The sender's address as stored for the "
                               "channel (an E.164 number for SMS).")
    borrower_id: int | None = Field(default=None, ge=1, description="The borrower, when "
                                    "the provider already knows them.")
    text: str = Field(max_length=2_000)
    at: IsoDateTime | None = Field(default=None, description="When it was received (ISO "
                                   "8601); not in the future.")


class InboundOut(BaseModel):
    borrower_id: int
    outcome: str
    opted_out: bool
    changed: bool


@router.post("/inbound", response_model=InboundOut)
async def post_inbound(body: InboundIn, svc: ServicesDep) -> InboundOut:
    """Record a borrower's message once; STOP, 退订 or TD opts them out of the channel."""
    now = utc_now()
    at = body.at or now
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    check_date(at, field="at", latest=latest_record_date(now.date()))

    def command() -> InboundOut:
        got = record_inbound_message(svc.dunwell, channel=body.channel, text=body.text, at=at,
                              now=now, borrower_id=body.borrower_id, sender=body.sender)
        return InboundOut(borrower_id=got.borrower_id, outcome=got.outcome.value,
                          opted_out=got.opted_out, changed=not got.replayed)

    return await svc.run(command)


@router.post("/{provider}/status", response_model=StatusOut)
async def post_status(provider: ProviderPath, body: StatusIn, svc: ServicesDep) -> StatusOut:
    """Apply a delivery report once; repeats change nothing."""
    now = utc_now()
    at = body.at or now
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    check_date(at, field="at", latest=latest_record_date(now.date()))

    def command() -> StatusOut:
        outcome = record_delivery(svc.dunwell, provider=provider, status=body.status, at=at,
                                  now=now, provider_message_id=body.id,
                                  idempotency_key=body.client_ref, error=body.error)
        return StatusOut(message_id=outcome.message.message_id,
                         status=outcome.message.status.value, changed=outcome.changed)

    return await svc.run(command)
