"""The double-entry ledger as worked examples: entries balance when built, zero lines
are dropped, a reversal mirrors what it reverses and points at it, balances fold by
account, loan and date. Hypothesis checks that balanced entries always net to zero."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.ledger.errors import NegativeLine, UnbalancedEntry
from dunwell.ledger.model import Account, JournalEntry, Line, Side
from dunwell.ledger.rules import balances, entry, natural_balance, reversal

DAY1 = dt.date(2025, 1, 15)
DAY2 = dt.date(2025, 2, 15)


def disbursement(loan_id: int = 7, principal_minor: int = 300000) -> JournalEntry:
    """3000.00 lent on Jan 15: principal receivable against cash."""
    return entry(
        entry_id=f"disb:{loan_id}", business_date=DAY1, kind="disbursement", currency="CNY",
        lines=(Line.debit(Account.PRINCIPAL_RECEIVABLE, principal_minor, loan_id),
               Line.credit(Account.CASH, principal_minor, loan_id)),
    )


def repayment(loan_id: int = 7) -> JournalEntry:
    """1020.07 received on Feb 15: 30.00 interest and 990.07 principal."""
    return entry(
        entry_id=f"pay:{loan_id}", business_date=DAY2, kind="payment", currency="CNY",
        lines=(Line.debit(Account.CASH, 102007, loan_id),
               Line.credit(Account.INTEREST_RECEIVABLE, 3000, loan_id),
               Line.credit(Account.PRINCIPAL_RECEIVABLE, 99007, loan_id)),
    )


def accrual(loan_id: int = 7) -> JournalEntry:
    """30.00 interest accrued by Feb 15."""
    return entry(
        entry_id=f"acr:{loan_id}", business_date=DAY2, kind="accrual", currency="CNY",
        lines=(Line.debit(Account.INTEREST_RECEIVABLE, 3000, loan_id),
               Line.credit(Account.INTEREST_INCOME, 3000, loan_id)),
    )


# -- building -------------------------------------------------------------------------


def test_debits_are_positive_and_credits_negative() -> None:
    assert Line.debit(Account.CASH, 500).amount_minor == 500
    assert Line.credit(Account.CASH, 500).amount_minor == -500
    assert Line.credit(Account.SUSPENSE, 500, 7) == Line(Account.SUSPENSE, -500, 7)


def test_a_balanced_entry_keeps_its_lines_in_order() -> None:
    e = repayment()
    assert [(ln.account, ln.amount_minor) for ln in e.lines] == [
        (Account.CASH, 102007),
        (Account.INTEREST_RECEIVABLE, -3000),
        (Account.PRINCIPAL_RECEIVABLE, -99007),
    ]
    assert e.reverses is None


def test_an_unbalanced_entry_is_rejected_when_built() -> None:
    with pytest.raises(UnbalancedEntry) as exc:
        entry(entry_id="bad", business_date=DAY1, kind="payment", currency="CNY",
              lines=(Line.debit(Account.CASH, 102007),
                     Line.credit(Account.PRINCIPAL_RECEIVABLE, 102006)))
    assert exc.value.code == "entry_must_balance"
    assert "= 1" in exc.value.message


def test_a_one_line_entry_is_rejected() -> None:
    with pytest.raises(UnbalancedEntry) as exc:
        JournalEntry("one", DAY1, "payment", "CNY", (Line.debit(Account.CASH, 0),))
    assert exc.value.code == "entry_must_have_two_lines"


def test_the_builder_drops_zero_lines_so_callers_may_propose_them() -> None:
    e = entry(entry_id="disb:8", business_date=DAY1, kind="disbursement", currency="CNY",
              lines=(Line.debit(Account.PRINCIPAL_RECEIVABLE, 300000, 8),
                     Line.credit(Account.CASH, 300000, 8),
                     Line.debit(Account.FEE_RECEIVABLE, 0, 8),
                     Line.credit(Account.FEE_INCOME, 0, 8)))
    assert [ln.account for ln in e.lines] == [Account.PRINCIPAL_RECEIVABLE, Account.CASH]


def test_an_entry_of_only_zero_lines_has_too_few_lines() -> None:
    with pytest.raises(UnbalancedEntry) as exc:
        entry(entry_id="empty", business_date=DAY1, kind="accrual", currency="CNY",
              lines=(Line.debit(Account.INTEREST_RECEIVABLE, 0),
                     Line.credit(Account.INTEREST_INCOME, 0)))
    assert exc.value.code == "entry_must_have_two_lines"


def test_a_zero_line_built_directly_is_rejected() -> None:
    with pytest.raises(UnbalancedEntry) as exc:
        JournalEntry("z", DAY1, "accrual", "CNY",
                     (Line.debit(Account.INTEREST_RECEIVABLE, 5),
                      Line.credit(Account.INTEREST_INCOME, 5),
                      Line.debit(Account.FEE_RECEIVABLE, 0)))
    assert exc.value.code == "entry_lines_must_be_nonzero"


def test_an_entry_is_immutable() -> None:
    e = repayment()
    with pytest.raises(AttributeError):
        e.lines = ()  # type: ignore[misc]


# -- reversal -------------------------------------------------------------------------


def test_a_reversal_mirrors_every_line_and_points_at_the_original() -> None:
    original = repayment()
    rev = reversal(original, entry_id="rev:pay:7", business_date=dt.date(2025, 2, 20))
    assert rev.reverses == "pay:7"
    assert rev.kind == "reversal:payment"
    assert rev.currency == "CNY"
    assert rev.business_date == dt.date(2025, 2, 20)
    assert rev.memo == "reverses pay:7"
    assert [(ln.account, ln.amount_minor, ln.loan_id) for ln in rev.lines] == [
        (Account.CASH, -102007, 7),
        (Account.INTEREST_RECEIVABLE, 3000, 7),
        (Account.PRINCIPAL_RECEIVABLE, 99007, 7),
    ]


def test_a_reversal_keeps_a_given_memo_and_nets_the_original_to_nothing() -> None:
    original = repayment()
    rev = reversal(original, entry_id="rev", business_date=DAY2, memo="bounced")
    assert rev.memo == "bounced"
    assert balances([original, rev]) == {}


# -- balances -------------------------------------------------------------------------


def test_balances_fold_signed_amounts_by_account() -> None:
    book = [disbursement(), accrual(), repayment()]
    assert balances(book) == {
        Account.PRINCIPAL_RECEIVABLE: 300000 - 99007,
        Account.CASH: -300000 + 102007,
        Account.INTEREST_INCOME: -3000,
        # interest receivable: +3000 accrued, -3000 paid: zero balances are left out
    }


def test_balances_as_of_a_date_ignore_later_entries() -> None:
    book = [disbursement(), accrual(), repayment()]
    assert balances(book, as_of=DAY1) == {
        Account.PRINCIPAL_RECEIVABLE: 300000, Account.CASH: -300000}
    assert balances(book, as_of=DAY2 - dt.timedelta(days=1)) == balances(book, as_of=DAY1)
    assert balances(book, as_of=DAY2) == balances(book)


def test_balances_for_a_loan_ignore_other_loans() -> None:
    book = [disbursement(7), disbursement(8, 50000), repayment(7)]
    assert balances(book, loan_id=8) == {
        Account.PRINCIPAL_RECEIVABLE: 50000, Account.CASH: -50000}
    assert balances(book, loan_id=7)[Account.PRINCIPAL_RECEIVABLE] == 300000 - 99007
    assert balances(book, loan_id=9) == {}


def test_income_and_suspense_show_positive_on_their_credit_side() -> None:
    assert Account.INTEREST_INCOME.normal_side is Side.CREDIT
    assert Account.SUSPENSE.normal_side is Side.CREDIT
    assert Account.CASH.normal_side is Side.DEBIT
    assert Account.WRITE_OFF.normal_side is Side.DEBIT
    assert natural_balance(Account.INTEREST_INCOME, -3000) == 3000
    assert natural_balance(Account.PRINCIPAL_RECEIVABLE, 200993) == 200993
    assert Account.PENALTY_RECEIVABLE.label == "penalty_receivable"


# -- invariants -----------------------------------------------------------------------

amounts = st.integers(min_value=-(10**9), max_value=10**9)


@st.composite
def balanced_entries(draw: st.DrawFn) -> list[JournalEntry]:
    """Entries of 2-6 lines each on random accounts and loans; the last line of each
    entry balances it (and may be zero, which the builder drops)."""
    out: list[JournalEntry] = []
    for k in range(draw(st.integers(min_value=0, max_value=12))):
        lines = [
            Line(draw(st.sampled_from(Account)), draw(amounts.filter(bool)),
                 draw(st.sampled_from([None, 1, 2, 3])))
            for _ in range(draw(st.integers(min_value=2, max_value=5)))
        ]
        lines.append(Line(draw(st.sampled_from(Account)),
                          -sum(ln.amount_minor for ln in lines), None))
        if sum(1 for ln in lines if ln.amount_minor) < 2:
            continue
        out.append(entry(entry_id=f"e{k}", kind="test", currency="CNY", lines=lines,
                         business_date=DAY1 + dt.timedelta(days=draw(
                             st.integers(min_value=0, max_value=60)))))
    return out


@settings(max_examples=150)
@given(balanced_entries(), st.dates(min_value=DAY1, max_value=DAY1 + dt.timedelta(days=60)))
def test_balanced_entries_always_sum_to_zero_across_accounts(book: list[JournalEntry],
                                                             as_of: dt.date) -> None:
    assert sum(balances(book).values()) == 0
    assert sum(balances(book, as_of=as_of).values()) == 0


@settings(max_examples=100)
@given(balanced_entries())
def test_reversing_every_entry_leaves_every_balance_at_zero(book: list[JournalEntry]) -> None:
    revs = [reversal(e, entry_id=f"rev:{e.entry_id}", business_date=e.business_date)
            for e in book]
    assert balances(book + revs) == {}
    assert all(r.reverses == e.entry_id for r, e in zip(revs, book, strict=True))
    for loan_id in (1, 2, 3):
        assert balances(book + revs, loan_id=loan_id) == {}


@pytest.mark.parametrize("side", [Line.debit, Line.credit])
def test_a_negative_debit_or_credit_is_refused_not_turned_into_the_other_side(
        side: Callable[[Account, int], Line]) -> None:
    with pytest.raises(NegativeLine) as caught:
        side(Account.CASH, -5)
    assert caught.value.code == "line_amount_must_not_be_negative"
    assert "-5" in caught.value.message and "instead" in caught.value.message


def test_a_zero_line_may_be_proposed_and_is_dropped_by_entry() -> None:
    assert Line.credit(Account.CASH, 0).amount_minor == 0
    assert Line.debit(Account.CASH, 7).amount_minor == 7
    assert Line.credit(Account.CASH, 7).amount_minor == -7
