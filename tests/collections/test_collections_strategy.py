"""Strategies as YAML: the shipped ones load, every problem is named with its path,
segments pick cases, and coverage gaps are listed."""

from __future__ import annotations

import textwrap

import pytest

from dunwell.collections.errors import StrategyRejected
from dunwell.collections.model import ActionKind
from dunwell.collections.strategy import builtin_strategies, coverage_gaps, load_strategy
from dunwell.core.errors import InvalidInput

HUMANE_STANDARD_LADDER = [
    # (day, step id, kind, local time, channel)
    (-3, "pre_due_in_app", "in_app_reminder", "10:00", "in_app"),
    (-1, "pre_due_sms", "sms_reminder", "10:00", "sms"),
    (0, "due_day_sms", "sms_reminder", "09:30", "sms"),
    (1, "d1_sms", "sms_reminder", "10:00", "sms"),
    (3, "d3_call", "call", "11:00", "call"),
    (7, "d7_call_queue", "call_queue", "10:00", "call"),
    (15, "d15_letter", "letter", "09:00", "letter"),
    (30, "d30_visit_notice", "letter", "09:00", "letter"),
    (37, "d37_field_visit", "field_visit", "14:00", "visit"),
    (45, "d45_negotiation_offer", "negotiation_offer", "11:00", "call"),
    (90, "d90_legal_review", "legal_review", "10:00", None),
]


def strategy_yaml(segments: str) -> str:
    return "name: test\nversion: 1\nsegments:\n" + textwrap.indent(textwrap.dedent(segments), "  ")


def problems_of(text: str) -> list[str]:
    with pytest.raises(StrategyRejected) as caught:
        load_strategy(text)
    assert isinstance(caught.value, InvalidInput)
    problems = caught.value.details["problems"]
    assert isinstance(problems, list)
    return problems


def test_the_shipped_strategies_load() -> None:
    strategies = builtin_strategies()
    assert sorted(strategies) == ["aggressive", "humane", "ml"]
    humane = strategies["humane"]
    assert (humane.name, humane.version) == ("humane", 1)
    assert [s.id for s in humane.segments] == ["standard", "high_risk", "care"]
    assert [s.id for s in strategies["aggressive"].segments] == ["all"]
    assert [s.id for s in strategies["ml"].segments] == ["menu", "care"]


def test_the_humane_standard_ladder_is_the_documented_one() -> None:
    standard = builtin_strategies()["humane"].segments[0]
    rows = [(s.day, s.id, s.kind.value, s.at.strftime("%H:%M"), s.channel) for s in standard.ladder]
    assert rows == HUMANE_STANDARD_LADDER


def test_steps_take_their_kinds_default_channel_and_tags_unless_overridden() -> None:
    standard = {s.id: s for s in builtin_strategies()["humane"].segments[0].steps}
    assert standard["d1_sms"].content_tags == ("payment_reminder", "opt_out_notice")
    assert standard["d15_letter"].content_tags == (
        "reminder_letter",
        "private_and_confidential",
        "signpost_free_debt_advice",
    )
    assert standard["d37_field_visit"].content_tags == (
        "reminder_letter",
        "staff_certified",
        "audio_video_recording",
        "prior_notice",
    )
    assert standard["d30_visit_notice"].content_tags == (
        "reminder_letter",
        "prior_notice",
        "private_and_confidential",
        "signpost_free_debt_advice",
    )
    assert standard["d45_negotiation_offer"].content_tags == (
        "instalment_plan",
        "no_deadline_pressure",
    )
    assert (standard["d90_legal_review"].channel, standard["d90_legal_review"].content_tags) == (
        None,
        (),
    )
    assert [str(c) for c in standard["d37_field_visit"].requires] == ["no_contact_days >= 14"]


def test_every_action_kind_has_a_design_channel_or_is_internal() -> None:
    channels = {kind.value: kind.channel for kind in ActionKind}
    assert channels == {
        "in_app_reminder": "in_app",
        "sms_reminder": "sms",
        "email_reminder": "email",
        "call": "call",
        "call_queue": "call",
        "letter": "letter",
        "field_visit": "visit",
        "negotiation_offer": "call",
        "legal_review": None,
        "hardship_outreach": "in_app",
        "education": "in_app",
    }


