"""Ports origination needs from the shell.

A :class:`CreditModel` turns an application's features into a probability of
default and the reasons behind it. The built-in points scorecard
(:class:`dunwell.origination.scorecard.Scorecard`) implements it; a trained model
from ``dunwell.risk`` is adapted to it in ``dunwell.app.origination.service``. A
:class:`Bureau` reports a borrower's debts elsewhere for the credit review
(:mod:`.credit_review`); the local file provider (``dunwell.providers.bureau_file``) implements it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol

from dunwell.origination.bureau import BureauReport
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


class Bureau(Protocol):
    """Reports a borrower's debts with other lenders (a credit bureau, or a file of its
    records). ``None``: the bureau does not know the borrower — a thin file, not a
    clean one."""

    @property
    def name(self) -> str:
        """Names the bureau (the source each review records)."""
        ...

    def report(self, reference: str, *, currency: str,
               as_of: dt.date) -> BureauReport | None:
        """The borrower's accounts elsewhere, amounts in ``currency`` (the book's)."""
        ...
