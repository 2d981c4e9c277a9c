"""Notices a borrower gets because something happened on their account: a receipt
when a payment posts, a confirmation when a repayment plan is agreed, and the
education guides as the portal shows them.

:func:`notify_payment` and :func:`notify_plan` write their messages inside the
caller's unit of work (never committing), so a notice exists exactly when the change
that caused it was committed. Each channel is judged by the compliance guard first,
like every message: a receipt is transactional, not a request for payment, so it
carries no payment tags, but it still respects a borrower's opt-outs, a request to
cease contact, and the contact hours (a payment taken at night is acknowledged when
the window opens). Receipts and confirmations go to the in-app inbox, and by e-mail
when the borrower has an address on file; never by SMS, which may not show amounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dunwell.channels.model import MessageChannel

if TYPE_CHECKING:  # the outbox, the compliance guard, the letters and the store are
    # imported by the functions that use them, so a module that imports this one (the
    # payment service behind `dunwell pay` and `dunwell loan`) starts without them
    from dunwell.app.context import Providers
    from dunwell.app.uow import UnitOfWork
    from dunwell.channels.model import Message
    from dunwell.channels.ports import Templates
    from dunwell.compliance.model import Verdict
    from dunwell.lending.loans import LoanState
    from dunwell.settings import Settings
    from dunwell.store.negotiation_repo import PlanRecord
    from dunwell.store.outbox_repo import Draft, NoticeFacts
    from dunwell.store.repositories import PaymentRecord

#: The channels a receipt or a plan confirmation goes on (e-mail only with an address).
NOTICE_CHANNELS: tuple[MessageChannel, ...] = (MessageChannel.IN_APP, MessageChannel.EMAIL)
#: What each notice does, in the compliance guard's vocabulary.
NOTICE_TAGS: dict[str, tuple[str, ...]] = {
    "payment_received": ("no_deadline_pressure",),
    "plan_confirmation": ("plan_confirmation", "instalment_plan", "no_deadline_pressure"),
}


def notify_payment(uow: UnitOfWork, *, payment: PaymentRecord, borrower_id: int,
                   providers: Providers, settings: Settings | None = None,
                   now: dt.datetime | None = None) -> list[Message]:
    """Queue the ``payment_received`` receipt for a payment just posted, inside ``uow``.

    Idempotent per payment and channel (a replayed payment queues nothing new); a
    borrower without a profile, or every channel the guard denies, gets none."""
    return notify_payments(uow, payments=[(payment, borrower_id)], providers=providers,
                           settings=settings, now=now)[0]


def notify_payments(uow: UnitOfWork, *, payments: Sequence[tuple[PaymentRecord, int]],
                    providers: Providers, settings: Settings | None = None,
                    now: dt.datetime | None = None) -> list[list[Message]]:
    """The receipts of ``payments`` ((payment, borrower id), in order), the same
    messages :func:`notify_payment` queues for each one by one, read and written
    together (:func:`queue_notices`); each payment's messages, in order."""
    from dunwell.settings import Settings

    return queue_notices(
        uow, [NoticeRequest(borrower_id, "payment_received",
                            {"amount_minor": p.amount_minor, "currency": p.currency,
                             "paid_on": p.business_date}, ("payment", p.payment_id))
              for p, borrower_id in payments],
        settings=settings or Settings(), providers=providers,
        now=now or dt.datetime.now(dt.UTC))


def notify_plan(uow: UnitOfWork, *, plan: PlanRecord, loan: LoanState, providers: Providers,
                settings: Settings | None = None,
                now: dt.datetime | None = None) -> list[Message]:
    """Queue the ``plan_confirmation`` for a plan just accepted, inside ``uow``: how many
    instalments, the first one's amount and date, read from the restructured loan."""
    from dunwell.core.dates import from_day
    from dunwell.settings import Settings

    planned = sorted((i for i in loan.installments if plan.first_n <= i.n <= plan.last_n),
                     key=lambda i: i.n)
    if not planned:
        return []
    first = planned[0]
    return queue_notice(
        uow, settings=settings or Settings(), providers=providers, borrower_id=plan.borrower_id,
        kind="plan_confirmation", case_id=plan.case_id,
        context={"instalment_minor": first.unpaid_total_minor, "currency": loan.currency,
                 "instalments_count": len(planned), "first_due_date": from_day(first.due_day)},
        key_parts=("plan", plan.plan_id), now=now or dt.datetime.now(dt.UTC))


