"""Repositories for origination: applicants and merchants' monthly summaries,
applications with their decisions, credit lines with their exposure and behaviour,
drawdowns and limit reviews. They run inside the caller's transaction and return
domain objects."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Connection,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    null,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, NotFound
from dunwell.lending.model import BUCKET_FIRST_DAYS, Bucket, LoanStatus, Product
from dunwell.lending.products import load_product
from dunwell.origination.credit_line import Behaviour, CreditLine, Exposure, LimitReview, LineStatus
from dunwell.origination.credit_review import OwnHistory
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Decision,
    Effect,
    MonthSummary,
    Outcome,
    Purpose,
    Reason,
    Transaction,
    TransactionKind,
)
from dunwell.origination.monitoring import ApplicationRow, LoanRow
from dunwell.origination.records import IncomeRecord, MerchantRecord
from dunwell.store import collection_tables as c
from dunwell.store import origination_tables as o
from dunwell.store import tables as t
from dunwell.store.repositories import BookInfo

OPEN_STATUSES = tuple(int(s) for s in LoanStatus if s.is_open)
_APPLICANT_BY_REF = (select(o.applicants.c.applicant_id, o.applicants.c.name,
                            o.applicants.c.language)
                     .where(o.applicants.c.kind == bindparam("kind"),
                            o.applicants.c.reference == bindparam("ref")))
_INSERT_APPLICANT = insert(o.applicants)
_INSERT_MONTHS = insert(o.merchant_months)
_INSERT_APPLICATION = insert(o.applications)
_INSERT_LINE = insert(o.credit_lines)
_MONTHS = (select(o.merchant_months.c.month, o.merchant_months.c.sales_minor,
                  o.merchant_months.c.refunds_minor, o.merchant_months.c.sales_count,
                  o.merchant_months.c.refunds_count)
           .where(o.merchant_months.c.applicant_id == bindparam("applicant_id"))
           .order_by(o.merchant_months.c.month))
_PRODUCT_TEXTS = select(t.products.c.spec_toml)
_APPLICATIONS = (select(o.applications, o.applicants.c.kind, o.applicants.c.reference,
                        o.applicants.c.name, o.credit_lines.c.line_id.label("credit_line_id"))
                 .join(o.applicants,
                       o.applicants.c.applicant_id == o.applications.c.applicant_id)
                 .outerjoin(o.credit_lines,
                            o.credit_lines.c.application_id == o.applications.c.application_id))
_APPLICATION_BY_KEY = _APPLICATIONS.where(o.applications.c.idempotency_key == bindparam("key"))
_APPLICATION_BY_ID = _APPLICATIONS.where(
    o.applications.c.application_id == bindparam("application_id"))
_product_from_text = lru_cache(maxsize=256)(load_product)

# An application's first read, one statement: the book (one row) joined to each product,
# the id of the application already stored under the key and the applicant on record,
# if any. A stored application (a replay, seldom) is then read whole by its key: its
# columns on every product's row cost each new application their transfer and decoding.
_SEEN = (select(o.applications.c.application_id)
         .where(o.applications.c.idempotency_key == bindparam("key")).subquery("seen"))
_KNOWN = (select(o.applicants.c.applicant_id, o.applicants.c.name, o.applicants.c.language)
          .where(o.applicants.c.kind == bindparam("kind"),
                 o.applicants.c.reference == bindparam("ref"))
          .subquery("known"))
_INTAKE = (select(t.book.c.business_date, t.book.c.partitions, t.book.c.currency,
                  t.products.c.spec_toml,
                  _SEEN.c.application_id.label("seen_application_id"),
                  *(col.label(f"known_{col.name}") for col in _KNOWN.c))
           .select_from(t.book.outerjoin(t.products, true()).outerjoin(_SEEN, true())
                        .outerjoin(_KNOWN, true())))

#: The columns of an application (a credit line) the newcomer's statement takes as
#: parameters: all but the ids it makes or is given by the statement itself.
_APPLICATION_COLUMNS = tuple(col for col in o.applications.c
                             if col.name not in ("application_id", "applicant_id"))
_LINE_COLUMNS = tuple(col for col in o.credit_lines.c
                      if col.name not in ("line_id", "application_id", "applicant_id",
                                        "borrower_id"))
_MONTH_COLUMNS = tuple(col for col in o.merchant_months.c if col.name != "applicant_id")


class _Positional:
    """SQLite: a table's insert of every column but its autoincremented key, as the
    driver's own text (``?`` placeholders in the table's column order), with the bind
    processors of the columns that have one (dates, sealed text), built once. A row is
    then sent as a plain tuple of the values the statement would bind, without
    SQLAlchemy building and processing the statement's parameters for each execution
    (for a small insert, more than the insert costs)."""

    def __init__(self, table: Any, dialect: Any) -> None:
        self.names = tuple(col.name for col in table.c if col.autoincrement is not True)
        compiled = insert(table).compile(dialect=dialect, column_keys=list(self.names))
        assert tuple(compiled.positiontup or ()) == self.names, "columns out of order"
        self.text = str(compiled)
        processors = [(k, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                      for k, name in enumerate(self.names)]
        self.processors = tuple((k, p) for k, p in processors if p is not None)

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        """``row`` (by column name) as the tuple the driver binds."""
        values = [row[name] for name in self.names]
        for k, process in self.processors:
            values[k] = process(values[k])
        return tuple(values)


@lru_cache(maxsize=16)
def _positional(table: Any, dialect: Any) -> _Positional | None:
    """:class:`_Positional` of ``table`` where the driver takes ``?`` placeholders
    (SQLite); None elsewhere."""
    return _Positional(table, dialect) if dialect.paramstyle == "qmark" else None


@lru_cache(maxsize=2)
def _newcomer_statement(with_line: bool) -> Any:
    """PostgreSQL: an applicant not on record, its monthly records, its application
    and (``with_line``) the credit line it opens, in one statement of data-modifying
    CTEs; it returns the applicant's, the application's and the line's ids. Built once."""
    from sqlalchemy.dialects.postgresql import ARRAY

    ap, mm, apps, cl = o.applicants, o.merchant_months, o.applications, o.credit_lines
    a = (insert(ap).values({col.name: bindparam(f"a_{col.name}", type_=col.type)
                            for col in ap.c if col.name != "applicant_id"})
         .returning(ap.c.applicant_id).cte("a"))
    # each month column is sent as one array literal ({2024-01-01,...}), cast here: the
    # driver then sends a string, instead of dumping a list element by element
    months = (insert(mm).from_select(
        [mm.c.applicant_id, *_MONTH_COLUMNS],
        select(a.c.applicant_id, *(func.unnest(cast(bindparam(f"m_{col.name}", type_=Text),
                                                    ARRAY(col.type)))
                                   for col in _MONTH_COLUMNS)))
              .cte("m"))
    application = (insert(apps).from_select(
        [*_APPLICATION_COLUMNS, apps.c.applicant_id],
        select(*(bindparam(f"ap_{col.name}", type_=col.type) for col in _APPLICATION_COLUMNS),
               a.c.applicant_id))
                   .returning(apps.c.application_id).cte("ap"))
    both = a.join(application, true())  # one row each: no cartesian product to fear
    if not with_line:
        return (select(a.c.applicant_id, application.c.application_id, null())
                .select_from(both).add_cte(months))
    line = (insert(cl).from_select(
        [*_LINE_COLUMNS, cl.c.application_id, cl.c.applicant_id, cl.c.borrower_id],
        select(*(bindparam(f"l_{col.name}", type_=col.type) for col in _LINE_COLUMNS),
               application.c.application_id, a.c.applicant_id,
               a.c.applicant_id + bindparam("borrower_id_base", type_=BigInteger))
        .select_from(both))
            .returning(cl.c.line_id).cte("l"))
    return (select(a.c.applicant_id, application.c.application_id, line.c.line_id)
            .select_from(both.join(line, true())).add_cte(months))

