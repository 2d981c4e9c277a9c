"""Shared fixtures: a database per test on SQLite always, and on PostgreSQL when
``DUNWELL_TEST_POSTGRES_URL`` is set.

Migrating an empty database costs about a second on SQLite and several on PostgreSQL,
more than most tests themselves, so each pytest worker migrates once and hands every
test a migrated book of its own that no other test sees:

* SQLite: the migrated file is copied into the test's ``tmp_path``;
* PostgreSQL: the worker keeps a few migrated schemas; after a test its schema is put
  back as migrated (the tables it filled are truncated, the migration's own rows put
  back from a pristine template schema, every sequence set to where the migration left
  it) before the next test gets it. A test that changed the schema itself (a new table,
  column, constraint...) leaves a schema that is dropped instead.

``empty_db_url`` is the database with no tables at all, for the tests of the migrations.

``@pytest.mark.sqlite_only(reason)`` runs a test on SQLite alone: for tests whose subject
is not the store (HTTP shapes, rendering, pure rules behind a book), where a second
database proves nothing more. Tests of the store, its repositories, the migrations, COB
and the book's integrity stay on both.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.settings import Settings
from dunwell.store.db import make_engine, migrate

PG_ENV = "DUNWELL_TEST_POSTGRES_URL"


#: ``make stress`` sets it: the tests marked ``stress`` run, and the sized tests run at
#: their full size.
STRESS = os.environ.get("DUNWELL_STRESS") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): the test's subject is not the store; it runs on "
        "SQLite alone even when PostgreSQL is configured",
    )
    config.addinivalue_line(
        "markers",
        "stress: a full-size run, skipped unless DUNWELL_STRESS=1 (make stress); "
        "a sized-down test in make test proves the same in less time",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (the package, the libraries, every test module: about
    250,000 objects) lives as long as the process: move it out of the collector's
    sight (``gc.freeze``), as ``dunwell serve`` does after start-up, so the collections
    the tests' own objects set off do not scan it again each time."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if STRESS:
        return
    skip = pytest.mark.skip(reason="full size: runs with DUNWELL_STRESS=1 (make stress)")
    for item in items:
        if item.get_closest_marker("stress") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _nearest_neighbour_router(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The day loop plans visits with the nearest-neighbour router (instant and
    deterministic) unless the test is about routing: the solvers search for up to
    ``day_routing_seconds`` each day, which only the routing tests need."""
    if "routing" not in request.node.path.name:
        monkeypatch.setenv("DUNWELL_DAY_ROUTER", "nearest")


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashes() -> Iterator[None]:
    """Passwords hashed with Argon2id at its lowest cost in the tests' own processes: at
    the product's cost (RFC 9106's second setting, 64 MiB and three passes) a hash or a
    check took 0.15 s of CPU, several a sign-in test. The hash still names its own
    parameters, so what is stored and checked is Argon2id either way; the servers and
    commands the tests start hash at the product's cost."""
    from argon2 import PasswordHasher

    from dunwell.app.identity import hashing

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hashing, "PASSWORDS",
                      PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A ``sqlite_only`` test takes its database on SQLite alone (a parametrize mark
    takes the place of the fixture's own parameters)."""
    if metafunc.definition.get_closest_marker("sqlite_only") is None:
        return
    for name in ("db_url", "empty_db_url"):
        if name in metafunc.fixturenames:
            metafunc.definition.add_marker(pytest.mark.parametrize(name, ["sqlite"], indirect=True))


#: PostgreSQL compiles a query to machine code once its planned cost passes
#: ``jit_above_cost``; the catalog queries of :data:`_SHAPE` and a test's reads of a
#: few rows spent about 10 ms a query compiling. A setting of the tests' sessions,
#: not of the database.
_FAST = "-cjit=off"


def _schema_url(base: URL, schema: str) -> str:
    """The URL of ``schema``. Its sessions commit without waiting for the WAL to reach
    the disk: a test's database outlives no server crash, and every commit is still
    atomic and at once visible to every other connection. They plan without JIT
    compilation, which costs a test's small queries more than it saves (:data:`_FAST`)."""
    url = base.update_query_dict(
        {"options": f"-csearch_path={schema} -csynchronous_commit=off {_FAST}"})
    return url.render_as_string(hide_password=False)


def _schema_of(url: str) -> str:
    """The schema a URL made by :func:`_schema_url` selects."""
    options = make_url(url).query["options"]
    assert isinstance(options, str)
    return options.split()[0].removeprefix("-csearch_path=")


def _new_schema(admin: sa.Engine) -> str:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    return schema


def _drop_schema(admin: sa.Engine, schema: str) -> None:
    with admin.begin() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


#: What the schema holds: its relations with their column counts, constraints,
#: functions and triggers, so a test that changed it is told apart. The triggers are
#: counted relation by relation (an index lookup each) rather than by joining every
#: trigger of the database to the schema's relations: 28 ms -> 16 ms after each test.
_SHAPE = """
WITH ns AS (SELECT %(schema)s::regnamespace AS oid),
rels AS (SELECT c.oid, c.relname, c.relkind FROM pg_class c, ns WHERE c.relnamespace = ns.oid)
SELECT md5(coalesce((
    SELECT string_agg(r.relname || ':' || r.relkind::text || ':' || (
        SELECT count(*) FROM pg_attribute a
        WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped), ','
        ORDER BY r.relname)
    FROM rels r), '')
  || '|' || (SELECT count(*) FROM pg_constraint k, ns WHERE k.connamespace = ns.oid)
  || '|' || (SELECT count(*) FROM pg_proc p, ns WHERE p.pronamespace = ns.oid)
  || '|' || (SELECT coalesce(sum((SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = r.oid)), 0)
             FROM rels r))
"""


@dataclass
class _Template:
    """A migrated schema no test touches, and what a fresh copy of it looks like."""

    schema: str
    shape: str
    tables: list[str]
    seeded: list[str]
    #: sequence name -> (value, is_called) as the migration left it
    sequences: dict[str, tuple[int, bool]]


@dataclass
class _PostgresSchemas:
    """One worker's migrated PostgreSQL schemas, each handed to one test at a time."""

    base: URL
    admin: sa.Engine
    free: list[str] = field(default_factory=list)
    made: list[str] = field(default_factory=list)
    #: The role may switch triggers and foreign-key checks off (see :meth:`_clearing`).
    superuser: bool = False
    template: _Template | None = None

    def _migrated(self) -> str:
        schema = _new_schema(self.admin)
        self.made.append(schema)
        engine = make_engine(_schema_url(self.base, schema))
        try:
            migrate(engine)
        finally:
            engine.dispose()
        return schema

    def _read_template(self, schema: str) -> _Template:
        with self.admin.connect() as conn:
            shape = conn.exec_driver_sql(_SHAPE, {"schema": schema}).scalar_one()
            tables = list(
                conn.execute(
                    sa.text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"
                    ),
                    {"s": schema},
                ).scalars()
            )
            seeded = [
                t
                for t in tables
                if conn.exec_driver_sql(
                    f'SELECT EXISTS (SELECT 1 FROM {schema}."{t}")'
                ).scalar_one()
            ]
            sequences = {
                name: (int(start if last is None else last), last is not None)
                for name, last, start in conn.execute(
                    sa.text(
                        "SELECT sequencename, last_value, start_value FROM pg_sequences "
                        "WHERE schemaname = :s"
                    ),
                    {"s": schema},
                )
            }
        return _Template(schema, str(shape), tables, seeded, sequences)

    def take(self) -> str:
        if self.template is None:
            self.template = self._read_template(self._migrated())
        return self.free.pop() if self.free else self._migrated()

    def give_back(self, schema: str) -> None:
        """Put ``schema`` back as migrated and free, or drop it when its shape changed."""
        assert self.template is not None
        tpl = self.template
        try:
            with self.admin.begin() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
                shape = conn.exec_driver_sql(_SHAPE, {"schema": schema}).scalar_one()
                if shape != tpl.shape:
                    raise LookupError(f"schema {schema} changed shape")
                checks = ", ".join(
                    f"('{t}', EXISTS (SELECT 1 FROM {schema}.\"{t}\"))" for t in tpl.tables
                )
                used = set(
                    conn.exec_driver_sql(
                        f"SELECT t FROM (VALUES {checks}) AS v(t, used) WHERE used"
                    ).scalars()
                )
                script = self._clearing(schema, sorted(used | set(tpl.seeded)))
                script += [
                    f'INSERT INTO {schema}."{t}" OVERRIDING SYSTEM VALUE '
                    f'SELECT * FROM {tpl.schema}."{t}"'
                    for t in tpl.seeded
                ]
                if tpl.sequences:
                    script.append(
                        "SELECT "
                        + ", ".join(
                            f"setval('{schema}.\"{name}\"', {value}, {str(called).lower()})"
                            for name, (value, called) in tpl.sequences.items()
                        )
                    )
                conn.exec_driver_sql(";\n".join(script))
        except (LookupError, sa.exc.DBAPIError):
            self._discard(schema)
            return
        self.free.append(schema)

    def freeze(self, schema: str) -> _Template:
        """``schema`` (taken, then filled by a test's builder) kept as a snapshot: no
        test is handed it; :meth:`restore` copies it into a taken schema."""
        assert self.template is not None
        snapshot = self._read_template(schema)
        if snapshot.shape != self.template.shape:
            raise AssertionError(f"a prebuilt book changed the schema's shape ({schema})")
        return snapshot

    def restore(self, schema: str, snapshot: _Template) -> None:
        """Fill ``schema``, as migrated, with every row of ``snapshot`` and set its
        sequences where the snapshot's are. One statement inserts into every table
        (data-modifying ``WITH`` clauses), so the foreign keys and the journal's
        statement triggers check the rows once all are in, whatever their order; the
        triggers' functions name their tables unqualified, hence the search path."""
        assert self.template is not None
        tables = snapshot.seeded
        dirty = sorted(set(self.template.seeded) | set(tables))
        inserts = ",\n".join(
            f'i{n} AS (INSERT INTO {schema}."{t}" OVERRIDING SYSTEM VALUE '
            f'SELECT * FROM {snapshot.schema}."{t}")'
            for n, t in enumerate(tables)
        )
        script = [f"SET LOCAL search_path = {schema}", *self._clearing(schema, dirty)]
        if tables:
            script.append(f"WITH {inserts}\nSELECT 1")
        if snapshot.sequences:
            script.append(
                "SELECT "
                + ", ".join(
                    f"setval('{schema}.\"{name}\"', {value}, {str(called).lower()})"
                    for name, (value, called) in snapshot.sequences.items()
                )
            )
        with self.admin.begin() as conn:
            conn.exec_driver_sql(";\n".join(script))

    def _clearing(self, schema: str, tables: list[str]) -> list[str]:
        """Statements that empty ``tables`` of ``schema``. A superuser deletes their rows
        with the triggers and foreign-key checks off for the moment (every table that
        holds a row is listed, so none is left pointing at a deleted one): a few
        milliseconds, where TRUNCATE, which makes new files for every table, takes tenths
        of a second a test. Other roles truncate."""
        if not tables:
            return []
        if not self.superuser:
            return ["TRUNCATE " + ", ".join(f'{schema}."{t}"' for t in tables) + " CASCADE"]
        return [
            "SET LOCAL session_replication_role = replica",
            *(f'DELETE FROM {schema}."{t}"' for t in tables),
            "SET LOCAL session_replication_role = origin",
        ]

    def _discard(self, schema: str) -> None:
        try:
            _drop_schema(self.admin, schema)
            self.made.remove(schema)
        except sa.exc.DBAPIError:
            pass  # still locked by a connection the test left open: dropped at the end

    def close(self) -> None:
        for schema in list(self.made):
            self._discard(schema)
        self.admin.dispose()


