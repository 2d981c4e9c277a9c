"""Entry point: ``dunwell`` (console script) or ``python -m dunwell.cli.main``."""

from __future__ import annotations

import os
import sys

import typer

from dunwell.cli.lazy import Lazy, LazyGroup


class _Commands(LazyGroup):
    """Every command and command group, in the order ``dunwell --help`` lists them."""

    # --- Command registrations ----------------------------------------------------
    # One entry per command or command group, imported only when it runs:
    #     Lazy("name", "dunwell.cli.module:function_or_sub_app", "first paragraph of
    #          its help, as `dunwell --help` shows it")
    # (tests/cli/test_cli_start.py tells when an entry's help is not the command's own.)
    # The module itself must import light: services, bootstrap, the store, NumPy and the
    # like are imported inside the command function that uses them, never at its top
    # (docs/development.md, "Adding a command"; tests/cli/test_cli_start_groups.py).
    lazy = (
        Lazy("schedule", "dunwell.cli.schedule:schedule",
             "Print the repayment schedule of a loan, one row per monthly instalment."),
        Lazy("init", "dunwell.cli.book:init",
             "Open a new book and register the built-in products."),
        Lazy("cob", "dunwell.cli.book:cob",
             "Close business days: accrue, age, penalise (capped) and move the book on."),
        Lazy("export", "dunwell.cli.snapshot:export",
             "Write the book's open loans to a Parquet snapshot, to close the day elsewhere."),
        Lazy("import", "dunwell.cli.snapshot:import_book",
             "Load a snapshot's closed day into the book; a second import changes nothing."),
        Lazy("pay", "dunwell.cli.book:pay",
             "Receive a payment on a loan (the waterfall settles oldest instalments first).",
             context_settings={"ignore_unknown_options": True}),
        Lazy("reverse", "dunwell.cli.book:reverse",
             "Reverse a regular payment with a mirror journal entry."),
        Lazy("loan", "dunwell.cli.book:loan",
             "Show a loan: status, days past due, instalments and what is owed."),
        Lazy("portfolio", "dunwell.cli.book:portfolio",
             "Open loans by delinquency bucket."),
        Lazy("balances", "dunwell.cli.book:balances",
             "Ledger balances by account (debit positive)."),
        Lazy("write-off", "dunwell.cli.writeoff:write_off",
             "Write an open loan off: suspense first, the rest to the write-off account."),
        Lazy("demo", "dunwell.cli.demo:demo",
             "Book sample loans and run COB day by day, or compare strategies (--lab)."),
        Lazy("simulate", "dunwell.cli.simulate:simulate",
             "Run collection strategies on the same simulated borrowers and compare them."),
        Lazy("collect", "dunwell.cli.collect:collect",
             "Open and close cases, propose today's steps, pass each through the compliance\n"
             "guard, audit every decision and fill the collectors' call queues."),
        Lazy("uplift", "dunwell.cli.uplift:uplift_app",
             "ML-prioritised collection: train an uplift policy on the book's history, show one."),
        Lazy("case", "dunwell.cli.collect:case",
             "A borrower's cases: status, strategy, timeline and every decision on them; or,\n"
             "with `list`, the cases most overdue first."),
        Lazy("queue", "dunwell.cli.collect:queue",
             "Today's calls per collector, in order, with expected recovery."),
        Lazy("contact", "dunwell.cli.collect:contact",
             "Record what happened on a contact; the guard counts it from now on. An outbound\n"
             "contact the guard does not allow at that moment is refused with its rule."),
        Lazy("promise", "dunwell.cli.collect:promise",
             "Record a promise to pay; payment requests pause while it is pending."),
        Lazy("apply", "dunwell.cli.origination:apply",
             "Submit an application and print the decision with its reasons."),
        Lazy("serve", "dunwell.cli.origination:serve",
             "Serve the HTTP API (docs at /docs, schema at /openapi.json)."),
        Lazy("hardship", "dunwell.cli.negotiation:hardship",
             "Record a borrower's hardship on a case: reason, monthly budget, evidence. The\n"
             "same assessment again the same day (or with the same --key) is already recorded."),
        Lazy("offers", "dunwell.cli.negotiation:offers",
             "Today's offers for the case, best first (expected NPV among affordable offers)."),
        Lazy("cost-cap", "dunwell.cli.cost:cost_cap",
             "The highest all-in annual cost (interest, fees and penalty over the principal\n"
             "actually out) per product, against the product's cost cap."),
        Lazy("book", "dunwell.cli.book:book_app",
             "The book as a whole: its reconciliation."),
        Lazy("day", "dunwell.cli.day:day_app",
             "The lender's day: COB, verification, scoring, collection, messages, letters, field "
             "plans, plans and legal, date by date."),
        Lazy("audit", "dunwell.cli.audit:audit_app",
             "The append-only decision and contact log."),
        Lazy("borrower", "dunwell.cli.borrower:borrower_app",
             "Borrowers' contact preferences."),
        Lazy("strategy", "dunwell.cli.strategy:strategy_app",
             "Collection strategies (YAML)."),
        Lazy("compliance", "dunwell.cli.compliance:compliance_app",
             "The compliance guard: may this contact happen, and by which rule?"),
        Lazy("credit-line", "dunwell.cli.origination:credit_line_app",
             "Revolving credit lines."),
        Lazy("merchants", "dunwell.cli.merchants:merchants_app",
             "Merchants and their records."),
        Lazy("consumers", "dunwell.cli.merchants:consumers_app",
             "Consumers and their income records."),
        Lazy("origination", "dunwell.cli.origination:origination_app",
             "The front door: applications and the loans lent."),
        Lazy("risk", "dunwell.cli.risk:risk_app",
             "Credit risk models: train, score, report, monitor, evaluate."),
        Lazy("letters", "dunwell.cli.letters:letters_app",
             "Letters: issue, print, track and verify reminder letters and notices."),
        Lazy("outbox", "dunwell.cli.channels:outbox_app",
             "The outbox of messages: list them, send the due ones."),
        Lazy("templates", "dunwell.cli.channels:templates_app",
             "Message and letter templates: check and render them."),
        Lazy("plan", "dunwell.cli.negotiation:plan_app",
             "Repayment plans: approve and accept offers, list and show plans."),
        Lazy("field", "dunwell.cli.field:field_app",
             "Field visits: agents, certificates, addresses, plans, outcomes, ROI."),
        Lazy("legal", "dunwell.cli.legal:legal_app",
             "Legal referrals (human-approved), demand letters, evidence bundles and legal case "
             "tracking."),
        Lazy("training", "dunwell.cli.training:training_app",
             "Staff training and certification: the register, courses, attempts, certificates, the "
             "gate, warnings and quality."),
        Lazy("user", "dunwell.cli.users:user_app",
             "Users and their roles: add, list, change a role, disable."),
        Lazy("token", "dunwell.cli.users:token_app",
             "API tokens: create (shown once), list, revoke."),
        Lazy("keys", "dunwell.cli.keys:keys_app",
             "Field encryption keys: status, and rotate (re-encrypt under the newest key)."),
        Lazy("consent", "dunwell.cli.consent:consent_app",
             "Borrowers' consents per channel and party: record, withdraw, list."),
        Lazy("retention", "dunwell.cli.consent:retention_app",
             "Records past their retention period: report, then anonymise."),
        Lazy("complaints", "dunwell.cli.complaints:complaints_app",
             "Complaints and disputes: record, list the queue, answer, escalate, close."),
    )
    # --- End of command registrations ---------------------------------------------


app = typer.Typer(
    name="dunwell",
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Dunwell: micro-lending servicing and humane collections."""


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
