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
from dunwell.core.errors import Conflict, InvalidInput, NotFound
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
    Transaction,
)
from dunwell.origination.policy import Policy, builtin_policy
from dunwell.origination.ports import Bureau, CreditModel
from dunwell.origination.pricing import priced_product, product_toml
from dunwell.origination.records import income_history_minor
from dunwell.origination.scorecard import builtin_scorecard
from dunwell.settings import Settings
from dunwell.store.origination_repo import Drawdown as Drawdown  # in each DrawdownResult
from dunwell.store.origination_repo import LineFigures, OriginationRepository
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

    Each explained reason (``feature``, ``phrase``, ``contribution`` in log-odds towards
    default) becomes a ``model.<feature>`` reason carrying the model's own words in
    every language; it hurts unless its contribution is negative.
    """

    def __init__(self, model: Any, name: str) -> None:
        self._model = model
        self.name = name

    def score(self, features: Mapping[str, object]) -> tuple[float, list[Reason]]:
        row = dict(features)
        probability = float(self._model.score_rows([row])[0])
        worded = {lang: list(self._model.explain(row, top=3, lang=lang)) for lang in LANGUAGES}
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
    """An application's data in a canonical form, for its fingerprint."""
    a = application
    return {"applicant": [a.applicant.kind.value, a.applicant.reference, a.applicant.name,
                          a.applicant.language],
            "currency": a.currency, "requested_minor": a.requested_minor,
            "term_months": a.term_months, "purpose": a.purpose.value,
            "income_minor": a.monthly_income_minor, "expenses_minor": a.monthly_expenses_minor,
            "debt_payments_minor": a.existing_debt_payments_minor,
            "income_history_minor": list(a.income_history_minor),
            "transactions": [[t.on.toordinal(), t.amount_minor, t.kind.value]
                             for t in a.transactions]}


def _merchant_records(repo: OriginationRepository, applicant: Applicant,
                      transactions: Sequence[Transaction],
                      today: dt.date) -> tuple[int, tuple[MonthSummary, ...]]:
    """Store the merchant and its records; its whole monthly history afterwards."""
    applicant_id, known = repo.put_applicant(applicant, today)
    fresh = summarise(transactions)
    stored = repo.months(applicant_id) if known else ()
    repo.put_months(applicant_id, fresh, replacing=bool(stored))
    months = {s.month: s for s in stored} | {s.month: s for s in fresh}
    return applicant_id, tuple(months[m] for m in sorted(months))


def submit_application(uow: UnitOfWork, *, application: Application, idempotency_key: str,
                       model: CreditModel, policy: Policy | None = None,
                       bureau: Bureau | None = None) -> ApplicationResult:
    """Decide an application, then review it against over-indebtedness (the bureau,
    when one is consulted, reports debts elsewhere); an approval that passes the review
    opens a credit line with the decided limit."""
    key = check_idempotency_key(idempotency_key)
    fp = fingerprint(application_payload(application))
    repo = uow.origination
    seen = repo.application_by_key(key)
    if seen is not None:
        if seen.fingerprint != fp:
            raise _conflict("application", key)
        line = None if seen.credit_line_id is None else repo.line(seen.credit_line_id)
        return ApplicationResult(Status.REPLAYED, seen, line)
    policy = policy or builtin_policy()
    info = uow.book.require()
    if application.currency != info.currency:
        raise InvalidInput(f"this book lends in {info.currency}, not {application.currency}",
                           code="currency_must_match_book", field="currency")
    today = info.business_date
    applicant_id, summaries = _applicant_on_record(repo, application, today)
    application = with_stored_income(repo, application, applicant_id)
    products = repo.products()
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
    if decision.outcome is Outcome.DECLINE:
        return None
    report = None if bureau is None else bureau.report(
        application.applicant.reference, currency=application.currency, as_of=today)
    own: OwnHistory = repo.own_history(applicant_id, today)
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
    if applicant.kind is not ApplicantKind.MERCHANT:
        applicant_id, _ = repo.put_applicant(applicant, today)
        return applicant_id, ()
    if not application.transactions and repo.applicant(applicant.kind,
                                                       applicant.reference) is None:
        raise MerchantUnknown(f"merchant {applicant.reference!r} is not known; register "
                              "its transaction records or send them with the application",
                              field="applicant.reference")
    return _merchant_records(repo, applicant, application.transactions, today)


def _open_line(repo: OriginationRepository, application: Application, decision: Decision,
               policy: Policy, *, application_id: int, applicant_id: int,
               today: dt.date) -> CreditLine:
    """The credit line an approval opens: the decided limit, up to the grade's cap."""
    assert decision.grade is not None and decision.annual_rate is not None
    grade = policy.grade(decision.grade)
    line = CreditLine(
        0, application_id, applicant_id, BORROWER_ID_BASE + applicant_id,
        application.applicant.kind, application.currency, decision.limit_minor,
        max(decision.limit_minor, to_minor(grade.limit_cap, application.currency)),
        decision.grade, decision.annual_rate, LineStatus.ACTIVE, decision.cash_flow_minor,
        decision.existing_payments_minor, today, today)
    return replace(line, line_id=repo.add_line(line))


def register_merchant(uow: UnitOfWork, *, applicant: Applicant,
                      transactions: Sequence[Transaction]) -> tuple[int, MerchantFeatures]:
    """Record a merchant and its transaction records (a month sent again is replaced)."""
    if applicant.kind is not ApplicantKind.MERCHANT:
        raise InvalidInput("only merchants have transaction records",
                           code="applicant_must_be_merchant", field="kind")
    today = uow.book.require().business_date
    applicant_id, months = _merchant_records(uow.origination, applicant, transactions,
                                             today)
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
