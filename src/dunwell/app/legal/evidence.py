"""The evidence bundle for a referral: one PDF of every section and a ZIP of the
originals (a CSV per section, the referral as JSON, each letter's PDF) with a
manifest of sizes and SHA-256 digests and the manifest's own checksum.

Sections: contract terms, the schedule, payment history, collection actions with the
compliance guard's verdicts, contacts (with the audit chain's check), letters with
their delivery events, field visits, offers and plans, the referral with its human
approval, and the legal case's events with costs. A section with nothing in it says
"none recorded". Each export is recorded (manifest digest) and audited.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dunwell.app.audit import AuditReport, record, verify
from dunwell.app.context import Dunwell
from dunwell.app.legal.cases import legal_case
from dunwell.app.letters.service import letter_document
from dunwell.app.uow import UnitOfWork
from dunwell.channels.document import Document
from dunwell.channels.locale import language_for
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor
from dunwell.legal.bundle import BundleCheck, BundleFile, PackedBundle, pack_bundle, verify_bundle
from dunwell.legal.errors import BundleInvalid
from dunwell.legal.evidence import (
    Evidence,
    Section,
    evidence_document,
    rows_of,
    section_csv,
    section_file_name,
)
from dunwell.legal.model import Referral
from dunwell.negotiation.model import AssessmentSource, OfferStatus, PlanStatus
from dunwell.negotiation.outcome import PlanEnd, offer_ending

if TYPE_CHECKING:  # the repository's interface, for the type checker
    from dunwell.store.legal_repo import EvidenceRepository

#: Letters a bundle carries as PDFs at the most (a case has a handful).
LETTER_PDFS_MAX = 200
#: The largest bundle file :func:`verify_bundle_file` reads.
BUNDLE_BYTES_MAX = 512 * 1024 * 1024
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ZipBounds:
    """What a bundle ZIP may hold, checked from its directory before anything is
    extracted: a small ZIP that expands to gigabytes (a ZIP bomb) is refused at once.
    ``zipfile`` never inflates a member beyond its declared size, so bounding the
    declared sizes bounds the work."""

    members_max: int = 10_000
    uncompressed_bytes_max: int = 256 * MIB
    #: A member larger than ``ratio_from_bytes`` may expand at most this many times.
    ratio_max: int = 200
    ratio_from_bytes: int = MIB


def check_zip_bounds(path: Path, bounds: ZipBounds) -> None:
    """Refuse (``bundle_must_be_bounded``) a ZIP with too many members, too many bytes
    when extracted, or a member compressed beyond ``bounds.ratio_max``."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise BundleInvalid("the file is not a ZIP archive; pass the bundle's .zip file",
                            code="bundle_must_be_a_zip") from None
    if len(infos) > bounds.members_max:
        raise BundleInvalid(f"the ZIP holds {len(infos)} files, more than "
                            f"{bounds.members_max}; it is not an evidence bundle",
                            code="bundle_must_be_bounded")
    total = sum(i.file_size for i in infos)
    if total > bounds.uncompressed_bytes_max:
        raise BundleInvalid(f"the ZIP expands to {total} bytes, more than "
                            f"{bounds.uncompressed_bytes_max}; it is not an evidence bundle",
                            code="bundle_must_be_bounded")
    for info in infos:
        if (info.file_size > bounds.ratio_from_bytes
                and info.file_size > bounds.ratio_max * max(info.compress_size, 1)):
            raise BundleInvalid(f"{info.filename} expands {info.file_size} bytes from "
                                f"{info.compress_size}, more than {bounds.ratio_max} times: "
                                "refused unread", code="bundle_must_be_bounded")


def verify_bundle_upload(path: Path, *, bounds: ZipBounds) -> BundleCheck:
    """Check a bundle ZIP saved to ``path``: its bounds from the directory first, then
    every checksum (CPU-bound: call it off the event loop)."""
    check_zip_bounds(path, bounds)
    return verify_bundle(path.read_bytes())


@dataclass(frozen=True, slots=True)
class ExportedBundle:
    referral_id: int
    zip_path: Path
    pdf_path: Path
    manifest_sha256: str
    zip_sha256: str
    files: int


def _m(minor: object, currency: str) -> str:
    return format_minor(int(str(minor)), currency)


