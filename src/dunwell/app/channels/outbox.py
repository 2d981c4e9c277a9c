"""The transactional outbox: messages are written in the unit of work of the decision
that caused them, and a dispatcher sends them later.

- :func:`enqueue_message` renders a template in the borrower's language and writes a
  pending message inside the caller's unit of work (it never commits);
- :func:`enqueue_for_step` is the daily collection run's hook: a message for a step
  the guard allowed on the SMS, e-mail or in-app channel, due in the guard's window;
- :func:`dispatch_outbox` claims due messages, sends each with its idempotency key,
  and records the attempt: sent, retried after a back-off, or dead;
- :func:`record_delivery` applies a provider's status callback once and turns it into
  a contact the compliance guard counts.

A dispatcher that dies after a provider accepted a message but before recording it
leaves the message ``sending`` with a lease; once the lease ends another dispatch
claims it and sends it again with the same key, which the provider answers with the
first receipt instead of delivering twice.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dunwell.app.collections.contacts import record_contact
from dunwell.app.context import Dunwell, Providers
from dunwell.app.letters.sender import lender_name, public_base_url
from dunwell.app.uow import UnitOfWork
from dunwell.channels.errors import MESSAGE_UNKNOWN, PermanentFailure, SendFailure
from dunwell.channels.letters import jurisdiction_region
from dunwell.channels.locale import language_for
from dunwell.channels.model import (
    Attempt,
    DeliveryStatus,
    Message,
    MessageChannel,
    MessageStatus,
    RetryPolicy,
)
from dunwell.channels.outbox import after_failure, after_report, expired
from dunwell.channels.ports import ChannelProvider
from dunwell.channels.rules import (
    EDUCATION_TITLES,
    content_problems,
    education_topic,
    message_for_step,
    message_key,
    split_subject,
    template_for_step,
)
from dunwell.collections.model import ProposedStep
from dunwell.compliance.model import Verdict
from dunwell.core.errors import InvalidInput, NotFound
from dunwell.settings import Settings
from dunwell.store.borrowers_repo import BorrowerProfile
from dunwell.store.outbox_repo import Draft

if TYPE_CHECKING:  # the repository's interface, for the type checker
    from dunwell.store.outbox_repo import OutboxRepository

#: Messages one dispatch sends at the most.
DISPATCH_LIMIT_MAX = 10_000
#: The compliance vocabulary's channel for each message channel (contacts table).
CONTACT_CHANNEL = {MessageChannel.SMS: "sms", MessageChannel.EMAIL: "email",
                   MessageChannel.IN_APP: "in_app", MessageChannel.VOICE: "call"}

Progress = Callable[[int, int], None]


def retry_policy(settings: Settings) -> RetryPolicy:
    base = settings.outbox_backoff_base_seconds
    return RetryPolicy(attempts_max=settings.outbox_attempts_max, base_seconds=base,
                       cap_seconds=max(base, settings.outbox_backoff_cap_seconds))


def enqueue_message(uow: UnitOfWork, *, settings: Settings, providers: Providers,
                    borrower_id: int, kind: str, channel: MessageChannel, language: str,
                    context: Mapping[str, object], key: str, now: dt.datetime,
                    case_id: str | None = None, action_id: int | None = None,
                    not_before: dt.datetime | None = None,
                    not_after: dt.datetime | None = None) -> Message:
    """Render template ``kind`` in the borrower's ``language`` (a tag like ``zh`` or
    ``en-GB``) and write the message as pending, inside ``uow``, for the provider the
    settings choose for ``channel``. ``key`` is the message's idempotency key: the
    same key and content again returns the first message; the lender's name (its
    legal name in the message's language, the same name letters carry) and support
    phone come from ``settings`` unless ``context`` gives them. ``providers`` are the
    context's (``app.providers``): the templates and the provider names."""
    draft = render_draft(settings=settings, providers=providers, borrower_id=borrower_id,
                         kind=kind, channel=channel, language=language, context=context,
                         key=key, address=uow.channel_facts.address(borrower_id, channel),
                         case_id=case_id, action_id=action_id, not_before=not_before,
                         not_after=not_after)
    message, _ = uow.outbox.add(draft, now=now)
    return message


