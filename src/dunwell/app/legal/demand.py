"""The ``demand`` letter kind: built like every letter (numbered, hashed, verified
with a QR code by :mod:`dunwell.app.letters.service`) from ``letter_demand.<lang>.j2`` with
the standard reference, arrears and rights inserts, signed by the legal department
the referral rules name."""

from __future__ import annotations

from dataclasses import replace

from dunwell.channels.document import Document
from dunwell.channels.letter_content import template_letter
from dunwell.channels.letters import LetterFacts
from dunwell.channels.ports import Templates
from dunwell.core.errors import Conflict
from dunwell.legal.demand import TEMPLATE, demand_context, demand_title
from dunwell.legal.rules import builtin_rules


def build_demand(facts: LetterFacts, book: Templates) -> Document:
    """催告函 / formal demand: the debt by loan and component, the date to respond by,
    how to agree a plan, disputes and representation, rights and complaint routes."""
    if facts.total("total") <= 0:
        raise Conflict(
            f"borrower {facts.borrower_id} owes nothing overdue on {facts.business_date}; "
            "a demand letter needs an overdue amount",
            code="letter_needs_overdue_amount", borrower_id=facts.borrower_id)
    own = demand_context(
        language=facts.language, business_date=facts.business_date,
        settings=builtin_rules().demand,
        outstanding_principal_minor=sum(a.outstanding_principal_minor for a in facts.arrears),
        overdue_principal_minor=facts.total("principal"))
    facts = replace(facts, extra={**dict(facts.extra), **own})
    return template_letter(facts, book, template=TEMPLATE, title=demand_title(facts.language))
