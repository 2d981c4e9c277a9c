"""One-loan commands start without the collections and outbox layer: ``dunwell loan``
reads a loan through the payment service, whose receipt notices import the outbox,
the compliance guard and the letters only when a notice is written. Checked by what a
fresh interpreter has imported, never by timing."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from dunwell.bootstrap import bootstrap
from dunwell.settings import Settings
from dunwell.simulation.portfolio import seed_book

#: The layers a one-loan read must not import.
COLLECTIONS_LAYER = ("dunwell.app.channels.outbox", "dunwell.app.collections",
                     "dunwell.app.letters", "dunwell.collections", "dunwell.compliance",
                     "dunwell.store.negotiation_repo")


def _collections(modules: list[str]) -> list[str]:
    return sorted(m for m in modules
                  if any(m == c or m.startswith(c + ".") for c in COLLECTIONS_LAYER))


def _probe(code: str) -> dict[str, Any]:
    env = {**os.environ, "COLUMNS": "100", "DUNWELL_LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_payment_service_imports_no_collections_layer() -> None:
    seen = _probe("""
        import json, sys
        import dunwell.app.lending.payments
        print(json.dumps({"modules": sorted(sys.modules)}))
        """)
    assert "dunwell.app.channels.notices" in seen["modules"]
    assert _collections(seen["modules"]) == []


def test_showing_a_loan_imports_no_collections_layer(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING"))
    loan_id = seed_book(app, loans=2, start=dt.date(2025, 1, 31), seed=3)[0]
    app.engine.dispose()
    seen = _probe(f"""
        import contextlib, io, json, sys
        from dunwell.cli.main import main
        sys.argv = ["dunwell", "loan", "{loan_id}", "--db", {db_url!r}]
        out, code = io.StringIO(), 0
        with contextlib.redirect_stdout(out):
            try:
                main()
            except SystemExit as exc:
                code = exc.code or 0
        print(json.dumps({{"exit": code, "printed": out.getvalue(),
                          "modules": sorted(sys.modules)}}))
        """)
    assert seen["exit"] == 0, seen["printed"]
    assert f"loan {loan_id}" in seen["printed"]
    assert "dunwell.app.lending.payments" in seen["modules"]
    assert _collections(seen["modules"]) == []
