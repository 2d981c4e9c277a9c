"""Legal referrals over HTTP: the review queue, proposing, a person's approval or
rejection, legal case events with costs, and checking an evidence bundle's ZIP.

Amounts are decimal strings in major units ("500.00"); dates ISO 8601. Rejections use
the common error shape with the legal codes (e.g.
``referral_borrower_must_not_be_protected``), and nothing changes when one is returned.

Who acts is the signed-in user, never the body: the proposer, the person deciding (in
the referral rules' approver role their role holds: legal counsel, a manager as
``collections_manager``, a compliance officer) and whoever records a case event. The
proposer may not approve their own referral (403
``approver_must_not_be_the_proposer``), and an event's cost must be within the
recorder's authority (403 ``legal_cost_must_be_within_your_authority``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from dunwell.api.auth import PrincipalDep
from dunwell.api.deps import ServicesDep, utc_now
from dunwell.api.schemas import ERROR_RESPONSES, IsoDate, StrictIn
from dunwell.app.legal.cases import LegalCaseView, legal_case, record_legal_event
from dunwell.app.legal.evidence import ZipBounds, bundle_registered, verify_bundle_upload
from dunwell.app.legal.referrals import (
    approve_referral,
    propose_referral,
    referral_record,
    reject_referral,
    review_queue,
)
from dunwell.app.objects import require_case, require_referral
from dunwell.core.errors import InvalidInput
from dunwell.core.limits import ID_MAX, check_date, latest_record_date
from dunwell.core.money import format_minor, to_minor
from dunwell.identity.authority import Approver, legal_decider, person
from dunwell.identity.model import Principal
from dunwell.legal.bundle import BundleCheck
from dunwell.legal.model import Referral, ReferralStatus
from dunwell.settings import Settings

router = APIRouter(prefix="/v1/legal", tags=["legal"], responses=ERROR_RESPONSES)
ReferralPath = Annotated[int, Path(ge=1, le=ID_MAX, description="Referral id.")]


class FailureOut(BaseModel):
    criterion: str
    reason: str


class ReferralOut(BaseModel):
    referral_id: int
    case_id: str
    borrower_id: int
    status: str = Field(description="proposed, approved, rejected or not_eligible")
    source: str = Field(description="manual or strategy")
    proposed_on: dt.date
    proposed_by: str
    days_past_due: int
    outstanding: str
    currency: str
    failures: list[FailureOut]
    decided_by: str | None = None
    decided_role: str | None = None
    decided_note: str | None = None
    decided_on: dt.date | None = None
    legal_state: str | None = None
    demand_letter_no: str | None = None


class LegalEventOut(BaseModel):
    event: str
    on: dt.date
    cost: str
    court: str
    reference: str
    note: str
    recorded_by: str


class LegalCaseOut(BaseModel):
    referral: ReferralOut
    state: str
    allowed_next: list[str]
    total_cost: str
    events: list[LegalEventOut]


class ProposalIn(StrictIn):
    case_id: str = Field(max_length=64)
    note: str = Field(default="", max_length=4000)
    business_date: IsoDate | None = Field(
        default=None, description="Default: the open date; not after it (plus a day).")


class DecisionIn(StrictIn):
    note: str = Field(min_length=1, max_length=4000)
    business_date: IsoDate | None = Field(
        default=None, description="Default: the open date; not after it (plus a day).")


class EventIn(StrictIn):
    event: str = Field(max_length=32,
                       description="filed, hearing, judgment, enforcement, settled, closed")
    on: IsoDate | None = Field(
        default=None, description="Default: the open date; not after it (plus a day).")
    cost: str = Field(default="0", max_length=24, description="Decimal string, e.g. 500.00")
    court: str = Field(default="", max_length=500)
    reference: str = Field(default="", max_length=128)
    note: str = Field(default="", max_length=4000)
    idempotency_key: str | None = Field(default=None, max_length=160)


class BundleCheckOut(BaseModel):
    intact: bool
    files_checked: int
    manifest_sha256: str
    registered: bool = Field(description="This book exported a bundle with this manifest.")
    problems: list[str]


def _day(given: dt.date | None, business_date: dt.date, field: str) -> dt.date:
    """The day a step happened: ``given`` (not after the business date, plus a day's
    slack, nor before 2000) or the business date."""
    if given is None:
        return business_date
    return check_date(given, field=field, latest=latest_record_date(business_date))


def _money(minor: int, currency: str) -> str:
    return format_minor(minor, currency) if len(currency) == 3 else str(minor)


def referral_out(r: Referral) -> ReferralOut:
    return ReferralOut(
        referral_id=r.referral_id, case_id=r.case_id, borrower_id=r.borrower_id,
        status=r.status.value, source=r.source.value, proposed_on=r.proposed_on,
        proposed_by=r.proposed_by, days_past_due=r.days_past_due,
        outstanding=_money(r.outstanding_minor, r.currency), currency=r.currency,
        failures=[FailureOut(criterion=f.criterion.value, reason=f.reason)
                  for f in r.eligibility.failures],
        decided_by=r.decided_by, decided_role=r.decided_role, decided_note=r.decided_note,
        decided_on=r.decided_on, legal_state=r.legal_state.value if r.legal_state else None,
        demand_letter_no=r.demand_letter_no)


def case_out(v: LegalCaseView) -> LegalCaseOut:
    return LegalCaseOut(
        referral=referral_out(v.referral), state=v.case.state.value,
        allowed_next=list(v.allowed_next),
        total_cost=_money(v.total_cost_minor, v.referral.currency),
        events=[LegalEventOut(event=s.event.event.value, on=s.event.on,
                              cost=_money(s.event.cost_minor, s.currency), court=s.event.court,
                              reference=s.event.reference, note=s.event.note,
                              recorded_by=s.recorded_by) for s in v.events])



@router.get("/referrals", response_model=list[ReferralOut])
async def get_referrals(svc: ServicesDep, status_: Annotated[str | None, Query(
        alias="status", description="proposed, approved, rejected, not_eligible")] = None,
                        ) -> list[ReferralOut]:
    """Referrals, oldest first (all, or those with one status)."""
    wanted = None
    if status_ is not None:
        try:
            wanted = ReferralStatus(status_)
        except ValueError:
            raise InvalidInput(f"unknown status {status_!r}", field="status",
                               code="referral_status_must_be_known") from None

    def command() -> list[ReferralOut]:
        with svc.dunwell.uow() as uow:
            rows = review_queue(uow, include_closed=True,
                                statuses=None if wanted is None else [wanted])
        return [referral_out(r) for r in rows]

    return await svc.run(command)


@router.get("/referrals/{referral_id}", response_model=LegalCaseOut)
async def get_referral(referral_id: ReferralPath, svc: ServicesDep,
                       principal: PrincipalDep) -> LegalCaseOut:
    """One referral with its legal case: events, costs and the steps allowed next."""
    def command() -> LegalCaseOut:
        with svc.dunwell.uow() as uow:
            require_referral(uow, principal, referral_id)
            return case_out(legal_case(uow, referral_id=referral_id))

    return await svc.run(command)


@router.post("/referrals", status_code=status.HTTP_201_CREATED, response_model=ReferralOut)
async def post_referral(body: ProposalIn, svc: ServicesDep,
                        principal: PrincipalDep) -> ReferralOut:
    """Propose a referral as the signed-in user; it waits for another person's
    decision. A case with an open referral returns that referral."""
    def command() -> ReferralOut:
        with svc.dunwell.uow() as uow:
            day = _day(body.business_date, uow.book.require().business_date, "business_date")
            require_case(uow, principal, body.case_id)
            ref = propose_referral(uow, case_id=body.case_id, business_date=day,
                                   proposed_by=person(principal), now=utc_now(),
                                   note=body.note)
            uow.commit()
        return referral_out(ref)

    return await svc.run(command)


async def _decide(referral_id: int, body: DecisionIn, svc: ServicesDep,
                  principal: Principal, approve: bool) -> ReferralOut:
    fn = approve_referral if approve else reject_referral
    as_ = legal_decider(principal.role)

    def command() -> ReferralOut:
        with svc.dunwell.uow() as uow:
            day = _day(body.business_date, uow.book.require().business_date, "business_date")
            require_referral(uow, principal, referral_id)
            ref = fn(uow, referral_id=referral_id, approver=person(principal), role=as_,
                     note=body.note, business_date=day, now=utc_now())
            uow.commit()
        return referral_out(ref)

    return await svc.run(command)


@router.post("/referrals/{referral_id}/approve", response_model=ReferralOut)
async def post_approve(referral_id: ReferralPath, body: DecisionIn, svc: ServicesDep,
                       principal: PrincipalDep) -> ReferralOut:
    """The signed-in user approves, with a note, in the approver role their role holds;
    never the referral's proposer."""
    return await _decide(referral_id, body, svc, principal, True)


