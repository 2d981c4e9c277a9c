"""A verification code signs what the letter says: its number, kind, borrower, case,
date, language, jurisdiction and every amount and date in its document. A stored
letter altered afterwards fails verification even when whoever altered it also
rewrote its content hash ("re-signed"), because verifying recomputes the signed
content from the stored record; only the lender's secret makes a matching code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
import sqlalchemy as sa
from letters_book import LETTER_DAY, NOW

from dunwell.app.letters.service import issue_letters_for_day, verify_letter
from dunwell.bootstrap import Dunwell
from dunwell.channels.verification import (
    SignedContent,
    signed_json,
    signed_sha256,
    verification_code,
)
from dunwell.store import letter_tables as lt

CONTENT = SignedContent(
    letter_no="DW-20250302-000002", kind="reminder", borrower_id=2,
    case_id="case-2-20250216", business_date=dt.date(2025, 3, 2), language="en",
    jurisdiction="UK-FCA",
    document={"title": "Reminder", "language": "en", "footer": "",
              "blocks": [{"type": "paragraph", "text": "the overdue amount is CN¥576.15"}]})


def test_the_signed_content_is_one_canonical_text_of_every_field_that_matters() -> None:
    text = signed_json(CONTENT)
    assert json.loads(text)["scheme"] == "dunwell-letter-2"
    assert '", "' not in text and '": ' not in text  # no spaces between items
    assert "CN¥576.15" in text  # UTF-8 kept, not escaped
    shuffled = dataclasses.replace(CONTENT, document=dict(reversed(CONTENT.document.items())))
    assert signed_json(shuffled) == text  # key order never matters
    changes: dict[str, Any] = {
        "letter_no": "DW-20250302-000003", "kind": "visit_notice", "borrower_id": 3,
        "case_id": None, "business_date": dt.date(2025, 3, 3), "language": "zh-CN",
        "jurisdiction": "CN-NIFA",
        "document": {**CONTENT.document, "blocks": [
            {"type": "paragraph", "text": "the overdue amount is CN¥5.15"}]},
    }
    digests = {signed_sha256(dataclasses.replace(CONTENT, **{name: value}))
               for name, value in changes.items()}
    assert signed_sha256(CONTENT) not in digests and len(digests) == len(changes)


def _issue(app: Dunwell) -> dict[int, str]:
    with app.uow() as uow:
        issue_letters_for_day(uow, templates=app.providers.templates(),
                              business_date=LETTER_DAY, now=NOW)
        uow.commit()
    with app.engine.connect() as conn:
        return {r.borrower_id: r.verification_code
                for r in conn.execute(sa.select(lt.letters.c.borrower_id,
                                                lt.letters.c.verification_code))}


def _resign(app: Dunwell, whose: int, **columns: object) -> None:
    """Alter borrower ``whose`` letter as someone with write access to the database
    would, and rewrite its content hash so the hash matches the altered document."""
    where = lt.letters.c.borrower_id == whose
    with app.engine.begin() as conn:
        document = conn.execute(sa.select(lt.letters.c.document_json).where(where)).scalar_one()
        rewrite = columns.pop("rewrite", None)
        if callable(rewrite):
            document = rewrite(document)
        digest = hashlib.sha256(str(document).encode("utf-8")).hexdigest()
        conn.execute(sa.update(lt.letters).where(where).values(
            document_json=document, content_sha256=digest, **columns))


def _altered(app: Dunwell, code: str) -> None:
    v = verify_letter(app, code)
    assert not v.genuine and v.problem == "altered", v
    assert "not genuine" in v.message and "contact us" in v.message
    assert v.borrower is None and v.kind is None  # nothing vouched for is shown


@pytest.mark.parametrize(("what", "change"), [
    ("an amount", {"rewrite": lambda doc: doc.replace("576.15", "5,576.15")}),
    ("a date in the text", {"rewrite": lambda doc: doc.replace("16 March 2025",
                                                               "9 March 2025")}),
    ("the borrower's name", {"rewrite": lambda doc: doc.replace("Olivia Brown",
                                                                "Olivia Browne")}),
    ("the business date", {"business_date": dt.date(2025, 2, 20)}),
    ("the borrower", {"borrower_id": 3}),
    ("the kind", {"kind": "demand"}),
    ("the case", {"case_id": "case-3-20250216"}),
])
def test_a_re_signed_letter_whose_content_was_altered_is_not_genuine(
        overdue_book: Dunwell, what: str, change: dict[str, object]) -> None:
    codes = _issue(overdue_book)
    assert verify_letter(overdue_book, codes[2]).genuine
    with overdue_book.engine.connect() as conn:
        before = conn.execute(sa.select(lt.letters.c.document_json)
                              .where(lt.letters.c.borrower_id == 2)).scalar_one()
    rewrite = change.get("rewrite")
    assert not callable(rewrite) or rewrite(before) != before, what  # the text is there
    _resign(overdue_book, 2, **dict(change))
    _altered(overdue_book, codes[2])
    assert verify_letter(overdue_book, codes[1]).genuine  # the others are untouched
    assert verify_letter(overdue_book, codes[3]).genuine


def test_a_code_made_for_altered_content_needs_the_secret(overdue_book: Dunwell) -> None:
    """Whoever alters a letter cannot make its new code without the lender's secret:
    a code recomputed under any other secret is refused, under ours it is accepted."""
    codes = _issue(overdue_book)
    _resign(overdue_book, 2, rewrite=lambda doc: doc.replace("576.15", "5,576.15"))
    with overdue_book.engine.connect() as conn:
        row = conn.execute(sa.select(lt.letters).where(lt.letters.c.borrower_id == 2)).one()
    content = SignedContent(row.letter_no, row.kind, row.borrower_id, row.case_id,
                            row.business_date, row.language, row.jurisdiction,
                            json.loads(row.document_json))
    for secret, genuine in (("guessed-secret", False),
                            (overdue_book.settings.letter_secret, True)):
        forged = verification_code(secret=secret, letter_no=row.letter_no,
                                   content_sha256=signed_sha256(content))
        with overdue_book.engine.begin() as conn:
            conn.execute(sa.update(lt.letters).where(lt.letters.c.borrower_id == 2)
                         .values(verification_code=forged))
        assert verify_letter(overdue_book, forged).genuine is genuine
    assert codes[2] != forged


def test_a_code_over_the_document_alone_is_not_genuine(overdue_book: Dunwell) -> None:
    """A code made from the number and the document's hash only (which would leave the
    borrower, kind and date unsigned) is refused: only codes over every field count."""
    _issue(overdue_book)
    secret = overdue_book.settings.letter_secret
    with overdue_book.engine.begin() as conn:
        row = conn.execute(sa.select(lt.letters).where(lt.letters.c.borrower_id == 1)).one()
        partial = verification_code(secret=secret, letter_no=row.letter_no,
                                    content_sha256=row.content_sha256)
        conn.execute(sa.update(lt.letters).where(lt.letters.c.borrower_id == 1)
                     .values(verification_code=partial))
    assert not verify_letter(overdue_book, partial).genuine
