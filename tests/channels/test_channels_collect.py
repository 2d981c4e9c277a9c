"""The daily collection run writes its messages in its own transaction: a step the
guard allows on SMS, e-mail or in-app becomes one outbox row in the borrower's
language, due in the guard's window; if the run fails, no message survives it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.lending.products import builtin_product_texts
from dunwell.settings import Settings
from dunwell.store import channel_tables as ch
from dunwell.store import collection_tables as c
from dunwell.store.collections_repo import BorrowerRepository

START = dt.date(2025, 1, 15)
DUE = dt.date(2025, 2, 15)
NOW = dt.datetime(2025, 2, 1, 6, 0, tzinfo=dt.UTC)
PEOPLE = {
    1: ("王芳", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN", []),
    2: ("Olivia Brown", Jurisdiction.UK_FCA, "Europe/London", "en-GB", []),
    3: ("李娜", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh", [Flag.CEASE_CONTACT]),
}


@pytest.fixture
def book(db_url: str, tmp_path: Path) -> Iterator[Dunwell]:
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING", partitions=2,
                             outbox_dir=tmp_path / "outbox"))
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000, 12) for b in PEOPLE])
        people = BorrowerRepository(uow.conn)
        for b, (name, jurisdiction, tz, language, flags) in PEOPLE.items():
            people.put(borrower_id=b, name=name, jurisdiction=jurisdiction, timezone=tz,
                       language=language, flags=flags)
        uow.commit()
    yield app
    app.engine.dispose()


def run(app: Dunwell, day: dt.date) -> None:
    close_until(app, day - dt.timedelta(days=1))
    collect_day(app, day, now=NOW)


def outbox(app: Dunwell) -> list[dict[str, object]]:
    with app.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(ch.outbox).order_by(ch.outbox.c.message_id))]


def allowed_message_steps(app: Dunwell) -> list[tuple[int, str]]:
    a = c.case_actions.c
    with app.engine.connect() as conn:
        return [(int(r.borrower_id), r.kind) for r in conn.execute(
            sa.select(a.borrower_id, a.kind).where(
                a.decision == "allow",
                a.kind.in_(["sms_reminder", "email_reminder", "in_app_reminder",
                            "hardship_outreach"])).order_by(a.action_id))]


def test_each_allowed_message_step_becomes_one_outbox_row_in_the_borrowers_language(
        book: Dunwell) -> None:
    run(book, DUE - dt.timedelta(days=3))  # the humane ladder's D-3 in-app reminder
    rows = outbox(book)
    assert [(r["borrower_id"], r["kind"]) for r in rows] == allowed_message_steps(book)
    assert {r["borrower_id"] for r in rows} == {1, 2}  # 3 asked for contact to cease
    by_borrower = {r["borrower_id"]: r for r in rows}
    zh, en = by_borrower[1], by_borrower[2]
    assert zh["language"] == "zh-CN" and "王芳您好" in str(zh["body"])
    assert "2025年2月15日" in str(zh["body"]) and "¥" in str(zh["body"])
    assert en["language"] == "en" and "15 February 2025" in str(en["body"])
    assert all(r["status"] == "pending" and r["channel"] == "in_app" for r in rows)
    # due at the planned 10:00 local time, and only until the guard's window closes
    assert zh["next_attempt_at"] == "2025-02-12T02:00:00.000000+00:00"
    assert en["next_attempt_at"] == "2025-02-12T10:00:00.000000+00:00"
    assert zh["not_after"] is not None and str(zh["not_after"]) > str(zh["next_attempt_at"])
    action_ids = {r["action_id"] for r in rows}
    with book.engine.connect() as conn:
        kinds = dict(conn.execute(sa.select(c.case_actions.c.action_id, c.case_actions.c.kind)
                                  .where(c.case_actions.c.action_id.in_(action_ids))).all())
    assert set(kinds.values()) == {"in_app_reminder"}


def test_an_sms_step_writes_a_text_without_amounts(book: Dunwell) -> None:
    run(book, DUE - dt.timedelta(days=3))
    run(book, DUE - dt.timedelta(days=1))  # the D-1 SMS
    sms = [r for r in outbox(book) if r["channel"] == "sms"]
    assert {r["borrower_id"] for r in sms} == {1, 2}
    for row in sms:
        assert "¥" not in str(row["body"]) and "CN¥" not in str(row["body"])
    assert any("回复TD退订" in str(r["body"]) for r in sms)
    assert any("Reply STOP" in str(r["body"]) for r in sms)


def test_running_a_day_again_writes_no_second_message(book: Dunwell) -> None:
    run(book, DUE - dt.timedelta(days=3))
    before = len(outbox(book))
    collect_day(book, DUE - dt.timedelta(days=3), now=NOW)
    assert len(outbox(book)) == before > 0


def test_a_run_that_fails_leaves_no_message_behind(book: Dunwell) -> None:
    close_until(book, DUE - dt.timedelta(days=4))

    def crash_after_first_borrower(done: int, total: int) -> None:
        if done == 2:
            raise RuntimeError("the run broke half-way")

    with pytest.raises(RuntimeError):
        collect_day(book, DUE - dt.timedelta(days=3), now=NOW,
                    progress=crash_after_first_borrower)
    assert outbox(book) == []
    assert allowed_message_steps(book) == []
    run(book, DUE - dt.timedelta(days=3))  # the same day, run properly
    assert len(outbox(book)) == 2
