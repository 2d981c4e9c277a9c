"""The credit review's read of an applicant's history with us (lines opened, open
loans and their instalments, the latest decline, the latest charge-off) gives what the
plain join over every drawdown gives, on a book with lines, drawdowns, a decline and
a charged-off loan — on every backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, insert, select, update

from dunwell.app.lending.book import open_book, register_product
from dunwell.app.origination.service import draw_down, submit_application
from dunwell.bootstrap import Dunwell
from dunwell.lending.model import LoanStatus
from dunwell.lending.products import builtin_product_texts
from dunwell.origination.credit_review import OwnHistory
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Outcome,
    Purpose,
    Transaction,
    TransactionKind,
)
from dunwell.origination.scorecard import builtin_scorecard
from dunwell.store import origination_tables as o
from dunwell.store import tables as t
from dunwell.store.origination_repo import OPEN_STATUSES, OriginationRepository

START = dt.date(2025, 1, 15)
DAY = dt.date(2025, 1, 15)


def approved_line(app: Dunwell) -> int:
    """A merchant with 60,000.00 of sales a month and 30,000.00 of expenses: a line."""
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=3, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        records = tuple(
            Transaction(dt.date(2024, m, 10), 6_000_000, TransactionKind.SALE) for m in range(1, 13)
        )
        a = Application(
            Applicant(ApplicantKind.MERCHANT, "m-noodles", "Noodle House"),
            "CNY",
            5_000_000,
            12,
            Purpose.WORKING_CAPITAL,
            0,
            3_000_000,
            0,
            records,
        )
        result = submit_application(
            uow, application=a, idempotency_key="app-1", model=builtin_scorecard()
        )
        uow.commit()
    assert result.line is not None
    return result.line.line_id


def reference(conn: Any, applicant_id: int, on: dt.date) -> OwnHistory:
    """Every drawdown joined to its line and loan, filtered by the line's applicant."""
    d, ln, cl, ap, ev = (
        o.drawdowns.c,
        t.loans.c,
        o.credit_lines.c,
        o.applications.c,
        t.loan_events.c,
    )
    theirs = o.drawdowns.join(o.credit_lines, cl.line_id == d.line_id).join(
        t.loans, ln.loan_id == d.loan_id
    )
    ever, opened, payments = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((ln.status.in_(OPEN_STATUSES), 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((ln.status.in_(OPEN_STATUSES), d.instalment_minor), else_=0)), 0
            ),
        )
        .select_from(theirs)
        .where(cl.applicant_id == applicant_id)
    ).one()
    declined = conn.execute(
        select(func.max(ap.business_date)).where(
            ap.applicant_id == applicant_id,
            ap.outcome == Outcome.DECLINE.value,
            ap.business_date <= on,
        )
    ).scalar_one()
    defaulted = conn.execute(
        select(func.max(ev.business_date))
        .select_from(theirs.join(t.loan_events, ev.loan_id == d.loan_id))
        .where(
            cl.applicant_id == applicant_id,
            ev.kind == "status_changed",
            ev.after == int(LoanStatus.CHARGED_OFF),
        )
    ).scalar_one()
    return OwnHistory(int(ever), int(opened), int(payments), declined, defaulted)


def both(app: Dunwell, applicant_id: int, on: dt.date = START) -> tuple[OwnHistory, OwnHistory]:
    with app.engine.connect() as conn:
        return OriginationRepository(conn).own_history(applicant_id, on), reference(
            conn, applicant_id, on
        )


def declined_application(app: Dunwell, reference_: str, key: str) -> int:
    """A merchant whose expenses exceed its sales: declined."""
    records = tuple(
        Transaction(dt.date(2024, m, 10), 1_000_000, TransactionKind.SALE) for m in range(1, 13)
    )
    a = Application(
        Applicant(ApplicantKind.MERCHANT, reference_, "Thin Margins"),
        "CNY",
        500_000,
        12,
        Purpose.WORKING_CAPITAL,
        0,
        2_000_000,
        0,
        records,
    )
    with app.uow() as uow:
        result = submit_application(
            uow, application=a, idempotency_key=key, model=builtin_scorecard()
        )
        uow.commit()
    assert result.application.decision.outcome is Outcome.DECLINE
    return result.application.applicant_id


def test_a_new_applicant_and_a_declined_one_read_as_the_join_does(app: Dunwell) -> None:
    approved_line(app)
    declined = declined_application(app, "m-thin", "app-thin")
    mine, want = both(app, declined)
    assert mine == want and mine.last_decline_on == START
    mine, want = both(app, declined, START - dt.timedelta(days=1))  # the decline is later
    assert mine == want and mine.last_decline_on is None
    assert both(app, 999)[0] == both(app, 999)[1] == OwnHistory(0, 0, 0, None, None)


def test_lines_drawdowns_and_a_charge_off_read_as_the_join_does(app: Dunwell) -> None:
    line_id = approved_line(app)
    declined_application(app, "m-thin", "app-thin")  # another applicant's history
    loans = []
    for k, amount in enumerate(("20000.00", "15000.00", "5000.00")):
        with app.uow() as uow:
            loans.append(
                draw_down(
                    uow, line_id=line_id, amount=amount, term_months=12, idempotency_key=f"dd-{k}"
                ).loan.loan_id
            )
            uow.commit()
    with app.engine.connect() as conn:
        applicant_id = OriginationRepository(conn).line(line_id).applicant_id
    mine, want = both(app, applicant_id)
    assert mine == want and (mine.loans_ever, mine.open_loans) == (3, 3)
    assert mine.monthly_payments_minor > 0
    with app.engine.begin() as conn:  # one loan charged off, one repaid
        conn.execute(
            update(t.loans)
            .where(t.loans.c.loan_id == loans[0])
            .values(status=int(LoanStatus.CHARGED_OFF))
        )
        conn.execute(
            update(t.loans)
            .where(t.loans.c.loan_id == loans[1])
            .values(status=int(LoanStatus.PAID_OFF))
        )
        conn.execute(
            insert(t.loan_events).values(
                loan_id=loans[0],
                business_date=DAY,
                kind="status_changed",
                before=int(LoanStatus.DISBURSED),
                after=int(LoanStatus.CHARGED_OFF),
            )
        )
    mine, want = both(app, applicant_id)
    assert mine == want
    assert (mine.loans_ever, mine.open_loans, mine.last_default_on) == (3, 1, DAY)