def _book_sections(uow: UnitOfWork, ev: EvidenceRepository, ref: Referral,
                   cur: str) -> list[Section]:
    """Contract terms, the schedule and the payments, from the loan book."""
    loans = ev.loans(ref.borrower_id)
    loan_ids = [int(ln["loan_id"]) for ln in loans]
    insts = ev.installments(loan_ids)
    products = uow.products.all()
    terms = []
    for ln in loans:
        p = products.get(ln["product_code"])
        last_due = max((i["due_on"] for i in insts if i["loan_id"] == ln["loan_id"]),
                       default=None)
        terms.append((ln["loan_id"], f"{ln['product_code']} ({p.name if p else ''})",
                      _m(ln["principal_minor"], ln["currency"]) + f" {ln['currency']}",
                      f"{p.annual_rate} / {p.penalty_rate}" if p else "",
                      f"{p.method.value}, {p.day_count.value}" if p else "",
                      ln["disbursed_on"], last_due))
    sched = [(i["loan_id"], i["n"], i["due_on"], _m(i["principal_minor"], cur),
              _m(i["interest_minor"], cur),
              _m(int(i["fee_minor"]) + int(i["penalty_minor"]), cur),
              _m(int(i["paid_principal_minor"]) + int(i["paid_interest_minor"])
                 + int(i["paid_fee_minor"]) + int(i["paid_penalty_minor"]), cur))
             for i in insts]
    pays = [(p["payment_id"], p["loan_id"], p["business_date"], p["kind"],
             _m(p["amount_minor"], p["currency"]), p["idempotency_key"],
             "reversed" if p["reversal_entry_id"] else "")
            for p in ev.payments(loan_ids)]
    return [
        Section("contract_terms", ("Loan", "Product", "Principal", "Annual rate / penalty rate",
                                   "Method, day count", "Disbursed", "Maturity"),
                rows_of(terms), "Contract terms of each of the borrower's loans (product "
                "terms, principal, rates, dates)", layout="records"),
        Section("schedule", ("Loan", "No.", "Due", "Principal", "Interest", "Fees + penalty",
                             "Paid"),
                rows_of(sched), "Repayment schedule with what was charged and paid per "
                "instalment", merge=((0, 1), (2,), (3,), (4,), (5,), (6,))),
        Section("payments", ("Payment", "Loan", "Date", "Kind", "Amount", "Reference",
                             "Reversed"),
                rows_of(pays), "Payment history (every payment received, reversals marked)",
                merge=((0, 1), (2,), (3,), (4,), (5, 6))),
    ]


def _conduct_sections(ev: EvidenceRepository, ref: Referral, opened_on: dt.date,
                      audit_note: str) -> list[Section]:
    """What collections did and what happened: actions with the guard's verdicts, and
    every recorded contact."""
    acts = [(a["action_id"], a["business_date"], a["kind"], a["channel"] or "internal",
             a["decision"], a["rule"] or "", a["reason"])
            for a in ev.actions(ref.borrower_id, opened_on - dt.timedelta(days=10))]
    cons = [(m["ts"], m["channel"], m["direction"], m["outcome"], m["action_id"])
            for m in ev.contacts(ref.borrower_id)]
    return [
        Section("decisions", ("Action", "Date", "Kind", "Channel", "Guard decision", "Rule",
                              "Reason"),
                rows_of(acts), "Collection actions with the compliance guard's verdicts",
                audit_note, merge=((0, 1), (2, 3), (4, 5), (6,))),
        Section("contacts", ("Time", "Channel", "Direction", "Outcome", "Action"),
                rows_of(cons), "Contact log (every recorded contact and outcome)"),
    ]


def _proof(events: list[dict[str, Any]], *kinds: str) -> str:
    """The latest of ``kinds`` among a letter's register events, as evidence: the
    event, when, how it went (post, e-letter, by hand) and its proof; "none recorded"
    when the register has none."""
    found = [e for e in events if e["event"] in kinds]
    if not found:
        return "none recorded"
    e = found[-1]
    parts = [str(e["event"]), str(e["at"])]
    if e["method"]:
        parts.append(f"by {e['method']}")
    if e["proof"]:
        parts.append(f"proof: {e['proof']}")
    return ", ".join(parts)


