"""Questions the rules ask of the contact history (pure).

Days are the borrower's local calendar days. The guard passes only the events at
or before the proposed moment, so "has it happened" means "by then".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Sequence
from zoneinfo import ZoneInfo

from dunwell.compliance.localtime import local_date
from dunwell.compliance.model import Channel, ContactEvent, Direction, Outcome


def has_outcome(history: Sequence[ContactEvent], outcome: Outcome) -> bool:
    return any(e.outcome is outcome for e in history)


def opted_out_channels(history: Sequence[ContactEvent]) -> frozenset[Channel]:
    """Channels on which the borrower asked not to be contacted."""
    return frozenset(e.channel for e in history if e.outcome is Outcome.OPT_OUT_REQUEST)


def outbound_by_day(
    history: Sequence[ContactEvent],
    zone: ZoneInfo,
    channel: Channel,
    *,
    uncounted: Collection[Outcome] = (),
) -> Counter[dt.date]:
    """Outbound attempts on ``channel`` per local day, leaving out ``uncounted``."""
    return Counter(
        local_date(e.ts, zone)
        for e in history
        if e.channel is channel and e.direction is Direction.OUTBOUND and e.outcome not in uncounted
    )


def conversation_days(
    history: Sequence[ContactEvent], zone: ZoneInfo, outcomes: Collection[Outcome]
) -> frozenset[dt.date]:
    """Local days with a telephone conversation, whoever placed the call."""
    return frozenset(
        local_date(e.ts, zone)
        for e in history
        if e.channel is Channel.CALL and e.outcome in outcomes
    )


def breathing_space_since(
    history: Sequence[ContactEvent], at: dt.datetime, assume_end_days: int | None
) -> dt.datetime | None:
    """Start of the breathing space in force at ``at`` (from its notice), or None.

    A moratorium runs from its latest notice until a later ``breathing_space_ended``
    event, or, when ``assume_end_days`` is set, until that many days have passed."""
    notices = [e.ts for e in history if e.outcome is Outcome.BREATHING_SPACE_NOTICE]
    if not notices:
        return None
    started = max(notices)
    if any(e.outcome is Outcome.BREATHING_SPACE_ENDED and e.ts >= started for e in history):
        return None
    if assume_end_days is not None and at >= started + dt.timedelta(days=assume_end_days):
        return None
    return started
