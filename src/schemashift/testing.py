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
PostgreSQL, a database made from the template's ``SHOW CREATE`` statements on MySQL. How
each database makes them is its dialect's (:meth:`Dialect.template_copies
<schemashift.dialects.base.Dialect.template_copies>`). Settings come from the project as
for the command line (``pyproject.toml``, ``DATABASE_URL``); override the
``schemashift_options`` fixture to change them.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from schemashift.dialects.base import TemplateCopies
    from schemashift.runtime.executor import RunResult
    from schemashift.runtime.status import StatusRow
    from schemashift.url import DatabaseURL

__all__ = ["MigratedDatabase", "Switch"]

#: The options that ``schemashift_options`` may hold: the API's settings.
OPTION_NAMES = ("project", "database", "models", "migrations")
#: PostgreSQL refuses longer names; test database names stay well below.
_MAX_NAME = 50


@dataclass(frozen=True)
class MigratedDatabase:
    """A database that holds every migration of the project, for one test.

    ``url`` is its database URL (give it to the application under test), ``dialect`` the
    name of its dialect (as ``conn.dialect`` says it in migrations), ``path`` the SQLite
    file (None on a database server).
    """

    url: str
    dialect: str
    path: Path | None
    settings: Mapping[str, Any] = field(default_factory=dict)

    def connect(self) -> Any:
        """A new DB-API connection to this database, not in autocommit mode: a
        ``sqlite3.Connection``, a ``psycopg.Connection`` or a ``pymysql`` connection. The
        caller closes it."""
        from schemashift.dialects import get_dialect, parse_url

        return get_dialect(self.dialect).driver_connection(parse_url(self.url, Path.cwd()))

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


class _Template:
    """The migrated template of one session and the copies made from it."""

    def __init__(
        self, name: str, url: DatabaseURL, settings: Mapping[str, Any], copies: TemplateCopies
    ) -> None:
        self.name = name
        self.url = url
        self.settings = settings
        self.copies = copies
        self._numbers = itertools.count(1)

    def copy(self, folder: Path) -> MigratedDatabase:
        """A fresh copy of the template for one test; a SQLite file goes to ``folder``."""
        name = f"{self.name.removesuffix('_tpl')}_{next(self._numbers)}"
        url = self.copies.copy(self.url, name, folder)
        path = Path(url.path) if url.path is not None else None
        return MigratedDatabase(url.raw, url.dialect, path, self.settings)

    def discard(self, db: MigratedDatabase) -> None:
        """Drop a test's database."""
        from schemashift.dialects import parse_url

        self.copies.drop(parse_url(db.url, Path.cwd()))

    def close(self) -> None:
        """Drop the template database."""
        try:
            self.copies.drop(self.url)
        finally:
            self.copies.close()


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
    from schemashift.dialects import get_dialect, parse_url

    base = parse_url(database, Path.cwd())
    copies = get_dialect(base.dialect).template_copies(base)
    name = _template_name(base.database)
    try:
        url = copies.create(name, folder)
    except BaseException:
        copies.close()
        raise
    template = _Template(name, url, settings, copies)
    try:
        api.migrate(database=url.raw, **settings)
    except BaseException:
        template.close()
        raise
    return template


@pytest.fixture(scope="session")
def schemashift_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Settings for the test databases, as keywords of the Python API: ``project``
    (default: pytest's root folder), ``models``, ``migrations`` and ``database``.

    ``database`` picks the kind of database: on SQLite the test files go to a temporary
    folder whatever the path; on PostgreSQL and MySQL the test databases are made on the
    same server, named after it (``<name>_test_...``). By default it is the project's own
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
