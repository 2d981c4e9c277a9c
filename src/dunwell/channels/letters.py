"""Letters as data: what a letter is about (its facts), the arrears it explains, the
stored record of an issued letter and its register events, and the small markup
letter templates are written in.

A letter template renders to plain text in a tiny markup that
:func:`document_from_markup` turns into document blocks:

- ``# text``, ``## text``, ``### text`` start a heading of level 1, 2 or 3;
- ``[[name]]`` alone on a line inserts prepared blocks (a table of arrears, the
  letter's reference details) that the builder passes in by name;
- ``- text`` is a bullet line;
- other lines are running text; a blank line ends a paragraph.

Pure: no template engine, no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from dunwell.channels.document import Block, Document, Heading, Paragraph
from dunwell.core.dates import from_day, to_day
from dunwell.core.errors import InvalidInput
from dunwell.lending.loans import LoanState

#: Days the borrower has to reply to a reminder before anything else happens.
REPLY_DAYS = 14
#: Minimum days between a visit notice and the earliest visit.
VISIT_NOTICE_DAYS = 7
#: Days the borrower has to decline a visit or choose its time.
VISIT_REPLY_DAYS = 5


class LetterKind(StrEnum):
    REMINDER = "reminder"
    VISIT_NOTICE = "visit_notice"


class LetterStatus(StrEnum):
    GENERATED = "generated"
    PRINTED = "printed"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    RETURNED = "returned"


class LetterEventKind(StrEnum):
    GENERATED = "generated"
    PRINTED = "printed"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    RETURNED = "returned"


class DispatchMethod(StrEnum):
    POST = "post"
    E_LETTER = "e_letter"
    IN_PERSON = "in_person"


def jurisdiction_region(jurisdiction: str) -> str:
    """``CN``, ``US`` or ``UK`` for a compliance pack name (``CN-NIFA`` → ``CN``)."""
    region = jurisdiction.split("-", 1)[0].upper()
    if region not in ("CN", "US", "UK"):
        raise InvalidInput(
            f"no letter wording for jurisdiction {jurisdiction!r}; use CN-NIFA, US-RegF or "
            "UK-FCA", code="letter_jurisdiction_must_be_known")
    return region


@dataclass(frozen=True, slots=True)
class LoanArrears:
    """What one loan owes past its due dates, by component, at the business date."""

    loan_id: int
    product_code: str
    currency: str
    principal_minor: int
    interest_minor: int
    penalty_minor: int
    fee_minor: int
    oldest_due_date: dt.date | None
    days_past_due: int
    outstanding_principal_minor: int

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_minor + self.penalty_minor + self.fee_minor


def loan_arrears(loan: LoanState, business_date: dt.date) -> LoanArrears:
    """Sum the unpaid parts of every instalment due before ``business_date``.

    An instalment due on the business date itself is not overdue yet, the same
    convention days past due use."""
    day = to_day(business_date)
    late = [i for i in loan.installments if i.due_day < day and i.unpaid_total_minor > 0]
    oldest = min((i.due_day for i in late), default=None)
    return LoanArrears(
        loan_id=loan.loan_id,
        product_code=loan.product_code,
        currency=loan.currency,
        principal_minor=sum(max(0, i.unpaid_principal_minor) for i in late),
        interest_minor=sum(max(0, i.unpaid_interest_minor) for i in late),
        penalty_minor=sum(max(0, i.unpaid_penalty_minor) for i in late),
        fee_minor=sum(max(0, i.unpaid_fee_minor) for i in late),
        oldest_due_date=None if oldest is None else from_day(oldest),
        days_past_due=0 if oldest is None else day - oldest,
        outstanding_principal_minor=loan.outstanding_principal_minor,
    )


@dataclass(frozen=True, slots=True)
class Sender:
    """Who writes and how to reach them (printed on every letter)."""

    name: str
    address: str
    phone: str
    email: str
    hours: str


@dataclass(frozen=True, slots=True)
class LetterFacts:
    """Everything a letter builder may print: the builder decides the wording."""

    letter_no: str
    kind: str
    language: str
    jurisdiction: str  # a compliance pack name: CN-NIFA, US-RegF, UK-FCA
    business_date: dt.date
    borrower_id: int
    borrower_name: str
    case_id: str | None
    arrears: tuple[LoanArrears, ...]
    sender: Sender
    portal_base_url: str  # "" when the letter prints no web address
    extra: Mapping[str, object] = field(default_factory=dict)
    recipient_address: str | None = None  # the borrower's postal address, lines by "\n"

    @property
    def region(self) -> str:
        return jurisdiction_region(self.jurisdiction)

    @property
    def currency(self) -> str:
        currencies = {a.currency for a in self.arrears}
        if len(currencies) > 1:
            raise InvalidInput(
                f"the borrower's loans are in {', '.join(sorted(currencies))}; a letter "
                "states one currency", code="letter_currency_must_be_single")
        return currencies.pop() if currencies else "CNY"

    def total(self, component: str) -> int:
        """Sum of ``principal``, ``interest``, ``penalty``, ``fee`` or ``total`` over loans."""
        attr = "total_minor" if component == "total" else f"{component}_minor"
        return sum(int(getattr(a, attr)) for a in self.arrears)

    @property
    def reply_by(self) -> dt.date:
        return self.business_date + dt.timedelta(days=REPLY_DAYS)

    @property
    def visit_not_before(self) -> dt.date:
        return self.business_date + dt.timedelta(days=VISIT_NOTICE_DAYS)

    @property
    def visit_reply_by(self) -> dt.date:
        return self.business_date + dt.timedelta(days=VISIT_REPLY_DAYS)


@dataclass(frozen=True, slots=True)
class LetterEvent:
    letter_no: str
    event: LetterEventKind
    at: dt.datetime
    method: DispatchMethod | None = None
    proof: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class LetterRecord:
    """An issued letter as the register holds it."""

    letter_id: int
    letter_no: str
    verification_code: str  # canonical, ungrouped
    kind: str
    borrower_id: int
    case_id: str | None
    action_id: int | None
    language: str
    jurisdiction: str
    business_date: dt.date
    status: LetterStatus
    content_sha256: str
    issued_at: dt.datetime
    idempotency_key: str
    dispatch_method: DispatchMethod | None = None


@dataclass(frozen=True, slots=True)
class LetterVerification:
    """What the portal tells whoever checks a code: never the debt itself."""

    genuine: bool
    message: str
    code: str | None = None  # as typed, grouped when well formed
    letter_no: str | None = None
    kind: str | None = None
    issued_on: dt.date | None = None
    borrower: str | None = None  # masked
    status: str | None = None
    problem: str | None = None


def document_from_markup(*, title: str, language: str, text: str,
                         inserts: Mapping[str, Sequence[Block]],
                         footer: str = "") -> Document:
    """Blocks from a rendered letter template (see the module docstring)."""
    blocks: list[Block] = []
    lines: list[str] = []
    used: set[str] = set()

    def flush() -> None:
        if lines:
            blocks.append(Paragraph("\n".join(lines)))
            lines.clear()

    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("[[") and stripped.endswith("]]"):
            flush()
            name = stripped[2:-2].strip()
            if name not in inserts:
                raise InvalidInput(
                    f"the letter template asks for [[{name}]], which the builder does not "
                    f"provide (it provides {', '.join(sorted(inserts)) or 'nothing'})",
                    code="letter_insert_must_exist")
            blocks.extend(inserts[name])
            used.add(name)
        elif stripped.startswith("#"):
            flush()
            hashes = len(stripped) - len(stripped.lstrip("#"))
            blocks.append(Heading(stripped[hashes:].strip(), min(hashes, 3)))
        elif stripped.startswith("- "):
            lines.append("· " + stripped[2:])
        else:
            lines.append(stripped)
    flush()
    return Document(title=title, language=language, blocks=tuple(blocks), footer=footer)
