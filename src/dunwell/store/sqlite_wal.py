"""SQLite WAL checkpoints off the request path.

By default SQLite checkpoints the write-ahead log inside whichever commit pushes it
past 1,000 pages, so every few hundred requests one of them waits several
milliseconds for the copy and the fsync. While the API serves, a background thread
checkpoints (PASSIVE: never blocking a writer) twice a second instead; the automatic
checkpoint stays as a backstop at a larger size in case the thread is not running.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, event

#: Pages in the WAL before a commit checkpoints by itself (the backstop).
AUTOCHECKPOINT_PAGES = 20_000
CHECKPOINT_EVERY_S = 0.5


class WalCheckpointer:
    def __init__(self, engine: Engine, every_s: float = CHECKPOINT_EVERY_S) -> None:
        self.engine = engine
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

        @event.listens_for(engine, "connect")
        def _backstop(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")

        engine.dispose()  # connections opened before this get the setting too

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").close()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="wal-checkpoint",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None
