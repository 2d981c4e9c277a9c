"""Routes: applications, merchants' records, credit lines and drawdowns, loans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.types import Message, Receive

from dunwell.api.auth import PrincipalDep
from dunwell.api.deps import (
    IdempotencyHeader,
    IdPath,
    LangQuery,
    Services,
    ServicesDep,
    idempotency_key,
    utc_now,
)
from dunwell.api.schemas import (
    ERROR_RESPONSES,
    ApplicationDirect,
    ApplicationIn,
    BorrowerContactOut,
    CancellationIn,
    CancellationOut,
    CreditLineOut,
    DecisionOut,
    DrawdownIn,
    DrawdownOut,
    ErrorOut,
    IncomeImportOut,
    LoanOut,
    MerchantIn,
    MerchantOut,
    MonitoringOut,
    QuoteIn,
    QuoteOut,
    RecordsImportOut,
    RecordsIn,
    TransactionIn,
    records,
)
from dunwell.api.views import (
    cancellation_out,
    decision_json,
    decision_out,
    drawdown_out,
    income_import_out,
    line_out,
    loan_out,
    merchant_out,
    monitoring_out,
    records_import_out,
)
from dunwell.app.commands import run_command
from dunwell.app.objects import (
    contact_of,
    holding_of,
    record_personal_read,
    require_drawdown,
    require_line,
    require_loan,
)
from dunwell.app.origination.drawdowns import cancel_drawdown, draw_accepted, quote
from dunwell.app.origination.monitor import front_door
from dunwell.app.origination.records import (
    csv_rows,
    import_income_records,
    import_merchant_records,
)
from dunwell.app.origination.service import (
    Status,
    application_view,
    line_view,
    register_merchant,
    submit_application,
)
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.core.ids import IDEMPOTENCY_KEY_MAX_LEN
from dunwell.identity.masking import mask_name, shown
from dunwell.identity.model import Role
from dunwell.identity.objects import Thing, sees_contact_in_full
from dunwell.origination.features import check_transaction_dates
from dunwell.origination.model import Applicant, ApplicantKind, Application, Transaction

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 404, 409, 422)}
MerchantPath = Annotated[str, Path(min_length=1, max_length=128,
                                   description="The merchant's id (its reference).")]
ConsumerPath = Annotated[str, Path(min_length=1, max_length=128,
                                   description="The consumer's id (its reference).")]
REPLAYED_HEADER = "Idempotent-Replayed"
#: Records with a wrong line: the request was understood, its content is not right.
UNPROCESSABLE = 422


#: The content types a decision's body is read straight from its bytes for; any other
#: takes FastAPI's own path (:class:`DecisionRoute`).
JSON_TYPES = frozenset({"application/json", "application/json; charset=utf-8"})


def _failing(exc: Exception) -> Receive:
    """A ``receive`` that fails as reading the body did."""
    async def receive() -> Message:
        raise exc
    return receive


class DecisionRoute(APIRoute):
    """``POST /v1/applications`` with the usual request (a JSON body of the documented
    shape, a key header within its bound) read straight from the body's bytes into the
    domain's application (:class:`~dunwell.api.schemas.ApplicationDirect`) and decided,
    instead of ``json.loads``, validation of the dictionary, FastAPI's dependency
    resolution and a model per record. Every other request, any that does not read so
    included, takes FastAPI's own path with the body already read, so it is answered
    exactly as before (the same errors, fields and messages); the OpenAPI document is
    FastAPI's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        general = super().get_route_handler()

        async def handler(request: Request) -> Response:
            kind = request.headers.get("content-type")
            key_header = request.headers.get("idempotency-key")
            if kind is None or kind.lower() not in JSON_TYPES or (
                    key_header is not None and len(key_header) > IDEMPOTENCY_KEY_MAX_LEN):
                return await general(request)
            try:
                raw = await request.body()
            except Exception as exc:  # FastAPI's path meets the same failure, its way
                return await general(Request(request.scope, _failing(exc)))
            direct = read_direct(raw)
            if direct is None:  # read as ApplicationIn, which names what is wrong
                return await general(request)  # the body read is kept on the request
            application, body_key = direct
            services: Services = request.app.state.services
            key = idempotency_key(key_header, body_key)
            return await decide_application(application, key, services)

        return handler


