"""MySQL/MariaDB on a table in use: every ALTER TABLE says its algorithm, the server
accepts each one (and refuses the online form of a change that needs a copy), writes
from another session go on during an online change and wait during a copy, and a run
killed part-way leaves a record that the next run refuses to go past."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from schemashift.dialects.base import Execute
from schemashift.dialects.mysql import locks
from schemashift.dialects.mysql.dialect import MySQLDialect
from schemashift.diff import operations as ops
from schemashift.diff.differ import diff
from schemashift.schema.record import replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table
from tests.conftest import _mysql_admin_url
from tests.support.mysql import connect, fresh_database
from tests.support.project import ProjectDir

ID = Column("id", "biginteger", nullable=False, primary_key=True, autoincrement=True)


@pytest.fixture
def mysql_url() -> Iterator[str]:
    with fresh_database(_mysql_admin_url()) as url:
        yield url


def _items(*columns: Column, **parts: Any) -> Table:
    return Table("items", (ID, *columns), **parts)


CODE = Column("code", "string", nullable=False, unique=True, max_length=20)
TITLE = Column("title", "string", max_length=40)
QTY = Column("qty", "integer", nullable=False, default="0")
NOTE = Column("note", "string", max_length=100)
OLD = Column("old", "integer")
OWNER = Column("owner_id", "biginteger")
OWNERS = Table("owners", (ID, Column("name", "string", max_length=50)))
TAG_CODE = Column("code", "string", nullable=False, unique=True, max_length=20)
TAG_KEY = Column("code", "string", nullable=False, primary_key=True, max_length=20)
LABEL = Column("label", "text")


def _start() -> Schema:
    items = _items(CODE, TITLE, QTY, NOTE, OLD, OWNER, indexes=(Index("idx_items_old", ("old",)),))
    return Schema.of([OWNERS, items, Table("tags", (ID, TAG_CODE, LABEL))])


def _change_items(change: Callable[[Table], Table]) -> Callable[[Schema], Schema]:
    def step(schema: Schema) -> Schema:
        table = schema.table("items")
        assert table is not None
        others = [t for t in schema.tables.values() if t.name != "items"]
        return Schema.of([*others, change(table)])

    return step


def _column(name: str, new: Column | None) -> Callable[[Table], Table]:
    """Replace (or add, or with None drop) column ``name`` of a table."""

    def change(table: Table) -> Table:
        kept = [c for c in table.columns if c.name != name]
        old = [c.name for c in table.columns]
        columns = list(table.columns)
        if new is None:
            columns = kept
        elif name in old:
            columns[old.index(name)] = new
        else:
            columns.append(new)
        indexes = tuple(i for i in table.indexes if new is not None or name not in i.columns)
        return replace(table, columns=tuple(columns), indexes=indexes)

    return change


def _tags(*columns: Column) -> Callable[[Schema], Schema]:
    def step(schema: Schema) -> Schema:
        others = [t for t in schema.tables.values() if t.name != "tags"]
        return Schema.of([*others, Table("tags", columns)])

    return step


def _with(**parts: Any) -> Callable[[Table], Table]:
    return lambda table: replace(table, **parts)


# Each step changes the schema (through the differ) or is given as operations; together
# they make the renderer write every clause the lock classification knows.
STEPS: list[tuple[str, Callable[[Schema], Schema] | list[ops.Operation]]] = [
    ("add a nullable column", _change_items(_column("extra", Column("extra", "integer")))),
    (
        "add a NOT NULL column with a one-off value",
        _change_items(_column("must", Column("must", "integer", nullable=False))),
    ),
    ("drop an indexed column", _change_items(_column("old", None))),
    ("rename a column", [ops.RenameColumn("items", "note", "memo")]),
    ("a new default", _change_items(_column("qty", replace(QTY, default="5")))),
    ("a longer VARCHAR", _change_items(_column("title", replace(TITLE, max_length=60)))),
    ("NOT NULL to NULL", _change_items(_column("qty", replace(QTY, default="5", nullable=True)))),
    (
        "NULL to NOT NULL",
        _change_items(_column("title", replace(TITLE, max_length=60, nullable=False))),
    ),
    (
        "an index and a unique key",
        _change_items(
            lambda t: _column("memo", Column("memo", "string", max_length=100, unique=True))(
                replace(t, indexes=(Index("idx_items_title", ("title",)),))
            )
        ),
    ),
    ("rename an index", [ops.RenameIndex("items", "idx_items_title", "idx_items_heading")]),
    (
        "add a foreign key",
        _change_items(
            _with(foreign_keys=(ForeignKey("fk_items_owner", "owner_id", "owners", "id"),))
        ),
    ),
    ("drop a foreign key", _change_items(_with(foreign_keys=()))),
    ("add a check", _change_items(_with(checks=(Check("qty_ok", "qty >= 0"),)))),
    ("drop a check", _change_items(_with(checks=()))),
    (
        "another type",
        _change_items(_column("qty", Column("qty", "biginteger", default="5"))),
    ),
    ("the primary key moves to another column", _tags(TAG_KEY, LABEL)),
    ("the primary key moves back to a new id", _tags(ID, TAG_CODE, LABEL)),
    ("a new primary key column", _tags(replace(TAG_KEY, name="slug"), TAG_CODE, LABEL)),
]


def _execute(cursor: Any, steps: Sequence[object]) -> list[str]:
    """Run the statements of ``steps`` (the file's Python checks aside); a statement
    that copies the table must be refused in its online form first."""
    ran = []
    for step in steps:
        if not isinstance(step, Execute):
            continue
        sql = step.sql
        if "ALGORITHM=COPY" in sql and "DROP PRIMARY KEY" not in sql:
            online = sql.replace("ALGORITHM=COPY, LOCK=SHARED", "ALGORITHM=INPLACE, LOCK=NONE")
            with pytest.raises(Exception) as refused:
                cursor.execute(online)
            assert refused.value.args[0] in (1845, 1846), (sql, refused.value)
        cursor.execute(sql)
        ran.append(sql)
    return ran


def test_every_classified_change_runs_with_its_algorithm(
    mysql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: set[locks.OnlineRule] = set()
    real = locks.alter_table

    def noting(
        table: str, quoted: str, clauses: Sequence[tuple[str, locks.OnlineRule | None]]
    ) -> list[Any]:
        used.update(rule or locks.clause_rule(text) for text, rule in clauses)
        return real(table, quoted, clauses)

    monkeypatch.setattr(locks, "alter_table", noting)
    dialect = MySQLDialect()
    schema = Schema.of([])
    statements: list[str] = []
    conn = connect(mysql_url)
    try:
        with conn.cursor() as cursor:
            start = diff(schema, _start()).operations
            statements += _execute(cursor, dialect.render(start, schema))
            schema = ops.apply_all(schema, start)
            cursor.execute("INSERT INTO owners (name) VALUES ('o')")
            cursor.execute(
                "INSERT INTO items (code, title, qty, note, old) VALUES "
                "('a', 'A', 1, 'n', 1), ('b', NULL, 2, NULL, NULL)"
            )
            cursor.execute("INSERT INTO tags (code, label) VALUES ('t1', 'one')")
            for what, change in STEPS:
                if isinstance(change, list):
                    operations = change
                else:
                    # A one-off value for new NOT NULL columns (tags keeps one row, for
                    # its new primary key column).
                    target = change(schema)
                    operations = list(diff(schema, target, fill=lambda t, c: "'7'").operations)
                assert operations, what
                after = ops.apply_all(schema, operations)
                up = dialect.render(operations, schema)
                down = dialect.render(ops.reverse_all(operations), after)
                # Up, down and up again: both directions run on the server.
                statements += _execute(cursor, up)
                statements += _execute(cursor, down)
                statements += _execute(cursor, up)
                schema = after
    finally:
        conn.close()
    for sql in statements:
        if sql.startswith("ALTER TABLE"):
            assert "ALGORITHM=" in sql, sql
    for rule in locks.RULES:
        if rule.algorithm:
            assert rule in used, f"no step makes the renderer write {rule.what}"
        else:
            assert rule.pattern is not None
            pattern = rule.pattern
            assert any(pattern.search(sql) for sql in statements), rule.what


BIG = """
class Event(Model):
    kind = Field.String(max_length=20)
    payload = Field.String(max_length=200)
"""

#: Rows enough that an index build or a table copy lasts well beyond a short wait.
ROWS_LOG2 = 19


def _fill(url: str) -> None:
    conn = connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO events (kind, payload) VALUES ('a', REPEAT('x', 200))")
            for _ in range(ROWS_LOG2):
                cursor.execute(
                    "INSERT INTO events (kind, payload) SELECT kind, payload FROM events"
                )
    finally:
        conn.close()


def _alter_state(cursor: Any) -> str | None:
    """The server's state of the running ALTER TABLE events (None when none runs)."""
    cursor.execute(
        "SELECT STATE FROM information_schema.PROCESSLIST "
        "WHERE INFO LIKE 'ALTER TABLE events%%' AND DB = DATABASE()"
    )
    row = cursor.fetchone()
    return None if row is None else str(row[0])


def _write_during_migrate(project: ProjectDir, state: str) -> tuple[Exception | None, bool]:
    """Start ``migrate``; once its ALTER is in ``state`` (building the index, copying the
    rows), INSERT from another session that waits at most one second for a lock.
    Whether the INSERT failed, and whether the ALTER was still running when the INSERT
    returned."""
    run = subprocess.Popen(
        [sys.executable, "-m", "schemashift", "migrate"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    conn = connect(project.database)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET SESSION lock_wait_timeout = 1, innodb_lock_wait_timeout = 1")
            deadline = time.monotonic() + 120
            while _alter_state(cursor) != state:
                assert run.poll() is None, run.communicate()
                assert time.monotonic() < deadline, "the ALTER never started"
                time.sleep(0.01)
            error: Exception | None = None
            try:
                cursor.execute("INSERT INTO events (kind, payload) VALUES ('during', 'x')")
            except Exception as exc:
                error = exc
            still = _alter_state(cursor) is not None
    finally:
        conn.close()
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, (out, err)
    return error, still


def test_writes_go_on_during_an_online_change_and_wait_during_a_copy(
    mysql_project: ProjectDir,
) -> None:
    p = mysql_project
    p.model("event", BIG)
    p.ok("make", "migration", "initial")
    p.ok("migrate")
    _fill(p.database)

    p.model("event", BIG.replace("max_length=20)", "max_length=20, index=True)"))
    made = p.ok("make", "migration", "index_kind")
    assert "ALGORITHM=INPLACE, LOCK=NONE" in p.read("0002_index_kind.py")
    assert "warning: lock:" not in made.err
    error, still = _write_during_migrate(p, "altering table")
    assert error is None, error
    assert still, "the index was built before the INSERT returned: use more rows"

    p.model(
        "event",
        BIG.replace("max_length=20)", "max_length=20, index=True)")
        + '    __checks__ = [Check("kind <> \'\'", name="kind_not_empty")]\n',
    )
    made = p.ok("make", "migration", "check_kind")
    text = p.read("0003_check_kind.py")
    assert "ALGORITHM=COPY, LOCK=SHARED" in text
    assert "# NOTE: ADD CONSTRAINT ... CHECK on events copies the table" in text
    assert "warning: lock: ADD CONSTRAINT ... CHECK on events copies the table" in made.err
    error, still = _write_during_migrate(p, "copy to tmp table")
    assert error is not None and error.args[0] == 1205, error  # lock wait timeout
    assert still


PARTS = '''
import os
import time
from pathlib import Path


def up(conn):
    """Apply changes."""
    conn.execute("CREATE TABLE first_half (id INT PRIMARY KEY)")
    conn.execute("ALTER TABLE users ADD COLUMN extra INT")
    Path(os.environ["SCHEMASHIFT_TEST_MARKER"]).touch()
    time.sleep(120)
    conn.execute("CREATE TABLE second_half (id INT PRIMARY KEY)")


def down(conn):
    """Revert changes."""
    conn.execute("DROP TABLE second_half")
    conn.execute("ALTER TABLE users DROP COLUMN extra")
    conn.execute("DROP TABLE first_half")
'''


def _tables(url: str) -> set[str]:
    conn = connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
            )
            return {row[0] for row in cursor.fetchall()}
    finally:
        conn.close()


def _killed_at_marker(p: ProjectDir, marker: Path, *args: str) -> None:
    """Run ``schemashift migrate *args`` in a process of its own and SIGKILL it once the
    migration running has touched ``marker``."""
    run = subprocess.Popen(
        [sys.executable, "-m", "schemashift", "migrate", *args],
        cwd=p.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "SCHEMASHIFT_TEST_MARKER": str(marker)},
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    run.communicate()


def test_a_run_killed_part_way_leaves_a_failed_record(
    mysql_project: ProjectDir, tmp_path: Path
) -> None:
    p = mysql_project
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    p.ok("make", "migration", "two_parts", "--empty")
    (p.migrations / "0002_two_parts.py").write_text(PARTS)
    marker = tmp_path / "marker"
    _killed_at_marker(p, marker)
    assert "first_half" in _tables(p.database)

    assert p.ok("migrate", "--status").out.splitlines() == [
        "MIGRATION STATUS",
        "[X] 0001_initial",
        "[!] 0002_two_parts (failed)",
    ]
    listed = json.loads(p.ok("migrate", "--status", "--json").out)["migrations"]
    assert [m["failed"] for m in listed] == [False, True]
    refused = p.run("migrate", "--lock-timeout", "60")
    assert refused.code == 1 and "Traceback" not in refused.err
    assert "0002_two_parts was being applied on" in refused.err
    assert "when the run ended (killed, or its connection lost)" in refused.err
    assert "--repair 0002_two_parts" in refused.err
    took, maybe = refused.err.split("May have taken effect")
    assert "Took effect from 0002_two_parts:\n  CREATE TABLE first_half" in took
    assert "ALTER TABLE users ADD COLUMN extra" in maybe
    # The refused run changed nothing: the first statement was not run again.
    assert "second_half" not in _tables(p.database)

    p.run("migrate", "--rollback")  # refused as well
    assert "first_half" in _tables(p.database)
    conn = connect(p.database)
    try:
        with conn.cursor() as cursor:
            cursor.execute("DROP TABLE first_half")
            cursor.execute("ALTER TABLE users DROP COLUMN extra")
    finally:
        conn.close()
    (p.migrations / "0002_two_parts.py").write_text(PARTS.replace("time.sleep(120)", ""))
    repaired = p.ok("migrate", "--repair", "0002", "--yes")
    assert "Forgot the failed record of 0002_two_parts" in repaired.out
    assert p.run("migrate", env={"SCHEMASHIFT_TEST_MARKER": str(marker)}).code == 0
    assert {"first_half", "second_half"} <= _tables(p.database)
    assert p.ok("migrate", "--status").out.count("[X]") == 2


SLOW_DOWN = PARTS.replace(
    '    Path(os.environ["SCHEMASHIFT_TEST_MARKER"]).touch()\n    time.sleep(120)\n', ""
).replace(
    '    conn.execute("ALTER TABLE users DROP COLUMN extra")\n',
    '    Path(os.environ["SCHEMASHIFT_TEST_MARKER"]).touch()\n'
    "    time.sleep(120)\n"
    '    conn.execute("ALTER TABLE users DROP COLUMN extra")\n',
)


def test_a_rollback_killed_part_way_leaves_a_failed_record(
    mysql_project: ProjectDir, tmp_path: Path
) -> None:
    p = mysql_project
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    p.ok("make", "migration", "two_parts", "--empty")
    marker = tmp_path / "marker"
    (p.migrations / "0002_two_parts.py").write_text(SLOW_DOWN)
    p.ok("migrate")
    _killed_at_marker(p, marker, "--rollback")
    assert "second_half" not in _tables(p.database)
    assert "first_half" in _tables(p.database)

    assert p.ok("migrate", "--status").out.splitlines() == [
        "MIGRATION STATUS",
        "[X] 0001_initial",
        "[!] 0002_two_parts (failed)",
    ]
    for command in (("migrate",), ("migrate", "--rollback")):
        refused = p.run(*command, "--lock-timeout", "60")
        assert refused.code == 1 and "Traceback" not in refused.err
        assert "0002_two_parts was being rolled back when the run ended" in refused.err
        assert "--repair 0002_two_parts" in refused.err
        # The record is brought up to date before each statement: the one that ran
        # last is in doubt.
        took, maybe = refused.err.split("May have taken effect")
        assert "Took effect from the down() of 0002_two_parts:\n  (none)" in took
        assert "DROP TABLE second_half" in maybe
    # The refused runs changed nothing: the rest of down() did not run.
    assert "first_half" in _tables(p.database)
    conn = connect(p.database)
    try:
        with conn.cursor() as cursor:
            cursor.execute("ALTER TABLE users DROP COLUMN extra")
            cursor.execute("DROP TABLE first_half")
    finally:
        conn.close()
    p.ok("migrate", "--repair", "0002", "--yes")
    assert p.ok("migrate", "--status").out.splitlines()[-1] == "[ ] 0002_two_parts"


def test_a_migration_applied_or_failing_before_any_change_leaves_no_failed_record(
    mysql_project: ProjectDir,
) -> None:
    """The record written before a migration runs is cleared once it has run, and
    forgotten when its first statement fails (nothing took effect)."""
    p = mysql_project
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    p.ok("make", "migration", "broken", "--empty")
    (p.migrations / "0002_broken.py").write_text(
        PARTS.replace("CREATE TABLE first_half", "CREATE TABLE users")
    )
    failed = p.run("migrate")
    assert failed.code == 1 and "None of the statements of 0002_broken took effect" in failed.err
    conn = connect(p.database)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT name, failed FROM _schemashift_migrations")
            assert cursor.fetchall() == (("0001_initial", None),)
    finally:
        conn.close()
    assert p.ok("migrate", "--status").out.splitlines()[-1] == "[ ] 0002_broken"


def test_a_change_the_server_cannot_make_online_is_refused_with_the_way_out(
    mysql_project: ProjectDir,
) -> None:
    p = mysql_project
    p.model("user", "class User(Model):\n    age = Field.Integer()\n")
    p.ok("make", "migration", "initial")
    p.ok("make", "migration", "widen", "--empty")
    (p.migrations / "0002_widen.py").write_text(
        'def up(conn):\n    """Apply changes."""\n'
        '    conn.execute("ALTER TABLE users MODIFY COLUMN age BIGINT, '
        'ALGORITHM=INPLACE, LOCK=NONE")\n\n\n'
        'def down(conn):\n    """Revert changes."""\n'
    )
    refused = p.run("migrate")
    assert refused.code == 1 and "Traceback" not in refused.err
    assert "This server cannot make the change the way the statement asks" in refused.err
    assert "ALGORITHM=COPY, LOCK=SHARED if copying the table" in refused.err
    assert "None of the statements of 0002_widen took effect" in refused.err
    assert p.ok("migrate", "--status").out.splitlines()[-1] == "[ ] 0002_widen"


def test_a_connection_lost_during_a_rollback_leaves_the_record_marked(
    mysql_project: ProjectDir,
) -> None:
    """The server ends the session part-way through down(): the record, marked before
    down() ran, cannot be settled and says the rollback is unfinished."""
    p = mysql_project
    p.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    p.ok("make", "migration", "initial")
    p.ok("make", "migration", "two_parts", "--empty")
    (p.migrations / "0002_two_parts.py").write_text(
        PARTS.replace(
            '    Path(os.environ["SCHEMASHIFT_TEST_MARKER"]).touch()\n    time.sleep(120)\n', ""
        ).replace(
            '    conn.execute("ALTER TABLE users DROP COLUMN extra")\n',
            '    session = conn.execute("SELECT CONNECTION_ID()").fetchone()[0]\n'
            '    conn.execute(f"KILL {session}")\n',
        )
    )
    p.ok("migrate")
    lost = p.run("migrate", "--rollback")
    assert lost.code == 1 and "Traceback" not in lost.err
    assert "The connection was lost, so the record of 0002_two_parts" in lost.err
    assert "finish the rollback by hand" in lost.err
    assert "second_half" not in _tables(p.database)
    assert p.ok("migrate", "--status").out.splitlines()[-1] == "[!] 0002_two_parts (failed)"
    refused = p.run("migrate")
    assert refused.code == 1 and "was being rolled back when the run ended" in refused.err
