"""Borrower commands: ``dunwell borrower prefs`` stores what the borrower asked about
when, how and in which language to be contacted; the guard obeys it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from dunwell.cli.common import DbOption, app_for, clear_errors, console, now
from dunwell.core.errors import InvalidInput

if TYPE_CHECKING:
    from dunwell.app.collections.contacts import Keep

borrower_app = typer.Typer(help="Borrowers' contact preferences.", no_args_is_help=True)
#: Typed instead of a time or a list to clear what is stored.
CLEAR = "none"


def _clock(text: str | None, field: str) -> dt.time | Keep | None:
    from dunwell.app.collections.contacts import KEEP
    if text is None:
        return KEEP
    if text.strip().lower() == CLEAR:
        return None
    try:
        value = dt.time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{field} must be a local time HH:MM, like 09:00, or 'none'",
                           code="time_must_be_hh_mm", field=field) from None
    if len(text.strip()) != len("HH:MM"):
        raise InvalidInput(f"{field} must be a local time HH:MM, like 09:00, or 'none'",
                           code="time_must_be_hh_mm", field=field)
    return value


def _channels(text: str | None) -> list[str] | None:
    if text is None:
        return None
    if text.strip().lower() == CLEAR:
        return []
    return [c.strip() for c in text.split(",") if c.strip()]


@borrower_app.command("prefs")
def prefs(
    borrower_id: Annotated[int, typer.Argument(help="Borrower id.")],
    no_contact_before: Annotated[str | None, typer.Option(
        "--no-contact-before", metavar="HH:MM",
        help="No contact before this local time ('none' clears it).")] = None,
    no_contact_after: Annotated[str | None, typer.Option(
        "--no-contact-after", metavar="HH:MM",
        help="No contact after this local time ('none' clears it).")] = None,
    channels: Annotated[str | None, typer.Option(
        "--channels", metavar="LIST",
        help="The only channels the borrower may be contacted by, e.g. sms,call; calls, "
        "texts, e-mails and visits not listed count as opted out ('none' clears it).")] = None,
    language: Annotated[str | None, typer.Option(
        "--language", help="Language for messages and letters, e.g. zh-CN.")] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why, in the borrower's words (e.g. works nights).")] = None,
    db: DbOption = None,
) -> None:
    """Store (and show) the borrower's contact preferences; options not given stay."""
    from dunwell.app.collections.contacts import set_contact_preferences
    with clear_errors():
        stored = set_contact_preferences(
            app_for(db), borrower_id=borrower_id,
            no_contact_before=_clock(no_contact_before, "--no-contact-before"),
            no_contact_after=_clock(no_contact_after, "--no-contact-after"),
            channels=_channels(channels), language=language, reason=reason, now=now())
    p = stored.contact_preferences
    hours = (f"{p.no_contact_before.isoformat('minutes') if p.no_contact_before else '-'}"
             f" to {p.no_contact_after.isoformat('minutes') if p.no_contact_after else '-'}")
    console.print(f"borrower {borrower_id}: contact hours {hours} ({stored.timezone}); "
                  f"channels {', '.join(stored.preferred_channels) or 'any'}; "
                  f"language {stored.language or '-'}"
                  + (f"; reason: {p.reason}" if p.reason else ""))
