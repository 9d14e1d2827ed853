"""MySQL/MariaDB: the README flow, renames, failed migrations without transactional DDL
and their repair, utf8mb4 data through alters, and the migration lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from tests.support.mysql import connect
from tests.support.project import ProjectDir

SHOP = """
import decimal


class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
    name = Field.String(max_length=100, default="it's")
    bio = Field.Text()
    age = Field.Integer(index=True)
    is_active = Field.Boolean(default=True, nullable=False)
    created_at = Field.DateTime(default=SQL("CURRENT_TIMESTAMP"))
    settings = Field.JSON(default={"theme": "dark"})
    token = Field.UUID()
    balance = Field.Decimal(max_digits=10, decimal_places=2, default=decimal.Decimal("9.90"))
    avatar = Field.Binary()


class BlogPost(Model):
    __tablename__ = "posts"
    __indexes__ = [Index("author_id", "created_at"), Index("slug", unique=True)]
    __checks__ = [Check("score >= 0", name="score_non_negative")]
    author_id = Field.ForeignKey("User", on_delete="CASCADE")
    editor_id = Field.ForeignKey("User", on_delete="SET NULL", nullable=True, index=False)
    slug = Field.String(max_length=200, nullable=False)
    score = Field.Integer(default=0, nullable=False)
    status = Field.Enum(["draft", "published"], default="draft")
    created_at = Field.DateTime(default=SQL("CURRENT_TIMESTAMP"))
