"""The demo's complaints: a handful recorded through the register's own service
against the book's open cases, dated back from the wall clock (the register's
deadlines run on the real calendar), so the compliance officer's queue, the
borrower's portal and the collector's case timeline have something to show:

- the demo borrower's (the most overdue open case): fees, sent through the portal,
  acknowledged;
- a written dispute on a case of the demo collector ``c-01`` (or the next case),
  unanswered: it pauses collection until it is answered;
- a complaint about conduct received on a call, past its final-answer deadline;
- one answered, one answered and closed, one just received.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from dunwell.app.collections.views import case_list
from dunwell.app.complaints.service import acknowledge, answer, close, record_complaint
from dunwell.app.context import Dunwell
from dunwell.complaints.rules import TERMS

#: The demo collector whose case gets the dispute.
DEMO_COLLECTOR = "c-01"
#: Who answers the demo's complaints (the demo compliance officer's staff id).
OFFICER = "k-01"
#: How many open cases the demo looks through for its complaints.
CASES_LOOKED_AT = 50


@dataclass(frozen=True, slots=True)
class _Planned:
    category: str
    channel: str
    text: str
    #: Days before now it was received; None: its final-answer deadline plus five.
    days_ago: int | None
    #: (status to move to, days before now), in order.
    moves: tuple[tuple[str, int], ...] = ()


PLANNED = (
    _Planned("fees_and_charges", "portal", "我上个月被收了一笔提前还款手续费，合同里没有写。",
             2, (("acknowledged", 1),)),
    _Planned("amount_disputed", "letter", "你们说我欠 3,200 元，但我已经还了两期，"
             "请把还款记录寄给我核对。", 1),
    _Planned("conduct", "call", "催收员在电话里语气很凶，还说要通知我单位。", None),
    _Planned("contact_frequency", "call", "一天打了五次电话，影响我工作。", 10,
             (("final_response", 4),)),
    _Planned("third_party_contact", "visit", "外访人员向我的邻居打听我的欠款情况。", 40,
             (("final_response", 30), ("closed", 20))),
    _Planned("privacy", "email", "请告诉我你们保存了我的哪些个人信息。", 5),
)

_ANSWERS = {"contact_frequency": "我们已把您的号码设为每天最多联系一次，并向您致歉。",
            "third_party_contact": "我们已核实并处理相关外访人员，今后不会再向第三方透露您的情况。"}


def _borrowers(app: Dunwell) -> list[tuple[int, str]]:
    """(borrower, case) for each planned complaint: the demo borrower first, then a
    case of the demo collector's, then the next open cases, one complaint each."""
    cases = case_list(app, status="open", limit=CASES_LOOKED_AT)
    if not cases:
        return []
    order = [cases[0]]
    order += [c for c in cases[1:] if c.owner == DEMO_COLLECTOR][:1]
    order += [c for c in cases[1:] if c not in order]
    seen: set[int] = set()
    out = []
    for c in order:
        if c.borrower_id not in seen:
            seen.add(c.borrower_id)
            out.append((c.borrower_id, c.case_id))
    return out


def _answer_days(app: Dunwell, borrower_id: int) -> int:
    with app.uow() as uow:
        return TERMS[uow.borrowers.get(borrower_id).jurisdiction].answer_days


def seed_demo_complaints(app: Dunwell, *, now: dt.datetime) -> int:
    """Record the demo's complaints (as staff or the borrower would) and move some on
    as the compliance officer; returns how many were recorded."""
    recorded = 0
    for plan, (borrower_id, case_id) in zip(PLANNED, _borrowers(app), strict=False):
        days = plan.days_ago if plan.days_ago is not None else (
            _answer_days(app, borrower_id) + 5)
        view = record_complaint(
            app, borrower_id=borrower_id, channel=plan.channel, category=plan.category,
            text=plan.text, case_id=case_id, now=now - dt.timedelta(days=days),
            by="borrower" if plan.channel in ("portal", "letter", "email") else DEMO_COLLECTOR)
        recorded += 1
        for status, ago in plan.moves:
            _MOVES[status](app, view.complaint_id, plan, now - dt.timedelta(days=ago))
    return recorded


_MOVES: dict[str, Callable[[Dunwell, int, _Planned, dt.datetime], object]] = {
    "acknowledged": lambda app, cid, _p, at: acknowledge(app, complaint_id=cid, now=at,
                                                        by=OFFICER),
    "final_response": lambda app, cid, p, at: answer(app, complaint_id=cid,
                                                     text=_ANSWERS[p.category], now=at,
                                                     by=OFFICER),
    "closed": lambda app, cid, _p, at: close(app, complaint_id=cid, now=at, by=OFFICER,
                                            note="borrower satisfied"),
}


__all__ = ["PLANNED", "seed_demo_complaints"]
