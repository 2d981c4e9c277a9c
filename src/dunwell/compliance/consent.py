"""Consent: what a borrower allowed, per channel and party, and the rules that need it.

A :class:`Consent` is one record: the borrower allowed (or, once ``withdrawn_at`` is
set, stopped allowing) contact by ``channel`` with ``party`` for ``purpose``. The
guard sees every record of the borrower (``Borrower.consents``) and asks, at the
moment it judges, which are in force. Three kinds of contact depend on them:

- **A withdrawn consent stops the channel, in every pack**: when the borrower
  withdrew consent for the party, channel and purpose of an action and no later
  consent is in force, the action is denied (``CONSENT-WITHDRAWN``). Having never
  recorded a consent does not stop a channel: a borrower is contacted about their own
  debt without one.
- **Third parties**: US-RegF (12 CFR 1006.6(d)(1): only with the consumer's prior
  consent given directly) and UK-FCA (CONC 7.9.6R: no *unfair* disclosure; a
  disclosure the customer agreed to is not unfair) allow a third-party contact only
  when a consent for that named party and channel is in force. CN-NIFA does not:
  only the pre-agreed emergency contact, under CN-EMERG's conditions.
- **Work e-mail** (US-RegF, 12 CFR 1006.22(f)(3)): no e-mail to an address the
  employer provides unless the borrower consented to e-mail.

A consent for ``collections`` covers every contact about the debt; one for
``servicing`` covers only contacts that ask for nothing (receipts, confirmations).
Pure: time comes in on the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContentTag,
    Party,
    ProposedAction,
    Recipient,
    require_aware,
)
from dunwell.core.errors import InvalidInput

#: The rule every pack cites when a withdrawn consent stops a contact.
CONSENT_WITHDRAWN = "CONSENT-WITHDRAWN"
#: The longest evidence reference kept with a consent (a recording id, a form number).
EVIDENCE_CHARS_MAX = 200


class Purpose(StrEnum):
    COLLECTIONS = "collections"
    SERVICING = "servicing"


class ConsentSource(StrEnum):
    """Where the borrower gave (or withdrew) the consent."""

    PORTAL = "portal"
    CALL = "call"
    LETTER = "letter"
    VISIT = "visit"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class Consent:
    """The borrower allowed contact by ``channel`` with ``party`` for ``purpose`` from
    ``granted_at``, until ``withdrawn_at`` (None: still in force)."""

    channel: Channel
    party: Party
    purpose: Purpose
    granted_at: dt.datetime
    withdrawn_at: dt.datetime | None = None
    source: ConsentSource = ConsentSource.IMPORT
    evidence: str = ""

    def __post_init__(self) -> None:
        require_aware(self.granted_at, "consent.granted_at")
        if self.withdrawn_at is not None:
            require_aware(self.withdrawn_at, "consent.withdrawn_at")
            if self.withdrawn_at < self.granted_at:
                raise InvalidInput(
                    f"consent.withdrawn_at {self.withdrawn_at.isoformat()} is before "
                    f"granted_at {self.granted_at.isoformat()}; a consent is withdrawn after "
                    "it was given",
                    code="consent_withdrawal_must_follow_grant",
                    field="consent.withdrawn_at",
                )
        if len(self.evidence) > EVIDENCE_CHARS_MAX:
            raise InvalidInput(
                f"consent.evidence has {len(self.evidence)} characters; at most "
                f"{EVIDENCE_CHARS_MAX} (a reference, not the evidence itself)",
                code="consent_evidence_must_be_short",
                field="consent.evidence",
            )

    def in_force(self, at: dt.datetime) -> bool:
        return self.granted_at <= at and (self.withdrawn_at is None or at < self.withdrawn_at)

    def withdrawn_by(self, at: dt.datetime) -> bool:
        return self.withdrawn_at is not None and self.withdrawn_at <= at

    def covers(self, purpose: Purpose) -> bool:
        """A collections consent covers servicing contacts too; not the other way."""
        return self.purpose is Purpose.COLLECTIONS or self.purpose is purpose


def party_of(action: ProposedAction) -> Party | None:
    """Who ``action`` reaches, as a consent names them: the named party, the borrower,
    the pre-agreed emergency contact, or None for an unnamed third party."""
    if action.party is not None:
        return action.party
    if action.recipient is Recipient.BORROWER:
        return Party.BORROWER
    if ContentTag.PRE_AGREED_EMERGENCY_CONTACT in action.content_tags:
        return Party.EMERGENCY_CONTACT
    return None


def _matching(consents: Iterable[Consent], party: Party, channel: Channel,
              purpose: Purpose) -> list[Consent]:
    return [c for c in consents
            if c.party is party and c.channel is channel and c.covers(purpose)]


def consent_in_force(consents: Iterable[Consent], *, party: Party, channel: Channel,
                     purpose: Purpose, at: dt.datetime) -> Consent | None:
    """A consent for ``party`` by ``channel`` covering ``purpose`` in force at ``at``."""
    return next((c for c in _matching(consents, party, channel, purpose) if c.in_force(at)),
                None)


def withdrawal(consents: Iterable[Consent], *, party: Party, channel: Channel,
               purpose: Purpose, at: dt.datetime) -> Consent | None:
    """The latest withdrawn consent for ``party`` by ``channel`` covering ``purpose``,
    when none is in force at ``at``; None when nothing was withdrawn or a consent (a
    later one) is in force."""
    matching = _matching(consents, party, channel, purpose)
    if any(c.in_force(at) for c in matching):
        return None
    withdrawn = [c for c in matching if c.withdrawn_by(at)]
    return max(withdrawn, key=lambda c: c.withdrawn_at or c.granted_at, default=None)


def withdrawn_problem(action: ProposedAction, borrower: Borrower,
                      purpose: Purpose) -> str | None:
    """Why ``action`` may not happen because its consent was withdrawn, or None."""
    party = party_of(action)
    if party is None:
        return None
    gone = withdrawal(borrower.consents, party=party, channel=action.channel,
                      purpose=purpose, at=action.ts)
    if gone is None or gone.withdrawn_at is None:
        return None
    whom = "the borrower" if party is Party.BORROWER else f"the {party.value.replace('_', ' ')}"
    return (f"consent to {purpose.value} contact with {whom} by {action.channel} was "
            f"withdrawn on {gone.withdrawn_at.date().isoformat()}; no consent is in force")


def third_party_problem(action: ProposedAction, borrower: Borrower, purpose: Purpose,
                        *, rule_text: str) -> str | None:
    """Why a third-party ``action`` needs a consent it lacks, or None when a consent
    for the named party by this channel is in force. ``rule_text`` says which rule
    asks for it."""
    party = party_of(action)
    if party is not None and party is not Party.BORROWER and consent_in_force(
        borrower.consents, party=party, channel=action.channel, purpose=purpose, at=action.ts
    ) is not None:
        return None
    who = (f"{action.recipient}, {action.channel}" if party is None
           else f"{party.value}, {action.channel}")
    missing = ("the action names no party a consent could cover (party)" if party is None
               else f"none is in force for {party.value} by {action.channel}")
    return f"contact with a third party ({who}) about the debt {rule_text}; {missing}"


def work_email_problem(action: ProposedAction, borrower: Borrower,
                       purpose: Purpose) -> str | None:
    """Why an e-mail to an employer-provided address may not be sent, or None."""
    if action.channel is not Channel.EMAIL or ContentTag.WORK_ADDRESS not in action.content_tags:
        return None
    if consent_in_force(borrower.consents, party=Party.BORROWER, channel=Channel.EMAIL,
                        purpose=purpose, at=action.ts) is not None:
        return None
    return ("e-mail to an address the borrower's employer provides needs the borrower's "
            "consent to e-mail; none is in force")


__all__ = [
    "CONSENT_WITHDRAWN",
    "Consent",
    "ConsentSource",
    "Purpose",
    "consent_in_force",
    "party_of",
    "third_party_problem",
    "withdrawal",
    "withdrawn_problem",
    "work_email_problem",
]
