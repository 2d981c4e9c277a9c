"""Records in: a merchant's transaction records (and a consumer's income records) from
a file (CSV or Parquet) or from rows sent to the API, checked line by line and field
by field
(:mod:`dunwell.origination.records`), stored once per transaction id, and summed up.

An import is all or nothing: a file with any rejected line stores nothing and names
every wrong field, so a corrected file can be imported whole. Transaction ids already
stored are skipped, so importing the same file twice stores nothing the second time.
The accepted records are summed into the merchant's monthly totals (a month touched
by the import is recomputed from every record stored for it), which are what the
decision's features are computed from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import InvalidInput
from dunwell.origination.features import MerchantFeatures, merchant_features, summarise
from dunwell.origination.model import Applicant, ApplicantKind
from dunwell.origination.records import (
    IncomeRecord,
    LineError,
    MerchantRecord,
    RecordRules,
    RecordsSummary,
    Validated,
    income_summary,
    summary_of,
    validate_income_records,
    validate_merchant_records,
)
from dunwell.store.origination_repo import OriginationRepository
from dunwell.store.record_files import RecordRows, csv_rows, read_record_file

__all__ = [
    "ImportResult",
    "IncomeImportResult",
    "LineError",
    "RecordRows",
    "RecordsSummary",
    "csv_rows",
    "import_income_file",
    "import_merchant_records",
    "read_record_file",
]

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class ImportResult:
    """What one import did: ``stored`` records added (0 when any line was rejected),
    lines skipped as already stored, and the merchant's whole history summed up."""

    merchant: str
    applicant_id: int | None
    validated: Validated[MerchantRecord]
    stored: int
    summary: RecordsSummary
    features: MerchantFeatures | None

    @property
    def rejected(self) -> tuple[LineError, ...]:
        return self.validated.rejected


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def refresh_months(repo: OriginationRepository, applicant_id: int,
                   months: Collection[dt.date]) -> None:
    """Recompute the monthly totals of ``months`` from every stored record in them."""
    if not months:
        return
    stored = repo.transactions_between(applicant_id, min(months), _month_end(max(months)))
    summaries = [s for s in summarise(stored) if s.month in months]
    repo.put_months(applicant_id, summaries, replacing=True)


def _applicant(kind: ApplicantKind, reference: str, stored: Applicant | None,
               name: str | None, language: str | None) -> Applicant:
    """The applicant to register: the name and language given, else as stored, else
    the reference and the default language."""
    return Applicant(kind, reference, name or (stored.name if stored else reference),
                     language or (stored.language if stored else DEFAULT_LANGUAGE))


def import_merchant_records(uow: UnitOfWork, *, merchant: str,
                            rows: Sequence[Mapping[str, object]], first_line: int = 2,
                            name: str | None = None,
                            language: str | None = None) -> ImportResult:
    """Check ``rows`` and, when every line is good, store the new ones (see the module
    doc). The merchant is registered on its first import."""
    if not rows:
        raise InvalidInput("the records hold no line; send at least one record under a "
                           "header naming transaction_id, date, amount, currency and kind",
                           code="records_must_be_present", field="rows")
    info = uow.book.require()
    repo = uow.origination
    found = repo.applicant(ApplicantKind.MERCHANT, merchant)
    known = repo.transaction_ids(found[0]) if found else set()
    validated = validate_merchant_records(
        rows, rules=RecordRules(info.currency, info.business_date), known_ids=known,
        first_line=first_line)
    if validated.rejected:
        applicant_id = found[0] if found else None
        history = repo.months(applicant_id) if applicant_id is not None else ()
        return ImportResult(merchant, applicant_id, validated, 0, summary_of(history), None)
    applicant = _applicant(ApplicantKind.MERCHANT, merchant, found[1] if found else None,
                           name, language)
    applicant_id, _ = repo.put_applicant(applicant, info.business_date)
    repo.add_transactions(applicant_id, validated.accepted, currency=info.currency,
                          on=info.business_date)
    refresh_months(repo, applicant_id, {r.on.replace(day=1) for r in validated.accepted})
    months = repo.months(applicant_id)
    return ImportResult(merchant, applicant_id, validated, len(validated.accepted),
                        summary_of(months), merchant_features(months,
                                                              through=info.business_date))


def import_merchant_file(uow: UnitOfWork, *, merchant: str, path: Path,
                         name: str | None = None, language: str | None = None) -> ImportResult:
    """:func:`import_merchant_records` from a CSV or Parquet file."""
    read = read_record_file(path)
    return import_merchant_records(uow, merchant=merchant, rows=read.rows,
                                   first_line=read.first_line, name=name, language=language)


@dataclass(frozen=True)
class IncomeImportResult:
    """What one import of a consumer's income records did (the same rules: all or
    nothing, record ids already stored skipped), and their whole history summed up."""

    consumer: str
    applicant_id: int | None
    validated: Validated[IncomeRecord]
    stored: int
    summary: RecordsSummary

    @property
    def rejected(self) -> tuple[LineError, ...]:
        return self.validated.rejected


def import_income_records(uow: UnitOfWork, *, consumer: str,
                          rows: Sequence[Mapping[str, object]], first_line: int = 2,
                          name: str | None = None,
                          language: str | None = None) -> IncomeImportResult:
    """Check a consumer's income records (``record_id``, ``month``, ``amount``,
    ``currency``) and, when every line is good, store the new ones; a consumer's
    application that sends no income history is then judged on them."""
    if not rows:
        raise InvalidInput("the records hold no line; send at least one record under a "
                           "header naming record_id, month, amount and currency",
                           code="records_must_be_present", field="rows")
    info = uow.book.require()
    repo = uow.origination
    found = repo.applicant(ApplicantKind.CONSUMER, consumer)
    known = repo.income_record_ids(found[0]) if found else set()
    validated = validate_income_records(
        rows, rules=RecordRules(info.currency, info.business_date), known_ids=known,
        first_line=first_line)
    if validated.rejected:
        applicant_id = found[0] if found else None
        history = repo.income_records(applicant_id) if applicant_id is not None else []
        return IncomeImportResult(consumer, applicant_id, validated, 0,
                                  income_summary(history))
    applicant = _applicant(ApplicantKind.CONSUMER, consumer, found[1] if found else None,
                           name, language)
    applicant_id, _ = repo.put_applicant(applicant, info.business_date)
    repo.add_income_records(applicant_id, validated.accepted, currency=info.currency,
                            on=info.business_date)
    return IncomeImportResult(consumer, applicant_id, validated, len(validated.accepted),
                              income_summary(repo.income_records(applicant_id)))


def import_income_file(uow: UnitOfWork, *, consumer: str, path: Path, name: str | None = None,
                       language: str | None = None) -> IncomeImportResult:
    """:func:`import_income_records` from a CSV or Parquet file."""
    read = read_record_file(path)
    return import_income_records(uow, consumer=consumer, rows=read.rows,
                                 first_line=read.first_line, name=name, language=language)