"""


def _query(project: ProjectDir, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = connect(project.database)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params or None)
            return list(cursor.fetchall())
    finally:
        conn.close()


def _tables(project: ProjectDir) -> set[str]:
    rows = _query(
        project,
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    )
    return {r[0] for r in rows}


def test_readme_flow_on_mysql(mysql_project: ProjectDir) -> None:
    p = mysql_project
    p.model("shop", SHOP)
    p.ok("make", "migration", "initial")
    text = p.read("0001_initial.py")
    assert "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4" in text
    assert "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY" in text
    assert "TINYINT(1)" in text and "DATETIME(6)" in text and "CHAR(36)" in text
    p.ok("migrate")
    assert p.ok("migrate", "--status").out.splitlines() == ["MIGRATION STATUS", "[X] 0001_initial"]
    assert p.ok("check").code == 0
    # Foreign keys, checks and defaults are really there.
    _query(p, "INSERT INTO users (email) VALUES ('a@example.com')")
    row = _query(p, "SELECT name, is_active, balance, settings FROM users")[0]
    assert row[0] == "it's" and row[1] == 1 and str(row[2]) == "9.90"
    assert json.loads(row[3]) == {"theme": "dark"}
    _query(p, "INSERT INTO posts (author_id, slug) VALUES (1, 'x')")
    _query(p, "DELETE FROM users")
    assert _query(p, "SELECT count(*) FROM posts") == [(0,)]
    p.ok("migrate", "--rollback")
    assert _tables(p) == {"_schemashift_migrations", "_schemashift_meta"}
    p.ok("migrate")
    assert p.ok("check").code == 0


def test_changes_and_renames_on_mysql_keep_utf8mb4_data(mysql_project: ProjectDir) -> None:
    p = mysql_project
    p.model("shop", SHOP)
    p.ok("make", "migration", "initial")
    p.ok("migrate")
    _query(p, "INSERT INTO users (email, name) VALUES (%s, %s)", ("z@example.com", "Zoë 🎉"))
    _query(p, "INSERT INTO posts (author_id, slug) VALUES (1, %s)", ("héllo-🌍",))
    changed = (
        SHOP.replace(
            "    age = Field.Integer(index=True)\n",
            '    years = Field.BigInteger(index=True, renamed_from="age")\n'
            '    phone = Field.String(max_length=30, default="", nullable=False)\n',
        )
        .replace('"draft", "published"]', '"draft", "published", "archived"]')
        .replace(
            '__tablename__ = "posts"', '__tablename__ = "articles"\n    __renamed_from__ = "posts"'
        )
        .replace("name = Field.String(max_length=100,", "name = Field.String(max_length=150,")
    )
    p.model("shop", changed)
    p.ok("make", "migration", "changes")
    text = p.read("0002_changes.py")
    assert "RENAME COLUMN age TO years" in text and "RENAME TABLE posts TO articles" in text
    p.ok("migrate")
    assert p.ok("check").code == 0
    assert _query(p, "SELECT name, phone FROM users") == [("Zoë 🎉", "")]
    assert _query(p, "SELECT slug, status FROM articles") == [("héllo-🌍", "draft")]
    p.ok("migrate", "--rollback")
    assert _query(p, "SELECT name FROM users") == [("Zoë 🎉",)]
    assert _query(p, "SELECT slug FROM posts") == [("héllo-🌍",)]


def test_unindexable_text_is_refused_at_make_migration(mysql_project: ProjectDir) -> None:
    p = mysql_project
    p.model("note", "class Note(Model):\n    body = Field.Text(unique=True)\n")
    result = p.run("make", "migration", "initial")
    assert result.code == 1
    assert "notes.body" in result.err and "cannot index it whole" in result.err
    assert "Traceback" not in result.err
    assert p.files() == []


FAILING = '''
def up(conn):
    """Apply changes."""
    conn.execute("CREATE TABLE first_half (id INT PRIMARY KEY)")
    conn.execute("ALTER TABLE users ADD COLUMN extra INT")
    conn.execute("ALTER TABLE no_such_table ADD COLUMN x INT")


def down(conn):
    """Revert changes."""
    conn.execute("DROP TABLE first_half")
'''


def test_failed_migration_part_way_is_recorded_and_repaired(mysql_project: ProjectDir) -> None:
    p = mysql_project
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    p.ok("make", "migration", "broken", "--empty")
    (p.migrations / "0002_broken.py").write_text(FAILING)
    p.ok("make", "migration", "later", "--empty")
    failed = p.run("migrate")
    assert failed.code == 1 and "Traceback" not in failed.err
    assert "recorded as failed" in failed.err and "--repair 0002_broken" in failed.err
    assert "CREATE TABLE first_half" in failed.err and "ADD COLUMN extra" in failed.err
    # The migration before it stays applied; the one after it did not run.
    assert "first_half" in _tables(p)
    status = p.ok("migrate", "--status").out.splitlines()
    assert status == [
        "MIGRATION STATUS",
        "[X] 0001_initial",
        "[!] 0002_broken (failed)",
        "[ ] 0003_later",
    ]
    listed = json.loads(p.ok("migrate", "--status", "--json").out)["migrations"]
    rows = {m["name"]: m for m in listed}
    assert rows["0002_broken"]["failed"] is True and rows["0002_broken"]["applied"] is False
    assert rows["0001_initial"]["failed"] is False
    again = p.run("migrate")
    assert again.code == 1 and "--repair 0002_broken" in again.err
    assert "Traceback" not in again.err
    # The user cleans up and fixes the file, then forgets the failed record.
    _query(p, "DROP TABLE first_half")
    _query(p, "ALTER TABLE users DROP COLUMN extra")
    (p.migrations / "0002_broken.py").write_text(FAILING.replace("no_such_table", "users"))
    repaired = p.ok("migrate", "--repair", "0002", "--yes")
    assert "Forgot the failed record of 0002_broken" in repaired.out
    p.ok("migrate")
    assert p.ok("migrate", "--status").out.count("[X]") == 3


def test_second_run_names_the_lock_holder(mysql_project: ProjectDir) -> None:
    p = mysql_project
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    p.ok("make", "migration", "slow", "--empty")
    marker = p.migrations / "0002_slow.started"
    (p.migrations / "0002_slow.py").write_text(
        "import time\nfrom pathlib import Path\n\n\ndef up(conn):\n"
        '    """Apply changes."""\n'
        "    Path(__file__).with_suffix('.started').touch()\n"
        "    time.sleep(30)\n\n\ndef down(conn):\n"
        '    """Revert changes."""\n'
    )
    holder = subprocess.Popen(
        [sys.executable, "-m", "schemashift", "migrate"],
        cwd=p.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert holder.poll() is None and time.monotonic() < deadline, holder.communicate()
            time.sleep(0.1)
        waited = p.run("migrate", "--lock-timeout", "1")
        assert waited.code == 1 and "Traceback" not in waited.err
        assert "holds the migration lock" in waited.err
        assert f"pid {holder.pid}" in waited.err
    finally:
        holder.kill()
        holder.communicate()
