"""``dunwell keys``: the field encryption keys' status, rotation and new keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now

if TYPE_CHECKING:
    from dunwell.app.keys import KeyStatus

keys_app = typer.Typer(
    help="Field encryption keys: status, and rotate (re-encrypt under the newest key).\n\n"
         "Keys come from DUNWELL_DATA_KEYS (\"ID:BASE64KEY,...\", newest first) and "
         "DUNWELL_LOOKUP_KEY; see docs/security/encryption.md.",
    no_args_is_help=True)

#: ``dunwell.app.keys.BATCH_ROWS_DEFAULT``, repeated here so that the command line starts
#: without importing the application layer (a test keeps the two equal).
BATCH_ROWS_DEFAULT = 500


@keys_app.command("status")
def status(db: DbOption = None) -> None:
    """Values of each encrypted column under each key id and in plaintext, and the
    lookup hashes under the current lookup key."""
    from dunwell.app.keys import key_status
    with clear_errors():
        found = key_status(app_for(db))
    console.print(status_table(found))
    hashes = found.hashes
    console.print(f"address hashes: {hashes.current} under the current lookup key, "
                  f"{hashes.stale} under another, {hashes.missing} missing")
    if found.development:
        console.print("[yellow]development keys in use; set DUNWELL_DATA_KEYS and "
                      "DUNWELL_LOOKUP_KEY[/yellow]")
    if any(c.unknown_key for c in found.columns):
        console.print("[red]some values are under keys DUNWELL_DATA_KEYS does not hold; "
                      "they cannot be read until those keys are added back[/red]")
    todo = found.not_newest + hashes.stale + hashes.missing
    console.print(f"to rotate: {todo}" + ("" if todo else " (every value is under the "
                                           f"newest key, {found.newest})"))


def status_table(found: KeyStatus) -> Table:
    table = Table(title=f"encrypted columns (newest key: {found.newest})")
    table.add_column("column")
    for key_id in found.key_ids:
        table.add_column(key_id + (" (newest)" if key_id == found.newest else ""),
                         justify="right")
    table.add_column("other keys", justify="right")
    table.add_column("plaintext", justify="right")
    for c in found.columns:
        table.add_row(f"{c.table}.{c.column}", *(str(c.by_key[k]) for k in found.key_ids),
                      str(c.unknown_key), str(c.plaintext))
    return table


@keys_app.command("rotate")
def rotate(
    batch: Annotated[int, typer.Option(
        min=1, max=10_000, help="Rows per transaction: the service keeps running, each "
        "batch holds its rows only until it commits.")] = BATCH_ROWS_DEFAULT,
    db: DbOption = None,
) -> None:
    """Re-encrypt every value not under the newest key (and every plaintext value written
    before encryption) and remake lookup hashes made under another lookup key. Safe to
    stop and run again; a second run finds nothing to do."""
    from dunwell.app.keys import rotate_keys
    with clear_errors():
        app = app_for(db)
        with Progress(TextColumn("rotate {task.fields[table]}"), BarColumn(),
                      MofNCompleteColumn(), TextColumn("rows"), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("rotate", total=None, table="")
            report = rotate_keys(app, batch=batch, progress=lambda table, done, total: bar.update(
                task, completed=done, total=total, table=table))
    table = Table(title=f"rotated to key {report.newest}")
    table.add_column("table")
    table.add_column("rows re-encrypted", justify="right")
    for name, rows in sorted(report.by_table.items()):
        table.add_row(name, str(rows))
    table.add_row("total", str(report.rows_changed))
    console.print(table)
    if report.remaining:
        console.print(f"{report.remaining} rows were written under an older key meanwhile; "
                      "run `dunwell keys rotate` again")


@keys_app.command("generate")
def generate(
    key_id: Annotated[str | None, typer.Option(
        "--id", help="The new key's id (default: k and today's date, e.g. k20261203).")] = None,
) -> None:
    """Print a fresh "ID:BASE64KEY" key line (32 random bytes): put it first in
    DUNWELL_DATA_KEYS, or its base64 part alone in DUNWELL_LOOKUP_KEY."""
    from dunwell.app.keys import generate_key_line
    with clear_errors():
        line = generate_key_line(key_id=key_id or f"k{now():%Y%m%d}")
    typer.echo(line)
