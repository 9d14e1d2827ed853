"""PostgreSQL: CREATE INDEX CONCURRENTLY in an atomic = False migration, under the lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import database_url
from tests.support import db
from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, nullable=False)
"""

SLOW = '''
import time

atomic = False


def up(conn):
    """Apply changes."""
    time.sleep(3)


def down(conn):
    """Revert changes."""
'''


@pytest.fixture
def pg_project(tmp_path: Path) -> Iterator[ProjectDir]:
    for url in database_url("postgresql", tmp_path):
        yield ProjectDir(tmp_path / "proj", url)


def test_concurrent_index_while_another_migrate_waits(pg_project: ProjectDir) -> None:
    project = pg_project
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for i in range(200):
        db.execute(project.database, "INSERT INTO users (email) VALUES (?)", (f"u{i}@x",))
    project.ok("make", "migration", "slow", "--empty")
    (project.migrations / "0002_slow.py").write_text(SLOW)
    project.model("user", USER.replace("nullable=False", "nullable=False, index=True"))
    made = project.ok("make", "migration", "index_email", "--concurrently")
    text = project.read("0003_index_email.py")
    assert "atomic = False" in text
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_email ON users (email)" in text
    assert "DROP INDEX CONCURRENTLY IF EXISTS idx_users_email" in text
    assert "+ add index idx_users_email" in made.out

    env = {**os.environ, "NO_COLOR": "1"}
    holder = subprocess.Popen(
        [sys.executable, "-m", "schemashift", "migrate"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(1)
    waiter = project.run("migrate", "--lock-timeout", "60")
    out, err = holder.communicate(timeout=120)
    assert holder.returncode == 0, (out, err)
    assert "outside the batch transaction" in out
    assert waiter.code == 0 and "Nothing to migrate" in waiter.out, waiter
    valid = db.query(
        project.database,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = 'idx_users_email'",
    )
    assert valid == [(True,)]
    assert [n for n, _ in db.tracking(project.database)] == [
        "0001_initial",
        "0002_slow",
        "0003_index_email",
    ]
    assert project.ok("check").code == 0
    project.ok("migrate", "--rollback")
    assert db.query(
        project.database, "SELECT count(*) FROM pg_class WHERE relname = ?", ("idx_users_email",)
    ) == [(0,)]


def test_concurrently_is_refused_on_sqlite(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.model("user", USER.replace("nullable=False", "nullable=False, index=True"))
    result = sqlite_project.run("make", "migration", "idx", "--concurrently")
    assert result.code == 1 and "PostgreSQL" in result.err
    assert sqlite_project.files() == ["0001_initial.py"]
