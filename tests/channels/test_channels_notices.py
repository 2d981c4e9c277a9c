"""Messages that are not reminders: the care segment's education guides, a receipt
when a payment posts and a confirmation when a repayment plan is agreed — each queued
in the transaction of what caused it, judged by the guard, and sent by dispatch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from dunwell.app.channels.notices import notify_payment
from dunwell.app.channels.outbox import dispatch_outbox
from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.collections.contacts import record_promise
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import receive_payment
from dunwell.app.negotiation.service import accept_offer, approve_offer, assess_hardship, offer_book
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.channels.model import MessageChannel
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.lending.products import builtin_product_texts
from dunwell.negotiation.model import OfferKind
from dunwell.providers.templating import builtin_templates, sample_context
from dunwell.settings import Settings
from dunwell.store import channel_tables as ch
from dunwell.store.collection_tables import case_timeline
from dunwell.store.collections_repo import BorrowerRepository
from dunwell.store.outbox_repo import ChannelFactsRepository

START = dt.date(2025, 1, 15)
DUE = dt.date(2025, 2, 15)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
#: borrower id -> (name, jurisdiction, time zone, language, flags)
PEOPLE = {
    1: ("王芳", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN", [Flag.VULNERABLE]),
    2: ("Olivia Brown", Jurisdiction.UK_FCA, "Europe/London", "en-GB", [Flag.VULNERABLE]),
    3: ("李娜", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN", []),
    4: ("赵磊", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN", [Flag.OPT_OUT_EMAIL]),
}


@pytest.fixture
def book(db_url: str, tmp_path: Path) -> Iterator[Dunwell]:
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING", partitions=2,
                             outbox_dir=tmp_path / "outbox",
                             public_base_url="https://care.dunwell.example"))
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000, 12) for b in PEOPLE])
        people = BorrowerRepository(uow.conn)
        for b, (name, jurisdiction, tz, language, flags) in PEOPLE.items():
            people.put(borrower_id=b, name=name, jurisdiction=jurisdiction, timezone=tz,
                       language=language, flags=flags)
        facts = ChannelFactsRepository(uow.conn)
        for b in PEOPLE:
            facts.set_address(b, MessageChannel.EMAIL, f"borrower{b}@example.org")
        uow.commit()
    yield app
    app.engine.dispose()


def run_days(app: Dunwell, first: dt.date, last: dt.date) -> None:
    day = first
    while day <= last:
        close_until(app, day - dt.timedelta(days=1))
        collect_day(app, day, now=dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC))
        day += dt.timedelta(days=1)


def outbox(app: Dunwell, kind_prefix: str = "") -> list[dict[str, object]]:
    with app.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            sa.select(ch.outbox).order_by(ch.outbox.c.message_id))]
    return [r for r in rows if str(r["kind"]).startswith(kind_prefix)]


def test_the_care_segments_education_step_sends_a_guide_in_the_borrowers_language(
        book: Dunwell) -> None:
    run_days(book, DUE - dt.timedelta(days=3), DUE + dt.timedelta(days=7))
    guides = outbox(book, "education")
    assert [(g["borrower_id"], g["kind"], g["channel"]) for g in guides] == [
        (1, "education_penalty_interest", "in_app"), (2, "education_penalty_interest", "in_app")]
    zh, en = guides
    assert zh["subject"] == "【敦维小额贷款有限公司】罚息是怎样累积的，怎样让它停止增加"
    assert "罚息只按逾期本金计算" in str(zh["body"]) and "王芳您好" in str(zh["body"])
    assert "How penalty interest grows" in str(en["subject"])
    assert "Hi Olivia Brown" in str(en["body"]) and "0.49 a day" in str(en["body"])
    # judged by the guard like every step: the action is allowed and names the rule set
    with book.engine.connect() as conn:
        decisions = conn.execute(sa.text(
            "select decision from case_actions where kind = 'education'")).scalars().all()
    assert decisions == ["allow", "allow"]
    # dispatch sends them once due (11:00 local) and inside the window: 19:30 in Shanghai
    report = dispatch_outbox(book, now=dt.datetime(2025, 2, 22, 11, 30, tzinfo=dt.UTC))
    sent = {r.message_id for r in report.results if r.outcome == "sent"}
    assert {int(str(g["message_id"])) for g in guides} <= sent


def test_the_next_occurrence_sends_the_next_topic(book: Dunwell) -> None:
    run_days(book, DUE + dt.timedelta(days=6), DUE + dt.timedelta(days=37))
    kinds = [(g["borrower_id"], g["kind"]) for g in outbox(book, "education")]
    assert (1, "education_penalty_interest") in kinds and (1, "education_budgeting") in kinds


def test_a_receipt_is_queued_in_the_payments_transaction_and_sent(book: Dunwell) -> None:
    now = dt.datetime(2025, 1, 20, 10, 0, tzinfo=SHANGHAI)
    with book.uow() as uow:
        receive_payment(uow, providers=book.providers, loan_id=3, amount="120.50", currency="CNY",
                        idempotency_key="pay-3-0001", settings=book.settings, now=now)
        # rolled back: neither the payment nor its receipt survives
    assert outbox(book, "payment_received") == []
    with book.uow() as uow:
        receipt = receive_payment(uow, providers=book.providers,
                                  loan_id=3, amount="120.50", currency="CNY",
                                  idempotency_key="pay-3-0001", settings=book.settings,
                                  now=now)
        again = notify_payment(uow, providers=book.providers, payment=receipt.payment,
                               borrower_id=receipt.loan.borrower_id, settings=book.settings,
                               now=now)
        uow.commit()
    rows = outbox(book, "payment_received")
    assert [m.message_id for m in again] == [r["message_id"] for r in rows]  # queued once
    assert [(r["borrower_id"], r["channel"]) for r in rows] == [(3, "in_app"), (3, "email")]
    assert "¥120.50" in str(rows[0]["body"]) and "2025年1月15日" in str(rows[0]["body"])
    assert rows[1]["subject"] == "【敦维小额贷款有限公司】还款到账通知"
    report = dispatch_outbox(book, now=now + dt.timedelta(minutes=5))
    assert [r.outcome for r in report.results] == ["sent", "sent"]


def test_a_receipt_respects_opt_outs_and_the_contact_hours(book: Dunwell) -> None:
    night = dt.datetime(2025, 1, 20, 23, 30, tzinfo=SHANGHAI)
    with book.uow() as uow:
        receipt = receive_payment(uow, providers=book.providers,
                                  loan_id=4, amount="50.00", currency="CNY",
                                  idempotency_key="pay-4-0001", settings=book.settings,
                                  now=night)
        written = notify_payment(uow, providers=book.providers,
                                 payment=receipt.payment, borrower_id=4,
                                 settings=book.settings, now=night)
        uow.commit()
    [in_app] = written  # borrower 4 opted out of e-mail: no e-mail receipt
    assert [r["channel"] for r in outbox(book, "payment_received")] == ["in_app"]
    assert in_app.channel is MessageChannel.IN_APP
    assert in_app.next_attempt_at.astimezone(SHANGHAI) >= dt.datetime(
        2025, 1, 21, 8, 0, tzinfo=SHANGHAI)  # not at night: when the window opens


def test_a_borrower_without_a_profile_gets_no_receipt_and_the_payment_stands(
        book: Dunwell) -> None:
    with book.uow() as uow:
        receipt = receive_payment(uow, providers=book.providers,
                                  loan_id=1, amount="10.00", currency="CNY",
                                  idempotency_key="pay-1-0001")
        assert notify_payment(uow, providers=book.providers,
                              payment=receipt.payment, borrower_id=999,
                              settings=book.settings,
                              now=dt.datetime(2025, 1, 20, 10, 0, tzinfo=SHANGHAI)) == []
        uow.commit()


def test_an_accepted_plan_is_confirmed_in_the_same_transaction(book: Dunwell) -> None:
    run_days(book, DUE - dt.timedelta(days=1), DUE + dt.timedelta(days=14))
    now = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
    case_id = "case-3-20250216"
    assess_hardship(book, case_id=case_id, reason="family_emergency",
                    monthly_income_minor=600_000, essential_expenses_minor=350_000,
                    other_debt_payments_minor=50_000, evidence=[], vulnerable=False,
                    source="collector", now=now)
    offers = offer_book(book, case_id=case_id, business_date=DUE + dt.timedelta(days=14)).offers
    plain = next(o for o in offers if o.offer.kind is OfferKind.INSTALMENT_PLAN)
    approve_offer(book, offer_id=plain.offer_id, approver_id="tl-01", role="team_lead",
                  now=now)
    plan = accept_offer(book, offer_id=plain.offer_id, now=now)
    rows = outbox(book, "plan_confirmation")
    assert [(r["borrower_id"], r["channel"], r["case_id"]) for r in rows] == [
        (3, "in_app", case_id), (3, "email", case_id)]
    body = str(rows[0]["body"])
    assert f"分{plain.offer.months}期还款" in body and "¥" in body and "首期还款日" in body
    assert plan.case_id == case_id


def test_templates_show_money_in_major_units_with_the_currency() -> None:
    book = builtin_templates()
    for name, language in book.names():
        template = book.template(name, language)
        text = template.render(sample_context(template.requires))
        assert "minor unit" not in text.lower(), (name, language)
        if any(v.endswith("_minor") for v in template.requires):
            assert ("¥1,234.50" if language == "zh-CN" else "CN¥1,234.50") in text, name


def test_a_promise_on_the_timeline_reads_in_major_units_with_the_currency(
        book: Dunwell) -> None:
    run_days(book, DUE + dt.timedelta(days=1), DUE + dt.timedelta(days=1))
    day = DUE + dt.timedelta(days=1)
    with book.uow() as uow:
        record_promise(uow, case_id=f"case-3-{day:%Y%m%d}", amount_minor=50_000,
                       due_date=day + dt.timedelta(days=7), today=day,
                       now=dt.datetime(2025, 2, 16, 2, 0, tzinfo=dt.UTC))
        uow.commit()
    with book.engine.connect() as conn:
        timeline = case_timeline.c
        texts = conn.execute(sa.select(timeline.text).where(
            timeline.kind == "promise_made")).scalars().all()
    assert texts == ["promise to pay 500.00 CNY by 2025-02-23"]
