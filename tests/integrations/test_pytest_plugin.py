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

HISTORY = 200
SAMPLE_TESTS = """
from contextlib import closing

import pytest


@pytest.mark.parametrize("n", range({tests}))
def test_each_test_gets_a_fresh_database(schemashift_db, n):
    with closing(schemashift_db.connect()) as conn:
        assert conn.execute("SELECT count(*) FROM thing0s").fetchone() == (0,)
        conn.execute("INSERT INTO thing0s (name) VALUES ('mine')")
        conn.commit()
        rows = conn.execute("SELECT count(*) FROM _schemashift_migrations").fetchone()
        assert rows == ({history},)


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


def _pg_server() -> str:
    url = os.environ.get("SCHEMASHIFT_TEST_PG")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("SCHEMASHIFT_TEST_PG is not set under CI=true: PostgreSQL tests must run.")
        pytest.skip("no PostgreSQL test server (set SCHEMASHIFT_TEST_PG, see scripts/pg.sh)")
    return url


def test_postgres_copies_a_template_database(tmp_path: Path) -> None:
    import secrets

    import psycopg

    from tests.support.postgres import database_url

    server = _pg_server()
    name = f"p_{secrets.token_hex(6)}"
    root = make_sample(tmp_path / "proj", database_url(server, name), history=HISTORY, tests=4)
    out = _passed(run_pytest(root, "-p", "schemashift.testing", "--setup-show", "-q"))
    assert "5 passed" in out
    assert out.count("SETUP    S schemashift_template") == 1
    with psycopg.connect(server, autocommit=True) as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (name + "%",)
        ).fetchall()
    assert left == [], "test databases were left behind"


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