def render_draft(*, settings: Settings, providers: Providers, borrower_id: int, kind: str,
                 channel: MessageChannel, language: str, context: Mapping[str, object],
                 key: str, address: str | None, case_id: str | None = None,
                 action_id: int | None = None, not_before: dt.datetime | None = None,
                 not_after: dt.datetime | None = None) -> Draft:
    """The message :func:`enqueue_message` writes, rendered but not written: no
    database, so a batch renders all its messages from facts read once. ``address``
    is the borrower's on ``channel`` (None: none on file; in-app messages then go to
    the borrower's account)."""
    book = providers.templates()
    lang = language_for(language)
    full = {"lender_name": lender_name(settings, lang),
            "support_contact": settings.lender_phone.strip() or settings.support_contact,
            **context}
    template = book.template(kind, lang)
    text = template.render(full)
    problems = content_problems(channel, template.language, text, template.requires)
    if problems:
        raise InvalidInput(f"{kind} ({template.language}) by {channel.value}: "
                           f"{'; '.join(problems)}",
                           code="message_content_must_suit_channel", kind=kind)
    subject, body = split_subject(text)
    if address is None and channel is MessageChannel.IN_APP:
        address = f"borrower:{borrower_id}"
    return Draft(idempotency_key=key, channel=channel,
                 provider=providers.provider_name(settings, channel), borrower_id=borrower_id,
                 to_address=address, kind=kind, language=template.language,
                 subject=subject, body=body, case_id=case_id, action_id=action_id,
                 not_before=not_before, not_after=not_after)


def enqueue_for_step(uow: UnitOfWork, settings: Settings, *, providers: Providers,
                     step: ProposedStep, verdict: Verdict | None, action_id: int,
                     profile: BorrowerProfile, business_date: dt.date,
                     now: dt.datetime) -> Message | None:
    """The daily run's hook: write the message for ``step`` if the guard allowed it and
    it goes by SMS, e-mail or in-app to the borrower; None otherwise. The message is
    due at the step's planned time (or when the guard's window opens, if later) and
    dies unsent once the window closes."""
    if verdict is None or not verdict.allowed:
        return None
    channel = message_for_step(step.kind.value, step.channel)
    if channel is None or step.recipient != "borrower":
        return None
    template = template_for_step(step.kind.value, channel, step.occurrence)
    context: dict[str, object]
    if step.kind.value == "education":
        context = education_context(settings, profile, topic=education_topic(step.occurrence))
    else:
        due = uow.channel_facts.amount_due(profile.borrower_id, step.due_date)
        if due is None:
            return None
        amount_minor, currency = due
        context = {"borrower_name": profile.name, "amount_minor": amount_minor,
                   "currency": currency, "due_date": step.due_date}
    zone = ZoneInfo(profile.borrower.timezone)
    planned = dt.datetime.combine(business_date, step.planned_time, tzinfo=zone)
    window = verdict.window
    not_before = max(planned, window.starts_at) if window is not None else planned
    not_after = window.ends_at if window is not None else None
    key = message_key("collect", step.case_id, step.step_id, step.due_date.isoformat(),
                      step.occurrence, business_date.isoformat(), channel.value)
    return enqueue_message(
        uow, settings=settings, providers=providers, borrower_id=profile.borrower_id,
        kind=template,
        channel=channel, language=profile.borrower.language or "en", context=context,
        key=key, now=now, case_id=None if step.case_id.startswith("pre-") else step.case_id,
        action_id=action_id, not_before=not_before, not_after=not_after)


def education_context(settings: Settings, profile: BorrowerProfile, *,
                      topic: str) -> dict[str, object]:
    """What the education templates read: the borrower's name, the topic's title (for
    the SMS), the jurisdiction's region (for the rights guide), and the public pages
    that check a letter and hold the guides (empty when there is no public address)."""
    base = public_base_url(settings)
    lang = language_for(profile.borrower.language or "en")
    return {"borrower_name": profile.name, "topic_title": EDUCATION_TITLES[topic][lang],
            "region": jurisdiction_region(profile.jurisdiction.value),
            "verify_page": f"{base}/letters/verify" if base else "",
            "learn_url": f"{base}/portal/learn/{topic}" if base else ""}


@dataclass(frozen=True)
class DispatchResult:
    message_id: int
    channel: str
    provider: str
    attempt_no: int
    outcome: str  # sent | retry | failed | expired | lost
    error: str | None = None
    next_attempt_at: dt.datetime | None = None


