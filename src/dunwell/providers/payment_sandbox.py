"""The local payment sandbox: a gateway that takes no real money, for the demo, the
tests and trying the portal out.

It is deterministic: the charge's reference is derived from its idempotency key, so
the same key always answers the same way, and nothing is kept between runs. A card
or account number is accepted when it is 12 to 19 digits (spaces and dashes ignored)
and passes the Luhn check, like ``4242 4242 4242 4242`` or ``6222 0000 0000 0009``;
any other number is refused as ``account_must_be_valid``. One documented test
number is always declined, as a card with no funds would be:

    4000 0000 0000 0002  ->  declined (card_declined)
"""

from __future__ import annotations

import hashlib

from dunwell.core.errors import InvalidInput
from dunwell.lending.gateway import GatewayResult, GatewayStatus

#: The test numbers the sandbox accepts in its documentation and demo.
ACCEPTED_TEST_NUMBERS = ("4242424242424242", "6222000000000009")
#: The test number the sandbox always declines.
DECLINED_TEST_NUMBER = "4000000000000002"
DIGITS_MIN, DIGITS_MAX = 12, 19


def account_digits(account: str) -> str:
    """The digits of a typed card or account number (spaces and dashes dropped); a
    number of the wrong shape is ``account_must_be_valid``."""
    digits = account.replace(" ", "").replace("-", "")
    if not (digits.isascii() and digits.isdigit() and DIGITS_MIN <= len(digits) <= DIGITS_MAX
            and luhn_valid(digits)):
        raise InvalidInput("the card or account number must be 12 to 19 digits and pass "
                           "the check digit; check it against your card",
                           code="account_must_be_valid", field="account")
    return digits


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


class SandboxGateway:
    """A gateway that captures every valid test number except the declined one."""

    name = "sandbox"

    def charge(self, *, borrower_id: int, loan_id: int, amount_minor: int, currency: str,
               account: str, key: str) -> GatewayResult:
        digits = account_digits(account)
        if amount_minor <= 0:
            raise InvalidInput("the amount must be more than zero",
                               code="charge_amount_must_be_positive", field="amount")
        reference = "sbx_" + hashlib.sha256(
            f"{key}|{borrower_id}|{loan_id}|{amount_minor}|{currency}".encode()).hexdigest()[:20]
        if digits == DECLINED_TEST_NUMBER:
            return GatewayResult(reference, GatewayStatus.DECLINED, "card_declined")
        return GatewayResult(reference, GatewayStatus.CAPTURED)
