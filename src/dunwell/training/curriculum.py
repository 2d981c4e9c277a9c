"""The curriculum as data: one TOML file per course in ``curriculum/`` (modules with
material in zh-CN and en, a question bank, the passing score, validity and refresher
rules) and ``curriculum/requirements.toml`` (which roles need which subjects before
which actions, when to warn, and the quality loop's thresholds, with the review
checklist). Parsing is pure; :func:`builtin_curriculum` reads the shipped files."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from dunwell.training.errors import CurriculumInvalid
from dunwell.training.model import (
    LANGUAGES,
    Action,
    Course,
    Curriculum,
    Module,
    Question,
    Requirement,
    Role,
    Subject,
)

#: Bounds that keep a course small enough to read and an attempt quick to score.
MODULES_MAX = 20
QUESTIONS_MAX = 100
CHECKLIST_MAX = 50
VALIDITY_DAYS_MAX = 3 * 366
#: What the quality loop can recommend a refresher for.
REFRESHER_REASONS = ("review_score", "complaints", "denials")


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    item_id: str
    text: Mapping[str, str]


def _bad(message: str) -> CurriculumInvalid:
    return CurriculumInvalid(message)


def _texts(spec: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    value = spec.get(key)
    if not isinstance(value, dict) or any(not isinstance(value.get(lang), str)
                                          or not value[lang].strip() for lang in LANGUAGES):
        raise _bad(f"{where}: {key} needs text in {' and '.join(LANGUAGES)}")
    return {lang: value[lang].strip() for lang in LANGUAGES}


def _int(spec: Mapping[str, Any], key: str, where: str, *, low: int, high: int) -> int:
    value = spec.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _bad(f"{where}: {key} must be a whole number from {low} to {high}")
    return value


def _load(text: str, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(f"{what} is not valid TOML: {exc}") from None


def _tables(spec: Mapping[str, Any], key: str, where: str, *, limit: int) -> list[Any]:
    """``spec[key]`` as an array (absent: empty); only the first ``limit`` + 1 are
    returned, so a count check after parsing them can say there are too many."""
    value = spec.get(key, [])
    if not isinstance(value, list):
        raise _bad(f"{where}: {key} must be an array of tables ([[{key}]])")
    return value[:limit + 1]


def course_header(data: Mapping[str, Any]) -> tuple[str, Subject]:
    """The course's id and subject."""
    cid = data.get("course_id")
    if not isinstance(cid, str) or not cid:
        raise _bad("a course needs a course_id")
    try:
        return cid, Subject(str(data.get("subject")))
    except ValueError:
        raise _bad(f"course {cid}: subject must be one of "
                   f"{', '.join(s.value for s in Subject)}") from None


def parse_module(spec: object, where: str) -> Module:
    """One module: an id, a title and material in every language, minutes to read."""
    if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
        raise _bad(f"{where}: needs an id")
    return Module(spec["id"], _texts(spec, "title", where), _texts(spec, "material", where),
                  _int(spec, "minutes", where, low=1, high=600))


def parse_question(spec: object, where: str) -> Question:
    """One question: an id, a prompt, two or more choices and the answer among them."""
    if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
        raise _bad(f"{where}: needs an id")
    raw = spec.get("choices")
    if not isinstance(raw, dict) or len(raw) < 2:
        raise _bad(f"{where}: needs at least two choices")
    choices = {key: _texts(raw, key, f"{where} choice {key}") for key in raw}
    if spec.get("answer") not in choices:
        raise _bad(f"{where}: the answer must be one of its choices")
    return Question(spec["id"], _texts(spec, "prompt", where), choices, spec["answer"])


def parse_modules(data: Mapping[str, Any], cid: str) -> tuple[Module, ...]:
    modules = tuple(parse_module(m, f"course {cid} module {k + 1}") for k, m in
                    enumerate(_tables(data, "modules", f"course {cid}", limit=MODULES_MAX)))
    if not 1 <= len(modules) <= MODULES_MAX:
        raise _bad(f"course {cid}: needs 1 to {MODULES_MAX} modules")
    return modules


def parse_questions(data: Mapping[str, Any], cid: str) -> tuple[Question, ...]:
    questions = tuple(parse_question(q, f"course {cid} question {k + 1}") for k, q in
                      enumerate(_tables(data, "questions", f"course {cid}",
                                        limit=QUESTIONS_MAX)))
    if not 1 <= len(questions) <= QUESTIONS_MAX:
        raise _bad(f"course {cid}: needs 1 to {QUESTIONS_MAX} questions")
    return questions


def refresher_modules(data: Mapping[str, Any], cid: str,
                      modules: Sequence[Module]) -> tuple[str, ...]:
    """The modules a refresher repeats: those named, every module when none are."""
    ids = [m.module_id for m in modules]
    named = data.get("refresher_modules", ids)
    if (not isinstance(named, list) or not named
            or not all(isinstance(n, str) and n in ids for n in named)):
        raise _bad(f"course {cid}: refresher_modules must name the course's modules")
    return tuple(named)


