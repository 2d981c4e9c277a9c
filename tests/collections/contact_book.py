"""A small book for the operator commands: three borrowers with contact profiles
(an ordinary one and a vulnerable one in Shanghai, one in Chicago) and an open case
for the first."""

from __future__ import annotations

import datetime as dt

from dunwell.app.lending.book import open_book
from dunwell.bootstrap import Dunwell
from dunwell.collections.model import CaseLoan, CaseStatus, CaseView
from dunwell.compliance.model import Flag, Jurisdiction
from dunwell.store.collections_repo import BorrowerRepository, CaseRepository

TODAY = dt.date(2025, 5, 1)
NOW = dt.datetime(2025, 5, 1, 2, 0, tzinfo=dt.UTC)
CASE = "case-26-20250420"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(hour: int, minute: int = 0, day: dt.date = TODAY) -> dt.datetime:
    """A moment on the Shanghai clock."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def contact_book(app: Dunwell) -> None:
    with app.uow() as uow:
        open_book(uow, business_date=TODAY, partitions=2, currency="CNY")
        people = BorrowerRepository(uow.conn)
        people.put(borrower_id=26, name="b26", jurisdiction=Jurisdiction.CN_NIFA,
                   timezone="Asia/Shanghai", language="zh-CN")
        people.put(borrower_id=27, name="b27", jurisdiction=Jurisdiction.CN_NIFA,
                   timezone="Asia/Shanghai", language="zh-CN", flags=[Flag.VULNERABLE])
        people.put(borrower_id=28, name="b28", jurisdiction=Jurisdiction.US_REGF,
                   timezone="America/Chicago", language="en-US")
        CaseRepository(uow.conn).save(CaseView(
            case_id=CASE, borrower_id="26", status=CaseStatus.OPEN,
            loans=(CaseLoan("L1", 11, 50_000, 300_000),), opened_on=dt.date(2025, 4, 20),
            strategy_name="humane", strategy_version=1, variant="champion"), TODAY)
        uow.commit()
