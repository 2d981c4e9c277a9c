"""Templates: checked when loaded, rendered in the borrower's language with Babel's
amounts and dates, and kind to the reader (an opt-out notice, no amounts by SMS)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from dunwell.channels.locale import LANGUAGES, babel_locale, language_for
from dunwell.channels.rules import TEMPLATE_CHANNELS, has_opt_out_notice, template_problems
from dunwell.core.errors import InvalidInput, NotFound
from dunwell.core.money import CURRENCY_EXPONENTS
from dunwell.providers.templating import TemplateBook, format_day, format_money, sample_context

MESSAGE_KINDS = ["sms_reminder", "email_reminder", "in_app_reminder", "hardship_outreach",
                 "payment_received", "plan_confirmation"]
LI_WEI = {"borrower_name": "李伟", "lender_name": "Dunwell", "amount_minor": 123450,
          "currency": "CNY", "due_date": dt.date(2026, 11, 24),
          "support_contact": "400-800-1234"}


@pytest.fixture(scope="module")
def book() -> TemplateBook:
    return TemplateBook.load()


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", MESSAGE_KINDS)
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_message_kind_exists_in_both_languages_and_renders_with_sample_data(
        book: TemplateBook, kind: str, language: str) -> None:
    assert (kind, language) in book.names()
    template = book.template(kind, language)
    text = template.render(sample_context(template.requires))
    assert text and "<" not in text.replace("<support_contact>", "")
    assert template_problems(kind, language, text, template.requires) == []


def test_amounts_and_dates_follow_the_templates_locale(book: TemplateBook) -> None:
    zh = book.render("email_reminder", "zh-CN", LI_WEI)
    en = book.render("email_reminder", "en", LI_WEI)
    assert "¥1,234.50" in zh and "2026年11月24日" in zh
    assert "CN¥1,234.50" in en and "24 November 2026" in en
    assert format_money(99, "USD", language="en") == "$0.99"
    assert format_money(5000, "JPY", language="zh-CN") == "JP¥5,000"
    assert format_day("2026-01-02", language="zh-CN") == "2026年1月2日"


@settings(max_examples=300, deadline=None)
@given(minor=st.one_of(st.integers(-(10**15), 10**15), st.integers(-1_000, 1_000)),
       currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
       language=st.sampled_from(LANGUAGES))
def test_an_amount_is_written_as_babel_writes_it(minor: int, currency: str,
                                                 language: str) -> None:
    """The layout a receipt's amount is written through gives Babel's own text for
    every amount, sign, currency and language."""
    exact = Decimal(minor).scaleb(-CURRENCY_EXPONENTS[currency])
    expected = format_currency(exact, currency, locale=babel_locale(language))
    assert format_money(minor, currency, language=language) == expected


def test_a_borrowers_language_tag_picks_zh_cn_or_english() -> None:
    assert [language_for(t) for t in ("zh", "zh-CN", "zh_Hans", "ZH-tw")] == ["zh-CN"] * 4
    assert [language_for(t) for t in ("en-GB", "en", "fr-FR", "")] == ["en"] * 4


def test_a_template_using_a_variable_it_does_not_declare_is_refused_at_load(
        tmp_path: Path) -> None:
    write(tmp_path, "nudge.en.j2", "{# requires: borrower_name #}\nHi {{ borrower_name }}, "
                                   "you owe {{ amount_minor }}.\n")
    with pytest.raises(InvalidInput) as err:
        TemplateBook.load(tmp_path)
    assert err.value.code == "template_variables_must_be_declared"
    assert "nudge.en.j2" in err.value.message and "amount_minor" in err.value.message


def test_a_template_without_its_declaration_line_or_with_bad_syntax_is_refused(
        tmp_path: Path) -> None:
    write(tmp_path, "bare.en.j2", "Hi {{ borrower_name }}\n")
    with pytest.raises(InvalidInput, match="first line must declare"):
        TemplateBook.load(tmp_path)
    (tmp_path / "bare.en.j2").unlink()
    write(tmp_path, "broken.en.j2", "{# requires: x #}\n{% if x %}never closed\n")
    with pytest.raises(InvalidInput, match=r"broken\.en\.j2: line"):
        TemplateBook.load(tmp_path)


def test_rendering_without_a_required_variable_names_what_is_missing(
        book: TemplateBook) -> None:
    context = {k: v for k, v in LI_WEI.items() if k not in ("amount_minor", "due_date")}
    with pytest.raises(InvalidInput) as err:
        book.render("email_reminder", "en", context)
    assert err.value.code == "template_context_must_provide_variables"
    assert err.value.details["missing"] == ["amount_minor", "due_date"]


def test_an_unknown_template_is_not_found_and_a_missing_language_falls_back_to_english(
        tmp_path: Path, book: TemplateBook) -> None:
    with pytest.raises(NotFound) as err:
        book.render("threat_letter", "en", {})
    assert err.value.code == "template_must_exist"
    write(tmp_path, "welcome.en.j2", "{# requires: borrower_name #}\nWelcome, {{ borrower_name }}!")
    merged = book.merged(TemplateBook.load(tmp_path))
    assert merged.render("welcome", "zh-CN", {"borrower_name": "Ann"}) == "Welcome, Ann!"
    assert ("sms_reminder", "zh-CN") in merged.names()


def test_html_templates_escape_their_variables_and_text_templates_do_not(
        tmp_path: Path) -> None:
    write(tmp_path, "card.en.html.j2", "{# requires: name #}\n<p>{{ name }}</p>")
    write(tmp_path, "card.en.j2", "{# requires: name #}\n{{ name }}")
    book = TemplateBook.load(tmp_path)
    assert book.render("card.html", "en", {"name": "<b>Ann</b>"}) == \
        "<p>&lt;b&gt;Ann&lt;/b&gt;</p>"
    assert book.render("card", "en", {"name": "<b>Ann</b>"}) == "<b>Ann</b>"


def test_texts_by_sms_or_e_mail_carry_an_opt_out_and_sms_texts_show_no_amounts(
        book: TemplateBook) -> None:
    for kind, channels in TEMPLATE_CHANNELS.items():
        for language in ("zh-CN", "en"):
            template = book.template(kind, language)
            text = template.render(sample_context(template.requires))
            if {c.value for c in channels} & {"sms", "email"}:
                assert has_opt_out_notice(text, language), (kind, language)
            if "sms" in {c.value for c in channels}:
                assert not any(v.endswith("_minor") for v in template.requires), kind
                assert "1,234.50" not in text


def test_a_message_template_that_breaks_a_channel_rule_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "sms_reminder.en.j2",
          "{# requires: amount_minor, currency #}\nPay {{ amount_minor | money(currency) }} now.")
    template = TemplateBook.load(tmp_path).template("sms_reminder", "en")
    text = template.render({"amount_minor": 100, "currency": "USD"})
    problems = template_problems("sms_reminder", "en", text, template.requires)
    assert any("may not show amounts" in p for p in problems)
    assert any("opt out" in p for p in problems)
