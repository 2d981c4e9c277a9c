"""``dunwell book verify``: a sound book passes every check, and each kind of damage
is named by the check that owns it."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from typer.testing import CliRunner

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment
from dunwell.app.lending.verify import verify_book
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.core.dates import to_day
from dunwell.lending.products import builtin_product_texts
from dunwell.store import tables as t

START = dt.date(2025, 1, 15)


def small_book(app: Dunwell) -> list[int]:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        loans = disburse(uow, [LoanRequest(7, "merchant_annuity_12m", 1_200_000, 12),
                               LoanRequest(8, "merchant_annuity_12m", 600_000, 12)])
        uow.commit()
    close_until(app, dt.date(2025, 3, 20))
    with app.uow() as uow:
        receive_payment(uow, loan_id=loans[0].loan_id, amount="500.00", currency="CNY",
                        idempotency_key="verify-pay-1", providers=app.providers)
        uow.commit()
    return [ln.loan_id for ln in loans]


def failed(app: Dunwell) -> dict[str, list[object]]:
    report = verify_book(app)
    return {c.name: c.offending for c in report.checks if not c.ok}


def test_a_sound_book_passes_every_check(app: Dunwell) -> None:
    small_book(app)
    report = verify_book(app)
    assert report.ok, report.as_json()
    assert [c.name for c in report.checks] == [
        "entries_balance", "ledger_sums_to_zero", "loans_match_journal",
        "payments_posted_once", "idempotency_keys_once", "loans_closed_within_book_date"]


def test_an_instalment_changed_behind_the_ledger_names_the_loan(app: Dunwell) -> None:
    first, _ = small_book(app)
    with app.engine.begin() as conn:
        conn.execute(sa.update(t.installments)
                     .where(t.installments.c.loan_id == first, t.installments.c.n == 1)
                     .values(penalty_minor=t.installments.c.penalty_minor + 7))
    bad = failed(app)
    assert list(bad) == ["loans_match_journal"]
    assert f"loan {first} penalty_receivable" in str(bad["loans_match_journal"][0])


def test_an_unbalanced_line_fails_the_entry_and_the_ledger_total(app: Dunwell) -> None:
    small_book(app)
    with app.engine.begin() as conn:
        entry_id = conn.execute(sa.select(t.payments.c.entry_id)).scalar_one()
        conn.execute(sa.insert(t.journal_lines).values(entry_id=entry_id, account=1,
                                                       loan_id=None, amount_minor=3))
    bad = failed(app)
    assert set(bad) == {"entries_balance", "ledger_sums_to_zero", "payments_posted_once"}
    assert entry_id in str(bad["entries_balance"])


def test_a_loan_closed_beyond_the_book_date_is_named(app: Dunwell) -> None:
    _, second = small_book(app)
    with app.engine.begin() as conn:
        conn.execute(sa.update(t.loans).where(t.loans.c.loan_id == second)
                     .values(last_cob_day=to_day(dt.date(2025, 4, 30))))
    bad = failed(app)
    assert list(bad) == ["loans_closed_within_book_date"]
    assert f"loan {second} closed through" in str(bad["loans_closed_within_book_date"])


def test_an_open_loan_that_cob_missed_is_named(app: Dunwell) -> None:
    first, _ = small_book(app)
    with app.engine.begin() as conn:
        conn.execute(sa.update(t.loans).where(t.loans.c.loan_id == first)
                     .values(last_cob_day=t.loans.c.last_cob_day - 1))
    assert list(failed(app)) == ["loans_closed_within_book_date"]


def test_the_command_exits_1_on_an_unsound_book_and_prints_json(app: Dunwell,
                                                                 db_url: str) -> None:
    first, _ = small_book(app)
    runner = CliRunner()
    ok = runner.invoke(cli, ["book", "verify", "--json", "--db", db_url])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    with app.engine.begin() as conn:
        conn.execute(sa.update(t.loans).where(t.loans.c.loan_id == first)
                     .values(suspense_minor=1))
    bad = runner.invoke(cli, ["book", "verify", "--json", "--db", db_url])
    assert bad.exit_code == 1
    body = json.loads(bad.stdout)
    assert body["ok"] is False
    assert [c["name"] for c in body["checks"] if not c["ok"]] == ["loans_match_journal"]
