"""A pytest plugin: a freshly migrated database for each test, fast with long histories.

The plugin is installed with schemashift but does nothing until a project switches it
on, in one of these ways:

- ``pytest_plugins = ["schemashift.testing"]`` in the top-level ``conftest.py``;
- ``schemashift = true`` under ``[tool.pytest.ini_options]`` (or in ``pytest.ini``);
- ``pytest -p schemashift.testing`` for one run.

Then a test asks for the ``schemashift_db`` fixture::

    def test_signup(schemashift_db):
        with closing(schemashift_db.connect()) as conn:
            conn.execute("INSERT INTO users (email) VALUES ('a@example.com')")

The migrations run once per test session, into a template database; each test gets a
copy of it: a copy of the file on SQLite, ``CREATE DATABASE ... TEMPLATE ...`` on
PostgreSQL. Settings come from the project as for the command line (``pyproject.toml``,
``DATABASE_URL``); override the ``schemashift_options`` fixture to change them.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from typing_extensions import LiteralString

    from schemashift.runtime.executor import RunResult, StatusRow
    from schemashift.url import DatabaseURL

__all__ = ["MigratedDatabase", "Switch"]

#: The options that ``schemashift_options`` may hold: the API's settings.
OPTION_NAMES = ("project", "database", "models", "migrations")
#: PostgreSQL refuses longer names; test database names stay well below.
_MAX_NAME = 50


@dataclass(frozen=True)
class MigratedDatabase:
    """A database that holds every migration of the project, for one test.

    ``url`` is its database URL (give it to the application under test), ``dialect`` is
    ``"sqlite"`` or ``"postgresql"``, ``path`` the SQLite file (None on PostgreSQL).
    """

    url: str
    dialect: str
    path: Path | None
    settings: Mapping[str, Any] = field(default_factory=dict)

    def connect(self) -> Any:
        """A new DB-API connection to this database: a ``sqlite3.Connection`` or a
        ``psycopg.Connection``. The caller closes it."""
        if self.path is not None:
            import sqlite3

            return sqlite3.connect(self.path)
        import psycopg
        from psycopg.conninfo import make_conninfo

        from schemashift.url import libpq_params, parse_url

        return psycopg.connect(make_conninfo(**libpq_params(parse_url(self.url, Path.cwd()))))

    def migrate(self, **options: Any) -> RunResult:
        """:func:`schemashift.migrate` on this database (``step``, ``to``, ``fake``...)."""
        from schemashift import api

        return api.migrate(database=self.url, **self.settings, **options)

    def rollback(self, **options: Any) -> RunResult:
        """:func:`schemashift.rollback` on this database, e.g. ``rollback(to="0003")``
        to test a data migration from the state before it."""
        from schemashift import api

        return api.rollback(database=self.url, **self.settings, **options)

    def status(self) -> list[StatusRow]:
        """:func:`schemashift.status` of this database."""
        from schemashift import api

        return api.status(database=self.url, **self.settings)


class _Server:
    """One connection to a PostgreSQL server's ``postgres`` maintenance database, for
    CREATE and DROP DATABASE (which cannot run inside the database they name)."""

    def __init__(self, url: DatabaseURL) -> None:
        import psycopg
        from psycopg.conninfo import make_conninfo

        from schemashift.url import libpq_params

        conninfo = make_conninfo(**libpq_params(url._replace(database="postgres")))
        self._conn = psycopg.connect(conninfo, autocommit=True)

    def execute(self, statement: LiteralString, *names: str) -> None:
        """Run ``statement`` with ``names`` quoted into its ``{}``."""
        from psycopg import sql

        self._conn.execute(sql.SQL(statement).format(*(sql.Identifier(n) for n in names)))

    def drop(self, name: str) -> None:
        """Drop database ``name`` if it exists."""
        # WITH (FORCE) (PostgreSQL 13+) also ends connections a test left open.
        self.execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class _Template:
    """The migrated template of one session and the copies made from it."""

    def __init__(self, raw: str, settings: Mapping[str, Any], server: _Server | None) -> None:
        from schemashift.url import parse_url

        self.raw = raw
        self.url = parse_url(raw, Path.cwd())
        self.settings = settings
        self.server = server
        self._numbers = itertools.count(1)

    def copy(self, folder: Path) -> MigratedDatabase:
        """A fresh copy of the template for one test."""
        number = next(self._numbers)
        if self.server is None:
            assert self.url.path is not None
            path = folder / f"schemashift_{number}.sqlite3"
            shutil.copyfile(self.url.path, path)
            return MigratedDatabase(f"sqlite:///{path}", "sqlite", path, self.settings)
        assert self.url.database is not None
        name = f"{self.url.database.removesuffix('_tpl')}_{number}"
        self.server.drop(name)  # left over by a run that was killed
        self.server.execute("CREATE DATABASE {} TEMPLATE {}", name, self.url.database)
        return MigratedDatabase(_with_database(self.raw, name), "postgresql", None, self.settings)

    def discard(self, db: MigratedDatabase) -> None:
        """Drop a test's PostgreSQL database (SQLite copies live in the test's tmp_path)."""
        if self.server is not None:
            from schemashift.url import parse_url

            name = parse_url(db.url, Path.cwd()).database
            assert name is not None
            self.server.drop(name)

    def close(self) -> None:
        """Drop the template database (PostgreSQL)."""
        if self.server is not None:
            assert self.url.database is not None
            try:
                self.server.drop(self.url.database)
            finally:
                self.server.close()


def _with_database(raw: str, name: str) -> str:
    """``raw`` (a PostgreSQL URL) pointing at database ``name``."""
    parts = urlsplit(raw)
    return urlunsplit(parts._replace(path="/" + quote(name)))


def _template_name(database: str | None) -> str:
    """A template name derived from the project's database name, per xdist worker."""
    base = re.sub(r"[^a-z0-9_]", "_", (database or "schemashift").lower())
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    suffix = f"_test{('_' + worker) if worker else ''}_tpl"
    return base[: _MAX_NAME - len(suffix) - 8] + suffix


