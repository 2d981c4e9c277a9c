"""The lender's own templates: check a directory of them against the channel rules,
and render one with given variables, before they are used.

The files are read by the shell's template book, handed in as a
:class:`~dunwell.channels.ports.TemplateFiles` (``app.providers.templates()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dunwell.channels.errors import LANGUAGE_UNKNOWN
from dunwell.channels.locale import LANGUAGES
from dunwell.channels.ports import TemplateFiles
from dunwell.channels.rules import template_problems
from dunwell.core.errors import DomainError, InvalidInput
from dunwell.settings import Settings

#: Template files one check reads at the most.
TEMPLATE_FILES_MAX = 10_000


@dataclass(frozen=True, slots=True)
class TemplateCheck:
    """One file checked: the template's name, language and variables when it loaded,
    and every problem found (empty: it is fine)."""

    path: Path
    name: str
    language: str
    variables: tuple[str, ...]
    problems: tuple[str, ...]
    loaded: bool


def check_templates(files: TemplateFiles, directory: Path | None = None
                    ) -> tuple[Path, list[TemplateCheck]]:
    """Load every ``*.j2`` file of ``directory`` (default: the built-in templates),
    render it with sample values and check the channel rules (opt-out notice, no
    amounts by SMS). Returns the directory read and one check per file."""
    root = Path(files.builtin_directory()) if directory is None else directory
    paths = sorted(root.glob("*.j2"))
    if len(paths) > TEMPLATE_FILES_MAX:
        raise InvalidInput(f"{root} holds {len(paths)} templates, more than one check reads "
                           f"({TEMPLATE_FILES_MAX})", code="template_check_must_be_bounded")
    return root, [_check_file(files, path) for path in paths]


def _check_file(files: TemplateFiles, path: Path) -> TemplateCheck:
    try:
        template = files.load_file(str(path))
        text = template.render(files.sample_context(template.requires))
        found = template_problems(template.name, template.language, text, template.requires)
    except DomainError as exc:
        return TemplateCheck(path, path.name, "", (), (exc.message.removeprefix(f"{path}: "),),
                             loaded=False)
    return TemplateCheck(path, template.name, template.language,
                         tuple(sorted(template.requires)), tuple(found), loaded=True)


def render_template(files: TemplateFiles, *, name: str, language: str,
                    variables: Sequence[str], settings: Settings,
                    directory: Path | None = None) -> str:
    """Render template ``name`` in ``language`` with ``variables`` (``key=value``
    strings); the lender's name and support contact default to the settings'."""
    if language not in LANGUAGES:
        raise InvalidInput(f"--lang must be one of {', '.join(LANGUAGES)}",
                           code=LANGUAGE_UNKNOWN)
    context: dict[str, object] = {"lender_name": settings.lender_name,
                                  "support_contact": settings.support_contact}
    for item in variables:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--var {item!r} must look like name=value",
                               code="template_variable_must_be_key_value")
        context[key.strip()] = value
    book = files.load_directory(None if directory is None else str(directory))
    return book.render(name, language, context)


__all__ = ["TemplateCheck", "check_templates", "render_template"]
