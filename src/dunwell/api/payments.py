"""Payments over HTTP, with the rules of ``dunwell pay`` (DESIGN.md §4).

``POST /v1/loans/{loan_id}/payments`` with an ``Idempotency-Key`` header answers 201
when it posted, 200 (``Idempotent-Replayed: true``) for a replay of the same request,
409 when the key was used for a different request, 422 for an invalid one, and 503
with ``Retry-After`` when the loan stayed busy (send the same request again). A
payment waits while COB closes its loan's partition (docs/reliability.md).

Group commit: the payments one server process receives while its earlier ones are
being posted wait and are then posted together, in one transaction
(:func:`~dunwell.app.lending.payments.post_payments`), each answered with its own
result; if anything in the group fails, each of its payments is posted on its own, as
a lone payment is. A payment that finds the process idle is posted at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, ConfigDict, Field

from dunwell.api.auth import PrincipalDep
from dunwell.api.deps import IdPath, Runner, Services, ServicesDep
from dunwell.api.routes import ERRORS, REPLAYED_HEADER
from dunwell.api.schemas import ERROR_RESPONSES, Amount
from dunwell.app.commands import run_command
from dunwell.app.lending.payments import (
    PaymentRecord,
    PaymentRequest,
    Receipt,
    ReceiptStatus,
    post_payments,
    reverse_payment,
)
from dunwell.app.objects import holding_of, require_payment
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.core.money import format_minor
from dunwell.identity.model import Principal
from dunwell.identity.objects import Thing, require_reach
from dunwell.lending.payments import PaymentKind
from dunwell.lending.prepayment import PrepaymentMode

router = APIRouter(prefix="/v1", tags=["payments"], responses=ERROR_RESPONSES)
PAYMENT_ERRORS = {**ERRORS, 503: ERRORS[409]}

KeyHeader = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=128,
                                  description="Unique per payment; a retry sends the same.")]


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    amount: Amount
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])
    kind: Literal["regular", "prepayment", "payoff"] = "regular"
    mode: Literal["shorten_term", "lower_installment"] | None = Field(
        default=None, description="For a prepayment: shorten_term or lower_installment.")


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: str = Field(default="", max_length=500)


class AllocationOut(BaseModel):
    n: int
    component: str
    amount: str


class PaymentOut(BaseModel):
    payment_id: int
    loan_id: int
    status: Literal["posted", "replayed"]
    kind: str
    amount: str
    currency: str
    business_date: dt.date
    allocation: list[AllocationOut]
    suspense: str
    reversed: bool
    loan_status: str


def payment_out(receipt: Receipt) -> PaymentOut:
    p: PaymentRecord = receipt.payment
    return PaymentOut(
        payment_id=p.payment_id, loan_id=p.loan_id, status=receipt.status.value, kind=p.kind,
        amount=format_minor(p.amount_minor, p.currency), currency=p.currency,
        business_date=p.business_date,
        allocation=[AllocationOut(n=a.n, component=a.component.value,
                                  amount=format_minor(a.amount_minor, p.currency))
                    for a in p.allocation],
        suspense=format_minor(p.suspense_minor, p.currency),
        reversed=p.reversal_entry_id is not None,
        loan_status=receipt.loan.status.name.lower())


def _reply(receipt: Receipt) -> Response:
    replayed = receipt.status is ReceiptStatus.REPLAYED
    return Response(payment_out(receipt).model_dump_json(), media_type="application/json",
                    status_code=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
                    headers={REPLAYED_HEADER: "true"} if replayed else None)


def _invalid_is_422(exc: InvalidInput) -> DomainError:
    """The payment contract answers 422 for every invalid request."""
    return DomainError(exc.message, code=exc.code, **exc.details)


@router.post("/loans/{loan_id}/payments", status_code=status.HTTP_201_CREATED,
             response_model=PaymentOut, responses=PAYMENT_ERRORS)
async def post_payment(loan_id: IdPath, body: PaymentIn, key: KeyHeader,
                       svc: ServicesDep, principal: PrincipalDep) -> Response:
    """Receive a payment: the waterfall settles the oldest instalments first (a
    prepayment or payoff restructures or closes the loan). A borrower pays only their
    own loans (another's answers 404, as a missing loan does)."""
    return await pay(svc, loan_id, body, key, principal)


async def pay(svc: Services, loan_id: int, body: PaymentIn, key: str,
              principal: Principal) -> Response:
    """Post a valid payment request for ``principal`` and answer it (the route's work
    after validation; :mod:`dunwell.api.fast` calls it too). A refused payment raises
    the error the application's handlers render."""
    kind = PaymentKind(body.kind)
    mode = PrepaymentMode(body.mode) if body.mode else None

    def may_pay(uow: UnitOfWork, borrower_id: int | None) -> None:
        require_reach(principal, holding_of(uow, principal, Thing.LOAN, loan_id, borrower_id))

    outcome = await _posted(svc, PaymentRequest(loan_id, body.amount, body.currency, key,
                                                kind, mode, may_pay))
    if isinstance(outcome, InvalidInput):
        raise _invalid_is_422(outcome) from None
    if isinstance(outcome, Exception):
        raise outcome
    return _reply(outcome)


#: Payments one process posts in one transaction at the most.
GROUP_MAX = 32
#: How long a group waits for more payments when payments are arriving together.
GATHER_S = 0.001
#: A group still posting after this long is probably waiting for a lock (COB closing
#: its loan's partition, another writer on its loan): the payments waiting behind it
#: are then posted in another group, up to :data:`GROUPS_MAX` at once.
SLOW_GROUP_S = 0.05
GROUPS_MAX = 4


@dataclass(eq=False)
class _Groups:
    """One process's payments waiting to be posted, and the groups being posted."""

    loop: asyncio.AbstractEventLoop
    waiting: list[tuple[PaymentRequest, asyncio.Future[Receipt | Exception]]] = field(
        default_factory=list)
    running: set[asyncio.Task[None]] = field(default_factory=set)
    #: When the latest group began posting (the loop's clock).
    began: float = 0.0

    def start(self, svc: Services) -> None:
        task = self.loop.create_task(_post_groups(svc, self))
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    def help_slow(self, svc: Services) -> None:
        """Start another group for the waiting payments if every group being posted
        has been at it for :data:`SLOW_GROUP_S`."""
        if (self.waiting and len(self.running) < GROUPS_MAX
                and self.loop.time() - self.began >= SLOW_GROUP_S):
            self.start(svc)


_GROUPS: weakref.WeakKeyDictionary[Runner, _Groups] = weakref.WeakKeyDictionary()


async def _posted(svc: Services, request: PaymentRequest) -> Receipt | Exception:
    """The request's receipt, or the error it alone would have raised: posted at once
    when no group is being posted, else with the requests that arrive meanwhile, in
    the next group."""
    loop = asyncio.get_running_loop()
    groups = _GROUPS.get(svc.run)
    if groups is None or groups.loop is not loop:
        groups = _GROUPS[svc.run] = _Groups(loop)
    answer: asyncio.Future[Receipt | Exception] = loop.create_future()
    groups.waiting.append((request, answer))
    if not groups.running:
        groups.start(svc)
    else:
        groups.help_slow(svc)
    return await answer


async def _post_groups(svc: Services, groups: _Groups) -> None:
    """Post what is waiting, up to :data:`GROUP_MAX` a group, until nothing is. The
    first group goes at once; a later one (payments arrived while one was posted, so
    clients are sending together) first waits :data:`GATHER_S` for more to arrive. A
    payment whose request was cancelled while it waited (its client went) is left
    out, as it would not have run alone either."""
    first = True
    while groups.waiting:
        if not first:
            await asyncio.sleep(GATHER_S)
        first = False
        taken = groups.waiting[:GROUP_MAX]
        del groups.waiting[:GROUP_MAX]
        group = [(r, answer) for r, answer in taken if not answer.done()]
        if not group:
            continue
        groups.began = groups.loop.time()
        slow = groups.loop.call_later(SLOW_GROUP_S, groups.help_slow, svc)
        try:
            outcomes = await svc.run(partial(post_payments, svc.dunwell,
                                             [r for r, _ in group], what=_what))
        except Exception as exc:  # the runner itself failed: each request gets the error
            outcomes = [exc] * len(group)
        except BaseException:  # the process is stopping: nobody is left to answer
            for _, answer in (*group, *groups.waiting):
                answer.cancel()
            raise
        finally:
            slow.cancel()
        for (_, answer), outcome in zip(group, outcomes, strict=True):
            if not answer.done():  # its client may have gone
                answer.set_result(outcome)


def _what(request: PaymentRequest) -> str:
    return f"payment {request.idempotency_key!r}"


@router.post("/payments/{payment_id}/reversal", status_code=status.HTTP_201_CREATED,
             response_model=PaymentOut, responses=PAYMENT_ERRORS)
async def post_reversal(payment_id: IdPath, body: ReversalIn, svc: ServicesDep,
                        principal: PrincipalDep) -> Response:
    """Reverse a regular payment with a mirror entry; a repeat answers 200."""
    def command() -> Receipt:
        with svc.dunwell.uow() as uow:
            require_payment(uow, principal, payment_id)
        return run_command(svc.dunwell, lambda uow: reverse_payment(
            uow, payment_id=payment_id, reason=body.reason),
            what=f"reversal of payment {payment_id}")

    return _reply(await svc.run(command))


@router.get("/payments/{payment_id}", response_model=PaymentOut, responses=ERRORS)
async def get_payment(payment_id: IdPath, svc: ServicesDep,
                      principal: PrincipalDep) -> PaymentOut:
    """A payment as posted: its allocation and whether it was reversed. Seen by whoever
    sees its loan."""
    def query() -> PaymentOut:
        with svc.dunwell.uow() as uow:
            require_payment(uow, principal, payment_id)
            record = uow.payments.get(payment_id)
            loan = uow.loans.get(record.loan_id)
        return payment_out(Receipt(ReceiptStatus.POSTED, record, loan))

    return await svc.run(query)
