"""The training gate inside the other workflows: one call refuses a call, a visit, a
plan negotiation or a legal step by staff without the valid certificates for that
action on that day, naming what is missing; planning and queues keep only qualified
staff.

Who is gated: everybody in the staff register, and every field agent (a field
agent's id is their staff id; an agent not in the register counts as a
``field_agent``). A person named in an approval who is not in the register is
refused only once ``dunwell training enforce on`` has been set (the register is then
required); until then such names pass as before, so books that predate the register
keep working."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from dunwell.app.audit import record
from dunwell.app.uow import UnitOfWork
from dunwell.field.errors import AgentNotCertified
from dunwell.field.model import Certificate as FieldCertificate
from dunwell.training.curriculum import builtin_curriculum
from dunwell.training.model import Action, Curriculum, Eligibility, Role, Staff
from dunwell.training.rules import eligibility, require_eligible

if TYPE_CHECKING:  # the repository's interface, for the type checker
    from dunwell.store.training_repo import TrainingRepository

REGISTER_REQUIRED = "register_required"

T = TypeVar("T")


def register_required(repo: TrainingRepository) -> bool:
    return repo.setting(REGISTER_REQUIRED) == "on"


def gated_staff(repo: TrainingRepository, staff_id: str) -> Staff | None:
    """The person the gate judges: the register's record, else a field agent as a
    ``field_agent``, else None (not registered)."""
    return gated_staff_many(repo, [staff_id]).get(staff_id)


def gated_staff_many(repo: TrainingRepository, staff_ids: Sequence[str]) -> dict[str, Staff]:
    """The person the gate judges for each of ``staff_ids`` (as :func:`gated_staff`),
    read at once (two reads, not two each): those neither in the register nor field
    agents are left out."""
    out = repo.find_staff_many(staff_ids)
    rest = [sid for sid in staff_ids if sid not in out]
    if rest:
        names = repo.field_agent_names(rest)
        out.update({sid: Staff(sid, names[sid] or sid, Role.FIELD_AGENT)
                    for sid in rest if sid in names})
    return out


def eligibilities_of(repo: TrainingRepository, staff: Sequence[Staff], action: Action,
                     on: dt.date, curriculum: Curriculum | None = None,
                     ) -> dict[str, Eligibility]:
    """Whether each of ``staff`` may take ``action`` on ``on`` (:func:`eligibility_of`),
    their certificates and suspensions read once for all; staff id -> verdict."""
    ids = [s.staff_id for s in staff]
    certificates = repo.certificates(ids) if ids else {}
    suspensions = repo.suspensions(ids) if ids else {}
    chosen = curriculum or builtin_curriculum()
    return {s.staff_id: eligibility(s, action, certificates=certificates.get(s.staff_id, ()),
                                    suspensions=suspensions.get(s.staff_id, ()),
                                    curriculum=chosen, day=on)
            for s in staff}


def eligibility_of(repo: TrainingRepository, staff: Staff, action: Action, on: dt.date,
                   curriculum: Curriculum | None = None) -> Eligibility:
    return eligibilities_of(repo, [staff], action, on, curriculum)[staff.staff_id]


def require_qualified(uow: UnitOfWork, *, staff_id: str, action: Action,
                      on: dt.date) -> Eligibility | None:
    """Refuse (``staff_must_hold_valid_certificates``, or ``staff_role_must_perform_action``
    for a role that does not take ``action``) when ``staff_id`` may not take ``action``
    on ``on``; when the register is required, an unregistered person is refused
    (``staff_must_exist``). Returns the verdict (None for an unregistered person the
    register does not yet require)."""
    repo = uow.training
    staff = gated_staff(repo, staff_id)
    if staff is None:
        if register_required(repo):
            repo.staff(staff_id)  # raises staff_must_exist
        return None
    verdict = eligibility_of(repo, staff, action, on)
    require_eligible(verdict)
    return verdict


def require_visit_qualified(uow: UnitOfWork, *, agent_id: str, on: dt.date) -> None:
    """The visit gate for a hand assignment, with the field's stable code
    ``agent_must_hold_valid_certificates``, naming every subject the curriculum
    requires for a visit that the agent lacks on ``on``."""
    repo = uow.training
    staff = gated_staff(repo, agent_id) or Staff(agent_id, agent_id, Role.FIELD_AGENT)
    verdict = eligibility_of(repo, staff, Action.VISIT, on)
    if verdict.allowed:
        return
    raise AgentNotCertified(
        f"agent {agent_id} cannot be assigned a visit on {on}: {verdict.describe()}; see "
        f"`dunwell training status {agent_id}` (certificates come from `dunwell training "
        "certify`)", agent_id=agent_id, subjects=[g.subject.value for g in verdict.gaps],
        statuses={g.subject.value: g.status.value for g in verdict.gaps},
        role=verdict.role_refused.value if verdict.role_refused else None)


def visit_refusals(uow: UnitOfWork, *, agent_ids: Sequence[str], on: dt.date,
                   beyond: Mapping[str, set[str]]) -> dict[str, tuple[str, ...]]:
    """Why each agent may not visit on ``on`` beyond the subjects already named in
    ``beyond`` (agent id -> subject names): the other subjects the curriculum
    requires, suspensions, or a role that does not visit."""
    verdicts = _visit_verdicts(uow.training, agent_ids, on)
    out: dict[str, tuple[str, ...]] = {}
    for agent_id in agent_ids:
        verdict = verdicts[agent_id]
        named = beyond.get(agent_id, set())
        why = [g.describe() for g in verdict.gaps if g.subject.value not in named]
        if verdict.role_refused is not None:
            why.insert(0, f"role {verdict.role_refused.value} does not visit")
        out[agent_id] = tuple(why)
    return out


def visit_certificates(uow: UnitOfWork, *, on: dt.date,
                       certificates: Mapping[str, Sequence[FieldCertificate]],
                       ) -> dict[str, Sequence[FieldCertificate]]:
    """The field agents' certificates for planning ``on``, keeping only the agents
    the training gate allows to visit that day (the others plan as uncertified)."""
    verdicts = _visit_verdicts(uow.training, list(certificates), on)
    return {agent_id: certs for agent_id, certs in certificates.items()
            if verdicts[agent_id].allowed}


def _visit_verdicts(repo: TrainingRepository, agent_ids: Sequence[str],
                    on: dt.date) -> dict[str, Eligibility]:
    """Whether each agent may visit on ``on``; one not registered anywhere is judged as
    a field agent of that id."""
    known = gated_staff_many(repo, agent_ids)
    staff = [known.get(a) or Staff(a, a, Role.FIELD_AGENT) for a in dict.fromkeys(agent_ids)]
    return eligibilities_of(repo, staff, Action.VISIT, on)


def qualified_callers(repo: TrainingRepository, *, on: dt.date, callers: Sequence[T],
                      id_of: str = "collector_id") -> list[T]:
    """The collectors who may call on ``on``: those in the register who hold the
    certificates for a call, and (until the register is required) those not in it.
    ``repo`` is the unit of work's ``training`` repository."""
    required = register_required(repo)
    ids = [str(getattr(caller, id_of)) for caller in callers]
    registered = repo.find_staff_many(ids) if ids else {}
    verdicts = eligibilities_of(repo, list(registered.values()), Action.CALL, on)
    out = []
    for caller, sid in zip(callers, ids, strict=True):
        if sid not in registered:
            if not required:
                out.append(caller)
            continue
        if verdicts[sid].allowed:
            out.append(caller)
    return out


