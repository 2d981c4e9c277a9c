"""``dunwell cost-cap``: the highest all-in annual cost per product against its cap."""

from __future__ import annotations

import datetime as dt

from typer.testing import CliRunner

from dunwell.app.cob import close_until
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.cost_report import cost_report
from dunwell.bootstrap import Dunwell
from dunwell.cli.cost import percent
from dunwell.cli.main import app as cli
from dunwell.lending.products import builtin_product_texts


def small_book(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=dt.date(2025, 1, 15), partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(1, "consumer_equal_principal_6m", 100_000, 6),
                       LoanRequest(2, "consumer_equal_principal_6m", 2_000_000, 6),
                       LoanRequest(3, "merchant_annuity_12m", 1_200_000, 12)])
        uow.commit()
    close_until(app, dt.date(2025, 1, 24))


def test_the_report_names_the_costliest_loan_of_each_product(app: Dunwell) -> None:
    small_book(app)
    with app.uow() as uow:
        rows = {r.product_code: r for r in cost_report(uow)}
    consumer = rows["consumer_equal_principal_6m"]
    assert consumer.loans == 2 and consumer.above_cap == 0
    assert consumer.highest is not None and consumer.highest.loan_id == 1
    assert consumer.highest.cost_ppm is not None
    assert 239_000 < consumer.highest.cost_ppm <= consumer.cap_ppm == 240_000  # fee cut to fit
    assert rows["shortterm_bullet_1m"].highest is None


def test_the_command_prints_the_table(app: Dunwell, wide_console: None) -> None:
    small_book(app)
    result = CliRunner().invoke(cli, ["cost-cap", "--db", str(app.engine.url)])
    assert result.exit_code == 0, result.output
    assert "consumer_equal_principal_6m" in result.output
    assert "every loan within its cap; closest to its cap: loan 1" in result.output


def test_costs_round_up_and_headroom_rounds_down() -> None:
    assert percent(239_901) == "24.00 %"
    assert percent(99, up=False) == "0.00 %"
    assert percent(-99, up=False) == "-0.01 %"
    assert percent(None) == "-"
