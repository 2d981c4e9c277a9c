"""An affordability basis from the loan book, for offers proposed before anybody has
heard the borrower's budget. Pure.

The strategy's plan-offer step (D+45 in the humane strategy) reaches borrowers who
have not told us their income and expenses. Rather than offer nothing, it assumes
what the book shows the borrower can pay, and says that it is an assumption:

* the loan's **average scheduled monthly payment** (principal, interest and fees of
  its instalments, divided by their number): what the lender judged affordable when
  the loan was made;
* the borrower is behind, so only ``book_share`` of it (50 % shipped) is assumed —
  or what they actually paid a month over the last ``book_payment_months`` months,
  if that is more;
* never more than the scheduled payment itself.

The estimate becomes an :class:`Assessment` (reason ``other``, no expenses) whose
disposable income makes exactly that payment the affordable maximum, so the offer
generator, its affordability rule and its ranking apply unchanged. Offers made on it
are *proposed without an assessment*: a collector confirms them with the borrower
(the approval) before any can be accepted.

>>> from dunwell.negotiation.policy import builtin_policy
>>> basis = book_basis(scheduled_minor=[60_000] * 12, paid_minor=0, currency="CNY",
...                    policy=builtin_policy())
>>> basis.capacity_minor, basis.assessment.disposable_income_minor
(30000, 60000)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from dunwell.core.errors import InvalidInput
from dunwell.core.money import Rounding, format_minor, round_to_int
from dunwell.negotiation.model import Assessment, HardshipReason
from dunwell.negotiation.policy import Policy

#: Instalments one basis reads at the most (a loan's schedule is far shorter).
INSTALMENTS_MAX = 1_000


@dataclass(frozen=True, slots=True)
class BookBasis:
    """What the plan-offer step assumed the borrower can pay a month, and why."""

    scheduled_monthly_minor: int  # the loan's average scheduled monthly payment
    paid_monthly_minor: int  # paid a month on average over the payment window
    capacity_minor: int  # the largest monthly payment assumed affordable
    text: str  # the assumption in words, for the case, the audit log and the bundle
    assessment: Assessment  # as the offer generator reads it


def book_basis(*, scheduled_minor: Sequence[int], paid_minor: int, currency: str,
               policy: Policy) -> BookBasis:
    """The basis from the loan's scheduled instalment totals and what the borrower
    paid over the last ``policy.book_payment_months`` months (minor units)."""
    if not scheduled_minor or len(scheduled_minor) > INSTALMENTS_MAX:
        raise InvalidInput(f"a book basis needs 1 to {INSTALMENTS_MAX} scheduled instalments",
                           code="book_basis_needs_a_schedule")
    if paid_minor < 0 or any(a < 0 for a in scheduled_minor):
        raise InvalidInput("scheduled and paid amounts must not be negative",
                           code="book_basis_amounts_must_not_be_negative")
    months = policy.book_payment_months
    scheduled = sum(scheduled_minor) // len(scheduled_minor)
    paid = paid_minor // months
    share = round_to_int(policy.book_share * scheduled, Rounding.DOWN)
    capacity = min(scheduled, max(share, paid))
    amax = policy.affordability_max
    # the disposable income under which `capacity` is exactly the affordable maximum
    income = 0 if amax <= 0 else round_to_int(Decimal(capacity) / amax, Rounding.UP)

    def money(minor: int) -> str:
        return f"{format_minor(minor, currency)} {currency}"

    text = (f"proposed without an assessment: assumed affordable {money(capacity)} a month, "
            f"the larger of {policy.book_share} x the loan's average scheduled payment "
            f"{money(scheduled)} and the {money(paid)} a month paid over the last {months} "
            "months, at most the scheduled payment; confirm with the borrower")
    return BookBasis(scheduled, paid, capacity, text,
                     Assessment(HardshipReason.OTHER, income, 0, 0))


def book_referral(basis: BookBasis) -> str:
    """The referral when nothing is affordable on the book's estimate."""
    return ("no plan is affordable on the book's estimate of what the borrower can pay "
            f"({basis.text}): refer the borrower to free, independent debt advice before "
            "any further collection activity")