@dataclass
class DispatchReport:
    claimed: int = 0
    results: list[DispatchResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    def to_json(self) -> dict[str, object]:
        return {"claimed": self.claimed, "sent": self.count("sent"),
                "retry": self.count("retry"), "failed": self.count("failed"),
                "expired": self.count("expired"), "lost": self.count("lost"),
                "results": [{"message_id": r.message_id, "channel": r.channel,
                             "provider": r.provider, "attempt": r.attempt_no,
                             "outcome": r.outcome, "error": r.error,
                             "next_attempt_at": r.next_attempt_at.isoformat()
                             if r.next_attempt_at else None} for r in self.results]}


def dispatch_outbox(app: Dunwell, *, now: dt.datetime, limit: int = 100,
                    providers: Mapping[str, ChannelProvider] | None = None,
                    rng: random.Random | None = None, policy: RetryPolicy | None = None,
                    progress: Progress | None = None) -> DispatchReport:
    """Send up to ``limit`` due messages. The claim is one transaction; each message's
    outcome is another, so a crash loses at most the record of one send, which the
    idempotency key makes safe to repeat."""
    if not 1 <= limit <= DISPATCH_LIMIT_MAX:
        raise InvalidInput(f"limit must be between 1 and {DISPATCH_LIMIT_MAX}, not {limit}",
                           code="dispatch_limit_must_be_bounded")
    settings = app.settings
    providers = app.providers.channels(settings) if providers is None else providers
    rng = rng or random.Random()
    policy = policy or retry_policy(settings)
    lease = dt.timedelta(seconds=settings.outbox_lease_seconds)
    with app.uow() as uow:
        repo = uow.outbox
        claimed = repo.claim(now=now, limit=limit, lease=lease)
        repo.add_attempts([Attempt(m.message_id, m.attempts, now, "started") for m in claimed])
        uow.commit()
    report = DispatchReport(claimed=len(claimed))
    for k, message in enumerate(claimed):
        report.results.append(_send_one(app, message, providers, policy, rng, now))
        if progress is not None:
            progress(k + 1, len(claimed))
    return report


def _send_one(app: Dunwell, message: Message, providers: Mapping[str, ChannelProvider],
              policy: RetryPolicy, rng: random.Random, now: dt.datetime) -> DispatchResult:
    attempt = message.attempts
    receipt_id: str | None = None
    error: str | None = None
    retryable = False
    if expired(message.not_after, now):
        assert message.not_after is not None
        status, outcome, later = MessageStatus.FAILED, "expired", None
        error = (f"window_closed: the contact window closed at "
                 f"{message.not_after.isoformat()}; it was not sent")
    else:
        provider = providers.get(message.provider)
        try:
            if provider is None:
                raise _unknown_provider(message.provider, providers)
            receipt_id = provider.send(message.outgoing()).provider_message_id
        except SendFailure as exc:
            error, retryable = str(exc), exc.retryable
        except Exception as exc:  # a provider's bug must not lose the message
            error, retryable = f"provider_error: {type(exc).__name__}: {exc}", True
        if receipt_id is not None:
            status, outcome, later = MessageStatus.SENT, "sent", None
        else:
            status, later = after_failure(policy, attempt=attempt, retryable=retryable,
                                          now=now, jitter=rng.random(),
                                          not_after=message.not_after)
            outcome = "retry" if status is MessageStatus.PENDING else "failed"
    with app.uow() as uow:
        repo = uow.outbox
        kept = repo.finish_attempt(message, status=status, now=now, next_attempt_at=later,
                                   provider_message_id=receipt_id, error=error)
        repo.record_attempt_outcome(message.message_id, attempt, outcome=outcome, error=error,
                                    provider_message_id=receipt_id)
        uow.commit()
    return DispatchResult(message.message_id, message.channel.value, message.provider,
                          attempt, outcome if kept else "lost", error, later)


def _unknown_provider(name: str, providers: Mapping[str, ChannelProvider]) -> SendFailure:
    return PermanentFailure(f"provider {name!r} is not configured here (have: "
                            f"{', '.join(sorted(providers)) or 'none'})",
                            code="channel_provider_must_be_registered")


@dataclass(frozen=True)
class DeliveryOutcome:
    message: Message
    changed: bool


def record_delivery(app: Dunwell, *, provider: str, status: str, at: dt.datetime,
                    now: dt.datetime, provider_message_id: str | None = None,
                    idempotency_key: str | None = None,
                    error: str | None = None) -> DeliveryOutcome:
    """Apply a provider's delivery report, found by its message id or our key. The
    same report twice changes nothing the second time; the first one becomes a
    ``delivered``/``undelivered`` contact in the borrower's history."""
    try:
        reported = DeliveryStatus(status)
    except ValueError:
        raise InvalidInput(f"status must be delivered or undelivered, not {status!r}",
                           code="delivery_status_must_be_known", field="status") from None
    if at.tzinfo is None or now.tzinfo is None:
        raise InvalidInput("report times must carry a time zone",
                           code="delivery_time_must_be_aware", field="at")
    with app.uow() as uow:
        repo = uow.outbox
        message = _find(repo, provider, provider_message_id, idempotency_key)
        target, changed = after_report(message.status, reported)
        if changed:
            repo.settle(message, status=target, at=at, error=error)
            record_contact(uow, borrower_id=message.borrower_id, at=at,
                           channel=CONTACT_CHANNEL[message.channel], outcome=target.value,
                           action_id=message.action_id, now=now)
        repo.add_report(provider=provider, message_id=message.message_id, status=reported.value,
                        at=at, received_at=now, applied=changed, error=error)
        stored = repo.get(message.message_id)
        uow.commit()
    return DeliveryOutcome(stored, changed)


def _find(repo: OutboxRepository, provider: str, provider_message_id: str | None,
          key: str | None) -> Message:
    if not provider_message_id and not key:
        raise InvalidInput("send the provider's message id (id) or our key (client_ref)",
                           code="delivery_report_must_name_message", field="id")
    found = None
    if provider_message_id:
        found = repo.find_by_provider_id(provider, provider_message_id)
    if found is None and key:
        found = repo.find_by_key(key)
        if found is not None and found.provider != provider:
            found = None
    if found is None:
        raise NotFound(f"no message of provider {provider!r} with id "
                       f"{provider_message_id or key!r}", code=MESSAGE_UNKNOWN)
    return found


_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")


def set_channel_address(app: Dunwell, *, borrower_id: int, channel: str,
                        address: str) -> None:
    """Record where ``channel`` reaches a borrower: an E.164 phone number for SMS and
    voice (``+8613800000001``), an e-mail address for e-mail."""
    try:
        chosen = MessageChannel(channel)
    except ValueError:
        raise InvalidInput(f"channel must be sms, email or voice, not {channel!r}",
                           code="address_channel_must_be_known", field="channel") from None
    address = address.strip()
    if chosen is MessageChannel.IN_APP:
        raise InvalidInput("in-app messages reach the borrower's account; no address needed",
                           code="address_channel_must_be_known", field="channel")
    if chosen is MessageChannel.EMAIL and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        raise InvalidInput(f"{address!r} is not an e-mail address (name@example.org)",
                           code="address_must_be_valid", field="address")
    if chosen in (MessageChannel.SMS, MessageChannel.VOICE) and not _PHONE.match(address):
        raise InvalidInput(f"{address!r} is not a phone number in E.164 form "
                           "(+8613800000001)", code="address_must_be_valid", field="address")
    with app.uow() as uow:
        uow.channel_facts.set_address(borrower_id, chosen, address)
        uow.commit()


def list_messages(app: Dunwell, *, status: str | None = None,
                  limit: int = 100) -> list[Message]:
    chosen = None
    if status is not None:
        try:
            chosen = MessageStatus(status)
        except ValueError:
            raise InvalidInput(f"status must be one of {', '.join(s.value for s in MessageStatus)}",
                               code="message_status_must_be_known", field="status") from None
    with app.uow() as uow:
        return uow.outbox.recent(status=chosen, limit=limit)


def due_count(app: Dunwell, *, now: dt.datetime) -> int:
    with app.uow() as uow:
        return uow.outbox.due_count(now)


__all__ = [
    "DeliveryOutcome",
    "DispatchReport",
    "DispatchResult",
    "dispatch_outbox",
    "due_count",
    "education_context",
    "enqueue_for_step",
    "enqueue_message",
    "list_messages",
    "record_delivery",
    "render_draft",
    "retry_policy",
    "set_channel_address",
]
