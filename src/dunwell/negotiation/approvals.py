"""The approval authority check: may this role approve this offer?"""

from __future__ import annotations

from decimal import Decimal

from dunwell.negotiation.errors import ApprovalRejected
from dunwell.negotiation.model import Offer, Role
from dunwell.negotiation.policy import ApprovalMatrix


def authorise(matrix: ApprovalMatrix, *, role: Role, offer: Offer) -> None:
    """Raise ``approval_must_be_within_authority`` unless ``role`` covers the offer's
    waiver (both the absolute amount and its share of the debt)."""
    authority = matrix.of(role)
    waived = offer.waiver.total_minor
    debt = offer.debt.total_minor
    if authority.covers(waived, debt):
        return
    share = (Decimal(100) * waived / debt).quantize(Decimal("0.01")) if debt else Decimal(0)
    limits = []
    if authority.waiver_max_minor is not None:
        limits.append(f"{authority.waiver_max_minor} minor units")
    if authority.waiver_max_pct is not None:
        limits.append(f"{authority.waiver_max_pct * 100:.2f} % of the debt")
    raise ApprovalRejected(
        f"a {role.value} may waive at most {' and '.join(limits)}; this offer waives "
        f"{waived} minor units ({share} %); it needs a {offer.approval_role.value}",
        code="approval_must_be_within_authority", role=role.value,
        required=offer.approval_role.value)
