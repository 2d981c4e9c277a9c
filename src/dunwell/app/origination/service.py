"""Origination commands: submit an application, register a merchant's records, draw
down a credit line, review limits — each one transaction, each carrying an
idempotency key where it creates something (a replay returns the first result; the
same key with different data is rejected with ``idempotency_key_must_match_original_
request``). Also the credit model's wiring: the built-in scorecard, or a trained
model from ``DUNWELL_CREDIT_MODEL_DIR`` loaded once at start through an adapter.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from dunwell.app.lending.book import LoanRequest, disburse
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import Conflict, DomainError, InvalidInput, NotFound
from dunwell.core.ids import check_idempotency_key, fingerprint
from dunwell.core.money import to_minor
from dunwell.lending.loans import LoanState
from dunwell.lending.model import Product
from dunwell.origination.affordability import monthly_repayment_minor
from dunwell.origination.credit_line import (
    CreditLine,
    Exposure,
    LimitReview,
    LineStatus,
    ReviewAction,
    available_minor,
    check_affordable,
    check_drawdown,
)
from dunwell.origination.credit_review import Applicant as ReviewApplicant
from dunwell.origination.credit_review import (
    CreditReview,
    OwnHistory,
    ReviewRules,
    Verdict,
    builtin_rules,
    review,
)
from dunwell.origination.decision import decide
from dunwell.origination.errors import MerchantUnknown
from dunwell.origination.features import MerchantFeatures, merchant_features, summarise
from dunwell.origination.limit_review import Evidence, review_line
from dunwell.origination.model import (
    LANGUAGES,
    Applicant,
    ApplicantKind,
    Application,
    Decision,
    Effect,
    MonthSummary,
    Outcome,
    Reason,
    Records,
    Transaction,
)
from dunwell.origination.policy import Policy, builtin_policy
from dunwell.origination.ports import Bureau, CreditModel
from dunwell.origination.pricing import priced_product, product_toml
from dunwell.origination.records import income_history_minor
from dunwell.origination.scorecard import builtin_scorecard
from dunwell.settings import Settings
from dunwell.store.origination_repo import Drawdown as Drawdown  # in each DrawdownResult
from dunwell.store.origination_repo import LineFigures, OriginationRepository, application_row
from dunwell.store.origination_repo import StoredApplication as StoredApplication

#: Borrowers who come through origination are numbered from here up in the loan book.
BORROWER_ID_BASE = 1_000_000_000
#: Lines one review run looks at, at the most.
LINES_PER_REVIEW_MAX = 100_000
KEY_CONFLICT = "idempotency_key_must_match_original_request"
MODEL_NAME_MAX = 64
#: Where trained models are loaded from: imported only when one is configured, so the
#: scorecard serves without the training libraries installed.
RISK_MODELS = "dunwell.app.risk"


class OriginationSettings(BaseSettings):
    """``DUNWELL_CREDIT_MODEL_DIR``: a trained model's directory (unset: the scorecard)."""

    model_config = SettingsConfigDict(env_prefix="DUNWELL_", extra="ignore")
    credit_model_dir: Path | None = None


class CreditModelNotAvailable(RuntimeError):
    """The configured trained model cannot be loaded: the service must not start."""


class RiskModelAdapter:
    """A ``dunwell.risk`` model (``score_rows(rows) -> list[float]`` and
    ``explain(row, top=3, lang=...) -> list[Reason]``) as origination's CreditModel.
    A model that also has ``score_and_explain(row, top=, langs=)`` is asked once per
    decision for the probability and the reasons in every language.

    Each explained reason (``feature``, ``phrase``, ``contribution`` in log-odds towards
    default) becomes a ``model.<feature>`` reason carrying the model's own words in
    every language; it hurts unless its contribution is negative.
    """

    def __init__(self, model: Any, name: str) -> None:
        self._model = model
        self.name = name

    def score(self, features: Mapping[str, object]) -> tuple[float, list[Reason]]:
        row = dict(features)
        both = getattr(self._model, "score_and_explain", None)
        if callable(both):  # one call: the row checked once, contributions computed once
            p, explained = both(row, top=3, langs=LANGUAGES)
            probability = float(p)
            worded = {lang: list(explained[lang]) for lang in LANGUAGES}
        else:
            probability = float(self._model.score_rows([row])[0])
            worded = {lang: list(self._model.explain(row, top=3, lang=lang))
                      for lang in LANGUAGES}
        reasons = []
        for k, first in enumerate(worded["en"]):
            feature = getattr(first, "feature", None) or getattr(first, "code", None) or k + 1
            contribution = getattr(first, "contribution", None)
            effect = (Effect.HELPS if isinstance(contribution, int | float) and contribution < 0
                      else Effect.HURTS)
            texts = tuple((lang, _words(items[k])) for lang, items in worded.items()
                          if k < len(items))
            reasons.append(Reason(f"model.{feature}", effect, str(feature), 0, texts))
        return probability, reasons


