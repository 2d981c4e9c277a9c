"""Repositories for legal: referrals with their decisions, legal case events, exported
bundles, and the evidence queries (loan terms, schedule, payments, actions, contacts,
letters, visits, offers, plans) an evidence bundle and the referral check read."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from dunwell.core.dates import from_day
from dunwell.core.errors import NotFound
from dunwell.legal.model import (
    Eligibility,
    LegalEvent,
    LegalState,
    Referral,
    ReferralSource,
    ReferralStatus,
)
from dunwell.store import collection_tables as c
from dunwell.store import field_tables as f
from dunwell.store import legal_tables as lg
from dunwell.store import letter_tables as lt
from dunwell.store import negotiation_tables as n
from dunwell.store import tables as t

r_ = lg.legal_referrals.c
e_ = lg.legal_events.c


def _referral(m: Any) -> Referral:
    return Referral(
        referral_id=int(m["referral_id"]), case_id=m["case_id"],
        borrower_id=int(m["borrower_id"]), source=ReferralSource(m["source"]),
        action_id=None if m["action_id"] is None else int(m["action_id"]),
        status=ReferralStatus(m["status"]), proposed_on=m["proposed_on"],
        proposed_by=m["proposed_by"], proposal_note=m["proposal_note"],
        days_past_due=int(m["days_past_due"]), outstanding_minor=int(m["outstanding_minor"]),
        currency=m["currency"], eligibility=Eligibility.from_json(json.loads(m["failures_json"])),
        decided_by=m["decided_by"], decided_role=m["decided_role"],
        decided_note=m["decided_note"], decided_on=m["decided_on"],
        legal_state=None if m["legal_state"] is None else LegalState(m["legal_state"]),
        demand_letter_no=m["demand_letter_no"])


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: int
    event: LegalEvent
    currency: str
    recorded_by: str
    recorded_at: str


class LegalRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- referrals ---------------------------------------------------------------------
    def add_referral(self, *, case_id: str, borrower_id: int, source: ReferralSource,
                     action_id: int | None, status: ReferralStatus, proposed_on: dt.date,
                     proposed_by: str, proposed_at: str, proposal_note: str,
                     days_past_due: int, outstanding_minor: int, currency: str,
                     eligibility: Eligibility) -> int:
        res = self.conn.execute(insert(lg.legal_referrals).values(
            case_id=case_id, borrower_id=borrower_id, source=source.value, action_id=action_id,
            status=status.value, proposed_on=proposed_on, proposed_by=proposed_by,
            proposed_at=proposed_at, proposal_note=proposal_note, days_past_due=days_past_due,
            outstanding_minor=outstanding_minor, currency=currency,
            failures_json=json.dumps(eligibility.to_json(), ensure_ascii=False)))
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def get(self, referral_id: int) -> Referral:
        row = self.conn.execute(select(lg.legal_referrals)
                                .where(r_.referral_id == referral_id)).first()
        if row is None:
            raise NotFound(f"referral {referral_id} does not exist; see `dunwell legal list`",
                           code="referral_must_exist")
        return _referral(row._mapping)

    def open_for_case(self, case_id: str) -> Referral | None:
        row = self.conn.execute(
            select(lg.legal_referrals)
            .where(r_.case_id == case_id,
                   r_.status.in_([s.value for s in ReferralStatus if s.is_open]))
            .order_by(r_.referral_id.desc())).first()
        return None if row is None else _referral(row._mapping)

    def listed(self, statuses: list[ReferralStatus] | None = None,
               limit: int = 1000) -> list[Referral]:
        q = select(lg.legal_referrals).order_by(r_.referral_id).limit(limit)
        if statuses:
            q = q.where(r_.status.in_([s.value for s in statuses]))
        return [_referral(r._mapping) for r in self.conn.execute(q)]

    def decide(self, referral_id: int, *, status: ReferralStatus, by: str, role: str,
               note: str, on: dt.date, at: str, legal_state: LegalState | None,
               eligibility: Eligibility) -> None:
        self.conn.execute(update(lg.legal_referrals).where(r_.referral_id == referral_id).values(
            status=status.value, decided_by=by, decided_role=role, decided_note=note,
            decided_on=on, decided_at=at,
            legal_state=None if legal_state is None else legal_state.value,
            failures_json=json.dumps(eligibility.to_json(), ensure_ascii=False)))

    def set_state(self, referral_id: int, state: LegalState) -> None:
        self.conn.execute(update(lg.legal_referrals).where(r_.referral_id == referral_id)
                          .values(legal_state=state.value))

    def set_demand_letter(self, referral_id: int, letter_no: str) -> None:
        self.conn.execute(update(lg.legal_referrals).where(r_.referral_id == referral_id)
                          .values(demand_letter_no=letter_no))

    def legal_reviews_without_referral(self, up_to: dt.date,
                                       limit: int = 10_000) -> list[dict[str, Any]]:
        """The strategy's ``legal_review`` steps (internal, so never denied by the
        guard) that have not yet become a referral, oldest first."""
        a = c.case_actions.c
        taken = select(r_.action_id).where(r_.action_id.is_not(None))
        q = (select(c.case_actions).where(a.kind == "legal_review", a.business_date <= up_to,
                                          a.decision == "internal",
                                          a.action_id.not_in(taken))
             .order_by(a.action_id).limit(limit))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    # --- legal case events -------------------------------------------------------------
    def event_by_key(self, key: str) -> tuple[int, LegalEvent] | None:
        """(referral id, event) recorded under ``key``, if any."""
        row = self.conn.execute(select(lg.legal_events)
                                .where(e_.idempotency_key == key)).first()
        if row is None:
            return None
        m = row._mapping
        return int(m["referral_id"]), LegalEvent(LegalState(m["event"]), m["on_date"],
                                                 int(m["cost_minor"]), m["court"],
                                                 m["reference"], m["note"])

    def add_event(self, referral_id: int, event: LegalEvent, *, currency: str,
                  recorded_by: str, recorded_at: str, key: str) -> int:
        res = self.conn.execute(insert(lg.legal_events).values(
            referral_id=referral_id, event=event.event.value, on_date=event.on,
            court=event.court, reference=event.reference, cost_minor=event.cost_minor,
            currency=currency, note=event.note, recorded_by=recorded_by,
            recorded_at=recorded_at, idempotency_key=key))
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def events(self, referral_id: int) -> list[StoredEvent]:
        q = select(lg.legal_events).where(e_.referral_id == referral_id).order_by(e_.event_id)
        return [StoredEvent(int(m["event_id"]),
                            LegalEvent(LegalState(m["event"]), m["on_date"], int(m["cost_minor"]),
                                       m["court"], m["reference"], m["note"]),
                            m["currency"], m["recorded_by"], m["recorded_at"])
                for m in (r._mapping for r in self.conn.execute(q))]

    # --- bundles -------------------------------------------------------------------------
    def add_bundle(self, *, referral_id: int, created_at: str, manifest_sha256: str,
                   zip_sha256: str, files: int, size_bytes: int) -> None:
        self.conn.execute(insert(lg.legal_bundles).values(
            referral_id=referral_id, created_at=created_at, manifest_sha256=manifest_sha256,
            zip_sha256=zip_sha256, files=files, size_bytes=size_bytes))

    def bundle_by_manifest(self, manifest_sha256: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(lg.legal_bundles)
                                .where(lg.legal_bundles.c.manifest_sha256 == manifest_sha256)
                                .order_by(lg.legal_bundles.c.bundle_id)).first()
        return None if row is None else dict(row._mapping)


#: Visit outcomes that mean an agent met the borrower in person (a refusal included).
VISIT_MET = ("delivered_in_person", "refused", "promise_to_pay", "plan_requested",
             "hardship_reported")


class EvidenceRepository:
    """Read-only queries over the book, collections, the letter register, field visits
    and negotiation for one borrower's case."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def loans(self, borrower_id: int) -> list[dict[str, Any]]:
        """Each loan with its product's terms (the product spec as stored)."""
        q = (select(t.loans, t.products.c.spec_toml)
             .join(t.products, t.products.c.code == t.loans.c.product_code)
             .where(t.loans.c.borrower_id == borrower_id).order_by(t.loans.c.loan_id))
        out = []
        for r in self.conn.execute(q):
            m = dict(r._mapping)
            m["disbursed_on"] = from_day(int(m["disbursed_day"]))
            out.append(m)
        return out

    def installments(self, loan_ids: list[int]) -> list[dict[str, Any]]:
        if not loan_ids:
            return []
        i = t.installments.c
        q = (select(t.installments).where(i.loan_id.in_(loan_ids)).order_by(i.loan_id, i.n))
        out = []
        for r in self.conn.execute(q):
            m = dict(r._mapping)
            m["due_on"] = from_day(int(m["due_day"]))
            out.append(m)
        return out

    def payments(self, loan_ids: list[int]) -> list[dict[str, Any]]:
        if not loan_ids:
            return []
        q = (select(t.payments).where(t.payments.c.loan_id.in_(loan_ids))
             .order_by(t.payments.c.payment_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def actions(self, borrower_id: int, since: dt.date) -> list[dict[str, Any]]:
        a = c.case_actions.c
        q = (select(c.case_actions).where(a.borrower_id == borrower_id, a.business_date >= since)
             .order_by(a.action_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def contacts(self, borrower_id: int) -> list[dict[str, Any]]:
        q = (select(c.contacts).where(c.contacts.c.borrower_id == borrower_id)
             .order_by(c.contacts.c.contact_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def case_row(self, case_id: str) -> dict[str, Any]:
        row = self.conn.execute(select(c.cases).where(c.cases.c.case_id == case_id)).first()
        if row is None:
            raise NotFound(f"case {case_id} does not exist", code="case_must_exist")
        return dict(row._mapping)


    # --- the letter register, field visits and negotiation ---------------------------
    # what a referral check and an evidence bundle read from the other parts of
    # collections

    def visits_met(self, case_id: str, borrower_id: int) -> int:
        v = f.visits.c
        q = (select(func.count()).select_from(f.visits)
             .where(v.borrower_id == borrower_id, v.outcome.in_(VISIT_MET)))
        return int(self.conn.execute(q).scalar_one())

    def letters_delivered(self, borrower_id: int, since: dt.date) -> int:
        q = (select(func.count(func.distinct(lt.letters.c.letter_no)))
             .select_from(lt.letters.join(
                 lt.letter_events, lt.letter_events.c.letter_no == lt.letters.c.letter_no))
             .where(lt.letters.c.borrower_id == borrower_id,
                    lt.letters.c.business_date >= since,
                    lt.letter_events.c.event == "delivered"))
        return int(self.conn.execute(q).scalar_one())

    def plan_in_good_standing(self, case_id: str) -> bool:
        q = select(n.plans.c.plan_id).where(n.plans.c.case_id == case_id,
                                            n.plans.c.status == "active")
        return self.conn.execute(q).first() is not None

    def letters(self, borrower_id: int) -> list[dict[str, Any]]:
        """The borrower's letters, each with its register events (oldest first)."""
        rows = [dict(r._mapping) for r in self.conn.execute(
            select(lt.letters).where(lt.letters.c.borrower_id == borrower_id)
            .order_by(lt.letters.c.letter_id))]
        if not rows:
            return rows
        events: dict[str, list[dict[str, Any]]] = {}
        q = (select(lt.letter_events)
             .where(lt.letter_events.c.letter_no.in_([r["letter_no"] for r in rows]))
             .order_by(lt.letter_events.c.event_id))
        for e in self.conn.execute(q):
            events.setdefault(e._mapping["letter_no"], []).append(dict(e._mapping))
        for r in rows:
            r["events"] = events.get(r["letter_no"], [])
        return rows

    def visits(self, borrower_id: int) -> list[dict[str, Any]]:
        q = (select(f.visits).where(f.visits.c.borrower_id == borrower_id)
             .order_by(f.visits.c.visit_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def offers(self, case_id: str) -> list[dict[str, Any]]:
        """The case's offers, oldest first, each with ``basis_source``: the source of
        the assessment it was made on (``book``: proposed without an assessment)."""
        q = (select(n.offers, n.hardship_assessments.c.source.label("basis_source"))
             .join(n.hardship_assessments, n.hardship_assessments.c.assessment_id
                   == n.offers.c.assessment_id)
             .where(n.offers.c.case_id == case_id)
             .order_by(n.offers.c.offer_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def offer_states(self, case_id: str) -> list[tuple[str, dt.date]]:
        """(status, expiry date) of each offer made on the case."""
        q = (select(n.offers.c.status, n.offers.c.expires_on)
             .where(n.offers.c.case_id == case_id).order_by(n.offers.c.offer_id))
        return [(str(a), b) for a, b in self.conn.execute(q)]

    def no_offer_reasons(self, case_id: str) -> list[tuple[dt.date, str]]:
        """When and why no offer was possible on the case (the referrals to free debt
        advice on its timeline), oldest first."""
        q = (select(c.case_timeline.c.on_date, c.case_timeline.c.text)
             .where(c.case_timeline.c.case_id == case_id,
                    c.case_timeline.c.kind == "debt_advice_referral")
             .order_by(c.case_timeline.c.entry_id))
        return [(a, str(b)) for a, b in self.conn.execute(q)]

    def plans(self, case_id: str) -> list[dict[str, Any]]:
        q = (select(n.plans).where(n.plans.c.case_id == case_id).order_by(n.plans.c.plan_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]
