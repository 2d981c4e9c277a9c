"""The evidence bundle of an approved referral: one PDF with every section (in
Chinese and English for a Chinese-speaking borrower), a ZIP of the originals whose
manifest verifies, and tampering that verification catches."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from legal_book import FIRST_DUE, NOW, reach_out, snapshot
from pypdf import PdfReader

from dunwell.app.legal.cases import issue_demand, legal_case, record_legal_event
from dunwell.app.legal.evidence import export_bundle, verify_bundle_file
from dunwell.app.legal.referrals import approve_referral, propose_referral
from dunwell.app.letters.service import letter_pdf, record_letter_event
from dunwell.bootstrap import Dunwell
from dunwell.channels.letters import loan_arrears
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.legal.bundle import BundleFile, pack_bundle
from dunwell.providers.templating import format_day, format_money

DAY = FIRST_DUE + dt.timedelta(days=100)
Book = Callable[[dt.date], dt.date]


def approved(app: Dunwell, borrower: int) -> int:
    case_id = f"case-{borrower}-{DAY:%Y%m%d}"
    with app.uow() as uow:
        ref = propose_referral(uow, case_id=case_id, business_date=DAY, proposed_by="Li Na",
                               now=NOW)
        approve_referral(uow, referral_id=ref.referral_id, approver="Zhao Min",
                         role="legal_counsel", note="all contact exhausted; borrower refuses",
                         business_date=DAY, now=NOW)
        uow.commit()
    return ref.referral_id


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_the_demand_letter_is_a_registered_verifiable_letter_in_the_borrowers_language(
        app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = approved(app, 1)
    with app.uow() as uow:
        letter = issue_demand(uow, templates=app.providers.templates(), referral_id=rid,
                              business_date=DAY, now=NOW)
        again = issue_demand(uow, templates=app.providers.templates(), referral_id=rid,
                              business_date=DAY, now=NOW)
        uow.commit()
    assert again.letter_no == letter.letter_no and letter.kind == "demand"
    assert letter.verification_code
    text = pdf_text(letter_pdf(app, letter.letter_no))
    for words in ("还款催告函", "张伟", "敦维小额贷款有限公司 法务部", "不是法院", "还款方案",
                  "异议", letter.letter_no):
        assert words in text.replace("\n", "")
    for forbidden in ("人民法院", "判决书", "拘留", "坐牢"):
        assert forbidden not in text
    # the debt broken down, from the loan book; principal not yet due is not demanded
    with app.uow() as uow:
        owed = loan_arrears(uow.loans.get(1), DAY)
        not_due = uow.loans.get(1).outstanding_principal_minor - owed.principal_minor
    flat = text.replace("\n", "")
    for minor in (owed.total_minor, owed.principal_minor, owed.interest_minor,
                  owed.penalty_minor, owed.fee_minor):
        assert format_money(minor, "CNY", language="zh-CN") in flat
    assert f"尚未到期的剩余本金为{format_money(not_due, 'CNY', language='zh-CN')}" in flat
    assert f"请您于{format_day(DAY + dt.timedelta(days=15), language='zh-CN')}之前" in flat


def test_an_english_speaking_borrower_gets_the_english_demand(
        app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 2, DAY)
    rid = approved(app, 2)
    with app.uow() as uow:
        letter = issue_demand(uow, templates=app.providers.templates(), referral_id=rid,
                              business_date=DAY, now=NOW)
        uow.commit()
    text = " ".join(pdf_text(letter_pdf(app, letter.letter_no)).split())
    assert "Formal demand for payment" in text
    assert "It is not a document from a court" in text
    assert "repayment plan" in text


def test_the_bundle_holds_every_section_and_verifies(app: Dunwell, overdue_book: Book,
                                                     tmp_path: Path) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = approved(app, 1)
    with app.uow() as uow:
        letter = issue_demand(uow, templates=app.providers.templates(), referral_id=rid,
                              business_date=DAY, now=NOW)
        record_letter_event(uow, letter_no=letter.letter_no, event="printed", at=NOW)
        record_letter_event(uow, letter_no=letter.letter_no, event="dispatched", at=NOW,
                            method="post")
        record_letter_event(uow, letter_no=letter.letter_no, event="delivered", at=NOW,
                            proof="EMS tracking EA123456789CN signed")
        record_legal_event(uow, referral_id=rid, event="filed", on=DAY, cost_minor=50_000,
                           recorded_by="Zhao Min", now=NOW, court="上海市浦东新区人民法院",
                           reference="(2025)沪0115民初1234号")
        uow.commit()
    out = export_bundle(app, referral_id=rid, out_dir=tmp_path, now=NOW)
    text = pdf_text(out.pdf_path.read_bytes()).replace("\n", "")
    for heading in ("合同条款", "Contract terms", "还款计划", "Payment history",
                    "Collection actions and compliance decisions", "Contact log",
                    "Letters and proof of delivery", "Field visits",
                    "Repayment offers and plans", "Referral and approval",
                    "Legal case events and costs"):
        assert heading in text, heading
    assert "张伟" in text and "Zhao Min" in text
    assert "EA123456789CN" in text  # the delivery proof
    assert "Audit chain check" in text and "intact" in text
    assert "无记录" in text  # no visits, no offers: said, not left out
    zf = zipfile.ZipFile(out.zip_path)
    names = zf.namelist()
    assert {"manifest.json", "manifest.sha256", "evidence.pdf", "referral.json",
            f"letters/{letter.letter_no}.pdf", "sections/01_contract_terms.csv",
            "sections/10_legal_events.csv"} <= set(names)
    manifest = json.loads(zf.read("manifest.json"))
    assert {e["name"] for e in manifest["files"]} == set(names) - {"manifest.json",
                                                                    "manifest.sha256"}
    assert "50000" not in zf.read("sections/10_legal_events.csv").decode()
    assert "500.00" in zf.read("sections/10_legal_events.csv").decode()
    check = verify_bundle_file(out.zip_path, app=app)
    assert check.intact and check.registered and check.check.files_checked == len(names) - 2


def test_tampering_with_a_file_in_the_zip_is_detected(app: Dunwell, overdue_book: Book,
                                                      tmp_path: Path) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = approved(app, 1)
    out = export_bundle(app, referral_id=rid, out_dir=tmp_path, now=NOW)
    src = zipfile.ZipFile(out.zip_path)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "sections/03_payments.csv":
                data += b"999,1,2025-05-01,payment,6000.00,forged,\n"
            dst.writestr(name, data)
    check = verify_bundle_file(forged, app=app)
    assert not check.intact
    assert [p.split(":")[0] for p in check.check.problems] == [
        "sections/03_payments.csv", "sections/03_payments.csv"]  # its size and its digest
    assert "the file was changed" in check.check.problems[1]


def test_a_rebuilt_manifest_is_caught_because_the_book_never_exported_it(
        app: Dunwell, overdue_book: Book, tmp_path: Path) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = approved(app, 1)
    out = export_bundle(app, referral_id=rid, out_dir=tmp_path, now=NOW)
    src = zipfile.ZipFile(out.zip_path)
    manifest = json.loads(src.read("manifest.json"))
    files = [BundleFile(e["name"], src.read(e["name"]) + (b"x" if e["name"] == "referral.json"
                                                          else b""), e["description"])
             for e in manifest["files"]]
    rebuilt = tmp_path / "rebuilt.zip"
    rebuilt.write_bytes(pack_bundle(files, referral_id=rid, case_id=manifest["case_id"],
                                    generated_at=manifest["generated_at"]).zip_bytes)
    check = verify_bundle_file(rebuilt, app=app)
    assert check.check.intact and check.registered is False and not check.intact


def test_legal_events_costs_add_up_and_bad_events_change_nothing(
        app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = approved(app, 1)
    with app.uow() as uow:
        record_legal_event(uow, referral_id=rid, event="filed", on=DAY, cost_minor=50_000,
                           recorded_by="Zhao Min", now=NOW, court="Court", reference="R-1")
        uow.commit()
    before = snapshot(app)
    for event, cost, code in (("enforcement", 0, "legal_case_transition_must_be_allowed"),
                              ("hearing", -100, "legal_cost_must_not_be_negative"),
                              ("appeal", 0, "legal_event_must_be_known")):
        with pytest.raises(DomainError) as err, app.uow() as uow:
            record_legal_event(uow, referral_id=rid, event=event, on=DAY, cost_minor=cost,
                               recorded_by="Zhao Min", now=NOW)
        assert err.value.code == code
        assert snapshot(app) == before
    with app.uow() as uow:
        record_legal_event(uow, referral_id=rid, event="judgment",
                           on=DAY + dt.timedelta(days=40), cost_minor=12_000,
                           recorded_by="Zhao Min", now=NOW + dt.timedelta(days=40),
                           note="judgment for the lender")
        # the same event again is acknowledged, not recorded twice
        record_legal_event(uow, referral_id=rid, event="judgment",
                           on=DAY + dt.timedelta(days=40), cost_minor=12_000,
                           recorded_by="Zhao Min", now=NOW + dt.timedelta(days=40),
                           note="judgment for the lender")
        view = legal_case(uow, referral_id=rid)
        uow.commit()
    # the filing's key reused for another event is refused, not taken as a repeat
    with pytest.raises(DomainError) as err, app.uow() as uow:
        record_legal_event(uow, referral_id=rid, event="closed", on=DAY + dt.timedelta(days=50),
                           cost_minor=0, recorded_by="Zhao Min", now=NOW + dt.timedelta(days=50),
                           idempotency_key=_key_of(app, rid))
    assert err.value.code == "legal_event_key_must_match_its_event"
    assert [s.event.event.value for s in view.events] == ["filed", "judgment"]
    assert view.total_cost_minor == 62_000
    assert view.allowed_next == ("closed", "enforcement", "settled")


def _key_of(app: Dunwell, referral_id: int) -> str:
    """The key the first event of ``referral_id`` was recorded under."""
    with app.engine.connect() as conn:
        return str(conn.exec_driver_sql(
            "SELECT idempotency_key FROM legal_events WHERE referral_id = "
            f"{int(referral_id)} ORDER BY event_id").first()[0])


def test_a_legal_event_dated_in_the_future_is_refused(app: Dunwell, overdue_book: Book) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    rid = approved(app, 1)
    later = NOW.date() + dt.timedelta(days=400)
    with app.uow() as uow, pytest.raises(InvalidInput) as err:
        record_legal_event(uow, referral_id=rid, event="filed", on=later, cost_minor=0,
                           recorded_by="Zhao Min", now=NOW)
    assert err.value.code == "date_must_be_within_limits"
    assert err.value.details["field"] == "on"
