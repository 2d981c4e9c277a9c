"""Negotiation commands: ``dunwell hardship``, ``dunwell offers`` and ``dunwell plan
approve|accept|list|show``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now
from dunwell.core.errors import InvalidInput
from dunwell.core.money import format_minor, to_minor

plan_app = typer.Typer(help="Repayment plans: approve and accept offers, list and show plans.",
                       no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
KeyOption = Annotated[str | None, typer.Option(
    "--key", help="Idempotency key: the same command with the same key is recorded once "
    "(without one, the same content is recognised).")]



def _evidence(paths: list[Path]) -> list[str]:
    out = []
    for p in paths:
        if not p.is_file():
            raise InvalidInput(f"evidence file {p} does not exist", code="evidence_file_must_exist",
                               field="--evidence")
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        out.append(f"{p.name}:{digest}")
    return out


def hardship(
    case_id: Annotated[str, typer.Argument(help="Case id, e.g. case-1-20250216.")],
    reason: Annotated[str, typer.Option(
        "--reason", help="illness, family_emergency, business_downturn, job_loss or other.")],
    income: Annotated[str, typer.Option("--income", help="Monthly income, e.g. 6000.00.")],
    expenses: Annotated[str, typer.Option("--expenses", help="Essential monthly expenses.")],
    other_debts: Annotated[str, typer.Option(
        "--other-debts", help="Other debts' monthly payments.")] = "0",
    evidence: Annotated[list[Path] | None, typer.Option(
        "--evidence", help="A document shown (repeatable); its sha256 is recorded.")] = None,
    vulnerable: Annotated[bool, typer.Option(
        "--vulnerable", help="The borrower is vulnerable (the guard pauses pressure).")] = False,
    source: Annotated[str, typer.Option(
        "--source", help="portal, collector or field_agent.")] = "collector",
    loan_id: Annotated[int | None, typer.Option("--loan", help="The loan (default: the "
                                                "case's most overdue one).")] = None,
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Record a borrower's hardship on a case: reason, monthly budget, evidence. The
    same assessment again the same day (or with the same --key) is already recorded."""
    from dunwell.app.negotiation.replays import assess_hardship_once
    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            cur = uow.book.require().currency
        rec, replayed = assess_hardship_once(
            app, case_id=case_id, reason=reason,
            monthly_income_minor=to_minor(income, cur, field="--income"),
            essential_expenses_minor=to_minor(expenses, cur, field="--expenses"),
            other_debt_payments_minor=to_minor(other_debts, cur, field="--other-debts"),
            evidence=_evidence(evidence or []), vulnerable=vulnerable, source=source,
            now=now(), loan_id=loan_id, key=key)
    console.print(("already recorded: " if replayed else "")
                  + f"hardship assessment {rec.assessment_id} on {case_id} (loan {rec.loan_id}): "
                  f"disposable income {format_minor(rec.disposable_income_minor, cur)} a month"
                  + ("; vulnerable flag set" if rec.assessment.vulnerable else ""))
    console.print(f"next: dunwell offers {case_id}")


