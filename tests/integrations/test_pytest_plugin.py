"""The pytest plugin (schemashift.testing), used by sample projects in real pytest runs.

The sample histories are long (200 generated migrations) to show that each test gets its
database from the template rather than by migrating: the template is set up once per
session whatever the number of tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import schemashift
from schemashift.dialects import parse_url
from tests.conftest import DIALECTS, database_url

HISTORY = 200
SAMPLE_TESTS = """
from contextlib import closing

import pytest


def rows(conn, sql):
    # Through a cursor: a PyMySQL connection has no execute() of its own.
    cursor = conn.cursor()
    cursor.execute(sql)
    return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.parametrize("n", range({tests}))
def test_each_test_gets_a_fresh_database(schemashift_db, n):
    with closing(schemashift_db.connect()) as conn:
        assert rows(conn, "SELECT count(*) FROM thing0s") == [(0,)]
        conn.cursor().execute("INSERT INTO thing0s (name) VALUES ('mine')")
        conn.commit()
        assert rows(conn, "SELECT count(*) FROM _schemashift_migrations") == [({history},)]


def test_status_and_rollback_helpers(schemashift_db):
    assert [row.applied for row in schemashift_db.status()] == [True] * {history}
    undone = schemashift_db.rollback(step=2)
    assert len(undone.names) == 2
    assert schemashift_db.migrate().names == undone.names[::-1]
"""


def _models(count: int) -> str:
    """Model source after ``count`` changes: tables of up to ten columns each."""
    lines = ["from schemashift import Field, Model", ""]
    tables = (count + 9) // 10
    for k in range(tables):
        columns = count - k * 10 if k == tables - 1 else 10
        lines += [f"class Thing{k}(Model):", "    name = Field.String(max_length=100, default='')"]
        lines += [f"    c{c} = Field.Integer(default={c})" for c in range(1, columns)]
        lines.append("")
    return "\n".join(lines)


def make_sample(root: Path, database: str, *, history: int, tests: int = 20) -> Path:
    """A project with ``history`` generated migrations and a sample test suite."""
    (root / "src" / "models").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "sample"\n\n[tool.schemashift]\ndatabase = "{database}"\n\n'
        "[tool.pytest.ini_options]\n"
    )
    for i in range(1, history + 1):
        (root / "src" / "models" / "things.py").write_text(_models(i))
        made = schemashift.make_migration(f"change_{i}", project=str(root))
        assert made.path is not None
    (root / "tests" / "test_sample.py").write_text(
        SAMPLE_TESTS.format(tests=tests, history=history)
    )
    return root


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest on the sample project, in its own process, as a user would run it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "DATABASE_URL")}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _passed(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite project with a 200-migration history."""
    root = tmp_path_factory.mktemp("sample") / "proj"
    return make_sample(root, "sqlite:///app.sqlite3", history=HISTORY)


def test_the_fixture_is_inactive_until_switched_on(sample: Path) -> None:
    done = run_pytest(sample, "-q", "-k", "status")
    assert done.returncode == 1
    assert "fixture 'schemashift_db' not found" in done.stdout


def test_switched_on_with_p_option_each_test_gets_a_fresh_copy(sample: Path) -> None:
    out = _passed(run_pytest(sample, "-p", "schemashift.testing", "--setup-show", "-q"))
    assert "21 passed" in out
    # Migrated once per session, whatever the number of tests.
    assert out.count("SETUP    S schemashift_template") == 1
    assert out.count("SETUP    F schemashift_db") == 21
    assert not (sample / "app.sqlite3").exists(), "the project's own database was touched"


def test_switched_on_in_conftest(sample: Path, tmp_path: Path) -> None:
    conftest = sample / "conftest.py"
    conftest.write_text('pytest_plugins = ["schemashift.testing"]\n')
    try:
        out = _passed(run_pytest(sample, "-q", "-k", "status"))
    finally:
        conftest.unlink()
    assert "1 passed" in out