def _words(reason: object) -> str:
    for attr in ("phrase", "text", "message"):
        value = getattr(reason, attr, None)
        if isinstance(value, str) and value:
            return value
    return str(reason)


def load_credit_model(model_dir: Path | None) -> CreditModel:
    """The built-in scorecard, or the trained model in ``model_dir`` (loaded now)."""
    if model_dir is None:
        return builtin_scorecard()
    try:
        risk = importlib.import_module(RISK_MODELS)
    except ImportError as exc:
        raise CreditModelNotAvailable(
            f"DUNWELL_CREDIT_MODEL_DIR is {model_dir}, but {RISK_MODELS} cannot be imported "
            f"({exc}); install dunwell.risk's dependencies or unset the variable to use the "
            "built-in scorecard") from exc
    load = getattr(risk, "load_model", None)
    if load is None:
        raise CreditModelNotAvailable(f"{RISK_MODELS} has no load_model(path); it cannot "
                                      f"serve the model in {model_dir}")
    try:
        model = load(model_dir)
    except Exception as exc:
        raise CreditModelNotAvailable(f"the credit model in {model_dir} does not load: "
                                      f"{type(exc).__name__}: {exc}") from exc
    if not (callable(getattr(model, "score_rows", None))
            and callable(getattr(model, "explain", None))):
        raise CreditModelNotAvailable(f"the model in {model_dir} lacks score_rows/explain")
    return RiskModelAdapter(model, f"risk:{getattr(model, 'version', None) or model_dir.name}")


@dataclass(frozen=True)
class Origination:
    """What origination commands are configured with, built once at start."""

    model: CreditModel
    policy: Policy


def origination_for(settings: Settings | None = None, *,
                    model_dir: Path | None = None) -> Origination:
    configured = getattr(settings, "credit_model_dir", None)
    chosen = model_dir or configured or OriginationSettings().credit_model_dir
    return Origination(load_credit_model(Path(chosen) if chosen else None), builtin_policy())


class Status(StrEnum):
    CREATED = "created"
    REPLAYED = "replayed"  # the same key and data were seen before: nothing new was made


@dataclass(frozen=True)
class ApplicationResult:
    status: Status
    application: StoredApplication
    line: CreditLine | None


def _conflict(what: str, key: str) -> Conflict:
    return Conflict(f"idempotency key {key!r} was used for a different {what}; use a new key",
                    code=KEY_CONFLICT, field="idempotency_key")


def application_payload(application: Application) -> dict[str, object]:
    """An application's data in a canonical form, for its fingerprint. A record's kind
    is its ``StrEnum`` member, which JSON writes as its text (``.value`` costs an
    attribute lookup per record for the same output); records as read hold their rows
    in this form already (:class:`~dunwell.origination.model.Records`)."""
    a = application
    return {"applicant": [a.applicant.kind.value, a.applicant.reference, a.applicant.name,
                          a.applicant.language],
            "currency": a.currency, "requested_minor": a.requested_minor,
            "term_months": a.term_months, "purpose": a.purpose.value,
            "income_minor": a.monthly_income_minor, "expenses_minor": a.monthly_expenses_minor,
            "debt_payments_minor": a.existing_debt_payments_minor,
            "income_history_minor": list(a.income_history_minor),
            "transactions": (a.transactions.rows if isinstance(a.transactions, Records)
                             else [(t.on.toordinal(), t.amount_minor, t.kind)
                                   for t in a.transactions])}


def _merchant_records(repo: OriginationRepository, applicant: Applicant,
                      transactions: Sequence[Transaction], today: dt.date,
                      found: tuple[int, Applicant] | None,
                      ) -> tuple[int, tuple[MonthSummary, ...], bool]:
    """Store the merchant (``found``: as on record) and its records; its whole monthly
    history afterwards, and whether it was on record before."""
    applicant_id, known = repo.put_read_applicant(applicant, today, found)
    fresh = summarise(transactions)
    stored = repo.months(applicant_id) if known else ()
    repo.put_months(applicant_id, fresh, replacing=bool(stored))
    months = {s.month: s for s in stored} | {s.month: s for s in fresh}
    return applicant_id, tuple(months[m] for m in sorted(months)), known


