"""Issuing letters: numbered per day, idempotent, from the day's allowed letter steps
of a real collection run; printing a day's letters marks them printed once."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
import sqlalchemy as sa
from letters_book import LETTER_DAY, NOW, cjk_text, open_small_book, run_collections

from dunwell.app.audit import verify
from dunwell.app.letters.service import (
    issue_for_case,
    issue_letter,
    issue_letters_for_day,
    kind_for_action,
    letter_pdf,
    print_letters,
)
from dunwell.bootstrap import Dunwell
from dunwell.channels.letters import LetterStatus
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.simulation.portfolio import run_days, seed_book
from dunwell.store import collection_tables as c
from dunwell.store.letters_repo import LetterRepository

#: The start of the sample book the field, dashboard and ladder tests share.
SHARED_START = dt.date(2025, 1, 31)


def test_the_day_s_allowed_letter_steps_become_letters_once(overdue_book: Dunwell) -> None:
    with overdue_book.engine.connect() as conn:
        steps = conn.execute(sa.select(c.case_actions.c.borrower_id, c.case_actions.c.decision)
                             .where(c.case_actions.c.kind == "letter")).all()
    # the strategy proposed its D+15 letter to everyone; the guard refused borrower 4,
    # who asked for contact to cease
    assert sorted(steps) == [(1, "allow"), (2, "allow"), (3, "allow"), (4, "deny")]
    # the day's collection run issued them in its own transaction; another pass finds
    # nothing left to issue
    with overdue_book.uow() as uow:
        assert issue_letters_for_day(uow, templates=overdue_book.providers.templates(),
                                     business_date=LETTER_DAY, now=NOW) == 0
        uow.commit()
        letters = LetterRepository(uow.conn).listing()
    assert [(x.letter_no, x.borrower_id, x.kind, x.language, x.jurisdiction)
            for x in letters] == [
        ("DW-20250302-000001", 1, "reminder", "zh-CN", "CN-NIFA"),
        ("DW-20250302-000002", 2, "reminder", "en", "UK-FCA"),
        ("DW-20250302-000003", 3, "reminder", "en", "US-RegF")]
    assert all(x.action_id is not None and x.status is LetterStatus.GENERATED
               for x in letters)
    assert len({x.verification_code for x in letters}) == 3
    report = verify(overdue_book)
    assert report.intact
    with overdue_book.engine.connect() as conn:
        kinds = [r[0] for r in conn.execute(sa.text(
            "SELECT kind FROM audit_log WHERE kind = 'letter_issued'"))]
    assert len(kinds) == 3


def test_a_day_without_letter_steps_issues_nothing(app: Dunwell) -> None:
    open_small_book(app)
    day = dt.date(2025, 2, 14)
    run_collections(app, day, day)
    with app.uow() as uow:
        assert issue_letters_for_day(uow, templates=app.providers.templates(),
                                     business_date=day, now=NOW) == 0


def test_issuing_is_idempotent_per_case_kind_and_day(overdue_book: Dunwell) -> None:
    with overdue_book.uow() as uow:
        first = issue_letter(uow, templates=overdue_book.providers.templates(),
                             borrower_id=1, case_id="manual-1", kind="reminder",
                             business_date=LETTER_DAY, now=NOW)
        again = issue_letter(uow, templates=overdue_book.providers.templates(),
                             borrower_id=1, case_id="manual-1", kind="reminder",
                             business_date=LETTER_DAY, now=NOW + dt.timedelta(hours=1))
        notice = issue_letter(uow, templates=overdue_book.providers.templates(),
                              borrower_id=1, case_id="manual-1", kind="visit_notice",
                              business_date=LETTER_DAY, now=NOW)
        uow.commit()
    assert again == first
    # the day's collection run numbered letters 1-3 already
    assert (first.letter_no, notice.letter_no) == ("DW-20250302-000004", "DW-20250302-000005")
    assert notice.kind == "visit_notice"


def test_a_case_letter_by_hand_uses_the_case_s_borrower(overdue_book: Dunwell) -> None:
    with overdue_book.engine.connect() as conn:
        case_id = conn.execute(sa.select(c.cases.c.case_id)
                               .where(c.cases.c.borrower_id == 3)).scalar_one()
    letter = issue_for_case(overdue_book, case_id=case_id, kind="reminder", now=NOW,
                            business_date=LETTER_DAY)
    assert letter.borrower_id == 3 and letter.case_id == case_id
    with pytest.raises(InvalidInput) as err:
        issue_for_case(overdue_book, case_id=case_id, kind="threat", now=NOW)
    assert err.value.code == "letter_kind_must_be_known"


def test_a_letter_by_hand_passes_the_guard_like_any_contact(overdue_book: Dunwell) -> None:
    # borrower 4 asked us to stop contacting them: no reminder letter, even by hand
    with overdue_book.engine.connect() as conn:
        case_id = conn.execute(sa.select(c.cases.c.case_id)
                               .where(c.cases.c.borrower_id == 4)).scalar_one()
    with overdue_book.uow() as uow:
        before = len(LetterRepository(uow.conn).listing())
    with pytest.raises(Conflict) as err:
        issue_for_case(overdue_book, case_id=case_id, kind="reminder", now=NOW,
                       business_date=LETTER_DAY)
    assert err.value.code == "letter_must_pass_guard"
    assert "CEASE" in str(err.value)
    with overdue_book.uow() as uow:
        assert len(LetterRepository(uow.conn).listing()) == before


def test_no_letter_for_a_borrower_who_owes_nothing_overdue(app: Dunwell) -> None:
    open_small_book(app)
    with app.uow() as uow, pytest.raises(Conflict) as err:
        issue_letter(uow, templates=app.providers.templates(),
                     borrower_id=1, case_id=None, kind="reminder",
                     business_date=dt.date(2025, 1, 20), now=NOW)
    assert err.value.code == "letter_needs_overdue_amount"
    with app.uow() as uow:
        assert LetterRepository(uow.conn).listing() == []


def test_a_step_giving_prior_notice_sends_a_visit_notice() -> None:
    tags = ("reminder_letter", "prior_notice", "private_and_confidential")
    assert kind_for_action(tags) == "visit_notice"
    assert kind_for_action(("reminder_letter",)) == "reminder"


def test_a_visit_notice_explains_the_visit_and_the_right_to_decline(
        overdue_book: Dunwell) -> None:
    with overdue_book.uow() as uow:
        zh = issue_letter(uow, templates=overdue_book.providers.templates(),
                          borrower_id=1, case_id=None, kind="visit_notice",
                          business_date=LETTER_DAY, now=NOW)
        uow.commit()
    text = cjk_text(letter_pdf(overdue_book, zh.letter_no))
    for part in ("上门拜访预先告知函", "私密", "拜访的目的", "您可以拒绝拜访",
                 "2025年3月9日",  # earliest visit: seven days' notice
                 "2025年3月7日前",  # the borrower's choice is due in five days
                 "全程录音录像", "您的权利与投诉渠道"):
        assert part in text, part


def test_printing_a_day_renders_every_generated_letter_and_marks_it_printed(
        overdue_book: Dunwell, tmp_path: Path) -> None:
    with overdue_book.uow() as uow:
        issue_letters_for_day(uow, templates=overdue_book.providers.templates(),
                              business_date=LETTER_DAY, now=NOW)
        uow.commit()
    seen: list[tuple[int, int]] = []
    written = print_letters(overdue_book, business_date=LETTER_DAY, out_dir=tmp_path,
                            now=NOW, progress=lambda done, total: seen.append((done, total)))
    assert [p.name for p in written] == [f"DW-20250302-00000{k}.pdf" for k in (1, 2, 3)]
    assert seen[-1] == (3, 3)
    assert all(len(pypdf.PdfReader(io.BytesIO(p.read_bytes())).pages) >= 1 for p in written)
    with overdue_book.uow() as uow:
        statuses = {x.status for x in LetterRepository(uow.conn).listing()}
    assert statuses == {LetterStatus.PRINTED}
    assert print_letters(overdue_book, business_date=LETTER_DAY, out_dir=tmp_path,
                         now=NOW) == []


def test_a_seeded_book_gets_reminders_and_visit_notices_from_its_daily_runs(
        simulated_book: Callable[..., Dunwell]) -> None:
    # the 40-loan book the field, dashboard and ladder tests read, simulated once per
    # worker: 70 days take its late borrowers past both letter steps
    app = simulated_book(loans=40, start=SHARED_START, seed=7, days=70)
    letters_come_from_the_daily_runs(app, first=SHARED_START, days=70)


@pytest.mark.stress
def test_a_full_size_seeded_book_gets_its_letters_from_its_daily_runs(app: Dunwell) -> None:
    start = dt.date(2025, 1, 15)
    seed_book(app, loans=120, start=start, seed=7)
    run_days(app, days=64, seed=7)
    letters_come_from_the_daily_runs(app, first=start, days=64)


def letters_come_from_the_daily_runs(app: Dunwell, *, first: dt.date, days: int) -> None:
    """``app`` holds the sample book run through the day loop for ``days`` days from
    ``first``: each day's collection run issued the letters of its allowed letter steps,
    both the D+15 reminders and the D+30 visit notices, so a second pass over every day
    finds none left to issue."""
    dates = [first + dt.timedelta(days=k) for k in range(days)]
    with app.uow() as uow:
        repo = LetterRepository(uow.conn)
        letters = repo.listing(limit=10_000)
        steps = {a.action_id: a.step_id for day in dates
                 for a in repo.allowed_letter_actions(day)}
        assert sum(issue_letters_for_day(uow, templates=app.providers.templates(),
                                         business_date=day, now=NOW)
                   for day in dates) == 0
    assert len(letters) > 0
    by_step = {(steps[x.action_id], x.kind) for x in letters if x.action_id is not None}
    assert by_step == {("d15_letter", "reminder"), ("d30_visit_notice", "visit_notice")}
    assert len({x.letter_no for x in letters}) == len(letters)
