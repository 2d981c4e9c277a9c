"""Negotiation rejections: typed, coded, saying what was wrong and what to do."""

from __future__ import annotations

from dunwell.core.errors import Conflict, InvalidInput


class HardshipRejected(InvalidInput):
    """A hardship assessment with missing or impossible figures."""

    code = "hardship_must_be_valid"


class OfferRejected(Conflict):
    """An offer that cannot be made, approved or accepted in the current state."""

    code = "offer_must_be_acceptable"


class ApprovalRejected(Conflict):
    """An approval beyond the approver's authority."""

    code = "approval_must_be_within_authority"


class RestructureRejected(Conflict):
    """A plan that does not restructure the loan exactly."""

    code = "plan_must_cover_debt"
