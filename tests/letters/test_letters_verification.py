"""Verification codes: unguessable, typable, self-checking; and what the portal says
about a genuine letter, a typo, a forged code and a tampered register entry."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from letters_book import LETTER_DAY, NOW

from dunwell.app.letters.service import issue_letters_for_day, verify_letter
from dunwell.bootstrap import Dunwell
from dunwell.channels.verification import (
    ALPHABET,
    CodeProblem,
    check_character,
    grouped,
    letter_no,
    mask_name,
    normalise_code,
    parse_letter_no,
    verification_code,
)
from dunwell.store import letter_tables as lt
from dunwell.store.letters_repo import LetterRepository

SECRET = "a-test-secret"
HASH = "9f" * 32


def test_letter_numbers_carry_the_business_date_and_the_day_s_sequence() -> None:
    assert letter_no(dt.date(2026, 11, 24), 123) == "DW-20261124-000123"
    assert parse_letter_no("dw-20261124-000123") == (dt.date(2026, 11, 24), 123)


def test_a_code_is_sixteen_unambiguous_characters_in_four_groups() -> None:
    code = verification_code(secret=SECRET, letter_no="DW-20261124-000123",
                             content_sha256=HASH)
    assert len(code) == 16 and set(code) <= set(ALPHABET)
    assert not set("01ILO") & set(ALPHABET)
    assert grouped(code).count("-") == 3
    # deterministic for the same secret, number and content; different otherwise
    assert code == verification_code(secret=SECRET, letter_no="DW-20261124-000123",
                                     content_sha256=HASH)
    assert code != verification_code(secret="another", letter_no="DW-20261124-000123",
                                     content_sha256=HASH)
    assert code != verification_code(secret=SECRET, letter_no="DW-20261124-000124",
                                     content_sha256=HASH)
    assert code != verification_code(secret=SECRET, letter_no="DW-20261124-000123",
                                     content_sha256="9e" + HASH[2:])


def test_people_may_type_a_code_in_lower_case_with_spaces() -> None:
    code = verification_code(secret=SECRET, letter_no="DW-20261124-000001",
                             content_sha256=HASH)
    typed = " ".join(grouped(code).lower().split("-"))
    assert normalise_code(typed).code == code


@given(st.text(alphabet=ALPHABET, min_size=15, max_size=15), st.integers(0, 15),
       st.sampled_from(ALPHABET))
def test_any_single_mistyped_character_is_caught_by_the_check(data: str, at: int,
                                                              wrong: str) -> None:
    code = data + check_character(data)
    typo = code[:at] + wrong + code[at + 1:]
    if typo != code:
        assert normalise_code(typo).problem is CodeProblem.CHECK_FAILED


@given(st.text(alphabet=ALPHABET, min_size=15, max_size=15), st.integers(0, 14))
def test_any_swap_of_neighbouring_characters_is_caught_by_the_check(data: str,
                                                                    at: int) -> None:
    code = data + check_character(data)
    swapped = code[:at] + code[at + 1] + code[at] + code[at + 2:]
    if swapped != code:
        assert normalise_code(swapped).problem is CodeProblem.CHECK_FAILED


def test_malformed_codes_say_what_is_wrong() -> None:
    assert normalise_code("").problem is CodeProblem.EMPTY
    assert normalise_code("ABCD-EFGH").problem is CodeProblem.WRONG_LENGTH
    bad = normalise_code("ABCD-EFGH-JKMN-PQR0")
    assert bad.problem is CodeProblem.BAD_CHARACTERS and "'0'" in bad.message


def test_names_are_masked() -> None:
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("Olivia Brown") == "O***** B****"


def _letters(app: Dunwell) -> dict[int, str]:
    with app.uow() as uow:
        issue_letters_for_day(uow, templates=app.providers.templates(),
                              business_date=LETTER_DAY, now=NOW)
        uow.commit()
    with app.uow() as uow:
        return {x.borrower_id: x.verification_code for x in LetterRepository(uow.conn).listing()}


def test_a_genuine_letter_verifies_with_its_number_kind_date_and_masked_name_only(
        overdue_book: Dunwell) -> None:
    code = _letters(overdue_book)[1]
    v = verify_letter(overdue_book, grouped(code).lower())
    assert v.genuine and v.problem is None
    assert v.letter_no == "DW-20250302-000001" and v.kind == "reminder"
    assert v.issued_on == LETTER_DAY and v.borrower == "张*" and v.status == "generated"
    assert "¥" not in repr(v)  # never the debt


def test_a_typo_is_told_apart_from_a_code_we_never_issued(overdue_book: Dunwell) -> None:
    code = _letters(overdue_book)[1]
    typo = code[:3] + ("Z" if code[3] != "Z" else "Y") + code[4:]
    v = verify_letter(overdue_book, typo)
    assert not v.genuine and v.problem == "check_failed" and "mistyped" in v.message
    forged_data = "ABCDEFGHJKMNPQR"
    forged = verify_letter(overdue_book, forged_data + check_character(forged_data))
    assert not forged.genuine and forged.problem == "unknown"
    assert forged.letter_no is None and "not issued by us" in forged.message


def test_tampering_with_a_stored_letter_makes_verification_fail(
        overdue_book: Dunwell) -> None:
    codes = _letters(overdue_book)
    with overdue_book.engine.begin() as conn:
        conn.execute(sa.update(lt.letters).where(lt.letters.c.borrower_id == 1)
                     .values(content_sha256="0" * 64))
        doc = conn.execute(sa.select(lt.letters.c.document_json)
                           .where(lt.letters.c.borrower_id == 2)).scalar_one()
        assert "¥" in doc
        conn.execute(sa.update(lt.letters).where(lt.letters.c.borrower_id == 2)
                     .values(document_json=doc.replace("¥", "$")))
    hashed = verify_letter(overdue_book, codes[1])
    assert not hashed.genuine and hashed.problem == "altered"
    content = verify_letter(overdue_book, codes[2])
    assert not content.genuine and content.problem == "altered"
    assert verify_letter(overdue_book, codes[3]).genuine


def test_a_different_secret_does_not_vouch_for_our_letters(overdue_book: Dunwell) -> None:
    code = _letters(overdue_book)[1]
    other = dataclasses.replace(
        overdue_book,
        settings=overdue_book.settings.model_copy(update={"letter_secret": "stolen?"}))
    assert verify_letter(overdue_book, code).genuine
    assert verify_letter(other, code).problem == "altered"