def parse_course(text: str) -> Course:
    """One course from its TOML text."""
    data = _load(text, "course file")
    cid, subject = course_header(data)
    modules, questions = parse_modules(data, cid), parse_questions(data, cid)
    ids = [m.module_id for m in modules] + [q.question_id for q in questions]
    if len(ids) != len(set(ids)):
        raise _bad(f"course {cid}: module and question ids must be unique")
    refresher = refresher_modules(data, cid, modules)
    where = f"course {cid}"
    validity = _int(data, "validity_days", where, low=1, high=VALIDITY_DAYS_MAX)
    return Course(cid, subject, _int(data, "version", where, low=1, high=10_000),
                  _texts(data, "title", where), modules, questions,
                  _int(data, "pass_score_pct", where, low=1, high=100),
                  _int(data, "time_limit_min", where, low=1, high=600), validity,
                  _int(data, "refresher_days_before", where, low=0, high=validity),
                  refresher)


def parse_requirement(spec: object, where: str, taught: Sequence[Subject]) -> Requirement:
    """One action's requirement: the roles that may take it and the subjects (each
    taught by a course) they need, in curriculum order."""
    if not isinstance(spec, dict):
        raise _bad(f"{where}: must be a table with action, roles and subjects")
    roles_raw, subjects_raw = spec.get("roles", []), spec.get("subjects", [])
    if not isinstance(roles_raw, list) or not isinstance(subjects_raw, list):
        raise _bad(f"{where}: roles and subjects must be arrays")
    try:
        action = Action(str(spec.get("action")))
        roles = frozenset(Role(x) for x in roles_raw)
        subjects = tuple(Subject(x) for x in subjects_raw)
    except ValueError as exc:
        raise _bad(f"{where}: {exc}") from None
    if not roles or not subjects:
        raise _bad(f"{where}: needs roles and subjects")
    if set(subjects) - set(taught):
        raise _bad(f"{where}: no course teaches {sorted(set(subjects) - set(taught))}")
    return Requirement(action, roles, tuple(s for s in Subject if s in subjects))


def parse_checklist(quality: Mapping[str, Any]) -> tuple[ChecklistItem, ...]:
    """The review checklist: one or more items, each an id and text in every language."""
    items = []
    for k, spec in enumerate(_tables(quality, "checklist", "quality", limit=CHECKLIST_MAX)):
        if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
            raise _bad(f"checklist item {k + 1}: needs an id")
        items.append(ChecklistItem(spec["id"], _texts(spec, "text",
                                                      f"checklist item {spec['id']}")))
    if not 1 <= len(items) <= CHECKLIST_MAX:
        raise _bad(f"the quality checklist needs 1 to {CHECKLIST_MAX} items")
    return tuple(items)


def parse_refreshers(quality: Mapping[str, Any],
                     course_ids: Set[str]) -> dict[str, tuple[str, ...]]:
    """For each reason the quality loop may give, the courses a refresher takes."""
    table = quality.get("refreshers", {})
    if not isinstance(table, dict):
        raise _bad("quality.refreshers must be a table")
    refreshers: dict[str, tuple[str, ...]] = {}
    for reason in REFRESHER_REASONS:
        named = table.get(reason, [])
        if not isinstance(named, list) or not named or set(named) - course_ids:
            raise _bad(f"quality.refreshers.{reason} must name one or more courses")
        refreshers[reason] = tuple(str(x) for x in named)
    return refreshers


def parse_requirements(text: str, courses: Sequence[Course]) -> tuple[
        Curriculum, tuple[ChecklistItem, ...]]:
    """The requirements file over ``courses``: every subject a requirement names
    needs a course, and every subject exactly one."""
    data = _load(text, "requirements file")
    taught = [c.subject for c in courses]
    if len(taught) != len(set(taught)):
        raise _bad("each subject needs exactly one course")
    reqs = [parse_requirement(r, f"requirement {k + 1}", taught) for k, r in
            enumerate(_tables(data, "requirement", "requirements", limit=len(Action)))]
    if {r.action for r in reqs} != set(Action) or len(reqs) != len(Action):
        raise _bad("every action needs exactly one requirement")
    quality = data.get("quality", {})
    if not isinstance(quality, dict):
        raise _bad("quality must be a table")
    items = parse_checklist(quality)
    refreshers = parse_refreshers(quality, {c.course_id for c in courses})
    curriculum = Curriculum(
        tuple(sorted(courses, key=lambda c: list(Subject).index(c.subject))), tuple(reqs),
        _int(data, "warn_days", "requirements", low=0, high=365),
        _int(quality, "score_min_pct", "quality", low=0, high=100),
        _int(quality, "complaints_max", "quality", low=0, high=1000),
        _int(quality, "denials_max", "quality", low=0, high=100_000), refreshers)
    return curriculum, items


def _shipped(name: str) -> str:
    return resources.files("dunwell.training").joinpath("curriculum", name).read_text("utf-8")


COURSE_FILES = ("communication_skills.toml", "legal_knowledge.toml", "privacy.toml",
                "vulnerability.toml", "visit_safety.toml", "procedures.toml")


def builtin_curriculum() -> Curriculum:
    """The curriculum shipped in ``dunwell/training/curriculum/``."""
    return builtin()[0]


def builtin_checklist() -> tuple[ChecklistItem, ...]:
    return builtin()[1]


@cache
def builtin() -> tuple[Curriculum, tuple[ChecklistItem, ...]]:
    courses = [parse_course(_shipped(name)) for name in COURSE_FILES]
    return parse_requirements(_shipped("requirements.toml"), courses)
