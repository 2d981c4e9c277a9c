"""``dunwell --help`` starts without the application layer: the root lists its
commands from their ``Lazy`` entries and imports a command's module only when that
command runs. Checked by what a fresh interpreter has imported, not by timing, so a
busy machine cannot fail it."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from typing import cast

import typer
from typer.core import TyperGroup

from dunwell.cli import main as cli_main

#: What the command line must not import just to start or to print ``dunwell --help``.
HEAVY = ("sqlalchemy", "alembic", "fastapi", "uvicorn", "lightgbm", "ortools", "pandas",
         "pyarrow", "reportlab", "numpy", "dunwell.app", "dunwell.store", "dunwell.bootstrap")


def _imported_after(code: str) -> dict[str, object]:
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        heavy = {HEAVY!r}
        found = sorted(m for m in sys.modules
                       if any(m == h or m.startswith(h + ".") for h in heavy))
        print(json.dumps({{"heavy": found, "cli": sorted(
            m for m in sys.modules if m.startswith("dunwell.cli."))}}))
        """)
    env = {**os.environ, "COLUMNS": "100"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True, env=env)
    return cast(dict[str, object], json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_entry_module_imports_no_heavy_module() -> None:
    seen = _imported_after("import dunwell.cli.main\n")
    assert seen["heavy"] == []
    assert seen["cli"] == ["dunwell.cli.lazy", "dunwell.cli.main"]


def test_the_root_help_imports_no_command_module() -> None:
    seen = _imported_after("""
        import contextlib, io, sys
        from dunwell.cli.main import main
        sys.argv = ["dunwell", "--help"]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            main()
        """)
    assert seen["heavy"] == []
    assert seen["cli"] == ["dunwell.cli.lazy", "dunwell.cli.main"]


def test_a_quick_command_imports_only_its_own_module() -> None:
    seen = _imported_after("""
        import contextlib, io, sys
        from dunwell.cli.main import main
        sys.argv = ["dunwell", "schedule", "--principal", "1000", "--annual-rate", "12%",
                    "--periods", "3", "--method", "bullet", "--start", "2025-01-15"]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            main()
        """)
    assert seen["heavy"] == []
    assert "dunwell.cli.schedule" in seen["cli"]
    assert "dunwell.cli.book" not in seen["cli"]


def test_each_entry_shows_the_first_paragraph_of_its_commands_own_help() -> None:
    for entry in cli_main._Commands.lazy:
        command = entry.load()
        own = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
        assert entry.help == own.strip(), (
            f"the entry of {entry.name!r} should read {own.strip()!r}")
        assert command.name == entry.name


def test_asking_the_root_for_a_command_gives_the_real_one() -> None:
    root = cast(TyperGroup, typer.main.get_command(cli_main.app))
    ctx = typer.Context(root)
    assert root.list_commands(ctx)[:3] == ["schedule", "init", "cob"]
    schedule = root.get_command(ctx, "schedule")
    assert schedule is not None
    assert {p.name for p in schedule.params} >= {"principal", "annual_rate", "periods"}
    assert root.get_command(ctx, "no-such-command") is None


def test_a_groups_help_imports_no_application_layer() -> None:
    seen = _imported_after("""
        import contextlib, io, sys
        from dunwell.cli.main import main
        sys.argv = ["dunwell", "book", "verify", "--help"]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            main()
        """)
    assert seen["heavy"] == []
    assert "dunwell.cli.book" in seen["cli"]


def test_every_database_failure_has_its_words() -> None:
    from dunwell.bootstrap import DbFailure
    from dunwell.cli.common import DATABASE_WORDS

    assert set(DATABASE_WORDS) == {f.value for f in DbFailure}
