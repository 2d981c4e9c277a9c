"""Legal commands: the referral review queue, propose/approve/reject, the demand
letter, the evidence bundle and its verification, legal case events with costs."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now
from dunwell.core.dates import parse_date
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor, to_minor
from dunwell.legal.model import Referral, ReferralStatus

if TYPE_CHECKING:
    from dunwell.app.context import Dunwell

legal_app = typer.Typer(help="Legal referrals (human-approved), demand letters, evidence "
                             "bundles and legal case tracking.", no_args_is_help=True)

DateOption = Annotated[str | None, typer.Option(
    "--date", help="Business date (default: the book's open date).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
ReferralArg = Annotated[int, typer.Argument(help="Referral id (see `dunwell legal list`).")]
ByOption = Annotated[str, typer.Option("--by", help="Your name, as it goes on the record.")]



def _day(app: Dunwell, date: str | None) -> dt.date:
    if date:
        return parse_date(date, field="--date")
    with app.uow() as uow:
        return uow.book.require().business_date


def _as_json(r: Referral) -> dict[str, object]:
    return {"referral_id": r.referral_id, "case_id": r.case_id, "borrower_id": r.borrower_id,
            "status": r.status.value, "source": r.source.value,
            "proposed_on": r.proposed_on.isoformat(), "proposed_by": r.proposed_by,
            "days_past_due": r.days_past_due,
            "outstanding": format_minor(r.outstanding_minor, r.currency)
            if len(r.currency) == 3 else str(r.outstanding_minor),
            "currency": r.currency, "failures": r.eligibility.to_json(),
            "decided_by": r.decided_by, "decided_role": r.decided_role,
            "decided_note": r.decided_note,
            "legal_state": r.legal_state.value if r.legal_state else None,
            "demand_letter_no": r.demand_letter_no}


def _table(title: str, rows: list[Referral], *, queue: bool = False) -> Table:
    """Referrals; the queue shows who proposed and why not, the list the decision."""
    from dunwell.app.legal.referrals import money_text
    table = Table(title=title)
    extra = ("proposed by", "why not eligible") if queue else ("decided by", "legal")
    for col in ("id", "case", "status", "DPD", "outstanding", *extra):
        table.add_column(col, justify="right" if col in ("id", "DPD", "outstanding") else "left")
    for r in rows:
        more = ((r.proposed_by, "; ".join(f.reason for f in r.eligibility.failures)) if queue
                else (f"{r.decided_by} ({r.decided_role})" if r.decided_by else "",
                      r.legal_state.value if r.legal_state else ""))
        table.add_row(str(r.referral_id), r.case_id, r.status.value, str(r.days_past_due),
                      money_text(r.outstanding_minor, r.currency), *more)
    return table


def queue(date: DateOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """The review queue: the strategy's legal reviews become proposals (or are recorded
    as not eligible, with every reason); proposals wait here for a person."""
    from dunwell.app.legal.referrals import queue_legal_reviews, review_queue
    with clear_errors():
        app = app_for(db)
        day = _day(app, date)
        with app.uow() as uow:
            made = queue_legal_reviews(uow, business_date=day, now=now())
            waiting = review_queue(uow)
            uow.commit()
    if as_json:
        typer.echo(json.dumps({"new": [_as_json(r) for r in made],
                               "waiting": [_as_json(r) for r in waiting]}, ensure_ascii=False))
        return
    if made:
        console.print(_table(f"from the strategy's legal reviews up to {day}", made,
                             queue=True))
    console.print(_table("referrals waiting for a decision", waiting, queue=True))


def list_referrals(
    status: Annotated[str | None, typer.Option(
        help="proposed, approved, rejected or not_eligible (default: all).")] = None,
    as_json: JsonOption = False, db: DbOption = None,
) -> None:
    """Every referral with its status, decision and legal state."""
    from dunwell.app.legal.referrals import review_queue
    with clear_errors():
        try:
            wanted = [ReferralStatus(status)] if status else None
        except ValueError:
            raise InvalidInput(f"unknown status {status!r}; use one of "
                               f"{', '.join(s.value for s in ReferralStatus)}",
                               code="referral_status_must_be_known") from None
        app = app_for(db)
        with app.uow() as uow:
            rows = review_queue(uow, include_closed=True, statuses=wanted)
    if as_json:
        typer.echo(json.dumps([_as_json(r) for r in rows], ensure_ascii=False))
        return
    console.print(_table("legal referrals", rows))


def propose(
    case_id: Annotated[str, typer.Argument(help="Case id, e.g. case-17-20250216.")],
    by: Annotated[str | None, typer.Option(
        "--by", help="Who proposes it (default: your login name).")] = None,
    note: Annotated[str, typer.Option(help="Why.")] = "",
    date: DateOption = None, as_json: JsonOption = False, db: DbOption = None,
) -> None:
    """Propose referring a case. Refused, with every failed rule, when the rules do not
    allow it (protected borrower, plan in good standing, thresholds not reached)."""
    from dunwell.app.legal.referrals import propose_referral
    with clear_errors():
        app = app_for(db)
        day = _day(app, date)
        with app.uow() as uow:
            ref = propose_referral(uow, case_id=case_id, business_date=day,
                                   proposed_by=by or _user(), now=now(), note=note)
            uow.commit()
    if as_json:
        typer.echo(json.dumps(_as_json(ref), ensure_ascii=False))
        return
    console.print(f"referral {ref.referral_id} for {case_id} proposed; it waits for a person "
                  f"to approve it (`dunwell legal approve {ref.referral_id} ...`)")


def _decision(approve: bool, referral_id: int, by: str, role: str, note: str,
              date: str | None, db: str | None) -> Referral:
    from dunwell.app.legal.referrals import approve_referral, reject_referral
    with clear_errors():
        app = app_for(db)
        day = _day(app, date)
        fn = approve_referral if approve else reject_referral
        with app.uow() as uow:
            ref = fn(uow, referral_id=referral_id, approver=by, role=role, note=note,
                     business_date=day, now=now())
            uow.commit()
    return ref


RoleOption = Annotated[str, typer.Option(
    help="Your role: legal_counsel, collections_manager or compliance_officer.")]
NoteOption = Annotated[str, typer.Option(help="Why you decided so (required).")]


def approve(referral_id: ReferralArg, by: ByOption, role: RoleOption, note: NoteOption,
            date: DateOption = None, db: DbOption = None) -> None:
    """Approve a proposed referral by name, role and note; the rules are checked again
    and the case moves to legal."""
    ref = _decision(True, referral_id, by, role, note, date, db)
    console.print(f"referral {ref.referral_id} approved by {ref.decided_by} "
                  f"({ref.decided_role}); case {ref.case_id} is now legal")


def reject(referral_id: ReferralArg, by: ByOption, role: RoleOption, note: NoteOption,
           date: DateOption = None, db: DbOption = None) -> None:
    """Reject a proposed referral by name, role and note; the case carries on."""
    ref = _decision(False, referral_id, by, role, note, date, db)
    console.print(f"referral {ref.referral_id} rejected by {ref.decided_by} ({ref.decided_role})")


def demand(referral_id: ReferralArg, date: DateOption = None, as_json: JsonOption = False,
           db: DbOption = None) -> None:
    """Issue the demand letter (催告函) of an approved referral: numbered and
    verifiable like every letter, in the borrower's language."""
    from dunwell.app.legal.cases import issue_demand
    with clear_errors():
        app = app_for(db)
        day = _day(app, date)
        with app.uow() as uow:
            letter = issue_demand(uow, templates=app.providers.templates(),
                                  referral_id=referral_id, business_date=day, now=now(),
                                  settings=app.settings)
            uow.commit()
    if as_json:
        typer.echo(json.dumps({"letter_no": letter.letter_no, "kind": letter.kind,
                               "language": letter.language,
                               "business_date": letter.business_date.isoformat()}))
        return
    console.print(f"demand letter {letter.letter_no} ({letter.language}) issued; print it with "
                  "the letter commands and record its delivery")


