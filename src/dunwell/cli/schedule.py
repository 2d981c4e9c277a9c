"""``dunwell schedule``: print a repayment schedule as a table or as JSON.

The JSON document is the contract of DESIGN.md §4::

    {"installments": [{"n", "due_date", "principal", "interest", "total",
                       "outstanding"}], "total_interest", "total_paid"}
"""

from __future__ import annotations

import json
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from dunwell.core.dates import DayCount, parse_date
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.core.money import Rounding, format_minor, to_minor
from dunwell.lending.model import EmiCalculation, RepaymentMethod, Schedule
from dunwell.lending.schedules import build_schedule, parse_annual_rate, schedule_to_json

EXIT_BAD_INPUT = 2

_METHODS = ", ".join(m.value for m in RepaymentMethod)
_ROUNDINGS = ", ".join(r.value for r in Rounding)
_EMI_CALCULATIONS = "|".join(e.value for e in EmiCalculation)
_DAY_COUNTS = "|".join(d.value for d in DayCount)


_E = TypeVar("_E", RepaymentMethod, Rounding, EmiCalculation)


def _choice(kind: type[_E], text: str, option: str) -> _E:
    norm = text.strip().lower().replace("-", "_")
    for member in kind:
        if member.value == norm:
            return member
    known = ", ".join(m.value for m in kind)
    raise InvalidInput(
        f"{option} {text!r} is not known; use one of {known}",
        code=f"{option.strip('-').replace('-', '_')}_must_be_known",
    )


def _periods(text: str) -> int:
    stripped = text.strip()
    if not stripped.isdigit():
        raise InvalidInput(
            f"--periods must be a whole number of months like 12, got {text!r}",
            code="periods_must_be_in_range",
        )
    return int(stripped)


def _table(result: Schedule, title: str) -> Table:
    def amount(minor: int) -> str:
        return format_minor(minor, result.currency)

    table = Table(title=title, show_footer=False)
    table.add_column("n", justify="right")
    table.add_column("due date")
    for heading in ("principal", "interest", "total", "outstanding"):
        table.add_column(heading, justify="right")
    rows = result.installments
    for i, row in enumerate(rows):
        table.add_row(
            str(row.n),
            row.due_date.isoformat(),
            amount(row.principal_minor),
            amount(row.interest_minor),
            amount(row.total_minor),
            amount(row.outstanding_minor),
            end_section=i == len(rows) - 1,
        )
    table.add_row(
        "",
        "total",
        amount(sum(r.principal_minor for r in rows)),
        amount(result.total_interest_minor),
        amount(result.total_paid_minor),
        "",
        style="bold",
    )
    return table


def schedule(
    principal: Annotated[
        str,
        typer.Option(
            "--principal", metavar="AMOUNT", help="Amount lent in major units, e.g. 10000.00."
        ),
    ],
    annual_rate: Annotated[
        str,
        typer.Option(
            "--annual-rate",
            metavar="RATE",
            help="Annual rate: 0.18 or 18% (a bare number of 1 or more must carry its %).",
        ),
    ],
    periods: Annotated[
        str, typer.Option("--periods", metavar="N", help="Number of monthly instalments.")
    ],
    method: Annotated[
        str, typer.Option("--method", metavar="METHOD", help=f"Repayment method: {_METHODS}.")
    ],
    start: Annotated[
        str, typer.Option("--start", metavar="YYYY-MM-DD", help="Disbursement date, YYYY-MM-DD.")
    ],
    day_count: Annotated[
        str, typer.Option("--day-count", metavar="DAY_COUNT", help=f"Day count: {_DAY_COUNTS}.")
    ] = DayCount.THIRTY_360.value,
    currency: Annotated[
        str, typer.Option("--currency", metavar="CODE", help="ISO 4217 code.")
    ] = "CNY",
    rounding: Annotated[
        str,
        typer.Option(
            "--rounding", metavar="MODE", help=f"Rounding to the minor unit: {_ROUNDINGS}."
        ),
    ] = Rounding.HALF_UP.value,
    emi: Annotated[
        str,
        typer.Option(
            "--emi",
            metavar="EMI",
            help=(
                f"How an equal_installment payment is found: {_EMI_CALCULATIONS}. "
                "progressive uses each period's own rate factor (actual days)."
            ),
        ),
    ] = EmiCalculation.FLAT_RATE_FACTOR.value,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON document.")] = False,
) -> None:
    """Print the repayment schedule of a loan, one row per monthly instalment."""
    try:
        currency_code = currency.strip().upper()
        rate = parse_annual_rate(annual_rate)
        chosen_method = _choice(RepaymentMethod, method, "--method")
        chosen_day_count = DayCount.parse(day_count)
        chosen_emi = _choice(EmiCalculation, emi, "--emi")
        result = build_schedule(
            principal_minor=to_minor(principal, currency_code, field="--principal"),
            currency=currency_code,
            annual_rate=rate,
            periods=_periods(periods),
            method=chosen_method,
            start=parse_date(start.strip(), field="--start"),
            day_count=chosen_day_count,
            rounding=_choice(Rounding, rounding, "--rounding"),
            emi_calculation=chosen_emi,
        )
    except DomainError as exc:
        typer.echo(f"error: {exc.message} [{exc.code}]", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if as_json:
        typer.echo(json.dumps(schedule_to_json(result), indent=2))
        return
    title = (
        f"{chosen_method.value}: {format_minor(result.principal_minor, result.currency)} "
        f"{result.currency} at {rate.scaleb(2).normalize():f}% a year, "
        f"{chosen_day_count.value}"
        + (", progressive EMI" if chosen_emi is EmiCalculation.PROGRESSIVE else "")
    )
    Console().print(_table(result, title))