def record_staff_contact(uow: UnitOfWork, *, staff_id: str, borrower_id: int, at: dt.datetime,
                         channel: str, outcome: str, now: dt.datetime) -> None:
    """Gate a call or visit recorded by ``staff_id`` (on the contact's local date) and
    link the contact to them for the quality loop. Other channels are not gated
    (nobody speaks to the borrower), only linked."""
    action = {"call": Action.CALL, "third_party_call": Action.CALL,
              "visit": Action.VISIT}.get(channel)
    repo = uow.training
    if gated_staff(repo, staff_id) is None:
        repo.staff(staff_id)  # raises staff_must_exist: a named person is registered
    if action is not None:
        require_qualified(uow, staff_id=staff_id, action=action, on=at.date())
    repo.add_staff_contact(staff_id=staff_id, borrower_id=borrower_id, at=at, channel=channel,
                           outcome=outcome)
    record(uow, at=now, entries=[("staff_contact", f"staff:{staff_id}", {
        "borrower_id": borrower_id, "ts": at.isoformat(), "channel": channel,
        "outcome": outcome})])


__all__ = [
    "REGISTER_REQUIRED",
    "eligibilities_of",
    "eligibility_of",
    "gated_staff",
    "gated_staff_many",
    "qualified_callers",
    "record_staff_contact",
    "register_required",
    "require_qualified",
    "require_visit_qualified",
    "visit_certificates",
    "visit_refusals",
]
