"""``migrate --sql`` and ``show``: SQL to read, and a script a DBA applies by hand.

The judge of the script is the database itself: applied with the database's own client
(sqlite3's executescript, psql), it must leave what ``migrate`` leaves, so that
``check`` afterwards finds models, files and database in agreement.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.support import db
from tests.support.project import ProjectDir

V1 = """
class User(Model):
    name = Field.String(max_length=20)
"""
V2 = """
class User(Model):
    name = Field.String(max_length=20, nullable=False, default="")
    age = Field.Integer(index=True)
"""


def _two_migrations(project: ProjectDir) -> None:
    project.model("user", V1)
    project.ok("make", "migration", "initial")
    project.model("user", V2)
    project.ok("make", "migration", "more")


def _apply(project: ProjectDir, script: str) -> None:
    if project.dialect == "sqlite":
        import sqlite3

        path = project.database.removeprefix("sqlite:///")
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.executescript(script)
        finally:
            conn.close()
        return
    if project.dialect == "mysql":
        _apply_mysql(project.database, script)
        return
    psql = shutil.which("psql") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))), None
    )
    if psql is None:
        pytest.fail("psql is not installed (it comes with PostgreSQL)")
    done = subprocess.run(
        [psql, "-v", "ON_ERROR_STOP=1", "-q", "-d", project.database],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _apply_mysql(url: str, script: str) -> None:
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        pytest.fail("the mariadb (or mysql) client is not installed (it comes with the server)")
    parts = urlsplit(url)
    done = subprocess.run(
        [
            client,
            "--protocol=TCP",
            f"--host={parts.hostname}",
            f"--port={parts.port or 3306}",
            f"--user={unquote(parts.username or 'root')}",
            *([f"--password={unquote(parts.password)}"] if parts.password else []),
            unquote(parts.path.lstrip("/")),
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_script_does_what_migrate_does(project: ProjectDir) -> None:
    _two_migrations(project)
    result = project.ok("migrate", "--sql")
    script = result.out
    assert script.count("BEGIN;") == 1 and script.rstrip().endswith("COMMIT;")
    assert "INSERT INTO _schemashift_migrations" in script
    assert "Dry run" not in script and result.err == ""
    if project.dialect == "sqlite":
        assert not Path(project.database.removeprefix("sqlite:///")).exists()
        Path(project.database.removeprefix("sqlite:///")).touch()
    _apply(project, script)
    status = project.ok("migrate", "--status").out
    assert "[X] 0001_initial" in status and "[X] 0002_more" in status
    assert [batch for _, batch in db.tracking(project.database)] == [1, 1]
    assert project.ok("check").out.startswith("OK")


def test_from_needs_no_database_and_starts_after_it(project: ProjectDir) -> None:
    _two_migrations(project)
    project.ok("migrate", "--to", "0001")
    nowhere = (
        f"sqlite:///{project.root / 'no' / 'such.db'}"
        if project.dialect == "sqlite"
        else f"{project.dialect}://u:p@127.0.0.1:1/none"
    )
    script = project.ok("migrate", "--sql", "--from", "0001", "--database", nowhere).out
    assert "-- 0002_more" in script and "-- 0001_initial" not in script
    _apply(project, script)
    assert [name for name, _ in db.tracking(project.database)] == ["0001_initial", "0002_more"]
    assert [batch for _, batch in db.tracking(project.database)] == [1, 2]
    assert project.ok("check").out.startswith("OK")


def test_a_migration_outside_a_transaction_closes_and_reopens_it(
    sqlite_project: ProjectDir,
) -> None:
    _two_migrations(sqlite_project)
    sqlite_project.ok("make", "migration", "data", "--empty")
    path = sqlite_project.migrations / "0003_data.py"
    path.write_text(
        "atomic = False\n\n\ndef up(conn):\n"
        "    for n in range(2):\n"
        "        conn.execute(f\"INSERT INTO users (name) VALUES ('n{n}')\")\n\n\n"
        "def down(conn):\n    pass\n"
    )
    script = sqlite_project.ok("migrate", "--sql", "--from", "0").out
    assert "COMMIT;\n-- 0003_data runs outside a transaction (atomic = False)" in script
    # What the Python loop would run is there too.
    assert "INSERT INTO users (name) VALUES ('n0');" in script
    assert "INSERT INTO users (name) VALUES ('n1');" in script


def test_show_prints_the_sql_of_one_migration(project: ProjectDir) -> None:
    _two_migrations(project)
    up = project.ok("show", "0002").out
    assert up.startswith("-- 0002_more up(),")
    assert "age" in up and up.count(";") >= 2
    down = project.ok("show", "0002_more", "--down").out
    assert down.startswith("-- 0002_more down(),")
    project.ok("migrate")
    (project.migrations / "0002_more.py").unlink()
    kept = project.ok("show", "0002").out
    assert "the copy the database keeps" in kept and "age" in kept
    missing = project.run("show", "0009")
    assert missing.code == 1 and "No migration called" in missing.err
