"""What each kind of letter says: builders that turn :class:`LetterFacts` into a
:class:`Document` with the borrower's language templates.

A builder renders its template (``letter_<kind>.<lang>.j2``), whose markup is read by
:func:`dunwell.channels.letters.document_from_markup`, and supplies the structured
parts by name: ``[[reference]]`` (letter number, date, addressee, case),
``[[arrears]]`` (a table of overdue amounts by loan and component), ``[[rights]]``
(the jurisdiction's rights and complaint routes, template ``letter_rights``) and
``[[contacts]]`` (how to reach the lender). Another part registers its own kind by
adding a builder to :data:`LETTER_KINDS`; :func:`template_letter` and
:func:`standard_inserts` are there for it to reuse.

The templates come in through the :class:`~dunwell.channels.ports.Templates` port.
The verification section (code, QR code) is not part of the built body: the code is
computed from the body's hash and appended by :mod:`dunwell.app.letters.service`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dunwell.channels.document import (
    Block,
    Document,
    Heading,
    KeyValues,
    Paragraph,
    Qr,
    Table,
)
from dunwell.channels.letters import LetterFacts, Sender, document_from_markup
from dunwell.channels.ports import Templates
from dunwell.channels.verification import grouped
from dunwell.core.errors import Conflict

LetterBuilder = Callable[[LetterFacts, Templates], Document]

_LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "letter_no": "函件编号", "date": "日期", "to": "收件人", "case": "案件编号",
        "loan": "借款编号", "principal": "本金", "interest": "利息", "penalty": "罚息",
        "fee": "费用", "total": "合计", "due_since": "最早应还日", "phone": "客服电话",
        "email": "电子邮件", "address": "通信地址", "hours": "服务时间",
        "no_address": "（地址未登记：本函以电子方式或当面送达）",
        "portal": "在线服务", "code": "核验码", "verify_url": "核验网址",
        "verify_heading": "如何核实本函真伪",
        "verify_text": "本函由{lender}出具。请扫描二维码，或打开核验网址{page}，"
                       "在页面上输入核验码，即可确认本函是否真实。核验页面只显示函件编号、类型、日期和您的姓名缩写，"
                       "不会显示任何欠款信息。如核验失败，请不要向任何人付款，并直接联系我们。",
        "verify_text_phone": "本函由{lender}出具。如需确认本函是否真实，请拨打{phone}（{hours}），"
                             "向客服报出函件编号和核验码。请只拨打本函所列或您合同上的号码。"
                             "如核验失败，请不要向任何人付款。",
        "qr_caption": "扫码核验本函：{url}",
        "verify_page": "核验页面",
        "confidential": "私密 · 仅限收件人本人",
        "reminder_title": "逾期还款提醒函", "visit_notice_title": "上门拜访预先告知函",
    },
    "en": {
        "letter_no": "Letter number", "date": "Date", "to": "To", "case": "Case reference",
        "loan": "Loan", "principal": "Principal", "interest": "Interest",
        "penalty": "Penalty interest", "fee": "Fees", "total": "Total",
        "due_since": "Oldest due date", "phone": "Phone", "email": "E-mail",
        "address": "Address", "hours": "Opening hours", "portal": "Online",
        "no_address": "(no postal address on file: delivered electronically or by hand)",
        "code": "Verification code", "verify_url": "Check at",
        "verify_heading": "How to check this letter is genuine",
        "verify_text": "This letter was issued by {lender}. Scan the QR code, or open {page} "
                       "and type in the verification code, to confirm it is genuine. The "
                       "check shows only the letter's number, kind, date and your initials, "
                       "never any details of the debt. If the check fails, do not pay "
                       "anyone: contact us directly.",
        "verify_text_phone": "This letter was issued by {lender}. To confirm it is genuine, "
                             "call {phone} ({hours}) and read out the letter number and the "
                             "verification code. Only call the number in this letter or in "
                             "your agreement. If the check fails, do not pay anyone.",
        "qr_caption": "Scan to check this letter: {url}",
        "verify_page": "Verification page",
        "confidential": "Private and confidential",
        "reminder_title": "Reminder: overdue payment", "visit_notice_title":
            "Notice of a possible visit",
    },
}


def postal_lines(text: str) -> str:
    """An address written with ``;`` (or line breaks) between its lines, one per line."""
    parts = text.replace("\n", ";").split(";")
    return "\n".join(part.strip() for part in parts if part.strip())


def labels(language: str) -> dict[str, str]:
    """The fixed words of a letter (table headings, captions) in ``language``."""
    return _LABELS.get(language, _LABELS["en"])


def letter_context(facts: LetterFacts) -> dict[str, object]:
    """Every variable the built-in letter templates may declare, from the facts."""
    dated = [a.oldest_due_date for a in facts.arrears if a.oldest_due_date is not None]
    return {
        "borrower_name": facts.borrower_name,
        "letter_no": facts.letter_no,
        "region": facts.region,
        "jurisdiction": facts.jurisdiction,
        "currency": facts.currency,
        "total_minor": facts.total("total"),
        "principal_minor": facts.total("principal"),
        "interest_minor": facts.total("interest"),
        "penalty_minor": facts.total("penalty"),
        "fee_minor": facts.total("fee"),
        "outstanding_principal_minor": sum(a.outstanding_principal_minor
                                           for a in facts.arrears),
        "business_date": facts.business_date,
        "reply_by_date": facts.reply_by,
        "visit_from_date": facts.visit_not_before,
        "visit_reply_by_date": facts.visit_reply_by,
        "oldest_due_date": min(dated) if dated else facts.business_date,
        "overdue_days": max((a.days_past_due for a in facts.arrears), default=0),
        "loan_count": len(facts.arrears),
        "lender_name": facts.sender.name,
        "sender_name": facts.sender.name,
        "contact_phone": facts.sender.phone,
        "contact_email": facts.sender.email,
        "contact_hours": facts.sender.hours,
        "portal_url": facts.portal_base_url,
        "plan_url": f"{facts.portal_base_url}/portal/hardship" if facts.portal_base_url else "",
        "learn_url": f"{facts.portal_base_url}/portal/learn" if facts.portal_base_url else "",
        **dict(facts.extra),
    }


def _pick(context: Mapping[str, object], book: Templates, name: str,
          language: str) -> dict[str, object]:
    """Only what the template declares (a template may not use more)."""
    return {k: context[k] for k in book.requires(name, language) if k in context}


def standard_inserts(facts: LetterFacts, book: Templates) -> dict[str, tuple[Block, ...]]:
    """The named blocks letter templates place with ``[[name]]``."""
    lang, words, cur = facts.language, labels(facts.language), facts.currency

    def money(minor: int) -> str:
        return book.format_money(minor, cur, language=lang)

    reference = KeyValues(tuple(row for row in (
        (words["letter_no"], facts.letter_no),
        (words["date"], book.format_day(facts.business_date, language=lang)),
        (words["to"], facts.borrower_name),
        (words["case"], facts.case_id) if facts.case_id else None,
    ) if row is not None))
    rows = [(str(a.loan_id),
             book.format_day(a.oldest_due_date, language=lang) if a.oldest_due_date else "-",
             money(a.principal_minor), money(a.interest_minor), money(a.penalty_minor),
             money(a.fee_minor), money(a.total_minor)) for a in facts.arrears]
    rows.append((words["total"], "", money(facts.total("principal")),
                 money(facts.total("interest")), money(facts.total("penalty")),
                 money(facts.total("fee")), money(facts.total("total"))))
    arrears = Table((words["loan"], words["due_since"], words["principal"], words["interest"],
                     words["penalty"], words["fee"], words["total"]), tuple(rows))
    s = facts.sender
    contacts = KeyValues(tuple(row for row in (
        (words["phone"], s.phone), (words["email"], s.email), (words["address"], s.address),
        (words["hours"], s.hours), (words["portal"], facts.portal_base_url)) if row[1]))
    recipient = Paragraph("\n".join((facts.borrower_name,
                                     facts.recipient_address or words["no_address"])))
    context = letter_context(facts)
    rights_text = book.render("letter_rights", lang, _pick(context, book, "letter_rights", lang))
    rights = document_from_markup(title="", language=lang, text=rights_text, inserts={}).blocks
    return {"reference": (reference,), "arrears": (arrears,), "contacts": (contacts,),
            "rights": rights, "address": (recipient,)}


def template_letter(facts: LetterFacts, book: Templates, *, template: str, title: str,
                    inserts: Mapping[str, tuple[Block, ...]] | None = None) -> Document:
    """Render ``template`` in the borrower's language into a document, with the
    standard inserts (plus ``inserts``) and the confidential footer."""
    context = letter_context(facts)
    text = book.render(template, facts.language, _pick(context, book, template,
                                                       facts.language))
    words = labels(facts.language)
    return document_from_markup(
        title=title, language=facts.language, text=text,
        inserts={**standard_inserts(facts, book), **(inserts or {})},
        footer=f"{words['confidential']} · {facts.letter_no}")


def _require_arrears(facts: LetterFacts) -> None:
    if facts.total("total") <= 0:
        raise Conflict(
            f"borrower {facts.borrower_id} owes nothing overdue on {facts.business_date}; "
            f"a {facts.kind} letter needs an overdue amount",
            code="letter_needs_overdue_amount", borrower_id=facts.borrower_id)


def build_reminder(facts: LetterFacts, book: Templates) -> Document:
    """逾期还款提醒函: what is overdue, what happens next, plans, rights, contacts."""
    _require_arrears(facts)
    return template_letter(facts, book, template="letter_reminder",
                           title=labels(facts.language)["reminder_title"])


def build_visit_notice(facts: LetterFacts, book: Templates) -> Document:
    """Notice that a visit may follow: purpose, notice period, the right to decline."""
    _require_arrears(facts)
    return template_letter(facts, book, template="letter_visit_notice",
                           title=labels(facts.language)["visit_notice_title"])


def verification_blocks(*, language: str, sender: Sender, code: str, letter_no: str,
                        base_url: str) -> tuple[Block, ...]:
    """The section every letter ends with: how to check it, the code and a QR code of
    ``{base_url}/letters/verify/{code}``. Without a public ``base_url`` the letter
    names the phone line instead and carries no web address."""
    words = labels(language)
    if not base_url:
        return (
            Heading(words["verify_heading"], 2),
            Paragraph(words["verify_text_phone"].format(lender=sender.name, phone=sender.phone,
                                                        hours=sender.hours)),
            KeyValues(((words["code"], grouped(code)), (words["letter_no"], letter_no),
                       (words["phone"], sender.phone))),
        )
    page = f"{base_url}/letters/verify"
    url = f"{page}/{grouped(code)}"
    return (
        Heading(words["verify_heading"], 2),
        Paragraph(words["verify_text"].format(lender=sender.name, page=page)),
        KeyValues(((words["code"], grouped(code)), (words["letter_no"], letter_no),
                   (words["verify_page"], page))),
        Qr(url, words["qr_caption"].format(url=url)),
    )


LETTER_KINDS: dict[str, LetterBuilder] = {
    "reminder": build_reminder,
    "visit_notice": build_visit_notice,
}

__all__ = ["LETTER_KINDS", "LetterBuilder", "build_reminder", "build_visit_notice", "labels",
           "letter_context", "postal_lines", "standard_inserts", "template_letter",
           "verification_blocks"]
