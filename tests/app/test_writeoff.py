"""Writing a loan off through the unit of work and the command line, on every backend.

One 12-month annuity of 12,000.00 CNY booked on 2025-01-15 is left unpaid through
2025-05-01 (three instalments overdue, the oldest 75 days), then charged off.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment
from dunwell.app.lending.writeoff import WriteOffStatus, entry_ids, write_off
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.core.errors import DomainError
from dunwell.ledger.model import Account
from dunwell.lending.model import LoanStatus
from dunwell.lending.products import builtin_product_texts
from dunwell.store import tables as t

START = dt.date(2025, 1, 15)
NOW = dt.datetime(2025, 5, 2, 9, 0, tzinfo=dt.UTC)
RECEIVABLES = (Account.PRINCIPAL_RECEIVABLE, Account.INTEREST_RECEIVABLE,
               Account.PENALTY_RECEIVABLE, Account.FEE_RECEIVABLE)


def overdue_loan(app: Dunwell) -> int:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=1, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        (loan,) = disburse(uow, [LoanRequest(7, "merchant_annuity_12m", 1_200_000, 12)])
        uow.commit()
    close_until(app, dt.date(2025, 5, 1))
    return loan.loan_id


def row_counts(app: Dunwell) -> dict[str, int]:
    with app.engine.connect() as conn:
        return {tbl.name: conn.execute(sa.select(sa.func.count()).select_from(tbl)).scalar_one()
                for tbl in (t.loans, t.installments, t.journal_entries, t.journal_lines,
                            t.audit_log)}


def test_an_overdue_loan_moves_its_whole_receivable_to_write_off(app: Dunwell) -> None:
    loan_id = overdue_loan(app)
    with app.uow() as uow:
        owed = uow.ledger.balances(loan_id=loan_id)
        result = write_off(uow, loan_id=loan_id, reason="borrower deceased, no estate",
                           idempotency_key="wo-1", now=NOW)
        uow.commit()
    with app.uow() as uow:
        after = uow.ledger.balances(loan_id=loan_id)
        loan = uow.loans.get(loan_id)
        audit = list(uow.audit.records())
    assert result.status is WriteOffStatus.POSTED
    assert result.written_off.principal_minor == owed[Account.PRINCIPAL_RECEIVABLE] == 1_200_000
    assert result.written_off.total_minor == sum(owed.get(a, 0) for a in RECEIVABLES)
    assert all(after.get(a, 0) == 0 for a in RECEIVABLES)
    assert after[Account.WRITE_OFF] == result.written_off.total_minor
    assert loan.status is LoanStatus.CHARGED_OFF
    assert loan.version == result.loan.version
    assert audit[-1].kind == "loan_written_off"
    assert json.loads(audit[-1].payload_json)["reason"] == "borrower deceased, no estate"


def test_a_write_off_replayed_with_its_key_returns_the_first_result(app: Dunwell) -> None:
    loan_id = overdue_loan(app)
    with app.uow() as uow:
        first = write_off(uow, loan_id=loan_id, reason="fraud", idempotency_key="wo-1",
                          now=NOW)
        uow.commit()
    before = row_counts(app)
    with app.uow() as uow:
        again = write_off(uow, loan_id=loan_id, reason="fraud", idempotency_key="wo-1",
                          now=NOW)
        uow.commit()
    assert again.status is WriteOffStatus.REPLAYED
    assert (again.entry_id, again.written_off, again.business_date) == (
        first.entry_id, first.written_off, first.business_date)
    assert again.entry_id == entry_ids("wo-1")[0]
    assert row_counts(app) == before


def test_the_same_key_with_another_reason_is_a_named_rejection(app: Dunwell) -> None:
    loan_id = overdue_loan(app)
    with app.uow() as uow:
        write_off(uow, loan_id=loan_id, reason="fraud", idempotency_key="wo-1", now=NOW)
        uow.commit()
    with app.uow() as uow, pytest.raises(DomainError) as err:
        write_off(uow, loan_id=loan_id, reason="deceased", idempotency_key="wo-1", now=NOW)
    assert err.value.code == "idempotency_key_must_match_original_request"


def test_a_charged_off_loan_refuses_payments_and_a_second_write_off(app: Dunwell) -> None:
    loan_id = overdue_loan(app)
    with app.uow() as uow:
        write_off(uow, loan_id=loan_id, reason="fraud", idempotency_key="wo-1", now=NOW)
        uow.commit()
    before = row_counts(app)
    with app.uow() as uow, pytest.raises(DomainError) as paying:
        receive_payment(uow, loan_id=loan_id, amount="100.00", currency="CNY",
                        idempotency_key="late-pay", providers=app.providers)
    with app.uow() as uow, pytest.raises(DomainError) as again:
        write_off(uow, loan_id=loan_id, reason="fraud", idempotency_key="wo-2", now=NOW)
    assert paying.value.code == again.value.code == "loan_must_be_open"
    assert row_counts(app) == before


def test_cob_leaves_a_charged_off_loan_alone(app: Dunwell) -> None:
    loan_id = overdue_loan(app)
    with app.uow() as uow:
        write_off(uow, loan_id=loan_id, reason="fraud", idempotency_key="wo-1", now=NOW)
        uow.commit()
    with app.uow() as uow:
        before = (uow.loans.get(loan_id), uow.ledger.balances(loan_id=loan_id))
    close_until(app, dt.date(2025, 6, 30))
    with app.uow() as uow:
        assert (uow.loans.get(loan_id), uow.ledger.balances(loan_id=loan_id)) == before


@pytest.mark.parametrize(("reason", "key", "code"), [
    ("", "wo-1", "write_off_reason_must_be_given"),
    ("fraud", " ", "idempotency_key_must_be_present"),
])
def test_a_write_off_without_reason_or_key_is_refused(app: Dunwell, reason: str, key: str,
                                                      code: str) -> None:
    loan_id = overdue_loan(app)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        write_off(uow, loan_id=loan_id, reason=reason, idempotency_key=key, now=NOW)
    assert err.value.code == code


def test_the_command_line_writes_off_and_names_a_replay(app: Dunwell, wide_console: None) -> None:
    loan_id = overdue_loan(app)
    url = app.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    args = ["write-off", str(loan_id), "--reason", "fraud", "--key", "cli-1", "--db", url]
    first = runner.invoke(cli, args)
    again = runner.invoke(cli, args)
    other = runner.invoke(cli, ["write-off", str(loan_id), "--reason", "deceased", "--key",
                                "cli-1", "--db", url])
    assert first.exit_code == 0, first.output
    assert "posted" in first.output and "12000.00" in first.output
    assert again.exit_code == 0 and "replayed" in again.output
    assert other.exit_code == 2
    assert "idempotency_key_must_match_original_request" in other.output
