"""``dunwell complaints``: record a complaint received on any channel, list the queue
(overdue first), show one with its timeline, acknowledge, answer, escalate and close
it (docs/complaints.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now
from dunwell.cli.users import operator

complaints_app = typer.Typer(
    help="Complaints and disputes: record, list the queue, answer, escalate, close.",
    no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="Complaint id.")]
NoteOpt = Annotated[str, typer.Option("--note", help="A line for the timeline.")]


@complaints_app.command("record")
def record(
    borrower_id: Annotated[int, typer.Argument(help="Borrower id.")],
    category: Annotated[str, typer.Option(
        "--category", help="conduct, fees_and_charges, amount_disputed, debt_not_mine, "
        "privacy, contact_frequency, third_party_contact or other.")],
    text: Annotated[str, typer.Option("--text", help="What the borrower complains about.")],
    channel: Annotated[str, typer.Option(
        "--channel", help="How it came in: portal, call, letter, visit, email or other.")
    ] = "call",
    case_id: Annotated[str | None, typer.Option("--case", help="The collection case.")] = None,
    db: DbOption = None,
) -> None:
    """Record a complaint; its deadlines follow the borrower's jurisdiction."""
    from dunwell.app.complaints.service import record_complaint

    with clear_errors():
        v = record_complaint(app_for(db), borrower_id=borrower_id, channel=channel,
                             category=category, text=text, case_id=case_id, now=now(),
                             by=operator())
    pause = "; collection pauses until it is answered" if v.pauses_collection else ""
    console.print(f"complaint {v.complaint_id} recorded for borrower {borrower_id} "
                  f"({v.complaint.jurisdiction}): acknowledge by "
                  f"{v.deadlines.acknowledge_by.isoformat()}, answer by "
                  f"{v.deadlines.answer_by.isoformat()}{pause}")


@complaints_app.command("list")
def list_(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only unanswered past deadline.")
                       ] = False,
    status: Annotated[str | None, typer.Option(
        "--status", help="received, acknowledged, final_response, escalated or closed.")
    ] = None,
    category: Annotated[str | None, typer.Option("--category", help="One category.")] = None,
    db: DbOption = None,
) -> None:
    """The queue: overdue first, then by final-answer deadline."""
    from dunwell.app.complaints.service import list_complaints

    today = now().date()
    with clear_errors():
        views = list_complaints(app_for(db), today=today, status=status, category=category,
                                overdue_only=overdue)
    table = Table(title=f"complaints on {today.isoformat()}")
    for col in ("id", "borrower", "pack", "category", "via", "status", "received",
                "answer by", "days left"):
        table.add_column(col, no_wrap=True, justify="right" if col == "days left" else "left")
    for v in views:
        c = v.complaint
        left = f"[red]{v.days_left}[/]" if v.overdue else (
            "-" if c.status.answered else str(v.days_left))
        table.add_row(str(c.complaint_id), str(c.borrower_id), c.jurisdiction.value,
                      c.category.value + (" (dispute)" if c.category.is_dispute else ""),
                      c.channel.value, c.status.value, c.received_on.isoformat(),
                      v.deadlines.answer_by.isoformat(), left)
    console.print(table)
    late = sum(1 for v in views if v.overdue)
    console.print(f"{len(views)} complaints, {late} overdue")


@complaints_app.command("show")
def show(complaint_id: IdArg, db: DbOption = None) -> None:
    """One complaint, its deadlines, routes and timeline."""
    from dunwell.app.complaints.service import get_complaint

    with clear_errors():
        v, events = get_complaint(app_for(db), complaint_id, today=now().date())
    c = v.complaint
    console.print(f"complaint {c.complaint_id}: borrower {c.borrower_id}, {c.category}, "
                  f"by {c.channel}, {c.status}; answer by {v.deadlines.answer_by.isoformat()}"
                  f" ({v.deadlines.source})")
    console.print(f"text: {v.text}")
    if v.answer:
        console.print(f"answer: {v.answer}")
    console.print("routes: " + "; ".join(f"{r.key}: {r.name} ({r.contact})" for r in v.routes))
    for e in events:
        console.print(f"  {e.at.isoformat(timespec='minutes')}  {e.kind:<15} {e.actor:<12} "
                      f"{e.note}")


@complaints_app.command("acknowledge")
def acknowledge(complaint_id: IdArg, note: NoteOpt = "", db: DbOption = None) -> None:
    """Acknowledge a complaint."""
    from dunwell.app.complaints.service import acknowledge as ack

    with clear_errors():
        v = ack(app_for(db), complaint_id=complaint_id, now=now(), by=operator(), note=note)
    console.print(f"complaint {v.complaint_id} acknowledged")


@complaints_app.command("answer")
def answer(
    complaint_id: IdArg,
    text: Annotated[str, typer.Option("--text", help="The final response.")],
    db: DbOption = None,
) -> None:
    """Send the final response (for a dispute, the verification: the pause ends)."""
    from dunwell.app.complaints.service import answer as send

    with clear_errors():
        v = send(app_for(db), complaint_id=complaint_id, text=text, now=now(), by=operator())
    when = "within" if v.days_left >= 0 else "after"
    console.print(f"complaint {v.complaint_id}: final response recorded {when} its deadline "
                  f"{v.deadlines.answer_by.isoformat()}")


@complaints_app.command("escalate")
def escalate(
    complaint_id: IdArg,
    to: Annotated[str, typer.Option(
        "--to", help="A route of the borrower's jurisdiction: ombudsman or regulator "
        "(UK-FCA), regulator or pboc (CN-NIFA), regulator or attorney_general (US-RegF).")],
    note: NoteOpt = "",
    db: DbOption = None,
) -> None:
    """Record that the complaint went to an ombudsman or regulator."""
    from dunwell.app.complaints.service import escalate as refer

    with clear_errors():
        v = refer(app_for(db), complaint_id=complaint_id, to=to, now=now(), by=operator(),
                  note=note)
    console.print(f"complaint {v.complaint_id} escalated to {v.complaint.escalated_to}")


@complaints_app.command("close")
def close(complaint_id: IdArg, note: NoteOpt = "", db: DbOption = None) -> None:
    """Close a complaint."""
    from dunwell.app.complaints.service import close as shut

    with clear_errors():
        v = shut(app_for(db), complaint_id=complaint_id, now=now(), by=operator(), note=note)
    console.print(f"complaint {v.complaint_id} closed")
