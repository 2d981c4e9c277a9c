"""Helpers for the letter tests: a small book of four borrowers in three jurisdictions
whose first instalment goes unpaid, run day by day through COB and the collection run,
and the text of a PDF as a reader extracts it."""

from __future__ import annotations

import datetime as dt
import io

import pypdf

from dunwell.app.cob import close_until
from dunwell.app.collections.collect import collect_day
from dunwell.app.lending.book import LoanRequest, disburse, open_book, register_product
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.lending.products import builtin_product_texts
from dunwell.store.collections_repo import ActionRepository, BorrowerRepository

START = dt.date(2025, 1, 15)
DUE = dt.date(2025, 2, 15)
LETTER_DAY = DUE + dt.timedelta(days=15)
NOW = dt.datetime(2025, 3, 2, 1, 0, tzinfo=dt.UTC)

#: borrower id -> (name, jurisdiction, time zone, language, flags)
PEOPLE = {
    1: ("张伟", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN", []),
    2: ("Olivia Brown", Jurisdiction.UK_FCA, "Europe/London", "en-GB", []),
    3: ("James Miller", Jurisdiction.US_REGF, "America/New_York", "en-US", []),
    4: ("李娜", Jurisdiction.CN_NIFA, "Asia/Shanghai", "zh-CN", [Flag.CEASE_CONTACT]),
}


def open_small_book(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=START, partitions=2, currency="CNY")
        for text in builtin_product_texts():
            register_product(uow, text)
        disburse(uow, [LoanRequest(b, "merchant_annuity_12m", 600_000 + 1_234 * b, 12)
                       for b in PEOPLE])
        people = BorrowerRepository(uow.conn)
        for b, (name, jurisdiction, tz, language, flags) in PEOPLE.items():
            people.put(borrower_id=b, name=name, jurisdiction=jurisdiction, timezone=tz,
                       language=language, flags=flags)
        ActionRepository(uow.conn).put_collector("c-01", "Wang", 30, "09:00", "18:00")
        uow.commit()


def run_collections(app: Dunwell, first: dt.date, last: dt.date) -> None:
    day = first
    while day <= last:
        close_until(app, day - dt.timedelta(days=1))
        collect_day(app, day, now=NOW)
        day += dt.timedelta(days=1)


def pdf_text(pdf: bytes) -> str:
    """The words of every page, with line breaks and runs of spaces made one space
    (a phrase may wrap across lines)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def cjk_text(pdf: bytes) -> str:
    """The text without any whitespace: Chinese wraps between any two characters."""
    return "".join(pdf_text(pdf).split())
