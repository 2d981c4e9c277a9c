"""Commands on origination: ``apply`` (an application from a JSON file), ``credit-line
show``, ``draw``, ``cancel`` and ``review``, and ``serve`` (the HTTP API under uvicorn)."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console
from dunwell.core.dates import parse_date
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor
from dunwell.origination.disclosure import Method
from dunwell.origination.limit_review import explain_limit_review

if TYPE_CHECKING:
    from dunwell.api.schemas import ApplicationIn
    from dunwell.app.origination.drawdowns import Quote
    from dunwell.app.origination.monitor import FrontDoor

credit_line_app = typer.Typer(no_args_is_help=True, help="Revolving credit lines.")
origination_app = typer.Typer(no_args_is_help=True, help="The front door: applications "
                              "and the loans lent.")


def _read_application(path: Path) -> ApplicationIn:
    from dunwell.api.schemas import ApplicationIn
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path} is not a readable JSON file ({exc})",
                           code="application_file_must_be_json") from None
    try:
        return ApplicationIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "application"
        raise InvalidInput(f"{path}: {where}: {first['msg']}",
                           code="request_must_be_valid", field=where) from None


def apply(
    file: Annotated[Path, typer.Option("--json", help="The application as JSON (the body of "
                                       "POST /v1/applications).")],
    key: Annotated[str | None, typer.Option("--key", help="Idempotency key (default: "
                                            "idempotency_key in the file).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="en or zh-CN (default: the "
                                             "applicant's language).")] = None,
    db: DbOption = None,
) -> None:
    """Submit an application and print the decision with its reasons."""
    from dunwell.api.views import decision_out
    from dunwell.app.origination.service import origination_for, submit_application
    with clear_errors():
        body = _read_application(file)
        idempotency_key = key or body.idempotency_key
        if not idempotency_key:
            raise InvalidInput("give --key KEY or idempotency_key in the file",
                               code="idempotency_key_must_be_present", field="idempotency_key")
        application = body.to_domain()
        app = app_for(db)
        origination = origination_for(app.settings)
        with app.uow() as uow:
            result = submit_application(uow, application=application,
                                        idempotency_key=idempotency_key,
                                        model=origination.model, policy=origination.policy,
                                        bureau=app.providers.bureau)
            uow.commit()
    out = decision_out(result.application, lang)
    table = Table(title=f"application {out.application_id}: {out.outcome.value} "
                        f"({result.status.value})")
    table.add_column("", style="bold")
    table.add_column("")
    rows = [("grade", out.grade or "-"), ("probability of default",
                                           out.probability_of_default or "-"),
            ("requested", f"{out.requested_amount} {out.currency}"),
            ("approved", f"{out.approved_amount} {out.currency}"),
            ("credit limit", f"{out.credit_limit} {out.currency}"),
            ("annual rate", out.annual_rate or "-"),
            ("terms (months)", ", ".join(map(str, out.term_options)) or "-"),
            ("debt service ratio", out.debt_service_ratio or "-"),
            ("credit line", str(out.credit_line_id or "-"))]
    for name, value in rows:
        table.add_row(name, value)
    table.add_section()
    for reason in out.reasons:
        table.add_row(reason.effect.value, reason.text)
    for advice in out.what_would_help:
        table.add_row("would help", advice)
    console.print(table)


@credit_line_app.command("show")
def show(
    line_id: Annotated[int, typer.Argument(help="Credit line id.")],
    db: DbOption = None,
) -> None:
    """A credit line: limit, available, drawdowns."""
    from dunwell.api.views import line_out
    from dunwell.app.origination.service import line_view
    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            out = line_out(line_view(uow, line_id))
    table = Table(title=f"credit line {out.line_id} ({out.status}), grade {out.grade} at "
                        f"{out.annual_rate}")
    for col in ("limit", "ceiling", "outstanding", "available"):
        table.add_column(col, justify="right")
    table.add_row(out.credit_limit, out.limit_ceiling, out.outstanding_principal, out.available)
    console.print(table)
    if out.drawdowns:
        dd = Table(title="drawdowns")
        for col in ("id", "date", "loan", "amount", "months", "product", "monthly"):
            dd.add_column(col, justify="right")
        for d in out.drawdowns:
            dd.add_row(str(d.drawdown_id), d.business_date.isoformat(), str(d.loan_id),
                       d.amount, str(d.term_months), d.product_code, d.monthly_repayment)
        console.print(dd)


def disclosure_tables(shown: Quote) -> list[Table]:
    """The disclosure as a borrower reads it: the cost, the schedule, the window."""
    r: dict[str, Any] = shown.rendered()
    cost = Table(title=str(r["title"]))
    cost.add_column("", style="bold")
    cost.add_column("", justify="right")
    for f in r["fields"]:
        cost.add_row(str(f["label"]), str(f["value"]))
    cooling = r["cooling_off"]
    cost.add_section()
    cost.add_row(str(cooling["label"]), str(cooling["text"]))
    schedule = Table(title=str(r["schedule"]["label"]))
    for col in r["schedule"]["columns"]:
        schedule.add_column(str(col), justify="right")
    for row in r["schedule"]["rows"]:
        schedule.add_row(*map(str, row))
    return [cost, schedule]


@credit_line_app.command("draw")
def draw(
    line_id: Annotated[int, typer.Argument(help="Credit line id.")],
    amount: Annotated[str, typer.Argument(help="Amount to borrow, e.g. 20000.00.")],
    term: Annotated[int, typer.Option("--term", help="Months to repay over.")],
    method: Annotated[Method, typer.Option("--method", help="instalments (monthly) or "
                                           "one_sum (all at the end).")] = Method.INSTALMENTS,
    accept: Annotated[bool, typer.Option("--accept", help="Borrow on the terms shown "
                                         "(without it, only show them).")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="en or zh-CN (default: the "
                                             "borrower's language).")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Idempotency key (default: one "
                                            "derived from the line and the terms).")] = None,
    db: DbOption = None,
) -> None:
    """Show what a drawdown costs (all-in annual cost, total to repay, schedule,
    cooling-off) and, with --accept, lend on exactly those terms."""
    from dunwell.app.origination.drawdowns import draw_accepted, quote
    from dunwell.app.origination.service import origination_for
    with clear_errors():
        app = app_for(db)
        policy = origination_for(app.settings).policy
        with app.uow() as uow:
            shown = quote(uow, line_id=line_id, amount=amount, term_months=term,
                          method=method, language=lang, policy=policy)
            for table in disclosure_tables(shown):
                console.print(table)
            if not accept:
                console.print(f"terms {shown.fingerprint[:16]}: run again with --accept to "
                              "borrow on these terms")
                return
            made = draw_accepted(uow, line_id=line_id, amount=amount, term_months=term,
                                 method=method, accepted=shown.fingerprint,
                                 idempotency_key=key or f"draw-{line_id}-{shown.fingerprint[:32]}",
                                 language=lang, policy=policy)
            uow.commit()
    dd = made.result.drawdown
    until = made.acceptance.cancel_until if made.acceptance else None
    console.print(f"drawdown {dd.drawdown_id} ({made.result.status.value}): loan "
                  f"{dd.loan_id}, {format_minor(dd.amount_minor, shown.line.currency)} "
                  f"{shown.line.currency} over {dd.term_months} months; terms accepted "
                  f"{shown.fingerprint[:16]}"
                  + (f"; may cancel until {until.isoformat()}" if until else ""))


@credit_line_app.command("cancel")
def cancel(
    drawdown_id: Annotated[int, typer.Argument(help="Drawdown id.")],
    amount: Annotated[str, typer.Option("--amount", help="What the borrower returns: the "
                                        "principal and, where the jurisdiction charges "
                                        "it, the interest to date.")],
    key: Annotated[str, typer.Option("--key", help="Idempotency key.")],
    date: Annotated[str | None, typer.Option("--date", help="The date of the cancellation "
                                             "(YYYY-MM-DD; must be the book's date, the "
                                             "default).")] = None,
    db: DbOption = None,
) -> None:
    """Cancel a drawdown within its cooling-off window: the money returned, the fee
    waived, the loan closed."""
    from dunwell.app.commands import run_command
    from dunwell.app.origination.drawdowns import cancel_drawdown
    with clear_errors():
        on = parse_date(date, field="date") if date else None
        app = app_for(db)
        done = run_command(app, lambda uow: cancel_drawdown(
            uow, drawdown_id=drawdown_id, amount=amount, idempotency_key=key,
            now=dt.datetime.now(dt.UTC), on=on), what=f"cancellation of drawdown {drawdown_id}")
    cur = done.loan.currency
    console.print(f"drawdown {drawdown_id} cancelled ({done.status.value}) on "
                  f"{done.cancelled_on.isoformat()}: loan {done.loan.loan_id} "
                  f"{done.loan.status.name.lower()}; returned "
                  f"{format_minor(done.returned_minor, cur)} {cur} (principal "
                  f"{format_minor(done.principal_minor, cur)}, interest "
                  f"{format_minor(done.interest_minor, cur)}); fee waived "
                  f"{format_minor(done.fee_waived_minor, cur)}")


@credit_line_app.command("review")
def review(
    date: Annotated[str | None, typer.Option("--date", help="Review as of this date "
                                             "(YYYY-MM-DD, at most the book's date; "
                                             "default: the book's date).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="en or zh-CN (default: each "
                                             "borrower's language).")] = None,
    db: DbOption = None,
) -> None:
    """Review every active credit line not yet reviewed on the date: raise, keep, lower
    (never below what is drawn) or freeze, each with its reasons, all recorded."""
    from dunwell.app.origination.service import line_language, origination_for, review_limits
    with clear_errors():
        on = parse_date(date, field="date") if date else None
        app = app_for(db)
        policy = origination_for(app.settings).policy
        with app.uow() as uow:
            reviews = review_limits(uow, policy=policy, on=on)
            words = {r.line_id: explain_limit_review(r, lang or line_language(uow, r.line_id))
                     for r in reviews}
            currency = uow.book.require().currency
            uow.commit()
    table = Table(title=f"limit review: {len(reviews)} line(s)")
    for col in ("line", "action", "limit before", "limit after", "why"):
        table.add_column(col, justify="right" if col.startswith("limit") else "left")
    for r in reviews:
        table.add_row(str(r.line_id), r.action.value,
                      format_minor(r.limit_before_minor, currency),
                      format_minor(r.limit_after_minor, currency),
                      "\n".join(words[r.line_id]) or "-")
    console.print(table)


def _rate(count: int, of: int) -> str:
    return "-" if of == 0 else f"{count * 100 / of:.1f}% ({count}/{of})"


def cohorts_table(report: FrontDoor) -> Table:
    table = Table(title="the front door by vintage and grade")
    for col in ("vintage", "grade", "approval", "default", "early delinquency"):
        table.add_column(col, justify="left" if col in ("vintage", "grade") else "right")
    for c in report.cohorts:
        table.add_row(f"{c.vintage:%Y-%m}", c.grade, _rate(c.approval.count, c.approval.of),
                      _rate(c.default.count, c.default.of),
                      _rate(c.early_delinquency.count, c.early_delinquency.of),
                      end_section=c.grade == "all")
    return table


def drift_table(report: FrontDoor) -> Table:
    table = Table(title=f"population stability: {report.recent_applications} application(s) "
                        f"since {report.recent_since} against {report.baseline}")
    for col in ("feature", "PSI", "status", "then (mean)", "now (mean)"):
        table.add_column(col, justify="left" if col in ("feature", "status") else "right")
    for d in report.drifts:
        table.add_row(d.name, f"{d.psi:.4f}", d.status,
                      "-" if d.expected_mean is None else f"{d.expected_mean:.4g}",
                      "-" if d.actual_mean is None else f"{d.actual_mean:.4g}")
    if not report.drifts:
        table.caption = "no comparison: it needs applications both before and since"
    return table


@origination_app.command("monitor")
def monitor(
    recent_days: Annotated[int, typer.Option("--recent-days", min=1, max=3660,
                                             help="Applications this recent are compared "
                                             "with the baseline.")] = 90,
    db: DbOption = None,
) -> None:
    """Approval, default and early-delinquency rates by vintage and grade, and the
    population stability (PSI) of the application features."""
    from dunwell.app.origination.monitor import front_door
    from dunwell.app.origination.service import origination_for
    with clear_errors():
        app = app_for(db)
        model = origination_for(app.settings).model
        with app.uow() as uow:
            report = front_door(uow, model=model, recent_days=recent_days)
    console.print(cohorts_table(report))
    console.print(drift_table(report))


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    db: DbOption = None,
    dev: Annotated[bool, typer.Option(
        "--dev", help="Development mode (also DUNWELL_DEV_MODE=1): missing or development "
        "secrets are warnings, not a refusal to start.")] = False,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Server processes sharing the port (PostgreSQL only: SQLite "
        "has one writer). About one per core.")] = 1,
) -> None:
    """Serve the HTTP API (docs at /docs, schema at /openapi.json).

    Outside development mode it refuses to start (exit 2), one line per problem, while
    a secret is missing or still a development value (docs/security/secrets.md). With
    ``--workers N`` (PostgreSQL) N processes serve the port; on SQLite it refuses."""
    import ipaddress

    import uvicorn

    from dunwell.api.app import create_app
    from dunwell.app.secrets import problems
    from dunwell.bootstrap import bootstrap, secret_problems
    from dunwell.cli.common import with_connect_timeout
    from dunwell.settings import Settings

    with clear_errors():
        settings = Settings()
        if dev:
            settings = settings.model_copy(update={"dev_mode": True})
        found = problems(settings, keys=secret_problems)
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        typer.echo(f"warning: listening on {host}: the API is reachable from the network; "
                   "serve it behind TLS, and it still needs every secret set", err=True)
    label = "warning" if settings.dev_mode else "error"
    for line in found:
        typer.echo(f"{label}: {line}", err=True)
    with clear_errors():
        if found and not settings.dev_mode:
            raise InvalidInput("dunwell serve refuses to start without its secrets; set "
                               "them, or pass --dev on a development machine",
                               code="secrets_must_be_set")
        url = with_connect_timeout(db or settings.db_url)
        if workers > 1 and not url.startswith("postgresql"):
            raise InvalidInput(
                f"--workers {workers} needs PostgreSQL: a SQLite book has one writer, so "
                "extra processes would only wait for each other; serve it with one worker "
                "or move the book to PostgreSQL", code="workers_must_use_postgresql",
                field="workers")
        dunwell = bootstrap(settings, db_url=url)  # migrates once, before any worker
    if workers > 1:
        dunwell.db.dispose()
        _serve_workers(url, dev=settings.dev_mode, host=host, port=port, workers=workers,
                       access_log=access_log)
        return
    with clear_errors():
        api = create_app(dunwell=dunwell)
    gc.collect()
    gc.freeze()  # what start-up loaded is never garbage: keep the collector off it
    console.print(f"serving on http://{host}:{port} (OpenAPI at /openapi.json)"
                  + (" in development mode" if settings.dev_mode else ""))
    uvicorn.run(api, host=host, port=port, access_log=access_log, log_level="warning")


def _serve_workers(url: str, *, dev: bool, host: str, port: int, workers: int,
                   access_log: bool) -> None:
    """``workers`` processes on one port, each building its app from the environment
    (``dunwell.api.app:serve_app``)."""
    import uvicorn

    os.environ["DUNWELL_DB_URL"] = url
    if dev:
        os.environ["DUNWELL_DEV_MODE"] = "1"
    console.print(f"serving on http://{host}:{port} with {workers} workers (OpenAPI at "
                  "/openapi.json)" + (" in development mode" if dev else ""))
    uvicorn.run("dunwell.api.app:serve_app", factory=True, workers=workers, host=host,
                port=port, access_log=access_log, log_level="warning")



