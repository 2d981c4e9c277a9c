"""Structured logging (structlog): key=value for people, JSON lines for machines.

No log line carries personal data in full: :func:`mask_personal_data` runs before the
renderer and masks every value under a personal key (``name``, ``phone``, ``email``,
``address``, ``to_address``, ``latitude``/``longitude``, ``id_number``...: see
:data:`dunwell.identity.masking.LOG_KEYS`), dropping coordinates, and masks phone
numbers and e-mail addresses written into any other text, the message included."""

from __future__ import annotations

import sys
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # structlog is imported with the first logger asked for: a command that
    # logs nothing (a read of a keyed book) starts without it and the asyncio, Pygments
    # and Rich tracebacks its package imports
    import structlog

#: The set-up :func:`configure` was given and not yet applied, structlog not being
#: imported yet; applied by the first :func:`get`.
_pending: tuple[str, str] | None = None


def mask_personal_data(_logger: Any, _method: str,
                       event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The structlog processor that masks personal data (module docstring)."""
    from dunwell.identity.masking import mask_log_fields  # its patterns load with the first line

    return mask_log_fields(event_dict)


def configure(*, fmt: str = "console", level: str = "INFO") -> None:
    """Log lines in ``fmt`` (``console`` or ``json``) from ``level`` up: applied now when
    structlog is already imported, else with the first logger :func:`get` gives (the
    keyring writes its development-keys warning through it too)."""
    global _pending
    if "structlog" in sys.modules:
        _pending = None
        _apply(fmt, level)
        return
    _pending = (fmt, level)
    from dunwell.store import crypto

    crypto.log_through(get)


def _apply(fmt: str, level: str) -> None:
    import logging

    import structlog

    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_personal_data,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)),
        logger_factory=_current_stderr,
        cache_logger_on_first_use=False,
    )


def _current_stderr(*_: object) -> structlog.PrintLogger:
    """A logger writing to ``sys.stderr`` as it is when the line is written: a progress
    bar that redirects the stream while it runs prints log lines above itself instead
    of being broken by them."""
    import structlog

    return structlog.PrintLogger(file=sys.stderr)


def get(name: str) -> structlog.stdlib.BoundLogger:
    global _pending
    import structlog

    if _pending is not None:
        fmt, level = _pending
        _pending = None
        _apply(fmt, level)
    return structlog.get_logger(name)  # type: ignore[no-any-return]
