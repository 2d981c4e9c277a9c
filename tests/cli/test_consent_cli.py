"""``dunwell consent`` and ``dunwell retention`` as an operator uses them, on SQLite and
PostgreSQL: one line per change, a Rich table per listing, exit 2 with the code on bad
input, and an anonymisation that needs --yes, runs once and leaves the books clean."""

from __future__ import annotations

import datetime as dt

from typer.testing import CliRunner

from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import quote_payoff, receive_payment
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.compliance.model import Jurisdiction
from dunwell.lending.payments import PaymentKind
from dunwell.lending.products import builtin_product_texts

runner = CliRunner()
START = dt.date(2018, 1, 10)


def book(app: Dunwell) -> None:
    """Borrower 1 (CN) repaid in 2018; borrower 2 (CN) still owes."""
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        first, _ = disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 300_000, 12)
                                  for b in (1, 2)])
        for b in (1, 2):
            uow.borrowers.put(borrower_id=b, name=f"Person {b}",
                              jurisdiction=Jurisdiction.CN_NIFA, timezone="Asia/Shanghai",
                              language="en")
        owed = quote_payoff(uow, loan_id=first.loan_id)
        receive_payment(uow, loan_id=first.loan_id, amount=f"{owed // 100}.{owed % 100:02d}",
                        currency="CNY", idempotency_key="payoff-1", kind=PaymentKind.PAYOFF,
                        providers=app.providers)
        uow.commit()


def dunwell(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, [*args, "--db", db_url])
    return result.exit_code, result.output


def test_consents_are_granted_withdrawn_and_listed(app: Dunwell, db_url: str,
                                                   wide_console: None) -> None:
    book(app)
    code, out = dunwell(db_url, "consent", "grant", "1", "--channel", "sms", "--source",
                        "portal", "--evidence", "form-9")
    assert code == 0, out
    assert "consent 1 (borrower by sms, collections) recorded" in out
    code, out = dunwell(db_url, "consent", "grant", "1", "--channel", "sms", "--source",
                        "portal")
    assert code == 0 and "already in force" in out
    code, out = dunwell(db_url, "consent", "list", "1")
    assert code == 0 and "in force" in out and "form-9" in out
    code, out = dunwell(db_url, "consent", "withdraw", "1", "--channel", "sms")
    assert code == 0 and "withdrawn (1)" in out
    code, out = dunwell(db_url, "consent", "withdraw", "1", "--channel", "sms")
    assert code == 0 and "nothing changed" in out
    code, out = dunwell(db_url, "consent", "list", "1")
    assert code == 0 and "withdrawn" in out and "portal / call" in out
    code, out = dunwell(db_url, "consent", "grant", "2", "--channel", "call", "--party",
                        "spouse", "--source", "visit", "--at", "2024-05-01T10:00:00+08:00")
    assert code == 0 and "(spouse by call, collections) recorded since 2024-05-01 02:00" in out


def test_bad_consent_input_exits_2_with_one_line(app: Dunwell, db_url: str) -> None:
    book(app)
    for args, code_text in [
        (("--channel", "pigeon", "--source", "call"), "channel_must_be_known"),
        (("--channel", "sms", "--source", "call", "--party", "cousin"), "party_must_be_known"),
        (("--channel", "sms", "--source", "rumour"), "consent_source_must_be_known"),
        (("--channel", "sms", "--source", "call", "--at", "2025-01-01T10:00"),
         "timestamp_must_carry_offset"),
    ]:
        code, out = dunwell(db_url, "consent", "grant", "1", *args)
        assert code == 2 and code_text in out and out.startswith("error: "), out
    code, out = dunwell(db_url, "consent", "list", "99")
    assert code == 2 and "borrower_must_exist" in out


def test_retention_reports_then_anonymises_once(app: Dunwell, db_url: str,
                                               wide_console: None) -> None:
    book(app)
    code, out = dunwell(db_url, "retention", "report", "--as-of", "2025-06-01")
    assert code == 0, out
    assert "CN-RECORD" in out and "2023-01-10" in out
    assert "1 of 2 borrowers are due" in out and "1 a loan is open" in out
    assert "Nothing was changed" in out
    code, out = dunwell(db_url, "retention", "apply", "--as-of", "2025-06-01")
    assert code == 2 and "confirmation_must_be_given" in out
    code, out = dunwell(db_url, "retention", "report", "--as-of", "2025-06-01")
    assert "1 of 2 borrowers are due" in out  # refused: nothing happened
    code, out = dunwell(db_url, "retention", "apply", "--as-of", "2025-06-01", "--yes")
    assert code == 0 and "1 borrowers anonymised on 2025-06-01" in out, out
    code, out = dunwell(db_url, "retention", "apply", "--as-of", "2025-06-01", "--yes")
    assert code == 0 and "0 borrowers anonymised" in out
    code, out = dunwell(db_url, "retention", "report", "--as-of", "2025-06-01")
    assert "0 of 1 borrowers are due" in out
    code, out = dunwell(db_url, "book", "verify")
    assert code == 0, out
    code, out = dunwell(db_url, "audit", "verify")
    assert code == 0 and "intact" in out
    code, out = dunwell(db_url, "retention", "report", "--as-of", "2025-13-01")
    assert code == 2 and "date_must_be_iso" in out
