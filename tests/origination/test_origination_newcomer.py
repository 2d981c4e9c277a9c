"""An applicant not on record is decided first and written after, with its monthly
records, its application and its line (one statement on PostgreSQL): every row reads
back as the decision returned it, on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dunwell.app.lending.book import open_book, register_product
from dunwell.app.origination.service import BORROWER_ID_BASE, submit_application
from dunwell.bootstrap import Dunwell
from dunwell.lending.products import builtin_product_texts
from dunwell.origination.features import summarise
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    MonthSummary,
    Outcome,
    Purpose,
    Transaction,
    TransactionKind,
)
from dunwell.origination.scorecard import builtin_scorecard
from dunwell.store import origination_tables as o

DAY = dt.date(2025, 1, 15)
SALE, REFUND = TransactionKind.SALE, TransactionKind.REFUND


def merchant(reference: str, *, expenses: int, requested: int = 5_000_000) -> Application:
    records = [Transaction(dt.date(2024, m, d), 2_000_000 + 10_000 * m, SALE)
               for m in range(1, 13) for d in (3, 17)]
    records.append(Transaction(dt.date(2024, 6, 9), 30_000, REFUND))
    return Application(
        applicant=Applicant(ApplicantKind.MERCHANT, reference, f"Shop {reference}", "zh-CN"),
        currency="CNY", requested_minor=requested, term_months=12,
        purpose=Purpose.WORKING_CAPITAL, monthly_income_minor=0,
        monthly_expenses_minor=expenses, existing_debt_payments_minor=0,
        transactions=tuple(records))


def consumer(reference: str) -> Application:
    return Application(
        applicant=Applicant(ApplicantKind.CONSUMER, reference, "Li Wei", "en"),
        currency="CNY", requested_minor=2_000_000, term_months=6, purpose=Purpose.PERSONAL,
        monthly_income_minor=1_500_000, monthly_expenses_minor=600_000,
        existing_debt_payments_minor=0,
        income_history_minor=(1_500_000,) * 12)


@pytest.fixture
def book(app: Dunwell) -> Dunwell:
    with app.uow() as uow:
        open_book(uow, business_date=DAY, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    return app


@pytest.mark.parametrize(("application", "outcome"), [
    (merchant("m-approve", expenses=1_000_000), Outcome.APPROVE),
    (merchant("m-decline", expenses=4_500_000), Outcome.DECLINE),
    (consumer("c-1"), None),
])
def test_a_newcomer_reads_back_as_decided(book: Dunwell, application: Application,
                                          outcome: Outcome | None) -> None:
    with book.uow() as uow:
        result = submit_application(uow, application=application, idempotency_key="k-1",
                                    model=builtin_scorecard())
        uow.commit()
    stored = result.application
    if outcome is not None:
        assert stored.decision.outcome is outcome
    with book.uow() as uow:
        repo = uow.origination
        found = repo.applicant(application.applicant.kind, application.applicant.reference)
        assert found == (stored.applicant_id, application.applicant)
        registered = repo.conn.execute(select(o.applicants.c.registered_on).where(
            o.applicants.c.applicant_id == stored.applicant_id)).scalar_one()
        assert registered == DAY
        assert repo.months(stored.applicant_id) == summarise(application.transactions)
        assert repo.application(stored.application_id) == stored
        assert repo.application_by_key("k-1") == stored
        if result.line is None:
            assert stored.credit_line_id is None
        else:
            assert stored.credit_line_id == result.line.line_id
            assert result.line.applicant_id == stored.applicant_id
            assert result.line.application_id == stored.application_id
            assert result.line.borrower_id == BORROWER_ID_BASE + stored.applicant_id
            assert repo.line(result.line.line_id) == result.line


def test_newcomers_after_one_another_take_the_next_ids(book: Dunwell) -> None:
    ids = []
    for k in range(3):
        with book.uow() as uow:
            result = submit_application(
                uow, application=merchant(f"m-{k}", expenses=1_000_000),
                idempotency_key=f"k-{k}", model=builtin_scorecard())
            uow.commit()
        assert result.line is not None
        ids.append((result.application.applicant_id, result.application.application_id,
                    result.line.line_id))
    assert [i[0] for i in ids] == [ids[0][0] + k for k in range(3)]
    assert [i[1] for i in ids] == [ids[0][1] + k for k in range(3)]
    assert [i[2] for i in ids] == [ids[0][2] + k for k in range(3)]


def test_the_first_read_finds_the_application_stored_under_the_key(book: Dunwell) -> None:
    """``intake`` reads the id of the application stored under the key with the book,
    then the application whole: as ``application_by_key`` reads it, line and all."""
    with book.uow() as uow:
        submit_application(uow, application=merchant("m-seen", expenses=100_000),
                           idempotency_key="k-seen", model=builtin_scorecard())
        uow.commit()
    with book.uow() as uow:
        applicant = Applicant(ApplicantKind.MERCHANT, "m-seen", "Shop m-seen", "zh-CN")
        intake = uow.origination.intake("k-seen", applicant)
        stored = uow.origination.application_by_key("k-seen")
        assert intake is not None and stored is not None
        assert intake.seen == stored and stored.credit_line_id is not None
        assert intake.known is not None and intake.known[0] == stored.applicant_id
        fresh = uow.origination.intake("k-new", applicant)
        assert fresh is not None and fresh.seen is None and fresh.products == intake.products


def test_monthly_records_written_positionally_read_back_as_written(book: Dunwell) -> None:
    """On SQLite the months go to the driver as plain tuples in one ``executemany``
    (``_Positional``); every month reads back as the statement would have written it,
    and a month sent again replaces the stored one."""
    from dunwell.store.origination_repo import _positional

    months = summarise(merchant("m-months", expenses=100_000).transactions)
    with book.uow() as uow:
        repo = uow.origination
        dialect = repo.conn.dialect
        assert (_positional(o.merchant_months, dialect) is not None) == (dialect.name == "sqlite")
        applicant_id = repo.add_applicant(Applicant(ApplicantKind.MERCHANT, "m-months", "M"),
                                          DAY)
        repo.put_months(applicant_id, months, replacing=False)
        assert repo.months(applicant_id) == months
        again = (MonthSummary(months[0].month, 1, 2, 3, 4),)
        repo.put_months(applicant_id, again)
        assert repo.months(applicant_id) == again + months[1:]
        rows = repo.conn.execute(select(o.merchant_months.c.month).where(
            o.merchant_months.c.applicant_id == applicant_id)).scalars().all()
        assert sorted(rows) == [m.month for m in months]


def test_rows_inserted_positionally_are_the_rows_the_statements_insert(book: Dunwell) -> None:
    """A newcomer's applicant, application and line, inserted as the driver's own text
    and a tuple (SQLite), are stored as the statements store them: the same values as
    the database holds them (dates as text; the name sealed, so compared opened) and as
    they read back. Each row is inserted both ways, its unique field told apart."""
    from sqlalchemy import Table, insert, text

    with book.uow() as uow:
        made = submit_application(uow, application=merchant("m-both", expenses=100_000),
                                  idempotency_key="k-both", model=builtin_scorecard())
        assert made.line is not None
        repo, conn = uow.origination, uow.origination.conn
        stored_ids = {"applicants": made.application.applicant_id,
                      "applications": made.application.application_id,
                      "credit_lines": made.line.line_id}
        twins: dict[str, tuple[int, int]] = {}
        for table, unique in ((o.applicants, "reference"),
                              (o.applications, "idempotency_key"),
                              (o.credit_lines, "application_id")):
            assert isinstance(table, Table)
            key = next(col.name for col in table.primary_key.columns)
            row = conn.execute(select(table).where(
                table.c[key] == stored_ids[table.name])).one()._asdict()
            del row[key]
            # each line has an application of its own: the two just inserted
            first, second = (twins["applications"] if table is o.credit_lines
                             else (f"{row[unique]}-1", f"{row[unique]}-2"))
            one = repo._insert(table, insert(table), {**row, unique: first})
            pk = conn.execute(insert(table), {**row, unique: second}).inserted_primary_key
            assert pk is not None
            other = int(pk[0])
            twins[table.name] = (one, other)

            def read(k: int, table: Table = table, key: str = key,
                     unique: str = unique) -> dict[str, object]:
                found = conn.execute(select(table).where(table.c[key] == k)).one()._asdict()
                return {c: v for c, v in found.items() if c not in (key, unique)}

            def held(k: int, table: Table = table, key: str = key,
                     unique: str = unique) -> dict[str, object]:
                found = conn.execute(text(f"SELECT * FROM {table.name} WHERE {key} = :k"),
                                     {"k": k}).one()._asdict()
                return {c: v for c, v in found.items() if c not in (key, unique, "name")}

            assert read(one) == read(other) == {c: v for c, v in row.items() if c != unique}
            assert held(one) == held(other)
