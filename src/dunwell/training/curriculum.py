"""The curriculum as data: one TOML file per course in ``curriculum/`` (modules with
material in zh-CN and en, a question bank, the passing score, validity and refresher
rules) and ``curriculum/requirements.toml`` (which roles need which subjects before
which actions, when to warn, and the quality loop's thresholds, with the review
checklist). Parsing is pure; :func:`builtin_curriculum` reads the shipped files."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
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


def parse_course(text: str) -> Course:
    """One course from its TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(f"course file is not valid TOML: {exc}") from None
    cid = data.get("course_id")
    if not isinstance(cid, str) or not cid:
        raise _bad("a course needs a course_id")
    try:
        subject = Subject(str(data.get("subject")))
    except ValueError:
        raise _bad(f"course {cid}: subject must be one of "
                   f"{', '.join(s.value for s in Subject)}") from None
    modules = []
    for k, m in enumerate(data.get("modules", [])[:MODULES_MAX + 1]):
        where = f"course {cid} module {k + 1}"
        if not isinstance(m, dict) or not isinstance(m.get("id"), str):
            raise _bad(f"{where}: needs an id")
        modules.append(Module(m["id"], _texts(m, "title", where), _texts(m, "material", where),
                              _int(m, "minutes", where, low=1, high=600)))
    if not 1 <= len(modules) <= MODULES_MAX:
        raise _bad(f"course {cid}: needs 1 to {MODULES_MAX} modules")
    questions = []
    for k, q in enumerate(data.get("questions", [])[:QUESTIONS_MAX + 1]):
        where = f"course {cid} question {k + 1}"
        if not isinstance(q, dict) or not isinstance(q.get("id"), str):
            raise _bad(f"{where}: needs an id")
        raw = q.get("choices")
        if not isinstance(raw, dict) or len(raw) < 2:
            raise _bad(f"{where}: needs at least two choices")
        choices = {key: _texts(raw, key, f"{where} choice {key}") for key in raw}
        if q.get("answer") not in choices:
            raise _bad(f"{where}: the answer must be one of its choices")
        questions.append(Question(q["id"], _texts(q, "prompt", where), choices, q["answer"]))
    if not 1 <= len(questions) <= QUESTIONS_MAX:
        raise _bad(f"course {cid}: needs 1 to {QUESTIONS_MAX} questions")
    ids = [m.module_id for m in modules] + [q.question_id for q in questions]
    if len(ids) != len(set(ids)):
        raise _bad(f"course {cid}: module and question ids must be unique")
    refresher = tuple(data.get("refresher_modules", [m.module_id for m in modules]))
    if not refresher or set(refresher) - {m.module_id for m in modules}:
        raise _bad(f"course {cid}: refresher_modules must name the course's modules")
    where = f"course {cid}"
    validity = _int(data, "validity_days", where, low=1, high=VALIDITY_DAYS_MAX)
    return Course(cid, subject, _int(data, "version", where, low=1, high=10_000),
                  _texts(data, "title", where), tuple(modules), tuple(questions),
                  _int(data, "pass_score_pct", where, low=1, high=100),
                  _int(data, "time_limit_min", where, low=1, high=600), validity,
                  _int(data, "refresher_days_before", where, low=0, high=validity),
                  refresher)


def parse_requirements(text: str, courses: Sequence[Course]) -> tuple[
        Curriculum, tuple[ChecklistItem, ...]]:
    """The requirements file over ``courses``: every subject a requirement names
    needs a course, and every subject exactly one."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(f"requirements file is not valid TOML: {exc}") from None
    taught = [c.subject for c in courses]
    if len(taught) != len(set(taught)):
        raise _bad("each subject needs exactly one course")
    reqs = []
    for k, r in enumerate(data.get("requirement", [])):
        where = f"requirement {k + 1}"
        try:
            action = Action(r.get("action"))
            roles = frozenset(Role(x) for x in r.get("roles", []))
            subjects = tuple(Subject(x) for x in r.get("subjects", []))
        except ValueError as exc:
            raise _bad(f"{where}: {exc}") from None
        if not roles or not subjects:
            raise _bad(f"{where}: needs roles and subjects")
        if set(subjects) - set(taught):
            raise _bad(f"{where}: no course teaches {sorted(set(subjects) - set(taught))}")
        reqs.append(Requirement(action, roles, tuple(s for s in Subject if s in subjects)))
    if {r.action for r in reqs} != set(Action) or len(reqs) != len(Action):
        raise _bad("every action needs exactly one requirement")
    quality = data.get("quality", {})
    items = tuple(ChecklistItem(i["id"], _texts(i, "text", f"checklist item {i.get('id')}"))
                  for i in quality.get("checklist", []))
    if not items:
        raise _bad("the quality checklist needs at least one item")
    ids = {c.course_id for c in courses}
    refreshers: dict[str, tuple[str, ...]] = {}
    for reason in REFRESHER_REASONS:
        named = quality.get("refreshers", {}).get(reason, [])
        if not isinstance(named, list) or not named or set(named) - ids:
            raise _bad(f"quality.refreshers.{reason} must name one or more courses")
        refreshers[reason] = tuple(str(x) for x in named)
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