@router.post("/referrals/{referral_id}/reject", response_model=ReferralOut)
async def post_reject(referral_id: ReferralPath, body: DecisionIn, svc: ServicesDep,
                      principal: PrincipalDep) -> ReferralOut:
    """The signed-in user rejects, with a note (the proposer may withdraw their own)."""
    return await _decide(referral_id, body, svc, principal, False)


@router.post("/referrals/{referral_id}/events", response_model=LegalCaseOut)
async def post_event(referral_id: ReferralPath, body: EventIn, svc: ServicesDep,
                     principal: PrincipalDep) -> LegalCaseOut:
    """Record a step of the legal case with its cost, as the signed-in user and within
    their authority (a repeat is acknowledged once)."""
    def command() -> LegalCaseOut:
        with svc.dunwell.uow() as uow:
            day = _day(body.on, uow.book.require().business_date, "on")
            require_referral(uow, principal, referral_id)
            currency = referral_record(uow, referral_id=referral_id).currency
            view = record_legal_event(
                uow, referral_id=referral_id, event=body.event, on=day,
                cost_minor=to_minor(body.cost, currency, field="cost"),
                recorded_by=person(principal), now=utc_now(), court=body.court,
                reference=body.reference, note=body.note,
                idempotency_key=body.idempotency_key, approver=Approver.of(principal))
            uow.commit()
        return case_out(view)

    return await svc.run(command)