# The credit review's reads of the applicant's own history, built once (one decision
# each): their lines are found through their applications (indexed by applicant).
_ap, _cl = o.applications.c, o.credit_lines.c
_OWN_LINES = (select(_cl.line_id)
              .select_from(o.applications.join(o.credit_lines,
                                               _cl.application_id == _ap.application_id))
              .where(_ap.applicant_id == bindparam("applicant_id"),
                     _cl.applicant_id == bindparam("applicant_id")))
_OWN_APPLICATIONS = (
    select(func.max(case((and_(_ap.outcome == Outcome.DECLINE.value,
                               _ap.business_date <= bindparam("on")), _ap.business_date))),
           func.count(_cl.line_id))
    .select_from(o.applications.outerjoin(o.credit_lines,
                                          _cl.application_id == _ap.application_id))
    .where(_ap.applicant_id == bindparam("applicant_id")))
_dd, _loan, _event = o.drawdowns.c, t.loans.c, t.loan_events.c
_OWN_DRAWN = _dd.line_id.in_(_OWN_LINES.scalar_subquery())
_OWN_DRAWDOWNS = (
    select(func.count(),
           func.coalesce(func.sum(case((_loan.status.in_(OPEN_STATUSES), 1), else_=0)), 0),
           func.coalesce(func.sum(case((_loan.status.in_(OPEN_STATUSES), _dd.instalment_minor),
                                       else_=0)), 0))
    .select_from(o.drawdowns.join(t.loans, _loan.loan_id == _dd.loan_id))
    .where(_OWN_DRAWN))
_OWN_CHARGED_OFF = (
    select(func.max(_event.business_date))
    .select_from(o.drawdowns.join(t.loans, _loan.loan_id == _dd.loan_id)
                 .join(t.loan_events, _event.loan_id == _dd.loan_id))
    .where(_OWN_DRAWN, _event.kind == "status_changed",
           _event.after == int(LoanStatus.CHARGED_OFF)))

# The limit review's reads and writes, built once: the day loop reviews every active
# line daily, and building each line's expressions cost more than running them.
_d, _i, _ln, _ev, _s = (o.drawdowns.c, t.installments.c, t.loans.c, t.loan_events.c,
                        c.loan_scores.c)
_OPEN_DRAWN = and_(_d.line_id == bindparam("line_id"), _ln.status.in_(OPEN_STATUSES))
_OWED = (select(func.coalesce(func.sum(_i.principal_minor - _i.paid_principal_minor), 0))
         .select_from(o.drawdowns.join(t.loans, _ln.loan_id == _d.loan_id)
                      .join(t.installments, _i.loan_id == _d.loan_id))
         .where(_OPEN_DRAWN))
_INSTALMENTS = (select(func.coalesce(func.sum(_d.instalment_minor), 0))
                .select_from(o.drawdowns.join(t.loans, _ln.loan_id == _d.loan_id))
                .where(_OPEN_DRAWN))
_DPD_NOW = (select(func.coalesce(func.max(_ln.days_past_due), 0),
                   func.coalesce(func.max(_ln.bucket), 0))
            .select_from(o.drawdowns.join(t.loans, _ln.loan_id == _d.loan_id))
            .where(_OPEN_DRAWN))
_RECENT_BUCKET = (select(func.coalesce(func.max(_ev.after), 0))
                  .select_from(o.drawdowns.join(t.loan_events, _ev.loan_id == _d.loan_id))
                  .where(_d.line_id == bindparam("line_id"), _ev.kind == "bucket_changed",
                         _ev.business_date >= bindparam("since")))
_EARLY_WARNING = (select(func.max(_s.score_bps))
                  .select_from(o.drawdowns.join(t.loans, _ln.loan_id == _d.loan_id)
                               .join(c.loan_scores, _s.loan_id == _d.loan_id))
                  .where(_OPEN_DRAWN))
_PAID_IN_FULL = and_(_i.paid_principal_minor >= _i.principal_minor,
                     _i.paid_interest_minor >= _i.interest_minor)
_PAID_SHARE = (select(func.count(), func.coalesce(func.sum(case((_PAID_IN_FULL, 1), else_=0)), 0))
               .select_from(o.drawdowns.join(t.installments, _i.loan_id == _d.loan_id))
               .where(_d.line_id == bindparam("line_id"), _i.due_day < bindparam("today"),
                      _i.due_day >= bindparam("first")))
_LINE_UPDATE = update(o.credit_lines).where(o.credit_lines.c.line_id == bindparam("lid"))
_INSERT_REVIEW = insert(o.limit_reviews)

# The same figures for many lines at once, one grouped read each (``line_id IN ids``).
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_OPEN_DRAWN_MANY = and_(_d.line_id.in_(_IDS), _ln.status.in_(OPEN_STATUSES))
_OWED_MANY = (select(_d.line_id, func.sum(_i.principal_minor - _i.paid_principal_minor))
              .select_from(o.drawdowns.join(t.loans, _ln.loan_id == _d.loan_id)
                           .join(t.installments, _i.loan_id == _d.loan_id))
              .where(_OPEN_DRAWN_MANY).group_by(_d.line_id))
