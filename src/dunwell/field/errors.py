"""Typed rejections of the field operation, with stable codes."""

from __future__ import annotations

from dunwell.core.errors import Conflict


class AgentNotCertified(Conflict):
    """The agent lacks a valid certificate in at least one required subject on the
    visit date; ``details['subjects']`` names each missing or expired subject."""

    code = "agent_must_hold_valid_certificates"


__all__ = ["AgentNotCertified"]
