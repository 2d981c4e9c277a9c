"""Commands that read the book start light: ``dunwell portfolio``, ``dunwell book verify``,
``dunwell day status`` and ``dunwell balances`` import none of the libraries only other
commands need (pandas, LightGBM, ReportLab, Jinja2, Alembic, FastAPI...). Checked by what
a fresh interpreter has imported after running each of them on a real SQLite book, never
by timing. Also what makes it so: the unit of work builds a repository when first used,
and a book already at the newest schema is opened without Alembic."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from dunwell.app.context import Dunwell
from dunwell.bootstrap import bootstrap
from dunwell.settings import Settings
from dunwell.simulation.portfolio import seed_book
from dunwell.store.db import at_head, head_revision, make_engine, migrate

#: Libraries a command that reads the book must not import.
HEAVY_LIBRARIES = ("pandas", "numpy", "lightgbm", "optbinning", "reportlab", "jinja2",
                   "alembic", "fastapi", "uvicorn", "polars", "pyarrow", "ortools", "vroom")
#: Modules a read of plain columns does not need: the cipher (built with the first value
#: sealed or opened) and the product parser (with the first product read).
READ_LAZY = ("cryptography", "dunwell.lending.products")
#: The reads, as typed after ``dunwell``.
READS = (("portfolio",), ("book", "verify"), ("day", "status"), ("balances",))


def _heavy(modules: list[str], also: tuple[str, ...] = ()) -> list[str]:
    return sorted(m for m in modules
                  if any(m == h or m.startswith(h + ".") for h in HEAVY_LIBRARIES + also))


def _probe(code: str) -> dict[str, Any]:
    env = {**os.environ, "COLUMNS": "100", "DUNWELL_LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_reads_of_a_book_import_nothing_heavy(tmp_path: Path) -> None:
    # the embedded database a user starts with (the subject is imports, not the store)
    db_url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING"))
    seed_book(app, loans=6, start=dt.date(2025, 1, 31), seed=3)
    app.engine.dispose()
    seen = _probe(f"""
        import contextlib, io, json, sys
        from dunwell.cli.main import main
        report = {{}}
        for args in {READS!r}:
            sys.argv = ["dunwell", *args, "--db", {db_url!r}]
            out = io.StringIO()
            code = 0
            with contextlib.redirect_stdout(out):
                try:
                    main()
                except SystemExit as exc:
                    code = exc.code or 0
            report[" ".join(args)] = {{"exit": code, "printed": out.getvalue(),
                                      "modules": sorted(sys.modules)}}
        print(json.dumps(report))
        """)
    for command, run in seen.items():
        assert run["exit"] == 0, (command, run["printed"])
        assert _heavy(run["modules"], also=("psycopg",)) == [], command  # SQLite: no driver
        assert _heavy(run["modules"], also=READ_LAZY) == [], command
    assert "portfolio by bucket" in seen["portfolio"]["printed"]
    assert "book verification" in seen["book verify"]["printed"]


def test_head_revision_read_from_the_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from dunwell.store.db import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [head_revision()]


def test_a_book_at_the_newest_schema_opens_without_alembic(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert not at_head(engine)  # a new database: Alembic creates the schema
        migrate(engine)
        assert at_head(engine)
    finally:
        engine.dispose()
    seen = _probe(f"""
        import json, sys
        from dunwell.bootstrap import bootstrap
        app = bootstrap(db_url={empty_db_url!r})
        with app.uow() as uow:
            assert uow.book.get() is None
        print(json.dumps({{"modules": sorted(sys.modules)}}))
        """)
    modules = seen["modules"]
    assert "dunwell.store.db" in modules
    assert _heavy(modules) == []


def test_the_unit_of_work_builds_a_repository_once_per_transaction(app: Dunwell) -> None:
    with app.uow() as uow:
        first = uow.loans
        assert uow.loans is first
        assert first.conn is uow.conn  # type: ignore[attr-defined]
    with app.uow() as uow:
        again = uow.loans
        assert again is not first
        assert again.conn is uow.conn  # type: ignore[attr-defined]


def test_key_rotation_sees_every_encrypted_table_in_a_fresh_interpreter(db_url: str) -> None:
    seen = _probe(f"""
        import json, pkgutil, importlib
        import dunwell.store
        from dunwell.bootstrap import bootstrap
        app = bootstrap(db_url={db_url!r})
        with app.uow() as uow:
            first = uow.keys.tables()
        for info in pkgutil.iter_modules(dunwell.store.__path__):
            if info.name == "tables" or info.name.endswith("_tables"):
                importlib.import_module("dunwell.store." + info.name)
        with app.uow() as uow:
            every = uow.keys.tables()
        print(json.dumps({{"first": first, "every": every}}))
        """)
    assert seen["first"] == seen["every"]
    assert {"complaints", "consents"} & set(seen["every"])


def test_a_read_of_a_keyed_book_starts_without_structlog_and_the_warning_keeps_its_format(
        tmp_path: Path) -> None:
    import base64

    db_url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    app = bootstrap(Settings(db_url=db_url, log_level="WARNING"))
    seed_book(app, loans=3, start=dt.date(2025, 1, 31), seed=3)
    app.engine.dispose()
    code = f"""
        import contextlib, io, json, sys
        from dunwell.cli.main import main
        sys.argv = ["dunwell", "portfolio", "--db", {db_url!r}]
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main()
            except SystemExit:
                pass
        print(json.dumps({{"modules": sorted(sys.modules)}}))
        """
    keyed = {"DUNWELL_DATA_KEYS": "k1:" + base64.b64encode(bytes(range(32))).decode(),
             "DUNWELL_LOOKUP_KEY": base64.b64encode(bytes(range(1, 33))).decode()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUNWELL_")}
    runs = {}
    for name, extra in (("keyed", keyed), ("development", {})):
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                              capture_output=True, text=True, timeout=300,
                              env={**env, "COLUMNS": "100", **extra})
        assert done.returncode == 0, done.stderr[-2000:]
        runs[name] = (json.loads(done.stdout.strip().splitlines()[-1])["modules"], done.stderr)
    modules, stderr = runs["keyed"]
    assert _heavy(modules, also=("structlog",)) == [] and stderr == ""
    modules, stderr = runs["development"]
    assert "structlog" in modules  # the warning is written through the set-up's renderer
    assert "[warning  ] development keys in use; set DUNWELL_DATA_KEYS " \
           "event_kind=keys_development" in stderr
    assert "\x1b[" not in stderr  # no colours: structlog's default set-up was not used
