"""Which template language a borrower reads.

Templates exist in two languages, ``zh-CN`` and ``en``. A borrower's language tag
(BCP 47 or POSIX style: ``zh``, ``zh-CN``, ``zh_Hans``, ``en-GB``) maps to one of
them; anything that is not Chinese reads English.
"""

from __future__ import annotations

from typing import Final

#: The template languages Dunwell ships.
LANGUAGES: Final[tuple[str, ...]] = ("zh-CN", "en")
#: The language used when a template is missing in the borrower's language.
FALLBACK_LANGUAGE: Final[str] = "en"


def language_for(borrower_language: str) -> str:
    """The template language for ``borrower_language``: ``zh-CN`` or ``en``.

    >>> language_for("zh"), language_for("zh_TW"), language_for("en-GB"), language_for("")
    ('zh-CN', 'zh-CN', 'en', 'en')
    """
    primary = borrower_language.strip().replace("_", "-").split("-", 1)[0].lower()
    return "zh-CN" if primary == "zh" else FALLBACK_LANGUAGE


def babel_locale(language: str) -> str:
    """The Babel locale identifier for a template language (``zh-CN`` → ``zh_CN``)."""
    return language.replace("-", "_")
