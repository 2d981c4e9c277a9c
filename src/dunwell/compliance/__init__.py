"""Compliance: the contact guard and its jurisdiction packs (CN-NIFA, US-RegF,
UK-FCA). ``decide(action, history, borrower, jurisdiction)`` allows, defers or
denies a proposed contact with the rule that decided it. Pure: it imports only
``dunwell.core`` and the standard library; time comes in on the data."""

from dunwell.compliance.guard import decide
from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContactEvent,
    ContactPreferences,
    ContactWindow,
    ContentTag,
    Decision,
    Direction,
    Flag,
    Jurisdiction,
    LocalWindow,
    Outcome,
    ProposedAction,
    Recipient,
    Verdict,
)
from dunwell.compliance.packs import CNParams, PackParams, UKParams, USParams
from dunwell.compliance.scenario import Scenario, parse_scenario

__all__ = [
    "Borrower",
    "CNParams",
    "Channel",
    "ContactEvent",
    "ContactPreferences",
    "ContactWindow",
    "ContentTag",
    "Decision",
    "Direction",
    "Flag",
    "Jurisdiction",
    "LocalWindow",
    "Outcome",
    "PackParams",
    "ProposedAction",
    "Recipient",
    "Scenario",
    "UKParams",
    "USParams",
    "Verdict",
    "decide",
    "parse_scenario",
]
