"""Payment commands: receive (regular, early full repayment, partial prepayment) and
reverse. Every command carries an idempotency key: a replay returns the first
result; the same key with different data is rejected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial

from dunwell.app import logs
from dunwell.app.channels.notices import notify_payment, notify_payments
from dunwell.app.commands import run_command
from dunwell.app.context import Dunwell, Providers
from dunwell.app.day.clock import BookClock, DayStep
from dunwell.app.uow import UnitOfWork
from dunwell.core.dates import to_day
from dunwell.core.errors import Conflict, NotFound
from dunwell.core.ids import check_idempotency_key, fingerprint
from dunwell.core.money import format_minor, to_minor
from dunwell.ledger.model import Account, JournalEntry, Line
from dunwell.ledger.rules import entry, reversal
from dunwell.lending import payments as pay_rules
from dunwell.lending.errors import BOOK_NOT_OPEN, PaymentRejected, ReversalRejected
from dunwell.lending.loans import LoanState
from dunwell.lending.model import Product
from dunwell.lending.payments import PaymentKind, PaymentOutcome
from dunwell.lending.prepayment import PrepaymentMode, payoff, payoff_quote, prepay
from dunwell.settings import Settings
from dunwell.store.repositories import BookInfo
from dunwell.store.repositories import PaymentRecord as PaymentRecord  # in each Receipt

log = logs.get(__name__)


class ReceiptStatus(StrEnum):
    POSTED = "posted"
    REPLAYED = "replayed"  # the same key and data were seen before: nothing new posted


@dataclass(frozen=True, slots=True)
class Receipt:
    status: ReceiptStatus
    payment: PaymentRecord
    loan: LoanState


#: Checks, inside the payment's transaction, that the caller may pay the loan of
#: ``borrower_id`` (None: no such loan); raises to refuse. The API's object rule.
ReachCheck = Callable[[UnitOfWork, int | None], None]


def receive_payment(uow: UnitOfWork, *, loan_id: int, amount: str, currency: str,
                    idempotency_key: str, kind: PaymentKind = PaymentKind.REGULAR,
                    mode: PrepaymentMode | None = None, settings: Settings | None = None,
                    now: dt.datetime | None = None, providers: Providers,
                    may_pay: ReachCheck | None = None, notify: bool = True) -> Receipt:
    """Post a payment and queue its receipt in the same transaction: every payment gets
    one (``providers`` is the context's, ``app.providers``: the templates it is written
    from). The receipt is judged by the guard as of ``now``, default the book's clock
    for the day's dispatch, so it goes out with the day's messages.

    The loan is locked first (this waits while COB closes its partition, and while
    another payment changes the loan), then the key is looked up: a request with the
    same key that held the lock before us has committed by now, and this one becomes
    its replay. ``may_pay`` is asked first whether the caller may pay this loan.
    ``notify=False`` leaves the receipt to the caller (:func:`receive_payments` queues
    a batch's receipts together)."""
    key = check_idempotency_key(idempotency_key)
    amount_minor = to_minor(amount, currency)
    fp = _fingerprint(loan_id, amount_minor, currency, kind, mode)
    posting = uow.payments.posting
    start = posting.start(key, loan_id)
    loan = start.loan
    if may_pay is not None:
        may_pay(uow, None if loan is None else loan.borrower_id)
    loan = _require_loan(loan_id, loan)
    if start.seen is not None:
        return _replayed(start.seen, key, fp, loan)
    info = _require_book(start.book)
    product = _require_product(loan, start.product)
    outcome = payment_outcome(loan, product, kind=kind, mode=mode,
                              amount_minor=amount_minor, currency=currency,
                              day=to_day(info.business_date))
    entry_id = _entry_id(loan_id, fp, key)
    record, saved = posting.record(
        entries=payment_entries(outcome, entry_id=entry_id, kind=kind, key=key,
                                loan_id=loan_id, currency=currency,
                                business_date=info.business_date),
        before=loan, after=outcome.loan, partition=start.partition, key=key,
        fingerprint=fp, kind=kind.value, amount_minor=amount_minor, currency=currency,
        business_date=info.business_date, entry_id=entry_id, allocation=outcome.allocation,
        suspense_minor=outcome.suspense_minor)
    if notify:
        notify_payment(uow, payment=record, borrower_id=loan.borrower_id,
                       providers=providers, settings=settings,
                       now=_receipt_time(now, info.business_date))
    return Receipt(ReceiptStatus.POSTED, record, saved)


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """One payment of :func:`receive_payments`: :func:`receive_payment`'s arguments."""

    loan_id: int
    amount: str
    currency: str
    idempotency_key: str
    kind: PaymentKind = PaymentKind.REGULAR
    mode: PrepaymentMode | None = None
    may_pay: ReachCheck | None = None


def receive_payments(uow: UnitOfWork, requests: Sequence[PaymentRequest], *,
                     providers: Providers, settings: Settings | None = None,
                     now: dt.datetime | None = None) -> list[Receipt]:
    """:func:`receive_payment` of every request, in order, in ``uow``: the same entries,
    loans, payment rows and receipts (their notices) as one by one, each request seeing
    the ones before it (a second payment on a loan pays what the first left; a key seen
    earlier in the batch is its replay). Any refused request (its ``may_pay`` too)
    refuses the batch before anything is written.

    The batch is read once (the loans, the keys, the book, the products; on PostgreSQL
    one pipeline, the loans locked in ascending order) and written together
    (:mod:`dunwell.store.payment_batch`), and the receipts are queued together
    (:func:`~dunwell.app.channels.notices.notify_payments`: their borrowers' facts read
    once, the messages written with one statement)."""
    if not requests:
        return []
    receipts, info = _receive_batch(uow, requests)
    posted = [(r.payment, r.loan.borrower_id) for r in receipts
              if r.status is ReceiptStatus.POSTED]
    if posted:
        assert info is not None  # a payment posted: the book is open
        notify_payments(uow, payments=posted, providers=providers, settings=settings,
                        now=_receipt_time(now, info.business_date))
    return receipts


def post_payments(app: Dunwell, requests: Sequence[PaymentRequest], *,
                  what: Callable[[PaymentRequest], str] = lambda r: "the payment",
                  ) -> list[Receipt | Exception]:
    """Post requests that arrived together (the API's group commit): each request's
    receipt, or the error it alone would have raised.

    Two or more are posted by :func:`receive_payments` in one transaction (each its
    own receipt, a replay or a key conflict found as one by one finds it). If anything
    in it fails (a refused request, a lost race, a database error) nothing of it was
    written, and each request is run again on its own, as a single request is run
    (:func:`receive_payment` under :func:`~dunwell.app.commands.run_command`), so the
    others post and the failing one gets its own answer. ``what`` names a request
    for a retry's message."""
    if len(requests) > 1:
        try:
            with app.uow() as uow:
                receipts = receive_payments(uow, requests, providers=app.providers,
                                            settings=app.settings)
                uow.commit()
            return list(receipts)
        except Exception as exc:  # rolled back: each request runs alone below
            log.info("payments.group_one_by_one", payments=len(requests),
                     reason=type(exc).__name__)
    out: list[Receipt | Exception] = []
    for r in requests:
        try:
            out.append(run_command(app, partial(_receive_one, r, app), what=what(r)))
        except Exception as exc:  # this request's own answer (404, 409, 422, 503...)
            out.append(exc)
    return out


def _receive_one(r: PaymentRequest, app: Dunwell, uow: UnitOfWork) -> Receipt:
    return receive_payment(uow, loan_id=r.loan_id, amount=r.amount, currency=r.currency,
                           idempotency_key=r.idempotency_key, kind=r.kind, mode=r.mode,
                           settings=app.settings, providers=app.providers,
                           may_pay=r.may_pay)


def _receive_batch(uow: UnitOfWork, requests: Sequence[PaymentRequest],
                   ) -> tuple[list[Receipt], BookInfo | None]:
    """:func:`receive_payments` without the notices; and the book as read."""
    from dunwell.store.payment_batch import PaymentBatch, PaymentWrite

    keys = [check_idempotency_key(r.idempotency_key) for r in requests]
    batch = PaymentBatch(uow.payments.conn)
    start = batch.start(keys, [r.loan_id for r in requests])
    loans = dict(start.loans)  # each loan as the batch's payments so far left it
    seen = dict(start.seen)
    out: list[Receipt] = []
    writes: list[PaymentWrite] = []
    posted: list[int] = []  # the receipts of the writes, by index
    for r, key in zip(requests, keys, strict=True):
        amount_minor = to_minor(r.amount, r.currency)
        fp = _fingerprint(r.loan_id, amount_minor, r.currency, r.kind, r.mode)
        loan = loans.get(r.loan_id)
        if r.may_pay is not None:
            r.may_pay(uow, None if loan is None else loan.borrower_id)
        loan = _require_loan(r.loan_id, loan)
        if key in seen:
            out.append(_replayed(seen[key], key, fp, loan))
            continue
        info = _require_book(start.book)
        product = _require_product(loan, start.products.get(loan.product_code))
        outcome = payment_outcome(loan, product, kind=r.kind, mode=r.mode,
                                  amount_minor=amount_minor, currency=r.currency,
                                  day=to_day(info.business_date))
        entry_id = _entry_id(r.loan_id, fp, key)
        writes.append(PaymentWrite(
            tuple(payment_entries(outcome, entry_id=entry_id, kind=r.kind, key=key,
                                  loan_id=r.loan_id, currency=r.currency,
                                  business_date=info.business_date)),
            r.loan_id, key, fp, r.kind.value, amount_minor, r.currency, info.business_date,
            entry_id, tuple(outcome.allocation), outcome.suspense_minor))
        saved = replace(outcome.loan, version=outcome.loan.version + 1)
        loans[r.loan_id] = saved
        posted.append(len(out))
        pending = _pending(key, fp, r.loan_id, amount_minor, r.currency)
        out.append(Receipt(ReceiptStatus.POSTED, pending, saved))
        seen[key] = pending
    changed = {lid: loans[lid] for lid in {w.loan_id for w in writes}}
    records = batch.record(writes, before=start.loans, after=changed,
                           partitions=start.partitions)
    for at, record in zip(posted, records, strict=True):
        out[at] = Receipt(ReceiptStatus.POSTED, record, out[at].loan)
    by_key = {rec.idempotency_key: rec for rec in records}
    for k, receipt in enumerate(out):  # a replay of a key posted earlier in the batch
        if receipt.status is ReceiptStatus.REPLAYED and receipt.payment.payment_id < 0:
            out[k] = Receipt(ReceiptStatus.REPLAYED, by_key[receipt.payment.idempotency_key],
                             receipt.loan)
    return out, start.book


def _fingerprint(loan_id: int, amount_minor: int, currency: str, kind: PaymentKind,
                 mode: PrepaymentMode | None) -> str:
    """What a payment request is, for its idempotency key: the same key with another
    fingerprint is a different payment."""
    return fingerprint({"loan_id": loan_id, "amount_minor": amount_minor, "currency": currency,
                        "kind": kind.value, "mode": mode.value if mode else None})


def _entry_id(loan_id: int, fp: str, key: str) -> str:
    """The payment's journal entry id (its accrual entry's is derived from it)."""
    return f"pay:{loan_id}:{fp[:12]}:{fingerprint({'k': key})[:12]}"


def _require_loan(loan_id: int, loan: LoanState | None) -> LoanState:
    if loan is None:
        raise NotFound(f"loan {loan_id} does not exist; check the loan id",
                       code="loan_must_exist", loan_id=loan_id)
    return loan


def _require_book(info: BookInfo | None) -> BookInfo:
    if info is None:
        raise NotFound("the book is not open yet; run `dunwell init` (or `dunwell demo`)",
                       code=BOOK_NOT_OPEN)
    return info


def _require_product(loan: LoanState, product: Product | None) -> Product:
    if product is None:
        raise NotFound(f"unknown product {loan.product_code!r}; list products with "
                       "`dunwell products`", code="product_must_exist")
    return product


def _receipt_time(now: dt.datetime | None, business_date: dt.date) -> dt.datetime:
    """When a payment's receipt is judged: ``now``, default the book's clock for the
    day's dispatch, so it goes out with the day's messages."""
    return now or BookClock().at(business_date, DayStep.DISPATCH)


def _pending(key: str, fp: str, loan_id: int, amount_minor: int,
             currency: str) -> PaymentRecord:
    """A payment of the batch not written yet, as a replay later in the batch judges
    it (key, fingerprint, loan and amount); the stored record replaces it once
    written."""
    return PaymentRecord(-1, key, fp, loan_id, "", amount_minor, currency, dt.date.min, "",
                         (), 0, None)


def _replayed(seen: PaymentRecord, key: str, fp: str, loan: LoanState) -> Receipt:
    """The first payment's receipt again, when the key came with the same data (the
    same data names the same loan)."""
    if seen.fingerprint != fp:
        raise Conflict(
            f"idempotency key {key!r} was used for a different payment "
            f"(loan {seen.loan_id}, {format_minor(seen.amount_minor, seen.currency)} "
            f"{seen.currency}); use a new key",
            code="idempotency_key_must_match_original_request")
    return Receipt(ReceiptStatus.REPLAYED, seen, loan)


def payment_outcome(loan: LoanState, product: Product, *, kind: PaymentKind,
                    mode: PrepaymentMode | None, amount_minor: int, currency: str,
                    day: int) -> PaymentOutcome:
    """What the payment does to the loan, by its kind: allocated to what is due, a full
    repayment, or a prepayment that shortens the term or lowers the instalment."""
    if kind is PaymentKind.REGULAR:
        return pay_rules.pay(loan, product, amount_minor=amount_minor, currency=currency,
                             day=day)
    if kind is PaymentKind.PAYOFF:
        return payoff(loan, product, amount_minor=amount_minor, currency=currency, day=day)
    if mode is None:
        raise PaymentRejected("a prepayment needs a mode: shorten_term or "
                              "lower_installment", code="prepayment_mode_must_be_given")
    return prepay(loan, product, amount_minor=amount_minor, currency=currency, day=day,
                  mode=mode)


def payment_entries(outcome: PaymentOutcome, *, entry_id: str, kind: PaymentKind, key: str,
                    loan_id: int, currency: str,
                    business_date: dt.date) -> list[JournalEntry]:
    """The payment's entry, and the interest it recognises (to date, or paid ahead on
    closing) as an entry of its own: reversing the payment later leaves it standing."""
    posted = [entry(entry_id=entry_id, business_date=business_date,
                    kind=f"payment:{kind.value}", currency=currency, lines=outcome.lines,
                    memo=f"payment {key} on loan {loan_id}")]
    if outcome.accrual_minor:
        posted.append(entry(
            entry_id=f"acr:{entry_id[4:]}", business_date=business_date,
            kind="accrual", currency=currency, memo=f"interest recognised by {entry_id}",
            lines=(Line.debit(Account.INTEREST_RECEIVABLE, outcome.accrual_minor, loan_id),
                   Line.credit(Account.INTEREST_INCOME, outcome.accrual_minor, loan_id))))
    return posted


def reverse_payment(uow: UnitOfWork, *, payment_id: int, reason: str = "") -> Receipt:
    """Reverse a regular payment with a mirror entry; a repeat is acknowledged."""
    record = uow.payments.get(payment_id)
    uow.loans.get_for_update(record.loan_id)
    record = uow.payments.get(payment_id)  # as it stands now that the loan is ours
    if record.reversal_entry_id is not None:
        return Receipt(ReceiptStatus.REPLAYED, record, uow.loans.get(record.loan_id))
    if record.kind != PaymentKind.REGULAR.value:
        raise ReversalRejected(
            f"payment {payment_id} is a {record.kind}, which restructured the loan; only "
            "regular payments can be reversed", code="reversal_must_target_regular_payment")
    info = uow.book.require()
    loan = uow.loans.get_for_update(record.loan_id)
    product = uow.products.get(loan.product_code)
    new_loan = pay_rules.reverse(loan, product, allocation=record.allocation,
                                 suspense_minor=record.suspense_minor,
                                 day=to_day(info.business_date))
    original = uow.ledger.get(record.entry_id)
    rev = reversal(original, entry_id=f"rev:{record.entry_id}"[:96],
                   business_date=info.business_date, memo=reason)
    uow.ledger.post(rev)
    saved = uow.loans.save(new_loan)
    uow.payments.mark_reversed(payment_id, rev.entry_id)
    return Receipt(ReceiptStatus.POSTED, uow.payments.get(payment_id), saved)


def quote_payoff(uow: UnitOfWork, *, loan_id: int) -> int:
    info = uow.book.require()
    return payoff_quote(uow.loans.get(loan_id), day=to_day(info.business_date))
