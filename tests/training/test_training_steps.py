"""Reading the curriculum, one step at a time: a course's header, a module, a question,
the refresher modules; a requirement, the checklist and the refreshers. Each wrong
shape is refused by name, never read as something else."""

from __future__ import annotations

from typing import Any

import pytest

from dunwell.training.curriculum import (
    builtin,
    course_header,
    parse_checklist,
    parse_module,
    parse_modules,
    parse_question,
    parse_refreshers,
    parse_requirement,
    refresher_modules,
)
from dunwell.training.errors import CurriculumInvalid
from dunwell.training.model import Action, Module, Question, Role, Subject
from dunwell.training.rules import review_score_pct

BOTH = {"zh-CN": "甲", "en": "A"}
MODULE = {"id": "m1", "minutes": 5, "title": BOTH, "material": BOTH}
QUESTION = {"id": "q1", "answer": "a", "prompt": BOTH,
            "choices": {"a": BOTH, "b": {"zh-CN": "乙", "en": "B"}}}


def refused(message: str) -> Any:
    return pytest.raises(CurriculumInvalid, match=message)


def test_a_course_is_known_by_its_id_and_subject() -> None:
    assert course_header({"course_id": "PRV-101", "subject": "privacy"}) == (
        "PRV-101", Subject.PRIVACY)
    with refused("needs a course_id"):
        course_header({"subject": "privacy"})
    with refused("PRV-101: subject must be one of"):
        course_header({"course_id": "PRV-101", "subject": "astrology"})


def test_a_module_has_an_id_texts_in_both_languages_and_minutes() -> None:
    assert parse_module(MODULE, "m") == Module("m1", BOTH, BOTH, 5)
    with refused("m: needs an id"):
        parse_module("m1", "m")
    with refused("m: minutes must be a whole number from 1 to 600"):
        parse_module({**MODULE, "minutes": 0}, "m")


def test_modules_must_be_an_array_of_tables_and_one_to_twenty() -> None:
    assert parse_modules({"modules": [MODULE]}, "X-1") == (Module("m1", BOTH, BOTH, 5),)
    with refused(r"X-1: modules must be an array of tables \(\[\[modules\]\]\)"):
        parse_modules({"modules": {"id": "m1"}}, "X-1")
    with refused("X-1: needs 1 to 20 modules"):
        parse_modules({}, "X-1")
    with refused("X-1: needs 1 to 20 modules"):
        parse_modules({"modules": [{**MODULE, "id": f"m{k}"} for k in range(25)]}, "X-1")


def test_a_question_has_two_or_more_choices_and_its_answer_among_them() -> None:
    question = parse_question(QUESTION, "q")
    assert question == Question("q1", BOTH, QUESTION["choices"], "a")  # type: ignore[arg-type]
    with refused("q: needs at least two choices"):
        parse_question({**QUESTION, "choices": {"a": BOTH}}, "q")
    with refused("q: the answer must be one of its choices"):
        parse_question({**QUESTION, "answer": "z"}, "q")


def test_refresher_modules_default_to_every_module_and_must_name_the_courses_own() -> None:
    modules = (Module("m1", BOTH, BOTH, 5), Module("m2", BOTH, BOTH, 5))
    assert refresher_modules({}, "X-1", modules) == ("m1", "m2")
    assert refresher_modules({"refresher_modules": ["m2"]}, "X-1", modules) == ("m2",)
    for wrong in (["m3"], [], "m1"):
        with refused("X-1: refresher_modules must name the course's modules"):
            refresher_modules({"refresher_modules": wrong}, "X-1", modules)


def test_a_requirement_names_an_action_roles_and_taught_subjects_in_curriculum_order() -> None:
    taught = list(Subject)
    spec = {"action": "visit", "roles": ["field_agent"],
            "subjects": ["visit_safety", "privacy"]}
    requirement = parse_requirement(spec, "requirement 1", taught)
    assert (requirement.action, requirement.roles) == (Action.VISIT,
                                                       frozenset({Role.FIELD_AGENT}))
    assert requirement.subjects == tuple(s for s in Subject
                                         if s in (Subject.PRIVACY, Subject.VISIT_SAFETY))
    with refused("requirement 1: must be a table"):
        parse_requirement(["visit"], "requirement 1", taught)
    with refused("requirement 1: roles and subjects must be arrays"):
        parse_requirement({**spec, "roles": "field_agent"}, "requirement 1", taught)
    with refused("requirement 1: no course teaches"):
        parse_requirement(spec, "requirement 1", [Subject.PRIVACY])


def test_the_checklist_needs_items_each_with_an_id_and_both_texts() -> None:
    items = parse_checklist({"checklist": [{"id": "c1", "text": BOTH}]})
    assert [(i.item_id, i.text) for i in items] == [("c1", BOTH)]
    with refused("needs 1 to 50 items"):
        parse_checklist({})
    with refused("checklist item 1: needs an id"):
        parse_checklist({"checklist": [{"text": BOTH}]})


def test_every_refresher_reason_names_known_courses() -> None:
    named = {"review_score": ["A"], "complaints": ["A", "B"], "denials": ["B"]}
    assert parse_refreshers({"refreshers": named}, {"A", "B"}) == {
        "review_score": ("A",), "complaints": ("A", "B"), "denials": ("B",)}
    with refused("quality.refreshers.denials must name one or more courses"):
        parse_refreshers({"refreshers": {**named, "denials": ["C"]}}, {"A", "B"})
    with refused("quality.refreshers must be a table"):
        parse_refreshers({"refreshers": ["A"]}, {"A"})


def test_the_shipped_curriculum_reads_whole() -> None:
    curriculum, checklist = builtin()
    assert {c.subject for c in curriculum.courses} == set(Subject)
    assert {r.action for r in curriculum.requirements} == set(Action)
    assert checklist


def test_a_review_is_scored_on_a_checklist_never_on_nothing() -> None:
    assert review_score_pct(["a", "b", "c"], ["a", "c"]) == 66
    with refused("a review needs a checklist of at least one item"):
        review_score_pct([], [])
