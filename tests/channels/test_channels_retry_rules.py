"""The outbox's pure rules: back-off (monotone, bounded), when a message dies, the
state machine, delivery reports and idempotency keys."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunwell.channels.model import DeliveryStatus, MessageStatus, RetryPolicy
from dunwell.channels.outbox import after_failure, after_report, backoff_delay, transition
from dunwell.channels.rules import message_for_step, message_key, split_subject
from dunwell.core.errors import Conflict

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
policies = st.builds(RetryPolicy, attempts_max=st.integers(1, 20),
                     base_seconds=st.integers(1, 120), factor=st.integers(1, 4),
                     cap_seconds=st.integers(120, 7200),
                     jitter_ratio=st.floats(0.0, 1.0))
draws = st.floats(0.0, 1.0, exclude_max=True)


@given(policies, st.integers(1, 200), st.integers(1, 200), draws)
def test_for_one_draw_the_delay_never_shrinks_as_attempts_grow(
        policy: RetryPolicy, a: int, b: int, jitter: float) -> None:
    first, second = sorted((a, b))
    assert backoff_delay(policy, attempt=first, jitter=jitter) <= \
        backoff_delay(policy, attempt=second, jitter=jitter)


@given(policies, st.integers(1, 500), draws)
def test_the_delay_stays_between_the_unjittered_floor_and_the_cap(
        policy: RetryPolicy, attempt: int, jitter: float) -> None:
    delay = backoff_delay(policy, attempt=attempt, jitter=jitter).total_seconds()
    assert delay <= policy.cap_seconds
    assert delay >= policy.base_seconds * (1 - policy.jitter_ratio) - 0.001


def test_a_worked_schedule_doubles_from_thirty_seconds_up_to_the_cap() -> None:
    policy = RetryPolicy(base_seconds=30, factor=2, cap_seconds=300, jitter_ratio=0.0)
    assert [backoff_delay(policy, attempt=n, jitter=0.5).total_seconds()
            for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    half = RetryPolicy(base_seconds=30, factor=2, cap_seconds=300, jitter_ratio=0.5)
    assert backoff_delay(half, attempt=2, jitter=0.0).total_seconds() == 30
    assert backoff_delay(half, attempt=2, jitter=0.999).total_seconds() == pytest.approx(60, 0.01)


def test_a_failure_retries_until_attempts_run_out_or_the_window_closes() -> None:
    policy = RetryPolicy(attempts_max=3, base_seconds=30, jitter_ratio=0.0)
    assert after_failure(policy, attempt=1, retryable=True, now=NOW, jitter=0.0) == \
        (MessageStatus.PENDING, NOW + dt.timedelta(seconds=30))
    assert after_failure(policy, attempt=3, retryable=True, now=NOW, jitter=0.0) == \
        (MessageStatus.FAILED, None)
    assert after_failure(policy, attempt=1, retryable=False, now=NOW, jitter=0.0) == \
        (MessageStatus.FAILED, None)
    closes = NOW + dt.timedelta(seconds=10)
    assert after_failure(policy, attempt=1, retryable=True, now=NOW, jitter=0.0,
                         not_after=closes) == (MessageStatus.FAILED, None)


def test_the_state_machine_allows_only_its_transitions() -> None:
    assert transition(MessageStatus.PENDING, MessageStatus.SENDING) is MessageStatus.SENDING
    for bad in [(MessageStatus.PENDING, MessageStatus.SENT),
                (MessageStatus.FAILED, MessageStatus.PENDING),
                (MessageStatus.DELIVERED, MessageStatus.SENDING)]:
        with pytest.raises(Conflict) as err:
            transition(*bad)
        assert err.value.code == "message_status_transition_must_be_allowed"


def test_a_delivery_report_applies_once_and_a_contradiction_is_a_conflict() -> None:
    assert after_report(MessageStatus.SENT, DeliveryStatus.DELIVERED) == \
        (MessageStatus.DELIVERED, True)
    assert after_report(MessageStatus.DELIVERED, DeliveryStatus.DELIVERED) == \
        (MessageStatus.DELIVERED, False)
    # the provider delivered before the dispatcher recorded the send (it died)
    assert after_report(MessageStatus.SENDING, DeliveryStatus.UNDELIVERED) == \
        (MessageStatus.UNDELIVERED, True)
    with pytest.raises(Conflict):
        after_report(MessageStatus.DELIVERED, DeliveryStatus.UNDELIVERED)
    with pytest.raises(Conflict):
        after_report(MessageStatus.PENDING, DeliveryStatus.DELIVERED)


@given(st.lists(st.text(max_size=8), min_size=1, max_size=5))
def test_a_message_key_is_stable_and_tells_different_facts_apart(parts: list[str]) -> None:
    assert message_key(*parts) == message_key(*parts)
    assert message_key(*parts) != message_key(*parts, "x")
    assert len(message_key(*parts)) <= 128


def test_which_steps_become_messages_and_where_an_e_mail_keeps_its_subject() -> None:
    assert message_for_step("sms_reminder", "sms") is not None
    assert message_for_step("hardship_outreach", "email") is not None
    assert message_for_step("call", "call") is None
    assert message_for_step("letter", "letter") is None
    assert message_for_step("hardship_outreach", "call") is None
    assert split_subject("Subject: Hello\nDear Ann,\nbody") == ("Hello", "Dear Ann,\nbody")
    assert split_subject("Just text") == ("", "Just text")
