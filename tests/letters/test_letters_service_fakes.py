"""The letter register's rules on the in-memory book: a letter is numbered per day and
issued once per key, needs an overdue amount, verifies by its code (and not when its
record was altered), moves only along the register's steps, and a letter by hand
passes the guard — no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from dunwell.app.context import Dunwell
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.app.letters import service as letters
from dunwell.channels.document import Document
from dunwell.channels.letters import VISIT_NOTICE_DAYS, LetterRecord, LetterStatus
from dunwell.collections.model import CaseStatus, CaseView
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.core.dates import from_day
from dunwell.core.errors import DomainError
from dunwell.lending.products import builtin_product_texts
from fakes.app import fake_app
from fakes.channels import channels_data

START = dt.date(2025, 1, 1)
NOW = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)


def code_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    return err.value.code


def book(overdue_days: int) -> Dunwell:
    """Borrowers 1 and 2 with a loan each, the book open ``overdue_days`` after their
    first instalment was due (before it, when negative); borrower 1 has case-1."""
    app = fake_app()
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=1, currency="CNY")
        product = register_product(uow, builtin_product_texts()[0])
        (loan, _) = disburse(uow, [LoanRequest(b, product.code, 1_000_000,
                                               product.term_months_min) for b in (1, 2)])
        for b in (1, 2):
            uow.borrowers.put(borrower_id=b, name=f"Borrower {b}",
                              jurisdiction=Jurisdiction.CN_NIFA, timezone="Asia/Shanghai",
                              language="zh-CN")
        uow.cases.save(_case(), START)
        uow.book.advance(from_day(loan.installments[0].due_day)
                         + dt.timedelta(days=overdue_days))
        uow.commit()
    return app


@pytest.fixture
def app() -> Dunwell:
    return book(10)


def _case() -> CaseView:
    return CaseView(case_id="case-1", borrower_id="1",
                            status=CaseStatus.OPEN, loans=(), opened_on=START,
                            strategy_name="humane", strategy_version=1, variant="champion")


def day_of(app: Dunwell) -> dt.date:
    with app.uow() as uow:
        return uow.book.require().business_date


def issue(app: Dunwell, *, borrower_id: int = 1, kind: str = "reminder",
          action_id: int | None = None) -> LetterRecord:
    with app.uow() as uow:
        letter = letters.issue_letter(uow, templates=app.providers.templates(),
                                      borrower_id=borrower_id, case_id=None, kind=kind,
                                      business_date=day_of(app), now=NOW,
                                      action_id=action_id, settings=app.settings)
        uow.commit()
    return letter


def test_letters_are_numbered_per_day_and_issued_once_per_key(app: Dunwell) -> None:
    first = issue(app)
    assert issue(app).letter_no == first.letter_no
    notice = issue(app, kind="visit_notice")
    day = day_of(app)
    assert [first.letter_no, notice.letter_no] == [f"DW-{day:%Y%m%d}-000001",
                                                   f"DW-{day:%Y%m%d}-000002"]
    assert (first.status, first.language) == (LetterStatus.GENERATED, "zh-CN")
    with app.uow() as uow:
        (event,) = uow.letters.events(first.letter_no)
        assert letters.earliest_visit_date(uow, borrower_id=1) == day + dt.timedelta(
            days=VISIT_NOTICE_DAYS)
        kinds = [r.kind for r in uow.audit.records()]
    assert event.event.value == "generated" and kinds == ["letter_issued"] * 2


def test_a_letter_needs_an_overdue_amount_and_a_known_kind(app: Dunwell) -> None:
    assert code_of(issue, book(-3)) == "letter_needs_overdue_amount"
    assert code_of(issue, app, kind="poem") == "letter_kind_must_be_known"
    assert code_of(issue, app, borrower_id=9) == "borrower_must_exist"


def test_a_code_verifies_its_letter_and_an_altered_record_does_not(app: Dunwell) -> None:
    letter = issue(app)
    genuine = letters.verify_letter(app, letter.verification_code)
    assert (genuine.genuine, genuine.letter_no, genuine.kind) == (True, letter.letter_no,
                                                                  "reminder")
    assert letters.verify_letter(app, "AAAA-BBBB-CCCC-DDDD").genuine is False
    stored = channels_data(app.db.state).letters[letter.letter_no]  # type: ignore[attr-defined]
    stored.document_json = stored.document_json.replace("Borrower 1", "Borrower X")
    altered = letters.verify_letter(app, letter.verification_code)
    assert (altered.genuine, altered.problem) == (False, "altered")


def test_a_letter_moves_only_along_the_register(app: Dunwell) -> None:
    letter = issue(app)

    def event(name: str, method: str | None = None, proof: str | None = None) -> LetterRecord:
        return letters.record_event(app, letter_no=letter.letter_no, event=name, at=NOW,
                                    method=method, proof=proof)

    assert code_of(event, "delivered") == "delivery_proof_must_be_given"
    assert code_of(event, "delivered", proof="signed") == "letter_transition_must_be_allowed"
    assert event("printed").status is LetterStatus.PRINTED
    assert event("printed").status is LetterStatus.PRINTED  # the same event again: a replay
    assert event("dispatched", "post").status is LetterStatus.DISPATCHED
    assert event("delivered", proof="signed").status is LetterStatus.DELIVERED
    assert code_of(event, "lost") == "letter_event_must_be_known"
    assert code_of(letters.record_event, app, letter_no="DW-0", event="printed",
                   at=NOW) == "letter_must_exist"


def test_the_days_allowed_letter_steps_are_issued_once_each(app: Dunwell) -> None:
    day = day_of(app)
    with app.uow() as uow:
        for step_id, tags in (("letter-1", '["reminder_letter"]'),
                              ("letter-2", '["reminder_letter", "prior_notice"]')):
            uow.actions.add({"case_id": "case-1", "borrower_id": 1, "business_date": day,
                             "kind": "letter", "channel": "letter", "recipient": "borrower",
                             "tags_json": tags, "planned_at": f"{day}T10:00",
                             "strategy": "humane@1", "variant": "champion",
                             "segment_id": "s", "step_id": step_id, "due_date": day,
                             "occurrence": 0, "decision": "allow", "rule": None,
                             "reason": "", "window_start": None, "window_end": None,
                             "defer_until": None, "status": "planned"})
        templates = app.providers.templates()
        assert letters.issue_letters_for_day(uow, templates=templates, business_date=day,
                                             now=NOW) == 2
        assert letters.issue_letters_for_day(uow, templates=templates, business_date=day,
                                             now=NOW) == 0
        kinds = sorted(r.kind for r in uow.letters.listing(business_date=day))
    assert kinds == ["reminder", "visit_notice"]


def test_a_letter_by_hand_passes_the_guard(app: Dunwell) -> None:
    letter = letters.issue_for_case(app, case_id="case-1", kind="reminder", now=NOW)
    assert letter.case_id == "case-1"
    with app.uow() as uow:
        uow.borrowers.set_flag(1, Flag.CEASE_CONTACT, on=True)
        uow.commit()
    assert code_of(letters.issue_for_case, app, case_id="case-1", kind="visit_notice",
                   now=NOW) == "letter_must_pass_guard"
    assert code_of(letters.issue_for_case, app, case_id="case-9", kind="reminder",
                   now=NOW) == "case_must_exist"


def test_printing_renders_each_new_letter_once_and_marks_it_printed(
        app: Dunwell, tmp_path: Path) -> None:
    rendered: list[str] = []

    def pdf(doc: Document) -> bytes:
        rendered.append(doc.title)
        return b"%PDF-fake"

    app = replace(app, providers=replace(app.providers, pdf=pdf))
    letter = issue(app)
    day = day_of(app)
    (path,) = letters.print_letters(app, business_date=day, out_dir=tmp_path, now=NOW)
    assert path.read_bytes() == b"%PDF-fake" and len(rendered) == 1
    assert letters.print_letters(app, business_date=day, out_dir=tmp_path, now=NOW) == []
    assert letters.list_letters(app, status="printed")[0].letter_no == letter.letter_no
    assert letters.letter_pdf(app, letter.letter_no) == b"%PDF-fake"
    assert code_of(letters.list_letters, app, status="lost") == "letter_status_must_be_known"
