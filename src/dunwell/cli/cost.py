"""``dunwell cost-cap``: the highest all-in annual cost per product against its cap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from dunwell.cli.common import DbOption, app_for, clear_errors, console
from dunwell.core.money import format_minor

if TYPE_CHECKING:
    from dunwell.app.context import Dunwell
    from dunwell.app.lending.cost_report import ProductCostRow


def percent(ppm: int | None, *, up: bool = True) -> str:
    """Parts per million as a percentage to two decimals, rounded up (a cost) or down
    (a headroom), so a figure shown is never kinder than the truth; ``-`` if none."""
    if ppm is None:
        return "-"
    if ppm < 0:
        return f"-{percent(-ppm, up=not up)}"
    hundredths = -(-ppm // 100) if up else ppm // 100
    return f"{hundredths // 100}.{hundredths % 100:02d} %"


def cost_cap_table(app: Dunwell) -> Table:
    from dunwell.app.lending.cost_report import cost_report
    with app.uow() as uow:
        info = uow.book.require()
        rows = cost_report(uow)
    table = Table(title=f"all-in annual cost against the cap at {info.business_date}")
    table.add_column("product")
    for col in ("loans", "cap", "highest all-in", "headroom", "loan", "principal", "charges",
                "of which fees", "above cap"):
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(*cells(row, info.currency),
                      style="bold red" if row.above_cap else None)
    worst = max((r for r in rows if r.highest and r.highest.cost_ppm is not None),
                key=lambda r: (r.highest.cost_ppm or 0) - r.cap_ppm if r.highest else 0,
                default=None)
    over = sum(r.above_cap for r in rows)
    table.caption = (f"{over} loans above their cap" if over else "every loan within its cap")
    if worst is not None and worst.highest is not None:
        table.caption += (f"; closest to its cap: loan {worst.highest.loan_id} "
                          f"({worst.product_code}) at {percent(worst.highest.cost_ppm)} "
                          f"against {percent(worst.cap_ppm)}")
    table.caption += ("; closed loans realised, open loans over their scheduled life "
                      "(charges x 365 / principal-days)")
    return table


def cells(row: ProductCostRow, currency: str) -> list[str]:
    top = row.highest
    if top is None:
        return [row.product_code, str(row.loans), percent(row.cap_ppm), "-", "-", "-", "-",
                "-", "-", str(row.above_cap)]
    return [row.product_code, str(row.loans), percent(row.cap_ppm), percent(top.cost_ppm),
            percent(row.headroom_ppm, up=False),
            f"{top.loan_id} ({top.status.name.lower()})",
            format_minor(top.principal_minor, currency),
            format_minor(top.charges_minor, currency), format_minor(top.fees_minor, currency),
            str(row.above_cap)]


def cost_cap(db: DbOption = None) -> None:
    """The highest all-in annual cost (interest, fees and penalty over the principal
    actually out) per product, against the product's cost cap."""
    with clear_errors():
        console.print(cost_cap_table(app_for(db)))