def _offer_rows(ev: EvidenceRepository, ref: Referral, cur: str) -> list[tuple[object, ...]]:
    """Each offer with its terms, the basis it was made on and how it ended as of the
    referral's date; each plan; each recorded reason why no offer was possible."""
    plans = ev.plans(ref.case_id)
    ends = {int(p["offer_id"]): PlanEnd(int(p["plan_id"]), PlanStatus(p["status"]),
                                        p["resolved_on"]) for p in plans}
    rows: list[tuple[object, ...]] = []
    for o in ev.offers(ref.case_id):
        kind, months, reduced = o["kind"], o["months"], o["reduced_months"]
        terms = (f"{kind} ({reduced} reduced, {months} in all)" if reduced
                 else f"{kind} over {months} months")
        basis = ("proposed without an assessment (the book's estimate)"
                 if o["basis_source"] == AssessmentSource.BOOK.value
                 else f"hardship assessment ({o['basis_source']})")
        ending = offer_ending(status=OfferStatus(o["status"]), expires_on=o["expires_on"],
                              on=ref.proposed_on, plan=ends.get(int(o["offer_id"])))
        rows.append((o["offer_id"], o["business_date"], terms, basis,
                     _m(o["monthly_payment_minor"], cur),
                     f"{_m(o['total_cost_minor'], cur)} / {_m(o['waiver_minor'], cur)}",
                     o["expires_on"], ending))
    rows += [(f"plan {p['plan_id']}", p["accepted_on"], p["kind"], f"offer {p['offer_id']}",
              "", "", p["resolved_on"] or "", p["status"]) for p in plans]
    rows += [("no offer", on, "none possible", "", "", "", "", why)
             for on, why in ev.no_offer_reasons(ref.case_id)]
    return rows


def _sibling_sections(ev: EvidenceRepository, ref: Referral, cur: str,
                      letters: list[dict[str, Any]]) -> list[Section]:
    """Letters with their delivery proof, field visits, offers and plans."""
    lrows = []
    for letter in letters:
        events = letter["events"]
        trail = "; ".join(
            f"{e['event']} {e['at']}" + (f" {e['method']}" if e["method"] else "")
            + (f" proof: {e['proof']}" if e["proof"] else "") for e in events)
        lrows.append((letter["letter_no"], letter["kind"], letter["business_date"],
                      letter["status"], letter["content_sha256"][:16],
                      _proof(events, "dispatched"), _proof(events, "delivered", "returned"),
                      trail))
    vrows = [(v["visit_id"], v["plan_date"], v["agent_id"], v["status"], v["outcome"],
              v["outcome_at"], v["proof"], v["note"]) for v in ev.visits(ref.borrower_id)]
    orows = _offer_rows(ev, ref, cur)
    return [
        Section("letters", ("Letter", "Kind", "Date", "Status", "Content SHA-256 (start)",
                            "Proof of dispatch", "Proof of delivery (or return)",
                            "Register events"),
                rows_of(lrows), "Letters issued with their proof of dispatch (how and when) "
                "and of delivery (when, with the tracking reference or receipt), and every "
                "register event", merge=((0, 1), (2, 3), (4,), (5, 6), (7,))),
        Section("visits", ("Visit", "Date", "Agent", "Status", "Outcome", "At", "Proof",
                           "Note"),
                rows_of(vrows), "Field visits and their recorded outcomes",
                merge=((0, 1), (2, 3), (4, 5), (6, 7))),
        Section("offers", ("Offer", "Made", "Terms", "Basis", "Monthly payment",
                           "Total paid / waived", "Expires", "How it ended"),
                rows_of(orows), "Repayment offers made (terms, basis, how each ended, as "
                "judged on the referral date), plans agreed, and why no offer was possible",
                merge=((0, 1), (2, 3), (4, 5), (6, 7))),
    ]


def _legal_sections(uow: UnitOfWork, ref: Referral, cur: str) -> list[Section]:
    """The referral with the person's decision, and the legal case's events."""
    rrows: list[tuple[object, ...]] = [
        ("Referral", ref.referral_id), ("Case", ref.case_id),
        ("Proposed", f"{ref.proposed_on} by {ref.proposed_by} ({ref.source.value})"),
        ("Proposal note", ref.proposal_note),
        ("Days past due at proposal", ref.days_past_due),
        ("Outstanding at proposal", f"{_m(ref.outstanding_minor, cur)} {cur}"),
        ("Decision", ref.status.value),
        ("Decided by", f"{ref.decided_by or ''} ({ref.decided_role or ''}) on "
                       f"{ref.decided_on or ''}"),
        ("Decision note", ref.decided_note or ""),
        ("Failed criteria at decision", "; ".join(f.reason for f in ref.eligibility.failures)
         or "none: every referral rule held"),
        ("Demand letter", ref.demand_letter_no or "")]
    view = legal_case(uow, referral_id=ref.referral_id)
    erows = [(s.event.on, s.event.event.value, s.event.court, s.event.reference,
              _m(s.event.cost_minor, s.currency), s.event.note, s.recorded_by)
             for s in view.events]
    return [
        Section("referral", ("Field", "Value"), rows_of(rrows),
                "The referral, the rules' verdict and the person's decision", layout="fields"),
        Section("legal_events", ("Date", "Event", "Court", "Reference", "Cost", "Note",
                                 "Recorded by"),
                rows_of(erows), "Legal case events with their costs",
                f"Total costs: {_m(view.total_cost_minor, cur)} {cur}.",
                merge=((0, 1), (2, 3), (4,), (5, 6))),
    ]


