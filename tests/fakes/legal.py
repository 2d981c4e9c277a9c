"""In-memory repositories of legal (``uow.legal``: referrals, legal case events,
exported bundles) and of the evidence a referral reads (``uow.evidence``), on
dictionaries.

They keep their data in ``state["legal"]`` (a :class:`LegalData`), looked up on every
call, and return the store's records and raise the store's rejections (same codes,
same words). The evidence comes from the other fakes where they keep it, as the store
reads the other tables: loans and payments from lending; cases, actions, contacts and
the timeline from collections; letters and their events from the letter register;
visits from field; offers and plans from negotiation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from dunwell.collections.model import TimelineKind
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
from dunwell.negotiation.model import PlanStatus
from dunwell.store.legal_repo import VISIT_MET, StoredEvent
from fakes import registry
from fakes.channels import channels_data
from fakes.collections import collections_data
from fakes.field import field_data
from fakes.lending import lending_data
from fakes.negotiation import negotiation_data


@dataclass
class EventRow:
    referral_id: int
    key: str
    stored: StoredEvent


@dataclass
class LegalData:
    referrals: dict[int, Referral] = field(default_factory=dict)
    events: list[EventRow] = field(default_factory=list)
    bundles: list[dict[str, Any]] = field(default_factory=list)


def legal_data(state: dict[str, Any]) -> LegalData:
    """The legal records kept in ``state`` (made on first use)."""
    data = state.setdefault("legal", LegalData())
    assert isinstance(data, LegalData)
    return data


class _Repo:
    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    @property
    def data(self) -> LegalData:
        return legal_data(self._state)


class FakeLegalRepository(_Repo):
    # --- referrals ---------------------------------------------------------------------
    def add_referral(self, *, case_id: str, borrower_id: int, source: ReferralSource,
                     action_id: int | None, status: ReferralStatus, proposed_on: dt.date,
                     proposed_by: str, proposed_at: str, proposal_note: str,
                     days_past_due: int, outstanding_minor: int, currency: str,
                     eligibility: Eligibility) -> int:
        rid = max(self.data.referrals, default=0) + 1
        self.data.referrals[rid] = Referral(
            referral_id=rid, case_id=case_id, borrower_id=borrower_id, source=source,
            action_id=action_id, status=status, proposed_on=proposed_on,
            proposed_by=proposed_by, proposal_note=proposal_note, days_past_due=days_past_due,
            outstanding_minor=outstanding_minor, currency=currency,
            eligibility=Eligibility.from_json(eligibility.to_json()))
        return rid

    def get(self, referral_id: int) -> Referral:
        if referral_id not in self.data.referrals:
            raise NotFound(f"referral {referral_id} does not exist; see `dunwell legal list`",
                           code="referral_must_exist")
        return self.data.referrals[referral_id]

    def open_for_case(self, case_id: str) -> Referral | None:
        found = [r for _, r in sorted(self.data.referrals.items())
                 if r.case_id == case_id and r.status.is_open]
        return found[-1] if found else None

    def listed(self, statuses: list[ReferralStatus] | None = None,
               limit: int = 1000) -> list[Referral]:
        return [r for _, r in sorted(self.data.referrals.items())
                if not statuses or r.status in statuses][:limit]

    def decide(self, referral_id: int, *, status: ReferralStatus, by: str, role: str,
               note: str, on: dt.date, at: str, legal_state: LegalState | None,
               eligibility: Eligibility) -> None:
        if referral_id in self.data.referrals:
            self.data.referrals[referral_id] = replace(
                self.data.referrals[referral_id], status=status, decided_by=by,
                decided_role=role, decided_note=note, decided_on=on, legal_state=legal_state,
                eligibility=Eligibility.from_json(eligibility.to_json()))

    def set_state(self, referral_id: int, state: LegalState) -> None:
        if referral_id in self.data.referrals:
            self.data.referrals[referral_id] = replace(self.data.referrals[referral_id],
                                                       legal_state=state)

    def set_demand_letter(self, referral_id: int, letter_no: str) -> None:
        if referral_id in self.data.referrals:
            self.data.referrals[referral_id] = replace(self.data.referrals[referral_id],
                                                       demand_letter_no=letter_no)

    def legal_reviews_without_referral(self, up_to: dt.date,
                                       limit: int = 10_000) -> list[dict[str, Any]]:
        taken = {r.action_id for r in self.data.referrals.values() if r.action_id is not None}
        found = [dict(a) for a in collections_data(self._state).actions.values()
                 if a["kind"] == "legal_review" and a["business_date"] <= up_to
                 and a["decision"] == "internal" and a["action_id"] not in taken]
        return sorted(found, key=lambda a: int(a["action_id"]))[:limit]

    # --- legal case events -------------------------------------------------------------
    def event_by_key(self, key: str) -> tuple[int, LegalEvent] | None:
        for row in self.data.events:
            if row.key == key:
                return row.referral_id, row.stored.event
        return None

    def add_event(self, referral_id: int, event: LegalEvent, *, currency: str,
                  recorded_by: str, recorded_at: str, key: str) -> int:
        if self.event_by_key(key) is not None:
            raise AssertionError(f"legal event key {key} stored twice (a unique key)")
        event_id = len(self.data.events) + 1
        self.data.events.append(EventRow(referral_id, key, StoredEvent(
            event_id, event, currency, recorded_by, recorded_at)))
        return event_id

    def events(self, referral_id: int) -> list[StoredEvent]:
        return [row.stored for row in self.data.events if row.referral_id == referral_id]

    # --- bundles -------------------------------------------------------------------------
    def add_bundle(self, *, referral_id: int, created_at: str, manifest_sha256: str,
                   zip_sha256: str, files: int, size_bytes: int) -> None:
        self.data.bundles.append({
            "bundle_id": len(self.data.bundles) + 1, "referral_id": referral_id,
            "created_at": created_at, "manifest_sha256": manifest_sha256,
            "zip_sha256": zip_sha256, "files": files, "size_bytes": size_bytes})

    def bundle_by_manifest(self, manifest_sha256: str) -> dict[str, Any] | None:
        return next((dict(b) for b in self.data.bundles
                     if b["manifest_sha256"] == manifest_sha256), None)


class FakeEvidenceRepository(_Repo):
    # --- the loan book -------------------------------------------------------------------
    def loans(self, borrower_id: int) -> list[dict[str, Any]]:
        book = lending_data(self._state)
        out = []
        for _, loan in sorted(book.loans.items()):
            if loan.borrower_id != borrower_id:
                continue
            row = {f.name: getattr(loan, f.name) for f in dataclasses.fields(loan)
                   if f.name != "installments"}
            row["status"] = int(loan.status)
            row["spec_toml"] = book.products[loan.product_code][1]
            row["disbursed_on"] = from_day(loan.disbursed_day)
            out.append(row)
        return out

    def installments(self, loan_ids: list[int]) -> list[dict[str, Any]]:
        book = lending_data(self._state)
        out = []
        for loan_id in sorted(loan_ids):
            for inst in book.loans[loan_id].installments:
                row = {"loan_id": loan_id, **dataclasses.asdict(inst)}
                row["due_on"] = from_day(inst.due_day)
                out.append(row)
        return out

    def payments(self, loan_ids: list[int]) -> list[dict[str, Any]]:
        book = lending_data(self._state)
        return [{f.name: getattr(p, f.name) for f in dataclasses.fields(p)
                 if f.name != "allocation"}
                for _, p in sorted(book.payments.items()) if p.loan_id in loan_ids]

    # --- collections ---------------------------------------------------------------------
    def actions(self, borrower_id: int, since: dt.date) -> list[dict[str, Any]]:
        return sorted((dict(a) for a in collections_data(self._state).actions.values()
                       if a["borrower_id"] == borrower_id and a["business_date"] >= since),
                      key=lambda a: int(a["action_id"]))

    def contacts(self, borrower_id: int) -> list[dict[str, Any]]:
        return [{"contact_id": k, "borrower_id": m.borrower_id, "ts": m.event.ts.isoformat(),
                 "channel": m.event.channel.value, "direction": m.event.direction.value,
                 "outcome": m.event.outcome.value, "action_id": m.action_id}
                for k, m in enumerate(collections_data(self._state).contacts, start=1)
                if m.borrower_id == borrower_id]

    def case_row(self, case_id: str) -> dict[str, Any]:
        found = collections_data(self._state).cases.get(case_id)
        if found is None:
            raise NotFound(f"case {case_id} does not exist", code="case_must_exist")
        return dict(found)

    # --- the letter register, field visits and negotiation ---------------------------
    def visits_met(self, case_id: str, borrower_id: int) -> int:
        return sum(1 for v in field_data(self._state).visits.values()
                   if v["borrower_id"] == borrower_id and v.get("outcome") in VISIT_MET)

    def letters_delivered(self, borrower_id: int, since: dt.date) -> int:
        return len({x["letter_no"] for x in self.letters(borrower_id)
                    if x["business_date"] >= since
                    and any(e["event"] == "delivered" for e in x["events"])})

    def plan_in_good_standing(self, case_id: str) -> bool:
        return any(p.case_id == case_id and p.status is PlanStatus.ACTIVE
                   for p in negotiation_data(self._state).plans.values())

    def letters(self, borrower_id: int) -> list[dict[str, Any]]:
        """The borrower's letters as the register's rows, each with its events."""
        register = channels_data(self._state)
        out = []
        for stored in sorted(register.letters.values(), key=lambda x: x.record.letter_id):
            r = stored.record
            if r.borrower_id != borrower_id:
                continue
            row = {f.name: getattr(r, f.name) for f in dataclasses.fields(r)}
            row.update(status=r.status.value, issued_at=r.issued_at.isoformat(),
                       dispatch_method=r.dispatch_method.value if r.dispatch_method else None,
                       sequence=stored.sequence, document_json=stored.document_json)
            row["events"] = [{"letter_no": e.letter_no, "event": e.event.value,
                              "at": e.at.isoformat(),
                              "method": e.method.value if e.method else None,
                              "proof": e.proof, "note": e.note}
                             for e in register.letter_events if e.letter_no == r.letter_no]
            out.append(row)
        return out

    def visits(self, borrower_id: int) -> list[dict[str, Any]]:
        return [dict(v) for _, v in sorted(field_data(self._state).visits.items())
                if v["borrower_id"] == borrower_id]

    def offers(self, case_id: str) -> list[dict[str, Any]]:
        data = negotiation_data(self._state)
        out = []
        for _, o in sorted(data.offers.items()):
            if o.case_id != case_id:
                continue
            out.append({
                "offer_id": o.offer_id, "assessment_id": o.assessment_id,
                "case_id": o.case_id, "loan_id": o.loan_id, "business_date": o.business_date,
                "expires_on": o.expires_on, "rank": o.rank, "status": o.status.value,
                "kind": o.offer.kind.value, "months": o.offer.months,
                "reduced_months": o.offer.reduced_months,
                "monthly_payment_minor": o.offer.monthly_payment_minor,
                "total_cost_minor": o.offer.total_cost_minor,
                "waiver_minor": o.offer.waiver.total_minor,
                "approval_role": o.offer.approval_role.value, "approved_by": o.approved_by,
                "basis_source": data.assessments[o.assessment_id].source.value})
        return out

    def offer_states(self, case_id: str) -> list[tuple[str, dt.date]]:
        return [(o.status.value, o.expires_on)
                for _, o in sorted(negotiation_data(self._state).offers.items())
                if o.case_id == case_id]

    def no_offer_reasons(self, case_id: str) -> list[tuple[dt.date, str]]:
        return [(e.on, e.text) for e in collections_data(self._state).timeline
                if e.case_id == case_id and e.kind is TimelineKind.DEBT_ADVICE_REFERRAL]

    def plans(self, case_id: str) -> list[dict[str, Any]]:
        return [{"plan_id": p.plan_id, "offer_id": p.offer_id, "case_id": p.case_id,
                 "borrower_id": p.borrower_id, "loan_id": p.loan_id, "kind": p.kind.value,
                 "accepted_on": p.accepted_on, "accepted_at": p.accepted_at,
                 "first_n": p.first_n, "last_n": p.last_n, "grace_days": p.grace_days,
                 "entry_id": p.entry_id, "status": p.status.value, "checked_on": p.checked_on,
                 "resolved_on": p.resolved_on}
                for _, p in sorted(negotiation_data(self._state).plans.items())
                if p.case_id == case_id]


registry.register("legal", FakeLegalRepository)
registry.register("evidence", FakeEvidenceRepository)
