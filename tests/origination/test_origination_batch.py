"""The batch path of origination (``submit_applications``, ``draw_down_many``) decides,
reviews, writes and numbers exactly as the one-by-one commands do; the limit review's
grouped reads give every line the figures its per-line reads give.

The same applications go through both paths on two fresh books: one by one on a
SQLite book, in batches on the test's own database (SQLite, and PostgreSQL when
configured). Results and every row written (applicants, their months, applications,
credit lines, drawdowns, loans, instalments, the ledger) must be equal.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.lending.book import open_book, register_product
from dunwell.app.origination.service import (
    ApplicationRequest,
    ApplicationResult,
    DrawdownResult,
    DrawRequest,
    draw_down,
    draw_down_many,
    origination_for,
    submit_application,
    submit_applications,
)
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.core.errors import DomainError
from dunwell.core.money import format_minor
from dunwell.lending.products import builtin_product_texts
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Purpose,
    Transaction,
    TransactionKind,
)
from dunwell.settings import Settings
from dunwell.store import origination_tables as o
from dunwell.store import tables as t

START = dt.date(2025, 1, 15)
COUNT = 40
LOOKBACK = 90


def applications(seed: int = 5) -> list[ApplicationRequest]:
    """Merchants and consumers of all kinds of means, a repeated applicant, a replayed
    key and a merchant applying again with fresh records."""
    rng = random.Random(seed)
    out = []
    for i in range(COUNT):
        if i % 2 == 0:
            sales = rng.choice((800_000, 3_000_000, 6_000_000, 20_000_000))
            records = tuple(
                Transaction(dt.date(2024, m, d), sales // 2, TransactionKind.SALE)
                for m in range(1, 13)
                for d in (5, 20)
                if rng.random() > 0.05
            )
            a = Application(
                Applicant(ApplicantKind.MERCHANT, f"m-{i}", f"商户{i}", "zh-CN"),
                "CNY",
                sales // 2 // 100 * 100,
                12,
                Purpose.WORKING_CAPITAL,
                0,
                sales * rng.choice((30, 60, 95)) // 100,
                0,
                records,
            )
        else:
            income = rng.choice((300_000, 800_000, 2_000_000))
            history = tuple(income + rng.randrange(-50_000, 50_000) for _ in range(6))
            a = Application(
                Applicant(ApplicantKind.CONSUMER, f"c-{i}", f"Consumer {i}", "en"),
                "CNY",
                income * 2 // 100 * 100,
                6,
                Purpose.PERSONAL,
                income,
                income * rng.choice((30, 45, 90)) // 100,
                rng.choice((0, 0, income // 3)),
                income_history_minor=history if i % 7 else (),
            )
        out.append(ApplicationRequest(a, f"apply-{i}"))
    again = out[2].application
    out.append(ApplicationRequest(again, "apply-2"))  # a replay
    out.append(ApplicationRequest(out[5].application, "apply-5-again"))  # applies twice
    more = (Transaction(dt.date(2025, 1, 5), 4_000_000, TransactionKind.SALE),)
    out.append(
        ApplicationRequest(
            Application(
                again.applicant, "CNY", 1_000_000, 12, Purpose.WORKING_CAPITAL, 0, 500_000, 0, more
            ),
            "apply-2-more",
        )
    )
    return out


def draws(decided: list[ApplicationResult]) -> list[DrawRequest]:
    out = []
    for k, result in enumerate(decided):
        line = result.line
        if line is None or result.status.value != "created":
            continue
        first = line.limit_minor * 60 // 100 // 10_000 * 10_000
        amounts = (first, first // 2 // 10_000 * 10_000, first // 4 // 10_000 * 10_000)
        tried = tuple(a for a in amounts if a >= 50_000)
        if tried:
            out.append(
                DrawRequest(line.line_id, tried, result.application.term_months, f"draw-{k}")
            )
    return out


def opened(app: Dunwell) -> Dunwell:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        uow.commit()
    return app


def one_by_one(app: Dunwell) -> tuple[list[Any], list[Any]]:
    origination = origination_for(app.settings)
    requests = applications()
    with app.uow() as uow:
        decided = [
            submit_application(
                uow,
                application=r.application,
                idempotency_key=r.idempotency_key,
                model=origination.model,
                policy=origination.policy,
                bureau=app.providers.bureau,
            )
            for r in requests
        ]
        drawn: list[Any] = []
        for r in draws(decided):
            result: DrawdownResult | DomainError | None = None
            for amount in r.amounts_minor:
                try:
                    result = draw_down(
                        uow,
                        line_id=r.line_id,
                        amount=format_minor(amount, "CNY"),
                        term_months=r.term_months,
                        idempotency_key=r.idempotency_key,
                        policy=origination.policy,
                    )
                    break
                except DomainError as exc:
                    result = exc
            drawn.append(result)
        uow.commit()
    return decided, drawn


def batched(app: Dunwell) -> tuple[list[Any], list[Any]]:
    origination = origination_for(app.settings)
    requests = applications()
    with app.uow() as uow:
        decided = []
        for lo in range(0, len(requests), 16):  # several batches, one cut by a repeat
            decided += submit_applications(
                uow,
                requests[lo : lo + 16],
                model=origination.model,
                policy=origination.policy,
                bureau=app.providers.bureau,
            )
        drawn = draw_down_many(uow, draws(decided), policy=origination.policy)
        uow.commit()
    return decided, drawn


def rows(app: Dunwell) -> dict[str, list[tuple[Any, ...]]]:
    tables = (
        o.applicants,
        o.merchant_months,
        o.applications,
        o.credit_lines,
        o.drawdowns,
        t.products,
        t.loans,
        t.installments,
        t.journal_lines,
    )
    out = {}
    with app.engine.connect() as conn:
        for table in tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return out


def outcome(result: Any) -> Any:
    if isinstance(result, DomainError):
        return ("refused", result.code)
    return result


def test_the_batch_path_decides_and_writes_as_one_by_one(
    app: Dunwell, tmp_path: Path, _sqlite_template: Path
) -> None:
    path = tmp_path / "one-by-one.sqlite"
    shutil.copyfile(_sqlite_template, path)
    reference = opened(
        bootstrap(Settings(db_url=f"sqlite:///{path}", partitions=3, log_level="WARNING"))
    )
    try:
        decided_one, drawn_one = one_by_one(reference)
        decided_many, drawn_many = batched(opened(app))
        assert decided_many == decided_one
        assert [outcome(r) for r in drawn_many] == [outcome(r) for r in drawn_one]
        assert sum(isinstance(r, DrawdownResult) for r in drawn_one) >= COUNT // 4
        assert any(r.status.value == "replayed" for r in decided_one)
        assert rows(app) == rows(reference)
    finally:
        reference.engine.dispose()


def test_the_grouped_review_figures_are_each_lines_own(app: Dunwell) -> None:
    batched(opened(app))
    close_until(app, dt.date(2025, 3, 20))  # instalments fall due, some are missed
    on = dt.date(2025, 3, 20)
    with app.uow() as uow:
        repo = uow.origination
        lines = repo.lines_to_review(on, 1_000)
        figures = repo.line_figures(lines, on, LOOKBACK)
        assert len(lines) >= COUNT // 4
        for line in lines:
            f = figures[line.line_id]
            assert f.exposure == repo.exposure(line.line_id)
            assert f.behaviour == repo.behaviour(line.line_id, on, LOOKBACK)
            assert f.early_warning_bps == repo.early_warning_bps(line.line_id)
            assert f.paid_share_bps == repo.paid_share_bps(line.line_id, on, LOOKBACK)
            assert f.months == repo.months(line.applicant_id)
        assert repo.exposures([ln.line_id for ln in lines]) == {
            ln.line_id: repo.exposure(ln.line_id) for ln in lines
        }