@router.post("/bundles/verify", response_model=BundleCheckOut)
async def post_bundle_verify(request: Request, svc: ServicesDep) -> BundleCheckOut:
    """Check an evidence bundle: send the ZIP as the request body
    (``Content-Type: application/zip``), at most ``DUNWELL_BUNDLE_UPLOAD_BYTES_MAX``
    bytes (64 MiB by default; larger is 413). The body is spooled to a temporary file;
    the ZIP's directory is checked (members, bytes when extracted, compression ratio)
    before anything is extracted, and the checksums run off the event loop."""
    settings = svc.dunwell.settings
    with tempfile.TemporaryDirectory(prefix="dunwell-bundle-") as folder:
        path = FilePath(folder) / "bundle.zip"
        await _spool(request, path, settings.bundle_upload_bytes_max)
        check = await run_in_threadpool(verify_bundle_upload, path,
                                        bounds=zip_bounds(settings))

    def command() -> bool:
        return bundle_registered(svc.dunwell, manifest_sha256=check.manifest_sha256)

    registered = await svc.run(command)
    return _bundle_out(check, registered)


def zip_bounds(settings: Settings) -> ZipBounds:
    return ZipBounds(members_max=settings.bundle_members_max,
                     uncompressed_bytes_max=settings.bundle_uncompressed_bytes_max,
                     ratio_max=settings.bundle_compression_ratio_max)


async def _spool(request: Request, path: FilePath, bytes_max: int) -> None:
    """Write the request body to ``path`` as it arrives, refusing it past ``bytes_max``
    (the body-size middleware holds the same limit; this keeps the route safe alone)."""
    size = 0
    with path.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > bytes_max:
                raise InvalidInput(f"the bundle is larger than {bytes_max} bytes",
                                   code="bundle_must_be_bounded")
            out.write(chunk)


def _bundle_out(check: BundleCheck, registered: bool) -> BundleCheckOut:
    return BundleCheckOut(intact=check.intact and registered, files_checked=check.files_checked,
                          manifest_sha256=check.manifest_sha256, registered=registered,
                          problems=list(check.problems))