def bundle(referral_id: ReferralArg,
           out: Annotated[Path, typer.Option("--out", help="Directory to write into.")],
           db: DbOption = None) -> None:
    """Export the evidence bundle: one PDF and a ZIP of the originals with a manifest
    (name, size, SHA-256, description) and the manifest's checksum."""
    from dunwell.app.legal.evidence import export_bundle
    with clear_errors():
        app = app_for(db)
        with Progress(SpinnerColumn(), TextColumn(f"evidence bundle for referral {referral_id}"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            bar.add_task("bundle", total=None)
            done = export_bundle(app, referral_id=referral_id, out_dir=out, now=now())
    table = Table(title=f"evidence bundle for referral {referral_id}")
    table.add_column("file")
    table.add_column("what")
    table.add_row(str(done.zip_path), f"{done.files} files + manifest; ZIP SHA-256 "
                  f"{done.zip_sha256}")
    table.add_row(str(done.pdf_path), "the bundle as one PDF (also inside the ZIP)")
    table.caption = f"manifest SHA-256 {done.manifest_sha256}"
    console.print(table)


def verify_bundle(path: Annotated[Path, typer.Argument(help="The bundle's .zip file.")],
                  no_book: Annotated[bool, typer.Option(
                      "--no-book", help="Check the checksums only, without a book (e.g. "
                      "for whoever received the bundle).")] = False,
                  as_json: JsonOption = False, db: DbOption = None) -> None:
    """Re-check a bundle ZIP: the manifest's checksum, each file's size and SHA-256,
    nothing missing or added, and that this book exported that manifest. Exit 1 when
    anything is wrong."""
    from dunwell.app.legal.evidence import verify_bundle_file
    with clear_errors():
        result = verify_bundle_file(path, app=None if no_book else app_for(db))
    check = result.check
    problems = list(check.problems)
    if result.registered is False:
        problems.append("this book has no export with this manifest: name the book that "
                        "exported the bundle with --db (or DUNWELL_DB_URL), or check the "
                        "checksums alone with --no-book")
    if as_json:
        typer.echo(json.dumps({"intact": result.intact, "files_checked": check.files_checked,
                               "manifest_sha256": check.manifest_sha256,
                               "registered": result.registered,
                               "problems": problems}))
    else:
        table = Table(title=f"{path.name}: " + ("intact" if result.intact else "NOT intact"))
        table.add_column("check")
        table.add_column("result")
        table.add_row("files checked", str(check.files_checked))
        table.add_row("manifest SHA-256", check.manifest_sha256)
        table.add_row("exported by this book", {True: "yes", False: "no",
                                                None: "not checked"}[result.registered])
        for p in problems:
            table.add_row("problem", p)
        console.print(table)
    if not result.intact:
        raise typer.Exit(1)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name on this machine
        return "unknown"


def event(
    referral_id: ReferralArg,
    name: Annotated[str, typer.Argument(
        metavar="EVENT", help="filed, hearing, judgment, enforcement, settled or closed.")],
    cost: Annotated[str, typer.Option(
        help="What this step cost in the loan's currency, e.g. 500.00.")] = "0",
    cost_minor: Annotated[int | None, typer.Option(
        "--cost-minor", help="The cost in minor units instead (e.g. 50000 for 500.00).")
    ] = None,
    note: Annotated[str, typer.Option(help="What happened.")] = "",
    court: Annotated[str, typer.Option(help="The court (name it when filing).")] = "",
    reference: Annotated[str, typer.Option(help="The court's case reference.")] = "",
    by: Annotated[str | None, typer.Option(
        "--by", help="Who records it (default: your login name).")] = None,
    date: DateOption = None, as_json: JsonOption = False, db: DbOption = None,
) -> None:
    """Record a step of the legal case with its cost; illegal steps are refused."""
    from dunwell.app.legal.cases import legal_case, record_legal_event
    from dunwell.app.legal.referrals import money_text
    with clear_errors():
        if cost_minor is not None and cost != "0":
            raise InvalidInput("give --cost or --cost-minor, not both",
                               code="legal_cost_must_be_given_once")
        app = app_for(db)
        day = _day(app, date)
        with app.uow() as uow:
            currency = legal_case(uow, referral_id=referral_id).referral.currency
            minor = cost_minor if cost_minor is not None else to_minor(
                cost, currency if len(currency) == 3 else "CNY", field="--cost")
            view = record_legal_event(
                uow, referral_id=referral_id, event=name, on=day, cost_minor=minor,
                recorded_by=by or _user(), now=now(), court=court, reference=reference,
                note=note)
            uow.commit()
    if as_json:
        typer.echo(json.dumps({"state": view.case.state.value,
                               "total_cost_minor": view.total_cost_minor,
                               "total_cost": money_text(view.total_cost_minor,
                                                    view.referral.currency)}))
        return
    console.print(f"referral {referral_id}: {view.case.state.value}; total costs "
                  f"{money_text(view.total_cost_minor, view.referral.currency)}")


def case(referral_id: ReferralArg, as_json: JsonOption = False, db: DbOption = None) -> None:
    """The legal case: the collection case's timeline, each legal event with its cost,
    and the total."""
    from dunwell.app.legal.cases import case_timeline, legal_case
    from dunwell.app.legal.referrals import money_text
    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            view = legal_case(uow, referral_id=referral_id)
            timeline = case_timeline(uow, case_id=view.referral.case_id)
    ref, cur = view.referral, view.referral.currency
    if as_json:
        typer.echo(json.dumps({
            "referral": _as_json(ref), "state": view.case.state.value,
            "allowed_next": list(view.allowed_next),
            "total_cost": format_minor(view.total_cost_minor, cur) if len(cur) == 3 else None,
            "events": [{"event": s.event.event.value, "on": s.event.on.isoformat(),
                        "court": s.event.court, "reference": s.event.reference,
                        "cost": format_minor(s.event.cost_minor, s.currency),
                        "note": s.event.note, "recorded_by": s.recorded_by}
                       for s in view.events]}, ensure_ascii=False))
        return
    events = Table(title=f"legal case of referral {ref.referral_id} ({ref.case_id}): "
                   f"{view.case.state.value}")
    for col in ("date", "event", "court", "reference", "cost", "note", "by"):
        events.add_column(col, justify="right" if col == "cost" else "left")
    for s in view.events:
        events.add_row(s.event.on.isoformat(), s.event.event.value, s.event.court,
                       s.event.reference, money_text(s.event.cost_minor, s.currency), s.event.note,
                       s.recorded_by)
    events.caption = (f"total costs {money_text(view.total_cost_minor, cur)}; next: "
                      f"{', '.join(view.allowed_next) or '-'}")
    console.print(events)
    table = Table(title=f"timeline of {ref.case_id}")
    for col in ("date", "event", "what"):
        table.add_column(col)
    for on, kind, text in timeline:
        table.add_row(on.isoformat(), kind, text)
    console.print(table)


legal_app.command("queue")(queue)
legal_app.command("list")(list_referrals)
legal_app.command("propose")(propose)
legal_app.command("approve")(approve)
legal_app.command("reject")(reject)
legal_app.command("demand")(demand)
legal_app.command("bundle")(bundle)
legal_app.command("verify-bundle")(verify_bundle)
legal_app.command("event")(event)
legal_app.command("case")(case)
