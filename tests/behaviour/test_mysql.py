"""MySQL/MariaDB: the README flow, renames, failed migrations without transactional DDL
and their repair, utf8mb4 data through alters, the migration lock under concurrent
runs, and the evolution property.

Everything else runs on MySQL through the ``project`` fixture, with SQLite and
PostgreSQL; these are the MySQL-specific parts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.behaviour.test_evolution_property import evolve_and_roll_back
from tests.conftest import _mysql_admin_url
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


TWO_TABLES = """
class User(Model):
    email = Field.String(max_length=255)


class Tag(Model):
    label = Field.String(max_length=50)
"""


def test_second_statement_failing_leaves_the_first_committed_and_recorded_as_failed(
    mysql_project: ProjectDir,
) -> None:
    p = mysql_project
    p.model("models", TWO_TABLES)
    p.ok("make", "migration", "initial")
    p.ok("migrate")
    _query(p, "INSERT INTO users (email) VALUES ('a@example.com'), ('a@example.com')")
    # Two tables change: two statements (tags first), the second of which the duplicate
    # emails refuse.
    p.model(
        "models",
        TWO_TABLES.replace(
            "label = Field.String(max_length=50)",
            "label = Field.String(max_length=50)\n    color = Field.String(max_length=20)",
        ).replace("max_length=255)", "max_length=255, unique=True)"),
    )
    p.ok("make", "migration", "color_and_unique_email")
    text = p.read("0002_color_and_unique_email.py")
    assert text.index("ADD COLUMN color") < text.index("ADD UNIQUE KEY users_email_key")
    failed = p.run("migrate")
    assert failed.code == 1 and "Traceback" not in failed.err
    assert "recorded as failed" in failed.err and "Duplicate entry" in failed.err
    assert "Took effect from 0002_color_and_unique_email:\n  ALTER TABLE tags" in failed.err
    assert "Statement: ALTER TABLE users ADD UNIQUE KEY users_email_key" in failed.err
    # The first statement committed on its own; the second changed nothing.
    assert _columns(p, "tags") == ["id", "label", "color"]
    assert ("users_email_key",) not in _query(
        p,
        "SELECT INDEX_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users'",
    )
    assert p.ok("migrate", "--status").out.splitlines() == [
        "MIGRATION STATUS",
        "[X] 0001_initial",
        "[!] 0002_color_and_unique_email (failed)",
    ]
    for command in (("migrate",), ("migrate", "--rollback")):
        refused = p.run(*command)
        assert refused.code == 1 and "--repair 0002_color_and_unique_email" in refused.err
    assert _columns(p, "tags") == ["id", "label", "color"]
    # The user undoes the first statement, removes the duplicate and forgets the record.
    _query(p, "ALTER TABLE tags DROP COLUMN color")
    _query(p, "DELETE FROM users WHERE id > 1")
    p.ok("migrate", "--repair", "0002", "--yes")
    p.ok("migrate")
    assert p.ok("check").code == 0
    p.ok("migrate", "--rollback")
    assert _columns(p, "tags") == ["id", "label"]


def _columns(project: ProjectDir, table: str) -> list[str]:
    rows = _query(
        project,
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        (table,),
    )
    return [r[0] for r in rows]


def test_eight_runs_of_one_step_each_apply_every_migration_exactly_once(
    mysql_project: ProjectDir,
) -> None:
    # Each migration commits and is recorded on its own, so a run that waited for the lock
    # must read the records again after taking it: five runs apply one migration each,
    # the other three find nothing left to do.
    p = mysql_project
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    for i in range(2, 6):
        columns = "".join(f"    c{j} = Field.Integer()\n" for j in range(2, i + 1))
        p.model("user", f"class User(Model):\n    email = Field.String(max_length=255)\n{columns}")
        p.ok("make", "migration", f"add_c{i}")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "schemashift",
                "migrate",
                "--step",
                "1",
                "--lock-timeout",
                "120",
            ],
            cwd=p.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        for _ in range(8)
    ]
    results = [(proc.wait(timeout=300), *proc.communicate()) for proc in procs]
    for code, out, err in results:
        assert code == 0 and "Traceback" not in err, (code, out, err)
    applied = [out for _, out, _ in results if "Applied 1 migration" in out]
    assert len(applied) == 5
    rows = _query(p, "SELECT name, batch FROM _schemashift_migrations ORDER BY name")
    assert [name for name, _ in rows] == [
        "0001_initial",
        "0002_add_c2",
        "0003_add_c3",
        "0004_add_c4",
        "0005_add_c5",
    ]
    assert [batch for _, batch in rows] == [1, 2, 3, 4, 5]
    assert _columns(p, "users") == ["id", "email", "c2", "c3", "c4", "c5"]


@settings(
    max_examples=max(1, settings().max_examples // 25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_evolutions_on_mysql(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    _mysql_admin_url()
    folder: Path = tmp_path_factory.mktemp("evolve")
    evolve_and_roll_back("mysql", folder, data)


def test_a_migration_file_over_64_kb_is_recorded_with_its_text(mysql_project: ProjectDir) -> None:
    # MySQL's TEXT holds 64 KB: the tracking table keeps a file's text in a LONGTEXT.
    p = mysql_project
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    path = p.migrations / "0001_initial.py"
    path.write_text(path.read_text() + "".join(f"# {'x' * 70} {i}\n" for i in range(1000)))
    assert path.stat().st_size > 70_000
    p.ok("migrate")
    rows = _query(p, "SELECT LENGTH(source) FROM _schemashift_migrations")
    assert rows == [(path.stat().st_size,)]


CODED = """
class User(Model):
    name = Field.String(max_length=50)
    code = Field.String(max_length=20)
