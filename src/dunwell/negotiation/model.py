"""Plain data for hardship, offers, approvals and plans (frozen dataclasses, enums).

Money is integer minor units; ratios and probabilities are ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class HardshipReason(StrEnum):
    ILLNESS = "illness"
    FAMILY_EMERGENCY = "family_emergency"
    BUSINESS_DOWNTURN = "business_downturn"
    JOB_LOSS = "job_loss"
    OTHER = "other"


class AssessmentSource(StrEnum):
    """Who took the borrower's account of their hardship."""

    PORTAL = "portal"
    COLLECTOR = "collector"
    FIELD_AGENT = "field_agent"
    #: Not a person's assessment: the plan-offer step's estimate from the loan book
    #: (``book_basis``), used when nobody has heard the borrower's budget yet. Offers
    #: made on it are "proposed without an assessment" until a collector confirms them.
    BOOK = "book"

    @property
    def is_person(self) -> bool:
        return self is not AssessmentSource.BOOK


class Role(StrEnum):
    """Who may approve an offer; the authority of each is in ``approvals.toml``."""

    COLLECTOR = "collector"
    FIELD_AGENT = "field_agent"
    TEAM_LEAD = "team_lead"
    MANAGER = "manager"
    RISK_COMMITTEE = "risk_committee"


class OfferKind(StrEnum):
    INSTALMENT_PLAN = "instalment_plan"  # the debt over N months, interest frozen
    REDUCED_PAYMENTS = "reduced_payments"  # k months reduced, then the remainder
    TERM_EXTENSION = "term_extension"  # principal re-amortised at the contract rate
    PENALTY_WAIVER = "penalty_waiver"  # penalty waived, the rest over N months
    PENALTY_INTEREST_WAIVER = "penalty_interest_waiver"  # penalty and interest waived
    SETTLEMENT = "settlement"  # a discounted amount settles the debt


class OfferStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"  # another offer of the case was accepted, or newer offers made
    REFUSED = "refused"  # the borrower declined it

    @property
    def is_live(self) -> bool:
        """Still open to the borrower (until its expiry date)."""
        return self in (OfferStatus.OPEN, OfferStatus.APPROVED)


class PlanStatus(StrEnum):
    ACTIVE = "active"
    BROKEN = "broken"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A document the borrower showed: a reference (file name, scan id) and its sha256."""

    reference: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """The borrower's account of their hardship and monthly budget, in minor units."""

    reason: HardshipReason
    monthly_income_minor: int
    essential_expenses_minor: int
    other_debt_payments_minor: int
    vulnerable: bool = False
    evidence: tuple[Evidence, ...] = ()

    @property
    def disposable_income_minor(self) -> int:
        """Income minus essential expenses minus other debts' monthly payments (may be
        negative: the borrower is short every month)."""
        return (self.monthly_income_minor - self.essential_expenses_minor
                - self.other_debt_payments_minor)


@dataclass(frozen=True, slots=True)
class Debt:
    """What the borrower owes on the loan today, by component, in minor units.

    ``interest_minor`` is interest accrued and unpaid: interest not yet accrued is not
    debt, and a restructured plan does not charge it unless it says so (term extension).
    """

    principal_minor: int
    interest_minor: int
    penalty_minor: int
    fee_minor: int

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor + self.penalty_minor + self.fee_minor


@dataclass(frozen=True, slots=True)
class Waiver:
    """Amounts forgiven, by component, in minor units."""

    principal_minor: int = 0
    interest_minor: int = 0
    penalty_minor: int = 0
    fee_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor + self.penalty_minor + self.fee_minor


@dataclass(frozen=True, slots=True)
class PlanInstalment:
    """One payment of a plan, by component. ``interest_minor`` is accrued interest the
    plan carries over from the old schedule; ``new_interest_minor`` is interest the
    plan itself charges (term extension only), accrued day by day from the previous due
    date."""

    n: int
    due_date: dt.date
    principal_minor: int = 0
    interest_minor: int = 0
    penalty_minor: int = 0
    fee_minor: int = 0
    new_interest_minor: int = 0

    @property
    def debt_part_minor(self) -> int:
        return self.principal_minor + self.interest_minor + self.penalty_minor + self.fee_minor

    @property
    def total_minor(self) -> int:
        return self.debt_part_minor + self.new_interest_minor


@dataclass(frozen=True, slots=True)
class Offer:
    """A proposal to the borrower with what it means for both sides.

    ``monthly_payment_minor`` is the largest payment of the plan (what affordability is
    judged on); ``affordability`` is that payment divided by disposable income;
    ``keep_probability`` is the modelled chance of making each month's payment;
    ``expected_npv_minor`` is the lender's expected present value; ``total_cost_minor``
    is everything the borrower pays under the plan.
    """

    kind: OfferKind
    months: int
    instalments: tuple[PlanInstalment, ...]
    debt: Debt
    waiver: Waiver
    monthly_payment_minor: int
    affordability: Decimal
    keep_probability: Decimal
    expected_npv_minor: int
    total_cost_minor: int
    approval_role: Role
    reduced_months: int = 0

    @property
    def label(self) -> str:
        if self.kind is OfferKind.REDUCED_PAYMENTS:
            return f"{self.kind.value} ({self.reduced_months} reduced, {self.months} in all)"
        return f"{self.kind.value} over {self.months} months"


@dataclass(frozen=True, slots=True)
class OfferSheet:
    """Offers ranked best first (affordable only); when none is affordable,
    ``referral`` says so and points the borrower to free debt advice."""

    offers: tuple[Offer, ...]
    unaffordable: int  # candidates dropped because the borrower could not keep them
    referral: str | None = None
