"""Letters: issue them (numbered, hashed, with a verification code), keep the register
(printed, dispatched, delivered, returned), verify a code, render the PDF, and issue
the day's letters the collection run allowed.

``issue_letter`` and ``record_letter_event`` work inside the caller's unit of work and
never commit; ``verify_letter`` and ``letter_pdf`` read on their own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from dunwell.app.audit import record
from dunwell.app.collections.contacts import judge_contact
from dunwell.app.context import Dunwell
from dunwell.app.legal.demand import build_demand
from dunwell.app.letters.sender import public_base_url, sender_for
from dunwell.app.secrets import letter_key
from dunwell.app.uow import UnitOfWork
from dunwell.channels.document import (
    Document,
    document_as_data,
    document_json,
    document_sha256,
)
from dunwell.channels.letter_content import (
    LETTER_KINDS,
    LetterBuilder,
    labels,
    postal_lines,
    verification_blocks,
)
from dunwell.channels.letter_register import next_state, parse_event, parse_method
from dunwell.channels.letters import (
    VISIT_NOTICE_DAYS,
    LetterEvent,
    LetterEventKind,
    LetterFacts,
    LetterRecord,
    LetterStatus,
    LetterVerification,
    LoanArrears,
    jurisdiction_region,
    loan_arrears,
)
from dunwell.channels.locale import language_for
from dunwell.channels.ports import Templates
from dunwell.channels.verification import (
    SignedContent,
    code_matches,
    grouped,
    mask_name,
    normalise_code,
    signed_sha256,
    verification_code,
)
from dunwell.channels.verification import (
    letter_no as make_letter_no,
)
from dunwell.compliance.model import Channel, Verdict
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.settings import Settings

#: Kinds other parts build: the legal department's demand letter (催告函).
LETTER_KINDS["demand"] = build_demand
#: Letters one daily run issues at the most.
LETTERS_PER_DAY_MAX = 200_000
#: A step whose content includes this tag announces a visit.
VISIT_TAG = "prior_notice"


def verify_url(settings: Settings, code: str) -> str | None:
    """Where a letter's QR code points, or None when the settings give no public
    address a borrower could open (see :func:`public_base_url`)."""
    base = public_base_url(settings)
    return f"{base}/letters/verify/{grouped(code)}" if base else None


def letter_facts(uow: UnitOfWork, *, letter_no: str, kind: str, borrower_id: int,
                 case_id: str | None, business_date: dt.date, settings: Settings,
                 extra: Mapping[str, object] | None = None) -> LetterFacts:
    """What a letter to ``borrower_id`` can say on ``business_date``: name, language,
    jurisdiction and the arrears of each open loan, straight from the loan book."""
    profile = uow.borrowers.get(borrower_id)
    language = language_for(profile.borrower.language or "en")
    address = uow.field.addresses([borrower_id]).get(borrower_id)
    repo = uow.letters
    arrears: list[LoanArrears] = []
    for loan_id in repo.open_loan_ids(borrower_id):
        owed = loan_arrears(uow.loans.get(loan_id), business_date)
        if owed.total_minor > 0:
            arrears.append(owed)
    return LetterFacts(
        letter_no=letter_no, kind=kind, language=language,
        jurisdiction=profile.jurisdiction.value, business_date=business_date,
        borrower_id=borrower_id, borrower_name=profile.name, case_id=case_id,
        arrears=tuple(arrears), sender=sender_for(settings, language),
        portal_base_url=public_base_url(settings), extra=dict(extra or {}),
        recipient_address=postal_lines(address.text) if address is not None else None)


def issue_letter(uow: UnitOfWork, *, templates: Templates, borrower_id: int,
                 case_id: str | None, kind: str, business_date: dt.date, now: dt.datetime,
                 action_id: int | None = None, extra: Mapping[str, object] | None = None,
                 settings: Settings | None = None) -> LetterRecord:
    """Issue a letter of ``kind`` inside the caller's unit of work (never commits),
    written from ``templates`` (the context's, ``app.providers.templates()``).

    Idempotent: the same kind for the same case (or borrower) and the same action (or
    business date, without an action) returns the letter already issued."""
    record_, _ = _issue(uow, templates=templates, borrower_id=borrower_id, case_id=case_id,
                        kind=kind, business_date=business_date, now=now, action_id=action_id,
                        extra=extra, settings=settings or Settings())
    assert record_ is not None, "a letter is issued or refused"
    return record_


def idempotency_key(*, kind: str, borrower_id: int, case_id: str | None,
                    action_id: int | None, business_date: dt.date) -> str:
    owner = f"case:{case_id}" if case_id else f"borrower:{borrower_id}"
    when = f"action:{action_id}" if action_id is not None else business_date.isoformat()
    return f"letter:{kind}:{owner}:{when}"


def _issue(uow: UnitOfWork, *, templates: Templates, borrower_id: int, case_id: str | None,
           kind: str,
           business_date: dt.date, now: dt.datetime, action_id: int | None,
           extra: Mapping[str, object] | None, settings: Settings,
           skip_if_nothing_overdue: bool = False) -> tuple[LetterRecord | None, bool]:
    """(the letter, whether it is new). With ``skip_if_nothing_overdue`` a borrower who
    owes nothing overdue gets no letter (None) instead of a refusal."""
    builder = _builder(kind)
    if now.tzinfo is None:
        raise InvalidInput("the issue time must carry a time zone", code="time_must_be_aware")
    repo = uow.letters
    key = idempotency_key(kind=kind, borrower_id=borrower_id, case_id=case_id,
                          action_id=action_id, business_date=business_date)
    existing = repo.by_key(key)
    if existing is not None:
        return existing, False
    uow.book.lock()  # one issuer at a time: the day's sequence must not repeat
    sequence = repo.next_sequence(business_date)
    number = make_letter_no(business_date, sequence)
    facts = letter_facts(uow, letter_no=number, kind=kind, borrower_id=borrower_id,
                         case_id=case_id, business_date=business_date, settings=settings,
                         extra=extra)
    if skip_if_nothing_overdue and facts.total("total") <= 0:
        return None, False
    jurisdiction_region(facts.jurisdiction)
    body = builder(facts, templates)
    digest = document_sha256(body)
    signed = SignedContent(letter_no=number, kind=kind, borrower_id=borrower_id,
                           case_id=case_id, business_date=business_date,
                           language=body.language, jurisdiction=facts.jurisdiction,
                           document=document_as_data(body))
    code = verification_code(secret=letter_key(settings), letter_no=number,
                             content_sha256=signed_sha256(signed))
    issued = repo.add(
        letter_no=number, sequence=sequence, verification_code=code, idempotency_key=key,
        kind=kind, borrower_id=borrower_id, case_id=case_id, action_id=action_id,
        language=body.language, jurisdiction=facts.jurisdiction,
        business_date=business_date, content_sha256=digest,
        document_json=document_json(body), issued_at=now)
    repo.add_event(LetterEvent(number, LetterEventKind.GENERATED, now))
    record(uow, at=now, entries=[("letter_issued", f"borrower:{borrower_id}", {
        "letter_no": number, "kind": kind, "case_id": case_id, "action_id": action_id,
        "business_date": business_date.isoformat(), "content_sha256": digest,
        "overdue_minor": facts.total("total")})])
    return issued, True


def _builder(kind: str) -> LetterBuilder:
    if kind not in LETTER_KINDS:
        raise InvalidInput(f"unknown letter kind {kind!r}; use one of "
                           f"{', '.join(sorted(LETTER_KINDS))}", code="letter_kind_must_be_known")
    return LETTER_KINDS[kind]


def record_letter_event(uow: UnitOfWork, *, letter_no: str, event: str, at: dt.datetime,
                        method: str | None = None, proof: str | None = None,
                        note: str = "") -> LetterRecord:
    """Move a letter through the register (inside the caller's unit of work).

    Illegal transitions are a :class:`~dunwell.core.errors.Conflict` with a code and
    change nothing; repeating the last event exactly is acknowledged as a replay."""
    if at.tzinfo is None:
        raise InvalidInput("the event time must carry a time zone", code="time_must_be_aware")
    kind, how = parse_event(event), parse_method(method)
    proof = proof.strip() if proof and proof.strip() else None
    repo = uow.letters
    letter = repo.get(letter_no)
    history = repo.events(letter_no)
    move = next_state(status=letter.status, method_on_record=letter.dispatch_method,
                      event=kind, method=how, proof=proof,
                      last_event=history[-1] if history else None)
    if move.replay:
        return letter
    repo.add_event(LetterEvent(letter_no, kind, at, how, proof, note))
    repo.set_status(letter_no, move.status, move.method)
    record(uow, at=at, entries=[("letter_event", f"letter:{letter_no}", {
        "event": kind.value, "from": letter.status.value, "to": move.status.value,
        "method": None if how is None else how.value, "proof": proof, "note": note})])
    return repo.get(letter_no)


def letter_document(uow: UnitOfWork, letter_no: str, settings: Settings) -> Document:
    """The full letter: the stored body plus its verification section."""
    repo = uow.letters
    letter = repo.get(letter_no)
    body, _ = repo.document(letter_no)
    return Document(title=body.title, language=body.language, footer=body.footer,
                    blocks=body.blocks + verification_blocks(
                        language=body.language, sender=sender_for(settings, body.language),
                        code=letter.verification_code, letter_no=letter_no,
                        base_url=public_base_url(settings)))


def letter_pdf(app: Dunwell, letter_no: str) -> bytes:
    """The letter as PDF bytes (the same bytes every time for the same letter)."""
    with app.uow() as uow:
        doc = letter_document(uow, letter_no, app.settings)
    return app.providers.pdf(doc)


def signed_content(letter: LetterRecord, stored_document: str) -> SignedContent:
    """What ``letter``'s code vouches for, rebuilt from the stored record and document."""
    return SignedContent(letter_no=letter.letter_no, kind=letter.kind,
                         borrower_id=letter.borrower_id, case_id=letter.case_id,
                         business_date=letter.business_date, language=letter.language,
                         jurisdiction=letter.jurisdiction,
                         document=json.loads(stored_document))


def letter_is_intact(letter: LetterRecord, stored_document: str, *, secret: str,
                     code: str) -> bool:
    """Whether ``code`` is the code of the letter as stored now: recomputed from its
    fields and document (never from the stored hash), which must also still hash to
    the ``content_sha256`` written when it was issued."""
    document_hash = hashlib.sha256(stored_document.encode("utf-8")).hexdigest()
    if not hmac.compare_digest(document_hash, letter.content_sha256):
        return False
    signed = signed_sha256(signed_content(letter, stored_document))
    return code_matches(secret=secret, code=code, letter_no=letter.letter_no,
                        content_sha256=signed)


def verify_letter(app: Dunwell, code: str) -> LetterVerification:
    """Is ``code`` the code of a letter we issued, unaltered? Never shows the debt."""
    check = normalise_code(code)
    if check.code is None:
        return LetterVerification(genuine=False, message=check.message, code=code.strip(),
                                  problem=check.problem.value if check.problem else None)
    with app.uow() as uow:
        repo = uow.letters
        letter = repo.by_code(check.code)
        if letter is None:
            return LetterVerification(
                genuine=False, code=grouped(check.code), problem="unknown",
                message="we have no letter with this code: it was not issued by us. Do not "
                        "pay anyone on the strength of this letter; contact us directly.")
        _, stored = repo.document(letter.letter_no)
        if not letter_is_intact(letter, stored, secret=letter_key(app.settings),
                                code=check.code):
            return LetterVerification(
                genuine=False, code=grouped(check.code), letter_no=letter.letter_no,
                problem="altered",
                message="this code belongs to a letter whose record no longer matches what "
                        "was issued: treat the letter as not genuine, do not pay on the "
                        "strength of it, and contact us on the number you already know.")
        profile = uow.borrowers.many([letter.borrower_id])
        name = profile[letter.borrower_id].name if letter.borrower_id in profile else ""
        return LetterVerification(
            genuine=True, code=grouped(check.code), letter_no=letter.letter_no,
            kind=letter.kind, issued_on=letter.business_date, borrower=mask_name(name),
            status=letter.status.value,
            message="genuine: this letter was issued by us and has not been altered")


def earliest_visit_date(uow: UnitOfWork, *, borrower_id: int,
                        since: dt.date | None = None) -> dt.date | None:
    """The first day a visit to ``borrower_id`` may take place under the notice the
    borrower was sent: the first visit notice's date plus the notice period (see
    :data:`dunwell.channels.letters.VISIT_NOTICE_DAYS`); None when no notice was
    issued (since ``since``), i.e. no visit may be planned yet."""
    first = uow.letters.first_issued(borrower_id=borrower_id, kind="visit_notice", since=since)
    return None if first is None else first + dt.timedelta(days=VISIT_NOTICE_DAYS)


def earliest_visit_dates(uow: UnitOfWork, *, borrower_ids: list[int],
                         since: dt.date | None = None) -> dict[int, dt.date]:
    """:func:`earliest_visit_date` for many borrowers at once (one read per thousand
    borrowers): borrower id -> the first day a visit may take place; borrowers sent no
    visit notice (since ``since``) are left out."""
    firsts = uow.letters.first_issued_many(borrower_ids=borrower_ids, kind="visit_notice",
                                           since=since)
    return {b: first + dt.timedelta(days=VISIT_NOTICE_DAYS) for b, first in firsts.items()}


def kind_for_action(content_tags: tuple[str, ...]) -> str:
    """Which letter a strategy's ``letter`` step sends: a visit notice when the step
    gives prior notice of a visit, otherwise a reminder."""
    return "visit_notice" if VISIT_TAG in content_tags else "reminder"


def issue_letters_for_day(uow: UnitOfWork, *, templates: Templates, business_date: dt.date,
                          now: dt.datetime, settings: Settings | None = None) -> int:
    """Issue a letter for each ``letter`` action the guard allowed on ``business_date``
    (inside the caller's unit of work), written from ``templates``. Idempotent per
    action; returns how many letters were newly issued. A borrower who no longer owes
    anything overdue gets none."""
    chosen = settings or Settings()
    actions = uow.letters.allowed_letter_actions(business_date)
    if len(actions) > LETTERS_PER_DAY_MAX:
        raise InvalidInput(f"{len(actions)} letters for one day is more than a run issues "
                           f"({LETTERS_PER_DAY_MAX})", code="letter_run_must_be_bounded")
    issued = 0
    for action in actions:
        _, created = _issue(uow, templates=templates, borrower_id=action.borrower_id,
                            case_id=action.case_id,
                            kind=kind_for_action(action.content_tags),
                            business_date=business_date, now=now, action_id=action.action_id,
                            extra=None, settings=chosen, skip_if_nothing_overdue=True)
        issued += int(created)
    return issued


def list_letters(app: Dunwell, *, status: str | None = None,
                 business_date: dt.date | None = None, limit: int = 500) -> list[LetterRecord]:
    wanted = None
    if status is not None:
        try:
            wanted = LetterStatus(status)
        except ValueError:
            raise InvalidInput(f"unknown letter status {status!r}; use one of "
                               f"{', '.join(s.value for s in LetterStatus)}",
                               code="letter_status_must_be_known") from None
    with app.uow() as uow:
        return uow.letters.listing(status=wanted, business_date=business_date, limit=limit)


#: What a letter issued by hand does, in the compliance guard's vocabulary.
HAND_LETTER_TAGS: dict[str, tuple[str, ...]] = {
    "reminder": ("reminder_letter", "private_and_confidential", "signpost_free_debt_advice"),
    "visit_notice": ("reminder_letter", "prior_notice", "private_and_confidential",
                     "signpost_free_debt_advice"),
}
#: The borrower-local time a letter is judged at (letters go out in office hours).
LETTER_LOCAL_TIME = dt.time(10, 0)


def letter_verdict(uow: UnitOfWork, *, borrower_id: int, business_date: dt.date,
                   content_tags: tuple[str, ...]) -> Verdict:
    """The compliance guard's verdict on sending ``borrower_id`` a letter that does
    ``content_tags`` on ``business_date`` (judged at 10:00 in the borrower's zone)."""
    profile = uow.borrowers.get(borrower_id)
    history = uow.actions.contacts_for([borrower_id]).get(borrower_id, [])
    return judge_contact(
        profile, history,
        at=dt.datetime.combine(business_date, LETTER_LOCAL_TIME,
                               tzinfo=ZoneInfo(profile.borrower.timezone)),
        channel=Channel.LETTER, content_tags=content_tags)


def issue_for_case(app: Dunwell, *, case_id: str, kind: str, now: dt.datetime,
                   business_date: dt.date | None = None) -> LetterRecord:
    """Issue one letter for a case by hand (one transaction); the business date
    defaults to the book's open date. It passes the compliance guard like any contact
    (a borrower who asked us to stop writing gets no letter). Repeating it the same day
    returns the same letter."""
    with app.uow() as uow:
        day = business_date or uow.book.require().business_date
        borrower_id = uow.letters.case_borrower(case_id)
        if kind in HAND_LETTER_TAGS:
            verdict = letter_verdict(uow, borrower_id=borrower_id, business_date=day,
                                     content_tags=HAND_LETTER_TAGS[kind])
            if not verdict.allowed:
                raise Conflict(f"the compliance guard does not allow this letter "
                               f"({verdict.rule}): {verdict.reason}",
                               code="letter_must_pass_guard")
        letter = issue_letter(uow, templates=app.providers.templates(),
                              borrower_id=borrower_id, case_id=case_id, kind=kind,
                              business_date=day, now=now, settings=app.settings)
        uow.commit()
    return letter


def record_event(app: Dunwell, *, letter_no: str, event: str, at: dt.datetime,
                 method: str | None = None, proof: str | None = None,
                 note: str = "") -> LetterRecord:
    """:func:`record_letter_event` as one command (one transaction)."""
    with app.uow() as uow:
        letter = record_letter_event(uow, letter_no=letter_no, event=event, at=at,
                                     method=method, proof=proof, note=note)
        uow.commit()
    return letter


def print_letters(app: Dunwell, *, business_date: dt.date, out_dir: Path, now: dt.datetime,
                  progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Render every letter still ``generated`` on ``business_date`` into ``out_dir`` as
    ``<letter no>.pdf`` and mark it printed, in one transaction. Running it again
    prints nothing new; a run that fails part-way marks nothing, and its files are
    rewritten byte for byte by the next run."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with app.uow() as uow:
        pending = uow.letters.listing(
            status=LetterStatus.GENERATED, business_date=business_date,
            limit=LETTERS_PER_DAY_MAX)
        for k, letter in enumerate(pending):
            doc = letter_document(uow, letter.letter_no, app.settings)
            path = out_dir / f"{letter.letter_no}.pdf"
            path.write_bytes(app.providers.pdf(doc))
            record_letter_event(uow, letter_no=letter.letter_no, event="printed", at=now,
                                note=f"printed to {path.name}")
            written.append(path)
            if progress is not None:
                progress(k + 1, len(pending))
        uow.commit()
    return written


__all__ = ["LETTER_KINDS", "LetterBuilder", "earliest_visit_date", "issue_for_case",
           "issue_letter", "issue_letters_for_day", "labels", "letter_document", "letter_pdf",
           "list_letters", "print_letters", "record_event", "record_letter_event",
           "sender_for", "verify_letter"]
