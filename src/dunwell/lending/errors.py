"""Lending rejections, each with a stable code."""

from dunwell.core.errors import Conflict, InvalidInput

#: The book has not been opened (``dunwell init``); nothing can be booked or closed.
BOOK_NOT_OPEN = "book_must_be_open"


class PaymentRejected(InvalidInput):
    code = "payment_must_be_valid"


class LoanClosed(Conflict):
    code = "loan_must_be_open"


class ReversalRejected(Conflict):
    code = "reversal_must_be_possible"
