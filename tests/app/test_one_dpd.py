"""Days past due have one truth: the loan view, the collection facts and a reversed
payment all say the same number as of the book's open date."""

from __future__ import annotations

import datetime as dt
import re

from typer.testing import CliRunner

from dunwell.app.cob import close_until
from dunwell.app.commands import run_command
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment, reverse_payment
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.lending.delinquency import dpd_on
from dunwell.lending.products import builtin_product_texts

START = dt.date(2025, 1, 15)


def facts_dpd(app: Dunwell) -> dict[int, int]:
    with app.uow() as uow:
        today = uow.book.require().business_date
        facts, _ = uow.loan_facts.facts(today)
    return {int(ln.loan_id): ln.days_past_due for loans in facts.values() for ln in loans}


def views_dpd(app: Dunwell, ids: list[int]) -> dict[int, int]:
    with app.uow() as uow:
        today = uow.book.require().business_date
        return {i: dpd_on(uow.loans.get(i), today) for i in ids}


def test_the_loan_the_case_facts_and_a_reversal_agree(app: Dunwell, db_url: str,
                                                       wide_console: None) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        loans = disburse(uow, [LoanRequest(7 + k, "merchant_annuity_12m", 1_200_000, 12)
                               for k in range(3)])
        uow.commit()
    ids = [ln.loan_id for ln in loans]
    close_until(app, dt.date(2025, 3, 20))  # two due dates passed, nothing paid
    assert facts_dpd(app) == views_dpd(app, ids)
    assert set(views_dpd(app, ids).values()) == {dt.date(2025, 3, 21).toordinal()
                                                 - dt.date(2025, 2, 15).toordinal()}
    paid = run_command(app, lambda uow: receive_payment(
        uow, loan_id=ids[0], amount="1200.00", currency="CNY", idempotency_key="dpd-1",
        providers=app.providers))
    assert facts_dpd(app) == views_dpd(app, ids)
    run_command(app, lambda uow: reverse_payment(
        uow, payment_id=paid.payment.payment_id, reason="bounced"))
    close_until(app, dt.date(2025, 3, 22))
    assert facts_dpd(app) == views_dpd(app, ids)
    shown = CliRunner().invoke(cli, ["loan", str(ids[0]), "--db", db_url])
    assert shown.exit_code == 0, shown.output
    match = re.search(r"DPD (\d+)", shown.stdout)
    assert match is not None and int(match.group(1)) == views_dpd(app, ids)[ids[0]]
