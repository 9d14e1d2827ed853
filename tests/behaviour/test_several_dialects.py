"""One migration history for several databases: SQL for each in every generated file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import database_url
from tests.support import db
from tests.support.project import ProjectDir

V1 = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
    name = Field.String(max_length=100, default="")
"""
V2 = (
    V1
    + """

class Post(Model):
    author_id = Field.ForeignKey("User", on_delete="CASCADE")
    title = Field.String(max_length=200, nullable=False)
    __indexes__ = [Index("title")]
"""
)
V3 = V2.replace('default="")', 'default="", nullable=False)') + "    score = Field.Float()\n"
V4 = V3.replace(
    "score = Field.Float()", "score = Field.Decimal(max_digits=10, decimal_places=2)"
).replace("class Post(Model):", 'class Post(Model):\n    body = Field.Text(default="")')

FILL = '''
paramstyle = "named"


def up(conn):
    """Apply changes."""
    conn.execute(
        "INSERT INTO users (email, name) VALUES (:email, :name)",
        {"email": "ann@example.com", "name": "Ann: 100% ':not_a_param'"},
    )


def down(conn):
    """Revert changes."""
    conn.execute("DELETE FROM users WHERE email = :email", {"email": "ann@example.com"})
'''


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database."""
    yield from database_url("postgresql", tmp_path)


@pytest.fixture
def mysql_url(tmp_path: Path) -> Iterator[str]:
    """A fresh MariaDB/MySQL database."""
    yield from database_url("mysql", tmp_path)


def _mysql_columns(url: str) -> dict[str, list[str]]:
    from tests.support.mysql import connect

    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position"
            )
            found: dict[str, list[str]] = {}
            for table, column in cur.fetchall():
                found.setdefault(table, []).append(column)
            return found
    finally:
        conn.close()


def _configure(project: ProjectDir, dialects: str) -> None:
    text = (project.root / "pyproject.toml").read_text()
    (project.root / "pyproject.toml").write_text(text + f"dialects = {dialects}\n")


def _names(url: str) -> dict[str, list[str]]:
    return {t: db.columns(url, t) for t in sorted(db.tables(url))}


def _history(project: ProjectDir) -> None:
    for number, source in enumerate((V1, V2, V3, V4), start=1):
        project.model("app", source)
        project.ok("make", "migration", f"step_{number}")


def test_one_history_runs_on_both_databases(sqlite_project: ProjectDir, pg_url: str) -> None:
    _configure(sqlite_project, '["sqlite", "postgresql"]')
    _history(sqlite_project)
    text = sqlite_project.read("0003_step_3.py")
    assert 'dialects = ("sqlite", "postgresql")' in text
    assert "def up_sqlite(conn):" in text and "def up_postgresql(conn):" in text
    on_pg = {"DATABASE_URL": pg_url}

    sqlite_project.ok("migrate")
    assert sqlite_project.run("migrate", env=on_pg).code == 0
    assert "OK" in sqlite_project.ok("check").out
    pg_check = sqlite_project.run("check", env=on_pg)
    assert pg_check.code == 0, pg_check.out + pg_check.err
    # The two catalogs hold the same tables, columns (in order) and rows of history.
    assert _names(sqlite_project.database) == _names(pg_url)
    assert db.tracking(sqlite_project.database) == db.tracking(pg_url)
    assert db.query(
        pg_url,
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'posts' AND column_name = 'score'",
    ) == [("numeric",)]

    for env in ({}, on_pg):
        assert sqlite_project.run("migrate", "--rollback", "--all", env=env).code == 0
    assert db.tables(sqlite_project.database) == {"_schemashift_migrations", "_schemashift_meta"}
    assert db.tables(pg_url) == {"_schemashift_migrations", "_schemashift_meta"}


def test_a_single_database_project_writes_one_dialect_files(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("app", V1)
    sqlite_project.ok("make", "migration", "initial")
    text = sqlite_project.read("0001_initial.py")
    assert "dialects" not in text and "up_sqlite" not in text
    assert 'def up(conn):\n    """Apply changes."""\n    conn.execute(' in text


def test_adding_a_dialect_to_a_project_with_applied_history(
    sqlite_project: ProjectDir, pg_url: str
) -> None:
    _history(sqlite_project)
    sqlite_project.ok("make", "migration", "fill", "--empty")
    (sqlite_project.migrations / "0005_fill.py").write_text(FILL)
    sqlite_project.ok("migrate")
    # A reviewer's edit of a generated file: its SQL no longer is what make migration wrote.
    edited = sqlite_project.migrations / "0002_step_2.py"
    edited.write_text(edited.read_text().replace("CREATE TABLE posts", "CREATE TABLE  posts"))
    sqlite_project.ok("migrate", "--repair", "--yes")
    before = {name: sqlite_project.read(name) for name in sqlite_project.files()}

    made = sqlite_project.ok("render", "--dialect", "postgresql").out
    assert "Added postgresql SQL to 3 migration file(s)" in made
    assert "0002_step_2: its SQL was edited" in made
    assert "0005_fill: hand-written and declares no dialects" in made
    assert 'Add "postgresql" to dialects' in made
    assert sqlite_project.read("0005_fill.py") == before["0005_fill.py"]
    assert "up_postgresql" not in sqlite_project.read("0002_step_2.py")
    assert 'dialects = ("sqlite",)' in sqlite_project.read("0002_step_2.py")
    assert "def up_postgresql(conn):" in sqlite_project.read("0004_step_4.py")

    # Databases that applied the files see no change.
    status = sqlite_project.ok("migrate", "--status").out
    assert "(changed)" not in status
    payload = json.loads(sqlite_project.ok("migrate", "--status", "--json").out)
    assert all(m["checksum_ok"] for m in payload["migrations"])
    assert "OK" in sqlite_project.ok("check").out
    assert sqlite_project.ok("render", "--dialect", "postgresql").out.count("Added") == 0

    # A PostgreSQL database refuses the file still without its part, before anything runs.
    refused = sqlite_project.run("migrate", env={"DATABASE_URL": pg_url})
    assert refused.code == 1
    assert "0002_step_2 has no SQL for postgresql" in refused.err
    assert "schemashift render --dialect postgresql" in refused.err
    assert db.tables(pg_url) == set()

    # An edit of the part that ran is still a change.
    third = sqlite_project.migrations / "0003_step_3.py"
    third.write_text(
        third.read_text().replace("def down_sqlite(conn):", "def down_sqlite(conn):\n    pass\n", 1)
    )
    assert "[X] 0003_step_3 (changed)" in sqlite_project.ok("migrate", "--status").out


def test_a_file_without_the_connected_dialect_is_refused(project: ProjectDir) -> None:
    other = "postgresql" if project.dialect == "sqlite" else "sqlite"
    project.model("app", V1)
    project.ok("make", "migration", "initial")
    (project.migrations / "0002_only_other.py").write_text(
        f'dialects = ("{other}",)\n\n\ndef up(conn):\n    conn.execute("SELECT 1")\n'
    )
    refused = project.run("migrate")
    assert refused.code == 1
    assert f"0002_only_other has no SQL for {project.dialect}" in refused.err
    assert db.tracking(project.database) == []


def test_portable_placeholders(project: ProjectDir) -> None:
    project.model("app", V1)
    project.ok("make", "migration", "initial")
    project.ok("make", "migration", "fill", "--empty")
    (project.migrations / "0002_fill.py").write_text(FILL)
    project.ok("migrate")
    assert db.query(project.database, "SELECT email, name FROM users") == [
        ("ann@example.com", "Ann: 100% ':not_a_param'")
    ]
    project.ok("migrate", "--rollback", "--step", "1")
    assert db.query(project.database, "SELECT email FROM users") == []


def test_dialects_without_the_configured_database_are_refused(sqlite_project: ProjectDir) -> None:
    _configure(sqlite_project, '["postgresql"]')
    sqlite_project.model("app", V1)
    refused = sqlite_project.run("make", "migration", "initial")
    assert refused.code == 1
    assert "leaves out the configured database (sqlite)" in refused.err
    assert sqlite_project.files() == []


def test_online_forms_with_several_dialects_are_refused(pg_project: ProjectDir) -> None:
    _configure(pg_project, '["postgresql", "sqlite"]')
    pg_project.model("app", V1)
    refused = pg_project.run("make", "migration", "initial", "--online")
    assert refused.code == 1 and "carry SQL for several dialects" in refused.err
    assert pg_project.files() == []


def test_one_history_runs_on_three_databases(
    sqlite_project: ProjectDir, pg_url: str, mysql_url: str
) -> None:
    _configure(sqlite_project, '["sqlite", "postgresql", "mysql"]')
    _history(sqlite_project)
    assert 'dialects = ("sqlite", "postgresql", "mysql")' in sqlite_project.read("0001_step_1.py")
    assert "def up_mysql(conn):" in sqlite_project.read("0004_step_4.py")
    for env in ({}, {"DATABASE_URL": pg_url}, {"DATABASE_URL": mysql_url}):
        done = sqlite_project.run("migrate", env=env)
        assert done.code == 0, done.err
        checked = sqlite_project.run("check", env=env)
        assert checked.code == 0, checked.out + checked.err
    # The same tables and columns, in the same order, in all three catalogs.
    expected = _names(sqlite_project.database)
    assert _names(pg_url) == expected
    assert _mysql_columns(mysql_url) == expected
    for env in ({}, {"DATABASE_URL": pg_url}, {"DATABASE_URL": mysql_url}):
        assert sqlite_project.run("migrate", "--rollback", "--all", env=env).code == 0
    assert set(_mysql_columns(mysql_url)) == {"_schemashift_migrations", "_schemashift_meta"}
