"""Records read in one pass (``read_records``: each record a row, summed into its
month, the latest day kept) are the records read one by one: the same transactions,
the same monthly sums as ``summarise``, the same date check, the same fingerprint
rows; and a body with a record that is not a usual one is left to be read record by
record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.core.errors import InvalidInput
from dunwell.core.limits import AMOUNT_MINOR_MAX, DATE_MAX, DATE_MIN
from dunwell.origination.features import check_transaction_dates, read_records, summarise
from dunwell.origination.model import (
    Applicant,
    ApplicantKind,
    Application,
    Purpose,
    Records,
    Transaction,
    TransactionKind,
)


def one_by_one(items: list[dict[str, Any]], exponent: int) -> tuple[Transaction, ...] | None:
    """The records as the direct reader made them record by record, None where it
    refused one; and a zero amount, which the decision refuses record by record."""
    out = []
    for t in items:
        try:
            day = dt.date.fromisoformat(t["date"])
        except ValueError:
            return None
        if not DATE_MIN <= day <= DATE_MAX:
            return None
        whole, _, frac = t["amount"].partition(".")
        if len(frac) > exponent:
            return None
        minor = int(whole + frac.ljust(exponent, "0"))
        if not 0 < minor <= AMOUNT_MINOR_MAX:
            return None
        out.append(Transaction(day, minor, t["kind"]))
    return tuple(out)


dates = (st.dates(dt.date(1990, 1, 1), dt.date(2210, 12, 31)).map(dt.date.isoformat)
         | st.sampled_from(("2024-02-30", "2024-13-01", "0000-01-01", "2023-02-29")))
amounts = st.builds(lambda whole, frac: whole + (f".{frac}" if frac is not None else ""),
                    st.sampled_from(("0", "00", "1", "12", "99999999999", "9999999999999",
                                     "123456", "7")),
                    st.none() | st.sampled_from(("", "0", "00", "5", "50", "05", "001", "10")))
items = st.lists(st.fixed_dictionaries({
    "date": dates, "amount": amounts, "kind": st.sampled_from(list(TransactionKind))}),
    max_size=40)


@settings(deadline=None, max_examples=400)
@given(records=items, exponent=st.sampled_from((0, 2, 3)))
def test_records_read_in_one_pass_are_the_records_read_one_by_one(
        records: list[dict[str, Any]], exponent: int) -> None:
    read = read_records(records, exponent)
    expected = one_by_one(records, exponent)
    if expected is None:
        assert read is None
        return
    assert read is not None
    assert read == expected and expected == read and tuple(read) == expected
    assert len(read) == len(expected) and hash(read) == hash(expected)
    assert read.summaries == summarise(expected)
    assert summarise(read) == summarise(expected)
    assert read.latest == (max(t.on for t in expected) if expected else None)
    assert read.rows == [(t.on.toordinal(), t.amount_minor, t.kind) for t in expected]
    for k in range(-len(expected), len(expected)):
        assert read[k] == expected[k]
    assert read[1:3] == expected[1:3] and read[::-1] == expected[::-1]
    assert all(t in read for t in expected)


@settings(deadline=None, max_examples=200)
@given(records=items, business_date=st.dates(dt.date(2000, 1, 1), dt.date(2200, 1, 1)))
def test_the_date_check_names_the_same_record(records: list[dict[str, Any]],
                                              business_date: dt.date) -> None:
    read = read_records(records, 2)
    if read is None:
        return
    expected = tuple(read)

    def outcome(transactions: Any) -> tuple[str, str, dict[str, Any]] | None:
        try:
            check_transaction_dates(transactions, business_date=business_date)
        except InvalidInput as exc:
            return exc.code, exc.message, dict(exc.details)
        return None

    assert outcome(read) == outcome(expected)


def test_an_application_holding_records_as_read_equals_one_holding_the_tuple() -> None:
    read = read_records([{"date": "2024-11-02", "amount": "120.50", "kind": TransactionKind.SALE},
                         {"date": "2024-11-20", "amount": "3", "kind": TransactionKind.REFUND},
                         {"date": "2024-12-01", "amount": "99.9", "kind": TransactionKind.SALE}],
                        2)
    assert isinstance(read, Records)
    assert [(s.month, s.sales_minor, s.refunds_minor, s.sales_count, s.refunds_count)
            for s in read.summaries] == [(dt.date(2024, 11, 1), 12050, 300, 1, 1),
                                         (dt.date(2024, 12, 1), 9990, 0, 1, 0)]

    def application(transactions: Any) -> Application:
        return Application(Applicant(ApplicantKind.MERCHANT, "m-1", "Noodle House"), "CNY",
                           5_000_000, 12, Purpose.WORKING_CAPITAL, 0, 3_000_000, 0,
                           transactions=transactions)

    assert application(read) == application(tuple(read))
    assert application(tuple(read)) == application(read)
    assert hash(application(read)) == hash(application(tuple(read)))
    assert application(read) != application(tuple(read)[:2])
    assert repr(read).startswith("Records((Transaction(on=datetime.date(2024, 11, 2)")
    with pytest.raises(IndexError):
        read[3]
