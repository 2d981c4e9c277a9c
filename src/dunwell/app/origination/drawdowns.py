"""Drawdowns with their cost shown first: a quote discloses what a drawdown would cost
(the all-in annual cost the cost cap holds the loan to, the total to repay, the
schedule and the cooling-off window, :mod:`dunwell.origination.disclosure`), and a
drawdown is made only on the terms of a quote the borrower accepted — its fingerprint
is checked against the terms disclosed again at the moment of lending, and the
acceptance is recorded with the terms shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from dunwell.app.origination.service import DrawdownResult, draw_down
from dunwell.app.uow import UnitOfWork
from dunwell.core.money import to_minor
from dunwell.origination.credit_line import CreditLine, available_minor, check_drawdown
from dunwell.origination.disclosure import (
    Disclosure,
    Method,
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

__all__ = ["Acceptance", "AcceptedDrawdown", "Method", "Quote", "draw_accepted", "quote",
           "render"]


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
