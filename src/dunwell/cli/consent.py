"""``dunwell consent``: record, withdraw and list a borrower's consents per channel and
party; ``dunwell retention``: report who is past their retention period, then
anonymise them (docs/security/consent-retention.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.cli.common import (
    EXIT_BAD_INPUT,
    DbOption,
    app_for,
    clear_errors,
    console,
    now,
    parse_aware,
)
from dunwell.core.dates import parse_date

consent_app = typer.Typer(
    help="Borrowers' consents per channel and party: record, withdraw, list.",
    no_args_is_help=True)
retention_app = typer.Typer(
    help="Records past their retention period: report, then anonymise.",
    no_args_is_help=True)

BorrowerArg = Annotated[int, typer.Argument(help="Borrower id.")]
ChannelOpt = Annotated[str, typer.Option(
    "--channel", help="call, sms, email, letter, visit, in_app, social_media or "
    "third_party_call.")]
PartyOpt = Annotated[str, typer.Option(
    "--party", help="Who may be contacted: borrower, spouse, guardian, executor, attorney, "
    "employer or emergency_contact.")]
SourceOpt = Annotated[str, typer.Option(
    "--source", help="Where the borrower said so: portal, call, letter, visit or import.")]
AtOpt = Annotated[str | None, typer.Option(
    "--at", metavar="TIMESTAMP", help="When the borrower said so, with its offset (default: "
    "now), e.g. 2025-03-01T10:00:00+08:00.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", metavar="DATE", help="Judge the retention periods on this date (default: "
    "today, UTC).")]


def _at(text: str | None) -> dt.datetime | None:
    return None if text is None else parse_aware(text, "--at")


def _when(ts: dt.datetime | None) -> str:
    return "-" if ts is None else ts.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@consent_app.command("grant")
def grant(
    borrower_id: BorrowerArg,
    channel: ChannelOpt,
    source: SourceOpt,
    party: PartyOpt = "borrower",
    purpose: Annotated[str, typer.Option(
        "--purpose", help="collections (every contact about the debt) or servicing (receipts "
        "and confirmations only).")] = "collections",
    evidence: Annotated[str, typer.Option(
        "--evidence", metavar="REF", help="Where the consent is kept: a recording id, a form "
        "number.")] = "",
    at: AtOpt = None,
    db: DbOption = None,
) -> None:
    """Record that the borrower allows contact by a channel with a party."""
    from dunwell.app.consent import grant as grant_consent

    with clear_errors():
        change = grant_consent(app_for(db), borrower_id=borrower_id, channel=channel,
                               source=source, party=party, purpose=purpose, evidence=evidence,
                               at=_at(at), now=now())
    record = change.records[0]
    said = "recorded" if change.changed else "already in force"
    console.print(f"borrower {borrower_id}: consent {record.consent_id} ({party} by {channel}, "
                  f"{record.consent.purpose}) {said} since {_when(record.consent.granted_at)}")


@consent_app.command("withdraw")
def withdraw(
    borrower_id: BorrowerArg,
    channel: ChannelOpt,
    source: SourceOpt = "call",
    party: PartyOpt = "borrower",
    purpose: Annotated[str | None, typer.Option(
        "--purpose", help="Only this purpose (default: every purpose).")] = None,
    at: AtOpt = None,
    db: DbOption = None,
) -> None:
    """Record that the borrower withdrew consent; the guard stops that contact."""
    from dunwell.app.consent import withdraw as withdraw_consent

    with clear_errors():
        change = withdraw_consent(app_for(db), borrower_id=borrower_id, channel=channel,
                                  source=source, party=party, purpose=purpose, at=_at(at),
                                  now=now())
    ids = ", ".join(str(r.consent_id) for r in change.records)
    if change.changed:
        console.print(f"borrower {borrower_id}: consent to contact {party} by {channel} "
                      f"withdrawn ({ids}); the guard denies it from now on")
    else:
        console.print(f"borrower {borrower_id}: no consent to contact {party} by {channel} is "
                      f"in force (already withdrawn: {ids}); nothing changed")


@consent_app.command("list")
def list_(borrower_id: BorrowerArg, db: DbOption = None) -> None:
    """The borrower's consent records, withdrawn ones included."""
    from dunwell.app.consent import list_consents

    with clear_errors():
        records = list_consents(app_for(db), borrower_id=borrower_id)
    moment = now()
    table = Table(title=f"consents of borrower {borrower_id}")
    for col in ("id", "channel", "party", "purpose", "status", "granted", "withdrawn",
                "source", "evidence"):
        table.add_column(col, no_wrap=col in ("id", "granted", "withdrawn"))
    for r in records:
        c = r.consent
        status = "[green]in force[/]" if c.in_force(moment) else (
            "[red]withdrawn[/]" if c.withdrawn_by(moment) else "[yellow]from later[/]")
        how = c.source.value + (f" / {r.withdrawn_source.value}" if r.withdrawn_source else "")
        table.add_row(str(r.consent_id), c.channel.value, c.party.value, c.purpose.value,
                      status, _when(c.granted_at), _when(c.withdrawn_at), how, c.evidence or "-")
    console.print(table)
    if not records:
        console.print("no consent recorded: the borrower is contacted about their own debt "
                      "under the pack's rules; third parties are not contacted")