def submit_application(uow: UnitOfWork, *, application: Application, idempotency_key: str,
                       model: CreditModel, policy: Policy | None = None,
                       bureau: Bureau | None = None) -> ApplicationResult:
    """Decide an application, then review it against over-indebtedness (the bureau,
    when one is consulted, reports debts elsewhere); an approval that passes the review
    opens a credit line with the decided limit."""
    key = check_idempotency_key(idempotency_key)
    fp = fingerprint(application_payload(application))
    repo = uow.origination
    # the book, the key's application, the applicant and the products in one read
    intake = repo.intake(key, application.applicant)
    seen = repo.application_by_key(key) if intake is None else intake.seen
    if seen is not None:
        if seen.fingerprint != fp:
            raise _conflict("application", key)
        line = None if seen.credit_line_id is None else repo.line(seen.credit_line_id)
        return ApplicationResult(Status.REPLAYED, seen, line)
    if intake is None:
        uow.book.require()  # raises: the book is not open
    assert intake is not None
    policy = policy or builtin_policy()
    info = intake.book
    if application.currency != info.currency:
        raise InvalidInput(f"this book lends in {info.currency}, not {application.currency}",
                           code="currency_must_match_book", field="currency")
    today = info.business_date
    if intake.known is None:
        return _submit_newcomer(repo, application, key=key, fp=fp, today=today,
                                products=intake.products, model=model, policy=policy,
                                bureau=bureau)
    applicant_id, summaries, _ = _applicant_read(repo, application, today, intake.known)
    application = with_stored_income(repo, application, applicant_id)
    products = intake.products
    decision = decide(application, summaries=summaries, model=model, policy=policy,
                      products=products, start=today)
    checked = credit_review(repo, application, decision, applicant_id=applicant_id,
                            history_months=_history_months(application, summaries),
                            today=today, policy=policy, products=products, bureau=bureau)
    decision = with_review(decision, checked)
    applicant = application.applicant
    application_id = repo.add_application(
        key=key, fingerprint=fp, applicant_id=applicant_id, business_date=today,
        currency=application.currency, term_months=application.term_months,
        purpose=application.purpose, language=applicant.language, decision=decision,
        model=model.name[:MODEL_NAME_MAX])
    line = None
    if decision.outcome is Outcome.APPROVE:
        line = _open_line(repo, application, decision, policy, application_id=application_id,
                          applicant_id=applicant_id, today=today)
    stored = StoredApplication(
        application_id, key, fp, applicant_id, applicant, today, application.currency,
        application.term_months, application.purpose, applicant.language, decision,
        model.name[:MODEL_NAME_MAX], line.line_id if line else None)
    return ApplicationResult(Status.CREATED, stored, line)


def _submit_newcomer(repo: OriginationRepository, application: Application, *, key: str,
                     fp: str, today: dt.date, products: Mapping[str, Product],
                     model: CreditModel, policy: Policy,
                     bureau: Bureau | None) -> ApplicationResult:
    """:func:`submit_application` of an applicant not on record: decided on the records
    sent (it has no stored records, income records or history with us), then the
    applicant, its monthly records, the application and the line it opens are written
    together (:meth:`~dunwell.store.origination_repo.OriginationRepository.add_newcomer`,
    one statement on PostgreSQL): the same rows and ids as one by one."""
    applicant = application.applicant
    summaries: tuple[MonthSummary, ...] = ()
    if applicant.kind is ApplicantKind.MERCHANT:
        if not application.transactions:
            raise MerchantUnknown(f"merchant {applicant.reference!r} is not known; register "
                                  "its transaction records or send them with the "
                                  "application", field="applicant.reference")
        summaries = summarise(application.transactions)
    decision = decide(application, summaries=summaries, model=model, policy=policy,
                      products=products, start=today)
    checked = _credit_review(repo, application, decision, applicant_id=0,
                             history_months=_history_months(application, summaries),
                             today=today, policy=policy, products=products, bureau=bureau,
                             own=OwnHistory())
    decision = with_review(decision, checked)
    name = model.name[:MODEL_NAME_MAX]
    line = None
    if decision.outcome is Outcome.APPROVE:
        line = _new_line(application, decision, policy, application_id=0, applicant_id=0,
                         today=today)
    applicant_id, application_id, line_id = repo.add_newcomer(
        applicant, summaries, line, borrower_id_base=BORROWER_ID_BASE, key=key,
        fingerprint=fp, business_date=today, currency=application.currency,
        term_months=application.term_months, purpose=application.purpose,
        language=applicant.language, decision=decision, model=name)
    if line is not None:
        assert line_id is not None
        line = replace(line, line_id=line_id, application_id=application_id,
                       applicant_id=applicant_id, borrower_id=BORROWER_ID_BASE + applicant_id)
    stored = StoredApplication(
        application_id, key, fp, applicant_id, applicant, today, application.currency,
        application.term_months, application.purpose, applicant.language, decision, name,
        line_id)
    return ApplicationResult(Status.CREATED, stored, line)


@dataclass(frozen=True)
class ApplicationRequest:
    """One application of a batch, with its idempotency key."""

    application: Application
    idempotency_key: str


def _segments(items: Sequence[Any], *keys: Any) -> list[list[Any]]:
    """``items`` cut, in order, wherever one would share a key (any of ``keys(item)``)
    with an earlier item of its piece: within a piece no item reads what another
    writes, so a piece can be decided set-based with the same results as one by one."""
    pieces: list[list[Any]] = []
    seen: set[Any] = set()
    for item in items:
        mine = {(k, f(item)) for k, f in enumerate(keys)}
        if not pieces or mine & seen:
            pieces.append([])
            seen = set()
        pieces[-1].append(item)
        seen |= mine
    return pieces


