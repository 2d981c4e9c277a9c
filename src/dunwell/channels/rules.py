"""Rules about message content: which step kinds become messages, how their
idempotency keys are derived, where an e-mail's subject is, and what an SMS or an
e-mail must (an opt-out notice) and must not (debt details on an SMS) carry."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

from dunwell.channels.model import MessageChannel
from dunwell.core.errors import InvalidInput

#: Step kinds of the collection ladder that become outbox messages, by template name.
MESSAGE_STEP_KINDS: Final[frozenset[str]] = frozenset(
    {"sms_reminder", "email_reminder", "in_app_reminder", "hardship_outreach", "education"}
)
#: The ``education`` step's topics, in the order its occurrences send them (the first
#: occurrence the first topic, and so on round): template ``education_<topic>``.
EDUCATION_TOPICS: Final[tuple[str, ...]] = (
    "penalty_interest", "budgeting", "rights", "fake_collectors")
#: Each topic's title, as the short SMS (``education_sms``) names it.
EDUCATION_TITLES: Final[dict[str, dict[str, str]]] = {
    "penalty_interest": {"en": "how penalty interest grows", "zh-CN": "罚息是怎样累积的"},
    "budgeting": {"en": "budgeting for a repayment", "zh-CN": "如何为还款做预算"},
    "rights": {"en": "your rights in collection", "zh-CN": "催收过程中您的权利"},
    "fake_collectors": {"en": "how to recognise a fake collector",
                        "zh-CN": "如何识别假冒催收"},
}
#: Channels the outbox sends on (letters, visits and calls go elsewhere).
OUTBOX_CHANNELS: Final[frozenset[MessageChannel]] = frozenset(
    {MessageChannel.SMS, MessageChannel.EMAIL, MessageChannel.IN_APP}
)
#: The channels each message template may go on; a template checked for all of them.
TEMPLATE_CHANNELS: Final[dict[str, frozenset[MessageChannel]]] = {
    "sms_reminder": frozenset({MessageChannel.SMS}),
    "email_reminder": frozenset({MessageChannel.EMAIL}),
    "in_app_reminder": frozenset({MessageChannel.IN_APP}),
    "hardship_outreach": frozenset(
        {MessageChannel.SMS, MessageChannel.EMAIL, MessageChannel.IN_APP}),
    "payment_received": frozenset({MessageChannel.EMAIL, MessageChannel.IN_APP}),
    "plan_confirmation": frozenset({MessageChannel.EMAIL, MessageChannel.IN_APP}),
    **{f"education_{topic}": frozenset({MessageChannel.EMAIL, MessageChannel.IN_APP})
       for topic in EDUCATION_TOPICS},
    "education_sms": frozenset({MessageChannel.SMS}),
}
#: Channels whose texts must tell the reader how to stop them (US Reg F §1006.6(e)).
OPT_OUT_CHANNELS: Final[frozenset[MessageChannel]] = frozenset(
    {MessageChannel.SMS, MessageChannel.EMAIL}
)
#: Phrases that count as an opt-out notice, by template language.
OPT_OUT_PHRASES: Final[dict[str, tuple[str, ...]]] = {
    "en": ("reply stop", "unsubscribe"),
    "zh-CN": ("退订",),
}
SUBJECT_PREFIX: Final[str] = "Subject:"


def message_key(*parts: object) -> str:
    """A stable idempotency key from the facts that identify a message.

    >>> message_key("action", 42, "sms")
    'msg-1e05df9e9585154c59c79bc3'
    """
    if not parts:
        raise InvalidInput("a message key needs at least one part",
                           code="message_key_must_have_parts")
    canonical = "\x1f".join(str(p) for p in parts)
    return "msg-" + hashlib.sha256(canonical.encode()).hexdigest()[:24]


def message_for_step(kind: str, channel: str | None) -> MessageChannel | None:
    """The outbox channel a collection step's message goes on, or None when the step
    is not an outbox message (a call, a letter, a visit, an internal step)."""
    if kind not in MESSAGE_STEP_KINDS or channel is None:
        return None
    try:
        found = MessageChannel(channel)
    except ValueError:
        return None
    return found if found in OUTBOX_CHANNELS else None


def education_topic(occurrence: int) -> str:
    """The topic the ``education`` step's ``occurrence`` (0 for the first) sends.

    >>> education_topic(0), education_topic(3), education_topic(4)
    ('penalty_interest', 'fake_collectors', 'penalty_interest')
    """
    return EDUCATION_TOPICS[occurrence % len(EDUCATION_TOPICS)]


def template_for_step(kind: str, channel: MessageChannel, occurrence: int) -> str:
    """The template a step's message renders: its kind, except the ``education`` step,
    whose in-app or e-mail message is the topic's guide and whose SMS only names it.

    >>> template_for_step("education", MessageChannel.IN_APP, 1)
    'education_budgeting'
    >>> template_for_step("education", MessageChannel.SMS, 1)
    'education_sms'
    """
    if kind != "education":
        return kind
    if channel is MessageChannel.SMS:
        return "education_sms"
    return f"education_{education_topic(occurrence)}"


def split_subject(text: str) -> tuple[str, str]:
    """``(subject, body)``: a rendered text whose first line is ``Subject: ...`` carries
    its e-mail subject there; otherwise the subject is empty."""
    first, _, rest = text.partition("\n")
    if first.startswith(SUBJECT_PREFIX):
        return first[len(SUBJECT_PREFIX):].strip(), rest.strip()
    return "", text.strip()


def has_opt_out_notice(text: str, language: str) -> bool:
    lowered = text.lower()
    return any(p in lowered for p in OPT_OUT_PHRASES.get(language, OPT_OUT_PHRASES["en"]))


def discloses_debt_details(variables: Iterable[str]) -> bool:
    """True when a template reads an amount (a ``*_minor`` variable): such a text
    must not go by SMS, whose preview anyone near the phone may read."""
    return any(v.endswith("_minor") for v in variables)


def content_problems(channel: MessageChannel, language: str, text: str,
                     variables: Iterable[str]) -> list[str]:
    """Why ``text`` may not go on ``channel``; empty when it may."""
    found: list[str] = []
    if channel is MessageChannel.SMS and discloses_debt_details(variables):
        found.append("an SMS may not show amounts (its preview is visible to anyone near "
                     "the phone); send this kind by e-mail or in-app")
    if channel in OPT_OUT_CHANNELS and not has_opt_out_notice(text, language):
        wanted = " or ".join(repr(p) for p in OPT_OUT_PHRASES.get(language, ()))
        found.append(f"a {channel.value} text must tell the reader how to opt out "
                     f"(e.g. {wanted})")
    return found


def template_problems(name: str, language: str, text: str,
                      variables: Iterable[str]) -> list[str]:
    """Every channel rule a rendered message template breaks, for the channels it may
    go on (see :data:`TEMPLATE_CHANNELS`); templates of other kinds (letters) have none
    here."""
    found: list[str] = []
    names = frozenset(variables)
    for channel in sorted(TEMPLATE_CHANNELS.get(name, frozenset())):
        found.extend(p for p in content_problems(channel, language, text, names)
                     if p not in found)
    return found