@pytest.fixture(scope="session")
def _postgres_schemas() -> Iterator[_PostgresSchemas | None]:
    if not os.environ.get(PG_ENV):
        yield None
        return
    base = make_url(os.environ[PG_ENV])
    admin = sa.create_engine(base, connect_args={"options": _FAST})
    with admin.connect() as conn:
        superuser = bool(
            conn.exec_driver_sql(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).scalar()
        )
    pool = _PostgresSchemas(base, admin, superuser=superuser)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision, closed (its WAL folded in)."""
    path = tmp_path_factory.mktemp("migrated") / "book.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture(params=_backends())
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'book.sqlite'}"
        return
    base = make_url(os.environ[PG_ENV])
    admin = sa.create_engine(base, connect_args={"options": _FAST})
    schema = _new_schema(admin)
    try:
        yield _schema_url(base, schema)
    finally:
        _drop_schema(admin, schema)
        admin.dispose()


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to a database of this test alone, migrated to the newest revision and
    empty of data: a SQLite file, or a PostgreSQL schema from the worker's pool."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "book.sqlite"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    pool: _PostgresSchemas = request.getfixturevalue("_postgres_schemas")
    schema = pool.take()
    try:
        yield _schema_url(pool.base, schema)
    finally:
        pool.give_back(schema)


#: Writes a book into the migrated database it is given (and leaves nothing open).
Builder = Callable[..., None]


def _settings(url: str, **overrides: object) -> Settings:
    return Settings(db_url=url, partitions=3, log_level="WARNING", **overrides)  # type: ignore[arg-type]


def _build(url: str, build: Builder, args: tuple[object, ...], settings: dict[str, object]) -> None:
    book = bootstrap(_settings(url, **settings))
    try:
        build(book, *args)
    finally:
        book.engine.dispose()


@dataclass
class _Prebuilt:
    """The books each worker built once, by builder and arguments: a closed SQLite
    file, and on PostgreSQL a schema kept as a snapshot."""

    tmp: pytest.TempPathFactory
    sqlite_template: Path
    schemas: _PostgresSchemas | None
    files: dict[tuple[object, ...], Path] = field(default_factory=dict)
    snapshots: dict[tuple[object, ...], _Template] = field(default_factory=dict)

    def fill(
        self,
        db_url: str,
        build: Builder,
        args: tuple[object, ...],
        settings: dict[str, object] | None = None,
    ) -> None:
        settings = settings or {}
        where = build.__code__.co_filename  # two conftest modules share a name
        key = (where, build.__qualname__, *args, *sorted(settings.items()))
        if db_url.startswith("sqlite:///"):
            if key not in self.files:
                path = self.tmp.mktemp("prebuilt") / "book.sqlite"
                shutil.copyfile(self.sqlite_template, path)
                _build(f"sqlite:///{path}", build, args, settings)
                wal = Path(f"{path}-wal")
                assert not wal.exists() or not wal.stat().st_size, (
                    f"{build.__qualname__} left the book open: its write-ahead log was not "
                    "folded in (dispose every engine it opens)"
                )
                self.files[key] = path
            shutil.copyfile(self.files[key], db_url.removeprefix("sqlite:///"))
            return
        assert self.schemas is not None
        if key not in self.snapshots:
            schema = self.schemas.take()
            _build(_schema_url(self.schemas.base, schema), build, args, settings)
            self.snapshots[key] = self.schemas.freeze(schema)
        self.schemas.restore(_schema_of(db_url), self.snapshots[key])


@pytest.fixture(scope="session")
def _prebuilt_books(
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Path,
    _postgres_schemas: _PostgresSchemas | None,
) -> _Prebuilt:
    return _Prebuilt(tmp_path_factory, _sqlite_template, _postgres_schemas)


@pytest.fixture
def prebuilt(db_url: str, _prebuilt_books: _Prebuilt) -> Iterator[Callable[..., Dunwell]]:
    """``prebuilt(build, *args, **settings)``: this test's database holding the book
    ``build(app, *args)`` writes into a migrated database, opened with ``settings``
    over the ``app`` fixture's (the builder's too). Each worker runs a builder once per
    set of arguments and settings (on each database) and copies its book to every test
    that asks: the SQLite file, or on PostgreSQL every row and sequence of the schema it
    was built in. A builder
    writes only to the database (no files the test reads) and must be deterministic;
    take this fixture instead of ``app`` (the database is written before it opens)."""
    books: list[Dunwell] = []

    def make(build: Builder, *args: object, **settings: object) -> Dunwell:
        assert not books, "one prebuilt book per test"
        _prebuilt_books.fill(db_url, build, args, settings)
        books.append(bootstrap(_settings(db_url, **settings)))
        return books[-1]

    yield make
    for book in books:
        book.engine.dispose()


@pytest.fixture
def fill_book(db_url: str, _prebuilt_books: _Prebuilt) -> Callable[..., None]:
    """``fill_book(app, build, *args)``: as ``prebuilt``, into the ``app`` fixture's
    database: its connections are closed first and open again on the book copied in."""

    def fill(app: Dunwell, build: Builder, *args: object) -> None:
        assert app.settings.db_url == db_url
        app.engine.dispose()
        _prebuilt_books.fill(db_url, build, args)

    return fill


def simulate(app: Dunwell, loans: int, start: dt.date, seed: int, days: int) -> None:
    """The sample book seeded and run through the day loop (no routing, no dispatch)."""
    from dunwell.simulation.portfolio import run_days, seed_book

    seed_book(app, loans=loans, start=start, seed=seed)
    run_days(app, days=days, seed=seed)


@pytest.fixture
def simulated_book(prebuilt: Callable[..., Dunwell]) -> Callable[..., Dunwell]:
    """``simulated_book(loans=, start=, seed=, days=)``: the sample book seeded and run
    through the day loop, in this test's database; simulated once per worker for these
    arguments on each database (the simulation is seeded) and copied to each test."""

    def make(*, loans: int, start: dt.date, seed: int, days: int) -> Dunwell:
        return prebuilt(simulate, loans, start, seed, days)

    return make


@pytest.fixture
def app(db_url: str) -> Iterator[Dunwell]:
    dunwell = bootstrap(Settings(db_url=db_url, partitions=3, log_level="WARNING"))
    yield dunwell
    dunwell.engine.dispose()


#: Debian's chromium, which the browser tests drive through Playwright.
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class _Chromium:
    """One Playwright driver and one headless chromium, kept from one browser test to
    the next (starting them cost each test about a second of CPU) and stopped before
    any other test runs: while Playwright's synchronous API is started it holds the
    thread's event loop, so ``asyncio.run`` would refuse to run."""

    playwright: Any = None
    browser: Any = None

    def get(self) -> Any:
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True)
        return self.browser

    def stop(self) -> None:
        if self.playwright is None:
            return
        try:
            if self.browser is not None:
                self.browser.close()
        finally:
            self.playwright.stop()
            self.playwright = self.browser = None


_CHROMIUM = _Chromium()


@pytest.fixture
def chromium() -> Iterator[Any]:
    """The worker's chromium (a Playwright ``Browser``). Each page a test opens has its
    own context, and every context it opened is closed after it, so no two tests share
    cookies, storage, routes or pages."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (apt install chromium)")
    pytest.importorskip("playwright.sync_api")
    browser = _CHROMIUM.get()
    yield browser
    for context in list(browser.contexts):
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Stop the browser after a test unless the next one drives it too."""
    yield
    if nextitem is None or "chromium" not in getattr(nextitem, "fixturenames", ()):
        _CHROMIUM.stop()


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' console 200 columns wide, whatever the terminal (or COLUMNS)
    says, so a wide table prints each header on one line."""
    from dunwell.cli.common import console

    monkeypatch.setattr(console, "width", 200)
