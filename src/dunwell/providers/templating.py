"""Message and letter templates: Jinja2 for the text, Babel for amounts and dates.

A template file is ``<name>.<lang>.j2`` (or ``<name>.<lang>.html.j2`` for HTML, whose
name is then ``<name>.html``) with ``lang`` one of ``zh-CN`` and ``en``. Its first
line declares every variable it reads::

    {# requires: borrower_name, amount_minor, currency #}

Loading checks each template: a syntax error, a missing declaration line or a
variable used but not declared is an :class:`InvalidInput` naming the file. Rendering
checks the context: a declared variable the caller did not supply is an
:class:`InvalidInput` naming it (and Jinja2's ``StrictUndefined`` catches the rest).
A template missing in the requested language falls back to ``en``.

Filters, formatted in the template's own language:

- ``money(amount_minor, currency)``: ``¥1,234.50`` in zh-CN, ``CN¥1,234.50`` in en;
- ``date(d)``: ``2026年11月24日`` in zh-CN, ``24 November 2026`` in en.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import jinja2
import jinja2.meta
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency

import dunwell.channels
from dunwell.channels.errors import LANGUAGE_UNKNOWN
from dunwell.channels.locale import FALLBACK_LANGUAGE, LANGUAGES, babel_locale
from dunwell.core.errors import InvalidInput, NotFound
from dunwell.core.money import exponent_of

#: The directory of the templates Dunwell ships.
BUILTIN_DIRECTORY = Path(dunwell.channels.__file__).parent / "templates"

_REQUIRES = re.compile(r"^\{#\s*requires:\s*(?P<names>[^#]*?)\s*#\}\s*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATE_PATTERNS = {"zh-CN": "long", "en": "d MMMM y"}


def format_money(amount_minor: object, currency: object, *, language: str) -> str:
    """``amount_minor`` of ``currency`` as the template language writes money: as
    Babel's ``format_currency`` writes it, through the amount's layout (:func:`_layout`)
    when there is one."""
    minor = _as_int(amount_minor, "amount_minor")
    code = str(currency).upper()
    exponent = exponent_of(code)
    digits = str(abs(minor)).rjust(exponent + 1, "0")
    layout = _layout(language, code, minor < 0, len(digits))
    if layout is None:
        return _babel_money(minor, code, exponent, language)
    return layout.format(*digits)


def _babel_money(minor: int, code: str, exponent: int, language: str) -> str:
    amount = Decimal(minor).scaleb(-exponent)
    return str(format_currency(amount, code, locale=_locale(language)))


#: Two amounts a layout is drawn from and checked against: every digit non-zero, and
#: different at each place, so each digit of the text can be told for the amount's.
_PROBES = ("123456789" * 4, "567891234" * 4)


@lru_cache(maxsize=1024)
def _layout(language: str, code: str, negative: bool, digit_count: int) -> str | None:
    """How ``language`` writes an amount of ``code`` with ``digit_count`` digits (minor
    units, leading zeros up to one whole digit), as a format string with a slot for
    each digit: Babel's text for two amounts of that many digits, the digits taken
    out. Babel's formatting (symbol, separators, grouping, sign) is the same for every
    amount of one length and sign, so a receipt costs a few string operations instead
    of a pass through Babel's pattern machinery. None when Babel's text does not hold
    the amount's digits in order (it would round, or write digits of its own): such an
    amount is formatted by Babel each time."""
    exponent = exponent_of(code)
    sign = -1 if negative else 1
    texts = []
    for probe in _PROBES:
        digits = probe[:digit_count]
        text = _babel_money(sign * int(digits), code, exponent, language)
        if "".join(ch for ch in text if ch.isdigit()) != digits:
            return None
        texts.append("".join("{}" if ch.isdigit() else ch.replace("{", "{{").replace("}", "}}")
                             for ch in text))
    return texts[0] if texts[0] == texts[1] else None


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    """The Babel locale of a template language, parsed once: given an identifier,
    Babel parses it again in every helper a format call makes (eight times a receipt)."""
    return Locale.parse(babel_locale(language))


@lru_cache(maxsize=1024)
def _day_text(day: dt.date, language: str) -> str:
    """``day`` as ``language`` writes it; a run of messages mostly writes the same few
    days, so each is formatted once."""
    return str(format_date(day, format=_DATE_PATTERNS[language], locale=_locale(language)))


def format_day(value: object, *, language: str) -> str:
    """A date (or ISO date string) as the template language writes it."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise InvalidInput(
                f"date filter got {value!r}; pass a date or an ISO date like 2026-11-24",
                code="template_date_must_be_a_date",
            ) from exc
    return _day_text(day, language)