def offers(
    case_id: Annotated[str, typer.Argument(help="Case id.")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Today's offers for the case, best first (expected NPV among affordable offers)."""
    from dunwell.app.negotiation.service import offer_book
    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            info = uow.book.require()
        book = offer_book(app, case_id=case_id, business_date=info.business_date)
    cur = info.currency
    if as_json:
        typer.echo(json.dumps({
            "case_id": case_id, "referral": book.referral, "unaffordable": book.unaffordable,
            "offers": [{"offer_id": r.offer_id, "rank": r.rank, "kind": r.offer.kind.value,
                        "months": r.offer.months,
                        "monthly_payment": format_minor(r.offer.monthly_payment_minor, cur),
                        "affordability": str(r.offer.affordability),
                        "expected_npv": format_minor(r.offer.expected_npv_minor, cur),
                        "total_cost": format_minor(r.offer.total_cost_minor, cur),
                        "waiver": format_minor(r.offer.waiver.total_minor, cur),
                        "approval_needed": r.offer.approval_role.value,
                        "status": r.status.value} for r in book.offers]}, indent=2))
        return
    if book.referral is not None:
        console.print(f"[bold]{book.referral}[/bold]")
        return
    debt = book.offers[0].offer.debt
    table = Table(title=f"offers for {case_id}: debt {format_minor(debt.total_minor, cur)}, "
                        f"disposable income "
                        f"{format_minor(book.assessment.disposable_income_minor, cur)}"
                        f" ({book.unaffordable} unaffordable left out)")
    for col in ("offer", "type", "months", "monthly payment", "affordability", "expected NPV",
                "total cost", "waived", "approval needed", "status"):
        table.add_column(col, justify="right" if col not in ("type", "approval needed",
                                                             "status") else "left")
    for r in book.offers:
        o = r.offer
        table.add_row(str(r.offer_id), o.kind.value, str(o.months),
                      format_minor(o.monthly_payment_minor, cur), f"{o.affordability * 100:.2f} %",
                      format_minor(o.expected_npv_minor, cur),
                      format_minor(o.total_cost_minor, cur),
                      format_minor(o.waiver.total_minor, cur), o.approval_role.value,
                      r.status.value)
    console.print(table)


@plan_app.command("approve")
def approve(
    offer_id: Annotated[int, typer.Argument(help="Offer id.")],
    by: Annotated[str, typer.Option("--by", help="The approver's staff id.")],
    role: Annotated[str, typer.Option(
        "--role", help="collector, field_agent, team_lead, manager or risk_committee.")],
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Approve an offer within your authority (see approvals.toml)."""
    from dunwell.app.negotiation.replays import approve_offer_once
    with clear_errors():
        rec, replayed = approve_offer_once(app_for(db), offer_id=offer_id, approver_id=by,
                                           role=role, now=now(), key=key)
    console.print(("already recorded: " if replayed else "")
                  + f"offer {rec.offer_id} ({rec.offer.label}) approved by {by} as {role}")


@plan_app.command("accept")
def accept(
    offer_id: Annotated[int, typer.Argument(help="Offer id.")],
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """The borrower accepts an approved offer: the loan is restructured (once: an offer
    already accepted shows its plan)."""
    from dunwell.app.negotiation.replays import accept_offer_once
    with clear_errors():
        plan, replayed = accept_offer_once(app_for(db), offer_id=offer_id, now=now(), key=key)
    if replayed:
        console.print(f"already recorded: offer {offer_id} was accepted as plan "
                      f"{plan.plan_id} on case {plan.case_id} ({plan.status.value})")
        return
    console.print(f"plan {plan.plan_id} active on case {plan.case_id}: loan {plan.loan_id} "
                  f"restructured ({plan.kind.value}); see `dunwell plan show {plan.plan_id}`")


@plan_app.command("list")
def list_plans(
    status: Annotated[str | None, typer.Option(
        "--status", help="active, broken or completed.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Plans with their status."""
    from dunwell.app.negotiation.service import plans
    with clear_errors():
        found = plans(app_for(db), status=status)
    if as_json:
        typer.echo(json.dumps([{"plan_id": p.plan_id, "case_id": p.case_id,
                                "loan_id": p.loan_id, "kind": p.kind.value,
                                "status": p.status.value,
                                "accepted_on": p.accepted_on.isoformat()} for p in found]))
        return
    table = Table(title="repayment plans")
    for col in ("plan", "case", "loan", "type", "accepted", "status", "resolved"):
        table.add_column(col)
    for p in found:
        table.add_row(str(p.plan_id), p.case_id, str(p.loan_id), p.kind.value,
                      p.accepted_on.isoformat(), p.status.value,
                      p.resolved_on.isoformat() if p.resolved_on else "")
    console.print(table)


@plan_app.command("show")
def show(
    plan_id: Annotated[int, typer.Argument(help="Plan id.")],
    db: DbOption = None,
) -> None:
    """A plan's schedule: each payment, its parts and what has been paid."""
    from dunwell.app.negotiation.service import plan_view
    with clear_errors():
        view = plan_view(app_for(db), plan_id=plan_id)
    cur, p, o = view.currency, view.plan, view.offer.offer
    table = Table(title=f"plan {p.plan_id} on {p.case_id} (loan {p.loan_id}): {o.label}, "
                        f"{p.status.value}; waived {format_minor(o.waiver.total_minor, cur)}")
    for col in ("n", "due", "principal", "interest", "penalty", "fee", "new interest",
                "amount", "paid"):
        table.add_column(col, justify="right")
    for inst, paid in zip(o.instalments, view.paid_minor, strict=False):
        table.add_row(str(inst.n), inst.due_date.isoformat(),
                      *(format_minor(v, cur) for v in (
                          inst.principal_minor, inst.interest_minor, inst.penalty_minor,
                          inst.fee_minor, inst.new_interest_minor, inst.total_minor, paid)))
    table.add_row("", "total", "", "", "", "", "", format_minor(o.total_cost_minor, cur),
                  format_minor(sum(view.paid_minor), cur), style="bold")
    console.print(table)
