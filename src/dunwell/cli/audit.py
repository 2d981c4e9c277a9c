"""``dunwell audit verify``: check the hash chain of the decision and contact log;
``dunwell audit anchor``: print its head, to keep outside the database and give back
to ``verify --anchor``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console
from dunwell.core.hashchain import parse_anchor

audit_app = typer.Typer(no_args_is_help=True, help="The append-only decision and contact log.")

EXIT_TAMPERED = 1
ANCHOR_PROBLEMS = frozenset({"anchor_missing", "anchor_mismatch"})


@audit_app.command("verify")
def verify_command(
    db: DbOption = None,
    anchor_text: Annotated[str | None, typer.Option(
        "--anchor", metavar="SEQ:HASH", help="An anchor printed earlier by `dunwell audit "
        "anchor`: record SEQ must still have that hash.")] = None,
) -> None:
    """Recompute every hash; report edited, deleted or reordered records (exit 1).

    With --anchor, also check that the anchored record still has its hash, which finds
    a log rewritten from its first record or cut short below the anchor."""
    from dunwell.app.audit import verify
    with clear_errors():
        kept = parse_anchor(anchor_text) if anchor_text is not None else None
        report = verify(app_for(db), anchor=kept)
    if report.intact:
        matched = f", matches anchor {report.anchor.seq}" if report.anchor else ""
        console.print(f"audit log intact: {report.records} records, head {report.head_seq}"
                      f"{matched}")
        return
    for p in report.problems:
        if p.problem in ANCHOR_PROBLEMS:
            typer.echo(f"error: audit log does not match the anchor: {p.detail}", err=True)
    table = Table(title=f"audit log broken: {len(report.problems)} problems in "
                  f"{report.records} records")
    for col in ("record", "problem", "detail"):
        table.add_column(col)
    for p in report.problems[:200]:
        table.add_row(str(p.seq), p.problem, p.detail)
    console.print(table)
    raise typer.Exit(EXIT_TAMPERED)


@audit_app.command("anchor")
def anchor_command(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object: seq, "
                                          "hash and the anchor text.")] = False,
) -> None:
    """Print the log's head as SEQ:HASH, to keep somewhere the database cannot reach.

    Later, `dunwell audit verify --anchor SEQ:HASH` checks the log still holds it."""
    from dunwell.app.audit import anchor
    with clear_errors():
        head = anchor(app_for(db))
    if as_json:
        typer.echo(json.dumps({"seq": head.seq, "hash": head.hash, "anchor": str(head)}))
    else:
        typer.echo(str(head))
