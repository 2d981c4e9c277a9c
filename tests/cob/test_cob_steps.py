"""Each named step of a day's close, the kernel's over columns beside the row rules'.

A small book (four methods, some loans paid, some paid off, one restructured and one
charged off) is closed day by day with the row rules; on every day each kernel step
is run on the book as columns and compared with the row step it restates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from dunwell.cob import kernel, rules
from dunwell.cob.batch import INST_OUTPUTS, LOAN_OUTPUTS, LoanBatch, from_rows
from dunwell.cob.model import CobEvent, CobParams, EventKind
from dunwell.core.dates import DayCount, to_day
from dunwell.ledger.model import Account
from dunwell.lending.delinquency import days_past_due, next_status
from dunwell.lending.loans import LoanState, book_loan
from dunwell.lending.model import Bucket, Fees, LoanStatus, Product, RepaymentMethod, bucket_for
from dunwell.lending.payments import pay
from dunwell.lending.schedules import build_schedule

PRODUCT = Product(code="p", name="p", currency="CNY", method=RepaymentMethod.EQUAL_INSTALLMENT,
                  annual_rate=Decimal("0.18"), day_count=DayCount.THIRTY_360,
                  penalty_rate=Decimal("0.36"), cost_cap_annual=Decimal("0.20"),
                  grace_days=2, fees=Fees(late_fee_minor=1_000))
PARAMS = CobParams.of(PRODUCT)
START = dt.date(2025, 3, 31)


def book() -> list[LoanState]:
    loans = []
    for k in range(12):
        sched = build_schedule(principal_minor=50_000 + 1_013 * k, currency="CNY",
                               annual_rate=Decimal("0.18"), periods=1 + k % 4,
                               method=list(RepaymentMethod)[k % 4], start=START)
        loan = book_loan(loan_id=k + 1, borrower_id=k, product=PRODUCT, schedule=sched,
                         disbursed_on=START)
        if k % 3 == 1:  # paid a little, or everything
            amount = 20_000 if k != 4 else loan.unpaid_total_minor
            loan = pay(loan, PRODUCT, amount_minor=amount, currency="CNY",
                       day=to_day(START) + 3).loan
        if k == 5:
            loan = replace(loan, status=LoanStatus.OVERDUE, restructured=True)
        if k == 7:
            loan = replace(loan, status=LoanStatus.CHARGED_OFF)
        if k == 10:  # everything paid ahead, still open until a day closes it
            loan = replace(loan, installments=tuple(
                replace(i, paid_principal_minor=i.principal_minor,
                        paid_interest_minor=i.interest_minor, paid_fee_minor=i.fee_minor)
                for i in loan.installments))
        loans.append(loan)
    return loans


def days() -> list[tuple[int, list[LoanState]]]:
    """The book before each of 80 days, closed by the row rules."""
    loans = book()
    out = []
    for day in range(to_day(START) + 4, to_day(START) + 84):
        out.append((day, loans))
        loans = [rules.cob_loan_day(loan, PARAMS, day)[0] for loan in loans]
    return out


DAYS = days()


def columns(loans: list[LoanState]) -> tuple[LoanBatch, dict[str, Any]]:
    batch = from_rows(loans, {"p": PARAMS})
    out: dict[str, Any] = {name: np.empty_like(getattr(batch, name))
                           for name in (*LOAN_OUTPUTS, *INST_OUTPUTS)}
    out.update({name: np.zeros(len(batch), dtype=np.int64)
                for name in ("interest", "penalty", "fee")})
    return batch, out


def active_of(batch: LoanBatch, day: int) -> Any:
    return np.isin(batch.status, kernel._OPEN) & (batch.last_cob_day < day)


def open_loans(loans: list[LoanState], day: int) -> list[tuple[int, LoanState]]:
    return [(k, ln) for k, ln in enumerate(loans) if ln.status.is_open and ln.last_cob_day < day]


@pytest.mark.parametrize(("day", "loans"), DAYS[::7])
def test_step_1_accrues_what_each_instalment_has_earned_through_the_day(
        day: int, loans: list[LoanState]) -> None:
    batch, out = columns(loans)
    kernel.accrue_interest(batch, day, active_of(batch, day), out["interest_accrued_minor"],
                           out["interest"])
    for k, loan in open_loans(loans, day):
        insts, interest = rules.accrue(loan.installments, day)
        lo = int(batch.offsets[k])
        assert out["interest"][k] == interest
        assert list(out["interest_accrued_minor"][lo:lo + len(insts)]) == [
            i.interest_accrued_minor for i in insts]


@pytest.mark.parametrize(("day", "loans"), DAYS)
def test_step_2_finds_days_past_due_settlement_and_exposure_as_the_rows_do(
        day: int, loans: list[LoanState]) -> None:
    batch, _ = columns(loans)
    owed = kernel.owed_on(batch, day, active_of(batch, day))
    for k, loan in open_loans(loans, day):
        assert owed.days_past_due[k] == days_past_due(loan.installments, day)
        assert owed.settled[k] == all(i.unpaid_total_minor <= 0 for i in loan.installments)
        assert owed.exposure[k] == loan.exposure_minor_days + loan.outstanding_principal_minor


@pytest.mark.parametrize(("day", "loans"), DAYS)
def test_steps_3_and_4_charge_late_loans_within_the_cap_as_the_rows_do(
        day: int, loans: list[LoanState]) -> None:
    batch, out = columns(loans)
    active = active_of(batch, day)
    kernel.accrue_interest(batch, day, active, out["interest_accrued_minor"], out["interest"])
    owed = kernel.owed_on(batch, day, active)
    headroom = kernel.cap_headroom(batch, owed.exposure, out["interest"])
    charges = kernel.charge_late(batch, day, active, owed, out["interest"], out)
    for k, loan in open_loans(loans, day):
        insts, interest = rules.accrue(loan.installments, day)
        exposure = loan.exposure_minor_days + loan.outstanding_principal_minor
        room = max(0, rules.cap_allowance(exposure, PARAMS) - loan.charged_minor - interest)
        assert headroom[k] == room
        insts, fees, penalty = rules.charge_late(insts, day, PARAMS, room)
        assert (out["fee"][k], out["penalty"][k], charges[k]) == (fees, penalty, fees + penalty)
        lo = int(batch.offsets[k])
        for name in ("fee_minor", "penalty_minor", "penalty_basis_minor_days"):
            assert list(out[name][lo:lo + len(insts)]) == [getattr(i, name) for i in insts]


def test_charges_are_granted_oldest_first_until_each_loans_headroom_runs_out() -> None:
    want = np.array([5, 5, 5, 4, 4], dtype=np.int64)  # loan A: three charges; loan B: two
    headroom = np.array([12, 12, 12, 100, 100], dtype=np.int64)
    starts = np.array([0, 3], dtype=np.int64)
    assert kernel.grant_in_order(want, headroom, starts).tolist() == [5, 5, 2, 4, 4]


def test_a_late_instalment_wants_its_fee_before_its_penalty_within_the_headroom() -> None:
    loan = book()[0]
    inst = loan.installments[0]
    day = inst.due_day + PARAMS.grace_days + 1  # the first late day
    insts, fees, penalty = rules.charge_late(loan.installments, day, PARAMS, headroom=10_000)
    assert (fees, penalty) == (1_000, 50)  # the fee, and a day's penalty on 50,000
    insts, fees, penalty = rules.charge_late(loan.installments, day, PARAMS, headroom=1_020)
    assert (fees, penalty) == (1_000, 20)
    assert insts[0].fee_minor == 1_000 and insts[0].penalty_minor == 20
    assert rules.charge_late(loan.installments, day - 1, PARAMS, headroom=1_020)[1:] == (0, 0)


@pytest.mark.parametrize(("day", "loans"), DAYS[:1])
def test_step_5a_recognises_interest_paid_ahead_on_a_loan_nothing_is_owed_on(
        day: int, loans: list[LoanState]) -> None:
    batch, _ = columns(loans)
    accrued = batch.interest_accrued_minor.copy()
    interest = np.zeros(len(batch), dtype=np.int64)
    settled = [k for k, ln in open_loans(loans, day)
               if all(i.unpaid_total_minor <= 0 for i in ln.installments)]
    assert settled, "the book closes a loan paid ahead on the first day"
    kernel.recognise_on_closing(batch, np.asarray(settled, dtype=np.int64), accrued, interest)
    for k in settled:
        insts, true_up = rules.recognise_on_closing(loans[k].installments)
        lo = int(batch.offsets[k])
        assert interest[k] == true_up
        assert list(accrued[lo:lo + len(insts)]) == [i.interest_minor for i in insts]


def test_the_book_has_a_paid_off_loan_to_close_and_late_loans_to_charge() -> None:
    assert any(all(i.unpaid_total_minor <= 0 for i in ln.installments) for ln in DAYS[0][1])
    assert sum(i.penalty_minor for ln in DAYS[-1][1] for i in ln.installments) > 0
    assert sum(i.fee_minor for ln in DAYS[-1][1] for i in ln.installments) > 0


@pytest.mark.parametrize(("day", "loans"), DAYS[::3])
def test_step_5b_writes_status_bucket_and_day_by_the_lending_rules(
        day: int, loans: list[LoanState]) -> None:
    batch, out = columns(loans)
    active = active_of(batch, day)
    owed = kernel.owed_on(batch, day, active)
    kernel.write_standing(batch, day, active, owed, out)
    for k, loan in enumerate(loans):
        if not active[k]:
            assert (out["status"][k], out["last_cob_day"][k]) == (loan.status, loan.last_cob_day)
            continue
        dpd = int(owed.days_past_due[k])
        assert out["status"][k] == next_status(
            loan.status, settled=bool(owed.settled[k]), dpd=dpd, grace_days=PARAMS.grace_days,
            restructured=loan.restructured)
        assert out["bucket"][k] == bucket_for(dpd)
        assert out["last_cob_day"][k] == day


def test_postings_debit_each_receivable_and_credit_its_income() -> None:
    assert rules.postings(7, 30, 0, 5) == [
        (7, Account.INTEREST_RECEIVABLE, 30), (7, Account.INTEREST_INCOME, -30),
        (7, Account.FEE_RECEIVABLE, 5), (7, Account.FEE_INCOME, -5)]
    assert rules.postings(7, 0, 0, 0) == []


def test_changes_name_a_new_status_and_a_new_bucket() -> None:
    before = book()[0]
    after = replace(before, status=LoanStatus.OVERDUE, bucket=Bucket.M1)
    assert rules.changes(before, after, 100) == [
        CobEvent(1, 100, EventKind.STATUS_CHANGED, LoanStatus.DISBURSED, LoanStatus.OVERDUE),
        CobEvent(1, 100, EventKind.BUCKET_CHANGED, Bucket.M0, Bucket.M1)]
    assert rules.changes(before, before, 100) == []