@pytest.mark.skipif(
    not any(ep.name == "schemashift" for ep in entry_points(group="pytest11")),
    reason="the pytest11 entry point is not installed (run pip install -e . again)",
)
def test_switched_on_in_pytest_settings(sample: Path) -> None:
    pyproject = sample / "pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(original + "schemashift = true\n")
    try:
        out = _passed(run_pytest(sample, "-q", "-k", "status"))
    finally:
        pyproject.write_text(original)
    assert "1 passed" in out


def test_options_fixture_can_point_elsewhere(sample: Path, tmp_path: Path) -> None:
    """A test suite outside the project names it through ``schemashift_options``."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(
        textwrap.dedent(
            f"""
            import pytest

            pytest_plugins = ["schemashift.testing"]


            @pytest.fixture(scope="session")
            def schemashift_options():
                return {{"project": {str(sample)!r}}}
            """
        )
    )
    (suite / "test_one.py").write_text(
        f"def test_one(schemashift_db):\n    assert len(schemashift_db.status()) == {HISTORY}\n"
    )
    assert "1 passed" in _passed(run_pytest(suite, "-q"))


RELATED_MODELS = """
from schemashift import Field, Model


class Author(Model):
    name = Field.String(max_length=100)


class Book(Model):
    title = Field.String(max_length=100)
    author = Field.ForeignKey(Author, on_delete="CASCADE")
"""

SEED = """
def up(conn):
    conn.execute("INSERT INTO authors (name) VALUES ('ada')")
    conn.execute("INSERT INTO authors (name) VALUES ('grace')")
    conn.execute("CREATE VIEW author_names AS SELECT name FROM authors")


def down(conn):
    conn.execute("DROP VIEW author_names")
    conn.execute("DELETE FROM authors")
"""

COPY_TESTS = """
from contextlib import closing

import pytest

LEFT_OPEN = []


def rows(cursor, sql):
    cursor.execute(sql)
    return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.parametrize("n", range(3))
def test_a_copy_holds_the_template(schemashift_db, n):
    with closing(schemashift_db.connect()) as conn:
        cursor = conn.cursor()
        if schemashift_db.dialect == "sqlite":
            cursor.execute("PRAGMA foreign_keys = ON")
        # The rows and the view of a data migration, the tracking table's rows.
        assert rows(cursor, "SELECT name FROM author_names ORDER BY name") == [
            ("ada",), ("grace",)
        ]
        assert rows(cursor, "SELECT count(*) FROM _schemashift_migrations") == [(2,)]
        # The id counters go on from the template's.
        cursor.execute("INSERT INTO authors (name) VALUES ('tester')")
        assert rows(cursor, "SELECT max(id) FROM authors") == [(3,)]
        cursor.execute("INSERT INTO books (title, author) VALUES ('mine', 3)")
        conn.commit()
        # The foreign key is there, with its ON DELETE.
        with pytest.raises(Exception):
            cursor.execute("INSERT INTO books (title, author) VALUES ('orphan', 99)")
            conn.commit()
        conn.rollback()
        cursor.execute("DELETE FROM authors WHERE id = 3")
        conn.commit()
        assert rows(cursor, "SELECT count(*) FROM books") == [(0,)]
    # A test may leave a connection open in a transaction: dropping the copy ends it.
    conn = schemashift_db.connect()
    conn.cursor().execute("INSERT INTO books (title, author) VALUES ('open', 1)")
    LEFT_OPEN.append(conn)
