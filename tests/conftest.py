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
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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


def _schema_url(base: URL, schema: str) -> str:
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


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
#: functions and triggers, so a test that changed it is told apart.
_SHAPE = """
SELECT md5(coalesce((
    SELECT string_agg(c.relname || ':' || c.relkind::text || ':' || (
        SELECT count(*) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ','
        ORDER BY c.relname)
    FROM pg_class c WHERE c.relnamespace = n.oid), '')
  || '|' || (SELECT count(*) FROM pg_constraint k WHERE k.connamespace = n.oid)
  || '|' || (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid)
  || '|' || (SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
             WHERE c.relnamespace = n.oid))
FROM pg_namespace n WHERE n.nspname = %(schema)s
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
                dirty = sorted(used | set(tpl.seeded))
                script = []
                if dirty:
                    script.append(
                        "TRUNCATE " + ", ".join(f'{schema}."{t}"' for t in dirty) + " CASCADE"
                    )
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
    pool = _PostgresSchemas(base, sa.create_engine(base))
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
    admin = sa.create_engine(base)
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


#: What identifies a simulated sample book: loans, first business date, seed, days run.
BookKey = tuple[int, dt.date, int, int]


def _simulate(url: str, key: BookKey) -> Dunwell:
    from dunwell.simulation.portfolio import run_days, seed_book

    loans, start, seed, days = key
    book = bootstrap(Settings(db_url=url, partitions=3, log_level="WARNING"))
    seed_book(book, loans=loans, start=start, seed=seed)
    run_days(book, days=days, seed=seed)
    return book


@pytest.fixture(scope="session")
def _simulated_books(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path
) -> Callable[[BookKey], Path]:
    """Each sample book simulated once per worker on SQLite, kept as a closed file."""
    built: dict[BookKey, Path] = {}

    def file_for(key: BookKey) -> Path:
        if key not in built:
            path = tmp_path_factory.mktemp("simulated") / "book.sqlite"
            shutil.copyfile(_sqlite_template, path)
            _simulate(f"sqlite:///{path}", key).engine.dispose()
            built[key] = path
        return built[key]

    return file_for


@pytest.fixture
def simulated_book(
    db_url: str, _simulated_books: Callable[[BookKey], Path]
) -> Iterator[Callable[..., Dunwell]]:
    """``simulated_book(loans=, start=, seed=, days=)``: the sample book seeded and run
    through the day loop (no routing, no dispatch), in this test's database. On SQLite
    it is a copy of the book the worker simulated once for these arguments (the same
    rows: the simulation is seeded); on PostgreSQL it is simulated in the test's schema."""
    books: list[Dunwell] = []

    def make(*, loans: int, start: dt.date, seed: int, days: int) -> Dunwell:
        key = (loans, start, seed, days)
        if db_url.startswith("sqlite:///"):
            shutil.copyfile(_simulated_books(key), db_url.removeprefix("sqlite:///"))
            book = bootstrap(Settings(db_url=db_url, partitions=3, log_level="WARNING"))
        else:
            book = _simulate(db_url, key)
        books.append(book)
        return book

    yield make
    for book in books:
        book.engine.dispose()


@pytest.fixture
def app(db_url: str) -> Iterator[Dunwell]:
    dunwell = bootstrap(Settings(db_url=db_url, partitions=3, log_level="WARNING"))
    yield dunwell
    dunwell.engine.dispose()


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' console 200 columns wide, whatever the terminal (or COLUMNS)
    says, so a wide table prints each header on one line."""
    from dunwell.cli.common import console

    monkeypatch.setattr(console, "width", 200)
