"""The borrower's own contact preferences, from the portal: quiet hours, language and,
per channel, whether we may contact them about their account by it.

Hours and language go through :func:`set_contact_preferences` (what ``dunwell
borrower prefs`` stores); a channel they turn off is a consent withdrawn for
collections with source ``portal`` (:func:`dunwell.app.consent.withdraw`) and one
they turn back on a consent granted, and the channels left on become their preferred
channels, so the guard stops the others from its next decision on. Everything is
checked before anything is stored: a bad time or language saves nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from dunwell.app.collections.contacts import set_contact_preferences
from dunwell.app.consent import grant, withdraw
from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.compliance.consent import ConsentSource, Purpose
from dunwell.compliance.model import Channel, Party
from dunwell.core.errors import InvalidInput

#: The channels a borrower may turn on or off in the portal, in the page's order.
PORTAL_CHANNELS = (Channel.CALL, Channel.SMS, Channel.EMAIL, Channel.LETTER, Channel.VISIT)
#: The languages the portal offers for messages and letters.
PORTAL_LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True, slots=True)
class PortalPreferences:
    borrower_id: int
    timezone: str
    no_contact_before: dt.time | None
    no_contact_after: dt.time | None
    language: str
    #: Each portal channel and whether we may use it for collections.
    allowed: tuple[tuple[Channel, bool], ...]

    def allows(self, channel: Channel) -> bool:
        return dict(self.allowed).get(channel, True)


def _allowed(uow: UnitOfWork, borrower_id: int) -> dict[Channel, bool]:
    latest: dict[Channel, bool] = {}
    for rec in sorted(uow.consents.for_borrower(borrower_id), key=lambda r: r.consent_id):
        c = rec.consent
        if c.party is Party.BORROWER and c.purpose is Purpose.COLLECTIONS:
            latest[c.channel] = c.withdrawn_at is None
    return {ch: latest.get(ch, True) for ch in PORTAL_CHANNELS}


def my_preferences(app: Dunwell, *, borrower_id: int) -> PortalPreferences:
    """The borrower's stored hours, language and channels."""
    with app.uow() as uow:
        b = uow.borrowers.get(borrower_id).borrower
        allowed = _allowed(uow, borrower_id)
    p = b.contact_preferences
    return PortalPreferences(borrower_id, b.timezone, p.no_contact_before, p.no_contact_after,
                             b.language or "", tuple(allowed.items()))


def parse_clock(text: str, field: str) -> dt.time | None:
    """``HH:MM`` (empty: no limit)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = dt.time.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or len(text) != len("HH:MM"):
        raise InvalidInput(f"{field.replace('_', ' ')} must be a time like 09:00",
                           code="time_must_be_hh_mm", field=field)
    return value


def save_preferences(app: Dunwell, *, borrower_id: int, no_contact_before: str,
                     no_contact_after: str, language: str, allowed: Collection[str],
                     now: dt.datetime) -> PortalPreferences:
    """Store what the borrower chose (see the module's note) and return it as stored."""
    before = parse_clock(no_contact_before, "no_contact_before")
    after = parse_clock(no_contact_after, "no_contact_after")
    if language not in PORTAL_LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(PORTAL_LANGUAGES)}",
                           code="language_must_be_offered", field="language")
    known = {c.value for c in PORTAL_CHANNELS}
    unknown = sorted(set(allowed) - known)
    if unknown:
        raise InvalidInput(f"unknown channel {unknown[0]!r}", code="channel_must_be_known",
                           field="channels")
    wanted = {ch: ch.value in allowed for ch in PORTAL_CHANNELS}
    current = my_preferences(app, borrower_id=borrower_id)
    on = [ch.value for ch, yes in wanted.items() if yes]
    set_contact_preferences(app, borrower_id=borrower_id, no_contact_before=before,
                            no_contact_after=after, language=language,
                            channels=[] if len(on) == len(PORTAL_CHANNELS) else on,
                            reason="set by the borrower in the portal", now=now)
    for ch, yes in wanted.items():
        if yes == current.allows(ch):
            continue
        if yes:
            grant(app, borrower_id=borrower_id, channel=ch.value,
                  source=ConsentSource.PORTAL.value, purpose=Purpose.COLLECTIONS.value,
                  evidence="portal preferences", now=now)
        else:
            withdraw(app, borrower_id=borrower_id, channel=ch.value,
                     source=ConsentSource.PORTAL.value, purpose=Purpose.COLLECTIONS.value,
                     now=now)
    return my_preferences(app, borrower_id=borrower_id)