@dataclass(frozen=True, slots=True)
class NoticeRequest:
    """One notice to queue: ``kind`` for ``borrower_id``, the template's ``context``
    (the borrower's name is added), and what its idempotency key is made of (the
    channel is added)."""

    borrower_id: int
    kind: str
    context: Mapping[str, object]
    key_parts: tuple[object, ...]
    case_id: str | None = None


def queue_notice(uow: UnitOfWork, *, settings: Settings, providers: Providers,
                 borrower_id: int, kind: str,
                 context: Mapping[str, object], key_parts: tuple[object, ...],
                 now: dt.datetime, case_id: str | None = None) -> list[Message]:
    """Write notice ``kind`` on each of :data:`NOTICE_CHANNELS` the guard does not deny,
    due when the guard's window allows; the borrower's name and language come from
    their profile."""
    return queue_notices(uow, [NoticeRequest(borrower_id, kind, context, key_parts, case_id)],
                         settings=settings, providers=providers, now=now)[0]


def queue_notices(uow: UnitOfWork, requests: Sequence[NoticeRequest], *, settings: Settings,
                  providers: Providers, now: dt.datetime) -> list[list[Message]]:
    """:func:`queue_notice` of each request, in order, with the facts of all their
    borrowers read once (:func:`read_notice_facts`), the messages judged and rendered
    from them (:func:`draft_notices`, no database) and written with one statement
    (:meth:`~dunwell.store.outbox_repo.OutboxRepository.add_many`): the same messages,
    keys and due times as one by one, since queuing a notice changes none of the
    facts the next one reads. Each request's messages, in order."""
    if not requests:
        return []
    facts = read_notice_facts(uow, [r.borrower_id for r in requests])
    drafts = [draft_notices(r, facts.get(r.borrower_id), settings=settings,
                            providers=providers, now=now) for r in requests]
    written = iter(uow.outbox.add_many([d for ds in drafts for d in ds], now=now))
    return [[next(written) for _ in ds] for ds in drafts]


def read_notice_facts(uow: UnitOfWork, borrower_ids: Sequence[int]) -> dict[int, NoticeFacts]:
    """The facts of each of ``borrower_ids`` that has a profile, read once for them all:
    in one round trip on PostgreSQL
    (:meth:`~dunwell.store.outbox_repo.ChannelFactsRepository.notice_facts`), else the
    profiles, then the histories and addresses of those found."""
    from dunwell.store.outbox_repo import NoticeFacts

    ids = list(dict.fromkeys(borrower_ids))
    pipelined = uow.channel_facts.notice_facts(ids)
    if pipelined is not None:
        return pipelined
    profiles = uow.borrowers.many(ids)
    found = [bid for bid in ids if bid in profiles]
    if not found:
        return {}
    histories = uow.actions.contacts_for(found)
    addresses: dict[int, dict[MessageChannel, str]] = {bid: {} for bid in found}
    for (bid, channel), address in uow.channel_facts.addresses(found).items():
        addresses[bid][channel] = address
    return {bid: NoticeFacts(profiles[bid], histories.get(bid, []), addresses[bid])
            for bid in found}


def draft_notices(request: NoticeRequest, facts: NoticeFacts | None, *, settings: Settings,
                  providers: Providers, now: dt.datetime) -> list[Draft]:
    """The messages of ``request`` from the borrower's ``facts`` (None: no profile, no
    message): one on each of :data:`NOTICE_CHANNELS` the guard does not deny (e-mail
    only with an address), due when the guard's window allows. Reads no database."""
    from zoneinfo import ZoneInfo

    from dunwell.app.channels.outbox import CONTACT_CHANNEL, render_draft
    from dunwell.app.collections.contacts import judge_contact
    from dunwell.channels.rules import message_key
    from dunwell.compliance.model import Channel, Decision

    if facts is None:
        return []
    profile = facts.profile
    at = now.astimezone(ZoneInfo(profile.borrower.timezone))
    drafts: list[Draft] = []
    for channel in NOTICE_CHANNELS:
        address = facts.addresses.get(channel)
        if channel is MessageChannel.EMAIL and address is None:
            continue
        verdict = judge_contact(profile, facts.history, at=at,
                                channel=Channel(CONTACT_CHANNEL[channel]),
                                content_tags=NOTICE_TAGS[request.kind])
        if verdict.decision is Decision.DENY:
            continue
        not_before, not_after = _due(verdict, now)
        drafts.append(render_draft(
            settings=settings, providers=providers, borrower_id=request.borrower_id,
            kind=request.kind, channel=channel,
            language=profile.borrower.language or "en",
            context={"borrower_name": profile.name, **request.context},
            key=message_key(*request.key_parts, channel.value), address=address,
            case_id=request.case_id, not_before=not_before, not_after=not_after))
    return drafts


