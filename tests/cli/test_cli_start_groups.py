"""Every command group starts light: ``dunwell --help`` and ``dunwell <group> --help``
import none of the heavy libraries or the application layer. Checked by what a fresh
interpreter has imported (``-X importtime`` of the real entry point, and
``sys.modules`` after asking every group for its help), never by timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from dunwell.cli import main as cli_main

#: Libraries the command line must not import to print help.
HEAVY_LIBRARIES = ("sqlalchemy", "fastapi", "lightgbm", "numpy", "pandas", "polars",
                   "reportlab", "alembic", "pyarrow", "ortools", "vroom", "uvicorn")
#: Dunwell's own layers below the command line.
HEAVY_LAYERS = ("dunwell.app", "dunwell.store", "dunwell.bootstrap", "dunwell.api",
                "dunwell.providers", "dunwell.simulation")


def _heavy(modules: list[str]) -> list[str]:
    return sorted(m for m in modules
                  if any(m == h or m.startswith(h + ".") for h in HEAVY_LIBRARIES + HEAVY_LAYERS))


def _env() -> dict[str, str]:
    return {**os.environ, "COLUMNS": "100"}


def test_the_root_help_of_the_console_script_imports_nothing_heavy() -> None:
    console_script = ("import sys; sys.argv[0] = 'dunwell'; from dunwell.cli.main import main; "
                      "sys.exit(main())")
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", console_script, "--help"],
                          capture_output=True, text=True, timeout=120, check=True, env=_env())
    imported = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:") and "|" in line]
    assert "dunwell.cli.main" in imported
    assert _heavy(imported) == []
    assert "Usage: dunwell" in done.stdout


def test_every_groups_help_imports_nothing_heavy() -> None:
    names = [entry.name for entry in cli_main._Commands.lazy]
    probe = textwrap.dedent(f"""
        import contextlib, io, json, sys
        from dunwell.cli.main import main
        failed = []
        for name in {names!r}:
            sys.argv = ["dunwell", name, "--help"]
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
                main()
            if "Usage:" not in out.getvalue():
                failed.append(name)
        print(json.dumps({{"modules": sorted(sys.modules), "failed": failed}}))
        """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300, check=True, env=_env())
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["failed"] == []
    assert _heavy(seen["modules"]) == []


def test_option_defaults_repeated_in_the_command_line_match_the_application() -> None:
    from dunwell.app.field.visits import ROI_DAYS
    from dunwell.app.keys import BATCH_ROWS_DEFAULT
    from dunwell.cli import field, keys

    assert field.ROI_DAYS == ROI_DAYS
    assert keys.BATCH_ROWS_DEFAULT == BATCH_ROWS_DEFAULT
