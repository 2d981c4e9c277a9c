"""A registered approver decides a legal referral, and records a legal step, only
with the certificates legal work needs on the day; once the staff register is
required, an unregistered name is refused too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from legal_book import FIRST_DUE, NOW, reach_out

from dunwell.app.legal.cases import record_legal_event
from dunwell.app.legal.referrals import approve_referral, propose_referral
from dunwell.app.training.service import add_staff, import_certificate, set_register_required
from dunwell.bootstrap import Dunwell
from dunwell.core.errors import DomainError
from dunwell.legal.model import ReferralStatus

DAY = FIRST_DUE + dt.timedelta(days=100)
CASE = f"case-1-{DAY:%Y%m%d}"


def decide(app: Dunwell, rid: int, by: str) -> ReferralStatus:
    with app.uow() as uow:
        ref = approve_referral(uow, referral_id=rid, approver=by, role="legal_counsel",
                               note="evidence complete", business_date=DAY, now=NOW)
        uow.commit()
    return ref.status


def test_legal_decisions_need_the_legal_certificates(
        app: Dunwell, overdue_book: Callable[[dt.date], dt.date]) -> None:
    overdue_book(DAY)
    reach_out(app, 1, DAY)
    with app.uow() as uow:
        rid = propose_referral(uow, case_id=CASE, business_date=DAY, proposed_by="Li Na",
                               now=NOW, note="refuses to engage").referral_id
        uow.commit()
    add_staff(app, staff_id="co-1", name="Compliance", role="compliance_officer", lead_id=None,
              now=NOW)
    add_staff(app, staff_id="lc-1", name="Zhao Min", role="legal_counsel", lead_id=None, now=NOW)
    set_register_required(app, required=True, by="co-1", now=NOW)
    for who, code in (("Someone Else", "staff_must_exist"),
                      ("lc-1", "staff_must_hold_valid_certificates")):
        with pytest.raises(DomainError) as err:
            decide(app, rid, who)
        assert err.value.code == code
    for subject in ("legal_knowledge", "privacy", "procedures"):
        import_certificate(app, staff_id="lc-1", subject=subject, signer_id="co-1",
                           score_pct=95, evidence="bar course", issued_on=DAY, expires_on=None,
                           now=NOW)
    assert decide(app, rid, "lc-1") is ReferralStatus.APPROVED
    add_staff(app, staff_id="c-7", name="Collector", role="collector", lead_id=None, now=NOW)
    with app.uow() as uow, pytest.raises(DomainError) as err:
        record_legal_event(uow, referral_id=rid, event="filed", on=DAY, cost_minor=50_000,
                           recorded_by="c-7", now=NOW, court="c", reference="r")
    assert err.value.code == "staff_role_must_perform_action"
    with app.uow() as uow:
        view = record_legal_event(uow, referral_id=rid, event="filed", on=DAY,
                                  cost_minor=50_000, recorded_by="lc-1", now=NOW, court="c",
                                  reference="r")
        uow.commit()
    assert [(e.event.event.value, e.recorded_by) for e in view.events] == [("filed", "lc-1")]
