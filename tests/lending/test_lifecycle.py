"""The loan state machine, read as a table: every status x event pair, allowed or not."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest

from dunwell.cob.batch import from_rows, to_rows
from dunwell.cob.kernel import cob_day
from dunwell.cob.model import CobParams
from dunwell.cob.rules import cob_loan_day
from dunwell.core.dates import DayCount, to_day
from dunwell.core.errors import Conflict
from dunwell.lending import lifecycle
from dunwell.lending.lifecycle import STANDING_STATUS, LoanEvent, after, standing_event, transition
from dunwell.lending.loans import LoanState, book_loan
from dunwell.lending.model import Bucket, LoanStatus, Product, RepaymentMethod, bucket_for
from dunwell.lending.schedules import build_schedule

A, D, C, OD, P, X, R = (LoanStatus.APPROVED, LoanStatus.DISBURSED, LoanStatus.CURRENT,
                       LoanStatus.OVERDUE, LoanStatus.PAID_OFF, LoanStatus.CHARGED_OFF,
                       LoanStatus.RESTRUCTURED)
E = LoanEvent

# status:           APPROVED DISBURSED CURRENT OVERDUE PAID_OFF CHARGED_OFF RESTRUCTURED
TABLE = {
    E.ON_SCHEDULE: (None, C, C, C, None, None, C),
    E.ON_PLAN: (None, R, R, R, None, None, R),
    E.PAST_GRACE: (None, OD, OD, OD, None, None, OD),
    E.SETTLED: (None, P, P, P, None, None, P),
    E.DISBURSE: (D, None, None, None, None, None, None),
    E.RESTRUCTURE: (None, R, R, R, None, None, R),
    E.CHARGE_OFF: (None, X, X, X, None, None, X),
    E.REOPEN: (None, None, None, None, C, None, None),
    E.CANCEL: (None, P, P, P, None, None, P),
}


def test_the_table_names_every_event() -> None:
    assert set(TABLE) == set(LoanEvent)


@pytest.mark.parametrize("event", list(LoanEvent))
@pytest.mark.parametrize("status", list(LoanStatus))
def test_every_status_and_event_moves_as_the_table_says(status: LoanStatus,
                                                        event: LoanEvent) -> None:
    want = TABLE[event][int(status)]
    if want is None:
        with pytest.raises(Conflict) as caught:
            transition(status, event)
        assert caught.value.code == "loan_transition_must_be_allowed"
        assert (status, event) not in lifecycle.TRANSITIONS
    else:
        assert transition(status, event) is want


def test_a_closed_loan_takes_no_standing_event() -> None:
    for status in (P, X):
        for event in (E.ON_SCHEDULE, E.PAST_GRACE, E.SETTLED):
            with pytest.raises(Conflict):
                transition(status, event)


@pytest.mark.parametrize(("status", "settled", "late", "restructured", "event"), [
    (C, True, True, True, E.SETTLED),
    (C, False, True, True, E.PAST_GRACE),
    (OD, False, False, True, E.ON_PLAN),
    (R, False, False, False, E.ON_PLAN),  # restructured before the flag was kept
    (OD, False, False, False, E.ON_SCHEDULE),
    (D, False, False, False, E.ON_SCHEDULE),
])
def test_a_standing_is_settled_then_late_then_on_plan_then_on_schedule(
        status: LoanStatus, settled: bool, late: bool, restructured: bool,
        event: LoanEvent) -> None:
    assert standing_event(status, settled=settled, late=late,
                          restructured=restructured) is event


def test_the_tabulated_standing_rule_is_the_rule() -> None:
    for status in LoanStatus:
        for s in (0, 1):
            for lt in (0, 1):
                for r in (0, 1):
                    got = STANDING_STATUS[int(status)][s][lt][r]
                    if not status.is_open:
                        assert got == int(status)
                        continue
                    assert got == lifecycle.standing_status(
                        status, settled=bool(s), late=bool(lt), restructured=bool(r))


def test_a_restructure_is_remembered_and_a_reopened_loan_is_current() -> None:
    loan = _loan()
    restructured = after(loan, E.RESTRUCTURE)
    assert (restructured.status, restructured.restructured) == (R, True)
    overdue = after(restructured, E.PAST_GRACE)
    assert (overdue.status, overdue.restructured) == (OD, True)
    paid = after(overdue, E.SETTLED)
    assert after(paid, E.REOPEN).status is C


@pytest.mark.parametrize(("dpd", "bucket"), [
    (-3, Bucket.M0), (0, Bucket.M0), (1, Bucket.M1), (30, Bucket.M1), (31, Bucket.M2),
    (60, Bucket.M2), (61, Bucket.M3), (150, Bucket.M5), (151, Bucket.M6), (180, Bucket.M6),
    (181, Bucket.M7), (10_000, Bucket.M7),
])
def test_buckets_are_thirty_days_wide_up_to_m7_plus(dpd: int, bucket: Bucket) -> None:
    assert bucket_for(dpd) is bucket


PRODUCT = Product(code="p", name="p", currency="CNY", method=RepaymentMethod.EQUAL_INSTALLMENT,
                  annual_rate=Decimal("0.18"), day_count=DayCount.THIRTY_360,
                  penalty_rate=Decimal("0.27"), cost_cap_annual=Decimal("0.24"), grace_days=3)
START = dt.date(2025, 1, 31)


def _loan() -> LoanState:
    schedule = build_schedule(principal_minor=1_200_000, currency="CNY",
                              annual_rate=Decimal("0.18"), periods=6,
                              method=RepaymentMethod.EQUAL_INSTALLMENT, start=START)
    return book_loan(loan_id=1, borrower_id=1, product=PRODUCT, schedule=schedule,
                     disbursed_on=START)


def test_a_restructured_loan_cured_of_arrears_returns_to_restructured_not_current() -> None:
    """RESTRUCTURED -> OVERDUE -> (arrears paid) RESTRUCTURED, by the rules and the kernel."""
    loan = replace(after(_loan(), E.RESTRUCTURE), status=OD, days_past_due=10,
                   bucket=Bucket.M1)
    insts = tuple(replace(i, paid_principal_minor=i.principal_minor,
                          paid_interest_minor=i.interest_minor) if i.n == 1 else i
                  for i in loan.installments)
    cured = replace(loan, installments=insts)
    day = to_day(START) + 40  # instalment 1 paid, instalment 2 not due yet
    params = CobParams.of(PRODUCT)
    by_rules = cob_loan_day(cured, params, day)[0]
    assert by_rules.status is R
    batch = from_rows([cured], {"p": params})
    assert int(batch.restructured[0]) == 1
    by_kernel = to_rows(cob_day(batch, day).batch, [cured])[0]
    assert by_kernel == by_rules
    plain = cob_loan_day(replace(cured, restructured=False), params, day)[0]
    assert plain.status is C


def test_a_batch_without_the_restructured_column_reads_as_never_restructured() -> None:
    from dunwell.cob.batch import from_columns

    cols = dict(from_rows([_loan()], {"p": CobParams.of(PRODUCT)}).columns())
    del cols["restructured"]
    assert np.array_equal(from_columns(cols).restructured, np.zeros(1, dtype=np.int8))


def test_a_payment_that_clears_a_restructured_loans_arrears_returns_it_to_restructured() -> None:
    from dunwell.lending.payments import pay

    loan = replace(after(_loan(), E.RESTRUCTURE), status=OD, days_past_due=10,
                   bucket=Bucket.M1)
    day = to_day(START) + 40  # instalment 1 ten days late, instalment 2 not due yet
    first = loan.installments[0]
    paid = pay(loan, PRODUCT, amount_minor=first.unpaid_total_minor, currency="CNY", day=day)
    assert (paid.loan.status, paid.loan.restructured, paid.loan.days_past_due) == (R, True, 0)
    plain = pay(replace(loan, restructured=False), PRODUCT, amount_minor=first.unpaid_total_minor,
                currency="CNY", day=day)
    assert plain.loan.status is C
