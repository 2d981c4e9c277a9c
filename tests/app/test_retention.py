"""Retention on a real book: the report lists only borrowers past their period (never
one with an open loan or an active legal case), apply anonymises them in audited
batches, keeps the financial records (``book verify`` stays clean, the audit chain
intact), and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from dunwell.app.audit import verify
from dunwell.app.consent import grant
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.lending.payments import quote_payoff, receive_payment
from dunwell.app.lending.verify import verify_book
from dunwell.app.retention import apply, plan, reduce_letter
from dunwell.bootstrap import Dunwell
from dunwell.channels.document import Document, Heading, KeyValues, Paragraph, Table, document_json
from dunwell.channels.model import MessageChannel
from dunwell.compliance.model import Jurisdiction
from dunwell.field.model import Address, GeoPoint
from dunwell.lending.payments import PaymentKind
from dunwell.lending.products import builtin_product_texts
from dunwell.store import channel_tables as ch
from dunwell.store import collection_tables as c
from dunwell.store import consent_tables as ct
from dunwell.store import field_tables as f
from dunwell.store import letter_tables as lt
from dunwell.store import tables as t

START = dt.date(2018, 1, 10)
NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
AS_OF = dt.date(2025, 6, 1)
#: borrower -> (jurisdiction, paid off on the day it was lent)
PEOPLE = {
    1: (Jurisdiction.CN_NIFA, True),   # closed 2018: five years ended 2023 -> due
    2: (Jurisdiction.CN_NIFA, False),  # loan still open -> kept
    3: (Jurisdiction.US_REGF, True),   # closed, but a legal case is active -> kept
    4: (Jurisdiction.UK_FCA, True),    # closed 2018: six years ended 2024 -> due
    5: (Jurisdiction.US_REGF, True),   # closed, but contacted in 2024 -> within 3 years
}
ZONES = {Jurisdiction.CN_NIFA: "Asia/Shanghai", Jurisdiction.US_REGF: "America/New_York",
         Jurisdiction.UK_FCA: "Europe/London"}
LETTER = Document(title="Reminder", language="en", footer="private and confidential", blocks=(
    KeyValues((("Letter no", "L-1"), ("To", "Li Lei"))),
    Paragraph("Li Lei\n12 Garden Road"),
    Heading("What is overdue", 2),
    Table(("loan", "total"), (("1", "CNY 120.00"),)),
))


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def book(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        loans = disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000, 12)
                               for b in PEOPLE])
        for b, (j, _) in PEOPLE.items():
            uow.borrowers.put(borrower_id=b, name=f"Person {b}", jurisdiction=j,
                              timezone=ZONES[j], language="en")
            uow.channel_facts.set_address(b, MessageChannel.SMS, f"+86138000000{b:02d}")
            uow.field.put_address(Address(b, f"{b} Garden Road", GeoPoint(31.2, 121.4)),
                                  at=NOW)
        for loan in loans:
            if PEOPLE[loan.borrower_id][1]:
                loan_id, b = loan.loan_id, loan.borrower_id
                receive_payment(uow, loan_id=loan_id,
                                amount=money(quote_payoff(uow, loan_id=loan_id)),
                                currency="CNY", idempotency_key=f"payoff-{b}",
                                kind=PaymentKind.PAYOFF, providers=app.providers)
        text = document_json(LETTER)
        uow.letters.add(letter_no="L-1", sequence=1, verification_code="ABCD2345",
                        idempotency_key="letter-1", kind="reminder", borrower_id=1,
                        case_id=None, action_id=None, language="en", jurisdiction="CN-NIFA",
                        business_date=START, content_sha256="0" * 64, document_json=text,
                        issued_at=NOW)
        uow.commit()
    grant(app, borrower_id=1, channel="sms", source="call", evidence="recording 77",
          at=dt.datetime(2018, 1, 10, 9, tzinfo=dt.UTC), now=NOW)
    with app.engine.begin() as conn:  # borrower 3's legal case, borrower 5's late contact
        conn.execute(sa.insert(c.cases).values(
            case_id="case-3", borrower_id=3, status="closed", opened_on=START,
            closed_on=START, strategy_name="humane", strategy_version=1, variant="champion"))
        from dunwell.store import legal_tables as lg
        conn.execute(sa.insert(lg.legal_referrals).values(
            case_id="case-3", borrower_id=3, source="manual", status="approved",
            proposed_on=START, proposed_by="ops", proposed_at=NOW.isoformat(),
            days_past_due=120, outstanding_minor=1, currency="CNY", legal_state="filed"))
        conn.execute(sa.insert(c.contacts).values(
            borrower_id=5, ts="2024-02-01T10:00:00-05:00", channel="call",
            direction="inbound", outcome="conversation"))


def dump(app: Dunwell) -> dict[str, list[dict[str, Any]]]:
    tables = (c.borrowers, ch.channel_addresses, ch.outbox, f.borrower_addresses, lt.letters,
              ct.consents, ct.anonymisations, t.loans, t.installments, t.payments,
              t.journal_lines, t.audit_log)
    with app.uow() as uow:
        conn = uow.conn  # type: ignore[attr-defined]
        return {tb.name: [dict(r._mapping) for r in conn.execute(sa.select(tb))]
                for tb in tables}


def test_the_report_lists_only_borrowers_past_their_period(app: Dunwell) -> None:
    book(app)
    before = dump(app)
    found = plan(app, AS_OF)
    assert [(d.borrower_id, d.decision.period.rule, d.retain_until) for d in found.due] == [
        (1, "CN-RECORD", dt.date(2023, 1, 10)), (4, "UK-RECORD", dt.date(2024, 1, 10))]
    assert found.kept == {"a loan is open": 1, "a legal case is active": 1,
                          "within the retention period": 1}
    one = found.due[0].tables
    assert one["borrowers"] == (1, 1)
    assert one["channel_addresses"] == (1, 1)
    assert one["borrower_addresses"] == (1, 3)
    assert one["consents"] == (1, 1)
    assert one["outbox"] == (1, 3)  # the payoff receipt: address, subject, body
    assert one["letters"] == (1, 1)
    assert dump(app) == before  # the report changes nothing
    assert [d.borrower_id for d in plan(app, dt.date(2023, 1, 10)).due] == []
    assert [d.borrower_id for d in plan(app, dt.date(2023, 1, 11)).due] == [1]


def test_apply_anonymises_keeps_the_books_and_runs_once(app: Dunwell) -> None:
    book(app)
    money_before = {k: v for k, v in dump(app).items()
                    if k in ("loans", "installments", "payments", "journal_lines")}
    seen: list[tuple[int, int]] = []
    done = apply(app, AS_OF, now=NOW, batch_size=1, progress=lambda a, b: seen.append((a, b)))
    assert done.anonymised == [1, 4] and seen == [(1, 2), (2, 2)]
    after = dump(app)
    names = {r["borrower_id"]: r["name"] for r in after["borrowers"]}
    assert names == {1: "anonymised", 2: "Person 2", 3: "Person 3", 4: "anonymised",
                     5: "Person 5"}
    assert sorted(r["borrower_id"] for r in after["channel_addresses"]) == [2, 3, 5]
    assert sorted(r["borrower_id"] for r in after["borrower_addresses"]) == [2, 3, 5]
    for message in after["outbox"]:
        if message["borrower_id"] in (1, 4):
            assert (message["to_address"], message["body"], message["subject"]) == (None, "", "")
    letter = json.loads(after["letters"][0]["document_json"])
    assert "Li Lei" not in json.dumps(letter) and "CNY 120.00" in json.dumps(letter)
    assert [r["evidence"] for r in after["consents"]] == [""]
    assert sorted(r["borrower_id"] for r in after["anonymisations"]) == [1, 4]
    assert {k: after[k] for k in money_before} == money_before
    assert verify_book(app).ok
    audit = verify(app)
    assert audit.intact
    kinds = [r["kind"] for r in after["audit_log"]]
    assert kinds.count("anonymisation") == 2

    again = apply(app, AS_OF, now=NOW + dt.timedelta(days=1))
    assert again.anonymised == [] and again.fields == 0
    assert dump(app) == after
    assert plan(app, AS_OF).due == ()


def test_reducing_a_letter_keeps_the_amounts_and_drops_the_person() -> None:
    reduced = reduce_letter(document_json(LETTER))
    assert "Li Lei" not in reduced and "Garden" not in reduced
    assert "CNY 120.00" in reduced and "What is overdue" in reduced
    assert reduce_letter(reduced) == reduced
