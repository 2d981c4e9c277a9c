"""Running a command in its own transaction, again when it lost a race.

A command that lost a race changed nothing (its transaction rolled back), so running
it again from the start is always safe; its idempotency key makes the second run a
replay where the first one did land. Races a command can lose:

- another writer saved the loan between this command's read and its save (the
  version check refuses the save);
- another request with the same idempotency key committed first (the key's unique
  index refuses the insert; the next run replays it);
- the database could not serialise it (PostgreSQL serialisation failure or deadlock,
  SQLite busy past its timeout).

After ``attempts`` losses the command gives up with
:class:`~dunwell.core.errors.RetryLater` (exit 75 on the CLI, 503 with
``Retry-After`` in the API).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from dunwell.app import logs
from dunwell.app.context import Dunwell
from dunwell.app.uow import UnitOfWork
from dunwell.core.errors import RetryLater

T = TypeVar("T")
log = logs.get(__name__)

#: How many times a command is run before it gives up with ``RetryLater``.
ATTEMPTS_MAX = 8
#: The first pause between runs (seconds); it doubles, with jitter, up to the cap.
BACKOFF_BASE_SECONDS = 0.01
BACKOFF_CAP_SECONDS = 0.5


def run_command(app: Dunwell, command: Callable[[UnitOfWork], T], *,
                attempts: int = ATTEMPTS_MAX, what: str = "the command",
                sleep: Callable[[float], None] = time.sleep,
                jitter: Callable[[], float] = random.random) -> T:
    """Run ``command`` in a unit of work and commit; run it again when it lost a race."""
    for attempt in range(1, attempts + 1):
        with app.uow() as uow:
            try:
                result = command(uow)
                uow.commit()
                return result
            except Exception as exc:
                if not uow.lost_race(exc):
                    raise
                failure: Exception = exc
            log.info("command.retry", what=what, attempt=attempt,
                     reason=type(failure).__name__)
            if attempt < attempts:
                pause = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
                sleep(pause * (0.5 + jitter()))
    raise RetryLater(f"{what} lost {attempts} races for the same loan; nothing was changed. "
                     "Send it again with the same idempotency key in a moment",
                     code="loan_must_be_free_to_change")
