"""The borrower portal's hardship form: a signed-in borrower who got our letter types
its verification code, tells us what happened and their money each month, and sees the
plans they can afford. A wrong code, someone else's letter or a missing amount
re-shows the form with what was wrong and records nothing; nobody signed in is sent
to sign in."""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from letters_book import LETTER_DAY

from access import token_headers
from dunwell.api.app import create_app
from dunwell.bootstrap import Dunwell
from dunwell.store.letters_repo import LetterRepository
from dunwell.store.negotiation_tables import hardship_assessments

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


def code_of_borrower(app: Dunwell, borrower_id: int) -> str:
    with app.uow() as uow:
        [letter] = LetterRepository(uow.conn).listing(borrower_id=borrower_id,
                                                       business_date=LETTER_DAY)
    return letter.verification_code


def assessments(app: Dunwell) -> list[tuple[int, str, str]]:
    with app.engine.connect() as conn:
        rows = conn.execute(sa.select(hardship_assessments.c.borrower_id,
                                      hardship_assessments.c.source,
                                      hardship_assessments.c.reason)).all()
    return [tuple(r) for r in rows]


def form(code: str, *, income: str = "8000.00", expenses: str = "3000.00",
         vulnerable: bool = False) -> dict[str, str]:
    fields = {"code": code, "reason": "family_emergency", "income": income,
              "expenses": expenses, "other_debts": "500.00"}
    if vulnerable:
        fields["vulnerable"] = "yes"
    return fields


def signed_in(app: Dunwell, borrower_id: int = 1) -> TestClient:
    """A client signed in as the borrower (an API token; the browser's session cookie
    is tested in tests/identity)."""
    return TestClient(create_app(dunwell=app), headers=token_headers(app, "borrower",
                                                                      borrower_id=borrower_id))


def test_the_form_asks_in_chinese_and_english(overdue_book: Dunwell) -> None:
    with signed_in(overdue_book) as client:
        page = client.get("/portal/hardship")
    assert page.status_code == 200
    for words in ("信函验证码", "Verification code", "每月收入", "Monthly income",
                  'name="income"', 'name="expenses"', "family_emergency", 'name="csrf_token"'):
        assert words in page.text


def test_nobody_signed_in_is_sent_to_sign_in_and_nothing_is_recorded(
        overdue_book: Dunwell) -> None:
    code = code_of_borrower(overdue_book, 1)
    with TestClient(create_app(dunwell=overdue_book)) as client:
        page = client.get("/portal/hardship", headers={"Accept": "text/html"})
        sent = client.post("/portal/hardship", data=form(code))
    assert page.status_code == 401 and "/portal/sign-in" in page.text
    assert sent.status_code == 401
    assert assessments(overdue_book) == []


def test_someone_elses_letter_is_refused_and_records_nothing(overdue_book: Dunwell) -> None:
    code = code_of_borrower(overdue_book, 1)
    with signed_in(overdue_book, borrower_id=2) as client:
        page = client.post("/portal/hardship", data=form(code))
    assert page.status_code == 403 and "letter_must_be_addressed_to_you" in page.text
    assert assessments(overdue_book) == []


def test_a_borrower_with_our_letter_gets_affordable_plans(overdue_book: Dunwell) -> None:
    code = code_of_borrower(overdue_book, 1)
    with signed_in(overdue_book) as client:
        page = client.post("/portal/hardship", data=form(code.lower().replace("-", " ")))
    assert page.status_code == 201, page.text
    assert "您的还款方案" in page.text and "<table>" in page.text
    assert "<strong>4500.00</strong>" in page.text  # 8,000 - 3,000 - 500 left each month
    assert "分期还款，利息冻结 · Instalments, interest frozen" in page.text
    assert assessments(overdue_book) == [(1, "portal", "family_emergency")]


def test_a_code_we_never_issued_records_nothing(overdue_book: Dunwell) -> None:
    code = code_of_borrower(overdue_book, 1)
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    with signed_in(overdue_book) as client:
        wrong = client.post("/portal/hardship", data=form(typo))
        fake = client.post("/portal/hardship", data=form("<script>alert(1)</script>"))
    assert wrong.status_code == 422 and "letter_code_must_be_genuine" in wrong.text
    assert fake.status_code == 422 and "<script>alert" not in fake.text
    assert "&lt;script&gt;" in fake.text  # what was typed comes back, escaped
    assert assessments(overdue_book) == []


def test_a_missing_amount_re_shows_the_form_and_records_nothing(
        overdue_book: Dunwell) -> None:
    code = code_of_borrower(overdue_book, 1)
    with signed_in(overdue_book) as client:
        page = client.post("/portal/hardship", data=form(code, income=" "))
        bad = client.post("/portal/hardship", data=form(code, expenses="12.345"))
    assert page.status_code == 422 and "portal_amount_required" in page.text
    assert f'value="{code}"' in page.text  # what the borrower typed is kept
    assert bad.status_code == 422
    assert assessments(overdue_book) == []


def test_a_borrower_who_asks_for_extra_care_is_flagged_for_the_guard(
        overdue_book: Dunwell) -> None:
    code = code_of_borrower(overdue_book, 1)
    with signed_in(overdue_book) as client:
        page = client.post("/portal/hardship", data=form(code, vulnerable=True))
    assert page.status_code == 201
    with overdue_book.engine.connect() as conn:
        flags = conn.execute(sa.text("SELECT flags_json FROM borrowers WHERE borrower_id = 1")
                             ).scalar_one()
    assert "vulnerable" in flags