def read_direct(raw: bytes) -> tuple[Application, str | None] | None:
    """The application in a decision's body and the key it names, read straight from
    its bytes (:class:`~dunwell.api.schemas.ApplicationDirect`); None when the body is
    not read so (FastAPI's path then reads it and names what is wrong)."""
    try:
        body = ApplicationDirect.model_validate_json(raw)
        return body.to_domain(), body.idempotency_key
    except Exception:
        return None


async def post_application(body: ApplicationIn, svc: ServicesDep,
                           key_header: IdempotencyHeader = None) -> Response:
    """Decide an application: approve (a credit line opens), decline or refer, with
    reasons. A replay (same key, same data) returns the first decision with 200."""
    key = idempotency_key(key_header, body.idempotency_key)
    return await decide_application(body.to_domain(), key, svc)


async def decide_application(application: Application, key: str, svc: Services) -> Response:
    """Decide ``application`` under ``key`` and answer it (201, or 200 for a replay)."""
    def command() -> tuple[bytes, Status]:
        with svc.dunwell.uow() as uow:
            result = submit_application(uow, application=application, idempotency_key=key,
                                        model=svc.origination.model,
                                        policy=svc.origination.policy,
                                        bureau=svc.dunwell.providers.bureau)
            uow.commit()
        return decision_json(result.application), result.status

    out, outcome = await svc.run(command, cpu_bound=True)
    return _json_bytes(out, outcome)


router.add_api_route("/applications", post_application, methods=["POST"],
                     status_code=status.HTTP_201_CREATED, responses=ERRORS,
                     response_model=DecisionOut, tags=["applications"],
                     route_class_override=DecisionRoute)


def _json(out: BaseModel, outcome: Status) -> Response:
    """The body as JSON straight from the model (it was built valid): 201 for a new
    resource, 200 with ``Idempotent-Replayed: true`` for a replay."""
    return _json_bytes(out.model_dump_json(), outcome)


def _json_bytes(body: bytes | str, outcome: Status) -> Response:
    """:func:`_json` of a body already serialised."""
    replayed = outcome is Status.REPLAYED
    return Response(body, media_type="application/json",
                    status_code=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
                    headers={REPLAYED_HEADER: "true"} if replayed else None)


@router.get("/applications/{application_id}", responses=ERRORS, tags=["applications"])
async def get_application(application_id: IdPath, svc: ServicesDep, principal: PrincipalDep,
                          lang: LangQuery = None) -> DecisionOut:
    """A stored decision, its reasons in ``lang`` (default: the applicant's language).
    The applicant's name is shown in full to a manager (who runs origination) and
    masked (``Z** S**``) to risk and compliance, who judge decisions, not people."""
    def query() -> DecisionOut:
        with svc.dunwell.uow() as uow:
            stored, _ = application_view(uow, application_id)
        out = decision_out(stored, lang)
        if principal.role is Role.MANAGER:
            return out
        masked = out.applicant.model_copy(update={"name": mask_name(out.applicant.name)})
        return out.model_copy(update={"applicant": masked})

    return await svc.run(query)


@router.put("/merchants/{merchant_id}", responses=ERRORS, tags=["merchants"])
async def put_merchant(merchant_id: MerchantPath, body: MerchantIn,
                       svc: ServicesDep) -> MerchantOut:
    """Register a merchant's transaction records (a month sent again is replaced).
    Records dated after the book's business date (plus a day) or before 2000 are
    refused, naming the record."""
    applicant = Applicant(ApplicantKind.MERCHANT, merchant_id, body.name, body.language)
    records = _records(body.transactions, body.currency)

    def command() -> MerchantOut:
        with svc.dunwell.uow() as uow:
            check_transaction_dates(records, business_date=uow.book.require().business_date)
            applicant_id, features = register_merchant(uow, applicant=applicant,
                                                       transactions=records)
            uow.commit()
        return merchant_out(merchant_id, applicant_id, features, body.currency)

    return await svc.run(command)


