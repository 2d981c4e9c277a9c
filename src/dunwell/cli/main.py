"""Entry point: ``dunwell`` (console script) or ``python -m dunwell.cli.main``."""

from __future__ import annotations

import os
import sys

import typer

from dunwell.cli import book, collect
from dunwell.cli.audit import audit_app
from dunwell.cli.borrower import borrower_app
from dunwell.cli.channels import outbox_app, templates_app
from dunwell.cli.compliance import compliance_app
from dunwell.cli.cost import cost_cap
from dunwell.cli.day import day_app
from dunwell.cli.demo import demo
from dunwell.cli.field import field_app
from dunwell.cli.legal import legal_app
from dunwell.cli.letters import letters_app
from dunwell.cli.merchants import consumers_app, merchants_app
from dunwell.cli.negotiation import hardship, offers, plan_app
from dunwell.cli.origination import apply, credit_line_app, origination_app, serve
from dunwell.cli.risk import risk_app
from dunwell.cli.schedule import schedule
from dunwell.cli.strategy import strategy_app
from dunwell.cli.training import training_app
from dunwell.cli.writeoff import write_off

app = typer.Typer(
    name="dunwell",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Dunwell: micro-lending servicing and humane collections."""


# --- Command registrations --------------------------------------------------------
# One line per command or command group; import the function or sub-app above.
#     app.command("name")(function)
#     app.add_typer(sub_app, name="group")
app.command("schedule")(schedule)
app.command("init")(book.init)
app.command("cob")(book.cob)
app.command("pay", context_settings={"ignore_unknown_options": True})(book.pay)
app.command("reverse")(book.reverse)
app.command("loan")(book.loan)
app.command("portfolio")(book.portfolio)
app.command("balances")(book.balances)
app.command("write-off")(write_off)
app.add_typer(book.book_app, name="book")
app.add_typer(day_app, name="day")
app.command("demo")(demo)
app.add_typer(audit_app, name="audit")
app.command("collect")(collect.collect)
app.command("case")(collect.case)
app.command("queue")(collect.queue)
app.command("contact")(collect.contact)
app.command("promise")(collect.promise)
app.add_typer(borrower_app, name="borrower")
app.add_typer(strategy_app, name="strategy")
app.add_typer(compliance_app, name="compliance")
app.command("apply")(apply)
app.add_typer(credit_line_app, name="credit-line")
app.add_typer(merchants_app, name="merchants")
app.add_typer(consumers_app, name="consumers")
app.add_typer(origination_app, name="origination")
app.command("serve")(serve)
app.add_typer(risk_app, name="risk")
app.add_typer(letters_app, name="letters")
app.add_typer(outbox_app, name="outbox")
app.add_typer(templates_app, name="templates")
app.command("hardship")(hardship)
app.command("offers")(offers)
app.add_typer(plan_app, name="plan")
app.add_typer(field_app, name="field")
app.add_typer(legal_app, name="legal")
app.add_typer(training_app, name="training")
app.command("cost-cap")(cost_cap)
# --- End of command registrations -------------------------------------------------


#: Exit code of a failure nobody expected (sysexits' EX_SOFTWARE): a bug to report.
EXIT_INTERNAL = 70


def main() -> None:
    """The console script: every command, and a last line of defence for failures no
    command expected — one line on stderr (the traceback with DUNWELL_DEBUG=1), exit 70."""
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        typer.echo("error: interrupted; nothing half-done is kept (each command is one "
                   "transaction) [interrupted]", err=True)
        sys.exit(130)
    except Exception as exc:  # the last resort: say it in one line, then exit
        if os.environ.get("DUNWELL_DEBUG"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        typer.echo(f"error: unexpected {type(exc).__name__}: {first}; this is a bug — run "
                   "again with DUNWELL_DEBUG=1 for the traceback and report it "
                   "[internal_error]", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
