"""Drawdowns with their cost shown first: a quote discloses what a drawdown would cost
(the all-in annual cost the cost cap holds the loan to, the total to repay, the
schedule and the cooling-off window, :mod:`dunwell.origination.disclosure`), and a
drawdown is made only on the terms of a quote the borrower accepted — its fingerprint
is checked against the terms disclosed again at the moment of lending, and the
acceptance is recorded with the terms shown. Within the cooling-off window kept with
the acceptance, :func:`cancel_drawdown` takes the money back and closes the loan
(:mod:`dunwell.lending.cancellation`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace

from dunwell.app.audit import record
from dunwell.app.origination.service import KEY_CONFLICT, DrawdownResult, Status, draw_down
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import Conflict, InvalidInput, NotFound
from dunwell.core.ids import check_idempotency_key, fingerprint
from dunwell.core.money import to_minor
from dunwell.ledger.model import Account, JournalEntry
from dunwell.ledger.rules import entry
from dunwell.lending.cancellation import Cancellation, cancel, check_window
from dunwell.lending.loans import LoanState
from dunwell.origination.credit_line import CreditLine, available_minor, check_drawdown
from dunwell.origination.disclosure import (
    Disclosure,
    Method,
    builtin_disclosure_rules,
    check_accepted,
    disclose,
    product_for,
    render,
    terms_fingerprint,
    terms_of,
)
from dunwell.origination.policy import Policy, builtin_policy
from dunwell.origination.pricing import priced_product
from dunwell.store.origination_repo import Acceptance as Acceptance  # in each AcceptedDrawdown
from dunwell.store.origination_repo import Drawdown

__all__ = ["Acceptance", "AcceptedDrawdown", "CancelledDrawdown", "Method", "Quote",
           "cancel_drawdown", "draw_accepted", "quote", "render"]


@dataclass(frozen=True)
class Quote:
    """What a drawdown would cost, in the language it is shown in, and the fingerprint
    of its terms (what the borrower accepts)."""

    line: CreditLine
    disclosure: Disclosure
    fingerprint: str
    language: str

    def rendered(self) -> dict[str, object]:
        return render(self.disclosure, self.language)


@dataclass(frozen=True)
class AcceptedDrawdown:
    result: DrawdownResult
    acceptance: Acceptance | None  # None for a replay made before acceptances were kept


def quote(uow: UnitOfWork, *, line_id: int, amount: str, term_months: int, method: Method,
          language: str | None = None, policy: Policy | None = None) -> Quote:
    """Disclose a drawdown of ``amount`` for ``term_months`` repaid by ``method``, as of
    the business date, refused beyond what the line has available."""
    repo = uow.origination
    line = repo.line(line_id)
    amount_minor = to_minor(amount, line.currency, field="amount")
    check_drawdown(line, repo.exposure(line_id), amount_minor=amount_minor)
    policy = policy or builtin_policy()
    base = product_for(policy, repo.products(), kind=line.kind, term_months=term_months,
                       method=method)
    priced = priced_product(base, grade=line.grade, annual_rate=line.annual_rate)
    d = disclose(product=priced, amount_minor=amount_minor, term_months=term_months,
                 start=uow.book.require().business_date, kind=line.kind,
                 jurisdiction=repo.product_jurisdiction(base.code))
    lang = language or repo.application(line.application_id).language
    return Quote(line, d, terms_fingerprint(d), lang)


def draw_accepted(uow: UnitOfWork, *, line_id: int, amount: str, term_months: int,
                  method: Method, accepted: str, idempotency_key: str,
                  language: str | None = None, policy: Policy | None = None
                  ) -> AcceptedDrawdown:
    """Lend on the terms the borrower accepted (``accepted``: the quote's fingerprint),
    recording the acceptance; refused with ``accepted_terms_must_match_disclosure``
    when the terms disclosed now differ. A replay of the key returns the first."""
    repo = uow.origination
    if repo.drawdown_by_key(idempotency_key) is not None:
        replayed = draw_down(uow, line_id=line_id, amount=amount, term_months=term_months,
                             idempotency_key=idempotency_key, policy=policy)
        return AcceptedDrawdown(replayed, repo.acceptance(replayed.drawdown.drawdown_id))
    shown = quote(uow, line_id=line_id, amount=amount, term_months=term_months,
                  method=method, language=language, policy=policy)
    check_accepted(shown.disclosure, accepted)
    result = draw_down(uow, line_id=line_id, amount=amount, term_months=term_months,
                       idempotency_key=idempotency_key, policy=policy)
    d = shown.disclosure
    acceptance = Acceptance(0, line_id, result.drawdown.drawdown_id, accepted,
                            json.dumps(terms_of(d), separators=(",", ":")), shown.language,
                            d.start, d.cancel_until, None)
    acceptance = replace(acceptance, acceptance_id=repo.add_acceptance(acceptance))
    return AcceptedDrawdown(result, acceptance)


def line_available_minor(uow: UnitOfWork, line_id: int) -> int:
    repo = uow.origination
    return available_minor(repo.line(line_id), repo.exposure(line_id))


# --- cancelling within the cooling-off window -----------------------------------------

@dataclass(frozen=True)
class CancelledDrawdown:
    """A drawdown cancelled: the money returned (principal and interest charged), the
    fee and interest given up, and the loan, closed."""

    status: Status
    drawdown: Drawdown
    loan: LoanState
    entry_id: str
    cancelled_on: dt.date
    principal_minor: int
    interest_minor: int
    fee_waived_minor: int
    interest_waived_minor: int

    @property
    def returned_minor(self) -> int:
        return self.principal_minor + self.interest_minor


def cancel_entry_ids(key: str) -> tuple[str, str, str]:
    """The cancellation's payment, waiver and accrual entry ids a key stands for."""
    digest = fingerprint({"cancellation": key})[:40]
    return f"cx:{digest}", f"cxw:{digest}", f"cxa:{digest}"


def _find(uow: UnitOfWork, entry_id: str) -> JournalEntry | None:
    try:
        return uow.ledger.get(entry_id)
    except NotFound:
        return None


def charges_interest(uow: UnitOfWork, drawdown: Drawdown) -> bool:
    """Whether the drawdown's jurisdiction charges a cancelling borrower the interest to
    date (``disclosure.toml``): the jurisdiction is its unpriced product's."""
    grade = uow.origination.line(drawdown.line_id).grade
    base = drawdown.product_code.removesuffix(f"-{grade.lower()}")
    window = builtin_disclosure_rules().window(uow.origination.product_jurisdiction(base))
    return window.charges == "interest_to_date"


def cancel_drawdown(uow: UnitOfWork, *, drawdown_id: int, amount: str, idempotency_key: str,
                    now: dt.datetime, on: dt.date | None = None) -> CancelledDrawdown:
    """Cancel ``drawdown_id`` within its cooling-off window, the borrower returning
    ``amount`` — exactly the principal and, where the jurisdiction charges it, the
    interest to date — on ``on`` (the business date; default it). The fee is waived,
    the loan closed, the acceptance marked cancelled. A replay of the key returns the
    first result; the same key for another drawdown or amount is refused."""
    key = check_idempotency_key(idempotency_key)
    repo = uow.origination
    drawdown = repo.drawdown(drawdown_id)
    main_id = cancel_entry_ids(key)[0]
    seen = _find(uow, main_id)
    if seen is None:
        loan = uow.loans.get_for_update(drawdown.loan_id)  # waits for COB and racers
        seen = _find(uow, main_id)
    if seen is not None:
        return _replayed(uow, seen, key=key, drawdown=drawdown, amount=amount)
    business_date = uow.book.require().business_date
    day = _cancel_date(on, business_date)
    acceptance = repo.acceptance(drawdown_id)
    if acceptance is None:
        raise Conflict(f"drawdown {drawdown_id} was made without a recorded acceptance, so "
                       "it has no cooling-off window; repay it early instead",
                       code="cancellation_must_be_within_window")
    check_window(on=day, start=acceptance.accepted_on, cancel_until=acceptance.cancel_until,
                 cancelled_on=acceptance.cancelled_on)
    done = cancel(loan, amount_minor=to_minor(amount, loan.currency, field="amount"),
                  currency=loan.currency, on=day,
                  charges_interest=charges_interest(uow, drawdown))
    uow.ledger.post_many(_entries(done, key=key, drawdown=drawdown, currency=loan.currency,
                                  business_date=business_date))
    saved = uow.loans.save(done.loan)
    repo.cancel_acceptance(drawdown_id, day)
    record(uow, at=now, entries=[("drawdown_cancelled", f"loan:{drawdown.loan_id}", {
        "drawdown_id": drawdown_id, "loan_id": drawdown.loan_id, "entry_id": main_id,
        "cancelled_on": day.isoformat(), "principal_minor": done.due.principal_minor,
        "interest_minor": done.due.interest_minor,
        "fee_waived_minor": done.fee_waived_minor,
        "interest_waived_minor": done.interest_waived_minor})])
    return CancelledDrawdown(Status.CREATED, drawdown, saved, main_id, day,
                             done.due.principal_minor, done.due.interest_minor,
                             done.fee_waived_minor, done.interest_waived_minor)


def _cancel_date(on: dt.date | None, business_date: dt.date) -> dt.date:
    if on is not None and on != business_date:
        raise InvalidInput(f"a cancellation is made on the business date "
                           f"({business_date.isoformat()}), not {on.isoformat()}",
                           code="cancellation_date_must_be_business_date", field="date")
    return business_date


def _memo(drawdown: Drawdown) -> str:
    return f"cancellation of drawdown {drawdown.drawdown_id} (loan {drawdown.loan_id})"


def _entries(done: Cancellation, *, key: str, drawdown: Drawdown, currency: str,
             business_date: dt.date) -> list[JournalEntry]:
    """Interest to date recognised, the fee and interest not charged given back, then
    the money returned: each an entry of its own, named by the key."""
    main_id, waiver_id, accrual_id = cancel_entry_ids(key)
    posted = []
    if done.accrual_lines:
        posted.append(entry(entry_id=accrual_id, business_date=business_date,
                            kind="accrual", currency=currency, lines=done.accrual_lines,
                            memo=f"interest to date, charged by {main_id}"))
    if done.waiver_lines:
        posted.append(entry(entry_id=waiver_id, business_date=business_date,
                            kind="cancellation:waiver", currency=currency,
                            lines=done.waiver_lines,
                            memo=f"fee and interest not charged, given back by {main_id}"))
    posted.append(entry(entry_id=main_id, business_date=business_date, kind="cancellation",
                        currency=currency, lines=done.payment_lines, memo=_memo(drawdown)))
    return posted


def _replayed(uow: UnitOfWork, seen: JournalEntry, *, key: str, drawdown: Drawdown,
              amount: str) -> CancelledDrawdown:
    """The first cancellation's result again, when the key came for the same drawdown
    and amount."""
    loan = uow.loans.get(drawdown.loan_id)
    cash = sum(ln.amount_minor for ln in seen.lines if ln.account is Account.CASH)
    if seen.memo != _memo(drawdown) or cash != to_minor(amount, loan.currency, field="amount"):
        raise Conflict(f"idempotency key {key!r} was used for another cancellation "
                       f"({seen.memo!r}); use a new key", code=KEY_CONFLICT)

    def credited(found: JournalEntry | None, account: Account) -> int:
        return 0 if found is None else -sum(ln.amount_minor for ln in found.lines
                                            if ln.account is account)

    _, waiver_id, _ = cancel_entry_ids(key)
    waiver = _find(uow, waiver_id)
    return CancelledDrawdown(
        Status.REPLAYED, drawdown, loan, seen.entry_id, seen.business_date,
        credited(seen, Account.PRINCIPAL_RECEIVABLE), credited(seen, Account.INTEREST_RECEIVABLE),
        credited(waiver, Account.FEE_RECEIVABLE) + credited(waiver, Account.PENALTY_RECEIVABLE),
        -credited(waiver, Account.INTEREST_INCOME))
