"""Local clock arithmetic in the borrower's time zone (pure, DST-correct).

Aware instants are converted with :mod:`zoneinfo`; a local wall time that does not
exist (inside a spring-forward gap) is read as the instant just after the gap, and
an ambiguous one (fall-back) as its first occurrence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from dunwell.compliance.model import ContactPreferences, LocalWindow

FULL_DAY = LocalWindow(dt.time.min, dt.time.max, end_inclusive=True)


def local_date(ts: dt.datetime, zone: ZoneInfo) -> dt.date:
    return ts.astimezone(zone).date()


def at_local(day: dt.date, clock: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The instant when local clocks in ``zone`` show ``clock`` on ``day``."""
    wall = dt.datetime.combine(day, clock, tzinfo=zone)
    return wall.astimezone(dt.UTC).astimezone(zone)


def start_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return at_local(day, dt.time.min, zone)


def intersect(a: LocalWindow, b: LocalWindow) -> LocalWindow | None:
    start = max(a.start, b.start)
    if a.end == b.end:
        end, inclusive = a.end, a.end_inclusive and b.end_inclusive
    elif a.end < b.end:
        end, inclusive = a.end, a.end_inclusive
    else:
        end, inclusive = b.end, b.end_inclusive
    window = LocalWindow(start, end, inclusive)
    return None if window.empty else window


def preference_windows(prefs: ContactPreferences) -> tuple[LocalWindow, ...]:
    """The borrower's own hours as windows of one local day."""
    before, after = prefs.no_contact_before, prefs.no_contact_after
    if before is None and after is None:
        return (FULL_DAY,)
    if before is None:
        return (LocalWindow(dt.time.min, after or dt.time.max),)
    if after is None:
        return (LocalWindow(before, dt.time.max),)
    if before <= after:
        return (LocalWindow(before, after),)
    return (LocalWindow(dt.time.min, after), LocalWindow(before, dt.time.max))


def allowed_windows(base: LocalWindow, prefs: ContactPreferences) -> tuple[LocalWindow, ...]:
    """The pack's window cut down to the borrower's requested hours, by start."""
    parts = (intersect(base, own) for own in preference_windows(prefs))
    return tuple(sorted((w for w in parts if w is not None), key=lambda w: w.start))


def window_at(windows: Iterable[LocalWindow], clock: dt.time) -> LocalWindow | None:
    return next((w for w in windows if w.contains(clock)), None)


def next_opening(
    windows: tuple[LocalWindow, ...], ts: dt.datetime, zone: ZoneInfo
) -> dt.datetime | None:
    """The first window start strictly after ``ts``, today or tomorrow (local)."""
    if not windows:
        return None
    here = ts.astimezone(zone)
    for window in windows:
        if window.start > here.time():
            opening = at_local(here.date(), window.start, zone)
            if opening > ts:
                return opening
    return at_local(here.date() + dt.timedelta(days=1), windows[0].start, zone)