def test_an_unknown_action_kind_is_named_with_its_path() -> None:
    text = strategy_yaml("""
        - id: early
          dpd: [0, 30]
          steps:
            - {id: a, day: 1, kind: sms_reminder, at: "10:00"}
            - {id: b, day: 2, kind: carrier_pigeon, at: "10:00"}
    """)
    (problem,) = problems_of(text)
    assert problem.startswith(
        "segments[0].steps[1].kind: unknown action kind 'carrier_pigeon'; "
        "use one of in_app_reminder, sms_reminder"
    )


def test_duplicate_step_ids_are_named_with_both_paths() -> None:
    text = strategy_yaml("""
        - id: early
          dpd: [0, 30]
          steps:
            - {id: remind, day: 1, kind: sms_reminder, at: "10:00"}
            - {id: remind, day: 3, kind: call, at: "11:00"}
    """)
    assert problems_of(text) == [
        "segments[0].steps[1].id: duplicate step id 'remind' (also segments[0].steps[0])"
    ]


def test_a_step_outside_its_segments_dpd_range_is_unreachable() -> None:
    text = strategy_yaml("""
        - id: early
          dpd: [0, 30]
          steps:
            - {id: remind, day: 1, kind: sms_reminder, at: "10:00"}
            - {id: late_call, day: 40, kind: call, at: "11:00"}
    """)
    assert problems_of(text) == [
        "segments[0].steps[1].day: day 40 is outside the segment's dpd range [0, 30], "
        "so the step is never due"
    ]


def test_a_step_after_the_legal_review_is_unreachable() -> None:
    text = strategy_yaml("""
        - id: all
          dpd: [0, 180]
          steps:
            - {id: review, day: 90, kind: legal_review, at: "10:00"}
            - {id: too_late, day: 100, kind: letter, at: "09:00"}
    """)
    assert problems_of(text) == [
        "segments[0].steps[1].day: day 100 comes after 'review' (legal_review on day 90), "
        "which ends the ladder, so the step is never due"
    ]


def test_overlapping_segments_are_named_with_a_case_both_would_claim() -> None:
    text = strategy_yaml("""
        - id: early
          dpd: [0, 30]
          steps: [{id: a, day: 1, kind: sms_reminder, at: "10:00"}]
        - id: middle
          dpd: [20, 60]
          steps: [{id: b, day: 31, kind: letter, at: "09:00"}]
    """)
    assert problems_of(text) == [
        "segments[1]: overlaps segments[0] ('early'): a case on day 20 with score unscored, "
        "balance 0 and flags [none] matches both; narrow one of them"
    ]


def test_segments_split_by_score_band_or_excluded_flag_do_not_overlap() -> None:
    text = strategy_yaml("""
        - id: low
          dpd: [0, 30]
          score: [0.0, 0.5]
          unscored: true
          flags_excluded: [vulnerable]
          steps: [{id: a, day: 1, kind: sms_reminder, at: "10:00"}]
        - id: high
          dpd: [0, 30]
          score: [0.5, 1.0]
          flags_excluded: [vulnerable]
          steps: [{id: a, day: 1, kind: sms_reminder, at: "10:00"}]
        - id: care
          dpd: [0, 30]
          flags_required: [vulnerable]
          steps: [{id: c, day: 1, kind: education, at: "10:00"}]
    """)
    assert [s.id for s in load_strategy(text).segments] == ["low", "high", "care"]


def test_every_problem_in_a_document_is_reported_at_once() -> None:
    text = strategy_yaml("""
        - id: early
          dpd: [0, 30]
          colour: blue
          flags_excluded: [grumpy]
          steps:
            - {id: a, day: 1, kind: sms_reminder, at: 10:00}
            - {id: b, day: 2, kind: call, at: "10:00", repeat_every_days: 1}
            - {id: c, day: 3, kind: letter, at: "09:00", content_tags: [gentle_nudge]}
            - {id: d, day: 4, kind: call, at: "09:00", channel: pigeon}
            - {id: e, day: 5, kind: call, at: "09:00", requires: "mood >= 3"}
    """)
    problems = problems_of(text)
    assert problems == [
        "segments[0].flags_excluded: unknown flag grumpy; use words from DESIGN.md §4",
        'segments[0].steps[0].at: write the local time quoted as "HH:MM", such as "10:00", '
        "got 600 (YAML reads an unquoted 10:00 as the number 600)",
        "segments[0].steps[1]: repeat_every_days and max_times go together: a repeat needs "
        "a limit and a limit needs a repeat",
        "segments[0].steps[2].content_tags: unknown content tag gentle_nudge; use words from "
        "DESIGN.md §4",
        "segments[0].steps[3].channel: unknown channel pigeon; use words from DESIGN.md §4",
        "segments[0].steps[4].requires: unknown metric 'mood' in 'mood >= 3'; use one of "
        "no_contact_days, broken_promises, days_past_due",
        "segments[0].colour: is not a strategy field; remove it or check its spelling",
    ]


