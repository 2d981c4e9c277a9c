"""UK-FCA: FCA Handbook CONC 7 and the Debt Respite Scheme (SI 2020/1311).

CONC sets no clock hours: contact must not be at unreasonable times and must
respect the customer's reasonable requests about when, where and how. The pack's
``window`` (08:00-21:00 local by default) is Dunwell's reading of "reasonable";
the borrower's own hours always apply on top of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dunwell.compliance.history import has_outcome
from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContactEvent,
    ContentTag,
    Direction,
    Jurisdiction,
    LocalWindow,
    Outcome,
    ProposedAction,
)
from dunwell.compliance.packs import universal as u
from dunwell.compliance.packs.base import (
    EIGHT_TO_NINE,
    Check,
    Objection,
    Pack,
    PackParams,
    Rule,
    Stage,
    deny,
)

History = Sequence[ContactEvent]


@dataclass(frozen=True)
class UKParams(PackParams):
    #: A reasonable default; CONC 7.9.4R names no hours.
    window: LocalWindow = EIGHT_TO_NINE
    #: CONC 7.9.12R: explain the purpose of, and give notice before, an initial visit.
    initial_visit_requires_notice: bool = True
    #: CONC 7.9.7R: reasonable steps so third parties do not learn of the debt.
    letters_require_private_and_confidential: bool = True


def initial_visit_notice(
    a: ProposedAction, h: History, b: Borrower, p: UKParams
) -> Objection | None:
    if a.channel is not Channel.VISIT or not p.initial_visit_requires_notice:
        return None
    visited = any(e.channel is Channel.VISIT and e.direction is Direction.OUTBOUND for e in h)
    noticed = ContentTag.PRIOR_NOTICE in a.content_tags or has_outcome(
        h, Outcome.VISIT_NOTICE_DELIVERED
    )
    if visited or noticed:
        return None
    return deny("an initial visit needs notice and an explanation of its purpose beforehand")


def confidential_letter(
    a: ProposedAction, h: History, b: Borrower, p: UKParams
) -> Objection | None:
    if (
        a.channel is Channel.LETTER
        and p.letters_require_private_and_confidential
        and ContentTag.PRIVATE_AND_CONFIDENTIAL not in a.content_tags
    ):
        return deny('a letter must be marked "private and confidential"')
    return None


def _rule(rule_id: str, stage: Stage, summary: str, check: Check[UKParams]) -> Rule[UKParams]:
    return Rule(rule_id, stage, summary, check)


_VISIT = frozenset({Channel.VISIT})
_THREAT = frozenset({ContentTag.THREAT})
_UNDUE_PRESSURE = frozenset({
    ContentTag.PRESSURE, ContentTag.DEMAND_FULL_BALANCE_48H,
    ContentTag.SUGGEST_BORROW_TO_REPAY,
})  # fmt: skip

RULES: tuple[Rule[UKParams], ...] = (
    *u.status_rules(cease_id="UNIVERSAL-CEASE", breathing_space_id="UK-BS",
                    breathing_space_summary="no payment requests in a breathing space"),
    _rule(
        "UK-CONC-7.11", Stage.CONDUCT, "no misrepresented legal position or authority", u.fake_legal
    ),
    _rule(
        "UK-CONC-7.9-VISIT",
        Stage.CONDUCT,
        "visitors must not threaten",
        u.forbidden_content(
            _THREAT, "a visitor must not act in a threatening manner", channels=_VISIT
        ),
    ),
    _rule(
        "UNIVERSAL-THREAT",
        Stage.CONDUCT,
        "no threats",
        u.forbidden_content(_THREAT, u.THREAT_WHY, channels=frozenset(Channel) - _VISIT),
    ),
    _rule("UK-CONC-7.9.6R", Stage.CONDUCT, "nothing publicly embarrassing", u.public_exposure),
    _rule(
        "UK-CONC-7.3.10R",
        Stage.CONDUCT,
        "no pressure to pay at once, soon or by borrowing",
        u.forbidden_content(
            _UNDUE_PRESSURE,
            "the customer must not be pressured to pay in "
            "very few or large payments, quickly, or by borrowing",
        ),
    ),
    _rule(
        "UK-CONC-7.15",
        Stage.CONDUCT,
        "no threat of court action on a statute-barred debt",
        u.time_barred_suit,
    ),
    _rule("UK-CONC-7.14", Stage.STANDING, "a dispute pauses recovery", u.dispute),
    _rule("UK-CONC-7.3.4R", Stage.STANDING, "forbearance: respect a hardship plan", u.hardship),
    _rule(
        "CONSENT-WITHDRAWN", Stage.RECIPIENT, "a withdrawn consent stops that contact",
        u.consent_withdrawn,
    ),
    _rule(
        "UNIVERSAL-ATTORNEY", Stage.RECIPIENT, "represented: contact the representative", u.attorney
    ),
    _rule("UNIVERSAL-EMPLOYER", Stage.RECIPIENT, "employer prohibits contact at work", u.employer),
    _rule(
        "UK-CONC-7.9.6R",
        Stage.RECIPIENT,
        "no disclosure to third parties the customer did not agree to",
        u.third_party_unless_consented(
            "needs the customer's agreement, or it is an unfair disclosure (CONC 7.9.6R)"
        ),
    ),
    _rule("UK-CONC-7.9.4R", Stage.MEDIUM, "respect requests on how to be contacted", u.opt_out),
    _rule(
        "UK-CONC-7.9-VISIT", Stage.MEDIUM, "no visit to a vulnerable customer", u.vulnerable_visit
    ),
    _rule(
        "UNIVERSAL-VULNERABLE",
        Stage.MEDIUM,
        "no payment demands on a vulnerable customer",
        u.vulnerable_pressure,
    ),
    _rule(
        "UK-CONC-7.9-VISIT", Stage.MEDIUM, "notice before an initial visit", initial_visit_notice
    ),
    _rule(
        "UK-CONC-7.9.7R",
        Stage.MEDIUM,
        "letters marked private and confidential",
        confidential_letter,
    ),
    _rule(
        "UK-CONC-7.9.4R",
        Stage.TIME,
        "reasonable hours and the customer's own hours",
        u.contact_hours,
    ),
    _rule("UNIVERSAL-QUIET-DAYS", Stage.TIME, "no contact on configured quiet days", u.quiet_days),
    _rule("UNIVERSAL-DAILY-CAP", Stage.FREQUENCY, "configured per-channel daily caps", u.daily_cap),
)

PACK = Pack(Jurisdiction.UK_FCA, UKParams(), RULES)
