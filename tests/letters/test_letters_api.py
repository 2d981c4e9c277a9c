"""The portal's check: GET /v1/letters/verify/{code}, and the page the QR code opens."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from letters_book import LETTER_DAY, NOW

from dunwell.api.app import create_app
from dunwell.app.letters.service import issue_letters_for_day, verify_url
from dunwell.bootstrap import Dunwell
from dunwell.channels.verification import grouped
from dunwell.store.letters_repo import LetterRepository

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def portal(overdue_book: Dunwell) -> Iterator[tuple[TestClient, str]]:
    with overdue_book.uow() as uow:
        issue_letters_for_day(uow, templates=overdue_book.providers.templates(),
                              business_date=LETTER_DAY, now=NOW)
        uow.commit()
        code = LetterRepository(uow.conn).listing()[0].verification_code
    with TestClient(create_app(dunwell=overdue_book)) as client:
        yield client, code


def test_a_genuine_code_answers_who_and_when_but_not_the_debt(
        portal: tuple[TestClient, str]) -> None:
    client, code = portal
    reply = client.get(f"/v1/letters/verify/{grouped(code)}")
    assert reply.status_code == 200
    body = reply.json()
    assert body["genuine"] is True
    assert body["letter_no"] == "DW-20250302-000001" and body["kind"] == "reminder"
    assert body["issued_on"] == "2025-03-02" and body["borrower"] == "张*"
    assert body["status"] == "generated"
    assert "¥" not in reply.text and "amount" not in reply.text


def test_typos_and_fake_codes_get_a_clear_not_genuine(portal: tuple[TestClient, str]) -> None:
    client, code = portal
    typo = client.get(f"/v1/letters/verify/{code[1:] + code[0]}").json()
    assert typo["genuine"] is False and typo["problem"] == "check_failed"
    fake = client.get("/v1/letters/verify/HELLO-WORLD").json()
    assert fake["genuine"] is False and fake["problem"] == "bad_characters"
    assert client.get("/v1/letters/verify/" + "A" * 80).status_code == 422


def test_the_qr_code_opens_a_page_that_says_genuine(
        portal: tuple[TestClient, str], overdue_book: Dunwell) -> None:
    client, code = portal
    assert verify_url(overdue_book.settings, code) is None  # loopback: never printed
    public = overdue_book.settings.model_copy(update={"public_base_url": "https://portal.example"})
    url = verify_url(public, code)
    assert url == f"https://portal.example/letters/verify/{grouped(code)}"
    page = client.get(url.removeprefix("https://portal.example"))
    assert page.status_code == 200 and "Genuine" in page.text
    assert "DW-20250302-000001" in page.text
    forged = client.get("/letters/verify/ABCD-EFGH-JKMN-PQRS")
    assert "Not genuine" in forged.text
