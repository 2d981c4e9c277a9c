"""Reasons and advice in words, in English and Simplified Chinese, from
``wording.toml``. A reason a trained model worded itself keeps its own words."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from dunwell.origination.model import Decision, Effect, Reason

#: Pieces of advice shown at the most, the most important first.
ADVICE_MAX = 3
Catalogue = dict[str, dict[str, dict[str, str]]]  # code -> helps/hurts/advice -> lang -> text


@cache
def catalogue() -> Catalogue:
    text = resources.files("dunwell.origination").joinpath("wording.toml").read_text("utf-8")
    data: Catalogue = tomllib.loads(text)
    return data


def language(tag: str | None) -> str:
    """The supported language closest to ``tag`` (``zh``, ``zh-cn``, ``zh-Hans`` -> zh-CN)."""
    if tag and tag.strip().lower().startswith("zh"):
        return "zh-CN"
    return "en"


def reason_text(reason: Reason, lang: str) -> str:
    lang = language(lang)
    own = reason.text_in(lang)
    if own:
        return own
    words = catalogue()
    entry = words.get(reason.code) or words["model"]
    value = reason.value or reason.code.removeprefix("model.").replace("_", " ")
    by_lang = entry.get(reason.effect.value) or entry[Effect.HURTS.value]
    return by_lang[lang].format(value=value)


def advice_text(code: str, lang: str) -> str | None:
    entry = catalogue().get(code, {}).get("advice")
    return None if entry is None else entry[language(lang)]


@dataclass(frozen=True, slots=True)
class Explanation:
    language: str
    reasons: tuple[str, ...]
    advice: tuple[str, ...]


def explain(decision: Decision, lang: str) -> Explanation:
    """The decision's reasons and what would help, in ``lang`` (en or zh-CN)."""
    lang = language(lang)
    advice = [advice_text(code, lang) for code in decision.advice]
    unique = tuple(dict.fromkeys(a for a in advice if a))[:ADVICE_MAX]
    return Explanation(lang, tuple(reason_text(r, lang) for r in decision.reasons), unique)