def submit_applications(uow: UnitOfWork, requests: Sequence[ApplicationRequest], *,
                        model: CreditModel, policy: Policy | None = None,
                        bureau: Bureau | None = None) -> list[ApplicationResult]:
    """:func:`submit_application` of each request, in order, with the same decisions,
    reviews, records and ids, set-based: the book, the products and the stored keys and
    applicants are read once for many requests, and the new applicants, their records,
    the applications and the credit lines are each written with one batched statement.
    Requests that repeat a key or an applicant are decided after the earlier one is
    written (the batch is cut there), as one by one; an applicant already on record is
    taken through the one-by-one path (their records and history are merged)."""
    policy = policy or builtin_policy()
    out: list[ApplicationResult] = []
    pieces = _segments(requests, lambda r: r.idempotency_key,
                       lambda r: (r.application.applicant.kind, r.application.applicant.reference))
    for piece in pieces:
        out.extend(_submit_piece(uow, piece, model=model, policy=policy, bureau=bureau))
    return out


@dataclass
class _Pending:
    """One new application of a piece while it is decided."""

    at: int
    key: str
    fingerprint: str
    application: Application
    applicant_id: int = 0
    summaries: tuple[MonthSummary, ...] = ()
    decision: Decision | None = None


def _submit_piece(uow: UnitOfWork, piece: Sequence[ApplicationRequest], *, model: CreditModel,
                  policy: Policy, bureau: Bureau | None) -> list[ApplicationResult]:
    repo = uow.origination
    info = uow.book.require()
    today = info.business_date
    results: list[ApplicationResult | None] = [None] * len(piece)
    pending = _replays(repo, piece, results, currency=info.currency)
    new_ids = _register_applicants(repo, pending, today)
    products = repo.products()
    for p in pending:
        decision = decide(p.application, summaries=p.summaries, model=model, policy=policy,
                          products=products, start=today)
        checked = _credit_review(
            repo, p.application, decision, applicant_id=p.applicant_id,
            history_months=_history_months(p.application, p.summaries), today=today,
            policy=policy, products=products, bureau=bureau,
            own=OwnHistory() if p.applicant_id in new_ids else None)
        p.decision = with_review(decision, checked)
    name = model.name[:MODEL_NAME_MAX]
    decided = [(p, p.decision) for p in pending if p.decision is not None]
    application_ids = repo.add_applications([application_row(
        key=p.key, fingerprint=p.fingerprint, applicant_id=p.applicant_id,
        business_date=today, currency=p.application.currency,
        term_months=p.application.term_months, purpose=p.application.purpose,
        language=p.application.applicant.language, decision=d, model=name)
        for p, d in decided])
    approved = [(p, d, application_id) for (p, d), application_id
                in zip(decided, application_ids, strict=True) if d.outcome is Outcome.APPROVE]
    lines = [_new_line(p.application, d, policy, application_id=application_id,
                       applicant_id=p.applicant_id, today=today)
             for p, d, application_id in approved]
    opened = {line.application_id: replace(line, line_id=line_id)
              for line, line_id in zip(lines, repo.add_lines(lines), strict=True)}
    for (p, d), application_id in zip(decided, application_ids, strict=True):
        a = p.application
        line = opened.get(application_id)
        stored = StoredApplication(
            application_id, p.key, p.fingerprint, p.applicant_id, a.applicant, today,
            a.currency, a.term_months, a.purpose, a.applicant.language, d, name,
            line.line_id if line else None)
        results[p.at] = ApplicationResult(Status.CREATED, stored, line)
    return [r for r in results if r is not None]


def _replays(repo: OriginationRepository, piece: Sequence[ApplicationRequest],
             results: list[ApplicationResult | None], *, currency: str) -> list[_Pending]:
    """Replays answered into ``results``; the new applications, checked, to decide."""
    keys = [check_idempotency_key(r.idempotency_key) for r in piece]
    seen = repo.applications_by_key(keys)
    pending = []
    for k, (request, key) in enumerate(zip(piece, keys, strict=True)):
        application = request.application
        fp = fingerprint(application_payload(application))
        stored = seen.get(key)
        if stored is not None:
            if stored.fingerprint != fp:
                raise _conflict("application", key)
            line = None if stored.credit_line_id is None else repo.line(stored.credit_line_id)
            results[k] = ApplicationResult(Status.REPLAYED, stored, line)
            continue
        if application.currency != currency:
            raise InvalidInput(f"this book lends in {currency}, not {application.currency}",
                               code="currency_must_match_book", field="currency")
        pending.append(_Pending(k, key, fp, application))
    return pending


