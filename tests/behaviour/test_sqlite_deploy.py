"""SQLite the way deployments use it: many first runs at once on a missing file, an
application holding the database, old bad rows, and batches that would break views."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.support import db
from tests.support.project import ProjectDir, Result

USER = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
"""

FILL = '''
import os
import time


def up(conn):
    """Apply changes."""
    for i in range(300):
        conn.execute("INSERT INTO users (email) VALUES (?)", (f"user{i}@example.com",))
    # Long enough for the runs that give up on the lock to do so while this batch is open.
    time.sleep(0.2)
    if os.environ.get("SCHEMASHIFT_TEST_FAIL"):
        raise RuntimeError("this run was told to fail")


def down(conn):
    """Revert changes."""
    conn.execute("DELETE FROM users")
'''

# Imports schemashift first, so that every process starts its run the moment the
# barrier file appears.
AT_BARRIER = """
import os, sys, time
from pathlib import Path
from schemashift.cli.main import main
barrier, ready = sys.argv[1], sys.argv[2]
Path(ready).touch()
while not os.path.exists(barrier):
    time.sleep(0.001)
sys.exit(main(sys.argv[3:]))
"""

ROLES = ("give up", "give up", "fail", "wait", "wait", "wait")


def _hand_written(project: ProjectDir, name: str, up: str, down: str = "pass") -> None:
    project.ok("make", "migration", name, "--empty")
    (path,) = project.migrations.glob(f"[0-9]*_{name}.py")
    path.write_text(
        f'def up(conn):\n    """Apply changes."""\n{up}\n\n\n'
        f'def down(conn):\n    """Revert changes."""\n    {down}\n'
    )


def _path(project: ProjectDir) -> Path:
    return Path(project.database.removeprefix("sqlite:///"))


