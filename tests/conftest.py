"""Shared fixtures: a database URL per dialect (one test, three databases) and projects."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.project import ProjectDir

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("long", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

DIALECTS = ["sqlite", "postgresql", "mysql"]


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the replay cache of the test projects out of the user's own cache folder."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


def _pg_admin_url() -> str | None:
    url = os.environ.get("SCHEMASHIFT_TEST_PG")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("SCHEMASHIFT_TEST_PG is not set under CI=true: PostgreSQL tests must run.")
        pytest.skip("no PostgreSQL test server (set SCHEMASHIFT_TEST_PG, see scripts/pg.sh)")
    return url


def _mysql_admin_url() -> str:
    url = os.environ.get("SCHEMASHIFT_TEST_MYSQL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("SCHEMASHIFT_TEST_MYSQL is not set under CI=true: MySQL tests must run.")
        pytest.skip("no MySQL test server (set SCHEMASHIFT_TEST_MYSQL, see scripts/mariadb.sh)")
    return url


def database_url(dialect: str, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, empty database of ``dialect``."""
    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    if dialect == "mysql":
        from tests.support.mysql import fresh_database as fresh_mysql_database

        with fresh_mysql_database(_mysql_admin_url()) as url:
            yield url
        return
    admin = _pg_admin_url()
    assert admin is not None
    from tests.support.postgres import fresh_database

    with fresh_database(admin) as url:
        yield url


@pytest.fixture(params=DIALECTS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL, once per dialect."""
    yield from database_url(request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database URL."""
    return f"sqlite:///{tmp_path / 'db.sqlite3'}"


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> ProjectDir:
    """An empty project folder whose database is fresh, once per dialect."""
    return ProjectDir(tmp_path / "proj", db_url)


@pytest.fixture
def sqlite_project(tmp_path: Path, sqlite_url: str) -> ProjectDir:
    """An empty project folder on SQLite only (for SQLite-specific behaviour)."""
    return ProjectDir(tmp_path / "proj", sqlite_url)


@pytest.fixture
def pg_project(tmp_path: Path) -> Iterator[ProjectDir]:
    """An empty project folder on a fresh PostgreSQL database only."""
    for url in database_url("postgresql", tmp_path):
        yield ProjectDir(tmp_path / "proj", url)


@pytest.fixture
def mysql_project(tmp_path: Path) -> Iterator[ProjectDir]:
    """An empty project folder on a fresh MySQL/MariaDB database only."""
    for url in database_url("mysql", tmp_path):
        yield ProjectDir(tmp_path / "proj", url)