def _register_applicants(repo: OriginationRepository, pending: Sequence[_Pending],
                         today: dt.date) -> set[int]:
    """Each pending applicant's id and records: those on record one by one (their
    records are merged), the new ones and their monthly records in one statement each.
    The ids of the new ones."""
    known: set[tuple[ApplicantKind, str]] = set()
    for kind in ApplicantKind:
        refs = [p.application.applicant.reference for p in pending
                if p.application.applicant.kind is kind]
        if refs:
            known.update((kind, ref) for ref in repo.applicants_by_reference(kind, refs))
    fresh: list[_Pending] = []
    for p in pending:
        applicant = p.application.applicant
        if (applicant.kind, applicant.reference) in known:
            p.applicant_id, summaries = _applicant_on_record(repo, p.application, today)
            p.summaries = tuple(summaries)
            p.application = with_stored_income(repo, p.application, p.applicant_id)
            continue
        if applicant.kind is ApplicantKind.MERCHANT:
            if not p.application.transactions:
                raise MerchantUnknown(f"merchant {applicant.reference!r} is not known; "
                                      "register its transaction records or send them with "
                                      "the application", field="applicant.reference")
            months = {m.month: m for m in summarise(p.application.transactions)}
            p.summaries = tuple(months[m] for m in sorted(months))
        fresh.append(p)
    ids = repo.add_applicants([p.application.applicant for p in fresh], today)
    for p, applicant_id in zip(fresh, ids, strict=True):
        p.applicant_id = applicant_id
    repo.add_months_many([(p.applicant_id, summarise(p.application.transactions))
                          for p in fresh
                          if p.application.applicant.kind is ApplicantKind.MERCHANT])
    return set(ids)


@dataclass(frozen=True)
class DrawRequest:
    """One drawdown of a batch: the amounts to try, in order, in minor units (the first
    the line takes is drawn; a refused amount writes nothing), the term and the key."""

    line_id: int
    amounts_minor: tuple[int, ...]
    term_months: int
    idempotency_key: str


def draw_down_many(uow: UnitOfWork, requests: Sequence[DrawRequest], *,
                   policy: Policy | None = None) -> list[DrawdownResult | DomainError]:
    """:func:`draw_down` of each request, in order, with the same checks, loans, ledger
    entries and ids; for each request, the first of its amounts the line takes is drawn
    (as calling :func:`draw_down` again with the next amount after a refusal), and a
    request none of whose amounts is taken gives the last refusal (nothing written for
    it). Set-based: the lines, keys and exposures are read once for many requests; the
    loans are disbursed in one :func:`disburse` and the drawdowns written in one batched
    statement. Requests that repeat a line or a key are drawn after the earlier one is
    written (the batch is cut there)."""
    policy = policy or builtin_policy()
    out: list[DrawdownResult | DomainError] = []
    for piece in _segments(requests, lambda r: r.line_id, lambda r: r.idempotency_key):
        out.extend(_draw_piece(uow, piece, policy))
    return out


def _draw_piece(uow: UnitOfWork, piece: Sequence[DrawRequest],
                policy: Policy) -> list[DrawdownResult | DomainError]:
    repo = uow.origination
    keys = [check_idempotency_key(r.idempotency_key) for r in piece]
    lines = repo.lines([r.line_id for r in piece], for_update=True)
    seen = repo.drawdowns_by_key(keys)
    exposures = repo.exposures(list(lines))
    today = uow.book.require().business_date
    products = repo.products()
    results: list[DrawdownResult | DomainError | None] = [None] * len(piece)
    chosen: list[tuple[int, DrawRequest, str, Product, int, int, Exposure]] = []
    for k, (request, key) in enumerate(zip(piece, keys, strict=True)):
        line = lines.get(request.line_id)
        if line is None:
            results[k] = NotFound(f"credit line {request.line_id} does not exist",
                                  code="credit_line_must_exist", field="line_id")
            continue
        exposure = exposures[line.line_id]
        error: DomainError | None = InvalidInput(
            "a drawdown needs at least one amount to try", code="amount_must_be_given",
            field="amounts_minor")
        for amount_minor in request.amounts_minor:
            try:
                picked = _check_draw(line, exposure, seen, products, uow, request, key,
                                     amount_minor, policy, today)
            except DomainError as exc:
                error = exc
                continue
            if isinstance(picked, DrawdownResult):
                results[k] = picked
            else:
                product, instalment = picked
                chosen.append((k, request, key, product, amount_minor, instalment, exposure))
            error = None
            break
        if error is not None:
            results[k] = error
    loans = disburse(uow, [LoanRequest(lines[r.line_id].borrower_id, product.code, amount,
                                       r.term_months)
                           for _, r, _, product, amount, _, _ in chosen])
    drawdowns = [Drawdown(0, key, fingerprint({"line_id": r.line_id, "amount_minor": amount,
                                               "term": r.term_months}),
                          r.line_id, loan.loan_id, amount, r.term_months, product.code,
                          instalment, today)
                 for (_, r, key, product, amount, instalment, _), loan in zip(chosen, loans,
                                                                              strict=True)]
    ids = repo.add_drawdowns(drawdowns)
    for (k, r, _, _, amount, instalment, exposure), loan, drawdown, drawdown_id in zip(
            chosen, loans, drawdowns, ids, strict=True):
        after = Exposure(exposure.outstanding_minor + amount,
                         exposure.instalments_minor + instalment)
        results[k] = DrawdownResult(Status.CREATED, replace(drawdown, drawdown_id=drawdown_id),
                                    loan, available_minor(lines[r.line_id], after))
    return [r for r in results if r is not None]


