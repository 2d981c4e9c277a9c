"""The demo's merchants: each one's year of transaction records is written to a CSV
file and brought in as any lender's merchant would be — ``merchants import`` — then
the merchant applies (decided on those records and reviewed against
over-indebtedness), is shown the cost of a drawdown, and accepts it. The day loop
then reviews their lines with the records, scores and repayments that follow.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from dunwell.app.context import Dunwell
from dunwell.app.origination.drawdowns import Method, draw_accepted, quote
from dunwell.app.origination.records import import_merchant_file
from dunwell.app.origination.service import origination_for, submit_application
from dunwell.core.errors import DomainError
from dunwell.core.money import format_minor
from dunwell.origination.model import Applicant, ApplicantKind, Application, Outcome, Purpose

#: (reference, name, language, typical monthly sales in major units, seasonal swing %,
#: monthly expenses as a % of sales)
SAMPLE_MERCHANTS = (
    ("m-noodles", "兰州拉面馆", "zh-CN", 60_000, 10, 80),
    ("m-teas", "Tea Corner", "en", 35_000, 25, 70),
    ("m-bikes", "快修单车行", "zh-CN", 22_000, 40, 60),
    ("m-prints", "Print & Copy", "en", 15_000, 5, 98),
)
RECORDS_PER_MONTH = 8
HISTORY_MONTHS = 12


@dataclass(frozen=True)
class MerchantJourney:
    reference: str
    records_file: Path
    stored: int
    outcome: str
    line_id: int | None
    drawn: str | None


def _months_before(start: dt.date, count: int) -> list[dt.date]:
    first = start.replace(day=1)
    months = []
    for k in range(count, 0, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - k, 12)
        months.append(dt.date(y, m + 1, 1))
    return months


def write_records(path: Path, reference: str, monthly: int, swing_pct: int, *,
                  start: dt.date, rng: random.Random) -> None:
    """A year of sales (and the odd refund) before ``start``, as a records CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["transaction_id", "date", "amount", "currency", "kind"])
        for k, month in enumerate(_months_before(start, HISTORY_MONTHS)):
            season = 100 + (swing_pct if k % 12 in (0, 1, 9, 10, 11) else -swing_pct // 2)
            for n in range(RECORDS_PER_MONTH):
                day = month + dt.timedelta(days=3 * n + rng.randint(0, 2))
                cents = monthly * season * rng.randint(90, 110) // RECORDS_PER_MONTH
                out.writerow([f"{reference}-{month:%Y%m}-{n:02d}", day.isoformat(),
                              f"{cents // 100}.{cents % 100:02d}", "CNY", "sale"])
            if rng.random() < 0.3:
                out.writerow([f"{reference}-{month:%Y%m}-r", (month + dt.timedelta(days=20))
                              .isoformat(), f"{monthly // 50}.00", "CNY", "refund"])


def merchant_journey(app: Dunwell, reference: str, name: str, language: str, monthly: int,
                     swing_pct: int, expenses_pct: int, *, start: dt.date, records_dir: Path,
                     rng: random.Random) -> MerchantJourney:
    """Import one merchant's records, decide its application and, when a line opens,
    draw 40 % of it on the terms shown."""
    path = records_dir / f"{reference}.csv"
    write_records(path, reference, monthly, swing_pct, start=start, rng=rng)
    origination = origination_for(app.settings)
    with app.uow() as uow:
        imported = import_merchant_file(uow, merchant=reference, path=path, name=name,
                                        language=language)
        uow.commit()
    application = Application(
        Applicant(ApplicantKind.MERCHANT, reference, name, language), "CNY",
        monthly * 100, 12, Purpose.WORKING_CAPITAL, 0, monthly * expenses_pct, 0)
    with app.uow() as uow:
        decided = submit_application(uow, application=application,
                                     idempotency_key=f"demo-{reference}",
                                     model=origination.model, policy=origination.policy,
                                     bureau=app.providers.bureau)
        uow.commit()
    line = decided.line
    if line is None:
        return MerchantJourney(reference, path, imported.stored,
                               decided.application.decision.outcome.value, None, None)
    amount = format_minor(line.limit_minor * 40 // 100 // 100 * 100, line.currency)
    drawn: str | None = amount
    try:
        with app.uow() as uow:
            shown = quote(uow, line_id=line.line_id, amount=amount, term_months=12,
                          method=Method.INSTALMENTS, policy=origination.policy)
            draw_accepted(uow, line_id=line.line_id, amount=amount, term_months=12,
                          method=Method.INSTALMENTS, accepted=shown.fingerprint,
                          idempotency_key=f"demo-draw-{reference}",
                          policy=origination.policy)
            uow.commit()
    except DomainError:  # not affordable or not available: the line stays undrawn
        drawn = None
    return MerchantJourney(reference, path, imported.stored, Outcome.APPROVE.value,
                           line.line_id, drawn)


def seed_merchants(app: Dunwell, *, start: dt.date, seed: int,
                   records_dir: Path) -> list[MerchantJourney]:
    """Every sample merchant's journey, from its records file to its first drawdown."""
    rng = random.Random(seed)
    return [merchant_journey(app, ref, name, lang, monthly, swing, expenses, start=start,
                             records_dir=records_dir, rng=rng)
            for ref, name, lang, monthly, swing, expenses in SAMPLE_MERCHANTS]
