"""The daily collection run end to end: cases open from COB facts, the humane ladder
proposes, the compliance guard decides, every decision is audited, calls are queued."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dunwell.app.audit import verify
from dunwell.app.cob import close_until
from dunwell.app.collections.collect import Experiment, collect_day
from dunwell.app.collections.contacts import record_promise
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.core.errors import DomainError
from dunwell.lending.products import builtin_product_texts
from dunwell.store import collection_tables as c

START = dt.date(2025, 1, 15)
DUE = dt.date(2025, 2, 15)
NOW = dt.datetime(2025, 2, 1, 6, 0, tzinfo=dt.UTC)
FLAGS = {1: [], 2: [Flag.CEASE_CONTACT], 3: [Flag.VULNERABLE], 4: []}


def book(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000, 12) for b in FLAGS])
        people = uow.borrowers
        for b, flags in FLAGS.items():
            people.put(borrower_id=b, name=f"b{b}", jurisdiction=Jurisdiction.CN_NIFA,
                       timezone="Asia/Shanghai", language="zh-CN", flags=flags)
        uow.actions.put_collector("c-01", "Wang", 30, "09:00", "18:00")
        uow.commit()


def run(app: Dunwell, first: dt.date, last: dt.date, **kw: object) -> None:
    day = first
    while day <= last:
        close_until(app, day - dt.timedelta(days=1))
        collect_day(app, day, now=NOW, **kw)  # type: ignore[arg-type]
        day += dt.timedelta(days=1)


def actions(app: Dunwell) -> list[dict[str, object]]:
    with app.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(c.case_actions).order_by(c.case_actions.c.action_id))]


def steps_of(rows: list[dict[str, object]], borrower: int) -> list[tuple[str, str, str]]:
    return [(str(r["business_date"]), str(r["step_id"]), str(r["decision"]))
            for r in rows if r["borrower_id"] == borrower]


def test_the_humane_ladder_runs_through_the_guard_from_d_minus_3_to_d_plus_3(
        app: Dunwell) -> None:
    book(app)
    run(app, DUE - dt.timedelta(days=3), DUE + dt.timedelta(days=3))
    rows = actions(app)
    assert [s[1] for s in steps_of(rows, 1)] == [
        "pre_due_in_app", "pre_due_sms", "due_day_sms", "d1_sms", "d3_call"]
    assert all(s[2] == "allow" for s in steps_of(rows, 1))
    # cease-contact: nothing is allowed, each refusal names the rule
    ceased = [r for r in rows if r["borrower_id"] == 2]
    assert {(r["decision"], r["rule"]) for r in ceased} == {("deny", "UNIVERSAL-CEASE")}
    # a denial is final for its step: it is not proposed again the next day
    steps = [r["step_id"] for r in ceased]
    assert len(steps) == len(set(steps))
    # vulnerable: the care segment, no payment pressure at all
    care = [r for r in rows if r["borrower_id"] == 3]
    assert care and all("payment_reminder" not in str(r["tags_json"]) for r in care)
    with app.engine.connect() as conn:
        cases = {r.borrower_id: r for r in conn.execute(sa.select(c.cases))}
        tasks = conn.execute(sa.select(c.call_tasks)).all()
    assert set(cases) == {1, 2, 3, 4}
    assert cases[1].opened_on == DUE + dt.timedelta(days=1)
    assert len(tasks) == 2  # the D+3 calls to borrowers 1 and 4
    report = verify(app)
    assert report.intact and report.records == len(rows)


def test_collecting_a_day_twice_changes_nothing(app: Dunwell) -> None:
    book(app)
    run(app, DUE, DUE + dt.timedelta(days=1))
    before = actions(app)
    again = collect_day(app, DUE + dt.timedelta(days=1), now=NOW)
    assert again.replayed
    assert actions(app) == before


def test_a_pending_promise_holds_back_the_call_until_it_breaks(app: Dunwell) -> None:
    book(app)
    run(app, DUE, DUE + dt.timedelta(days=2))
    with app.uow() as uow:
        record_promise(uow, case_id="case-1-20250216", amount_minor=54_861,
                       due_date=DUE + dt.timedelta(days=4), today=DUE + dt.timedelta(days=2),
                       now=NOW)
        uow.commit()
    run(app, DUE + dt.timedelta(days=3), DUE + dt.timedelta(days=6))
    rows = steps_of(actions(app), 1)
    assert not [s for s in rows if s[0] in ("2025-02-18", "2025-02-19", "2025-02-20")]
    # the promise (due Feb 19, one grace day) broke on Feb 21: the call goes out then
    assert ("2025-02-21", "d3_call", "allow") in rows


def test_champion_and_challenger_are_both_used_and_recorded(app: Dunwell) -> None:
    book(app)
    run(app, DUE + dt.timedelta(days=1), DUE + dt.timedelta(days=1),
        experiment=Experiment(challenger="aggressive", share_pct=50, seed=3))
    with app.engine.connect() as conn:
        variants = {r.borrower_id: (r.variant, r.strategy_name)
                    for r in conn.execute(sa.select(c.cases))}
    assert {v for v, _ in variants.values()} == {"champion", "challenger"}
    assert all(name == ("aggressive" if v == "challenger" else "humane")
               for v, name in variants.values())


def test_planning_a_day_the_book_has_not_reached_is_refused(app: Dunwell) -> None:
    book(app)
    with pytest.raises(DomainError) as err:
        collect_day(app, START + dt.timedelta(days=1), now=NOW)
    assert err.value.code == "collect_date_must_not_be_after_open_date"