def _check_draw(line: CreditLine, exposure: Exposure, seen: Mapping[str, Drawdown],
                products: dict[str, Product], uow: UnitOfWork, request: DrawRequest, key: str,
                amount_minor: int, policy: Policy,
                today: dt.date) -> DrawdownResult | tuple[Product, int]:
    """:func:`draw_down`'s checks of one amount: a replay's result, or the priced
    product and the instalment of a drawdown the line takes (a refusal raises). A
    priced product the book lacks is stored, as :func:`draw_down` does."""
    fp = fingerprint({"line_id": line.line_id, "amount_minor": amount_minor,
                      "term": request.term_months})
    replayed = seen.get(key)
    if replayed is not None:
        if replayed.fingerprint != fp:
            raise _conflict("drawdown", key)
        return DrawdownResult(Status.REPLAYED, replayed, uow.loans.get(replayed.loan_id),
                              available_minor(line, uow.origination.exposure(line.line_id)))
    term = policy.term(line.kind, request.term_months)
    check_drawdown(line, exposure, amount_minor=amount_minor)
    if term.product not in products:
        raise NotFound(f"the book has no product {term.product!r} for "
                       f"{request.term_months} months", code="product_must_exist")
    priced = priced_product(products[term.product], grade=line.grade,
                            annual_rate=line.annual_rate)
    if products.get(priced.code) != priced:
        uow.products.put(priced, product_toml(priced))
        products[priced.code] = priced
    instalment = monthly_repayment_minor(priced, amount_minor, request.term_months, today)
    check_affordable(line, exposure, new_instalment_minor=instalment,
                     dsr_max_bps=term.dsr_max_bps)
    return priced, instalment


def with_stored_income(repo: OriginationRepository, application: Application,
                       applicant_id: int) -> Application:
    """A consumer's application that sends no income history is judged on the income
    records imported for them (``dunwell consumers import``), when there are any."""
    if application.applicant.kind is ApplicantKind.MERCHANT or \
            application.income_history_minor:
        return application
    stored = repo.income_records(applicant_id)
    if not stored:
        return application
    return replace(application, income_history_minor=income_history_minor(stored))


def _history_months(application: Application, summaries: Sequence[MonthSummary]) -> int:
    if application.applicant.kind is ApplicantKind.MERCHANT:
        return sum(1 for m in summaries if m.sales_count or m.sales_minor)
    return sum(1 for income in application.income_history_minor if income > 0)


def review_rules(bureau: Bureau | None) -> ReviewRules:
    """The credit review's rules; a lender that consults no bureau does not count a
    missing bureau report as a thin file."""
    rules = builtin_rules()
    if bureau is not None:
        return rules
    return replace(rules, thin_file=replace(rules.thin_file, without_bureau_report=False))


def _new_payment_minor(application: Application, decision: Decision, policy: Policy,
                       products: Mapping[str, Product], today: dt.date) -> int:
    """The monthly repayment of the amount approved, on the term's product at the
    decided price (0 when nothing is approved)."""
    if not decision.approved_minor or decision.grade is None or decision.annual_rate is None:
        return 0
    term = policy.term(application.applicant.kind, application.term_months)
    product = products.get(term.product)
    if product is None:
        return 0
    priced = priced_product(product, grade=decision.grade, annual_rate=decision.annual_rate)
    return monthly_repayment_minor(priced, decision.approved_minor,
                                   application.term_months, today)


def credit_review(repo: OriginationRepository, application: Application, decision: Decision,
                  *, applicant_id: int, history_months: int, today: dt.date, policy: Policy,
                  products: Mapping[str, Product], bureau: Bureau | None) -> CreditReview | None:
    """The review against over-indebtedness of an application the decision did not
    decline (None for a declined one: there is nothing to review)."""
    return _credit_review(repo, application, decision, applicant_id=applicant_id,
                          history_months=history_months, today=today, policy=policy,
                          products=products, bureau=bureau)