def _as_of(text: str | None) -> dt.date:
    return now().date() if text is None else parse_date(text, field="--as-of")


@retention_app.command("report")
def report(as_of: AsOfOpt = None, db: DbOption = None) -> None:
    """What would be anonymised on the date, and why; nothing is changed."""
    from dunwell.app.retention import plan

    with clear_errors():
        day = _as_of(as_of)
        found = plan(app_for(db), day)
    table = Table(title=f"past their retention period on {day.isoformat()}")
    for col in ("borrower", "pack", "rule", "kept until", "fields", "what changes"):
        table.add_column(col, overflow="fold", no_wrap=col in ("borrower", "kept until"))
    for due in found.due:
        changes = ", ".join(f"{t} {n}" for t, (_, n) in sorted(due.tables.items())) or "-"
        table.add_row(str(due.borrower_id), due.jurisdiction.value, due.decision.period.rule,
                      due.retain_until.isoformat(), str(due.fields), changes)
    console.print(table)
    kept = "; ".join(f"{n} {why}" for why, n in sorted(found.kept.items())) or "none"
    console.print(f"{len(found.due)} of {found.scanned} borrowers are due, {found.fields} "
                  f"fields would change; kept: {kept}. Nothing was changed: run `dunwell "
                  f"retention apply --as-of {day.isoformat()} --yes` to anonymise them.")


@retention_app.command("apply")
def apply(
    as_of: AsOfOpt = None,
    yes: Annotated[bool, typer.Option(
        "--yes", help="Anonymise for good (run `retention report` first to see what).")] = False,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", min=1, max=1_000, help="Borrowers per transaction.")] = 100,
    db: DbOption = None,
) -> None:
    """Anonymise every borrower past their retention period, in batches, each audited."""
    from dunwell.app.retention import apply as apply_retention

    with clear_errors():
        day = _as_of(as_of)
    if not yes:
        typer.echo("error: retention apply replaces personal data for good and cannot be "
                   "undone; see what it would do with `dunwell retention report`, then run it "
                   "again with --yes [confirmation_must_be_given]", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    with clear_errors():
        dunwell = app_for(db)
        with Progress(TextColumn("anonymising"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("borrowers"), TimeElapsedColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task("anonymise", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            done = apply_retention(dunwell, day, now=now(), batch_size=batch_size,
                                   progress=step)
    tables = ", ".join(f"{t} {n}" for t, n in sorted(done.tables.items())) or "-"
    console.print(f"{len(done.anonymised)} borrowers anonymised on {day.isoformat()} "
                  f"({done.fields} fields: {tables}); {done.skipped} no longer due; "
                  "each is in the audit log")