RECORDS_BODY = {"requestBody": {"content": {
    "application/json": {"schema": RecordsIn.model_json_schema()},
    "text/csv": {"schema": {"type": "string", "example":
                            "transaction_id,date,amount,currency,kind\n"
                            "t1,2024-12-10,1200.00,CNY,sale\n"}}}}}


async def _records_body(request: Request) -> tuple[RecordsIn, int]:
    """The rows sent, as CSV text or JSON, and the line number of the first."""
    raw = await request.body()
    if request.headers.get("content-type", "").split(";")[0].strip() == "text/csv":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the CSV body is not UTF-8 text", code="request_must_be_valid",
                               field="body") from None
        rows = [{k: None if v is None else str(v) for k, v in r.items()}
                for r in csv_rows(text).rows]
        return _valid_records(lambda: RecordsIn(rows=rows)), 2
    return _valid_records(lambda: RecordsIn.model_validate_json(raw)), 1


def _valid_records(build: Callable[[], RecordsIn]) -> RecordsIn:
    try:
        return build()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidInput(f"{where}: {first['msg']}", code="request_must_be_valid",
                           field=where) from None


RECORDS_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    201: {"model": RecordsImportOut, "description": "Records stored."},
    422: {"model": RecordsImportOut | ErrorOut,
          "description": "A line is wrong (nothing stored; ``rejected`` lists every wrong "
                         "field), or the request is malformed."}}


@router.post("/merchants/{merchant_id}/records", responses=RECORDS_RESPONSES,
             tags=["merchants"], response_model=RecordsImportOut, openapi_extra=RECORDS_BODY)
async def post_merchant_records(merchant_id: MerchantPath, request: Request,
                                svc: ServicesDep) -> Response:
    """Import a merchant's transaction records (``text/csv`` with a header line, or
    JSON rows): every line checked by field; any rejected line stores nothing (422,
    the lines listed); ids already stored are skipped. 201 when records were stored,
    200 when none were new."""
    body, first_line = await _records_body(request)

    def command() -> RecordsImportOut:
        with svc.dunwell.uow() as uow:
            result = import_merchant_records(uow, merchant=merchant_id, rows=body.rows,
                                             first_line=first_line, name=body.name,
                                             language=body.language)
            return records_import_out(result, _commit_unless_rejected(uow, result.rejected))

    return _import_answer(await svc.run(command))


INCOME_BODY = {"requestBody": {"content": {
    "application/json": {"schema": RecordsIn.model_json_schema()},
    "text/csv": {"schema": {"type": "string", "example":
                            "record_id,month,amount,currency\n"
                            "salary-2024-12,2024-12,8200.00,CNY\n"}}}}}
INCOME_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    201: {"model": IncomeImportOut, "description": "Records stored."},
    422: {"model": IncomeImportOut | ErrorOut,
          "description": "A line is wrong (nothing stored; ``rejected`` lists every wrong "
                         "field), or the request is malformed."}}


@router.post("/consumers/{consumer_id}/records", responses=INCOME_RESPONSES,
             tags=["consumers"], response_model=IncomeImportOut, openapi_extra=INCOME_BODY)
async def post_consumer_records(consumer_id: ConsumerPath, request: Request,
                                svc: ServicesDep) -> Response:
    """Import a consumer's monthly income records (``record_id``, ``month``,
    ``amount``, ``currency``; ``text/csv`` with a header line, or JSON rows), with the
    merchants' rules: any rejected line stores nothing (422), ids already stored are
    skipped; 201 when records were stored, 200 when none were new. An application from
    the consumer that sends no income history is judged on them."""
    body, first_line = await _records_body(request)

    def command() -> IncomeImportOut:
        with svc.dunwell.uow() as uow:
            result = import_income_records(uow, consumer=consumer_id, rows=body.rows,
                                           first_line=first_line, name=body.name,
                                           language=body.language)
            return income_import_out(result, _commit_unless_rejected(uow, result.rejected))

    return _import_answer(await svc.run(command))


def _commit_unless_rejected(uow: UnitOfWork, rejected: Sequence[object]) -> str:
    """An import is all or nothing: commit it only when no line was rejected. Returns
    the book's currency, which the answer's amounts are written in."""
    currency = uow.book.require().currency
    if not rejected:
        uow.commit()
    return currency