def _credit_review(repo: OriginationRepository, application: Application, decision: Decision,
                   *, applicant_id: int, history_months: int, today: dt.date, policy: Policy,
                   products: Mapping[str, Product], bureau: Bureau | None,
                   own: OwnHistory | None = None) -> CreditReview | None:
    """:func:`credit_review`; ``own``: the applicant's history when it is known without
    reading it (an applicant registered in this batch has none)."""
    if decision.outcome is Outcome.DECLINE:
        return None
    report = None if bureau is None else bureau.report(
        application.applicant.reference, currency=application.currency, as_of=today)
    if own is None:
        own = repo.own_history(applicant_id, today)
    applicant = ReviewApplicant(
        on=today, cash_flow_minor=decision.cash_flow_minor,
        new_payment_minor=_new_payment_minor(application, decision, policy, products, today),
        declared_debt_payments_minor=application.existing_debt_payments_minor,
        history_months=history_months, own=own, bureau=report)
    return review(applicant, review_rules(bureau))


_OUTCOME = {Verdict.DECLINE: Outcome.DECLINE, Verdict.REFER: Outcome.REFER}


def with_review(decision: Decision, checked: CreditReview | None) -> Decision:
    """The decision the review leaves: a decline or referral by the review overrides
    an approval (a referral stays one unless the review declines), its reasons first."""
    if checked is None or checked.verdict is Verdict.PASS:
        return decision
    outcome = _OUTCOME[checked.verdict]
    reasons = (*checked.reasons, *decision.reasons)
    advice = tuple(dict.fromkeys((*(r.code for r in checked.reasons), *decision.advice)))
    return replace(decision, outcome=outcome, approved_minor=0, limit_minor=0,
                   term_options=(), reasons=reasons, advice=advice)


def _applicant_on_record(repo: OriginationRepository, application: Application,
                         today: dt.date) -> tuple[int, Sequence[MonthSummary]]:
    """The applicant's id, and a merchant's whole monthly history with the records sent
    now (a merchant with neither records sent nor kept is not known)."""
    applicant = application.applicant
    applicant_id, summaries, _ = _applicant_read(
        repo, application, today, repo.applicant(applicant.kind, applicant.reference))
    return applicant_id, summaries


def _applicant_read(repo: OriginationRepository, application: Application, today: dt.date,
                    found: tuple[int, Applicant] | None,
                    ) -> tuple[int, Sequence[MonthSummary], bool]:
    """:func:`_applicant_on_record` with the applicant on record read already
    (``found``); and whether they were on record."""
    applicant = application.applicant
    if applicant.kind is not ApplicantKind.MERCHANT:
        applicant_id, known = repo.put_read_applicant(applicant, today, found)
        return applicant_id, (), known
    if not application.transactions and found is None:
        raise MerchantUnknown(f"merchant {applicant.reference!r} is not known; register "
                              "its transaction records or send them with the application",
                              field="applicant.reference")
    return _merchant_records(repo, applicant, application.transactions, today, found)


def _open_line(repo: OriginationRepository, application: Application, decision: Decision,
               policy: Policy, *, application_id: int, applicant_id: int,
               today: dt.date) -> CreditLine:
    """The credit line an approval opens: the decided limit, up to the grade's cap."""
    line = _new_line(application, decision, policy, application_id=application_id,
                     applicant_id=applicant_id, today=today)
    return replace(line, line_id=repo.add_line(line))


def _new_line(application: Application, decision: Decision, policy: Policy, *,
              application_id: int, applicant_id: int, today: dt.date) -> CreditLine:
    assert decision.grade is not None and decision.annual_rate is not None
    grade = policy.grade(decision.grade)
    return CreditLine(
        0, application_id, applicant_id, BORROWER_ID_BASE + applicant_id,
        application.applicant.kind, application.currency, decision.limit_minor,
        max(decision.limit_minor, to_minor(grade.limit_cap, application.currency)),
        decision.grade, decision.annual_rate, LineStatus.ACTIVE, decision.cash_flow_minor,
        decision.existing_payments_minor, today, today)


def register_merchant(uow: UnitOfWork, *, applicant: Applicant,
                      transactions: Sequence[Transaction]) -> tuple[int, MerchantFeatures]:
    """Record a merchant and its transaction records (a month sent again is replaced)."""
    if applicant.kind is not ApplicantKind.MERCHANT:
        raise InvalidInput("only merchants have transaction records",
                           code="applicant_must_be_merchant", field="kind")
    today = uow.book.require().business_date
    repo = uow.origination
    applicant_id, months, _ = _merchant_records(
        repo, applicant, transactions, today, repo.applicant(applicant.kind,
                                                             applicant.reference))
    return applicant_id, merchant_features(months, through=today)


@dataclass(frozen=True)
class DrawdownResult:
    status: Status
    drawdown: Drawdown
    loan: LoanState
    available_minor: int


