"""Letters a borrower can trust: the lender named the same way everywhere and reachable
at the configured address, phone and hours in the letter's language; a postal address
block for the borrower; no web address a borrower cannot open; and a verification
page, named by the letter, that takes a typed code over real HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator

import httpx
import pytest
from letters_book import DUE, LETTER_DAY, NOW, cjk_text, open_small_book, pdf_text, run_collections

from dunwell.app.letters.sender import is_loopback_url, public_base_url
from dunwell.app.letters.service import letter_document, letter_facts, letter_pdf
from dunwell.bootstrap import Dunwell
from dunwell.channels.document import document_text
from dunwell.channels.letter_content import LETTER_KINDS
from dunwell.channels.verification import grouped
from dunwell.field.model import Address
from dunwell.providers.pdf import render_pdf
from dunwell.providers.templating import builtin_templates
from dunwell.settings import Settings
from dunwell.store.field_repo import FieldRepository
from dunwell.store.letters_repo import LetterRepository
from serving import serve

LENDER = {
    "lender_legal_name": "Harbour Street Lending Ltd.",
    "lender_legal_name_zh": "港街小额贷款有限公司",
    "lender_postal_address": "Customer Care; 12 Harbour Street; Ningbo 315000, China",
    "lender_postal_address_zh": "浙江省宁波市海曙区港街12号; 客户关怀部; 邮编 315000",
    "lender_phone": "400-123-4567",
    "lender_email": "care@harbour-lending.cn",
    "lender_hours": "Monday to Saturday, 08:30-17:30",
    "lender_hours_zh": "周一至周六 8:30-17:30",
}
PUBLIC = "https://care.harbour-lending.cn"
HOME_ZH = "浙江省宁波市江北区人民路88号3栋502室"
HOME_EN = "Flat 2, 14 Mill Lane; Leeds LS1 4AB; United Kingdom"


def _build(app: Dunwell) -> None:
    open_small_book(app)
    with app.uow() as uow:
        field = FieldRepository(uow.conn)
        field.put_address(Address(1, HOME_ZH, None), at=NOW)
        field.put_address(Address(2, HOME_EN, None), at=NOW)
        uow.commit()
    run_collections(app, DUE - dt.timedelta(days=3), LETTER_DAY)


@pytest.fixture
def public_book(prebuilt: Callable[..., Dunwell]) -> Dunwell:
    """The letter book with the lender's details and a public portal address."""
    return prebuilt(_build, **LENDER, public_base_url=PUBLIC)


@pytest.fixture
def loopback_book(prebuilt: Callable[..., Dunwell]) -> Dunwell:
    """The same book left on the development default (the portal on 127.0.0.1)."""
    return prebuilt(_build, **LENDER)


def _letter(app: Dunwell, borrower_id: int) -> str:
    with app.uow() as uow:
        [letter] = LetterRepository(uow.conn).listing(borrower_id=borrower_id,
                                                      business_date=LETTER_DAY)
    return letter.letter_no


def test_a_loopback_address_is_never_a_public_address_unless_allowed() -> None:
    assert is_loopback_url("http://127.0.0.1:8000") and is_loopback_url("http://localhost")
    assert is_loopback_url("http://[::1]:8000") and not is_loopback_url(PUBLIC)
    assert public_base_url(Settings()) == ""
    assert public_base_url(Settings(public_base_url=PUBLIC + "/")) == PUBLIC
    assert public_base_url(Settings(public_url_loopback_allowed=True)) == "http://127.0.0.1:8000"


def test_the_chinese_letter_names_the_lender_its_address_and_hours_in_chinese(
        public_book: Dunwell) -> None:
    text = cjk_text(letter_pdf(public_book, _letter(public_book, 1)))
    for words in ("港街小额贷款有限公司", "浙江省宁波市海曙区港街12号", "周一至周六8:30-17:30",
                  "400-123-4567", "张伟", "浙江省宁波市江北区人民路88号3栋502室",
                  "care.harbour-lending.cn/letters/verify", "/portal/learn", "/portal/hardship"):
        assert words in text, words
    for never in ("Monday", "Dunwell", "postal address set by", "127.0.0.1", "Harbour Street"):
        assert never not in text, never


def test_the_english_letter_carries_the_postal_block_and_the_lenders_details(
        public_book: Dunwell) -> None:
    text = pdf_text(letter_pdf(public_book, _letter(public_book, 2)))
    assert "Olivia Brown Flat 2, 14 Mill Lane Leeds LS1 4AB United Kingdom" in text
    for words in ("Harbour Street Lending Ltd.", "12 Harbour Street", "Monday to Saturday",
                  f"{PUBLIC}/letters/verify", f"{PUBLIC}/portal/learn"):
        assert words in text, words
    assert "127.0.0.1" not in text and "Dunwell" not in text


