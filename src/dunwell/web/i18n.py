"""Two languages on every page: zh-CN and en.

Messages are a catalogue of ids with both texts; each page module adds its own with
:func:`add_messages` when imported (a missing language is an error at import time,
so no page can ship half-translated). Money and dates are formatted with Babel in
the reader's locale. The reader's language is, in order: ``?lang=``, the
``dunwell_lang`` cookie, the browser's ``Accept-Language``, then zh-CN."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LANG_COOKIE = "dunwell_lang"
_LOCALES = {"zh-CN": "zh_Hans_CN", "en": "en_GB"}

_CATALOGUE: dict[str, dict[str, str]] = {}


def add_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add ``{id: {"zh-CN": ..., "en": ...}}``; both languages are required and an id
    may be defined once."""
    for key, texts in messages.items():
        missing = [lang for lang in LANGUAGES if not texts.get(lang)]
        if missing:
            raise ValueError(f"message {key!r} has no text in {', '.join(missing)}")
        if key in _CATALOGUE and dict(texts) != _CATALOGUE[key]:
            raise ValueError(f"message {key!r} is defined twice with different texts")
        _CATALOGUE[key] = dict(texts)


def text(key: str, lang: str, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``{name}`` placeholders filled."""
    texts = _CATALOGUE.get(key)
    if texts is None:
        raise KeyError(f"no message {key!r}; add it with add_messages")
    chosen = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    return chosen.format(**values) if values else chosen


def pick_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    for given in (query, cookie):
        if given in LANGUAGES:
            return given
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


def money(minor: int, currency: str, lang: str) -> str:
    """Minor units as money in the reader's locale: ¥1,234.50 / US$1,234.50."""
    amount = Decimal(minor).scaleb(-2)
    return format_currency(amount, currency, locale=_LOCALES[lang])


def number(value: int | Decimal, lang: str) -> str:
    return format_decimal(value, locale=_LOCALES[lang])


def date(day: dt.date, lang: str) -> str:
    return babel_date(day, format="medium", locale=_LOCALES[lang])


def datetime(at: dt.datetime, lang: str, tz: str = "Asia/Shanghai") -> str:
    return babel_datetime(at, format="medium", tzinfo=ZoneInfo(tz), locale=_LOCALES[lang])


add_messages({
    "app.name": {"zh-CN": "敦维", "en": "Dunwell"},
    "nav.home": {"zh-CN": "首页", "en": "Home"},
    "nav.portal": {"zh-CN": "我的借款", "en": "My loans"},
    "nav.work": {"zh-CN": "工作台", "en": "Workbench"},
    "nav.field": {"zh-CN": "外访", "en": "Field visits"},
    "nav.dashboard": {"zh-CN": "管理看板", "en": "Dashboard"},
    "nav.complaints": {"zh-CN": "投诉", "en": "Complaints"},
    "nav.sign_out": {"zh-CN": "退出", "en": "Sign out"},
    "nav.sign_in": {"zh-CN": "登录", "en": "Sign in"},
    "nav.language": {"zh-CN": "English", "en": "中文"},
    "nav.skip": {"zh-CN": "跳到正文", "en": "Skip to content"},
    "sign_in.title": {"zh-CN": "员工登录", "en": "Staff sign-in"},
    "sign_in.name": {"zh-CN": "用户名", "en": "User name"},
    "sign_in.password": {"zh-CN": "密码", "en": "Password"},
    "sign_in.submit": {"zh-CN": "登录", "en": "Sign in"},
    "sign_in.borrower": {"zh-CN": "借款人请用手机验证码登录", "en":
                         "Borrowers: sign in with a code sent to your phone"},
    "sign_in.failed": {"zh-CN": "用户名或密码不正确，或账户已停用。", "en":
                       "The name or password is not right, or the account is disabled."},
    "home.title": {"zh-CN": "欢迎", "en": "Welcome"},
    "home.signed_in_as": {"zh-CN": "当前用户：{name}（{role}）", "en":
                          "Signed in as {name} ({role})"},
    "home.nothing": {"zh-CN": "此角色通过命令行管理用户和令牌。", "en":
                     "This role manages users and tokens from the command line."},
    "form.required": {"zh-CN": "此项必填。", "en": "This field is required."},
    "form.saved": {"zh-CN": "已保存。", "en": "Saved."},
    "role.borrower": {"zh-CN": "借款人", "en": "borrower"},
    "role.collector": {"zh-CN": "催收员", "en": "collector"},
    "role.field_agent": {"zh-CN": "外访专员", "en": "field agent"},
    "role.team_lead": {"zh-CN": "组长", "en": "team lead"},
    "role.manager": {"zh-CN": "经理", "en": "manager"},
    "role.risk_analyst": {"zh-CN": "风险分析师", "en": "risk analyst"},
    "role.compliance_officer": {"zh-CN": "合规专员", "en": "compliance officer"},
    "role.legal_counsel": {"zh-CN": "法律顾问", "en": "legal counsel"},
    "role.admin": {"zh-CN": "管理员", "en": "administrator"},
})
