"""``dunwell audit verify``: check the hash chain of the decision and contact log."""

from __future__ import annotations

import typer
from rich.table import Table

from dunwell.app.audit import verify
from dunwell.cli.common import DbOption, app_for, clear_errors, console

audit_app = typer.Typer(no_args_is_help=True, help="The append-only decision and contact log.")

EXIT_TAMPERED = 1


@audit_app.command("verify")
def verify_command(db: DbOption = None) -> None:
    """Recompute every hash; report edited, deleted or reordered records (exit 1)."""
    with clear_errors():
        report = verify(app_for(db))
    if report.intact:
        console.print(f"audit log intact: {report.records} records, head {report.head_seq}")
        return
    table = Table(title=f"audit log broken: {len(report.problems)} problems in "
                  f"{report.records} records")
    for col in ("record", "problem", "detail"):
        table.add_column(col)
    for p in report.problems[:200]:
        table.add_row(str(p.seq), p.problem, p.detail)
    console.print(table)
    raise typer.Exit(EXIT_TAMPERED)
