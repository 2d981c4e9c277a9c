"""The portal tests' book: two borrowers whose first instalment goes unpaid, run day
by day through COB and the collection run to 20 days past due, each with an open
collection case; borrower 1 is reachable by text at :data:`PHONE`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from dunwell.app.channels.outbox import set_channel_address
from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.context import Dunwell
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.compliance.model import Jurisdiction
from dunwell.lending.products import builtin_product_texts

START = dt.date(2025, 1, 15)
DUE = dt.date(2025, 2, 15)
TODAY = DUE + dt.timedelta(days=20)
NOW = dt.datetime(2025, 3, 7, 2, 0, tzinfo=dt.UTC)
PHONE = "+8613800000001"
#: borrower id -> (name, jurisdiction, time zone, language)
PEOPLE = {1: ("张伟", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN"),
          2: ("Olivia Brown", Jurisdiction.UK_FCA, "Europe/London", "en-GB")}


def portal_view(app: Dunwell, outbox: Path) -> Dunwell:
    """``app`` with its outbox under ``outbox`` and cookies sent over plain HTTP."""
    return dataclasses.replace(app, settings=app.settings.model_copy(
        update={"outbox_dir": outbox, "cookie_secure": False}))


def build_portal_book(app: Dunwell) -> None:
    """Writes the book at :data:`TODAY` (a builder for the ``prebuilt`` fixture: it
    writes to the database alone)."""
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000 + 1_234 * b, 12)
                       for b in PEOPLE])
        for b, (name, jurisdiction, tz, language) in PEOPLE.items():
            uow.borrowers.put(borrower_id=b, name=name, jurisdiction=jurisdiction,
                              timezone=tz, language=language)
        uow.actions.put_collector("c-01", "Wang", 30, "09:00", "18:00")
        uow.commit()
    set_channel_address(app, borrower_id=1, channel="sms", address=PHONE)
    day = DUE - dt.timedelta(days=2)
    while day <= TODAY:
        close_until(app, day - dt.timedelta(days=1))
        collect_day(app, day, now=NOW)
        day += dt.timedelta(days=1)