def test_a_letter_on_the_loopback_default_shows_no_address_and_sends_the_reader_to_the_phone(
        loopback_book: Dunwell) -> None:
    for borrower_id in (1, 2, 3):
        text = pdf_text(letter_pdf(loopback_book, _letter(loopback_book, borrower_id)))
        assert "127.0.0.1" not in text and "http" not in text
        assert "400-123-4567" in " ".join(text.split())
    english = pdf_text(letter_pdf(loopback_book, _letter(loopback_book, 3)))
    assert "read out the letter number and the verification code" in english
    assert "James Miller (no postal address on file" in english


def test_a_letter_shows_a_local_address_only_when_development_allows_it(
        loopback_book: Dunwell) -> None:
    letter_no = _letter(loopback_book, 2)
    allowed = dataclasses.replace(loopback_book.settings, public_url_loopback_allowed=True)
    with loopback_book.uow() as uow:
        default = letter_document(uow, letter_no, loopback_book.settings)
        local = letter_document(uow, letter_no, allowed)
    assert "127.0.0.1" not in pdf_text(render_pdf(default))
    assert "http://127.0.0.1:8000/letters/verify" in pdf_text(render_pdf(local))


def test_the_reminder_the_visit_notice_and_the_demand_name_the_lender_alike(
        public_book: Dunwell) -> None:
    with public_book.uow() as uow:
        names = {}
        for language, borrower_id in (("zh-CN", 1), ("en", 2)):
            facts = letter_facts(uow, letter_no="DW-20250302-000099", kind="reminder",
                                 borrower_id=borrower_id, case_id=None,
                                 business_date=LETTER_DAY, settings=public_book.settings)
            texts = [document_text(LETTER_KINDS[kind](facts, builtin_templates()))
                     for kind in ("reminder", "visit_notice", "demand")]
            names[language] = texts
    for text in names["zh-CN"]:
        assert "港街小额贷款有限公司" in text and "敦维" not in text
    for text in names["en"]:
        assert "Harbour Street Lending Ltd." in text and "Dunwell" not in text
    assert "港街小额贷款有限公司 法务部" in names["zh-CN"][2]
    assert "Legal Department, Harbour Street Lending Ltd." in names["en"][2]


@pytest.fixture
def served(public_book: Dunwell) -> Iterator[str]:
    """The app served by uvicorn on a free 127.0.0.1 port, for the test's duration."""
    with serve(public_book) as url:
        yield url


def test_the_page_the_letter_names_takes_a_typed_code_over_http(
        public_book: Dunwell, served: str) -> None:
    letter_no = _letter(public_book, 1)
    with public_book.uow() as uow:
        code = LetterRepository(uow.conn).get(letter_no).verification_code
    named = pdf_text(letter_pdf(public_book, letter_no))
    assert f"{PUBLIC}/letters/verify" in named
    with httpx.Client(base_url=served, timeout=10) as http:
        form = http.get("/letters/verify")
        assert form.status_code == 200
        assert 'name="code"' in form.text and 'action="/letters/verify"' in form.text
        assert "核验码" in form.text and "Verification code" in form.text
        typed = " ".join(grouped(code).lower().split("-"))  # as a person might type it
        answer = http.get("/letters/verify", params={"code": typed})
        assert answer.status_code == 200
        assert "真实有效 · Genuine" in answer.text and letter_no in answer.text
        assert "张*" in answer.text and "¥" not in answer.text
        by_path = http.get(f"/letters/verify/{grouped(code)}")
        assert "Genuine" in by_path.text and 'name="code"' in by_path.text
        forged = http.get("/letters/verify", params={"code": "ABCD-EFGH-JKMN-PQRS"})
        assert forged.status_code == 200 and "Not genuine" in forged.text
        assert "400-123-4567" in forged.text


def test_the_guides_the_reminder_points_to_are_pages_in_both_languages(
        public_book: Dunwell, served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        index = http.get("/portal/learn")
        assert index.status_code == 200
        for topic in ("penalty_interest", "budgeting", "rights", "fake_collectors"):
            assert f"/portal/learn/{topic}" in index.text
        guide = http.get("/portal/learn/penalty_interest")
        assert guide.status_code == 200
        assert "罚息是怎样累积的" in guide.text and "How penalty interest grows" in guide.text
        assert "0.49" in guide.text and "退订" not in guide.text
        rights = http.get("/portal/learn/rights", params={"lang": "en", "region": "US"})
        assert "Consumer Financial Protection Bureau" in rights.text
        fake = http.get("/portal/learn/fake_collectors")
        assert f"{PUBLIC}/letters/verify" in fake.text
        assert http.get("/portal/learn/lottery").status_code == 404