def test_a_shared_step_id_must_mean_the_same_step_in_every_segment() -> None:
    text = strategy_yaml("""
        - id: low
          dpd: [0, 30]
          score: [0.0, 0.5]
          steps: [{id: first_call, day: 3, kind: call, at: "11:00"}]
        - id: high
          dpd: [0, 30]
          score: [0.5, 1.0]
          unscored: true
          steps: [{id: first_call, day: 1, kind: call, at: "11:00"}]
    """)
    assert problems_of(text) == [
        "segments[1].steps[0].id: step id 'first_call' means a different step in "
        "segments[0]; a shared id must have the same day, kind and repeats"
    ]


def test_yaml_that_does_not_parse_is_its_own_rejection() -> None:
    with pytest.raises(StrategyRejected) as caught:
        load_strategy("name: [unclosed\n")
    assert caught.value.code == "strategy_yaml_must_parse"


def test_a_missing_field_is_named() -> None:
    assert problems_of("name: test\nversion: 1\n") == ["segments: is required"]


@pytest.mark.parametrize(
    ("day", "score", "flags", "segment"),
    [
        (5, None, set(), "standard"),
        (5, 0.69, set(), "standard"),
        (5, 0.7, set(), "high_risk"),
        (5, 1.0, set(), "high_risk"),
        (-3, 0.1, {"vulnerable"}, "care"),
        (40, 0.9, {"hardship_plan", "opt_out_sms"}, "care"),
        (-5, 0.8, set(), "high_risk"),
        (-5, 0.2, set(), None),
        (181, None, set(), None),
    ],
)
def test_the_humane_strategy_picks_one_segment_per_case(
    day: int, score: float | None, flags: set[str], segment: str | None
) -> None:
    humane = builtin_strategies()["humane"]
    found = humane.segment_for(day=day, score=score, balance_minor=50_000, flags=frozenset(flags))
    assert (found.id if found else None) == segment


def test_a_balance_range_narrows_a_segment() -> None:
    text = strategy_yaml("""
        - id: small
          dpd: [1, 30]
          balance_minor: [0, 99999]
          steps: [{id: a, day: 1, kind: sms_reminder, at: "10:00"}]
        - id: large
          dpd: [1, 30]
          balance_minor: [100000, null]
          steps: [{id: b, day: 1, kind: call, at: "10:00"}]
    """)
    strategy = load_strategy(text)
    picked = [
        strategy.segment_for(day=3, score=None, balance_minor=balance, flags=frozenset())
        for balance in (0, 99_999, 100_000, 10**9)
    ]
    assert [s.id if s else None for s in picked] == ["small", "small", "large", "large"]


def test_coverage_gaps_list_the_days_no_segment_serves() -> None:
    text = strategy_yaml("""
        - id: early
          dpd: [0, 30]
          steps: [{id: a, day: 1, kind: sms_reminder, at: "10:00"}]
        - id: late
          dpd: [61, 90]
          steps: [{id: b, day: 61, kind: letter, at: "09:00"}]
    """)
    assert [str(g) for g in coverage_gaps(load_strategy(text))] == [
        "days 31..60, unscored, balance 0.., flags [none]",
        "days 31..60, score [0.0, 1.0], balance 0.., flags [none]",
    ]


def test_the_humane_strategy_leaves_only_days_before_d_minus_3_uncovered() -> None:
    gaps = coverage_gaps(builtin_strategies()["humane"])
    assert {(g.day_min, g.day_max) for g in gaps} == {(-5, -4)}
    assert not [g for g in gaps if g.score_band == (0.7, 1.0) and not g.flags]
