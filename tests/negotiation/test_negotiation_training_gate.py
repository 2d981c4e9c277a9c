"""A registered staff member approves a plan offer only with the certificates a
negotiation needs on the day; nothing changes when refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from dunwell.app.negotiation.service import approve_offer, assess_hardship, offer_book
from dunwell.app.training.service import add_staff, import_certificate
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError
from dunwell.negotiation.model import OfferKind, OfferStatus

NOW = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
CASE = "case-1-20250216"


def test_an_uncertified_collector_cannot_approve_a_plan_until_trained(
        app: Dunwell, overdue: Callable[..., list[int]],
        snapshot: Callable[[Dunwell], object]) -> None:
    overdue()
    assess_hardship(app, case_id=CASE, reason="family_emergency",
                    monthly_income_minor=600_000, essential_expenses_minor=350_000,
                    other_debt_payments_minor=50_000, evidence=[], vulnerable=False,
                    source="collector", now=NOW)
    offers = offer_book(app, case_id=CASE, business_date=dt.date(2025, 3, 1)).offers
    plain = next(o for o in offers if o.offer.kind is OfferKind.INSTALMENT_PLAN)
    add_staff(app, staff_id="t-01", name="Trainer", role="trainer", lead_id=None, now=NOW)
    add_staff(app, staff_id="c-01", name="王芳", role="collector", lead_id=None, now=NOW)
    for subject in ("communication_skills", "legal_knowledge", "privacy", "vulnerability"):
        import_certificate(app, staff_id="c-01", subject=subject, signer_id="t-01",
                           score_pct=90, evidence="onboarding", issued_on=dt.date(2025, 1, 2),
                           expires_on=None, now=NOW)
    before = snapshot(app)
    with pytest.raises(DomainError) as err:
        approve_offer(app, offer_id=plain.offer_id, approver_id="c-01", role="collector",
                      now=NOW)
    assert err.value.code == "staff_must_hold_valid_certificates"
    assert "procedures (missing)" in err.value.message
    assert snapshot(app) == before
    import_certificate(app, staff_id="c-01", subject="procedures", signer_id="t-01",
                       score_pct=80, evidence="onboarding", issued_on=dt.date(2025, 1, 2),
                       expires_on=None, now=NOW)
    done = approve_offer(app, offer_id=plain.offer_id, approver_id="c-01", role="collector",
                         now=NOW)
    assert done.status is OfferStatus.APPROVED