"""


def _leftovers(dialect: str, database: str) -> list[str]:
    """The databases of the server of ``database`` whose names start with its own, besides
    itself."""
    from tests.support.db import query

    name = parse_url(database, Path("/")).database
    assert name is not None
    if dialect == "postgresql":
        sql = "SELECT datname FROM pg_database WHERE datname LIKE ?"
    else:
        sql = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?"
    return [row[0] for row in query(database, sql, (name + "%",)) if row[0] != name]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_test_gets_a_copy_of_the_migrated_template(dialect: str, tmp_path: Path) -> None:
    """Foreign keys, rows and views of the migrated template are in every copy, and no
    test database is left behind, on each database."""
    for database in database_url(dialect, tmp_path):
        root = tmp_path / "proj"
        (root / "src" / "models").mkdir(parents=True)
        (root / "tests").mkdir()
        (root / "pyproject.toml").write_text(
            f'[project]\nname = "sample"\n\n[tool.schemashift]\ndatabase = "{database}"\n'
        )
        (root / "src" / "models" / "library.py").write_text(RELATED_MODELS)
        assert schemashift.make_migration("initial", project=str(root)).path is not None
        seed = schemashift.make_migration("seed", empty=True, project=str(root)).path
        assert seed is not None
        Path(seed).write_text(SEED)
        (root / "tests" / "test_copies.py").write_text(COPY_TESTS)
        out = _passed(run_pytest(root, "-p", "schemashift.testing", "--setup-show", "-q"))
        assert "3 passed" in out
        assert out.count("SETUP    S schemashift_template") == 1
        if dialect == "sqlite":
            assert not (root / "db.sqlite3").exists(), "the project's own database was touched"
        else:
            assert _leftovers(dialect, database) == [], "test databases were left behind"


def test_evolve_in_an_application_under_test_writes_no_file(sample: Path) -> None:
    """An app that calls ``schemashift.evolve()`` at start-up, started by a test while the
    models have a change with no migration yet: nothing lands in src/migrations."""
    models = sample / "src" / "models" / "things.py"
    original = models.read_text()
    app_test = sample / "tests" / "test_app_start.py"
    migrations = sample / "src" / "migrations"
    before = sorted(p.name for p in migrations.iterdir())
    models.write_text(original + "\n\nclass Extra(Model):\n    note = Field.Text()\n")
    app_test.write_text(
        "import schemashift\n\n\n"
        "def test_app_start(schemashift_db):\n"
        f"    report = schemashift.evolve(database=schemashift_db.url, project={str(sample)!r})\n"
        "    assert report.written is None\n"
        "    assert any('writes no migration file while tests run' in r for r in report.refused)\n"
    )
    try:
        out = _passed(run_pytest(sample, "-p", "schemashift.testing", "-q", "-k", "app_start"))
    finally:
        models.write_text(original)
        app_test.unlink()
    assert "1 passed" in out
    assert sorted(p.name for p in migrations.iterdir()) == before


def test_tests_on_sqlite_for_a_project_deployed_on_postgresql(tmp_path: Path) -> None:
    """Files carrying SQL for both databases: production runs PostgreSQL, the test suite
    SQLite (no server at all), through ``schemashift_options``."""
    root = tmp_path / "proj"
    (root / "src" / "models").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "sample"\n\n[tool.schemashift]\n'
        'database = "postgresql://app@127.0.0.1:9/production"\n'
        'dialects = ["postgresql", "sqlite"]\n'
    )
    for i in range(1, 11):
        (root / "src" / "models" / "things.py").write_text(_models(i))
        assert schemashift.make_migration(f"change_{i}", project=str(root)).path is not None
    assert "def up_sqlite(conn):" in (root / "src" / "migrations" / "0010_change_10.py").read_text()
    (root / "tests" / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest

            pytest_plugins = ["schemashift.testing"]


            @pytest.fixture(scope="session")
            def schemashift_options(tmp_path_factory):
                folder = tmp_path_factory.mktemp("db")
                return {"database": f"sqlite:///{folder / 'test.sqlite3'}"}
            """
        )
    )
    (root / "tests" / "test_sample.py").write_text(SAMPLE_TESTS.format(tests=3, history=10))
    out = _passed(run_pytest(root, "-q"))
    assert "4 passed" in out
