"""``dunwell write-off LOAN --reason TEXT --key KEY``: charge an open loan off."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now
from dunwell.core.money import format_minor


def write_off(
    loan_id: Annotated[int, typer.Argument(help="Loan id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the journal and the "
                                        "audit log).")],
    key: Annotated[str, typer.Option("--key", help="Idempotency key (unique per write-off).")],
    db: DbOption = None,
) -> None:
    """Write an open loan off: suspense first, the rest to the write-off account."""
    from dunwell.app.commands import run_command
    from dunwell.app.lending.writeoff import write_off as write_off_loan
    with clear_errors():
        app = app_for(db)
        at = now()
        result = run_command(
            app, lambda uow: write_off_loan(uow, loan_id=loan_id, reason=reason,
                                                   idempotency_key=key, now=at),
            what=f"write-off {key!r}")
    cur = result.loan.currency
    lost = result.written_off
    table = Table(title=f"loan {loan_id} written off on {result.business_date}: "
                  f"{result.status.value}")
    table.add_column("component")
    table.add_column("written off", justify="right")
    for name, amount in (("principal", lost.principal_minor), ("interest", lost.interest_minor),
                         ("penalty", lost.penalty_minor), ("fee", lost.fee_minor),
                         ("total", lost.total_minor)):
        table.add_row(name, format_minor(amount, cur))
    console.print(table)
    console.print(f"suspense applied first {format_minor(result.suspense_applied_minor, cur)}"
                  f", still held {format_minor(result.loan.suspense_minor, cur)}; "
                  f"entry {result.entry_id}; loan {loan_id} is "
                  f"{result.loan.status.name.lower()}")