def _due(verdict: Verdict, now: dt.datetime) -> tuple[dt.datetime, dt.datetime | None]:
    """When a notice may go: now (until the window closes), or when the guard's
    deferral ends."""
    from dunwell.compliance.model import Decision

    if verdict.decision is Decision.DEFER and verdict.defer_until is not None:
        return verdict.defer_until, None
    window = verdict.window
    if window is None:
        return now, None
    return max(now, window.starts_at), window.ends_at


@dataclass(frozen=True, slots=True)
class Guide:
    """One education guide as a page shows it: title and blocks of lines, where a block
    is ``("list", lines)`` for bullets or ``("text", lines)`` for a paragraph."""

    topic: str
    language: str
    title: str
    blocks: tuple[tuple[str, tuple[str, ...]], ...]


#: Regions the rights guide has complaint routes for.
GUIDE_REGIONS = ("CN", "US", "UK")
#: The greeting a guide opens with when it is not addressed to anyone by name.
_GREETINGS = frozenset({"Hello,", "您好："})


def education_guide(settings: Settings, *, templates: Templates, topic: str, language: str,
                    region: str = "CN") -> Guide:
    """The guide ``topic`` in ``language`` as the portal shows it to anyone: the
    in-app message without a greeting and without its opt-out line; the rights guide
    names ``region``'s complaint routes. ``templates`` are the context's
    (``app.providers.templates()``)."""
    from dunwell.app.letters.sender import lender_name, public_base_url
    from dunwell.channels.locale import language_for
    from dunwell.channels.rules import (
        EDUCATION_TITLES,
        EDUCATION_TOPICS,
        has_opt_out_notice,
        split_subject,
    )
    from dunwell.core.errors import InvalidInput, NotFound

    if topic not in EDUCATION_TOPICS:
        raise NotFound(f"no guide {topic!r}; there are {', '.join(EDUCATION_TOPICS)}",
                       code="education_topic_must_exist")
    if region not in GUIDE_REGIONS:
        raise InvalidInput(f"region must be one of {', '.join(GUIDE_REGIONS)}, not {region!r}",
                           code="education_region_must_be_known", field="region")
    lang = language_for(language)
    base = public_base_url(settings)
    phone = settings.lender_phone.strip() or settings.support_contact
    context = {"borrower_name": "", "lender_name": lender_name(settings, lang),
               "support_contact": phone, "region": region,
               "verify_page": f"{base}/letters/verify" if base else "/letters/verify",
               "topic_title": EDUCATION_TITLES[topic][lang]}
    text = templates.render(f"education_{topic}", lang, context)
    subject, body = split_subject(text)
    blocks: list[tuple[str, tuple[str, ...]]] = []
    for chunk in body.split("\n\n"):
        lines = [ln.strip() for ln in chunk.splitlines() if ln.strip()]
        if not lines or (lines == [lines[0]] and lines[0] in _GREETINGS):
            continue
        if has_opt_out_notice(" ".join(lines), lang):
            continue
        bullets = [ln[2:] for ln in lines if ln.startswith("- ")]
        text_lines = [ln for ln in lines if not ln.startswith("- ")]
        if text_lines:
            blocks.append(("text", tuple(text_lines)))
        if bullets:
            blocks.append(("list", tuple(bullets)))
    title = subject.split("】", 1)[-1].strip()
    return Guide(topic, lang, title, tuple(blocks))


__all__ = ["GUIDE_REGIONS", "NOTICE_CHANNELS", "NOTICE_TAGS", "Guide", "NoticeRequest",
           "draft_notices", "education_guide", "notify_payment", "notify_payments",
           "notify_plan", "queue_notice", "queue_notices", "read_notice_facts"]