def _import_answer(out: RecordsImportOut | IncomeImportOut) -> Response:
    """422 when a line was rejected, 201 when records were stored, 200 when none were new."""
    code = (UNPROCESSABLE if out.rejected
            else status.HTTP_201_CREATED if out.stored else status.HTTP_200_OK)
    return Response(out.model_dump_json(), media_type="application/json", status_code=code)


def _records(items: list[TransactionIn], currency: str) -> tuple[Transaction, ...]:
    if not items:
        raise InvalidInput("send at least one transaction record",
                           code="transactions_must_be_present", field="transactions")
    return records(items, currency)


@router.get("/credit-lines/{line_id}", responses=ERRORS, tags=["credit lines"])
async def get_credit_line(line_id: IdPath, svc: ServicesDep,
                          principal: PrincipalDep) -> CreditLineOut:
    """A credit line: limit, what is available, its drawdowns. A borrower sees only
    their own (another's answers 404, as a missing line does)."""
    def query() -> CreditLineOut:
        with svc.dunwell.uow() as uow:
            require_line(uow, principal, line_id)
            return line_out(line_view(uow, line_id))

    return await svc.run(query)


@router.post("/credit-lines/{line_id}/drawdowns", status_code=status.HTTP_201_CREATED,
             responses=ERRORS, response_model=DrawdownOut, tags=["credit lines"])
async def post_drawdown(line_id: IdPath, body: DrawdownIn, svc: ServicesDep,
                        principal: PrincipalDep,
                        key_header: IdempotencyHeader = None) -> Response:
    """Draw from a line on the terms the borrower was shown and accepted
    (``accepted_terms``: the fingerprint from ``POST /v1/credit-lines/{id}/quotes``):
    a loan on the term's product, disbursed and posted to the ledger, the acceptance
    kept with the terms. 422 without ``accepted_terms``; 409 when the terms disclosed
    now differ from those accepted, or beyond what is available or affordable."""
    key = idempotency_key(key_header, body.idempotency_key)
    accepted = _accepted_terms(line_id, body.accepted_terms)

    def command() -> tuple[DrawdownOut, Status]:
        with svc.dunwell.uow() as uow:
            require_line(uow, principal, line_id)
            made = draw_accepted(uow, line_id=line_id, amount=body.amount,
                                 term_months=body.term_months, method=body.method,
                                 accepted=accepted, idempotency_key=key,
                                 policy=svc.origination.policy)
            uow.commit()
        result, acceptance = made.result, made.acceptance
        out = drawdown_out(result.drawdown, result.loan.currency, result.available_minor)
        if acceptance is not None:
            out = out.model_copy(update={"accepted_terms": acceptance.fingerprint,
                                         "cancel_until": acceptance.cancel_until})
        return out, result.status

    out, outcome = await svc.run(command)
    return _json(out, outcome)


def _accepted_terms(line_id: int, accepted: str | None) -> str:
    """The quote's fingerprint the borrower accepted; a drawdown is never made on
    terms the borrower was not shown."""
    if not accepted:
        raise DomainError(
            "a drawdown is made only on terms the borrower was shown: quote it first with "
            f"POST /v1/credit-lines/{line_id}/quotes, show the disclosure, and send its "
            "fingerprint as accepted_terms", code="accepted_terms_must_be_given",
            field="accepted_terms")
    return accepted


@router.post("/credit-lines/{line_id}/quotes", responses=ERRORS, tags=["credit lines"])
async def post_quote(line_id: IdPath, body: QuoteIn, svc: ServicesDep,
                     principal: PrincipalDep) -> QuoteOut:
    """What a drawdown would cost, before the borrower accepts it: the all-in annual
    cost (the cost cap's own measure), the total to repay, the schedule and the
    cooling-off window, labelled in ``language`` (default: the borrower's). Nothing
    is lent; draw with ``accepted_terms`` set to the fingerprint."""
    def query() -> QuoteOut:
        with svc.dunwell.uow() as uow:
            require_line(uow, principal, line_id)
            shown = quote(uow, line_id=line_id, amount=body.amount,
                          term_months=body.term_months, method=body.method,
                          language=body.language, policy=svc.origination.policy)
        return QuoteOut(line_id=line_id, fingerprint=shown.fingerprint,
                        disclosure=shown.rendered())

    return await svc.run(query)


