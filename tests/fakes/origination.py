"""In-memory origination repository: applicants and merchants' months, applications
and their decisions, credit lines, limit reviews and drawdowns, on dictionaries kept in
``state["origination"]``. Exposure and behaviour read the loans the lending fakes keep
(:mod:`fakes.lending`), as the store joins its drawdowns to the loan tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dunwell.core.dates import to_day
from dunwell.core.errors import NotFound
from dunwell.lending.loans import LoanState
from dunwell.lending.model import Bucket, LoanStatus, Product
from dunwell.origination.credit_line import Behaviour, CreditLine, Exposure, LimitReview, LineStatus
from dunwell.origination.credit_review import OwnHistory
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Decision,
    MonthSummary,
    Outcome,
    Purpose,
    Transaction,
)
from dunwell.origination.records import IncomeRecord, MerchantRecord
from dunwell.store.origination_repo import Drawdown, Intake, LineFigures, StoredApplication
from fakes import registry
from fakes.lending import lending_data


@dataclass
class OriginationData:
    #: applicant id -> (applicant, registered on)
    applicants: dict[int, tuple[Applicant, dt.date]] = field(default_factory=dict)
    #: applicant id -> month -> summary
    months: dict[int, dict[dt.date, MonthSummary]] = field(default_factory=dict)
    applications: dict[int, StoredApplication] = field(default_factory=dict)
    lines: dict[int, CreditLine] = field(default_factory=dict)
    #: (line id, business date, action, limit before, limit after)
    reviews: list[tuple[int, dt.date, str, int, int]] = field(default_factory=list)
    drawdowns: dict[int, Drawdown] = field(default_factory=dict)
    #: applicant id -> transaction id -> (date, amount, kind)
    transactions: dict[int, dict[str, Transaction]] = field(default_factory=dict)
    #: applicant id -> record id -> income record
    incomes: dict[int, dict[str, IncomeRecord]] = field(default_factory=dict)


def origination_data(state: dict[str, Any]) -> OriginationData:
    data = state.setdefault("origination", OriginationData())
    assert isinstance(data, OriginationData)
    return data


class FakeOriginationRepository:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def data(self) -> OriginationData:
        return origination_data(self._state)

    def intake(self, key: str, applicant: Applicant) -> Intake | None:
        book = lending_data(self._state).book
        if book is None:
            return None
        return Intake(book, self.application_by_key(key),
                      self.applicant(applicant.kind, applicant.reference), self.products())

    # --- applicants and merchants' records ------------------------------------------
    def applicant(self, kind: ApplicantKind, reference: str) -> tuple[int, Applicant] | None:
        for applicant_id, (a, _) in sorted(self.data.applicants.items()):
            if a.kind is kind and a.reference == reference:
                return applicant_id, a
        return None

    def add_applicant(self, applicant: Applicant, on: dt.date) -> int:
        assert self.applicant(applicant.kind, applicant.reference) is None, "one per reference"
        applicant_id = max(self.data.applicants, default=0) + 1
        self.data.applicants[applicant_id] = (applicant, on)
        return applicant_id

    def rename_applicant(self, applicant_id: int, applicant: Applicant) -> None:
        stored, on = self.data.applicants[applicant_id]
        self.data.applicants[applicant_id] = (
            replace(stored, name=applicant.name, language=applicant.language), on)

    def put_applicant(self, applicant: Applicant, on: dt.date) -> tuple[int, bool]:
        return self.put_read_applicant(applicant, on,
                                       self.applicant(applicant.kind, applicant.reference))

    def put_read_applicant(self, applicant: Applicant, on: dt.date,
                           found: tuple[int, Applicant] | None) -> tuple[int, bool]:
        if found is None:
            return self.add_applicant(applicant, on), False
        applicant_id, stored = found
        if stored != applicant:
            self.rename_applicant(applicant_id, applicant)
        return applicant_id, True

    def add_newcomer(self, applicant: Applicant, months: Sequence[MonthSummary],
                     line: CreditLine | None, *, borrower_id_base: int, key: str,
                     fingerprint: str, business_date: dt.date, currency: str,
                     term_months: int, purpose: Purpose, language: str, decision: Decision,
                     model: str) -> tuple[int, int, int | None]:
        applicant_id = self.add_applicant(applicant, business_date)
        self.put_months(applicant_id, months, replacing=False)
        application_id = self.add_application(
            key=key, fingerprint=fingerprint, applicant_id=applicant_id,
            business_date=business_date, currency=currency, term_months=term_months,
            purpose=purpose, language=language, decision=decision, model=model)
        if line is None:
            return applicant_id, application_id, None
        return applicant_id, application_id, self.add_line(replace(
            line, application_id=application_id, applicant_id=applicant_id,
            borrower_id=borrower_id_base + applicant_id))

    def put_months(self, applicant_id: int, summaries: Sequence[MonthSummary], *,
                   replacing: bool = True) -> None:
        held = self.data.months.setdefault(applicant_id, {})
        for s in summaries:
            assert replacing or s.month not in held, "a month is held once"
            held[s.month] = s

    def months(self, applicant_id: int) -> tuple[MonthSummary, ...]:
        held = self.data.months.get(applicant_id, {})
        return tuple(held[m] for m in sorted(held))

    def products(self) -> dict[str, Product]:
        return {code: p for code, (p, _) in lending_data(self._state).products.items()}

    # --- applications ---------------------------------------------------------------
    def _as_read(self, stored: StoredApplication) -> StoredApplication:
        """As the store reads it back: the applicant's current name, the line opened."""
        current, _ = self.data.applicants[stored.applicant_id]
        line = next((ln.line_id for ln in self.data.lines.values()
                     if ln.application_id == stored.application_id), None)
        return replace(stored, applicant=replace(current, language=stored.language),
                       credit_line_id=line)

    def application_by_key(self, key: str) -> StoredApplication | None:
        found = next((a for a in self.data.applications.values()
                      if a.idempotency_key == key), None)
        return None if found is None else self._as_read(found)

    def application(self, application_id: int) -> StoredApplication:
        found = self.data.applications.get(application_id)
        if found is None:
            raise NotFound(f"application {application_id} does not exist",
                           code="application_must_exist", field="application_id")
        return self._as_read(found)

    def add_application(self, *, key: str, fingerprint: str, applicant_id: int,
                        business_date: dt.date, currency: str, term_months: int,
                        purpose: Purpose, language: str, decision: Decision,
                        model: str) -> int:
        assert self.application_by_key(key) is None, "application keys are unique"
        application_id = max(self.data.applications, default=0) + 1
        applicant, _ = self.data.applicants[applicant_id]
        self.data.applications[application_id] = StoredApplication(
            application_id, key, fingerprint, applicant_id, applicant, business_date,
            currency, term_months, purpose, language, decision, model, None)
        return application_id

    # --- credit lines ---------------------------------------------------------------
    def add_line(self, line: CreditLine) -> int:
        line_id = max(self.data.lines, default=0) + 1
        self.data.lines[line_id] = replace(line, line_id=line_id)
        return line_id

    def line(self, line_id: int, *, for_update: bool = False) -> CreditLine:
        found = self.data.lines.get(line_id)
        if found is None:
            raise NotFound(f"credit line {line_id} does not exist",
                           code="credit_line_must_exist", field="line_id")
        return found

    def lines_to_review(self, on: dt.date, count_max: int) -> list[CreditLine]:
        due = [ln for _, ln in sorted(self.data.lines.items())
               if ln.status is LineStatus.ACTIVE and (ln.reviewed_on is None
                                                      or ln.reviewed_on < on)]
        return due[:count_max]

    def apply_review(self, review: LimitReview, status: LineStatus, on: dt.date) -> None:
        line = self.line(review.line_id)
        line = replace(line, status=status, reviewed_on=on)
        if review.limit_after_minor != review.limit_before_minor:
            line = replace(line, limit_minor=review.limit_after_minor, limit_changed_on=on)
        self.data.lines[review.line_id] = line
        self.data.reviews.append((review.line_id, on, review.action.value,
                                  review.limit_before_minor, review.limit_after_minor))

    def reviews(self, line_id: int) -> list[tuple[dt.date, str, int, int]]:
        return sorted((d, a, b, x) for lid, d, a, b, x in self.data.reviews if lid == line_id)

    def _loans(self, line_id: int, *, open_only: bool) -> list[tuple[Drawdown, LoanState]]:
        loans = lending_data(self._state).loans
        pairs = [(d, loans[d.loan_id]) for d in self.data.drawdowns.values()
                 if d.line_id == line_id and d.loan_id in loans]
        return [(d, ln) for d, ln in pairs if ln.status.is_open or not open_only]

    def exposure(self, line_id: int) -> Exposure:
        pairs = self._loans(line_id, open_only=True)
        return Exposure(sum(ln.outstanding_principal_minor for _, ln in pairs),
                        sum(d.instalment_minor for d, _ in pairs))

    def behaviour(self, line_id: int, on: dt.date, lookback_days: int) -> Behaviour:
        pairs = self._loans(line_id, open_only=True)
        dpd = max((ln.days_past_due for _, ln in pairs), default=0)
        bucket = max((int(ln.bucket) for _, ln in pairs), default=0)
        since = on - dt.timedelta(days=lookback_days)
        mine = {d.loan_id for d in self.data.drawdowns.values() if d.line_id == line_id}
        recent = max((e.after for e in lending_data(self._state).events
                      if e.loan_id in mine and e.kind == "bucket_changed"
                      and e.business_date >= since), default=0)
        return Behaviour(dpd, Bucket(max(bucket, recent)),
                         self.exposure(line_id).outstanding_minor)

    # --- drawdowns ------------------------------------------------------------------
    def drawdown_by_key(self, key: str) -> Drawdown | None:
        return next((d for d in self.data.drawdowns.values() if d.idempotency_key == key),
                    None)

    def drawdowns(self, line_id: int) -> list[Drawdown]:
        return [d for _, d in sorted(self.data.drawdowns.items()) if d.line_id == line_id]

    def add_drawdown(self, drawdown: Drawdown) -> int:
        assert self.drawdown_by_key(drawdown.idempotency_key) is None, "keys are unique"
        drawdown_id = max(self.data.drawdowns, default=0) + 1
        self.data.drawdowns[drawdown_id] = replace(drawdown, drawdown_id=drawdown_id)
        return drawdown_id

    # --- merchants' transaction records, as imported ---------------------------------
    def transaction_ids(self, applicant_id: int) -> set[str]:
        return set(self.data.transactions.get(applicant_id, {}))

    def add_transactions(self, applicant_id: int, records: Sequence[MerchantRecord], *,
                         currency: str, on: dt.date) -> None:
        held = self.data.transactions.setdefault(applicant_id, {})
        for r in records:
            assert r.transaction_id not in held, "transaction ids are unique per merchant"
            held[r.transaction_id] = r.transaction

    def transactions_between(self, applicant_id: int, first: dt.date,
                             last: dt.date) -> list[Transaction]:
        held = self.data.transactions.get(applicant_id, {})
        return [t for _, t in sorted(held.items(), key=lambda kv: (kv[1].on, kv[0]))
                if first <= t.on <= last]

    # --- consumers' income records, as imported ---------------------------------------
    def income_record_ids(self, applicant_id: int) -> set[str]:
        return set(self.data.incomes.get(applicant_id, {}))

    def add_income_records(self, applicant_id: int, records: Sequence[IncomeRecord], *,
                           currency: str, on: dt.date) -> None:
        held = self.data.incomes.setdefault(applicant_id, {})
        for r in records:
            assert r.record_id not in held, "record ids are unique per consumer"
            held[r.record_id] = r

    def income_records(self, applicant_id: int) -> list[IncomeRecord]:
        held = self.data.incomes.get(applicant_id, {})
        return sorted(held.values(), key=lambda r: (r.month, r.record_id))

    # --- the borrower's history with us, for the credit review -----------------------
    def own_history(self, applicant_id: int, on: dt.date) -> OwnHistory:
        lines = {ln.line_id for ln in self.data.lines.values()
                 if ln.applicant_id == applicant_id}
        pairs = [p for line_id in sorted(lines) for p in self._loans(line_id, open_only=False)]
        opened = [(d, ln) for d, ln in pairs if ln.status.is_open]
        declines = [a.business_date for a in self.data.applications.values()
                    if a.applicant_id == applicant_id and a.business_date <= on
                    and a.decision.outcome is Outcome.DECLINE]
        mine = {d.loan_id for d, _ in pairs}
        defaults = [e.business_date for e in lending_data(self._state).events
                    if e.loan_id in mine and e.kind == "status_changed"
                    and e.after == int(LoanStatus.CHARGED_OFF)]
        return OwnHistory(len(pairs), len(opened), sum(d.instalment_minor for d, _ in opened),
                          max(declines, default=None), max(defaults, default=None))

    # --- evidence for limit reviews ---------------------------------------------------
    def early_warning_bps(self, line_id: int) -> int | None:
        """The fakes keep no early-warning scores: none for every line (a score is
        ``state["origination_scores"][line_id]`` when a test sets one)."""
        scores: dict[int, int] = self._state.get("origination_scores", {})
        return scores.get(line_id)

    def paid_share_bps(self, line_id: int, on: dt.date, lookback_days: int) -> int | None:
        today = to_day(on)
        due = [i for _, ln in self._loans(line_id, open_only=False) for i in ln.installments
               if today - lookback_days <= i.due_day < today]
        if not due:
            return None
        paid = sum(1 for i in due if i.paid_principal_minor >= i.principal_minor
                   and i.paid_interest_minor >= i.interest_minor)
        return paid * 10_000 // len(due)

    def line_figures(self, lines: Sequence[CreditLine], on: dt.date,
                     lookback_days: int) -> dict[int, LineFigures]:
        out = {}
        for ln in lines:
            share = self.paid_share_bps(ln.line_id, on, lookback_days)
            # the share as a count of 10,000 instalments gives the same bps back
            due, paid = (0, 0) if share is None else (10_000, share)
            out[ln.line_id] = LineFigures(
                self.exposure(ln.line_id), self.behaviour(ln.line_id, on, lookback_days),
                self.early_warning_bps(ln.line_id), due, paid, self.months(ln.applicant_id))
        return out

    def apply_reviews(self, verdicts: Sequence[tuple[LimitReview, LineStatus]],
                      on: dt.date) -> None:
        for review, status in verdicts:
            self.apply_review(review, status, on)


registry.register("origination", FakeOriginationRepository)
