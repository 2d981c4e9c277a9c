"""Commands on the loan book: init, cob, pay, reverse, loan, portfolio, balances, and
``book verify`` (the nightly reconciliation)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console
from dunwell.core.dates import from_day, parse_date
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor

if TYPE_CHECKING:
    # The application layer (and the domain rules and Rich's progress bar only some
    # commands use) is imported inside the commands that run it, so that `dunwell book
    # verify --help` starts without it and a read imports only what it reads.
    from rich.progress import Progress

    from dunwell.app.context import Dunwell
    from dunwell.app.lending.verify import BookCheck

#: ``book verify`` (and ``cob --verify``) exit 1 when any check fails.
EXIT_BOOK_UNSOUND = 1


def init(
    date: Annotated[str, typer.Option("--date", help="First business date, YYYY-MM-DD.")],
    partitions: Annotated[int, typer.Option(help="COB partitions.")] = 8,
    currency: Annotated[str, typer.Option(help="The book's currency.")] = "CNY",
    db: DbOption = None,
) -> None:
    """Open a new book and register the built-in products."""
    from dunwell.app.lending.book import open_book, register_product
    from dunwell.lending.products import builtin_product_texts

    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            open_book(uow, business_date=parse_date(date, field="--date"),
                      partitions=partitions, currency=currency.upper())
            codes = [register_product(uow, text).code for text in builtin_product_texts()]
            uow.commit()
    console.print(f"book opened at {date} with products: {', '.join(codes)}")


def cob_progress() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(TextColumn("COB {task.fields[day]}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("partitions"), TimeElapsedColumn(), console=console,
                    transient=True)


def cob(
    date: Annotated[str | None, typer.Option("--date", help="Close this business date.")] = None,
    until: Annotated[str | None, typer.Option("--until",
                                               help="Close every day through this date.")] = None,
    verify_after: Annotated[bool, typer.Option(
        "--verify", help="Reconcile the book afterwards (as `dunwell book verify`); "
        "exit 1 if it is not sound.")] = False,
    engine: Annotated[str, typer.Option(
        help="local, or spark: each day closed in Spark over a Parquet snapshot "
        "(docs/scale.md).")] = "local",
    master: Annotated[str, typer.Option(help="Spark master, with --engine spark.")] = "local[2]",
    snapshots: Annotated[str | None, typer.Option(
        help="With --engine spark: keep each day's snapshot under this directory.")] = None,
    model: Annotated[str | None, typer.Option(
        help="With --engine spark: also score the book in Spark with this early-warning "
        "model registry, as the day loop does after COB.")] = None,
    db: DbOption = None,
) -> None:
    """Close business days: accrue, age, penalise (capped) and move the book on.

    Only one COB runs on a book at a time: a second one exits 75 at once."""
    from dunwell.app.cob import close_day, close_until
    from dunwell.app.lending.verify import verify_book

    with clear_errors():
        if (date is None) == (until is None):
            raise InvalidInput("give exactly one of --date D or --until D",
                               code="cob_needs_one_date")
        app = app_for(db)
        from dunwell.cli.snapshot import engine_cob  # before the bar: it shows its own

        engine_reports = engine_cob(app, engine, date=date, until=until, master=master,
                                    snapshots=snapshots, model=model)
        with cob_progress() as bar:
            task = bar.add_task("cob", total=None, day="")

            def tick(day: dt.date, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, day=day.isoformat())

            if engine_reports is not None:
                reports = engine_reports
            elif date is not None:
                reports = [close_day(app, parse_date(date, field="--date"), tick)]
            else:
                reports = close_until(app, parse_date(str(until), field="--until"), tick)
    table = Table(title="close of business")
    for col in ("date", "partitions run", "skipped", "loans", "postings", "events"):
        table.add_column(col, justify="right")
    for r in reports[-15:]:
        table.add_row(r.business_date.isoformat(), str(r.partitions_run),
                      str(r.partitions_skipped), str(r.loans_closed), str(r.postings),
                      str(r.events))
    if len(reports) > 15:
        table.caption = f"last 15 of {len(reports)} days"
    console.print(table)
    if verify_after:
        report = verify_book(app)
        console.print(verify_table(report))
        if not report.ok:
            raise typer.Exit(EXIT_BOOK_UNSOUND)


def pay(
    loan_id: Annotated[int, typer.Argument(help="Loan id.")],
    amount: Annotated[str, typer.Argument(help="Amount in major units, e.g. 916.80.",
                                          metavar="AMOUNT")],
    key: Annotated[str, typer.Option("--key", help="Idempotency key (unique per payment).")],
    kind: Annotated[str, typer.Option(help="regular, payoff or prepayment.")] = "regular",
    mode: Annotated[str | None, typer.Option(
        help="For prepayment: shorten_term or lower_installment.")] = None,
    currency: Annotated[str, typer.Option(help="Currency of the amount.")] = "CNY",
    db: DbOption = None,
) -> None:
    """Receive a payment on a loan (the waterfall settles oldest instalments first)."""
    from dunwell.app.commands import run_command
    from dunwell.app.lending.payments import receive_payment
    from dunwell.lending.payments import PaymentKind
    from dunwell.lending.prepayment import PrepaymentMode

    with clear_errors():
        try:
            pkind = PaymentKind(kind)
            pmode = PrepaymentMode(mode) if mode else None
        except ValueError:
            raise InvalidInput(f"unknown --kind {kind!r} or --mode {mode!r}",
                               code="payment_kind_must_be_known") from None
        app = app_for(db)
        receipt = run_command(
            app, lambda uow: receive_payment(
                uow, loan_id=loan_id, amount=amount, currency=currency.upper(),
                idempotency_key=key, kind=pkind, mode=pmode, settings=app.settings,
                providers=app.providers),
            what=f"payment {key!r}")
    p = receipt.payment
    table = Table(title=f"payment {p.payment_id} on loan {p.loan_id}: {receipt.status.value}")
    for col in ("instalment", "component", "amount"):
        table.add_column(col, justify="right")
    for a in p.allocation:
        table.add_row(str(a.n), a.component.value, format_minor(a.amount_minor, p.currency))
    if p.suspense_minor:
        table.add_row("-", "suspense", format_minor(p.suspense_minor, p.currency))
    console.print(table)
    console.print(f"loan {p.loan_id} is {receipt.loan.status.name.lower()}")


def reverse(
    payment_id: Annotated[int, typer.Argument(help="Payment id to reverse.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the journal).")] = "",
    db: DbOption = None,
) -> None:
    """Reverse a regular payment with a mirror journal entry."""
    from dunwell.app.commands import run_command
    from dunwell.app.lending.payments import reverse_payment

    with clear_errors():
        app = app_for(db)
        receipt = run_command(
            app, lambda uow: reverse_payment(uow, payment_id=payment_id, reason=reason),
            what=f"reversal of payment {payment_id}")
    console.print(f"payment {payment_id}: {receipt.status.value}; reversal entry "
                  f"{receipt.payment.reversal_entry_id}")


def loan(
    loan_id: Annotated[int, typer.Argument(help="Loan id.")],
    db: DbOption = None,
) -> None:
    """Show a loan: status, days past due, instalments and what is owed."""
    from dunwell.app.lending.payments import quote_payoff
    from dunwell.lending.delinquency import bucket_on, dpd_on

    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            state = uow.loans.get(loan_id)
            today = uow.book.require().business_date
            quote = quote_payoff(uow, loan_id=loan_id) if state.status.is_open else 0
    cur = state.currency

    def m(v: int) -> str:
        return format_minor(v, cur)

    table = Table(title=f"loan {loan_id} ({state.product_code}): {state.status.name.lower()}, "
                  f"DPD {dpd_on(state, today)}, {bucket_on(state, today).label} on {today}")
    for col in ("n", "due", "principal", "interest", "fee", "penalty", "paid", "unpaid"):
        table.add_column(col, justify="right")
    for i in state.installments:
        paid = (i.paid_principal_minor + i.paid_interest_minor + i.paid_fee_minor
                + i.paid_penalty_minor)
        table.add_row(str(i.n), from_day(i.due_day).isoformat(), m(i.principal_minor),
                      m(i.interest_minor), m(i.fee_minor), m(i.penalty_minor), m(paid),
                      m(max(0, i.unpaid_total_minor)))
    console.print(table)
    if state.status.is_open:
        console.print(f"early full repayment today: {m(quote)} {cur}; "
                      f"suspense {m(state.suspense_minor)}")


BAR_WIDTH = 20


def portfolio_table(app: Dunwell) -> Table:
    from dunwell.lending.model import Bucket

    with app.uow() as uow:
        info = uow.book.require()
        rows = uow.loans.summary_by_bucket()
        statuses = uow.loans.count_by_status()
    table = Table(title=f"portfolio by bucket at {info.business_date}")
    for col in ("bucket", "loans", "outstanding principal", "share"):
        table.add_column(col, justify="right")
    table.add_column("", justify="left", style="cyan", min_width=BAR_WIDTH, no_wrap=True)
    total = sum(r[2] for r in rows) or 1
    for bucket, count, outstanding in rows:
        permille = 1000 * outstanding // total
        table.add_row(Bucket(bucket).label, str(count), format_minor(outstanding, info.currency),
                      f"{permille // 10}.{permille % 10}%", "█" * (permille * BAR_WIDTH // 1000))
    table.caption = ", ".join(f"{s.name.lower()} {n}" for s, n in sorted(statuses.items()))
    return table


def portfolio(db: DbOption = None) -> None:
    """Open loans by delinquency bucket."""
    with clear_errors():
        console.print(portfolio_table(app_for(db)))


def balances(
    loan_id: Annotated[int | None, typer.Option("--loan", help="Only this loan.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Balances as of a date.")] = None,
    db: DbOption = None,
) -> None:
    """Ledger balances by account (debit positive)."""
    with clear_errors():
        when = parse_date(as_of, field="--as-of") if as_of else None
        console.print(balances_table(app_for(db), loan_id=loan_id, as_of=when))


def balances_table(app: Dunwell, *, loan_id: int | None = None,
                   as_of: dt.date | None = None) -> Table:
    from dunwell.ledger.model import Account

    with app.uow() as uow:
        cur = uow.book.require().currency
        bal = uow.ledger.balances(as_of=as_of, loan_id=loan_id)
    table = Table(title="ledger balances" + (f" for loan {loan_id}" if loan_id else ""))
    table.add_column("account")
    table.add_column("debit", justify="right")
    table.add_column("credit", justify="right")
    for account in Account:
        v = bal.get(account, 0)
        table.add_row(account.label, format_minor(v, cur) if v > 0 else "",
                      format_minor(-v, cur) if v < 0 else "")
    table.add_row("total", format_minor(sum(v for v in bal.values() if v > 0), cur),
                  format_minor(-sum(v for v in bal.values() if v < 0), cur), style="bold")
    return table


book_app = typer.Typer(help="The book as a whole: its reconciliation.", no_args_is_help=True)


@book_app.command("verify")
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Reconcile the book: entries balance, loans equal their journal lines, every
    payment posted once. Exit 0 when all hold, 1 otherwise."""
    from dunwell.app.lending.verify import verify_book

    with clear_errors():
        report = verify_book(app_for(db))
    if as_json:
        typer.echo(json.dumps(report.as_json()))
    else:
        console.print(verify_table(report))
    if not report.ok:
        raise typer.Exit(EXIT_BOOK_UNSOUND)


def verify_table(report: BookCheck) -> Table:
    when = report.business_date.isoformat() if report.business_date else "no book"
    table = Table(title=f"book verification at {when}: {'sound' if report.ok else 'NOT sound'}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("first offenders", overflow="fold")
    for c in report.checks:
        first = "; ".join(str(o) for o in c.offending[:5])
        if c.detail:
            first = f"{c.detail}: {first}" if first else c.detail
        table.add_row(c.name, "[green]ok[/green]" if c.ok else "[red]FAILED[/red]", first)
    return table