def _start_round(project: ProjectDir, folder: Path, url: str) -> list[subprocess.Popen[str]]:
    folder.mkdir()
    procs = []
    for i, role in enumerate(ROLES):
        timeout = "0" if role == "give up" else "120"
        env = {**os.environ, "NO_COLOR": "1"}
        env.pop("DATABASE_URL", None)
        if role == "fail":
            env["SCHEMASHIFT_TEST_FAIL"] = "1"
        procs.append(
            subprocess.Popen(
                [
                    *(
                        sys.executable,
                        "-c",
                        AT_BARRIER,
                        str(folder / "go"),
                        str(folder / f"{i}.ready"),
                    ),
                    *("--database", url, "migrate", "--lock-timeout", timeout),
                ],
                cwd=project.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    deadline = time.monotonic() + 120
    while len(list(folder.glob("*.ready"))) < len(ROLES):
        assert time.monotonic() < deadline, "the runs never got ready"
        time.sleep(0.01)
    (folder / "go").touch()
    return procs


def test_synchronized_first_runs_on_a_missing_file(
    sqlite_project: ProjectDir, tmp_path: Path
) -> None:
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    _hand_written(sqlite_project, "fill", "")
    (sqlite_project.migrations / "0002_fill.py").write_text(FILL)
    sqlite_project.model("user", USER + "    bio = Field.Text()\n")
    sqlite_project.ok("make", "migration", "add_bio")
    names = [f.removesuffix(".py") for f in sqlite_project.files()]
    for round_ in range(10):
        path = tmp_path / f"round{round_}.sqlite3"
        url = f"sqlite:///{path}"
        procs = _start_round(sqlite_project, tmp_path / f"round{round_}", url)
        for role, proc in zip(ROLES, procs, strict=True):
            out, err = proc.communicate(timeout=300)
            seen = (round_, role, proc.returncode, out, err)
            for wrong in ("disk I/O error", "unexpectedly", "Traceback", "locked by another"):
                assert wrong not in err, seen
            if role == "wait":
                assert proc.returncode == 0, seen
            elif proc.returncode != 0:
                expected = "holds the migration lock" if role == "give up" else "told to fail"
                assert expected in err, seen
        assert path.is_file(), f"round {round_}: the database is gone"
        assert Path(f"{path}.schemashift-lock").is_file(), f"round {round_}: lock file gone"
        assert [name for name, _ in db.tracking(url)] == names
        assert db.query(url, "SELECT count(*), count(DISTINCT email) FROM users") == [(300, 300)]
        assert db.columns(url, "users") == ["id", "email", "bio"]
        assert db.query(url, "PRAGMA integrity_check") == [("ok",)]


def test_a_failed_first_run_leaves_no_database(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    _hand_written(sqlite_project, "broken", '    conn.execute("SELECT * FROM no_such_table")')
    result = sqlite_project.run("migrate")
    assert result.code == 1 and "no_such_table" in result.err
    assert not _path(sqlite_project).exists()
    # The lock file may be shared with a run that is about to start: it stays.
    assert Path(f"{_path(sqlite_project)}.schemashift-lock").is_file()


# --- an application holding the database ----------------------------------------------------


@contextmanager
def _application(path: Path, begin: str) -> Iterator[None]:
    """An application's connection inside a transaction (the read of ``BEGIN`` +
    ``SELECT`` holds a shared lock until it ends)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as app:
        app.execute(begin)
        app.execute("SELECT count(*) FROM users").fetchone()
        try:
            yield
        finally:
            app.execute("ROLLBACK")


def _refused_as_locked(result: Result) -> None:
    assert result.code == 1, result
    assert "is locked by another connection" in result.err, result.err
    assert "?timeout=SECONDS" in result.err
    for wrong in ("unexpectedly", "SQLite file that this user", "Traceback"):
        assert wrong not in result.err


@pytest.mark.parametrize("begin", ["BEGIN IMMEDIATE", "BEGIN EXCLUSIVE", "BEGIN"])
def test_an_application_holding_the_database(sqlite_project: ProjectDir, begin: str) -> None:
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.ok("migrate")
    sqlite_project.model("user", USER + "    bio = Field.Text()\n")
    sqlite_project.ok("make", "migration", "add_bio")
    # A short busy timeout through the URL keeps the test fast.
    short = sqlite_project.database + "?timeout=0.2"
    with _application(_path(sqlite_project), begin):
        _refused_as_locked(sqlite_project.run("--database", short, "migrate"))
        status = sqlite_project.run("--database", short, "migrate", "--status")
        if begin == "BEGIN EXCLUSIVE":
            _refused_as_locked(status)
        else:
            assert status.code == 0 and "0002_add_bio" in status.out, status
    assert db.tracking(sqlite_project.database) == [("0001_initial", 1)]
    assert db.columns(sqlite_project.database, "users") == ["id", "email"]
    sqlite_project.ok("--database", short, "migrate")
    assert db.columns(sqlite_project.database, "users") == ["id", "email", "bio"]


@pytest.mark.parametrize(
    ("query", "message"),
    [("timeout=soon", "timeout must be a number of seconds"), ("mode=ro", "unknown parameter")],
)
def test_sqlite_url_parameters(sqlite_project: ProjectDir, query: str, message: str) -> None:
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    result = sqlite_project.run("--database", f"{sqlite_project.database}?{query}", "migrate")
    assert result.code == 1 and message in result.err, result
    assert not _path(sqlite_project).exists()
    assert not list(_path(sqlite_project).parent.glob("*timeout*"))


# --- foreign keys: the batch's, not history's -------------------------------------------------

LIBRARY = """
class Author(Model):
    name = Field.Text()


class Book(Model):
    title = Field.Text()
    author_id = Field.ForeignKey("Author")
"""


def test_an_old_orphan_row_warns_and_a_new_one_refuses(sqlite_project: ProjectDir) -> None:
    url = sqlite_project.database
    sqlite_project.model("library", LIBRARY)
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.ok("migrate")
    # An application with SQLite's default foreign_keys=OFF leaves book 1 dangling.
    db.execute(url, "INSERT INTO authors (id, name) VALUES (1, 'Ann')")
    db.execute(url, "INSERT INTO books (id, title, author_id) VALUES (1, 'Lost', 999)")
    db.execute(url, "INSERT INTO books (id, title, author_id) VALUES (2, 'Kept', 1)")
    sqlite_project.model(
        "library",
        LIBRARY.replace(
            "name = Field.Text()\n", "name = Field.Text()\n    born = Field.Integer()\n"
        ),
    )
    sqlite_project.ok("make", "migration", "add_born")
    applied = sqlite_project.ok("migrate")
    assert "warning:" in applied.err and "books row 1 -> authors" in applied.err, applied.err
    assert "born" in db.columns(url, "authors")

    _hand_written(
        sqlite_project, "remove_ann", '    conn.execute("DELETE FROM authors WHERE id = 1")'
    )
    refused = sqlite_project.run("migrate")
    assert refused.code == 1, refused
    assert "would leave 1 row(s) whose foreign key points at no row" in refused.err
    assert "books row 2 -> authors" in refused.err and "0003_remove_ann" in refused.err
    assert db.query(url, "SELECT id, name FROM authors") == [(1, "Ann")]
    assert [n for n, _ in db.tracking(url)] == ["0001_initial", "0002_add_born"]


# --- views and triggers, verified before COMMIT ------------------------------------------------


def test_a_view_broken_by_a_hand_written_migration_is_refused(sqlite_project: ProjectDir) -> None:
    url = sqlite_project.database
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    _hand_written(
        sqlite_project,
        "notes",
        '    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")\n'
        '    conn.execute("CREATE VIEW recent_notes AS SELECT body FROM notes")',
    )
    sqlite_project.ok("migrate")
    _hand_written(sqlite_project, "drop_notes", '    conn.execute("DROP TABLE notes")')
    refused = sqlite_project.run("migrate")
    assert refused.code == 1, refused
    assert "view recent_notes" in refused.err and "no such table" in refused.err, refused.err
    assert "0003_drop_notes" in refused.err and "Traceback" not in refused.err
    assert "notes" in db.tables(url)
    assert db.query(url, "SELECT * FROM recent_notes") == []
    assert [n for n, _ in db.tracking(url)] == ["0001_initial", "0002_notes"]


def test_a_trigger_that_cannot_compile_is_refused(sqlite_project: ProjectDir) -> None:
    url = sqlite_project.database
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.ok("migrate")
    _hand_written(
        sqlite_project,
        "audit",
        '    conn.execute("CREATE TABLE audit (what TEXT)")\n'
        '    conn.execute("CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN '
        'INSERT INTO audit VALUES (new.nickname); END")',
    )
    refused = sqlite_project.run("migrate")
    assert refused.code == 1, refused
    assert "trigger users_audit" in refused.err and "new.nickname" in refused.err, refused.err
    assert "audit" not in db.tables(url)
    db.execute(url, "INSERT INTO users (email) VALUES ('a@example.com')")


def test_a_view_broken_before_the_batch_only_warns(sqlite_project: ProjectDir) -> None:
    url = sqlite_project.database
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.ok("migrate")
    db.execute(url, "CREATE VIEW stale AS SELECT nickname FROM users")
    sqlite_project.model("user", USER + "    bio = Field.Text()\n")
    sqlite_project.ok("make", "migration", "add_bio")
    applied = sqlite_project.ok("migrate")
    assert "warning:" in applied.err and "View stale was already broken" in applied.err
    assert db.columns(url, "users") == ["id", "email", "bio"]