def gather_evidence(uow: UnitOfWork, *, referral_id: int, audit: AuditReport,
                    generated_at: dt.datetime) -> tuple[Evidence, list[str]]:
    """The bundle's sections from the book (and the letters the bundle must carry)."""
    ref = uow.legal.get(referral_id)
    ev = uow.evidence
    profile = uow.borrowers.get(ref.borrower_id)
    case = ev.case_row(ref.case_id)
    cur = ref.currency if len(ref.currency) == 3 else "CNY"
    chain = ("intact" if audit.intact else f"{len(audit.problems)} problem(s): " + "; ".join(
        f"#{p.seq} {p.problem}" for p in audit.problems[:20]))
    audit_note = (f"Audit chain check at {generated_at.isoformat()}: {audit.records} records, "
                  f"head #{audit.head_seq}, {chain}.")
    letters = ev.letters(ref.borrower_id)
    sections = (_book_sections(uow, ev, ref, cur)
                + _conduct_sections(ev, ref, case["opened_on"], audit_note)
                + _sibling_sections(ev, ref, cur, letters)
                + _legal_sections(uow, ref, cur))
    summary = (("Borrower", f"{profile.name} (#{ref.borrower_id})"),
               ("Case", f"{ref.case_id} ({case['status']}, opened {case['opened_on']})"),
               ("Referral", f"{ref.referral_id}: {ref.status.value}"
                + (f", decided by {ref.decided_by} ({ref.decided_role})"
                   if ref.decided_by else "")),
               ("Outstanding at proposal", f"{_m(ref.outstanding_minor, cur)} {cur}"),
               ("Generated", generated_at.isoformat()),
               ("Audit chain", chain),
               ("Originals", "every section as CSV, the referral as JSON and each letter "
                             "as PDF, listed with SHA-256 in manifest.json"))
    evidence = Evidence(ref.referral_id, ref.case_id,
                        language_for(profile.borrower.language or "en"), summary,
                        tuple(sections),
                        footer=f"Evidence bundle · referral {ref.referral_id} · {ref.case_id}")
    return evidence, [str(x["letter_no"]) for x in letters][:LETTER_PDFS_MAX]


def build_bundle(app: Dunwell, *, referral_id: int, now: dt.datetime) -> PackedBundle:
    """Build the bundle (one transaction: the export is recorded and audited)."""
    if now.tzinfo is None:
        raise InvalidInput("the export time must carry a time zone", code="time_must_be_aware")
    audit = verify(app)
    with app.uow() as uow:
        evidence, letter_nos = gather_evidence(uow, referral_id=referral_id, audit=audit,
                                               generated_at=now)
        ref = uow.legal.get(referral_id)
        files = [*section_files(evidence, app.providers.pdf),
                 referral_file(ref, audit),
                 *(letter_file(no, app.providers.pdf(letter_document(uow, no, app.settings)))
                   for no in letter_nos)]
        bundle = pack_bundle(files, referral_id=referral_id, case_id=ref.case_id,
                             generated_at=now.isoformat())
        _record_bundle(uow, ref, bundle, files=len(files), now=now)
        uow.commit()
    return bundle


def section_files(evidence: Evidence, pdf: Callable[[Document], bytes]) -> list[BundleFile]:
    """The whole bundle as one PDF, then each section as CSV."""
    files = [BundleFile("evidence.pdf", pdf(evidence_document(evidence)),
                        "The whole bundle as one PDF")]
    for number, section in enumerate(evidence.sections, start=1):
        files.append(BundleFile(section_file_name(number, section), section_csv(section),
                                section.description))
    return files


