"""Records in: ``merchants import FILE --merchant ID`` brings a merchant's transaction
records in from a CSV or Parquet file, ``consumers import FILE --consumer ID`` a
consumer's income records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console
from dunwell.core.money import format_minor

if TYPE_CHECKING:
    from dunwell.app.origination.records import ImportResult, IncomeImportResult, RecordsSummary
    from dunwell.app.uow import UnitOfWork

merchants_app = typer.Typer(no_args_is_help=True, help="Merchants and their records.")
consumers_app = typer.Typer(no_args_is_help=True, help="Consumers and their income records.")
#: Rejected fields shown at the most; the count says how many more there are.
REJECTED_SHOWN_MAX = 50


def rejected_table(result: ImportResult | IncomeImportResult) -> Table:
    table = Table(title=f"{len(result.validated.rejected_lines)} line(s) rejected; nothing "
                        "was stored")
    for col in ("line", "field", "code", "what is wrong"):
        table.add_column(col)
    for e in result.rejected[:REJECTED_SHOWN_MAX]:
        table.add_row(str(e.line), e.field, e.code.value, e.message)
    more = len(result.rejected) - REJECTED_SHOWN_MAX
    if more > 0:
        table.add_row("...", "", "", f"{more} more")
    return table


def summary_table(title: str, s: RecordsSummary, currency: str,
                  turnover: str = "turnover") -> Table:
    table = Table(title=title)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    span = (f"{s.first_month:%Y-%m} to {s.last_month:%Y-%m}"
            if s.first_month and s.last_month else "-")
    rows = [("months", span), ("months active", str(s.months_active)),
            ("months with records", str(s.months_with_records)),
            ("gaps", ", ".join(f"{m:%Y-%m}" for m in s.gap_months) or "none"),
            (turnover, f"{format_minor(s.turnover_minor, currency)} {currency}"),
            (f"monthly {turnover}", f"{format_minor(s.monthly_turnover_minor, currency)} "
                                    f"{currency}"),
            ("seasonality (variation)", f"{s.seasonality_cv_bps / 100:.1f}%"),
            ("peak to trough", f"{s.peak_to_trough_pct}%")]
    for name, value in rows:
        table.add_row(name, value)
    return table


@merchants_app.command("import")
def import_records(
    file: Annotated[Path, typer.Argument(help="The records: CSV with a header line "
                                         "(transaction_id,date,amount,currency,kind) or "
                                         "Parquet with those columns.")],
    merchant: Annotated[str, typer.Option("--merchant", help="The merchant's id (its "
                                          "reference).")],
    name: Annotated[str | None, typer.Option("--name", help="The merchant's name (default: "
                                             "as stored, or the id).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="The merchant's language, en "
                                             "or zh-CN (default: as stored, or en).")] = None,
    db: DbOption = None,
) -> None:
    """Import a merchant's transaction records: every line checked, ids already stored
    skipped, nothing stored when a line is wrong; the history summed up."""
    from dunwell.app.origination.records import import_merchant_file
    _import(db, file, lambda uow: import_merchant_file(
        uow, merchant=merchant, path=file, name=name, language=lang),
        title=f"merchant {merchant}: records summed up", turnover="turnover")


@consumers_app.command("import")
def import_income(
    file: Annotated[Path, typer.Argument(help="The income records: CSV with a header line "
                                         "(record_id,month,amount,currency) or Parquet "
                                         "with those columns.")],
    consumer: Annotated[str, typer.Option("--consumer", help="The consumer's id (their "
                                          "reference).")],
    name: Annotated[str | None, typer.Option("--name", help="The consumer's name (default: "
                                             "as stored, or the id).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="en or zh-CN (default: as "
                                             "stored, or en).")] = None,
    db: DbOption = None,
) -> None:
    """Import a consumer's income records: every line checked, ids already stored
    skipped, nothing stored when a line is wrong; an application sending no income
    history is judged on them."""
    from dunwell.app.origination.records import import_income_file
    _import(db, file, lambda uow: import_income_file(
        uow, consumer=consumer, path=file, name=name, language=lang),
        title=f"consumer {consumer}: income summed up", turnover="income")


def _import(db: str | None, file: Path,
            run: Callable[[UnitOfWork], ImportResult | IncomeImportResult], *,
            title: str, turnover: str) -> None:
    """Run an import; all or nothing: committed only when no line was rejected, which
    are then listed (exit 2); otherwise the counts and the history summed up."""
    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            result = run(uow)
            currency = uow.book.require().currency
            if not result.rejected:
                uow.commit()
    if result.rejected:
        console.print(rejected_table(result))
        raise typer.Exit(2)
    v = result.validated
    console.print(f"{file.name}: {v.lines} line(s), {result.stored} stored, "
                  f"{v.already_stored} already stored")
    console.print(summary_table(title, result.summary, currency, turnover=turnover))
