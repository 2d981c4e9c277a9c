"""Typed rejections of the field operation, with stable codes."""

from __future__ import annotations

from dunwell.core.errors import Conflict, InvalidInput


class AgentNotCertified(Conflict):
    """The agent lacks a valid certificate in at least one required subject on the
    visit date; ``details['subjects']`` names each missing or expired subject."""

    code = "agent_must_hold_valid_certificates"


class AddressHasNoCoordinates(InvalidInput):
    code = "address_must_have_coordinates"


__all__ = ["AddressHasNoCoordinates", "AgentNotCertified"]
