"""The universal vulnerability rule holds in every pack: a borrower known to be
vulnerable is never asked for payment, charged a fee or threatened with suit, on any
channel; reminders, plan offers and signposts to free advice still reach them."""

from __future__ import annotations

import datetime as dt

import pytest

from dunwell.compliance import Borrower, Channel, ContentTag, Jurisdiction, ProposedAction, decide
from dunwell.compliance.model import Decision, Flag

#: Noon on a Friday in each pack's home zone: inside every pack's hours.
NOON = {
    Jurisdiction.CN_NIFA: ("Asia/Shanghai", "2025-05-02T12:00:00+08:00"),
    Jurisdiction.US_REGF: ("America/Chicago", "2025-05-02T12:00:00-05:00"),
    Jurisdiction.UK_FCA: ("Europe/London", "2025-05-02T12:00:00+01:00"),
}
VULNERABLE = frozenset({Flag.VULNERABLE})


def _judge(j: Jurisdiction, channel: Channel, *tags: ContentTag,
           flags: frozenset[Flag] = VULNERABLE) -> tuple[Decision, str | None]:
    zone, ts = NOON[j]
    extra = {ContentTag.OPT_OUT_NOTICE} if channel is not Channel.CALL else set()
    action = ProposedAction(dt.datetime.fromisoformat(ts), channel,
                            content_tags=frozenset({*tags, *extra}))
    verdict = decide(action, [], Borrower(zone, flags), j)
    return verdict.decision, verdict.rule


@pytest.mark.parametrize("j", list(Jurisdiction))
@pytest.mark.parametrize("tag", [ContentTag.PAYMENT_REQUEST, ContentTag.FEE_ADDED,
                                 ContentTag.THREAT_OF_SUIT])
@pytest.mark.parametrize("channel", [Channel.CALL, Channel.SMS])
def test_a_vulnerable_borrower_is_never_pressed_for_payment(
        j: Jurisdiction, tag: ContentTag, channel: Channel) -> None:
    assert _judge(j, channel, tag) == (Decision.DENY, "UNIVERSAL-VULNERABLE")


@pytest.mark.parametrize("j", list(Jurisdiction))
def test_the_same_request_to_a_borrower_not_known_vulnerable_is_allowed(j: Jurisdiction) -> None:
    assert _judge(j, Channel.CALL, ContentTag.PAYMENT_REQUEST, flags=frozenset()) == (
        Decision.ALLOW, None)


@pytest.mark.parametrize("j", list(Jurisdiction))
@pytest.mark.parametrize("tags", [
    (ContentTag.PAYMENT_REMINDER,),
    (ContentTag.INSTALMENT_PLAN, ContentTag.NO_DEADLINE_PRESSURE),
    (ContentTag.SIGNPOST_FREE_DEBT_ADVICE,),
])
def test_gentle_contact_still_reaches_a_vulnerable_borrower(
        j: Jurisdiction, tags: tuple[ContentTag, ...]) -> None:
    assert _judge(j, Channel.SMS, *tags) == (Decision.ALLOW, None)
