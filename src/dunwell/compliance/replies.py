"""What a borrower's own message asks for (pure).

A text that says only STOP, 退订 or TD (the Chinese carriers' short form of 退订),
in any case and with surrounding spaces or a full stop, asks to stop messages on
the channel it came by: an ``opt_out_request``, which every pack obeys.
"""

from __future__ import annotations

import unicodedata

#: Replies that opt the sender out of the channel they came by.
STOP_WORDS = frozenset({"STOP", "退订", "TD"})
#: The longest reply read as a keyword; anything longer is a message to a person.
STOP_REPLY_CHARS_MAX = 16


def asks_to_stop(text: str) -> bool:
    """True when ``text`` is one of :data:`STOP_WORDS`.

    >>> asks_to_stop(" stop "), asks_to_stop("退订。"), asks_to_stop("td"), asks_to_stop("stop it")
    (True, True, True, False)
    """
    if len(text) > STOP_REPLY_CHARS_MAX * 4:
        return False
    word = unicodedata.normalize("NFKC", text).strip().rstrip(".。!！").strip().upper()
    return len(word) <= STOP_REPLY_CHARS_MAX and word in STOP_WORDS
