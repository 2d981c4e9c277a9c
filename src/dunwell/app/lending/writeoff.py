"""The write-off command: charge an open loan off through the ledger.

One command, one transaction (the caller commits). Idempotent on its key without a
table of its own: the write-off entry's id is derived from the key, so a replay finds
the entry and returns the first result; the same key for another loan or another
reason is rejected as ``idempotency_key_must_match_original_request``. The loan is
locked for change first (it waits while COB closes the loan's partition) and saved
version-checked; run it with :func:`dunwell.app.commands.run_command` to have a lost
race run again. See :mod:`dunwell.lending.writeoff` for
the rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from dunwell.app.audit import record
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import Conflict, InvalidInput, NotFound
from dunwell.core.ids import check_idempotency_key, fingerprint
from dunwell.identity.authority import Approver, Matter
from dunwell.ledger.model import Account, JournalEntry
from dunwell.ledger.rules import entry
from dunwell.lending.loans import LoanState
from dunwell.lending.writeoff import WriteOff, WrittenOff, written_off_from_lines
from dunwell.lending.writeoff import write_off as write_off_rule

#: The longest reason kept in the journal memo and the audit log.
REASON_MAX_LEN = 500


class WriteOffStatus(StrEnum):
    POSTED = "posted"
    REPLAYED = "replayed"  # the same key and data were seen before: nothing new posted


@dataclass(frozen=True, slots=True)
class WriteOffResult:
    status: WriteOffStatus
    loan_id: int
    entry_id: str
    written_off: WrittenOff
    suspense_applied_minor: int
    interest_recognised_minor: int
    business_date: dt.date
    loan: LoanState


def entry_ids(key: str) -> tuple[str, str, str]:
    """The write-off, suspense and recognition entry ids a key stands for."""
    digest = fingerprint({"write_off": key})[:40]
    return f"wo:{digest}", f"wos:{digest}", f"woa:{digest}"


def _memo(loan_id: int, reason: str) -> str:
    return f"write-off of loan {loan_id}: {reason}"


def _find(uow: UnitOfWork, entry_id: str) -> JournalEntry | None:
    try:
        return uow.ledger.get(entry_id)
    except NotFound:
        return None


def _amount(found: JournalEntry | None, account: Account) -> int:
    if found is None:
        return 0
    return sum(ln.amount_minor for ln in found.lines if ln.account is account)


def write_off(uow: UnitOfWork, *, loan_id: int, reason: str, idempotency_key: str,
              now: dt.datetime, approver: Approver | None = None) -> WriteOffResult:
    """Charge ``loan_id`` off on the open business date, for ``reason``.

    ``now`` (an aware timestamp) stamps the audit record. ``approver`` is the
    signed-in user who writes it off: a total beyond their authority is refused
    (``write_off_must_be_within_your_authority``) and nothing is posted. Without one
    (an operator at the console, who holds the book itself) the amount is not bounded
    by a role."""
    key = check_idempotency_key(idempotency_key)
    why = _reason(reason)
    main_id = entry_ids(key)[0]
    seen = _find(uow, main_id)
    if seen is None:
        # lock the loan first (this waits while COB closes its partition), then look at
        # the key again: a write-off with the same key that held the lock before us has
        # committed by now, and this one becomes its replay
        loan = uow.loans.get_for_update(loan_id)
        seen = _find(uow, main_id)
    if seen is not None:
        return _replayed(uow, seen, key=key, loan_id=loan_id, why=why)
    info = uow.book.require()
    done = write_off_rule(loan, uow.products.get(loan.product_code))
    if approver is not None:
        approver.require_within(Matter.WRITE_OFF, done.written_off.total_minor, loan.currency)
    uow.ledger.post_many(write_off_entries(done, key=key, loan_id=loan_id, why=why,
                                           currency=loan.currency,
                                           business_date=info.business_date))
    saved = uow.loans.save(done.loan)
    audit = _audit_entry(done, loan_id=loan_id, entry_id=main_id, why=why,
                         business_date=info.business_date)
    if approver is not None:
        audit[2].update(by=approver.person, role=approver.role.value)
    record(uow, at=now, entries=[audit])
    return WriteOffResult(WriteOffStatus.POSTED, loan_id, main_id, done.written_off,
                          done.suspense_applied_minor, done.interest_recognised_minor,
                          info.business_date, saved)


def _reason(reason: str) -> str:
    why = reason.strip()
    if not why or len(why) > REASON_MAX_LEN:
        raise InvalidInput(f"a write-off needs a reason of 1 to {REASON_MAX_LEN} characters",
                           code="write_off_reason_must_be_given", field="reason")
    return why


def _replayed(uow: UnitOfWork, seen: JournalEntry, *, key: str, loan_id: int,
              why: str) -> WriteOffResult:
    """The first write-off's result again, when the key came for the same loan and
    reason."""
    seen_loan = next(ln.loan_id for ln in seen.lines if ln.loan_id is not None)
    if seen_loan != loan_id or seen.memo != _memo(loan_id, why):
        raise Conflict(
            f"idempotency key {key!r} was used for another write-off ({seen.memo!r}); "
            "use a new key", code="idempotency_key_must_match_original_request")
    _, suspense_id, recognition_id = entry_ids(key)
    return WriteOffResult(
        WriteOffStatus.REPLAYED, loan_id, seen.entry_id, written_off_from_lines(seen.lines),
        _amount(_find(uow, suspense_id), Account.SUSPENSE),
        -_amount(_find(uow, recognition_id), Account.INTEREST_INCOME),
        seen.business_date, uow.loans.get(loan_id))


def write_off_entries(done: WriteOff, *, key: str, loan_id: int, why: str, currency: str,
                      business_date: dt.date) -> list[JournalEntry]:
    """The interest paid ahead recognised, the suspense applied, then the write-off
    itself: each an entry of its own, named by the key."""
    main_id, suspense_id, recognition_id = entry_ids(key)
    posted = []
    if done.recognition_lines:
        posted.append(entry(entry_id=recognition_id, business_date=business_date,
                            kind="accrual", currency=currency, lines=done.recognition_lines,
                            memo=f"interest paid ahead, recognised by {main_id}"))
    if done.suspense_lines:
        posted.append(entry(entry_id=suspense_id, business_date=business_date,
                            kind="write_off:suspense", currency=currency,
                            lines=done.suspense_lines,
                            memo=f"suspense applied before {main_id}"))
    posted.append(entry(entry_id=main_id, business_date=business_date, kind="write_off",
                        currency=currency, lines=done.write_off_lines,
                        memo=_memo(loan_id, why)))
    return posted


def _audit_entry(done: WriteOff, *, loan_id: int, entry_id: str, why: str,
                 business_date: dt.date) -> tuple[str, str, dict[str, object]]:
    lost = done.written_off
    return ("loan_written_off", f"loan:{loan_id}", {
        "loan_id": loan_id, "entry_id": entry_id, "reason": why,
        "business_date": business_date.isoformat(),
        "principal_minor": lost.principal_minor, "interest_minor": lost.interest_minor,
        "penalty_minor": lost.penalty_minor, "fee_minor": lost.fee_minor,
        "suspense_applied_minor": done.suspense_applied_minor,
        "suspense_left_minor": done.loan.suspense_minor})