def _settings(options: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The base database URL, and the other settings as API keywords."""
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise pytest.UsageError(
            f"schemashift_options has unknown keys {unknown}; use {list(OPTION_NAMES)}."
        )
    settings = {k: options[k] for k in ("project", "models", "migrations") if k in options}
    database = options.get("database")
    if database is None:
        from schemashift.config import load_settings

        database = load_settings(project=settings.get("project")).database
    return str(database), settings


def _make_template(database: str, settings: Mapping[str, Any], folder: Path) -> _Template:
    from schemashift import api
    from schemashift.url import parse_url

    base = parse_url(database, Path.cwd())
    if base.dialect == "sqlite":
        template = _Template(f"sqlite:///{folder / 'template.sqlite3'}", settings, None)
    else:
        server = _Server(base)
        name = _template_name(base.database)
        try:
            server.drop(name)
            server.execute("CREATE DATABASE {}", name)
        except BaseException:
            server.close()
            raise
        template = _Template(_with_database(database, name), settings, server)
    try:
        api.migrate(database=template.raw, **settings)
    except BaseException:
        template.close()
        raise
    return template


@pytest.fixture(scope="session")
def schemashift_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Settings for the test databases, as keywords of the Python API: ``project``
    (default: pytest's root folder), ``models``, ``migrations`` and ``database``.

    ``database`` picks the kind of database: on SQLite the test files go to a temporary
    folder whatever the path; on PostgreSQL the test databases are made on the same
    server, named after it (``<name>_test_...``). By default it is the project's own
    setting (``DATABASE_URL`` or ``pyproject.toml``). Override this fixture in
    ``conftest.py`` to change any of them."""
    return {"project": str(pytestconfig.rootpath)}


@pytest.fixture(scope="session")
def schemashift_template(
    schemashift_options: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Template]:
    """The template database, migrated once per session."""
    database, settings = _settings(schemashift_options)
    template = _make_template(database, settings, tmp_path_factory.mktemp("schemashift"))
    try:
        yield template
    finally:
        template.close()


@pytest.fixture
def schemashift_db(schemashift_template: _Template, tmp_path: Path) -> Iterator[MigratedDatabase]:
    """A database holding every migration of the project, fresh for this test."""
    db = schemashift_template.copy(tmp_path)
    try:
        yield db
    finally:
        schemashift_template.discard(db)


def pytest_configure(config: pytest.Config) -> None:
    """While the plugin is on, an application under test that calls
    ``schemashift.evolve()`` at start-up gets the pending migrations applied, but its
    model changes are refused rather than written into the project's migrations folder."""
    from schemashift.runtime.evolve import forbid_writing

    forbid_writing(
        "evolve writes no migration file while tests run (the schemashift pytest plugin "
        "is on); run `schemashift make migration NAME` and commit the file"
    )


class Switch:
    """What the ``pytest11`` entry point registers: the ``schemashift`` ini setting,
    and nothing else until that setting (or ``-p schemashift.testing``) turns the plugin
    on."""

    PLUGIN = "schemashift.testing"

    @staticmethod
    def pytest_addoption(parser: pytest.Parser) -> None:
        """Register the ``schemashift`` ini setting."""
        parser.addini(
            "schemashift",
            "use schemashift's test fixtures (schemashift_db): true or false",
            type="bool",
            default=False,
        )

    @staticmethod
    def pytest_configure(config: pytest.Config) -> None:
        """Load the fixtures when the project asked for them."""
        if config.getini("schemashift"):
            config.pluginmanager.import_plugin(Switch.PLUGIN)
