"""The loan state machine: one table of status x event -> status.

Every change of a loan's status in the domain goes through :func:`transition` (or
:func:`after`, which also records that a loan was restructured). A pair missing from
:data:`TRANSITIONS` is refused with ``loan_transition_must_be_allowed``.

Closing a day and landing a payment name the loan's standing as an event
(:func:`standing_event`): settled, past its grace days, or in good standing. A loan
in good standing whose terms were restructured stays ``RESTRUCTURED`` (``ON_PLAN``),
even after it was overdue in between; any other returns to ``CURRENT``.

COB's kernel uses the same rule over columns through :data:`STANDING_STATUS`, the
standing rule tabulated once for every status and standing.
"""

from __future__ import annotations

from dataclasses import replace
from enum import IntEnum
from typing import TYPE_CHECKING, Final

from dunwell.core.errors import Conflict
from dunwell.lending.model import LoanStatus

if TYPE_CHECKING:
    from dunwell.lending.loans import LoanState

S = LoanStatus


class LoanEvent(IntEnum):
    """What happens to a loan. The first four are a loan's standing when a day closes
    or a payment lands; the rest are acts."""

    ON_SCHEDULE = 0  # nothing past the grace days; original terms
    ON_PLAN = 1  # nothing past the grace days; restructured terms
    PAST_GRACE = 2  # an instalment unpaid beyond the grace days
    SETTLED = 3  # nothing owed
    DISBURSE = 4  # the money went out
    RESTRUCTURE = 5  # the terms were replaced under a negotiated plan
    CHARGE_OFF = 6  # what is owed was written off
    REOPEN = 7  # a reversed payment leaves a paid-off loan owing again
    CANCEL = 8  # the borrower withdrew within the cooling-off window, returning the money


E = LoanEvent

_OPEN: Final = (S.DISBURSED, S.CURRENT, S.OVERDUE, S.RESTRUCTURED)

#: status x event -> status. Pairs not listed are refused.
TRANSITIONS: Final[dict[tuple[LoanStatus, LoanEvent], LoanStatus]] = {
    (S.APPROVED, E.DISBURSE): S.DISBURSED,
    **{(status, E.ON_SCHEDULE): S.CURRENT for status in _OPEN},
    **{(status, E.ON_PLAN): S.RESTRUCTURED for status in _OPEN},
    **{(status, E.PAST_GRACE): S.OVERDUE for status in _OPEN},
    **{(status, E.SETTLED): S.PAID_OFF for status in _OPEN},
    **{(status, E.RESTRUCTURE): S.RESTRUCTURED for status in _OPEN},
    **{(status, E.CHARGE_OFF): S.CHARGED_OFF for status in _OPEN},
    **{(status, E.CANCEL): S.PAID_OFF for status in _OPEN},
    (S.PAID_OFF, E.REOPEN): S.CURRENT,
}


def transition(status: LoanStatus, event: LoanEvent) -> LoanStatus:
    """The status a loan in ``status`` moves to on ``event``."""
    after_event = TRANSITIONS.get((status, event))
    if after_event is None:
        raise Conflict(
            f"a {status.name.lower()} loan cannot take {event.name.lower()}",
            code="loan_transition_must_be_allowed", status=status.name.lower(),
            event=event.name.lower())
    return after_event


def after(loan: LoanState, event: LoanEvent) -> LoanState:
    """``loan`` with the status ``event`` moves it to; a restructure is remembered."""
    return replace(loan, status=transition(loan.status, event),
                   restructured=loan.restructured or event is LoanEvent.RESTRUCTURE)


def standing_event(status: LoanStatus, *, settled: bool, late: bool,
                   restructured: bool) -> LoanEvent:
    """A loan's standing as an event: settled, past its grace days (``late``), or in
    good standing on its original or its restructured terms. A loan whose status is
    ``RESTRUCTURED`` is on restructured terms whatever its flag says."""
    if settled:
        return LoanEvent.SETTLED
    if late:
        return LoanEvent.PAST_GRACE
    if restructured or status is LoanStatus.RESTRUCTURED:
        return LoanEvent.ON_PLAN
    return LoanEvent.ON_SCHEDULE


def standing_status(status: LoanStatus, *, settled: bool, late: bool,
                    restructured: bool) -> LoanStatus:
    """The status after a day closes or a payment lands (an open loan only)."""
    return transition(status, standing_event(status, settled=settled, late=late,
                                             restructured=restructured))


def _standing_table() -> tuple[tuple[tuple[tuple[int, ...], ...], ...], ...]:
    """``[status][settled][late][restructured] -> status`` for every combination; a
    status the standing events do not apply to (a closed loan) maps to itself."""
    def cell(status: LoanStatus, settled: bool, late: bool, restructured: bool) -> int:
        if not status.is_open:
            return int(status)
        return int(standing_status(status, settled=settled, late=late,
                                   restructured=restructured))

    flags = (False, True)
    return tuple(tuple(tuple(tuple(cell(status, s, lt, r) for r in flags) for lt in flags)
                       for s in flags) for status in LoanStatus)


#: The standing rule tabulated: ``STANDING_STATUS[status][settled][late][restructured]``
#: (each flag 0 or 1) is :func:`standing_status`'s answer; closed statuses map to
#: themselves. The columnar kernel indexes it instead of restating the rule.
STANDING_STATUS: Final = _standing_table()
