"""Reason codes: the factors that push one decision towards "bad", in words a
borrower understands, in English and Simplified Chinese.

A feature's family is found from its name (``PAY_0`` and ``days_past_due`` are
repayment delays, ``BILL_AMT1`` and ``outstanding_principal_minor`` amounts owed...);
each family has a phrase for a value on the high or the low side of the training
median. Anything else gets a generic sentence naming the column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dunwell.risk.errors import RiskInputError
from dunwell.risk.model import FeatureSpec, Kind, Reason

LANGS = ("en", "zh-CN")
_ALIASES = {"en": "en", "en-us": "en", "en-gb": "en", "zh": "zh-CN", "zh-cn": "zh-CN",
            "zh-hans": "zh-CN"}
Phrase = tuple[str, str]  # (en, zh-CN)


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    pattern: re.Pattern[str]
    high: Phrase | None = None
    low: Phrase | None = None


FAMILIES = (
    Family("partial_payment", re.compile(r"partial"),
           high=("The oldest unpaid instalment was only partly paid",
                 "最早一期未还清的账单只还了一部分")),
    Family("paid_share", re.compile(r"paid_share|share_paid|instal+ments?_paid"),
           low=("Fewer instalments have been paid in full than expected",
                "已按期还清的期数偏少")),
    Family("delinquency", re.compile(
        r"^pay_\d+$|pay_?status|dpd|days_past_due|delinq|overdue|late|delay|arrear|past_due"),
           high=("Recent repayments were made late", "近期还款有逾期"),
           low=("There has been little recent repayment activity", "近期还款活动较少")),
    Family("repaid_amount", re.compile(r"pay_?amt|paid_amount|payment_amount|repaid|paid_ahead"),
           low=("Recent repayments were small compared with what is owed",
                "近期还款金额相对欠款偏少")),
    Family("utilisation", re.compile(r"util|usage|_ratio$"),
           high=("A large share of the credit is in use", "已使用的额度或欠款比例较高")),
    Family("limit", re.compile(r"limit|credit_line"),
           low=("The credit limit is low, which usually means a short record with us",
                "授信额度较低，通常说明与我们的往来记录较短")),
    Family("amount_owed", re.compile(r"bill|balance|outstanding|debt|owed|principal|exposure"),
           high=("The amount owed is high", "欠款金额较高")),
    Family("income", re.compile(r"income|salary|earning|wage"),
           low=("Income is low compared with the repayments", "收入相对还款额偏低")),
    Family("enquiries", re.compile(r"inquir|enquir|applications"),
           high=("There were many recent applications for credit", "近期申请借款的次数较多")),
    Family("history", re.compile(r"tenure|months_on_book|history|seniority|employ"),
           low=("The credit or employment history is short", "信用记录或工作年限较短")),
    Family("age", re.compile(r"^age$|_age$|^age_"),
           high=("Borrowers in this age group miss payments more often",
                 "该年龄段的借款人逾期较多"),
           low=("Borrowers in this age group miss payments more often",
                "该年龄段的借款人逾期较多")),
)

GENERIC: Mapping[str, Phrase] = {
    "high": ("{label} is higher than for most borrowers, which goes with more missed payments",
             "{label}高于多数借款人，这类情况逾期较多"),
    "low": ("{label} is lower than for most borrowers, which goes with more missed payments",
            "{label}低于多数借款人，这类情况逾期较多"),
    "category": ("{label} “{value}” goes with more missed payments",
                 "{label}为“{value}”的借款人逾期较多"),
    "missing": ("{label} was not provided", "未提供{label}"),
}


def language(lang: str) -> str:
    norm = _ALIASES.get(lang.strip().lower())
    if norm is None:
        raise RiskInputError(f"language {lang!r} is not known; use en or zh-CN",
                             code="risk_language_must_be_known")
    return norm


def family_of(feature: str) -> Family | None:
    lower = feature.lower()
    for family in FAMILIES:
        if family.pattern.search(lower):
            return family
    return None


def side(spec: FeatureSpec, value: float | str | None) -> str:
    if value is None:
        return "missing"
    if spec.kind is Kind.CATEGORICAL:
        return "category"
    if spec.median is None:
        raise RiskInputError(f"numeric feature {spec.name!r} has no training median to "
                             "compare with", code="risk_numeric_feature_must_have_median")
    return "high" if float(value) >= spec.median else "low"


def phrase(spec: FeatureSpec, value: float | str | None, lang: str) -> str:
    where = side(spec, value)
    family = family_of(spec.name)
    chosen = getattr(family, where, None) if where in ("high", "low") else None
    en, zh = chosen if chosen is not None else GENERIC[where]
    label = spec.name.replace("_", " ").strip()
    text = zh if language(lang) == "zh-CN" else en
    return text.format(label=label, value=value)


def top_reasons(contributions: Mapping[str, float], values: Mapping[str, float | str | None],
                specs: Mapping[str, FeatureSpec], *, top: int, lang: str) -> list[Reason]:
    """The ``top`` strongest pushes towards bad; features saying the same thing in
    words (PAY_0 and PAY_2 are both late repayments) are merged, their pushes added."""
    if top < 1:
        raise RiskInputError("top must be at least 1", code="risk_top_must_be_positive")
    language(lang)
    merged: dict[str, tuple[str, float, float]] = {}
    for name, amount in contributions.items():
        if amount <= 0:
            continue
        text = phrase(specs[name], values[name], lang)
        feature, total, largest = merged.get(text, (name, 0.0, 0.0))
        if amount > largest:
            feature, largest = name, amount
        merged[text] = (feature, total + amount, largest)
    ranked = sorted(merged.items(), key=lambda kv: -kv[1][1])[:top]
    return [Reason(feature=f, phrase=text, contribution=round(total, 4))
            for text, (f, total, _) in ranked]
