"""``dunwell uplift train`` and ``dunwell uplift show``: ML-prioritised collection's
policy, learnt from the book's own history (docs/collections.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now
from dunwell.core.money import to_minor

if TYPE_CHECKING:
    from dunwell.app.collections.uplift import Budget, UpliftPolicy

uplift_app = typer.Typer(
    no_args_is_help=True,
    help="ML-prioritised collection: train an uplift policy on the book's history, show one.",
)

BudgetOption = Annotated[
    int | None,
    typer.Option(
        "--budget", min=0, help="Contacts a day the policy may choose (default: no limit)."
    ),
]
CostOption = Annotated[
    str | None,
    typer.Option(
        "--cost-budget",
        help="Contact cost a day the policy may spend, in the book's currency, "
        "e.g. 500.00 (default: no limit).",
    ),
]


def budget_of(contacts: int | None, cost: str | None, currency: str) -> Budget:
    from dunwell.app.collections.uplift import Budget

    return Budget(contacts, to_minor(cost, currency) if cost is not None else None)


@uplift_app.command("train")
def train(
    out: Annotated[Path, typer.Option(help="Policy directory; a new vN version is added.")] = Path(
        "var/uplift"
    ),
    budget: BudgetOption = None,
    cost_budget: CostOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the models and the hold-out.")] = 0,
    horizon: Annotated[
        int, typer.Option(min=1, max=90, help="Days within which a payment counts as the response.")
    ] = 7,
    explore: Annotated[
        int,
        typer.Option(
            min=0, max=100, help="Percent of case-days the policy randomises, to keep learning."
        ),
    ] = 0,
    db: DbOption = None,
) -> None:
    """Learn who pays because of which action from the book's cases, steps, contacts
    and payments; save the policy and print its Qini figures on the hold-out."""
    from dunwell.app.collections.uplift import save_policy, train_uplift_policy

    with clear_errors():
        app = app_for(db)
        with app.uow() as uow:
            currency = uow.book.require().currency
        with Progress(
            SpinnerColumn(),
            TextColumn("training the uplift policy"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            bar.add_task("train", total=None)
            policy = train_uplift_policy(
                app,
                seed=seed,
                horizon_days=horizon,
                budget=budget_of(budget, cost_budget, currency),
                explore_pct=explore,
            )
            saved = save_policy(policy, out, created_at=now().isoformat())
    console.print(qini_table(saved, out))


@uplift_app.command("show")
def show(
    directory: Annotated[Path, typer.Argument(help="Policy directory.")] = Path("var/uplift"),
    version: Annotated[str | None, typer.Option(help="Version (default: the latest).")] = None,
) -> None:
    """A saved policy: budget, exploration and its Qini figures."""
    from dunwell.app.collections.uplift import load_policy

    with clear_errors():
        policy = load_policy(directory, version)
    console.print(qini_table(policy, directory))


def qini_table(policy: UpliftPolicy, where: Path) -> Table:
    report: dict[str, Any] = dict(policy.report)
    table = Table(
        title=f"uplift policy {where}/{policy.version}: Qini on the hold-out "
        f"({report.get('evaluated_on', '?')})"
    )
    table.add_column("arm")
    for col in (
        "treated",
        "control",
        "Qini coefficient",
        "Qini area",
        "uplift top 30 %",
        "uplift all",
    ):
        table.add_column(col, justify="right")
    for q in report.get("qini", []):
        table.add_row(
            q["arm"],
            str(q["treated"]),
            str(q["control"]),
            f"{q['qini_coefficient']:.3f}",
            f"{q['qini_area']:.4f}",
            f"{q['top30_uplift'] * 100:+.1f} pp",
            f"{q['ate'] * 100:+.1f} pp",
        )
    arms = report.get("arms", {})
    table.caption = (
        f"{report.get('rows', 0)} case-days ({report.get('explored_rows', 0)} randomised), "
        f"pay rate {report.get('pay_rate', 0) * 100:.1f} % within "
        f"{report.get('horizon_days', '?')} days; rows per arm "
        + ", ".join(f"{a} {n}" for a, n in arms.items())
        + f"; budget {policy.budget.contacts if policy.budget.contacts is not None else 'none'}"
        f" contacts a day; exploration {policy.explore_pct} %"
    )
    return table
