"""Letters as PDFs: the text a borrower reads (Chinese and English, amounts to the cent
from the loan book and the ledger, every section), and the font really embedded."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from letters_book import DUE, LETTER_DAY, NOW, cjk_text, pdf_text

from dunwell.app.letters.service import issue_letters_for_day, letter_pdf
from dunwell.bootstrap import Dunwell
from dunwell.channels.document import Document, Heading, KeyValues, Paragraph, Qr, Table
from dunwell.core.dates import to_day
from dunwell.ledger.model import Account
from dunwell.providers.pdf import FontMissing, render_pdf
from dunwell.store.letters_repo import LetterRepository

pytestmark = pytest.mark.sqlite_only(reason=(
    "the subject is the PDF rendering of a letter's document; the letter register is tested on "
    "both databases in the other letter tests"))

SAMPLE = Document(
    title="逾期还款提醒函",
    language="zh-CN",
    blocks=(Heading("逾期还款提醒函"), Paragraph("尊敬的张伟：\n您好。Dear Mr Zhang,"),
            KeyValues((("函件编号", "DW-20250302-000001"),)),
            Table(("项目", "金额"), (("本金", "¥461.02"), ("罚息", "¥3.80"))),
            Qr("http://127.0.0.1:8000/letters/verify/ABCD", "扫码核验")),
    footer="私密 · Private and confidential",
)


def fonts(pdf: bytes) -> list[pypdf.generic.DictionaryObject]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            found.append(ref.get_object())
    return found


def yuan(minor: int) -> str:
    return f"¥{minor // 100:,}.{minor % 100:02d}"


def test_a_document_renders_chinese_and_english_text_with_the_font_embedded() -> None:
    pdf = render_pdf(SAMPLE)
    text = pdf_text(pdf)
    assert "尊敬的张伟" in text and "Dear Mr Zhang" in text and "¥461.02" in text
    assert "第 1 页" in text and "Private and confidential" in text
    cjk = [f for f in fonts(pdf) if "WenQuanYi" in str(f["/BaseFont"])]
    assert cjk, "the CJK font is used"
    assert len(cjk) == len(fonts(pdf)), "no other font (such as Helvetica) is referenced"
    for font in cjk:
        # a TrueType subset (name prefixed "ABCDEF+") with its glyphs in a FontFile2
        # stream: not a bare CID font the reader must supply
        assert font["/Subtype"] == "/TrueType"
        assert "+" in str(font["/BaseFont"])
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor
        assert len(descriptor["/FontFile2"].get_object().get_data()) > 1000


def test_the_same_document_gives_the_same_bytes() -> None:
    assert render_pdf(SAMPLE) == render_pdf(SAMPLE)


def test_a_missing_font_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(FontMissing) as err:
        render_pdf(SAMPLE, font_path=tmp_path / "nope.ttc")
    assert err.value.code == "cjk_font_must_be_installed"
    assert "fonts-wqy-zenhei" in err.value.message


def _issue(app: Dunwell) -> dict[int, str]:
    with app.uow() as uow:
        issue_letters_for_day(uow, templates=app.providers.templates(),
                              business_date=LETTER_DAY, now=NOW)
        uow.commit()
    with app.uow() as uow:
        return {x.borrower_id: x.letter_no for x in LetterRepository(uow.conn).listing()}


def test_a_chinese_reminder_states_the_overdue_amounts_of_the_loan_book_to_the_cent(
        overdue_book: Dunwell) -> None:
    letters = _issue(overdue_book)
    pdf = letter_pdf(overdue_book, letters[1])
    text = cjk_text(pdf)
    assert {str(f["/FontDescriptor"].get_object()["/FontName"]).split("+")[1]
            for f in fonts(pdf)} == {"WenQuanYiZenHei-0"}  # only embedded subsets
    with overdue_book.uow() as uow:
        loan = uow.loans.get(1)
        ledger = uow.ledger.balances(loan_id=1)
    # at D+15 only the first instalment is past due
    first = loan.installments[0]
    assert first.due_day == to_day(DUE) < to_day(LETTER_DAY) < loan.installments[1].due_day
    total = first.unpaid_total_minor
    assert first.unpaid_penalty_minor > 0
    # penalty and the origination fee sit only on the overdue instalment: the ledger's
    # receivables equal what the letter states
    assert ledger[Account.PENALTY_RECEIVABLE] == first.unpaid_penalty_minor
    assert ledger[Account.FEE_RECEIVABLE] == first.unpaid_fee_minor
    for amount in (first.unpaid_principal_minor, first.unpaid_interest_minor,
                   first.unpaid_penalty_minor, first.unpaid_fee_minor, total):
        assert yuan(amount) in text
    assert f"逾期应还合计{yuan(total)}" in text
    for section in ("逾期还款提醒函", "私密", "逾期金额明细", "接下来会发生什么",
                    "2025年3月16日前",  # reply date: business date + 14 days
                    "还款计划", "您的权利与投诉渠道", "12378", "联系我们",
                    "如何核实本函真伪", letters[1]):
        assert section in text, section
    for threat in ("起诉", "拘留", "坐牢", "征信黑名单"):
        assert threat not in text


def test_english_letters_carry_their_jurisdiction_s_rights_and_complaint_routes(
        overdue_book: Dunwell) -> None:
    letters = _issue(overdue_book)
    uk = pdf_text(letter_pdf(overdue_book, letters[2]))
    us = pdf_text(letter_pdf(overdue_book, letters[3]))
    for text in (uk, us):
        assert "Private and confidential" in text
        assert "What is overdue" in text and "What happens next" in text
        assert "Ask for a repayment plan" in text and "How to contact us" in text
        assert "How to check this letter is genuine" in text
        assert "CN¥" in text
    assert "Financial Ombudsman Service" in uk and "Breathing Space" in uk
    assert "Consumer Financial Protection Bureau" not in uk
    assert "Consumer Financial Protection Bureau" in us and "Ombudsman" not in us


def test_a_letter_pdf_is_the_same_every_time_it_is_rendered(overdue_book: Dunwell) -> None:
    letters = _issue(overdue_book)
    assert letter_pdf(overdue_book, letters[1]) == letter_pdf(overdue_book, letters[1])