def _as_int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be an integer count of minor units, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    raise InvalidInput(
        f"{what} must be an integer count of minor units (e.g. 123450 for 1,234.50), "
        f"not {value!r}",
        code="template_amount_must_be_minor_units",
    )


def _environment(language: str, *, html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )

    def money(amount_minor: object, currency: object) -> str:
        return format_money(amount_minor, currency, language=language)

    def date(value: object) -> str:
        return format_day(value, language=language)

    env.filters["money"] = money
    env.filters["date"] = date
    return env


@dataclass(frozen=True)
class Template:
    """One loaded template: where it came from, what it needs, how to render it."""

    name: str
    language: str
    path: Path
    requires: frozenset[str]
    html: bool
    compiled: jinja2.Template

    def render(self, context: Mapping[str, object]) -> str:
        missing = sorted(self.requires - set(context))
        if missing:
            raise InvalidInput(
                f"template {self.name} ({self.language}) needs "
                f"{', '.join(missing)}; supply them in the context",
                code="template_context_must_provide_variables",
                template=self.name,
                language=self.language,
                missing=missing,
            )
        try:
            return self.compiled.render(**dict(context)).strip()
        except jinja2.UndefinedError as exc:
            raise InvalidInput(
                f"template {self.name} ({self.language}): {exc}; supply it in the context",
                code="template_context_must_provide_variables",
                template=self.name,
                language=self.language,
            ) from exc


def parse_file_name(file_name: str) -> tuple[str, str, bool] | None:
    """``(name, language, html)`` for a template file name, ``None`` if not a template."""
    if not file_name.endswith(".j2"):
        return None
    stem = file_name[: -len(".j2")]
    html = stem.endswith(".html")
    if html:
        stem = stem[: -len(".html")]
    name, _, language = stem.rpartition(".")
    if not name:
        return None
    return (f"{name}.html" if html else name), language, html


def load_template(path: Path) -> Template:
    """Parse and check one template file."""
    parsed = parse_file_name(path.name)
    if parsed is None:
        raise InvalidInput(
            f"{path}: a template file is named <name>.<lang>.j2",
            code="template_file_name_must_be_valid",
            file=str(path),
        )
    name, language, html = parsed
    if language not in LANGUAGES:
        raise InvalidInput(
            f"{path}: language {language!r} is not one of {', '.join(LANGUAGES)}",
            code=LANGUAGE_UNKNOWN,
            file=str(path),
        )
    source = path.read_text(encoding="utf-8")
    first_line = source.split("\n", 1)[0]
    header = _REQUIRES.match(first_line)
    if header is None:
        raise InvalidInput(
            f"{path}: the first line must declare the variables, "
            "e.g. {# requires: borrower_name, amount_minor, currency #}",
            code="template_variables_must_be_declared",
            file=str(path),
        )
    declared = frozenset(n.strip() for n in header["names"].split(",") if n.strip())
    bad = sorted(n for n in declared if not _NAME.match(n))
    if bad:
        raise InvalidInput(
            f"{path}: declared names {', '.join(bad)} are not variable names",
            code="template_variables_must_be_declared",
            file=str(path),
        )
    env = _environment(language, html=html)
    try:
        ast = env.parse(source)
        compiled = env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidInput(
            f"{path}: line {exc.lineno}: {exc.message}",
            code="template_variables_must_be_declared",
            file=str(path),
        ) from exc
    used = jinja2.meta.find_undeclared_variables(ast) - set(env.globals)
    undeclared = sorted(used - declared)
    if undeclared:
        raise InvalidInput(
            f"{path}: uses {', '.join(undeclared)} without declaring "
            "it in the first line's requires list",
            code="template_variables_must_be_declared",
            file=str(path),
            variables=undeclared,
        )
    return Template(name, language, path, declared, html, compiled)