@router.post("/drawdowns/{drawdown_id}/cancellation", status_code=status.HTTP_201_CREATED,
             responses=ERRORS, response_model=CancellationOut, tags=["credit lines"])
async def post_cancellation(drawdown_id: IdPath, body: CancellationIn, svc: ServicesDep,
                            principal: PrincipalDep,
                            key_header: IdempotencyHeader = None) -> Response:
    """Cancel a drawdown within its cooling-off window (``cancel_until``): the borrower
    returns exactly the principal and, where the jurisdiction charges it, the interest
    to date; the fee is waived and the loan closed. 409 outside the window, with the
    wrong amount, or on a loan with payments on it; nothing changes. A replay (same
    key, same data) returns the first result with 200."""
    key = idempotency_key(key_header, body.idempotency_key)

    def command() -> tuple[CancellationOut, Status]:
        with svc.dunwell.uow() as uow:
            require_drawdown(uow, principal, drawdown_id)
        done = run_command(svc.dunwell, lambda uow: cancel_drawdown(
            uow, drawdown_id=drawdown_id, amount=body.amount, idempotency_key=key,
            now=dt.datetime.now(dt.UTC)), what=f"cancellation of drawdown {drawdown_id}")
        return cancellation_out(done), done.status

    out, outcome = await svc.run(command)
    return _json(out, outcome)


@router.get("/origination/monitoring", responses=ERRORS, tags=["applications"])
async def get_monitoring(svc: ServicesDep,
                         recent_days: Annotated[int, Query(ge=1, le=3660)] = 90
                         ) -> MonitoringOut:
    """The front door: approval, default and early-delinquency rates by vintage and
    grade, and the population stability (PSI) of the application features of the
    last ``recent_days`` against the model's training data or earlier applications."""
    def query() -> MonitoringOut:
        with svc.dunwell.uow() as uow:
            report = front_door(uow, model=svc.origination.model, recent_days=recent_days)
        return monitoring_out(report)

    return await svc.run(query)


@router.get("/loans/{loan_id}", responses=ERRORS, tags=["loans"])
async def get_loan(loan_id: IdPath, svc: ServicesDep, principal: PrincipalDep) -> LoanOut:
    """A loan as serviced: instalments, what is paid and owed, ledger balances. A
    borrower sees only their own loans (another's answers 404, as a missing loan
    does); a collector only the loans of cases assigned to them (403 otherwise)."""
    def query() -> LoanOut:
        with svc.dunwell.uow() as uow:
            require_loan(uow, principal, loan_id)
            return loan_out(uow.loans.get(loan_id), uow.ledger.balances(loan_id=loan_id))

    return await svc.run(query)


@router.get("/loans/{loan_id}/borrower", responses=ERRORS, tags=["loans"])
async def get_loan_borrower(loan_id: IdPath, svc: ServicesDep,
                            principal: PrincipalDep) -> BorrowerContactOut:
    """The loan's borrower and how to reach them, to whoever reaches the loan: in full
    for the borrower themself and the field agent visiting them today (each such read
    is kept in the audit log), masked for everyone else."""
    def query() -> BorrowerContactOut:
        with svc.dunwell.uow() as uow:
            require_loan(uow, principal, loan_id)
            bid = uow.loans.get(loan_id).borrower_id
            full = sees_contact_in_full(principal, holding_of(uow, principal, Thing.BORROWER,
                                                              bid, bid))
            c = shown(contact_of(uow, bid), in_full=full)
            if full:
                record_personal_read(uow, principal=principal, what="contact_details",
                                     subject=f"borrower:{bid}", now=utc_now(),
                                     whose=[f"borrower:{bid}"], detail={"loan_id": loan_id})
                uow.commit()
        return BorrowerContactOut(loan_id=loan_id, borrower_id=bid, name=c.name, phone=c.phone,
                                  email=c.email, address=c.address, latitude=c.latitude,
                                  longitude=c.longitude, masked=c.masked)

    return await svc.run(query)
