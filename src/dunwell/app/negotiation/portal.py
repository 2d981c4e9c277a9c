"""The borrower portal's commands. The borrower signs in (a one-time code to their
phone) and names the letter we sent them by its verification code (printed on every
letter, unguessable): the code names the letter, the letter names the borrower and
the case, and the letter must be addressed to the borrower signed in."""

from __future__ import annotations

import datetime as dt

from dunwell.app.context import Dunwell
from dunwell.app.letters.service import verify_letter
from dunwell.app.negotiation.service import OfferBook, assess_hardship, offer_book
from dunwell.channels.verification import normalise_code
from dunwell.collections.model import CaseStatus
from dunwell.core.errors import Conflict, Forbidden, InvalidInput
from dunwell.core.money import to_minor


def case_for_letter_code(app: Dunwell, code: str,
                         borrower_id: int | None = None) -> tuple[str, str]:
    """The open case (and the book's currency) behind a genuine letter's code; with
    ``borrower_id``, only a letter addressed to that borrower
    (``letter_must_be_addressed_to_you`` otherwise)."""
    verdict = verify_letter(app, code)
    if not verdict.genuine:
        raise InvalidInput(f"the letter code was not accepted: {verdict.message}",
                           code="letter_code_must_be_genuine")
    check = normalise_code(code)
    assert check.code is not None, "a genuine code is well formed"
    with app.uow() as uow:
        letter = uow.letters.by_code(check.code)
        assert letter is not None, "a genuine code names a letter"
        if borrower_id is not None and letter.borrower_id != borrower_id:
            raise Forbidden("this letter was not addressed to you; type the code from a "
                            "letter we sent you", code="letter_must_be_addressed_to_you")
        currency = uow.book.require().currency
        cases = uow.cases.for_borrower(letter.borrower_id)
    open_cases = [row["case_id"] for row in cases if CaseStatus(row["status"]).is_active]
    if not open_cases:
        raise Conflict("there is no open collection case for this letter's account; if you "
                       "still owe something, call us on the number in the letter",
                       code="portal_case_must_be_open")
    return str(open_cases[-1]), currency


def hardship_from_portal(app: Dunwell, *, letter_code: str, reason: str, monthly_income: str,
                         essential_expenses: str, other_debt_payments: str, vulnerable: bool,
                         now: dt.datetime, borrower_id: int | None = None) -> OfferBook:
    """Record the borrower's own account of their hardship and return today's offers,
    best first (or the referral to free debt advice when none is affordable). With
    ``borrower_id`` (the borrower signed in) the letter must be theirs."""
    case_id, cur = case_for_letter_code(app, letter_code, borrower_id)
    assess_hardship(
        app, case_id=case_id, reason=reason,
        monthly_income_minor=_amount(monthly_income, cur, "monthly income"),
        essential_expenses_minor=_amount(essential_expenses, cur, "essential expenses"),
        other_debt_payments_minor=_amount(other_debt_payments or "0", cur,
                                          "other debt payments"),
        evidence=(), vulnerable=vulnerable, source="portal", now=now,
        recorded_by=None if borrower_id is None else f"borrower:{borrower_id}")
    with app.uow() as uow:
        today = uow.book.require().business_date
    return offer_book(app, case_id=case_id, business_date=today)


def _amount(text: str, currency: str, field: str) -> int:
    if not text.strip():
        raise InvalidInput(f"{field} is required, e.g. 6000.00", code="portal_amount_required")
    return to_minor(text.strip(), currency, field=field)
