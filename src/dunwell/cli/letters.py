"""Letter commands: list, issue, render, event, verify, print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.channels.letters import LetterRecord
from dunwell.channels.verification import grouped
from dunwell.cli.common import DbOption, app_for, clear_errors, console, now
from dunwell.core.dates import parse_date

letters_app = typer.Typer(no_args_is_help=True, help="Letters: issue, print, track and "
                                                     "verify reminder letters and notices.")



def _row(letter: LetterRecord) -> dict[str, object]:
    return {"letter_no": letter.letter_no, "kind": letter.kind,
            "borrower_id": letter.borrower_id, "case_id": letter.case_id,
            "business_date": letter.business_date.isoformat(), "language": letter.language,
            "jurisdiction": letter.jurisdiction, "status": letter.status.value,
            "dispatch_method": letter.dispatch_method.value if letter.dispatch_method else None,
            "verification_code": grouped(letter.verification_code),
            "content_sha256": letter.content_sha256}


@letters_app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(
        help="Only letters in this state: generated, printed, dispatched, delivered, "
             "returned.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Only letters issued on this "
                                              "business date.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
    db: DbOption = None,
) -> None:
    """The letter register: number, kind, addressee, date, state."""
    from dunwell.app.letters.service import list_letters
    with clear_errors():
        app = app_for(db)
        day = parse_date(date, field="--date") if date else None
        found = list_letters(app, status=status, business_date=day, limit=limit)
    if as_json:
        typer.echo(json.dumps([_row(x) for x in found], ensure_ascii=False))
        return
    table = Table(title="letters")
    table.add_column("letter no", no_wrap=True)
    for col in ("kind", "borrower", "case"):
        table.add_column(col)
    table.add_column("date", no_wrap=True)
    for col in ("lang", "status", "method"):
        table.add_column(col)
    for x in found:
        table.add_row(x.letter_no, x.kind, str(x.borrower_id), x.case_id or "",
                      x.business_date.isoformat(), x.language, x.status.value,
                      x.dispatch_method.value if x.dispatch_method else "")
    table.caption = f"{len(found)} letter(s)"
    console.print(table)


@letters_app.command("issue")
def issue(
    case: Annotated[str, typer.Option("--case", help="The case the letter is about.")],
    kind: Annotated[str, typer.Option(help="reminder or visit_notice (or a kind another "
                                           "part registered).")] = "reminder",
    date: Annotated[str | None, typer.Option("--date", help="Business date (default: the "
                                              "book's open date).")] = None,
    db: DbOption = None,
) -> None:
    """Issue a letter for a case now; issuing the same kind again that day returns the
    letter already issued."""
    from dunwell.app.day.clock import on_book_date
    from dunwell.app.day.loop import open_date
    from dunwell.app.letters.service import issue_for_case
    with clear_errors():
        app = app_for(db)
        day = parse_date(date, field="--date") if date else None
        letter = issue_for_case(app, case_id=case, kind=kind,
                                now=on_book_date(day or open_date(app)), business_date=day)
    console.print(f"letter {letter.letter_no} ({letter.kind}, {letter.language}) is "
                  f"{letter.status.value}; verification code "
                  f"{grouped(letter.verification_code)}")


@letters_app.command("render")
def render(
    letter_no: Annotated[str, typer.Argument(help="The letter number, DW-YYYYMMDD-NNNNNN.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF.")],
    db: DbOption = None,
) -> None:
    """Write a letter's PDF (the same bytes every time); does not change its state."""
    from dunwell.app.letters.service import letter_pdf
    with clear_errors():
        pdf = letter_pdf(app_for(db), letter_no)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
    console.print(f"wrote {out} ({len(pdf):,} bytes)")


@letters_app.command("event")
def event(
    letter_no: Annotated[str, typer.Argument(help="The letter number.")],
    name: Annotated[str, typer.Argument(metavar="EVENT",
                                        help="printed, dispatched, delivered or returned.")],
    method: Annotated[str | None, typer.Option(
        help="How it went out: post, e_letter or in_person.")] = None,
    proof: Annotated[str | None, typer.Option(
        help="Proof of delivery: tracking reference, read receipt, visit record.")] = None,
    note: Annotated[str, typer.Option(help="A note for the register.")] = "",
    db: DbOption = None,
) -> None:
    """Record what happened to a letter; an event its state does not allow is refused."""
    from dunwell.app.letters.service import record_event
    with clear_errors():
        letter = record_event(app_for(db), letter_no=letter_no, event=name, at=now(),
                              method=method, proof=proof, note=note)
    console.print(f"letter {letter.letter_no} is {letter.status.value}")


@letters_app.command("verify")
def verify(
    code: Annotated[str, typer.Argument(help="The verification code on the letter.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Is this letter genuine? Exit 0 if it is, 1 if not."""
    from dunwell.app.letters.service import verify_letter
    with clear_errors():
        v = verify_letter(app_for(db), code)
    if as_json:
        typer.echo(json.dumps({
            "genuine": v.genuine, "message": v.message, "code": v.code,
            "letter_no": v.letter_no, "kind": v.kind,
            "issued_on": v.issued_on.isoformat() if v.issued_on else None,
            "borrower": v.borrower, "status": v.status, "problem": v.problem},
            ensure_ascii=False))
    elif v.genuine:
        console.print(f"[green]genuine[/green]: letter {v.letter_no} ({v.kind}) issued "
                      f"{v.issued_on} to {v.borrower}; {v.status}")
    else:
        console.print(f"[red]not genuine[/red]: {v.message}", markup=True)
    if not v.genuine:
        raise typer.Exit(1)


@letters_app.command("print")
def print_(
    date: Annotated[str, typer.Option("--date", help="Business date of the letters.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the PDFs.")],
    db: DbOption = None,
) -> None:
    """Render every generated letter of a day into a directory and mark it printed."""
    from dunwell.app.letters.service import print_letters
    with clear_errors():
        app = app_for(db)
        day = parse_date(date, field="--date")
        with Progress(TextColumn(f"print {day}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("letters"), TimeElapsedColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task("print", total=None)
            written = print_letters(app, business_date=day, out_dir=out, now=now(),
                                    progress=lambda done, total: bar.update(
                                        task, completed=done, total=total))
    console.print(f"printed {len(written)} letter(s) to {out}")