def draw_down(uow: UnitOfWork, *, line_id: int, amount: str, term_months: int,
              idempotency_key: str, policy: Policy | None = None) -> DrawdownResult:
    """Lend ``amount`` from the line for ``term_months`` on the term's product at the
    line's price; the loan is disbursed and posted to the ledger."""
    key = check_idempotency_key(idempotency_key)
    repo = uow.origination
    line = repo.line(line_id, for_update=True)
    amount_minor = to_minor(amount, line.currency, field="amount")
    fp = fingerprint({"line_id": line_id, "amount_minor": amount_minor, "term": term_months})
    seen = repo.drawdown_by_key(key)
    if seen is not None:
        if seen.fingerprint != fp:
            raise _conflict("drawdown", key)
        return DrawdownResult(Status.REPLAYED, seen, uow.loans.get(seen.loan_id),
                              available_minor(line, repo.exposure(line_id)))
    policy = policy or builtin_policy()
    today = uow.book.require().business_date
    term = policy.term(line.kind, term_months)
    exposure = repo.exposure(line_id)
    check_drawdown(line, exposure, amount_minor=amount_minor)
    products = repo.products()
    if term.product not in products:
        raise NotFound(f"the book has no product {term.product!r} for {term_months} months",
                       code="product_must_exist")
    priced = priced_product(products[term.product], grade=line.grade,
                            annual_rate=line.annual_rate)
    if products.get(priced.code) != priced:
        uow.products.put(priced, product_toml(priced))
    instalment = monthly_repayment_minor(priced, amount_minor, term_months, today)
    check_affordable(line, exposure, new_instalment_minor=instalment,
                     dsr_max_bps=term.dsr_max_bps)
    (loan,) = disburse(uow, [LoanRequest(line.borrower_id, priced.code, amount_minor,
                                         term_months)])
    drawdown = Drawdown(0, key, fp, line_id, loan.loan_id, amount_minor, term_months,
                        priced.code, instalment, today)
    drawdown = replace(drawdown, drawdown_id=repo.add_drawdown(drawdown))
    after = Exposure(exposure.outstanding_minor + amount_minor,
                     exposure.instalments_minor + instalment)
    return DrawdownResult(Status.CREATED, drawdown, loan, available_minor(line, after))


def review_limits(uow: UnitOfWork, *, policy: Policy | None = None,
                  lines_max: int = LINES_PER_REVIEW_MAX,
                  on: dt.date | None = None) -> list[LimitReview]:
    """Review every active line not yet reviewed on the business date (so running it
    twice on one date changes nothing the second time): the repayment rule, extended
    with the borrower's fresh records, early-warning score and instalments paid
    (:func:`dunwell.origination.limit_review.review_line`); a decrease never goes
    below what is drawn, and every verdict is recorded with its reasons. ``on``: a
    date up to the business date (default: the business date)."""
    policy = policy or builtin_policy()
    today = _review_date(uow.book.require().business_date, on)
    repo = uow.origination
    lines = repo.lines_to_review(today, min(lines_max, LINES_PER_REVIEW_MAX))
    figures = repo.line_figures(lines, today, policy.review.lookback_days)
    verdicts = review_lines(lines, figures, on=today, policy=policy)
    repo.apply_reviews(verdicts, today)
    return [review for review, _ in verdicts]


def review_lines(lines: Sequence[CreditLine], figures: Mapping[int, LineFigures], *,
                 on: dt.date, policy: Policy) -> list[tuple[LimitReview, LineStatus]]:
    """Each line's verdict on ``on`` from its figures, and the status it leaves (no
    I/O: the figures are read, and the verdicts written, for all lines at once)."""
    out = []
    steps: dict[str, int] = {}
    for line in lines:
        f = figures[line.line_id]
        evidence = Evidence(f.months, f.early_warning_bps, f.paid_share_bps)
        step = steps.get(line.currency)
        if step is None:
            step = steps[line.currency] = to_minor(policy.sizing_step, line.currency)
        review = review_line(line, f.behaviour, evidence, on=on, policy=policy,
                             step_minor=step)
        frozen = review.action is ReviewAction.FREEZE
        out.append((review, LineStatus.FROZEN if frozen else line.status))
    return out


def _review_date(business_date: dt.date, on: dt.date | None) -> dt.date:
    if on is None:
        return business_date
    if on > business_date:
        raise InvalidInput(f"the book is open on {business_date}; a limit review cannot "
                           f"look ahead to {on}", code="review_date_must_not_be_future",
                           field="date")
    return on


def line_language(uow: UnitOfWork, line_id: int) -> str:
    """The language the line's borrower applied in (their reasons are worded in it)."""
    repo = uow.origination
    return repo.application(repo.line(line_id).application_id).language


@dataclass(frozen=True)
class LineView:
    line: CreditLine
    exposure: Exposure
    available_minor: int
    drawdowns: list[Drawdown]


def application_view(uow: UnitOfWork,
                     application_id: int) -> tuple[StoredApplication, CreditLine | None]:
    repo = uow.origination
    stored = repo.application(application_id)
    line = None if stored.credit_line_id is None else repo.line(stored.credit_line_id)
    return stored, line


def line_view(uow: UnitOfWork, line_id: int) -> LineView:
    repo = uow.origination
    line = repo.line(line_id)
    exposure = repo.exposure(line_id)
    return LineView(line, exposure, available_minor(line, exposure), repo.drawdowns(line_id))
