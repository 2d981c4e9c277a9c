"""The secrets a served book needs, and what stands in for them in development.

``problems(settings)`` lists every secret that is missing or still a development
value, one line each, saying what to set; ``dunwell serve`` refuses to start while
the list is not empty, unless development mode is on (``--dev`` or
``DUNWELL_DEV_MODE=1``), where it only warns.

Where a secret is used:

- ``letter_key``: the key of letters' verification codes. Empty, it falls back to the
  development value with a warning (a command run by hand); ``serve`` never gets
  that far outside development mode.
- ``callback_key``: the key providers sign delivery callbacks with. Empty, it is the
  development value in development mode and otherwise None: callbacks are refused
  until it is set.
"""

from __future__ import annotations

from collections.abc import Callable

from dunwell.app import logs
from dunwell.settings import Settings

#: The letter secret's development value (the setting's default).
DEV_LETTER_SECRET: str = str(Settings.model_fields["letter_secret"].default)
#: The callback secret in development mode when none is set.
DEV_CALLBACK_SECRET = "dunwell-dev-callback-secret-not-for-production"
#: Shorter signing secrets are refused outside development mode.
SECRET_CHARS_MIN = 32
#: How to make one.
GENERATE = "openssl rand -hex 32"

log = logs.get("dunwell.secrets")


def _signing_secret(name: str, value: str, dev_value: str, used_for: str) -> str | None:
    variable = f"DUNWELL_{name.upper()}"
    if not value:
        return f"{variable} is empty: {used_for}; set it to a long random value ({GENERATE})"
    if value == dev_value:
        return (f"{variable} is the development value, which anyone can read in the source; "
                f"set a long random value ({GENERATE})")
    if len(value) < SECRET_CHARS_MIN:
        return (f"{variable} has {len(value)} characters; use at least {SECRET_CHARS_MIN} "
                f"random ones ({GENERATE})")
    return None


def key_problems(settings: Settings) -> list[str]:
    """The encryption keys unset (their format is checked where they are read)."""
    found = []
    if not settings.data_keys.strip():
        found.append("DUNWELL_DATA_KEYS is empty: personal data would be sealed under the "
                     "development key; set it (`dunwell keys generate`)")
    if not settings.lookup_key.strip():
        found.append("DUNWELL_LOOKUP_KEY is empty: lookup hashes would use the development "
                     "key; set it (`dunwell keys generate`)")
    return found


def problems(settings: Settings, *,
             keys: Callable[[Settings], list[str]] = key_problems) -> list[str]:
    """Each missing or development secret, as one line that says what to set.

    ``keys`` checks the encryption keys; the composition root's ``secret_problems``
    knows their format and development values, :func:`key_problems` only whether
    they are set."""
    signing = [
        _signing_secret("letter_secret", settings.letter_secret, DEV_LETTER_SECRET,
                        "letters' codes would be made with the development value"),
        _signing_secret("callback_secret", settings.callback_secret, DEV_CALLBACK_SECRET,
                        "outside development mode every provider callback is refused"),
    ]
    return [line for line in signing if line is not None] + keys(settings)


def letter_key(settings: Settings) -> str:
    """The key of letters' verification codes: the configured secret, or (empty) the
    development value, with a warning."""
    if settings.letter_secret:
        return settings.letter_secret
    log.warning("letter_secret_missing", using="the development letter secret",
                fix=f"set DUNWELL_LETTER_SECRET ({GENERATE})")
    return DEV_LETTER_SECRET


def callback_key(settings: Settings) -> str | None:
    """The key providers sign callbacks with; None when there is none (outside
    development mode an empty secret is never replaced)."""
    if settings.callback_secret:
        return settings.callback_secret
    return DEV_CALLBACK_SECRET if settings.dev_mode else None