class TemplateBook:
    """Every template of a directory, checked, keyed by ``(name, language)``."""

    def __init__(self, templates: Iterable[Template]) -> None:
        self._templates: dict[tuple[str, str], Template] = {
            (t.name, t.language): t for t in templates
        }

    @classmethod
    def load(cls, directory: Path | None = None) -> TemplateBook:
        """Load and check every ``*.j2`` file in ``directory`` (default: built-in)."""
        root = BUILTIN_DIRECTORY if directory is None else Path(directory)
        if not root.is_dir():
            raise NotFound(
                f"template directory {root} does not exist; pass an existing directory",
                code="template_directory_must_exist",
            )
        return cls(load_template(p) for p in sorted(root.glob("*.j2")))

    def merged(self, other: TemplateBook) -> TemplateBook:
        """A book with this one's templates and ``other``'s; ``other`` wins on a clash."""
        return TemplateBook([*self._templates.values(), *other._templates.values()])

    def names(self) -> list[tuple[str, str]]:
        """Every ``(name, language)`` pair, sorted."""
        return sorted(self._templates)

    def template(self, name: str, language: str) -> Template:
        """The template for ``name`` in ``language``, falling back to ``en``."""
        found = self._templates.get((name, language)) or self._templates.get(
            (name, FALLBACK_LANGUAGE)
        )
        if found is None:
            known = sorted({n for n, _ in self._templates})
            raise NotFound(
                f"no template named {name!r}; known: {', '.join(known) or 'none'}",
                code="template_must_exist",
                template=name,
            )
        return found

    def requires(self, name: str, language: str) -> frozenset[str]:
        """The variables ``name`` in ``language`` declares."""
        return self.template(name, language).requires

    def render(self, name: str, language: str, context: Mapping[str, object]) -> str:
        """Render ``name`` in ``language`` (falling back to ``en``) with ``context``."""
        return self.template(name, language).render(context)

    def builtin_directory(self) -> str:
        """Where the built-in templates are."""
        return str(BUILTIN_DIRECTORY)

    def load_file(self, path: str) -> Template:
        """One template file, loaded and checked (:func:`load_template`)."""
        return load_template(Path(path))

    def load_directory(self, directory: str | None) -> TemplateBook:
        """Every template of ``directory`` (default: the built-in ones)."""
        return TemplateBook.load(None if directory is None else Path(directory))

    def sample_context(self, variables: frozenset[str]) -> dict[str, object]:
        """Sample values for ``variables`` (:func:`sample_context`)."""
        return sample_context(variables)

    def format_money(self, amount_minor: int, currency: str, *, language: str) -> str:
        """``amount_minor`` of ``currency`` as ``language`` writes money."""
        return format_money(amount_minor, currency, language=language)

    def format_day(self, day: dt.date, *, language: str) -> str:
        """``day`` as ``language`` writes a date."""
        return format_day(day, language=language)


#: Sample values by variable name, for ``dunwell templates check`` and tests.
_SAMPLES: dict[str, Callable[[], object]] = {
    "currency": lambda: "CNY",
    "borrower_name": lambda: "Li Wei",
    "lender_name": lambda: "Dunwell Microfinance",
    "support_contact": lambda: "400-800-1234",
}


def sample_value(variable: str) -> object:
    """A plausible value for ``variable``: ints for ``*_minor``/``*_count``/``*_days``, dates for
    ``*date``/``*_on``, text otherwise."""
    if variable in _SAMPLES:
        return _SAMPLES[variable]()
    if variable.endswith("_minor"):
        return 123450
    if variable.endswith(("_count", "_days")):
        return 6
    if variable.endswith(("date", "_on", "_due")):
        return dt.date(2026, 11, 24)
    return f"<{variable}>"


def sample_context(variables: Iterable[str]) -> dict[str, object]:
    """A context supplying every variable in ``variables`` with a sample value."""
    return {v: sample_value(v) for v in variables}


@lru_cache(maxsize=1)
def builtin_templates() -> TemplateBook:
    """The built-in templates, loaded and checked once per process."""
    return TemplateBook.load()