def referral_json(ref: Referral, audit: AuditReport) -> dict[str, object]:
    """The referral, its approval and the audit chain check, as the bundle's JSON."""
    return {
        "referral_id": ref.referral_id, "case_id": ref.case_id,
        "borrower_id": ref.borrower_id, "status": ref.status.value,
        "source": ref.source.value, "proposed_on": ref.proposed_on.isoformat(),
        "proposed_by": ref.proposed_by, "decided_by": ref.decided_by,
        "decided_role": ref.decided_role, "decided_note": ref.decided_note,
        "decided_on": ref.decided_on.isoformat() if ref.decided_on else None,
        "failures": ref.eligibility.to_json(),
        "legal_state": ref.legal_state.value if ref.legal_state else None,
        "demand_letter_no": ref.demand_letter_no,
        "audit_chain": {"records": audit.records, "head_seq": audit.head_seq,
                        "intact": audit.intact,
                        "problems": [[p.seq, p.problem, p.detail] for p in audit.problems]}}


def referral_file(ref: Referral, audit: AuditReport) -> BundleFile:
    return BundleFile("referral.json", (json.dumps(
        referral_json(ref, audit), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    ).encode(), "The referral, its approval and the audit chain check as JSON")


def letter_file(letter_no: str, pdf: bytes) -> BundleFile:
    return BundleFile(f"letters/{letter_no}.pdf", pdf,
                      f"Letter {letter_no} as issued (with its verification code)")


def _record_bundle(uow: UnitOfWork, ref: Referral, bundle: PackedBundle, *, files: int,
                   now: dt.datetime) -> None:
    """The export registered by its manifest digest, and audited."""
    uow.legal.add_bundle(
        referral_id=ref.referral_id, created_at=now.isoformat(),
        manifest_sha256=bundle.manifest_sha256, zip_sha256=bundle.zip_sha256,
        files=files, size_bytes=len(bundle.zip_bytes))
    record(uow, at=now, entries=[("evidence_bundle", f"borrower:{ref.borrower_id}", {
        "referral_id": ref.referral_id, "case_id": ref.case_id,
        "manifest_sha256": bundle.manifest_sha256, "zip_sha256": bundle.zip_sha256,
        "files": files})])


def export_bundle(app: Dunwell, *, referral_id: int, out_dir: Path,
                  now: dt.datetime) -> ExportedBundle:
    """Write ``referral-<id>-evidence.zip`` and ``referral-<id>-evidence.pdf`` to
    ``out_dir`` (the PDF is the same file as the one inside the ZIP)."""
    bundle = build_bundle(app, referral_id=referral_id, now=now)
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_path = out_dir / f"referral-{referral_id}-evidence.zip"
    pdf_path = out_dir / f"referral-{referral_id}-evidence.pdf"
    zip_path.write_bytes(bundle.zip_bytes)
    with zipfile.ZipFile(io.BytesIO(bundle.zip_bytes)) as zf:
        pdf_path.write_bytes(zf.read("evidence.pdf"))
    return ExportedBundle(referral_id, zip_path, pdf_path, bundle.manifest_sha256,
                          bundle.zip_sha256, len(bundle.entries))


@dataclass(frozen=True, slots=True)
class BundleVerification:
    check: BundleCheck
    registered: bool | None  # the manifest digest is one this book exported (None: no book)

    @property
    def intact(self) -> bool:
        return self.check.intact and self.registered is not False


def verify_bundle_file(path: Path, *, app: Dunwell | None = None,
                       bounds: ZipBounds | None = None) -> BundleVerification:
    """Re-check a bundle ZIP's checksums (within ``bounds``); with ``app``, also that this
    book exported a bundle with exactly this manifest (so a rebuilt manifest is caught
    too)."""
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file; pass the bundle's .zip",
                           code="bundle_file_must_exist")
    if path.stat().st_size > BUNDLE_BYTES_MAX:
        raise InvalidInput(f"{path} is larger than {BUNDLE_BYTES_MAX} bytes",
                           code="bundle_must_be_bounded")
    check = verify_bundle_upload(path, bounds=bounds or ZipBounds())
    if app is None:
        return BundleVerification(check, None)
    return BundleVerification(check, bundle_registered(app,
                                                       manifest_sha256=check.manifest_sha256))


def bundle_registered(app: Dunwell, *, manifest_sha256: str) -> bool:
    """Whether this book exported a bundle whose manifest has this digest."""
    with app.uow() as uow:
        return uow.legal.bundle_by_manifest(manifest_sha256) is not None