_OPEN_MANY = (select(_d.line_id, func.sum(_d.instalment_minor), func.max(_ln.days_past_due),
                     func.max(_ln.bucket))
              .select_from(o.drawdowns.join(t.loans, _ln.loan_id == _d.loan_id))
              .where(_OPEN_DRAWN_MANY).group_by(_d.line_id))
_RECENT_BUCKET_MANY = (select(_d.line_id, func.max(_ev.after))
                       .select_from(o.drawdowns.join(t.loan_events, _ev.loan_id == _d.loan_id))
                       .where(_d.line_id.in_(_IDS), _ev.kind == "bucket_changed",
                              _ev.business_date >= bindparam("since"))
                       .group_by(_d.line_id))
_EARLY_WARNING_MANY = (select(_d.line_id, func.max(_s.score_bps))
                       .select_from(o.drawdowns.join(t.loans, _ln.loan_id == _d.loan_id)
                                    .join(c.loan_scores, _s.loan_id == _d.loan_id))
                       .where(_OPEN_DRAWN_MANY).group_by(_d.line_id))
_PAID_SHARE_MANY = (select(_d.line_id, func.count(),
                           func.coalesce(func.sum(case((_PAID_IN_FULL, 1), else_=0)), 0))
                    .select_from(o.drawdowns.join(t.installments, _i.loan_id == _d.loan_id))
                    .where(_d.line_id.in_(_IDS), _i.due_day < bindparam("today"),
                           _i.due_day >= bindparam("first"))
                    .group_by(_d.line_id))
_m = o.merchant_months.c
_MONTHS_MANY = (select(_m.applicant_id, _m.month, _m.sales_minor, _m.refunds_minor,
                       _m.sales_count, _m.refunds_count)
                .where(_m.applicant_id.in_(_IDS)).order_by(_m.applicant_id, _m.month))
_T = TypeVar("_T")
#: Ids bound in one grouped read (SQLite allows 32,766 variables per statement).
IDS_PER_READ = 5_000


@dataclass(frozen=True, slots=True)
class LineFigures:
    """What the limit review reads about one line, as the per-line reads give it:
    ``exposure`` and ``behaviour`` of its open loans, the highest early-warning score
    (None: unscored), the instalments due in the look-back window and how many of
    them are paid in full, and its applicant's monthly records."""

    exposure: Exposure
    behaviour: Behaviour
    early_warning_bps: int | None
    due: int
    paid: int
    months: tuple[MonthSummary, ...]

    @property
    def paid_share_bps(self) -> int | None:
        return None if not self.due else self.paid * 10_000 // self.due


def _chunks(ids: Sequence[_T]) -> Iterator[list[_T]]:
    for lo in range(0, len(ids), IDS_PER_READ):
        yield list(ids[lo:lo + IDS_PER_READ])


@dataclass(frozen=True, slots=True)
class StoredApplication:
    application_id: int
    idempotency_key: str
    fingerprint: str
    applicant_id: int
    applicant: Applicant
    business_date: dt.date
    currency: str
    term_months: int
    purpose: Purpose
    language: str
    decision: Decision
    model: str
    credit_line_id: int | None


@dataclass(frozen=True, slots=True)
class Drawdown:
    drawdown_id: int
    idempotency_key: str
    fingerprint: str
    line_id: int
    loan_id: int
    amount_minor: int
    term_months: int
    product_code: str
    instalment_minor: int
    business_date: dt.date


@dataclass(frozen=True, slots=True)
class Acceptance:
    """The terms a borrower accepted for a drawdown, as shown to them."""

    acceptance_id: int
    line_id: int
    drawdown_id: int
    fingerprint: str
    terms_json: str
    language: str
    accepted_on: dt.date
    cancel_until: dt.date | None
    cancelled_on: dt.date | None


def reasons_json(reasons: Iterable[Reason]) -> str:
    return json.dumps([{"code": r.code, "effect": r.effect.value, "value": r.value,
                        "impact": r.impact, "texts": dict(r.texts)} for r in reasons],
                      ensure_ascii=False, separators=(",", ":"))


def reasons_from(text: str) -> tuple[Reason, ...]:
    return tuple(Reason(r["code"], Effect(r["effect"]), r["value"], int(r["impact"]),
                        tuple(r["texts"].items())) for r in json.loads(text))


def _decision(m: Any) -> Decision:
    return Decision(
        outcome=Outcome(m["outcome"]), grade=m["grade"], pd_bps=m["pd_bps"],
        requested_minor=int(m["requested_minor"]), approved_minor=int(m["approved_minor"]),
        limit_minor=int(m["limit_minor"]),
        annual_rate=None if m["annual_rate"] is None else Decimal(m["annual_rate"]),
        term_options=tuple(json.loads(m["term_options_json"])),
        reasons=reasons_from(m["reasons_json"]), advice=tuple(json.loads(m["advice_json"])),
        cash_flow_minor=int(m["cash_flow_minor"]),
        existing_payments_minor=int(m["existing_payments_minor"]), dsr_bps=m["dsr_bps"],
        features=tuple((k, v) for k, v in json.loads(m["features_json"]).items()))


def _line(m: Any) -> CreditLine:
    return CreditLine(
        line_id=int(m["line_id"]), application_id=int(m["application_id"]),
        applicant_id=int(m["applicant_id"]), borrower_id=int(m["borrower_id"]),
        kind=ApplicantKind(m["kind"]), currency=m["currency"], limit_minor=int(m["limit_minor"]),
        limit_max_minor=int(m["limit_max_minor"]), grade=m["grade"],
        annual_rate=Decimal(m["annual_rate"]), status=LineStatus(m["status"]),
        cash_flow_minor=int(m["cash_flow_minor"]),
        existing_payments_minor=int(m["existing_payments_minor"]), opened_on=m["opened_on"],
        limit_changed_on=m["limit_changed_on"], reviewed_on=m["reviewed_on"])


def _stored_application(m: Any) -> StoredApplication:
    applicant = Applicant(ApplicantKind(m["kind"]), m["reference"], m["name"], m["language"])
    return StoredApplication(
        int(m["application_id"]), m["idempotency_key"], m["fingerprint"],
        int(m["applicant_id"]), applicant, m["business_date"], m["currency"],
        int(m["term_months"]), Purpose(m["purpose"]), m["language"], _decision(m),
        m["model"], None if m["credit_line_id"] is None else int(m["credit_line_id"]))