"""


def test_a_rename_or_drop_under_a_view_or_trigger_is_refused_before_any_change(
    mysql_project: ProjectDir,
) -> None:
    # MySQL would rename or drop under them and leave them broken.
    p = mysql_project
    p.model("user", CODED)
    p.ok("make", "migration", "initial")
    p.ok("migrate")
    _query(p, "CREATE VIEW coded AS SELECT u.id, u.code FROM users AS u")
    _query(p, "CREATE TABLE audit (code VARCHAR(20))")
    _query(
        p,
        "CREATE TRIGGER users_audit AFTER INSERT ON users FOR EACH ROW "
        "INSERT INTO audit VALUES (NEW.code)",
    )
    p.model(
        "user",
        CODED.replace(
            "class User(Model):",
            'class User(Model):\n    __tablename__ = "members"\n    __renamed_from__ = "users"',
        ),
    )
    p.ok("make", "migration", "rename")
    refused = p.run("migrate")
    assert refused.code == 1 and "Traceback" not in refused.err
    assert "view coded uses table users, which this migration renames" in refused.err
    assert "None of the statements of 0002_rename took effect" in refused.err
    assert "users" in _tables(p) and "members" not in _tables(p)
    assert p.ok("migrate", "--status").out.splitlines()[-1] == "[ ] 0002_rename"

    (p.migrations / "0002_rename.py").unlink()
    p.model("user", CODED.replace("    code = Field.String(max_length=20)\n", ""))
    p.ok("make", "migration", "drop_code")
    refused = p.run("migrate")
    assert refused.code == 1
    assert "view coded, trigger users_audit use column code of users" in refused.err
    assert _columns(p, "users") == ["id", "name", "code"]
    _query(p, "DROP VIEW coded")
    _query(p, "DROP TRIGGER users_audit")
    p.ok("migrate")
    assert _columns(p, "users") == ["id", "name"]


def test_dropping_the_last_index_a_foreign_key_uses_keeps_one_for_it(
    mysql_project: ProjectDir,
) -> None:
    # MySQL refuses to drop the only index a foreign key can use.
    p = mysql_project
    source = (
        "class Team(Model):\n    label = Field.String(max_length=20)\n\n\n"
        "class Player(Model):\n"
        '    team_id = Field.ForeignKey("Team", index=False)\n'
        '    __indexes__ = [Index("team_id", unique=True)]\n'
    )
    p.model("models", source)
    p.ok("make", "migration", "initial")
    p.ok("migrate")
    p.model("models", source.replace('    __indexes__ = [Index("team_id", unique=True)]\n', ""))
    p.ok("make", "migration", "drop_index")
    p.ok("migrate")
    assert p.ok("check").code == 0
    p.ok("migrate", "--rollback")
    assert p.run("check").code == 1  # 0002 is pending again
    p.ok("migrate")
    assert p.ok("check").code == 0


FAILING_DOWN = '''
def up(conn):
    """Apply changes."""
    conn.execute("CREATE TABLE first_half (id INT PRIMARY KEY)")
    conn.execute("ALTER TABLE users ADD COLUMN extra INT")


def down(conn):
    """Revert changes."""
    conn.execute("ALTER TABLE users DROP COLUMN extra")
    conn.execute("DROP TABLE no_such_table")
    conn.execute("DROP TABLE first_half")
'''


def _failing_rollback(p: ProjectDir) -> None:
    """Apply a migration whose down() fails at its second statement, then roll it back."""
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    p.ok("make", "migration", "broken_down", "--empty")
    (p.migrations / "0002_broken_down.py").write_text(FAILING_DOWN)
    p.ok("migrate")
    failed = p.run("migrate", "--rollback")
    assert failed.code == 1 and "Traceback" not in failed.err
    assert "of the statements of the down() of 0002_broken_down had already" in failed.err
    assert "partly rolled back" in failed.err and "--repair 0002_broken_down" in failed.err
    assert "Took effect from 0002_broken_down:\n  ALTER TABLE users DROP COLUMN extra" in (
        failed.err
    )
    assert _columns(p, "users") == ["id", "email"] and "first_half" in _tables(p)
    assert p.ok("migrate", "--status").out.splitlines() == [
        "MIGRATION STATUS",
        "[X] 0001_initial",
        "[!] 0002_broken_down (failed)",
    ]
    listed = json.loads(p.ok("migrate", "--status", "--json").out)["migrations"]
    assert [m["failed"] for m in listed] == [False, True]
    for command in (("migrate",), ("migrate", "--rollback")):
        refused = p.run(*command)
        assert refused.code == 1 and "Traceback" not in refused.err
        assert "The rollback of 0002_broken_down failed part-way" in refused.err
        assert "Took effect from the down() of 0002_broken_down:\n  ALTER TABLE users DROP" in (
            refused.err
        )
    # Neither refused run ran a statement again.
    assert _columns(p, "users") == ["id", "email"] and "first_half" in _tables(p)


def test_a_rollback_failing_part_way_is_recorded_and_finished_by_hand(
    mysql_project: ProjectDir,
) -> None:
    p = mysql_project
    _failing_rollback(p)
    # The user finishes the rollback by hand and forgets the record: pending again.
    _query(p, "DROP TABLE first_half")
    (p.migrations / "0002_broken_down.py").write_text(
        FAILING_DOWN.replace("DROP TABLE no_such_table", "SELECT 1")
    )
    repaired = p.ok("migrate", "--repair", "0002", "--yes")
    assert "Forgot the failed record of 0002_broken_down" in repaired.out
    assert p.ok("migrate", "--status").out.splitlines()[-1] == "[ ] 0002_broken_down"
    p.ok("migrate")
    assert _columns(p, "users") == ["id", "email", "extra"]
    p.ok("migrate", "--rollback")
    assert _columns(p, "users") == ["id", "email"] and "first_half" not in _tables(p)


def test_a_rollback_failing_part_way_can_be_undone_and_recorded_again(
    mysql_project: ProjectDir,
) -> None:
    p = mysql_project
    _failing_rollback(p)
    # The user undoes what took effect instead: the migration is applied again.
    _query(p, "ALTER TABLE users ADD COLUMN extra INT")
    p.ok("migrate", "--repair", "0002", "--yes")
    faked = p.ok("migrate", "--fake", "--to", "0002_broken_down")
    assert "0002_broken_down" in faked.out
    assert p.ok("migrate", "--status").out.count("[X]") == 2
    (p.migrations / "0002_broken_down.py").write_text(
        FAILING_DOWN.replace("DROP TABLE no_such_table", "SELECT 1")
    )
    p.ok("migrate", "--repair", "0002", "--yes")
    p.ok("migrate", "--rollback")
    assert _columns(p, "users") == ["id", "email"] and "first_half" not in _tables(p)


def test_a_rollback_failing_at_its_first_statement_stays_applied(
    mysql_project: ProjectDir,
) -> None:
    p = mysql_project
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    p.ok("make", "migration", "broken_down", "--empty")
    (p.migrations / "0002_broken_down.py").write_text(
        FAILING_DOWN.replace('    conn.execute("ALTER TABLE users DROP COLUMN extra")\n', "")
    )
    p.ok("migrate")
    failed = p.run("migrate", "--rollback")
    assert failed.code == 1 and "Traceback" not in failed.err
    assert "None of the statements of 0002_broken_down took effect" in failed.err
    assert "Still applied: 0002_broken_down" in failed.err
    assert p.ok("migrate", "--status").out.count("[X]") == 2
    assert p.run("migrate").code == 0
