"""The guard: ``decide(action, history, borrower, jurisdiction) -> Verdict`` (pure).

Every rule of the pack is consulted, in stage order (status, conduct, standing,
recipient, medium, time, frequency). The first rule that denies decides; otherwise
the first rule that defers decides, and ``defer_until`` is the earliest moment at
which every time and frequency rule is satisfied together. If the bounded search for
that moment ends before finding one, no time is offered: the action is denied under
:data:`NO_PERMITTED_TIME` (a deferral is never handed out unchecked). Events dated
after the moment being judged are not part of its history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from dunwell.compliance.localtime import allowed_windows, window_at
from dunwell.compliance.model import (
    Borrower,
    ContactEvent,
    ContactWindow,
    Decision,
    Jurisdiction,
    ProposedAction,
    Verdict,
)
from dunwell.compliance.packs import pack_for
from dunwell.compliance.packs.base import TIMED_CHANNELS, WHEN_STAGES, P, Pack, PackParams

#: Rounds of "not yet, try then" the search for ``defer_until`` may take.
DEFER_SEARCH_STEPS_MAX = 64
#: The rule named when the time and frequency rules admit no moment the search finds.
NO_PERMITTED_TIME = "GUARD-NO-PERMITTED-TIME"


def decide(
    action: ProposedAction,
    history: Sequence[ContactEvent],
    borrower: Borrower,
    jurisdiction: Jurisdiction,
    params: PackParams | None = None,
) -> Verdict:
    """Allow, defer or deny ``action``; ``params`` default to the pack's own."""
    pack = pack_for(jurisdiction)
    return _decide(pack, pack.params(params), action, history, borrower)


def _decide(
    pack: Pack[P],
    params: P,
    action: ProposedAction,
    history: Sequence[ContactEvent],
    borrower: Borrower,
) -> Verdict:
    past = _until(history, action.ts)
    failed = tuple(
        verdict
        for rule in pack.rules
        if (verdict := rule(action, past, borrower, params)) is not None
    )
    consulted = tuple(dict.fromkeys(rule.id for rule in pack.rules))
    denial = next((v for v in failed if v.decision is Decision.DENY), None)
    if denial is not None:
        return replace(denial, consulted=consulted, failed=failed)
    if failed:
        first = failed[0]
        until = _earliest(pack, params, action, history, borrower, failed)
        if until is None:
            return Verdict(
                Decision.DENY, NO_PERMITTED_TIME,
                f"{first.reason}; no moment found within {DEFER_SEARCH_STEPS_MAX} rounds "
                "satisfies every time and frequency rule together, so none is offered",
                consulted=consulted, failed=failed)
        reason = first.reason
        if until != first.defer_until:
            reason += f"; with the other limits, the earliest moment is {until.isoformat()}"
        return replace(first, reason=reason, defer_until=until, consulted=consulted, failed=failed)
    window = _window(params, action, borrower)
    reason = f"no {pack.jurisdiction} rule objects"
    if window is not None:
        reason += f"; allowed window {window.label()}"
    return Verdict(Decision.ALLOW, None, reason, window=window, consulted=consulted)


def _until(history: Sequence[ContactEvent], moment: dt.datetime) -> tuple[ContactEvent, ...]:
    return tuple(e for e in history if e.ts <= moment)


def _earliest(
    pack: Pack[P],
    params: P,
    action: ProposedAction,
    history: Sequence[ContactEvent],
    borrower: Borrower,
    failed: tuple[Verdict, ...],
) -> dt.datetime | None:
    """The first moment at which no time or frequency rule objects any more, or None
    when :data:`DEFER_SEARCH_STEPS_MAX` rounds find none (each candidate is re-checked
    before it is returned)."""
    candidate = max(v.defer_until for v in failed if v.defer_until is not None)
    when_rules = [rule for rule in pack.rules if rule.stage in WHEN_STAGES]
    for _ in range(DEFER_SEARCH_STEPS_MAX):
        moved = replace(action, ts=candidate)
        past = _until(history, candidate)
        later = [
            verdict.defer_until
            for rule in when_rules
            if (verdict := rule(moved, past, borrower, params)) is not None
            and verdict.defer_until is not None
        ]
        if not later:
            return candidate
        candidate = max(later)
    return None


def _window(params: PackParams, action: ProposedAction, borrower: Borrower) -> ContactWindow | None:
    if action.channel not in TIMED_CHANNELS:
        return None
    here = action.ts.astimezone(borrower.zone)
    windows = allowed_windows(params.contact_window(), borrower.contact_preferences)
    window = window_at(windows, here.time())
    if window is None:
        return None
    return ContactWindow(
        timezone=borrower.timezone,
        date=here.date(),
        start=window.start,
        end=window.end,
        end_inclusive=window.end_inclusive,
    )
