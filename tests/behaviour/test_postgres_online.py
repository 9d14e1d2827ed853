"""Online changes (``make migration --online``, ``online = true``): the files one run
writes pass squawk's lock-safety rules, migrate and roll back on a real server, and an
index built by them lets other sessions read and write meanwhile.

squawk (``squawk-cli``) is the independent judge, as in test_postgres_lock_notes.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.behaviour.test_postgres_lock_notes import LOCK_RULES
from tests.support import db
from tests.support.project import ProjectDir

BEFORE = """
class User(Model):
    email = Field.String(max_length=255)
    age = Field.Integer()


class Post(Model):
    title = Field.String(max_length=100)
"""

# A new FK column with its index, a column made UNIQUE, a VARCHAR made NOT NULL with a
# default, a new NOT NULL column with a default, a new index, a new CHECK; and a column
# with a volatile default.
AFTER = """
class User(Model):
    __checks__ = [Check("age >= 0", name="age_non_negative")]
    email = Field.String(max_length=255, unique=True)
    age = Field.Integer(index=True)
    score = Field.Integer(default=0, nullable=False)
    luck = Field.Float(default=SQL("random()"))


class Post(Model):
    title = Field.String(max_length=100, nullable=False, default="")
    author_id = Field.ForeignKey("User", on_delete="CASCADE", nullable=True, index=True)
"""


class _Recorder:
    """A ``conn`` that records statements and returns no rows (loops run once)."""

    dialect = "postgresql"

    def __init__(self) -> None:
        self.sql: list[str] = []

    def execute(self, sql: str, params: object = None) -> Any:
        self.sql.append(sql)
        return self

    def fetchone(self) -> None:
        return None


def _script(paths: list[Path]) -> str:
    """The files' ``up()`` statements as one script: each atomic file in BEGIN/COMMIT,
    each ``atomic = False`` file bare."""
    lines: list[str] = []
    for path in paths:
        namespace: dict[str, Any] = {}
        exec(compile(path.read_text(), str(path), "exec"), namespace)
        recorder = _Recorder()
        namespace["up"](recorder)
        atomic = namespace.get("atomic", True)
        lines.extend(["BEGIN;"] if atomic else [])
        lines.extend(sql.rstrip(";") + ";" for sql in recorder.sql)
        lines.extend(["COMMIT;"] if atomic else [])
    return "\n".join(lines) + "\n"


def _squawk(script: str, folder: Path) -> list[tuple[str, str]]:
    squawk = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which("squawk")
    if squawk is None:
        pytest.fail("squawk is not installed: `pip install squawk-cli` (in the dev extra).")
    path = folder / "online.sql"
    path.write_text(script)
    done = subprocess.run(
        [squawk, "--reporter", "json", str(path)], capture_output=True, text=True, timeout=60
    )
    lines = script.splitlines()
    return [
        (f["rule_name"], lines[int(f["line"])])
        for f in json.loads(done.stdout or "[]")
        if f["rule_name"] in LOCK_RULES
    ]


def _seed(project: ProjectDir) -> None:
    for i in range(30):
        db.execute(project.database, "INSERT INTO users (email, age) VALUES (?, ?)", (f"u{i}@x", i))
        db.execute(
            project.database, "INSERT INTO posts (title) VALUES (?)", (None if i % 2 else "t",)
        )


def test_online_files_pass_squawk_migrate_and_roll_back(pg_project: ProjectDir) -> None:
    project = pg_project
    project.model("app", BEFORE)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    _seed(project)
    project.model("app", AFTER)
    made = project.ok("make", "migration", "change", "--online")
    names = ["0002_change.py", "0003_change_backfill.py", "0004_change_index.py"]
    assert project.files() == ["0001_initial.py", *names, "0005_change_validate.py"]
    for name in project.files()[1:]:
        assert f"Created src/migrations/{name}" in made.out
    assert "warning: lock:" not in made.err
    script = _script([project.migrations / n for n in project.files()[1:]])
    assert "CREATE UNIQUE INDEX CONCURRENTLY" in script and "USING INDEX" in script
    assert "VALIDATE CONSTRAINT" in script and "SET NOT NULL" in script
    assert _squawk(script, project.root) == []

    project.ok("migrate")
    project.ok("check")
    assert db.query(project.database, "SELECT count(*) FROM posts WHERE title IS NULL") == [(0,)]
    assert db.query(project.database, "SELECT count(*) FROM users WHERE luck IS NULL") == [(0,)]
    # Every constraint validated, every index valid, the temporary check gone.
    assert (
        db.query(project.database, "SELECT conname FROM pg_constraint WHERE NOT convalidated") == []
    )
    assert db.query(project.database, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [
        (0,)
    ]
    assert db.query(
        project.database, "SELECT contype FROM pg_constraint WHERE conname = 'users_email_key'"
    ) == [("u",)]
    with pytest.raises(Exception, match="null value"):
        db.execute(project.database, "INSERT INTO posts (title) VALUES (NULL)")

    project.ok("migrate", "--rollback")
    assert db.columns(project.database, "users") == ["id", "email", "age"]
    assert db.columns(project.database, "posts") == ["id", "title"]
    db.execute(project.database, "INSERT INTO posts (title) VALUES (NULL)")
    assert (
        db.query(
            project.database,
            "SELECT conname FROM pg_constraint WHERE contype = 'c' "
            "AND conrelid IN ('users'::regclass, 'posts'::regclass)",
        )
        == []
    )
    assert db.query(
        project.database,
        "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' "
        "AND indexname NOT LIKE '%%pkey'",
    ) == [(0,)]
    # Each file rolls back on its own, and applies again.
    project.ok("migrate", "--step", "2")
    project.ok("migrate", "--rollback", "--step", "1")
    project.ok("migrate")
    project.ok("check")


ITEM_BEFORE = """
class Item(Model):
    old = Field.Integer(index=True)
    nick = Field.String(max_length=20, index=True)
    status = Field.Enum(["a", "b"], default="a")
