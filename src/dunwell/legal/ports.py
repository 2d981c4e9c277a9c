"""What legal needs from the shell, as Protocols the providers implement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class TemplateRenderer(Protocol):
    """Renders a named template in a language (``TemplateBook`` implements it)."""

    def render(self, name: str, language: str, context: Mapping[str, object]) -> str: ...
