"""The demand letter (催告函): a formal written demand from the lender's legal
department or the firm it appointed — never a court — stating the overdue debt broken
down by loan and component, the date to respond by, the borrower's rights and how to
agree a plan. The wording lives in ``letter_demand.<lang>.j2``; this module supplies
what the letter says beyond the standard letter facts. Pure."""

from __future__ import annotations

import datetime as dt

from dunwell.legal.model import DemandSettings

TEMPLATE = "letter_demand"
KIND = "demand"


def demand_title(language: str) -> str:
    return "还款催告函" if language.startswith("zh") else "Formal demand for payment"


def respond_by(business_date: dt.date, settings: DemandSettings) -> dt.date:
    return business_date + dt.timedelta(days=settings.response_days)


def demand_context(*, language: str, business_date: dt.date, settings: DemandSettings,
                   outstanding_principal_minor: int,
                   overdue_principal_minor: int) -> dict[str, object]:
    """The demand letter's own variables: who sends it (the legal department named in
    the referral rules), how to reach them, the date to respond by, and the principal
    not yet due (which the letter does not demand)."""
    return {
        "principal_not_due_minor": max(0, outstanding_principal_minor - overdue_principal_minor),
        "sender_name": settings.sender(language),
        "respond_by_date": respond_by(business_date, settings),
        "contact_phone": settings.contact_phone,
        "contact_email": settings.contact_email,
    }