"""

# A dropped indexed column, a dropped index, an enum with a new value, a new UNIQUE
# column, a new NOT NULL column with a volatile default.
ITEM_AFTER = """
class Item(Model):
    nick = Field.String(max_length=20)
    status = Field.Enum(["a", "b", "c"], default="a")
    code = Field.String(max_length=40, unique=True)
    luck = Field.Float(default=SQL("random()"), nullable=False)
"""


def test_more_online_forms(pg_project: ProjectDir) -> None:
    project = pg_project
    project.model("app", ITEM_BEFORE)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for i in range(20):
        db.execute(project.database, "INSERT INTO items (old, nick) VALUES (?, ?)", (i, f"n{i}"))
    project.model("app", ITEM_AFTER)
    project.ok("make", "migration", "change", "--online")
    files = [project.migrations / n for n in project.files()[1:]]
    assert len(files) == 4
    script = _script(files)
    assert "DROP INDEX CONCURRENTLY IF EXISTS idx_items_nick" in script
    assert "idx_items_old" not in script  # dropped with its column
    assert "CHECK (status IN ('a', 'b', 'c')) NOT VALID" in script
    assert _squawk(script, project.root) == []
    project.ok("migrate")
    project.ok("check")
    assert db.query(project.database, "SELECT count(*) FROM items WHERE luck IS NULL") == [(0,)]
    project.ok("migrate", "--rollback")
    assert sorted(db.columns(project.database, "items")) == ["id", "nick", "old", "status"]
    project.ok("migrate")
    project.ok("check")


def test_the_online_setting_applies_to_every_migration(pg_project: ProjectDir) -> None:
    pg_project.model("app", BEFORE)
    pg_project.ok("make", "migration", "initial")
    config = pg_project.root / "pyproject.toml"
    config.write_text(config.read_text() + "online = true\n")
    pg_project.model("app", BEFORE.replace("Field.Integer()", "Field.Integer(index=True)"))
    pg_project.ok("make", "migration", "age_index")
    text = pg_project.read("0002_age_index.py")
    assert "atomic = False" in text and "CREATE INDEX CONCURRENTLY IF NOT EXISTS" in text
    assert pg_project.files() == ["0001_initial.py", "0002_age_index.py"]
    pg_project.ok("migrate")
    # A check alone: its validation must not share the first file's transaction, and no
    # atomic = False file stands between them, so the validation runs outside any.
    checked = BEFORE.replace("Field.Integer()", "Field.Integer(index=True)").replace(
        "class User(Model):",
        'class User(Model):\n    __checks__ = [Check("age >= 0", name="adult")]',
    )
    pg_project.model("app", checked)
    pg_project.ok("make", "migration", "adult")
    assert pg_project.files()[2:] == ["0003_adult.py", "0004_adult_validate.py"]
    assert "atomic = False" not in pg_project.read("0003_adult.py")
    assert "NOT VALID" in pg_project.read("0003_adult.py")
    assert "atomic = False" in pg_project.read("0004_adult_validate.py")
    pg_project.ok("migrate")
    assert db.query(
        pg_project.database, "SELECT convalidated FROM pg_constraint WHERE conname = 'adult'"
    ) == [(True,)]
    # evolve writes no online forms: it applies only what needs none.
    pg_project.model("app", checked.replace("    age =", "    bio = Field.Text()\n    age ="))
    evolved = pg_project.ok("evolve")
    assert "0005_auto_evolve" in evolved.out, evolved
    pg_project.ok("check")


def test_online_on_sqlite(sqlite_project: ProjectDir) -> None:
    """The setting has no effect on SQLite; asking for --online there is refused."""
    sqlite_project.model("app", BEFORE)
    sqlite_project.ok("make", "migration", "initial")
    config = sqlite_project.root / "pyproject.toml"
    config.write_text(config.read_text() + "online = true\n")
    sqlite_project.model("app", AFTER)
    refused = sqlite_project.run("make", "migration", "change", "--online")
    assert refused.code == 1 and "--online is for PostgreSQL" in refused.err
    assert sqlite_project.files() == ["0001_initial.py"]
    sqlite_project.ok("make", "migration", "change")
    assert sqlite_project.files() == ["0001_initial.py", "0002_change.py"]


def test_a_type_change_is_refused_online(pg_project: ProjectDir) -> None:
    pg_project.model("app", BEFORE)
    pg_project.ok("make", "migration", "initial")
    pg_project.model("app", BEFORE.replace("age = Field.Integer()", "age = Field.BigInteger()"))
    refused = pg_project.run("make", "migration", "bigger", "--online")
    assert refused.code == 1, refused
    assert "users.age changes from INTEGER to BIGINT" in refused.err
    assert "expand and contract" in refused.err and "back-fill" in refused.err
    assert "Traceback" not in refused.err
    assert pg_project.files() == ["0001_initial.py"]


def test_writes_proceed_while_the_online_index_builds(pg_project: ProjectDir) -> None:
    """An open writing transaction makes CREATE INDEX CONCURRENTLY wait for it: while the
    build waits, another session inserts and reads, and the migration's session holds
    nothing stronger than SHARE UPDATE EXCLUSIVE on the table."""
    import psycopg

    from schemashift.dialects import parse_url
    from schemashift.dialects.postgres.connection import libpq_params

    project = pg_project
    config = project.root / "pyproject.toml"
    config.write_text(config.read_text() + 'statement_lock_timeout = "0"\n')
    project.model("app", BEFORE)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    _seed(project)
    project.model("app", BEFORE.replace("Field.Integer()", "Field.Integer(index=True)"))
    project.ok("make", "migration", "age_index", "--online")

    params = libpq_params(parse_url(project.database, project.root))
    writer = psycopg.connect(**params)
    other = psycopg.connect(**params, autocommit=True)
    writer.execute("INSERT INTO users (email, age) VALUES ('open@x', 1)")
    env = {**os.environ, "NO_COLOR": "1"}
    migrate = subprocess.Popen(
        [sys.executable, "-m", "schemashift", "migrate"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        pid = None
        while pid is None and migrate.poll() is None:
            row = other.execute(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' "
                "AND wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()
            pid = row[0] if row else None
        assert pid is not None, migrate.communicate()
        other.execute("SET lock_timeout = '30s'")
        other.execute("INSERT INTO users (email, age) VALUES ('during@x', 2)")
        other.execute("UPDATE users SET age = age + 1 WHERE email = 'u1@x'")
        assert other.execute("SELECT count(*) FROM users").fetchone() == (31,)
        modes = {
            r[0]
            for r in other.execute(
                "SELECT mode FROM pg_locks WHERE pid = %s AND relation = 'users'::regclass "
                "AND granted",
                (pid,),
            )
        }
        assert modes == {"ShareUpdateExclusiveLock"}, modes
        # Still building: the writes above went on during the build, not after it.
        assert other.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = %s "
            "AND query LIKE 'CREATE INDEX CONCURRENTLY%%'",
            (pid,),
        ).fetchone() == (1,)
        writer.commit()
        out, err = migrate.communicate(timeout=120)
        assert migrate.returncode == 0, (out, err)
    finally:
        if migrate.poll() is None:
            migrate.kill()
            migrate.communicate()
        writer.close()
        other.close()
    assert db.query(
        project.database,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = 'idx_users_age'",
    ) == [(True,)]
    project.ok("check")