def application_row(*, key: str, fingerprint: str, applicant_id: int, business_date: dt.date,
                    currency: str, term_months: int, purpose: Purpose, language: str,
                    decision: Decision, model: str) -> dict[str, Any]:
    """An application's row as :meth:`OriginationRepository.add_application` stores it."""
    d = decision
    return dict(
        idempotency_key=key, fingerprint=fingerprint, applicant_id=applicant_id,
        business_date=business_date, currency=currency,
        requested_minor=d.requested_minor, term_months=term_months,
        purpose=purpose.value, language=language, outcome=d.outcome.value,
        grade=d.grade, pd_bps=d.pd_bps, approved_minor=d.approved_minor,
        limit_minor=d.limit_minor,
        annual_rate=None if d.annual_rate is None else str(d.annual_rate),
        term_options_json=json.dumps(list(d.term_options)),
        reasons_json=reasons_json(d.reasons), advice_json=json.dumps(list(d.advice)),
        features_json=json.dumps(dict(d.features), separators=(",", ":")),
        cash_flow_minor=d.cash_flow_minor,
        existing_payments_minor=d.existing_payments_minor,
        dsr_bps=d.dsr_bps, model=model)


def _line_row(line: CreditLine) -> dict[str, Any]:
    return dict(
        application_id=line.application_id, applicant_id=line.applicant_id,
        borrower_id=line.borrower_id, kind=line.kind.value, currency=line.currency,
        limit_minor=line.limit_minor, limit_max_minor=line.limit_max_minor,
        grade=line.grade, annual_rate=str(line.annual_rate), status=line.status.value,
        cash_flow_minor=line.cash_flow_minor,
        existing_payments_minor=line.existing_payments_minor, opened_on=line.opened_on,
        limit_changed_on=line.limit_changed_on, reviewed_on=line.reviewed_on)


@contextmanager
def _key_in_use(key: str) -> Iterator[None]:
    """A concurrent request inserted the same idempotency key first: a named rejection
    (its retry is answered as a replay) rather than a database error."""
    try:
        yield
    except IntegrityError as exc:
        if "idempotency_key" not in str(exc.orig):
            raise
        raise Conflict(f"another request with idempotency key {key!r} was being processed; "
                       "retry to receive its result", code="idempotency_key_must_not_be_in_use",
                       field="idempotency_key") from None


@dataclass(frozen=True, slots=True)
class Intake:
    """What deciding an application reads first (:meth:`OriginationRepository.intake`)."""

    book: BookInfo
    seen: StoredApplication | None  # the application stored under the key
    known: tuple[int, Applicant] | None  # the applicant on record
    products: dict[str, Product]


class OriginationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def intake(self, key: str, applicant: Applicant) -> Intake | None:
        """In one read: the book, the application stored under ``key`` (read whole by
        a second read when there is one: a replay), the applicant on record (as
        :meth:`applicant`) and the book's products (as :meth:`products`). None when the
        book is not open."""
        rows = self.conn.execute(_INTAKE, {"key": key, "kind": applicant.kind.value,
                                           "ref": applicant.reference}).all()
        if not rows:
            return None
        first = rows[0]._mapping
        seen = None
        if first["seen_application_id"] is not None:
            seen = self.application_by_key(key)
        known = None
        if first["known_applicant_id"] is not None:
            known = (int(first["known_applicant_id"]), Applicant(
                applicant.kind, applicant.reference, first["known_name"],
                first["known_language"]))
        products = {p.code: p for p in (_product_from_text(r[3]) for r in rows
                                          if r[3] is not None)}
        book = BookInfo(first["business_date"], int(first["partitions"]), str(first["currency"]))
        return Intake(book, seen, known, products)

    # --- applicants and merchants' records ------------------------------------------
    def applicant(self, kind: ApplicantKind, reference: str) -> tuple[int, Applicant] | None:
        row = self.conn.execute(_APPLICANT_BY_REF, {"kind": kind.value, "ref": reference}).first()
        if row is None:
            return None
        return int(row[0]), Applicant(kind, reference, row[1], row[2])

    def add_applicant(self, applicant: Applicant, on: dt.date) -> int:
        pk = self.conn.execute(_INSERT_APPLICANT, {
            "kind": applicant.kind.value, "reference": applicant.reference,
            "name": applicant.name, "language": applicant.language,
            "registered_on": on}).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def rename_applicant(self, applicant_id: int, applicant: Applicant) -> None:
        self.conn.execute(update(o.applicants).where(o.applicants.c.applicant_id == applicant_id)
                          .values(name=applicant.name, language=applicant.language))

    def put_applicant(self, applicant: Applicant, on: dt.date) -> tuple[int, bool]:
        """The applicant's id (added, or updated to the name and language given), and
        whether it was known before."""
        return self.put_read_applicant(applicant, on,
                                       self.applicant(applicant.kind, applicant.reference))

    def put_read_applicant(self, applicant: Applicant, on: dt.date,
                           found: tuple[int, Applicant] | None) -> tuple[int, bool]:
        """:meth:`put_applicant` with the applicant on record read already (``found``,
        from :meth:`intake`)."""
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
        """Add an applicant not on record (registered on ``business_date``) with its
        monthly records, its application (as :meth:`add_application`) and the credit
        line it opens (``line``, whose application, applicant and borrower ids are set
        here: the borrower's is ``borrower_id_base`` plus the applicant's). The ids of
        the applicant, the application and the line: one statement on PostgreSQL, one
        insert each elsewhere."""
        application = application_row(
            key=key, fingerprint=fingerprint, applicant_id=0, business_date=business_date,
            currency=currency, term_months=term_months, purpose=purpose, language=language,
            decision=decision, model=model)
        if self.conn.dialect.name != "postgresql":
            return self._add_newcomer_one_by_one(applicant, months, line, application,
                                                 borrower_id_base=borrower_id_base)
        params: dict[str, Any] = {
            "a_kind": applicant.kind.value, "a_reference": applicant.reference,
            "a_name": applicant.name, "a_language": applicant.language,
            "a_registered_on": business_date}
        for col in _MONTH_COLUMNS:  # an array literal: dates and integers need no quoting
            params[f"m_{col.name}"] = "{" + ",".join(
                [str(getattr(m, col.name)) for m in months]) + "}"
        params.update({f"ap_{col.name}": application[col.name] for col in _APPLICATION_COLUMNS})
        if line is not None:
            row = _line_row(line)
            params.update({f"l_{col.name}": row[col.name] for col in _LINE_COLUMNS})
            params["borrower_id_base"] = borrower_id_base
        with _key_in_use(key):
            ids = self.conn.execute(_newcomer_statement(line is not None), params).one()
        return int(ids[0]), int(ids[1]), None if ids[2] is None else int(ids[2])

    def _add_newcomer_one_by_one(self, applicant: Applicant, months: Sequence[MonthSummary],
                                 line: CreditLine | None, application: dict[str, Any], *,
                                 borrower_id_base: int) -> tuple[int, int, int | None]:
        """:meth:`add_newcomer` as one insert each (``application``: its row); on SQLite
        each insert goes to the driver as its own text and a tuple (:class:`_Positional`)."""
        on = application["business_date"]
        applicant_id = self._insert(o.applicants, _INSERT_APPLICANT, {
            "kind": applicant.kind.value, "reference": applicant.reference,
            "name": applicant.name, "language": applicant.language, "registered_on": on})
        self.put_months(applicant_id, months, replacing=False)
        with _key_in_use(application["idempotency_key"]):
            application_id = self._insert(o.applications, _INSERT_APPLICATION, {
                **application, "applicant_id": applicant_id})
        if line is None:
            return applicant_id, application_id, None
        return applicant_id, application_id, self._insert(o.credit_lines, _INSERT_LINE, {
            **_line_row(line), "application_id": application_id, "applicant_id": applicant_id,
            "borrower_id": borrower_id_base + applicant_id})

    def _insert(self, table: Any, statement: Any, row: dict[str, Any]) -> int:
        """Insert ``row`` into ``table`` (``statement``: its insert); the new key."""
        positional = _positional(table, self.conn.dialect)
        if positional is not None:
            key = self.conn.exec_driver_sql(positional.text, positional.values(row)).lastrowid
        else:
            pk = self.conn.execute(statement, row).inserted_primary_key
            assert pk is not None
            key = pk[0]
        return int(key)

    def put_months(self, applicant_id: int, summaries: Sequence[MonthSummary], *,
                   replacing: bool = True) -> None:
        """Store monthly summaries; a month already held is replaced (``replacing``:
        the applicant may hold some already)."""
        if not summaries:
            return
        m = o.merchant_months.c
        if replacing:
            self.conn.execute(delete(o.merchant_months).where(
                m.applicant_id == applicant_id, m.month.in_([s.month for s in summaries])))
        rows = [{"applicant_id": applicant_id, "month": s.month, "sales_minor": s.sales_minor,
                 "refunds_minor": s.refunds_minor, "sales_count": s.sales_count,
                 "refunds_count": s.refunds_count} for s in summaries]
        positional = _positional(o.merchant_months, self.conn.dialect)
        if positional is not None:
            self.conn.exec_driver_sql(positional.text, [positional.values(r) for r in rows])
        else:
            self.conn.execute(_INSERT_MONTHS, rows)

    def months(self, applicant_id: int) -> tuple[MonthSummary, ...]:
        rows = self.conn.execute(_MONTHS, {"applicant_id": applicant_id}).all()
        return tuple(MonthSummary(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows)

    def products(self) -> dict[str, Product]:
        """The book's products (parsed once per distinct product file)."""
        rows = self.conn.execute(_PRODUCT_TEXTS).all()
        return {p.code: p for p in (_product_from_text(r[0]) for r in rows)}

    # --- applications ---------------------------------------------------------------
    def _applications(self, statement: Any, params: dict[str, Any]) -> StoredApplication | None:
        row = self.conn.execute(statement, params).first()
        return None if row is None else _stored_application(row._mapping)

    def application_by_key(self, key: str) -> StoredApplication | None:
        return self._applications(_APPLICATION_BY_KEY, {"key": key})

    def application(self, application_id: int) -> StoredApplication:
        found = self._applications(_APPLICATION_BY_ID, {"application_id": application_id})
        if found is None:
            raise NotFound(f"application {application_id} does not exist",
                           code="application_must_exist", field="application_id")
        return found

    def add_application(self, *, key: str, fingerprint: str, applicant_id: int,
                        business_date: dt.date, currency: str, term_months: int,
                        purpose: Purpose, language: str, decision: Decision,
                        model: str) -> int:
        with _key_in_use(key):
            pk = self.conn.execute(_INSERT_APPLICATION, application_row(
                key=key, fingerprint=fingerprint, applicant_id=applicant_id,
                business_date=business_date, currency=currency, term_months=term_months,
                purpose=purpose, language=language, decision=decision,
                model=model)).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    # --- many at once: the batch path of origination (same rows, set-based) ----------
    def _insert_many(self, table: Any, id_column: Any, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` in one batched statement; their new ids, in the rows' order."""
        if not rows:
            return []
        q = insert(table).returning(id_column, sort_by_parameter_order=True)
        return [int(r[0]) for r in self.conn.execute(q, rows)]

    def applicants_by_reference(self, kind: ApplicantKind,
                                references: Sequence[str]) -> dict[str, tuple[int, Applicant]]:
        """:meth:`applicant` of many references of one kind, in one read."""
        a = o.applicants.c
        out = {}
        for ids in _chunks(references):
            q = select(a.applicant_id, a.reference, a.name, a.language).where(
                a.kind == kind.value, a.reference.in_(ids))
            for r in self.conn.execute(q):
                out[r[1]] = (int(r[0]), Applicant(kind, r[1], r[2], r[3]))
        return out

    def add_applicants(self, applicants: Sequence[Applicant], on: dt.date) -> list[int]:
        return self._insert_many(o.applicants, o.applicants.c.applicant_id, [
            {"kind": a.kind.value, "reference": a.reference, "name": a.name,
             "language": a.language, "registered_on": on} for a in applicants])

    def add_months_many(self, months: Sequence[tuple[int, Sequence[MonthSummary]]]) -> None:
        """:meth:`put_months` of applicants who hold none yet, in one statement."""
        rows = [{"applicant_id": applicant_id, "month": s.month, "sales_minor": s.sales_minor,
                 "refunds_minor": s.refunds_minor, "sales_count": s.sales_count,
                 "refunds_count": s.refunds_count}
                for applicant_id, summaries in months for s in summaries]
        if rows:
            self.conn.execute(_INSERT_MONTHS, rows)

    def applications_by_key(self, keys: Sequence[str]) -> dict[str, StoredApplication]:
        """:meth:`application_by_key` of many keys, in one read."""
        out = {}
        for chunk in _chunks(keys):
            q = _APPLICATIONS.where(o.applications.c.idempotency_key.in_(chunk))
            for row in self.conn.execute(q):
                stored = _stored_application(row._mapping)
                out[stored.idempotency_key] = stored
        return out

    def add_applications(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Applications (each :func:`application_row`) in one statement; their ids."""
        with _key_in_use(", ".join(str(r["idempotency_key"]) for r in rows[:3])):
            return self._insert_many(o.applications, o.applications.c.application_id,
                                     list(rows))

    def add_lines(self, lines: Sequence[CreditLine]) -> list[int]:
        return self._insert_many(o.credit_lines, o.credit_lines.c.line_id,
                                 [_line_row(line) for line in lines])

    def lines(self, line_ids: Sequence[int], *, for_update: bool = False) -> dict[int, CreditLine]:
        """:meth:`line` of many lines, in one read (those that exist)."""
        out = {}
        for chunk in _chunks(line_ids):
            q = select(o.credit_lines).where(o.credit_lines.c.line_id.in_(chunk)) \
                .order_by(o.credit_lines.c.line_id)
            for row in self.conn.execute(q.with_for_update() if for_update else q):
                line = _line(row._mapping)
                out[line.line_id] = line
        return out

    def drawdowns_by_key(self, keys: Sequence[str]) -> dict[str, Drawdown]:
        out = {}
        for chunk in _chunks(keys):
            q = select(o.drawdowns).where(o.drawdowns.c.idempotency_key.in_(chunk))
            for row in self.conn.execute(q):
                drawdown = Drawdown(**row._mapping)
                out[drawdown.idempotency_key] = drawdown
        return out

    def exposures(self, line_ids: Sequence[int]) -> dict[int, Exposure]:
        """:meth:`exposure` of many lines, one grouped read per figure."""
        owed: dict[int, int] = {}
        instalments: dict[int, int] = {}
        for ids in _chunks(line_ids):
            owed.update((int(r[0]), int(r[1] or 0))
                        for r in self.conn.execute(_OWED_MANY, {"ids": ids}))
            instalments.update((int(r[0]), int(r[1] or 0))
                               for r in self.conn.execute(_OPEN_MANY, {"ids": ids}))
        return {lid: Exposure(owed.get(lid, 0), instalments.get(lid, 0)) for lid in line_ids}

    def add_drawdowns(self, drawdowns: Sequence[Drawdown]) -> list[int]:
        rows = [{f.name: getattr(d, f.name) for f in fields(Drawdown) if f.name != "drawdown_id"}
                for d in drawdowns]
        with _key_in_use(", ".join(d.idempotency_key for d in drawdowns[:3])):
            return self._insert_many(o.drawdowns, o.drawdowns.c.drawdown_id, rows)

    # --- credit lines ---------------------------------------------------------------
    def add_line(self, line: CreditLine) -> int:
        return self._add_line_row(_line_row(line))

    def _add_line_row(self, row: dict[str, Any]) -> int:
        pk = self.conn.execute(_INSERT_LINE, row).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def line(self, line_id: int, *, for_update: bool = False) -> CreditLine:
        """A credit line; ``for_update`` locks it until the transaction ends (PostgreSQL;
        SQLite has one writer), so concurrent drawdowns on one line queue up."""
        q = select(o.credit_lines).where(o.credit_lines.c.line_id == line_id)
        row = self.conn.execute(q.with_for_update() if for_update else q).first()
        if row is None:
            raise NotFound(f"credit line {line_id} does not exist",
                           code="credit_line_must_exist", field="line_id")
        return _line(row._mapping)

    def lines_to_review(self, on: dt.date, count_max: int) -> list[CreditLine]:
        c = o.credit_lines.c
        rows = self.conn.execute(select(o.credit_lines).where(
            c.status == LineStatus.ACTIVE.value,
            (c.reviewed_on.is_(None)) | (c.reviewed_on < on)).order_by(c.line_id)
            .limit(count_max)).all()
        return [_line(r._mapping) for r in rows]

    def apply_review(self, review: LimitReview, status: LineStatus, on: dt.date) -> None:
        values: dict[str, Any] = {"status": status.value, "reviewed_on": on}
        if review.limit_after_minor != review.limit_before_minor:
            values.update(limit_minor=review.limit_after_minor, limit_changed_on=on)
        self.conn.execute(_LINE_UPDATE, {"lid": review.line_id, **values})
        self.conn.execute(_INSERT_REVIEW, dict(
            line_id=review.line_id, business_date=on, action=review.action.value,
            limit_before_minor=review.limit_before_minor,
            limit_after_minor=review.limit_after_minor, reasons_json=reasons_json(review.reasons)))

    def reviews(self, line_id: int) -> list[tuple[dt.date, str, int, int]]:
        r = o.limit_reviews.c
        rows = self.conn.execute(select(r.business_date, r.action, r.limit_before_minor,
                                        r.limit_after_minor)
                                 .where(r.line_id == line_id).order_by(r.business_date)).all()
        return [(d, a, int(b), int(x)) for d, a, b, x in rows]

    def exposure(self, line_id: int) -> Exposure:
        owed = self.conn.execute(_OWED, {"line_id": line_id}).scalar_one()
        instalments = self.conn.execute(_INSTALMENTS, {"line_id": line_id}).scalar_one()
        return Exposure(int(owed), int(instalments))

    def line_figures(self, lines: Sequence[CreditLine], on: dt.date,
                     lookback_days: int) -> dict[int, LineFigures]:
        """:meth:`exposure`, :meth:`behaviour`, :meth:`early_warning_bps`,
        :meth:`paid_share_bps` and :meth:`months` of every line in ``lines``, each
        figure read for all of them in one grouped statement (per ``IDS_PER_READ``)."""
        owed: dict[int, int] = {}
        open_: dict[int, tuple[int, int, int]] = {}
        recent: dict[int, int] = {}
        scores: dict[int, int] = {}
        paid: dict[int, tuple[int, int]] = {}
        months: dict[int, list[MonthSummary]] = {}
        since = on - dt.timedelta(days=lookback_days)
        today = to_day(on)
        for ids in _chunks([ln.line_id for ln in lines]):
            run = self.conn.execute
            owed.update((int(r[0]), int(r[1] or 0)) for r in run(_OWED_MANY, {"ids": ids}))
            open_.update((int(r[0]), (int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)))
                         for r in run(_OPEN_MANY, {"ids": ids}))
            recent.update((int(r[0]), int(r[1] or 0))
                          for r in run(_RECENT_BUCKET_MANY, {"ids": ids, "since": since}))
            scores.update((int(r[0]), int(r[1])) for r in run(_EARLY_WARNING_MANY, {"ids": ids})
                          if r[1] is not None)
            paid.update((int(r[0]), (int(r[1]), int(r[2]))) for r in run(
                _PAID_SHARE_MANY, {"ids": ids, "today": today, "first": today - lookback_days}))
        applicants = sorted({ln.applicant_id for ln in lines})
        for ids in _chunks(applicants):
            for r in self.conn.execute(_MONTHS_MANY, {"ids": ids}):
                months.setdefault(int(r[0]), []).append(
                    MonthSummary(r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])))
        out = {}
        for ln in lines:
            lid = ln.line_id
            instalments, dpd, bucket = open_.get(lid, (0, 0, 0))
            outstanding = owed.get(lid, 0)
            due, done = paid.get(lid, (0, 0))
            out[lid] = LineFigures(
                Exposure(outstanding, instalments),
                Behaviour(dpd, Bucket(max(bucket, recent.get(lid, 0))), outstanding),
                scores.get(lid), due, done, tuple(months.get(ln.applicant_id, ())))
        return out

    def apply_reviews(self, verdicts: Sequence[tuple[LimitReview, LineStatus]],
                      on: dt.date) -> None:
        """:meth:`apply_review` of many lines: the line updates (those whose limit
        changed, and the others) and the review records, one batched statement each."""
        same, changed, records = [], [], []
        for review, status in verdicts:
            values: dict[str, Any] = {"lid": review.line_id, "status": status.value,
                                      "reviewed_on": on}
            if review.limit_after_minor != review.limit_before_minor:
                changed.append({**values, "limit_minor": review.limit_after_minor,
                                "limit_changed_on": on})
            else:
                same.append(values)
            records.append(dict(
                line_id=review.line_id, business_date=on, action=review.action.value,
                limit_before_minor=review.limit_before_minor,
                limit_after_minor=review.limit_after_minor,
                reasons_json=reasons_json(review.reasons)))
        for batch in (same, changed):
            if batch:
                self.conn.execute(_LINE_UPDATE, batch)
        if records:
            self.conn.execute(_INSERT_REVIEW, records)

    def behaviour(self, line_id: int, on: dt.date, lookback_days: int) -> Behaviour:
        now = self.conn.execute(_DPD_NOW, {"line_id": line_id}).one()
        since = on - dt.timedelta(days=lookback_days)
        recent = self.conn.execute(_RECENT_BUCKET,
                                   {"line_id": line_id, "since": since}).scalar_one()
        worst = Bucket(max(int(now[1]), int(recent)))
        return Behaviour(int(now[0]), worst, self.exposure(line_id).outstanding_minor)

    # --- drawdowns ------------------------------------------------------------------
    def drawdown_by_key(self, key: str) -> Drawdown | None:
        row = self.conn.execute(select(o.drawdowns)
                                .where(o.drawdowns.c.idempotency_key == key)).first()
        return None if row is None else Drawdown(**row._mapping)

    def drawdowns(self, line_id: int) -> list[Drawdown]:
        rows = self.conn.execute(select(o.drawdowns).where(o.drawdowns.c.line_id == line_id)
                                 .order_by(o.drawdowns.c.drawdown_id)).all()
        return [Drawdown(**r._mapping) for r in rows]

    def add_drawdown(self, drawdown: Drawdown) -> int:
        values = {f.name: getattr(drawdown, f.name) for f in fields(Drawdown)
                  if f.name != "drawdown_id"}
        with _key_in_use(drawdown.idempotency_key):
            pk = self.conn.execute(insert(o.drawdowns).values(**values)).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    # --- merchants' transaction records, as imported ---------------------------------
    def transaction_ids(self, applicant_id: int) -> set[str]:
        m = o.merchant_transactions.c
        rows = self.conn.execute(select(m.transaction_id)
                                 .where(m.applicant_id == applicant_id)).all()
        return {r[0] for r in rows}

    def add_transactions(self, applicant_id: int, records: Sequence[MerchantRecord], *,
                         currency: str, on: dt.date) -> None:
        if not records:
            return
        self.conn.execute(insert(o.merchant_transactions), [
            {"applicant_id": applicant_id, "transaction_id": r.transaction_id,
             "txn_date": r.on, "amount_minor": r.amount_minor, "currency": currency,
             "kind": r.kind.value, "imported_on": on} for r in records])

    def transactions_between(self, applicant_id: int, first: dt.date,
                             last: dt.date) -> list[Transaction]:
        """The stored transactions dated ``first`` to ``last`` (both included)."""
        m = o.merchant_transactions.c
        rows = self.conn.execute(select(m.txn_date, m.amount_minor, m.kind).where(
            m.applicant_id == applicant_id, m.txn_date >= first, m.txn_date <= last)
            .order_by(m.txn_date, m.transaction_id)).all()
        return [Transaction(d, int(a), TransactionKind(k)) for d, a, k in rows]

    # --- consumers' income records, as imported ---------------------------------------
    def income_record_ids(self, applicant_id: int) -> set[str]:
        r = o.income_records.c
        rows = self.conn.execute(select(r.record_id).where(r.applicant_id == applicant_id)).all()
        return {row[0] for row in rows}

    def add_income_records(self, applicant_id: int, records: Sequence[IncomeRecord], *,
                           currency: str, on: dt.date) -> None:
        if not records:
            return
        self.conn.execute(insert(o.income_records), [
            {"applicant_id": applicant_id, "record_id": r.record_id, "month": r.month,
             "amount_minor": r.amount_minor, "currency": currency, "imported_on": on}
            for r in records])

    def income_records(self, applicant_id: int) -> list[IncomeRecord]:
        r = o.income_records.c
        rows = self.conn.execute(select(r.record_id, r.month, r.amount_minor)
                                 .where(r.applicant_id == applicant_id)
                                 .order_by(r.month, r.record_id)).all()
        return [IncomeRecord(i, m, int(a)) for i, m, a in rows]

    # --- the borrower's history with us, for the credit review -----------------------
    def own_history(self, applicant_id: int, on: dt.date) -> OwnHistory:
        """The applicant's record with us: one indexed read of their applications (the
        latest decline, whether any opened a line); their drawdowns are read only
        when they hold a line."""
        params = {"applicant_id": applicant_id, "on": on}
        declined, lines = self.conn.execute(_OWN_APPLICATIONS, params).one()
        if not lines:
            return OwnHistory(0, 0, 0, declined, None)
        ever, opened, payments = self.conn.execute(_OWN_DRAWDOWNS, params).one()
        defaulted = self.conn.execute(_OWN_CHARGED_OFF, params).scalar_one()
        return OwnHistory(int(ever), int(opened), int(payments), declined, defaulted)

    # --- evidence for limit reviews ---------------------------------------------------
    def early_warning_bps(self, line_id: int) -> int | None:
        """The highest early-warning score of the line's open loans (None: unscored)."""
        score = self.conn.execute(_EARLY_WARNING, {"line_id": line_id}).scalar_one()
        return None if score is None else int(score)

    def paid_share_bps(self, line_id: int, on: dt.date, lookback_days: int) -> int | None:
        """The share of the line's instalments due in the look-back window (before
        ``on``) that are paid in full (None: none fell due)."""
        due, done = self.conn.execute(_PAID_SHARE, {
            "line_id": line_id, "today": to_day(on),
            "first": to_day(on) - lookback_days}).one()
        return None if not due else int(done) * 10_000 // int(due)

    def review_history(self, line_id: int) -> list[tuple[dt.date, str, int, int,
                                                         tuple[Reason, ...]]]:
        r = o.limit_reviews.c
        rows = self.conn.execute(select(r.business_date, r.action, r.limit_before_minor,
                                        r.limit_after_minor, r.reasons_json)
                                 .where(r.line_id == line_id).order_by(r.business_date)).all()
        return [(day, a, int(b), int(x), reasons_from(j)) for day, a, b, x, j in rows]

    # --- acceptances ------------------------------------------------------------------
    def add_acceptance(self, acceptance: Acceptance) -> int:
        values = {f.name: getattr(acceptance, f.name) for f in fields(Acceptance)
                  if f.name != "acceptance_id"}
        pk = self.conn.execute(insert(o.drawdown_acceptances)
                               .values(**values)).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def acceptance(self, drawdown_id: int) -> Acceptance | None:
        a = o.drawdown_acceptances
        row = self.conn.execute(select(a).where(a.c.drawdown_id == drawdown_id)).first()
        return None if row is None else Acceptance(**row._mapping)

    def cancel_acceptance(self, drawdown_id: int, on: dt.date) -> None:
        a = o.drawdown_acceptances
        self.conn.execute(update(a).where(a.c.drawdown_id == drawdown_id)
                          .values(cancelled_on=on))

    def drawdown(self, drawdown_id: int) -> Drawdown:
        row = self.conn.execute(select(o.drawdowns)
                                .where(o.drawdowns.c.drawdown_id == drawdown_id)).first()
        if row is None:
            raise NotFound(f"drawdown {drawdown_id} does not exist",
                           code="drawdown_must_exist", field="drawdown_id")
        return Drawdown(**row._mapping)

    def product_jurisdiction(self, code: str) -> str | None:
        """The jurisdiction a product's file names (None: none)."""
        text = self.conn.execute(select(t.products.c.spec_toml)
                                 .where(t.products.c.code == code)).scalar_one_or_none()
        if text is None:
            return None
        value = tomllib.loads(text).get("jurisdiction")
        return value if isinstance(value, str) else None

    # --- front-door monitoring --------------------------------------------------------
    def application_rows(self) -> list[tuple[ApplicationRow, dict[str, object]]]:
        """Every decided application with its feature row."""
        a = o.applications.c
        rows = self.conn.execute(select(a.business_date, a.grade, a.outcome, a.features_json)
                                 .order_by(a.application_id)).all()
        return [(ApplicationRow(day, grade, Outcome(outcome)), json.loads(features))
                for day, grade, outcome, features in rows]

    def loan_rows(self, early_days: int) -> list[LoanRow]:
        """Every loan lent from a line: its grade, the worst days past due it reached
        within ``early_days`` of disbursement, and whether it defaulted (charged off
        or 91 days past due)."""
        d, ln, cl, ev = o.drawdowns.c, t.loans.c, o.credit_lines.c, t.loan_events.c
        events = self.conn.execute(
            select(ev.loan_id, ev.business_date, ev.kind, ev.after)
            .select_from(t.loan_events.join(o.drawdowns, d.loan_id == ev.loan_id))
            .where(ev.kind.in_(("bucket_changed", "status_changed")))).all()
        lent = self.conn.execute(
            select(d.loan_id, d.business_date, cl.grade, ln.status, ln.bucket)
            .select_from(o.drawdowns.join(o.credit_lines, cl.line_id == d.line_id)
                         .join(t.loans, ln.loan_id == d.loan_id))
            .order_by(d.loan_id)).all()
        return _loan_rows(lent, events, early_days)


def _loan_rows(lent: Sequence[Any], events: Sequence[Any], early_days: int) -> list[LoanRow]:
    worst_early: dict[int, int] = {}
    worst_ever: dict[int, int] = {}
    charged: set[int] = set()
    start = {int(r[0]): r[1] for r in lent}
    for loan_id, day, kind, after in events:
        loan_id = int(loan_id)
        if kind == "status_changed":
            if int(after) == int(LoanStatus.CHARGED_OFF):
                charged.add(loan_id)
            continue
        worst_ever[loan_id] = max(worst_ever.get(loan_id, 0), int(after))
        if loan_id in start and (day - start[loan_id]).days <= early_days:
            worst_early[loan_id] = max(worst_early.get(loan_id, 0), int(after))
    rows = []
    for loan_id, day, grade, status, bucket in lent:
        loan_id = int(loan_id)
        early = worst_early.get(loan_id, 0)
        ever = max(worst_ever.get(loan_id, 0), int(bucket))
        defaulted = loan_id in charged or int(status) == int(LoanStatus.CHARGED_OFF) \
            or ever >= Bucket.M4
        rows.append(LoanRow(day, grade, 0 if early == 0 else BUCKET_FIRST_DAYS[early - 1],
                            defaulted))
    return rows
