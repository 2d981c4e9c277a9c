"""Domain results as response bodies: money as decimal strings, reasons in words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic_core import to_json

from dunwell.api.schemas import (
    CancellationOut,
    CohortOut,
    CreditLineOut,
    DecisionOut,
    DrawdownOut,
    DriftOut,
    IncomeImportOut,
    InstalmentOut,
    LineErrorOut,
    LoanOut,
    MerchantOut,
    MonitoringOut,
    RateOut,
    RecordsImportOut,
    RecordsSummaryOut,
)
from dunwell.app.origination.drawdowns import CancelledDrawdown
from dunwell.app.origination.monitor import FrontDoor
from dunwell.app.origination.records import ImportResult, IncomeImportResult
from dunwell.app.origination.service import Drawdown, LineView, StoredApplication
from dunwell.core.dates import from_day
from dunwell.core.money import format_minor
from dunwell.ledger.model import Account
from dunwell.lending.loans import LoanState
from dunwell.origination.credit_line import CreditLine
from dunwell.origination.features import MerchantFeatures
from dunwell.origination.records import LineError, RecordsSummary
from dunwell.origination.wording import explain


def ratio(bps: int | None) -> str | None:
    """Basis points as a decimal ratio string: 3854 -> "0.3854"."""
    if bps is None:
        return None
    sign = "-" if bps < 0 else ""
    return f"{sign}{abs(bps) // 10_000}.{abs(bps) % 10_000:04d}"


def _decision_fields(stored: StoredApplication, lang: str) -> dict[str, object]:
    """A decision's answer as plain values in :class:`DecisionOut`'s order, its reasons
    and advice in ``lang`` (worded once)."""
    d, cur = stored.decision, stored.currency
    words = explain(d, lang)
    a = stored.applicant
    return {
        "application_id": stored.application_id,
        "applicant": {"kind": a.kind, "reference": a.reference, "name": a.name},
        "business_date": stored.business_date, "outcome": d.outcome, "grade": d.grade,
        "probability_of_default": ratio(d.pd_bps), "currency": cur,
        "requested_amount": format_minor(d.requested_minor, cur),
        "approved_amount": format_minor(d.approved_minor, cur),
        "credit_limit": format_minor(d.limit_minor, cur),
        "annual_rate": None if d.annual_rate is None else str(d.annual_rate),
        "term_months": stored.term_months, "term_options": list(d.term_options),
        "credit_line_id": stored.credit_line_id,
        "monthly_cash_flow": format_minor(d.cash_flow_minor, cur),
        "debt_service_ratio": ratio(d.dsr_bps), "language": words.language,
        "reasons": [{"code": r.code, "effect": r.effect, "text": text}
                    for r, text in zip(d.reasons, words.reasons, strict=True)],
        "what_would_help": list(words.advice), "model": stored.model}


def decision_out(stored: StoredApplication, lang: str | None = None) -> DecisionOut:
    return DecisionOut.model_validate(_decision_fields(stored, lang or stored.language))


def decision_json(stored: StoredApplication) -> bytes:
    """``decision_out(stored).model_dump_json()`` without building and validating the
    response model: the same fields serialised by the same serialiser (pydantic-core's
    ``to_json``). The answer of ``POST /v1/applications``;
    ``tests/api/test_api_decision_json.py`` holds the two byte for byte equal."""
    return to_json(_decision_fields(stored, stored.language))


def drawdown_out(dd: Drawdown, currency: str, available_minor: int | None = None) -> DrawdownOut:
    return DrawdownOut(
        drawdown_id=dd.drawdown_id, line_id=dd.line_id, loan_id=dd.loan_id,
        business_date=dd.business_date, amount=format_minor(dd.amount_minor, currency),
        term_months=dd.term_months, product_code=dd.product_code,
        monthly_repayment=format_minor(dd.instalment_minor, currency),
        available=None if available_minor is None else format_minor(available_minor, currency))


def cancellation_out(done: CancelledDrawdown) -> CancellationOut:
    cur = done.loan.currency
    return CancellationOut(
        drawdown_id=done.drawdown.drawdown_id, loan_id=done.loan.loan_id,
        cancelled_on=done.cancelled_on, returned=format_minor(done.returned_minor, cur),
        principal=format_minor(done.principal_minor, cur),
        interest=format_minor(done.interest_minor, cur),
        fee_waived=format_minor(done.fee_waived_minor, cur),
        interest_waived=format_minor(done.interest_waived_minor, cur),
        loan_status=done.loan.status.name.lower())


def line_out(view: LineView) -> CreditLineOut:
    line: CreditLine = view.line
    cur = line.currency
    return CreditLineOut(
        line_id=line.line_id, application_id=line.application_id, borrower_id=line.borrower_id,
        kind=line.kind, status=line.status.value, currency=cur,
        credit_limit=format_minor(line.limit_minor, cur),
        limit_ceiling=format_minor(line.limit_max_minor, cur),
        available=format_minor(view.available_minor, cur),
        outstanding_principal=format_minor(view.exposure.outstanding_minor, cur),
        grade=line.grade, annual_rate=str(line.annual_rate), opened_on=line.opened_on,
        limit_changed_on=line.limit_changed_on, reviewed_on=line.reviewed_on,
        drawdowns=[drawdown_out(dd, cur) for dd in view.drawdowns])


def loan_out(loan: LoanState, balances: Mapping[Account, int]) -> LoanOut:
    cur = loan.currency

    def money(minor: int) -> str:
        return format_minor(minor, cur)

    return LoanOut(
        loan_id=loan.loan_id, borrower_id=loan.borrower_id, product_code=loan.product_code,
        currency=cur, principal=money(loan.principal_minor), status=loan.status.name.lower(),
        days_past_due=loan.days_past_due, bucket=loan.bucket.label,
        disbursed_on=from_day(loan.disbursed_day),
        installments=[InstalmentOut(
            n=i.n, due_date=from_day(i.due_day), principal=money(i.principal_minor),
            interest=money(i.interest_minor), fee=money(i.fee_minor),
            penalty=money(i.penalty_minor),
            paid=money(i.paid_principal_minor + i.paid_interest_minor + i.paid_fee_minor
                       + i.paid_penalty_minor),
            outstanding=money(i.unpaid_total_minor)) for i in loan.installments],
        balances={a.name.lower(): money(v) for a, v in sorted(balances.items())})


def merchant_out(reference: str, applicant_id: int, f: MerchantFeatures,
                 currency: str) -> MerchantOut:
    return MerchantOut(
        merchant_id=reference, applicant_id=applicant_id, months_active=f.months_active,
        monthly_turnover=format_minor(f.monthly_turnover_minor, currency),
        trend_per_month=format_minor(f.trend_minor_per_month, currency),
        volatility=ratio(f.volatility_bps) or "0", refund_rate=ratio(f.refund_rate_bps) or "0",
        seasonality=f"{f.seasonality_pct / 100:.2f}")


def records_import_out(result: ImportResult, currency: str) -> RecordsImportOut:
    v = result.validated
    return RecordsImportOut(
        merchant_id=result.merchant, applicant_id=result.applicant_id, lines=v.lines,
        stored=result.stored, already_stored=v.already_stored,
        rejected=_line_errors(v.rejected), summary=_summary_out(result.summary, currency))


def income_import_out(result: IncomeImportResult, currency: str) -> IncomeImportOut:
    v = result.validated
    return IncomeImportOut(
        consumer_id=result.consumer, applicant_id=result.applicant_id, lines=v.lines,
        stored=result.stored, already_stored=v.already_stored,
        rejected=_line_errors(v.rejected), summary=_summary_out(result.summary, currency))


def _line_errors(rejected: Sequence[LineError]) -> list[LineErrorOut]:
    return [LineErrorOut(line=e.line, field=e.field, code=e.code.value, message=e.message)
            for e in rejected]


def _summary_out(s: RecordsSummary, currency: str) -> RecordsSummaryOut:
    return RecordsSummaryOut(
        first_month=f"{s.first_month:%Y-%m}" if s.first_month else None,
        last_month=f"{s.last_month:%Y-%m}" if s.last_month else None,
        months_active=s.months_active, months_with_records=s.months_with_records,
        gap_months=[f"{m:%Y-%m}" for m in s.gap_months],
        turnover=format_minor(s.turnover_minor, currency),
        monthly_turnover=format_minor(s.monthly_turnover_minor, currency),
        seasonality_cv=ratio(s.seasonality_cv_bps) or "0",
        peak_to_trough_pct=s.peak_to_trough_pct)


def monitoring_out(report: FrontDoor) -> MonitoringOut:
    def rate(count: int, of: int) -> RateOut:
        return RateOut(count=count, of=of, rate=ratio(count * 10_000 // of) if of else None)

    return MonitoringOut(
        cohorts=[CohortOut(vintage=f"{c.vintage:%Y-%m}", grade=c.grade,
                           approval=rate(c.approval.count, c.approval.of),
                           default=rate(c.default.count, c.default.of),
                           early_delinquency=rate(c.early_delinquency.count,
                                                  c.early_delinquency.of))
                 for c in report.cohorts],
        population_stability=[DriftOut(feature=d.name, psi=d.psi, status=d.status,
                                       expected_mean=d.expected_mean,
                                       actual_mean=d.actual_mean) for d in report.drifts],
        baseline=report.baseline, recent_since=report.recent_since,
        recent_applications=report.recent_applications,
        baseline_applications=report.baseline_applications)
