"""Ports origination needs from the shell.

A :class:`CreditModel` turns an application's features into a probability of
default and the reasons behind it. The built-in points scorecard
(:class:`dunwell.origination.scorecard.Scorecard`) implements it; a trained model
from ``dunwell.risk`` is adapted to it in ``dunwell.app.origination``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from dunwell.origination.model import Reason


class CreditModel(Protocol):
    """Scores one application's features (see docs/origination.md for the names)."""

    @property
    def name(self) -> str:
        """Identifies the model (and its version) in each stored decision."""
        ...

    def score(self, features: Mapping[str, object]) -> tuple[float, list[Reason]]:
        """Probability of default in [0, 1], and reasons, the most important first."""
        ...
