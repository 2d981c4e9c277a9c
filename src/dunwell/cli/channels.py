"""Channel commands: ``dunwell outbox list|dispatch`` and ``dunwell templates
check|render``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.channels.locale import LANGUAGES
from dunwell.channels.model import Message
from dunwell.channels.ports import TemplateFiles
from dunwell.cli.common import DbOption, app_for, clear_errors, console, parse_aware

if TYPE_CHECKING:
    from dunwell.app.channels.outbox import DispatchReport

outbox_app = typer.Typer(help="The outbox of messages: list them, send the due ones.",
                         no_args_is_help=True)
templates_app = typer.Typer(help="Message and letter templates: check and render them.",
                            no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _message_json(m: Message) -> dict[str, object]:
    return {"message_id": m.message_id, "idempotency_key": m.idempotency_key,
            "channel": m.channel.value, "provider": m.provider, "borrower_id": m.borrower_id,
            "kind": m.kind, "language": m.language, "status": m.status.value,
            "attempts": m.attempts, "next_attempt_at": m.next_attempt_at.isoformat(),
            "not_after": m.not_after.isoformat() if m.not_after else None,
            "provider_message_id": m.provider_message_id, "last_error": m.last_error,
            "subject": m.subject, "body": m.body}


@outbox_app.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option(
        "--status", help="Only this status: pending, sending, sent, delivered, "
                         "undelivered or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Newest N messages.")] = 50,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The newest messages in the outbox, with their status and last error."""
    from dunwell.app.channels.outbox import list_messages
    with clear_errors():
        messages = list_messages(app_for(db), status=status, limit=limit)
    if as_json:
        typer.echo(json.dumps([_message_json(m) for m in messages], ensure_ascii=False))
        return
    table = Table(title=f"outbox ({len(messages)} shown)")
    for col in ("id", "borrower", "kind", "channel", "provider", "lang", "status", "tries",
                "next / error"):
        table.add_column(col, justify="right" if col in ("id", "borrower", "tries") else "left")
    for m in messages:
        note = m.last_error or (m.next_attempt_at.isoformat(timespec="minutes")
                                if not m.status.is_final and m.status.value != "sent" else "")
        table.add_row(str(m.message_id), str(m.borrower_id), m.kind, m.channel.value,
                      m.provider, m.language, m.status.value, str(m.attempts), note)
    console.print(table)


@outbox_app.command("dispatch")
def outbox_dispatch(
    limit: Annotated[int, typer.Option(min=1, max=10_000,
                                       help="Send at most N due messages.")] = 100,
    now: Annotated[str | None, typer.Option(
        "--now", help="Act as if it were this time (ISO with offset), or `wall` for the "
        "wall clock; default: the book's clock (its open date at 08:00 UTC).")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Send the due messages through their providers, retrying failures later. Windows
    are judged on the book's clock unless --now says otherwise."""
    from dunwell.app.channels.outbox import dispatch_outbox, due_count
    from dunwell.app.day.clock import DayStep
    from dunwell.app.day.loop import parse_now
    with clear_errors():
        app = app_for(db)
        moment = parse_now(app, now, DayStep.DISPATCH, lambda t: parse_aware(t, "--now"))
        due = min(limit, due_count(app, now=moment))
        with Progress(TextColumn("dispatch"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("messages"), TimeElapsedColumn(), console=console,
                      transient=True, disable=as_json) as bar:
            task = bar.add_task("dispatch", total=due)
            report = dispatch_outbox(app, now=moment, limit=limit,
                                     progress=lambda done, total: bar.update(
                                         task, completed=done, total=total))
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    console.print(dispatch_table(report))


def dispatch_table(report: DispatchReport) -> Table:
    table = Table(title=f"dispatch: {report.claimed} messages claimed")
    table.add_column("outcome")
    table.add_column("messages", justify="right")
    table.add_column("example")
    for outcome in ("sent", "retry", "failed", "expired", "lost"):
        hits = [r for r in report.results if r.outcome == outcome]
        example = next((f"#{r.message_id}: {r.error}" for r in hits if r.error), "")
        table.add_row(outcome, str(len(hits)), example[:80])
    return table


@outbox_app.command("address")
def outbox_address(
    borrower_id: Annotated[int, typer.Argument(help="The borrower.")],
    channel: Annotated[str, typer.Option("--channel", help="sms, email or voice.")],
    address: Annotated[str, typer.Option(
        "--address", help="+8613800000001 for sms/voice, name@example.org for email.")],
    db: DbOption = None,
) -> None:
    """Record the phone number or e-mail address a channel reaches a borrower at."""
    from dunwell.app.channels.outbox import set_channel_address
    with clear_errors():
        set_channel_address(app_for(db), borrower_id=borrower_id, channel=channel,
                            address=address)
    console.print(f"borrower {borrower_id}: {channel} → {address}")


@templates_app.command("check")
def templates_check(
    directory: Annotated[Path | None, typer.Argument(
        help="A directory of <name>.<lang>.j2 files (default: the built-in templates).")
    ] = None,
) -> None:
    """Load every template, render it with sample data and check the channel rules
    (opt-out notice, no amounts by SMS); exit 1 on any problem, as FILE: problem."""
    from dunwell.app.channels.templates import check_templates
    with clear_errors():
        root, checks = check_templates(_template_files(), directory)
    table = Table(title=f"templates in {directory or 'the built-in directory'}")
    for col in ("template", "lang", "variables", "result"):
        table.add_column(col)
    problems: list[str] = []
    for check in checks:
        if not check.loaded:
            table.add_row(check.path.name, "", "", f"[red]{check.problems[0]}[/red]")
        else:
            result = ("[green]ok[/green]" if not check.problems
                      else f"[red]{'; '.join(check.problems)}[/red]")
            table.add_row(check.name, check.language, ", ".join(check.variables), result)
        problems.extend(f"{check.path}: {p}" for p in check.problems)
    if not checks:
        problems.append(f"{root}: no *.j2 templates found")
    console.print(table)
    for line in problems:
        typer.echo(line, err=True)
    if problems:
        raise typer.Exit(1)


@templates_app.command("render")
def templates_render(
    name: Annotated[str, typer.Argument(help="Template name, e.g. sms_reminder.")],
    lang: Annotated[str, typer.Option("--lang", help=f"One of {', '.join(LANGUAGES)}.")] = "en",
    var: Annotated[list[str] | None, typer.Option(
        "--var", help="k=v; repeat. Amounts in minor units (amount_minor=123450), dates "
                      "ISO (due_date=2026-11-24).")] = None,
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="Templates directory (default: built-in).")] = None,
) -> None:
    """Render one template with the given variables (the lender's name and support
    contact default to the settings')."""
    from dunwell.app.channels.templates import render_template
    from dunwell.settings import Settings
    with clear_errors():
        text = render_template(_template_files(), name=name, language=lang,
                               variables=var or [], settings=Settings(), directory=directory)
        typer.echo(text)


def _template_files() -> TemplateFiles:
    """The template files as the composition root reads them (no database needed)."""
    from dunwell.bootstrap import providers_for
    from dunwell.settings import Settings
    return providers_for(Settings()).templates()
