"""What a letter says, as data: the arrears of a loan from its instalments, the letter
markup, and every built-in letter in both languages and all three jurisdictions."""

from __future__ import annotations

import datetime as dt

import pytest
from letters_book import LETTER_DAY, NOW

from dunwell.app.letters.service import earliest_visit_date, issue_letter, sender_for
from dunwell.bootstrap import Dunwell
from dunwell.channels.document import Heading, KeyValues, Paragraph, document_text
from dunwell.channels.letter_content import LETTER_KINDS
from dunwell.channels.letters import LetterFacts, document_from_markup, loan_arrears
from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.lending.loans import InstallmentState, LoanState
from dunwell.lending.model import LoanStatus
from dunwell.providers.templating import builtin_templates
from dunwell.settings import Settings

TODAY = dt.date(2025, 3, 2)


def test_arrears_are_the_unpaid_parts_of_instalments_due_before_today() -> None:
    # n  due         principal interest fee  penalty  paid
    # 1  2025-01-15  1000.00   50.00    5.00  2.00    principal 400.00, interest 50.00
    # 2  2025-02-15  1000.00   40.00    0     1.20    nothing
    # 3  2025-03-02  1000.00   30.00    0     0       nothing (due today: not overdue)
    def inst(n: int, due: dt.date, interest: int, fee: int = 0, penalty: int = 0,
             paid_p: int = 0, paid_i: int = 0) -> InstallmentState:
        return InstallmentState(n=n, due_day=to_day(due), accrual_start_day=0,
                                principal_minor=100_000, interest_minor=interest,
                                fee_minor=fee, penalty_minor=penalty,
                                paid_principal_minor=paid_p, paid_interest_minor=paid_i)

    loan = LoanState(loan_id=7, borrower_id=1, product_code="p", currency="CNY",
                     principal_minor=300_000, disbursed_day=0, status=LoanStatus.OVERDUE,
                     installments=(inst(1, dt.date(2025, 1, 15), 5_000, 500, 200,
                                        40_000, 5_000),
                                   inst(2, dt.date(2025, 2, 15), 4_000, penalty=120),
                                   inst(3, TODAY, 3_000)))
    owed = loan_arrears(loan, TODAY)
    assert (owed.principal_minor, owed.interest_minor, owed.fee_minor,
            owed.penalty_minor) == (160_000, 4_000, 500, 320)
    assert owed.total_minor == 164_820
    assert owed.oldest_due_date == dt.date(2025, 1, 15) and owed.days_past_due == 46
    assert owed.outstanding_principal_minor == 260_000


def test_letter_markup_becomes_headings_paragraphs_bullets_and_inserts() -> None:
    text = "# Title\nintro line one\nline two\n\n## Part\n- first\n- second\n[[ref]]\n"
    doc = document_from_markup(title="T", language="en", text=text,
                               inserts={"ref": (KeyValues((("No", "DW-1"),)),)})
    assert doc.blocks == (Heading("Title", 1), Paragraph("intro line one\nline two"),
                          Heading("Part", 2), Paragraph("· first\n· second"),
                          KeyValues((("No", "DW-1"),)))
    with pytest.raises(InvalidInput) as err:
        document_from_markup(title="T", language="en", text="[[missing]]", inserts={})
    assert err.value.code == "letter_insert_must_exist"


def _facts(kind: str, language: str, jurisdiction: str, arrears: bool = True) -> LetterFacts:
    loan = LoanState(loan_id=9, borrower_id=1, product_code="p", currency="CNY",
                     principal_minor=100_000, disbursed_day=0, status=LoanStatus.OVERDUE,
                     installments=(InstallmentState(
                         n=1, due_day=to_day(dt.date(2025, 2, 15)), accrual_start_day=0,
                         principal_minor=100_000, interest_minor=1_234,
                         penalty_minor=56 if arrears else 0,
                         paid_principal_minor=0 if arrears else 100_000,
                         paid_interest_minor=0 if arrears else 1_234),))
    return LetterFacts(letter_no="DW-20250302-000001", kind=kind, language=language,
                       jurisdiction=jurisdiction, business_date=TODAY, borrower_id=1,
                       borrower_name="Li Wei", case_id="c-1",
                       arrears=(loan_arrears(loan, TODAY),),
                       sender=sender_for(Settings(), language),
                       portal_base_url="https://portal.example")


@pytest.mark.parametrize("kind", ["reminder", "visit_notice"])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize(("jurisdiction", "complaint"), [
    ("CN-NIFA", "12378"), ("US-RegF", "(855) 411-2372"), ("UK-FCA", "0800 023 4567")])
def test_every_letter_kind_reads_in_both_languages_for_every_jurisdiction(
        kind: str, language: str, jurisdiction: str, complaint: str) -> None:
    doc = LETTER_KINDS[kind](_facts(kind, language, jurisdiction), builtin_templates())
    text = document_text(doc)
    assert doc.language == language
    assert complaint in text and "https://portal.example" in text
    assert "1,012.90" in text  # principal 1,000.00 + interest 12.34 + penalty 0.56
    assert ("私密" if language == "zh-CN" else "Private and confidential") in doc.footer
    assert "DW-20250302-000001" in text


def test_a_letter_needs_something_overdue_and_a_known_jurisdiction() -> None:
    with pytest.raises(Conflict) as err:
        LETTER_KINDS["reminder"](_facts("reminder", "en", "CN-NIFA", arrears=False),
                                 builtin_templates())
    assert err.value.code == "letter_needs_overdue_amount"
    with pytest.raises(InvalidInput) as bad:
        LETTER_KINDS["reminder"](_facts("reminder", "en", "FR-ACPR"), builtin_templates())
    assert bad.value.code == "letter_jurisdiction_must_be_known"


def test_no_visit_before_the_notice_period_has_run(overdue_book: Dunwell) -> None:
    with overdue_book.uow() as uow:
        assert earliest_visit_date(uow, borrower_id=1) is None
        issue_letter(uow, templates=overdue_book.providers.templates(),
                     borrower_id=1, case_id=None, kind="visit_notice",
                     business_date=LETTER_DAY, now=NOW)
        assert earliest_visit_date(uow, borrower_id=1) == LETTER_DAY + dt.timedelta(days=7)
        assert earliest_visit_date(uow, borrower_id=2) is None
