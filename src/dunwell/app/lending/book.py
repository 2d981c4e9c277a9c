"""Opening the book, registering products and disbursing loans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dunwell.app.uow import UnitOfWork
from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, InvalidInput
from dunwell.core.money import exponent_of
from dunwell.ledger.model import Account, JournalEntry, Line
from dunwell.ledger.rules import entry
from dunwell.lending.cost import origination_fee, rate_ppm
from dunwell.lending.loans import LoanState, book_loan
from dunwell.lending.model import Product
from dunwell.lending.products import load_product
from dunwell.lending.schedules import product_schedule


def open_book(uow: UnitOfWork, *, business_date: dt.date, partitions: int,
              currency: str) -> None:
    exponent_of(currency)
    if uow.book.get() is not None:
        raise Conflict("the book is already open", code="book_must_open_once")
    if partitions < 1:
        raise InvalidInput("partitions must be at least 1", code="partitions_must_be_positive")
    uow.book.open(business_date, partitions, currency)


def register_product(uow: UnitOfWork, spec_toml: str) -> Product:
    product = load_product(spec_toml)
    info = uow.book.require()
    if product.currency != info.currency:
        raise InvalidInput(
            f"product {product.code} lends {product.currency} but the book keeps "
            f"{info.currency}; run one book per currency", code="product_currency_must_match")
    uow.products.put(product, spec_toml)
    return product


@dataclass(frozen=True, slots=True)
class LoanRequest:
    borrower_id: int
    product_code: str
    principal_minor: int
    periods: int


def disburse(uow: UnitOfWork, requests: Sequence[LoanRequest]) -> list[LoanState]:
    """Book and disburse loans on the open business date, posting each to the ledger.

    The origination fee is the product's, reduced to what the all-in cost cap leaves
    after the schedule's interest (``lending.cost.origination_fee``); a schedule whose
    interest alone would exceed the cap is refused (``loan_cost_must_fit_cap``).
    """
    info = uow.book.require()
    uow.book.lock()  # concurrent disbursements must not pick the same loan ids
    products = uow.products.all()
    next_id = uow.loans.next_id()
    loans: list[LoanState] = []
    entries: list[JournalEntry] = []
    for k, req in enumerate(requests):
        product = products.get(req.product_code)
        if product is None:
            raise InvalidInput(f"unknown product {req.product_code!r}",
                               code="product_must_exist")
        if not product.term_months_min <= req.periods <= product.term_months_max:
            raise InvalidInput(
                f"{product.code} lends for {product.term_months_min}-{product.term_months_max}"
                f" months, not {req.periods}", code="term_must_suit_product")
        schedule = product_schedule(product, principal_minor=req.principal_minor,
                                    periods=req.periods, start=info.business_date)
        fee = origination_fee(schedule, start_day=to_day(info.business_date),
                              product_fee_minor=product.fees.origination_minor,
                              cap_ppm=rate_ppm(product.cost_cap_annual),
                              product_code=product.code)
        charged = replace(product, fees=replace(product.fees, origination_minor=fee.fee_minor))
        loan = book_loan(loan_id=next_id + k, borrower_id=req.borrower_id, product=charged,
                         schedule=schedule, disbursed_on=info.business_date)
        loans.append(loan)
        entries.append(disbursement_entry(loan, product, info.business_date))
    uow.loans.add_many(loans, info.partitions)
    uow.ledger.post_many(entries)
    return loans


def disbursement_entry(loan: LoanState, product: Product, day: dt.date) -> JournalEntry:
    """Principal out; the origination fee charged on instalment 1 (what the cap left of
    the product's fee)."""
    fee = sum(i.fee_minor for i in loan.installments)
    return entry(
        entry_id=f"disb:{loan.loan_id}", business_date=day, kind="disbursement",
        currency=loan.currency, memo=f"disburse loan {loan.loan_id}",
        lines=(
            Line.debit(Account.PRINCIPAL_RECEIVABLE, loan.principal_minor, loan.loan_id),
            Line.credit(Account.CASH, loan.principal_minor, loan.loan_id),
            Line.debit(Account.FEE_RECEIVABLE, fee, loan.loan_id),
            Line.credit(Account.FEE_INCOME, fee, loan.loan_id),
        ))
