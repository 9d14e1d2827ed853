"""Every kind of model change, as a user sees it, on SQLite, PostgreSQL and MySQL.

Each test declares models, migrates them, puts rows in the tables, changes the models
and then walks the change through the real command line: ``make migration`` writes the
expected statements (flagging data loss in its output and in the file), ``migrate``
brings the live schema to what the models declare (``check`` agrees), the rows survive
with their values converted, and ``migrate --rollback`` gives back the schema as it was
before, and the rows where data can come back.
"""

from __future__ import annotations

import json
import os
import re
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from tests.support import db
from tests.support.project import ProjectDir, Result

CHANGE = "0002_change.py"
GENERATED_AT = re.compile(r"^Generated at: .*$", re.MULTILINE)

# -- looking at the live schema with the raw drivers ----------------------------------------


def _check_clauses(sql: str) -> list[str]:
    """The ``[CONSTRAINT name] CHECK (...)`` clauses of a CREATE TABLE statement."""
    found: list[str] = []
    for match in re.finditer(r"(CONSTRAINT\s+\S+\s+)?CHECK\s*\(", sql, re.IGNORECASE):
        depth, at, quote = 1, match.end(), False
        while depth and at < len(sql):
            char = sql[at]
            if char == "'":
                quote = not quote
            elif not quote:
                depth += {"(": 1, ")": -1}.get(char, 0)
            at += 1
        found.append(sql[match.start() : at])
    return sorted(found)


def _unquoted(sql: str) -> str:
    """``sql`` without quotes around plain names: SQLite quotes the names it rewrites
    when a table or column is renamed (``CHECK (title ...)`` comes back as ``CHECK
    ("title" ...)`` after a rename and its reverse)."""
    return re.sub(r'"([a-z_][a-z0-9_]*)"', r"\1", sql)


def _sqlite_schema(path: str) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        out: dict[str, Any] = {}
        master = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE '_schemashift%'"
        ).fetchall()
        for kind, name, _, sql in master:
            if kind != "table":
                continue
            quoted = '"' + name.replace('"', '""') + '"'
            indexes = []
            for _, index, unique, origin, partial in conn.execute(f"PRAGMA index_list({quoted})"):
                cols = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{index}")'))
                label = index if origin == "c" else origin
                indexes.append((label, unique, partial, cols))
            out[f"table:{name}"] = {
                "columns": sorted(
                    tuple(r[1:]) for r in conn.execute(f"PRAGMA table_xinfo({quoted})")
                ),
                "foreign_keys": sorted(
                    tuple(r[2:]) for r in conn.execute(f"PRAGMA foreign_key_list({quoted})")
                ),
                "indexes": sorted(indexes),
                "checks": sorted(_unquoted(c) for c in _check_clauses(sql)),
                "autoincrement": "AUTOINCREMENT" in sql.upper(),
            }
        out["other"] = sorted(
            (kind, name, tbl, _unquoted(sql))
            for kind, name, tbl, sql in master
            if kind != "table" and sql is not None
        )
        return out
    finally:
        conn.close()


def _mysql_schema(url: str) -> dict[str, Any]:
    mine = "NOT LIKE '\\_schemashift%%'"
    here = "TABLE_SCHEMA = DATABASE()"
    return {
        "columns": sorted(
            db.query(
                url,
                "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, "
                "EXTRA, COLLATION_NAME FROM information_schema.COLUMNS "
                f"WHERE {here} AND TABLE_NAME {mine}",
            ),
            key=repr,
        ),
        "indexes": sorted(
            db.query(
                url,
                "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART "
                f"FROM information_schema.STATISTICS WHERE {here} AND TABLE_NAME {mine}",
            ),
            key=repr,
        ),
        "foreign_keys": sorted(
            db.query(
                url,
                "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
                "k.REFERENCED_COLUMN_NAME, r.DELETE_RULE "
                "FROM information_schema.KEY_COLUMN_USAGE AS k "
                "JOIN information_schema.REFERENTIAL_CONSTRAINTS AS r "
                "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
                "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME "
                f"WHERE k.{here} AND k.TABLE_NAME {mine}",
            ),
            key=repr,
        ),
        "checks": sorted(
            db.query(
                url,
                "SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE "
                "FROM information_schema.CHECK_CONSTRAINTS AS c "
                "JOIN information_schema.TABLE_CONSTRAINTS AS t "
                "ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA "
                "AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND t.CONSTRAINT_TYPE = 'CHECK' "
                f"WHERE c.CONSTRAINT_SCHEMA = DATABASE() AND t.TABLE_NAME {mine}",
            ),
            key=repr,
        ),
    }


def _postgres_schema(url: str) -> dict[str, Any]:
    mine = "NOT LIKE '\\_schemashift%%'"
    return {
        "columns": sorted(
            db.query(
                url,
                "SELECT table_name, column_name, data_type, character_maximum_length, "
                "numeric_precision, numeric_scale, is_nullable, column_default, is_identity "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                f"AND table_name {mine}",
            )
        ),
        "indexes": sorted(
            db.query(
                url,
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                f"WHERE schemaname = 'public' AND tablename {mine}",
            )
        ),
        "constraints": sorted(
            db.query(
                url,
                "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid), "
                "obj_description(oid, 'pg_constraint') FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace "
                f"AND conrelid::regclass::text {mine}",
            ),
            key=repr,
        ),
    }


def live_schema(url: str) -> dict[str, Any]:
    """The live schema of the user tables at ``url`` (an absolute SQLite URL, a
    PostgreSQL or a MySQL one), in a form that compares exactly (column order aside:
    PostgreSQL can only add a column at the end)."""
    if url.startswith("sqlite:///"):
        return _sqlite_schema(url.removeprefix("sqlite:///"))
    if db.dialect_of(url) == "mysql":
        return _mysql_schema(url)
    return _postgres_schema(url)


def schema_of(project: ProjectDir) -> dict[str, Any]:
    """The live schema of the project's database."""
    return live_schema(project.database)


def run_sql(project: ProjectDir, *statements: str) -> None:
    """Run ``statements`` in one transaction, with foreign keys enforced on SQLite too."""
    if project.dialect == "sqlite":
        conn = sqlite3.connect(project.database.removeprefix("sqlite:///"))
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            with conn:
                for sql in statements:
                    conn.execute(sql)
        finally:
            conn.close()
        return
    import psycopg

    from schemashift.dialects import parse_url
    from schemashift.dialects.postgres.connection import libpq_params

    if project.dialect == "mysql":
        _mysql_transaction(project.database, statements)
        return
    params = libpq_params(parse_url(project.database, project.root))
    with psycopg.connect(**params) as conn:
        for sql in statements:
            conn.execute(sql)


def _mysql_transaction(url: str, statements: Sequence[str]) -> None:
    conn = db.mysql_connection(url)
    try:
        conn.execute("START TRANSACTION")
        try:
            for sql in statements:
                conn.execute(sql)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def refused(project: ProjectDir, *statements: str) -> bool:
    """Whether the database rejects ``statements`` (nothing is kept either way)."""
    rejections: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    if project.dialect == "postgresql":
        import psycopg

        rejections = (psycopg.IntegrityError, psycopg.DataError)
    elif project.dialect == "mysql":
        import pymysql

        # A failed CHECK is an OperationalError to PyMySQL (MariaDB's error 4025).
        rejections = (pymysql.IntegrityError, pymysql.DataError, pymysql.OperationalError)
    try:
        run_sql(project, *statements)
    except rejections:
        return True
    return False


def rows(project: ProjectDir, sql: str) -> list[tuple[Any, ...]]:
    return db.query(project.database, sql)


def causes(project: ProjectDir) -> tuple[int, set[str]]:
    """``check --json``'s exit code and the causes of its differences."""
    result = project.run("check", "--json")
    payload = json.loads(result.out)
    assert payload["ok"] is (result.code == 0)
    return result.code, {d["cause"] for d in payload["differences"]}


# -- a terminal for make migration's questions ----------------------------------------------


def on_terminal(
    project: ProjectDir, *args: str, answers: Sequence[tuple[str, str]]
) -> tuple[int, str]:
    """Run ``schemashift ARGS`` with a pseudo-terminal as stdin, stdout and stderr; each
    time the next ``(prompt, reply)``'s prompt appears, type the reply. Returns the exit
    code and everything the terminal showed."""
    master, slave = os.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "schemashift", *args],
        cwd=project.root,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    shown, seen, pending = b"", 0, list(answers)
    give_up = time.monotonic() + 120
    try:
        while time.monotonic() < give_up:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if pending:
                prompt = pending[0][0].encode()
                at = shown.find(prompt, seen)
                if at >= 0:
                    seen = at + len(prompt)
                    os.write(master, pending.pop(0)[1].encode() + b"\n")
        else:
            proc.kill()
            raise AssertionError(f"no end on the terminal:\n{shown.decode()}")
    finally:
        os.close(master)
    code = proc.wait()
    text = shown.decode().replace("\r\n", "\n")
    assert not pending, f"never asked {pending[0][0]!r}:\n{text}"
    return code, text


# -- one change, walked through -------------------------------------------------------------


class Change:
    """A project migrated to ``before`` with ``seed`` rows in it, about to change."""

    def __init__(self, project: ProjectDir, before: str, seed: Sequence[str] = ()) -> None:
        self.project = project
        project.model("models", before)
        project.ok("make", "migration", "initial")
        project.ok("migrate")
        if seed:
            run_sql(project, *seed)
        self.before = schema_of(project)
        self.text = ""

    @property
    def up(self) -> str:
        """The body of the generated ``up()``."""
        return self.text.split("def up(conn):")[1].split("def down(conn):")[0]

    @property
    def down(self) -> str:
        """The body of the generated ``down()``."""
        return self.text.split("def down(conn):")[1].split("# The operations")[0]

    def make(self, after: str, *args: str) -> Result:
        """Change the models to ``after`` and make the migration; generating it again
        from the same models and files gives the same bytes (the time aside)."""
        self.project.model("models", after)
        made = self.project.ok("make", "migration", "change", *args)
        assert self.project.files() == ["0001_initial.py", CHANGE], made.out
        self.text = self.project.read(CHANGE)
        (self.project.migrations / CHANGE).unlink()
        again = self.project.ok("make", "migration", "change", *args)
        assert (again.out, again.err) == (made.out, made.err)
        assert GENERATED_AT.sub("", self.project.read(CHANGE)) == GENERATED_AT.sub("", self.text)
        return made

    def adopt_file(self) -> None:
        """Take the file a terminal run of make migration wrote."""
        assert self.project.files() == ["0001_initial.py", CHANGE]
        self.text = self.project.read(CHANGE)

    def statements(self, **by_dialect: Sequence[str]) -> None:
        """Each statement given for this dialect is in ``up()``."""
        for sql in by_dialect[self.project.dialect]:
            assert sql in self.up, f"{sql!r} not in up():\n{self.up}"

    def flagged(self, made: Result, *warnings: str) -> None:
        """Each warning is in make migration's output as data loss and in ``up()``."""
        for warning in warnings:
            assert f"data loss: {warning}" in made.err, made.err
            assert f"# WARNING: {warning}" in self.up, self.up

    def not_flagged(self, made: Result) -> None:
        assert "data loss" not in made.err, made.err
        assert "WARNING" not in self.up, self.up

    def migrate(self, *, visible: bool = True) -> None:
        """Apply it: the live schema is what the models declare. A change is not
        ``visible`` when the database keeps no trace of it (String(n) and Text are both
        TEXT on SQLite)."""
        self.project.ok("migrate")
        result = self.project.run("check", "--json")
        assert (result.code, json.loads(result.out)) == (
            0,
            {"version": 1, "ok": True, "differences": []},
        ), result.out
        self.after = schema_of(self.project)
        assert (self.after != self.before) is visible

    def rollback(self) -> None:
        """Roll it back: the live schema is exactly the one before."""
        self.project.ok("migrate", "--rollback")
        assert schema_of(self.project) == self.before
        assert causes(self.project) == (1, {"pending"})

    def refuses_to_migrate(self, *mentions: str) -> None:
        """``migrate`` fails, saying why, and changes nothing."""
        result = self.project.run("migrate")
        assert result.code == 1, result.out
        assert "Traceback" not in result.err
        for text in mentions:
            assert text in result.err, result.err
        assert schema_of(self.project) == self.before
        assert db.tracking(self.project.database) == [("0001_initial", 1)]


USERS = (
    "INSERT INTO users (email, name) "
    "VALUES ('ann@example.com', 'Ann'), ('bo@example.com', 'Bø \"O''Neil\"')"
)


# -- dropped tables and columns ------------------------------------------------------------

TEAM_AND_USER = """
class Team(Model):
    label = Field.String(max_length=40, nullable=False)


class User(Model):
    email = Field.String(max_length=255, nullable=False)
    name = Field.String(max_length=100)
"""

USER = """
class User(Model):
    email = Field.String(max_length=255, nullable=False)
    name = Field.String(max_length=100)
"""


def test_drop_table(project: ProjectDir) -> None:
    change = Change(project, TEAM_AND_USER, [USERS, "INSERT INTO teams (label) VALUES ('red')"])
    made = change.make(USER)
    assert "- drop table teams" in made.out
    change.statements(
        sqlite=["DROP TABLE teams"], postgresql=["DROP TABLE teams"], mysql=["DROP TABLE teams"]
    )
    change.flagged(made, "dropping table teams deletes all of its rows")
    assert "the data dropped by up() cannot come back" in change.down
    change.migrate()
    assert "teams" not in db.tables(project.database)
    assert rows(project, "SELECT email FROM users ORDER BY id") == [
        ("ann@example.com",),
        ("bo@example.com",),
    ]
    change.rollback()
    assert rows(project, "SELECT label FROM teams") == []
    assert len(rows(project, "SELECT * FROM users")) == 2


def test_drop_a_referenced_table_with_the_column_that_refers_to_it(project: ProjectDir) -> None:
    before = TEAM_AND_USER + '    team_id = Field.ForeignKey("Team", nullable=True)\n'
    change = Change(
        project,
        before,
        [
            "INSERT INTO teams (label) VALUES ('red')",
            "INSERT INTO users (email, team_id) VALUES ('a@x', 1), ('b@x', NULL)",
        ],
    )
    made = change.make(USER)
    assert "- drop table teams" in made.out and "- drop column users.team_id" in made.out
    change.flagged(
        made,
        "dropping table teams deletes all of its rows",
        "dropping column users.team_id deletes its values",
    )
    assert change.up.index("team_id") < change.up.index("DROP TABLE teams")
    change.migrate()
    assert rows(project, "SELECT email FROM users ORDER BY id") == [("a@x",), ("b@x",)]
    change.rollback()
    assert rows(project, "SELECT email, team_id FROM users ORDER BY id") == [
        ("a@x", None),
        ("b@x", None),
    ]


def test_drop_column(project: ProjectDir) -> None:
    change = Change(project, USER + "    phone = Field.String(max_length=30)\n", [USERS])
    run_sql(project, "UPDATE users SET phone = '555-0100'")
    made = change.make(USER)
    assert "- drop column users.phone" in made.out
    change.statements(
        sqlite=["ALTER TABLE users DROP COLUMN phone"],
        postgresql=["ALTER TABLE users DROP COLUMN phone"],
        mysql=["ALTER TABLE users DROP COLUMN phone"],
    )
    change.flagged(made, "dropping column users.phone deletes its values")
    assert "down() restores the structure of users.phone" in change.down
    change.migrate()
    assert db.columns(project.database, "users") == ["id", "email", "name"]
    kept = rows(project, "SELECT id, email, name FROM users ORDER BY id")
    assert kept == [(1, "ann@example.com", "Ann"), (2, "bo@example.com", 'Bø "O\'Neil"')]
    change.rollback()
    assert rows(project, "SELECT id, email, name, phone FROM users ORDER BY id") == [
        (*row, None) for row in kept
    ]


def test_drop_a_not_null_column_without_default_comes_back_with_stand_in_values(
    project: ProjectDir,
) -> None:
    before = USER + "    code = Field.String(max_length=8, nullable=False)\n"
    seed = "INSERT INTO users (email, code) VALUES ('a@x', 'A1'), ('b@x', 'B2')"
    change = Change(project, before, [seed])
    made = change.make(USER)
    change.flagged(made, "dropping column users.code deletes its values")
    change.migrate()
    change.rollback()
    assert rows(project, "SELECT email, code FROM users ORDER BY id") == [("a@x", ""), ("b@x", "")]


# -- altered types ---------------------------------------------------------------------------

NUMBERS = """
class Reading(Model):
    count = Field.Integer()
    level = Field.Integer()
"""


def test_integer_to_biginteger(project: ProjectDir) -> None:
    seed = "INSERT INTO readings (count, level) VALUES (2147483647, 1), (NULL, -5)"
    change = Change(project, NUMBERS, [seed])
    made = change.make(NUMBERS.replace("count = Field.Integer()", "count = Field.BigInteger()"))
    assert "~ alter column readings.count (kind)" in made.out
    change.statements(
        sqlite=[],
        postgresql=["ALTER TABLE readings ALTER COLUMN count TYPE BIGINT"],
        mysql=["ALTER TABLE readings MODIFY COLUMN count BIGINT"],
    )
    change.not_flagged(made)
    change.migrate(visible=project.dialect != "sqlite")
    run_sql(project, "INSERT INTO readings (count, level) VALUES (9007199254740993, 0)")
    assert rows(project, "SELECT count, level FROM readings ORDER BY id") == [
        (2147483647, 1),
        (None, -5),
        (9007199254740993, 0),
    ]
    run_sql(project, "DELETE FROM readings WHERE level = 0")
    change.rollback()
    assert rows(project, "SELECT count, level FROM readings ORDER BY id") == [
        (2147483647, 1),
        (None, -5),
    ]


def test_a_change_invisible_to_sqlite_does_not_rebuild_the_table(
    sqlite_project: ProjectDir,
) -> None:
    change = Change(sqlite_project, NUMBERS + "    note = Field.String(max_length=255)\n")
    change.make(
        NUMBERS.replace("count = Field.Integer()", "count = Field.BigInteger()")
        + "    note = Field.String(max_length=200)\n"
    )
    assert "CREATE TABLE" not in change.up and "INSERT INTO" not in change.up


def test_integer_to_float(project: ProjectDir) -> None:
    change = Change(
        project, NUMBERS, ["INSERT INTO readings (count, level) VALUES (3, 1), (NULL, 2)"]
    )
    made = change.make(NUMBERS.replace("count = Field.Integer()", "count = Field.Float()"))
    change.statements(
        sqlite=["conn.rebuild_table(", "count REAL"],
        postgresql=["ALTER TABLE readings ALTER COLUMN count TYPE DOUBLE PRECISION"],
        mysql=["ALTER TABLE readings MODIFY COLUMN count DOUBLE"],
    )
    if project.dialect == "sqlite":  # SQLite's integers are 64-bit
        change.flagged(
            made,
            "readings.count: changing integer to float may change values: integers beyond "
            "2**53 are rounded to the nearest float",
        )
    else:
        change.not_flagged(made)
    change.migrate()
    values = rows(project, "SELECT count, level FROM readings ORDER BY id")
    assert values == [(3.0, 1), (None, 2)] and isinstance(values[0][0], float)
    run_sql(project, "UPDATE readings SET count = 2.5 WHERE level = 2")
    if project.dialect != "sqlite":
        assert "changing float to integer may change values: fractions are rounded" in change.down
        refused = project.run("migrate", "--rollback")
        assert refused.code == 1 and "readings.count" in refused.err and "2.5" in refused.err
        run_sql(project, "UPDATE readings SET count = 2 WHERE level = 2")
    change.rollback()
    values = rows(project, "SELECT count FROM readings ORDER BY id")
    assert values[0] == (3,) and isinstance(values[0][0], int)
    # SQLite keeps 2.5 as it is in the INTEGER column, as its own ALTER would.
    assert values[1][0] == (2.5 if project.dialect == "sqlite" else 2)


TEXTS = """
class Note(Model):
    title = Field.String(max_length=20)
    body = Field.Text()
"""

NOTES = "INSERT INTO notes (title, body) VALUES ('Grüße', 'short'), ('it''s', NULL)"


def test_string_to_text(project: ProjectDir) -> None:
    change = Change(project, TEXTS, [NOTES])
    made = change.make(TEXTS.replace("Field.String(max_length=20)", "Field.Text()"))
    assert "~ alter column notes.title (kind, max_length)" in made.out
    change.statements(
        sqlite=["Nothing to run on SQLite"],
        postgresql=["ALTER TABLE notes ALTER COLUMN title TYPE TEXT"],
        mysql=["ALTER TABLE notes MODIFY COLUMN title LONGTEXT"],
    )
    change.not_flagged(made)
    change.migrate(visible=project.dialect != "sqlite")
    run_sql(project, "INSERT INTO notes (title) VALUES ('" + "x" * 50 + "')")
    run_sql(project, "DELETE FROM notes WHERE id = 3")
    change.rollback()
    assert rows(project, "SELECT title, body FROM notes ORDER BY id") == [
        ("Grüße", "short"),
        ("it's", None),
    ]


def test_text_to_string_narrows(project: ProjectDir) -> None:
    change = Change(project, TEXTS, [NOTES])
    made = change.make(TEXTS.replace("body = Field.Text()", "body = Field.String(max_length=5)"))
    change.statements(
        sqlite=["Nothing to run on SQLite"],
        postgresql=["ALTER TABLE notes ALTER COLUMN body TYPE VARCHAR(5)"],
        mysql=["ALTER TABLE notes MODIFY COLUMN body VARCHAR(5)"],
    )
    change.flagged(
        made,
        "notes.body: max_length None -> 5; longer values are rejected on PostgreSQL and MySQL "
        "(SQLite keeps them as they are)",
    )
    change.migrate(visible=project.dialect != "sqlite")
    assert rows(project, "SELECT body FROM notes ORDER BY id") == [("short",), (None,)]
    change.rollback()
    assert rows(project, "SELECT title, body FROM notes ORDER BY id") == [
        ("Grüße", "short"),
        ("it's", None),
    ]


def test_narrowing_with_values_that_do_not_fit(project: ProjectDir) -> None:
    change = Change(project, TEXTS, [NOTES, "INSERT INTO notes (body) VALUES ('far too long')"])
    change.make(TEXTS.replace("body = Field.Text()", "body = Field.String(max_length=5)"))
    if project.dialect == "postgresql":
        change.refuses_to_migrate(
            "0002_change", "ALTER TABLE notes ALTER COLUMN body TYPE VARCHAR(5)"
        )
    elif project.dialect == "mysql":
        change.refuses_to_migrate(
            "0002_change", "Data too long", "ALTER TABLE notes MODIFY COLUMN body VARCHAR(5)"
        )
    else:
        change.migrate(visible=False)
    assert ("far too long",) in rows(project, "SELECT body FROM notes")


# -- nullability -----------------------------------------------------------------------------

AGES = """
class Person(Model):
    __tablename__ = "people"
    name = Field.String(max_length=40)
    age = Field.Integer()
"""

PEOPLE = "INSERT INTO people (name, age) VALUES ('ann', 31), ('bo', NULL), ('cy', NULL)"


def test_not_null_with_default_fills_existing_nulls(project: ProjectDir) -> None:
    change = Change(project, AGES, [PEOPLE])
    made = change.make(AGES.replace("Field.Integer()", "Field.Integer(nullable=False, default=0)"))
    assert "~ alter column people.age (nullable, default)" in made.out
    change.statements(
        sqlite=["COALESCE(age, 0)", "age INTEGER NOT NULL DEFAULT 0"],
        postgresql=[
            "UPDATE people SET age = 0 WHERE age IS NULL",
            "ALTER TABLE people ALTER COLUMN age SET NOT NULL",
        ],
        mysql=[
            "UPDATE people SET age = 0 WHERE age IS NULL",
            "ALTER TABLE people MODIFY COLUMN age INT NOT NULL DEFAULT 0",
        ],
    )
    change.flagged(made, "people.age: becomes NOT NULL; existing NULLs are set to 0")
    change.migrate()
    assert rows(project, "SELECT name, age FROM people ORDER BY id") == [
        ("ann", 31),
        ("bo", 0),
        ("cy", 0),
    ]
    assert refused(project, "INSERT INTO people (name, age) VALUES ('dee', NULL)")
    change.rollback()
    # The NULLs were replaced: nothing tells them apart from real zeros any more.
    assert rows(project, "SELECT age FROM people ORDER BY id") == [(31,), (0,), (0,)]
    assert not refused(project, "INSERT INTO people (name, age) VALUES ('dee', NULL)")


def test_not_null_without_default_off_a_terminal_is_refused(project: ProjectDir) -> None:
    Change(project, AGES, [PEOPLE])
    project.model("models", AGES.replace("Field.Integer()", "Field.Integer(nullable=False)"))
    result = project.run("make", "migration", "change")
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert "people.age is NOT NULL without a default" in first
    for way in ("default=", "nullable", "terminal"):
        assert way in result.err
    assert "Traceback" not in result.err
    assert project.files() == ["0001_initial.py"]


def test_not_null_without_default_asks_for_a_one_off_value(project: ProjectDir) -> None:
    change = Change(project, AGES, [PEOPLE])
    project.model("models", AGES.replace("Field.Integer()", "Field.Integer(nullable=False)"))
    code, shown = on_terminal(
        project, "make", "migration", "change", answers=[("leave empty to stop", "18")]
    )
    assert code == 0, shown
    assert "people.age is NOT NULL without a default" in shown
    assert "data loss: people.age: becomes NOT NULL; existing NULLs are set to" in shown
    change.adopt_file()
    change.statements(
        sqlite=["COALESCE(age, 18)", "age INTEGER NOT NULL"],
        postgresql=["UPDATE people SET age = 18 WHERE age IS NULL"],
        mysql=[
            "UPDATE people SET age = 18 WHERE age IS NULL",
            "ALTER TABLE people MODIFY COLUMN age INT NOT NULL",
        ],
    )
    assert "DEFAULT 18" not in change.up  # a one-off value, not a default
    change.migrate()
    assert rows(project, "SELECT age FROM people ORDER BY id") == [(31,), (18,), (18,)]
    change.rollback()


def test_not_null_without_default_and_no_answer_stops(project: ProjectDir) -> None:
    Change(project, AGES, [PEOPLE])
    project.model("models", AGES.replace("Field.Integer()", "Field.Integer(nullable=False)"))
    code, shown = on_terminal(
        project, "make", "migration", "change", answers=[("leave empty to stop", "")]
    )
    assert code == 1 and "people.age is NOT NULL without a default" in shown
    assert project.files() == ["0001_initial.py"]


def test_nullable_again(project: ProjectDir) -> None:
    before = AGES.replace("Field.Integer()", "Field.Integer(nullable=False)")
    change = Change(project, before, ["INSERT INTO people (name, age) VALUES ('ann', 31)"])
    made = change.make(AGES)
    change.statements(
        sqlite=["age INTEGER\n"],
        postgresql=["ALTER TABLE people ALTER COLUMN age DROP NOT NULL"],
        mysql=['ALTER TABLE people MODIFY COLUMN age INT, ALGORITHM=INPLACE, LOCK=NONE")'],
    )
    change.not_flagged(made)
    change.migrate()
    assert not refused(project, "INSERT INTO people (name, age) VALUES ('bo', 40)")
    run_sql(project, "INSERT INTO people (name, age) VALUES ('cy', NULL)")
    run_sql(project, "DELETE FROM people WHERE age IS NULL")
    change.rollback()
    assert rows(project, "SELECT name, age FROM people ORDER BY id") == [("ann", 31), ("bo", 40)]


def test_rolling_back_nullable_with_nulls_in_the_column(project: ProjectDir) -> None:
    """down() makes the column NOT NULL again: the NULLs written meanwhile either get a
    value the file names, or the rollback fails and changes nothing."""
    before = AGES.replace("Field.Integer()", "Field.Integer(nullable=False)")
    change = Change(project, before, ["INSERT INTO people (name, age) VALUES ('ann', 31)"])
    change.make(AGES)
    change.migrate()
    run_sql(project, "INSERT INTO people (name, age) VALUES ('bo', NULL)")
    result = project.run("migrate", "--rollback")
    if result.code == 0:
        assert schema_of(project) == change.before
        assert rows(project, "SELECT name FROM people ORDER BY id") == [("ann",), ("bo",)]
    else:
        assert "0002_change" in result.err and "Traceback" not in result.err
        assert schema_of(project) == change.after
        assert rows(project, "SELECT name, age FROM people ORDER BY id") == [
            ("ann", 31),
            ("bo", None),
        ]


# -- defaults --------------------------------------------------------------------------------

FLAGS = """
class Setting(Model):
    key = Field.String(max_length=40, nullable=False)
    level = Field.Integer()
"""


def _default_of_new_row(project: ProjectDir) -> Any:
    run_sql(project, "INSERT INTO settings (\"key\") VALUES ('probe')")
    (value,) = rows(project, "SELECT level FROM settings WHERE \"key\" = 'probe'")[0]
    run_sql(project, "DELETE FROM settings WHERE \"key\" = 'probe'")
    return value


def test_default_added(project: ProjectDir) -> None:
    change = Change(project, FLAGS, ["INSERT INTO settings (\"key\") VALUES ('a')"])
    made = change.make(FLAGS.replace("Field.Integer()", "Field.Integer(default=5)"))
    assert "~ alter column settings.level (default)" in made.out
    change.statements(
        sqlite=["level INTEGER DEFAULT 5"],
        postgresql=["ALTER TABLE settings ALTER COLUMN level SET DEFAULT 5"],
        mysql=["MODIFY COLUMN level INT DEFAULT 5"],
    )
    change.not_flagged(made)
    change.migrate()
    assert _default_of_new_row(project) == 5
    assert rows(project, 'SELECT "key", level FROM settings') == [("a", None)]
    change.rollback()
    assert _default_of_new_row(project) is None
    assert rows(project, 'SELECT "key", level FROM settings') == [("a", None)]


def test_default_changed(project: ProjectDir) -> None:
    before = FLAGS.replace("Field.Integer()", "Field.Integer(default=5)")
    change = Change(project, before, ["INSERT INTO settings (\"key\") VALUES ('a')"])
    made = change.make(FLAGS.replace("Field.Integer()", "Field.Integer(default=7)"))
    change.statements(
        sqlite=["level INTEGER DEFAULT 7"],
        postgresql=["ALTER TABLE settings ALTER COLUMN level SET DEFAULT 7"],
        mysql=["MODIFY COLUMN level INT DEFAULT 7"],
    )
    change.not_flagged(made)
    change.migrate()
    assert _default_of_new_row(project) == 7
    change.rollback()
    assert _default_of_new_row(project) == 5
    assert rows(project, 'SELECT "key", level FROM settings') == [("a", 5)]


def test_default_removed(project: ProjectDir) -> None:
    before = FLAGS.replace("Field.Integer()", 'Field.String(max_length=9, default="it\'s")')
    change = Change(project, before, ["INSERT INTO settings (\"key\") VALUES ('a')"])
    made = change.make(FLAGS.replace("Field.Integer()", "Field.String(max_length=9)"))
    change.statements(
        sqlite=["level TEXT\n"],
        postgresql=["ALTER TABLE settings ALTER COLUMN level DROP DEFAULT"],
        mysql=['MODIFY COLUMN level VARCHAR(9), ALGORITHM=INPLACE, LOCK=NONE")'],
    )
    change.not_flagged(made)
    change.migrate()
    assert _default_of_new_row(project) is None
    change.rollback()
    assert _default_of_new_row(project) == "it's"
    assert rows(project, 'SELECT "key", level FROM settings') == [("a", "it's")]


# -- uniqueness ------------------------------------------------------------------------------


def test_unique_added(project: ProjectDir) -> None:
    change = Change(project, USER, [USERS])
    made = change.make(USER.replace("nullable=False)", "nullable=False, unique=True)", 1))
    assert "~ alter column users.email (unique)" in made.out
    change.statements(
        sqlite=["email TEXT NOT NULL UNIQUE"],
        postgresql=["ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)"],
        mysql=["ALTER TABLE users ADD UNIQUE KEY users_email_key (email)"],
    )
    change.flagged(made, "users.email: becomes UNIQUE; the migration fails if duplicates exist")
    change.migrate()
    assert refused(project, "INSERT INTO users (email) VALUES ('ann@example.com')")
    change.rollback()
    assert not refused(project, "INSERT INTO users (email) VALUES ('ann@example.com')")
    assert len(rows(project, "SELECT * FROM users")) == 3


def test_unique_added_over_duplicates_fails_and_changes_nothing(project: ProjectDir) -> None:
    change = Change(project, USER, [USERS, "INSERT INTO users (email) VALUES ('ann@example.com')"])
    change.make(USER.replace("nullable=False)", "nullable=False, unique=True)", 1))
    change.refuses_to_migrate("0002_change")
    assert len(rows(project, "SELECT * FROM users")) == 3


def test_unique_removed(project: ProjectDir) -> None:
    before = USER.replace("nullable=False)", "nullable=False, unique=True)", 1)
    change = Change(project, before, [USERS])
    made = change.make(USER)
    change.statements(
        sqlite=["email TEXT NOT NULL,"],
        postgresql=["ALTER TABLE users DROP CONSTRAINT users_email_key"],
        mysql=["ALTER TABLE users DROP INDEX users_email_key"],
    )
    change.not_flagged(made)
    change.migrate()
    assert not refused(project, "INSERT INTO users (email) VALUES ('ann@example.com')")
    run_sql(project, "DELETE FROM users WHERE id = 3")
    change.rollback()
    assert refused(project, "INSERT INTO users (email) VALUES ('ann@example.com')")
    assert len(rows(project, "SELECT * FROM users")) == 2


# -- max_length, Decimal precision, Enum values ----------------------------------------------


def test_max_length_widened(project: ProjectDir) -> None:
    change = Change(project, TEXTS, [NOTES])
    made = change.make(TEXTS.replace("max_length=20", "max_length=80"))
    change.statements(
        sqlite=["Nothing to run on SQLite"],
        postgresql=["ALTER TABLE notes ALTER COLUMN title TYPE VARCHAR(80)"],
        mysql=["ALTER TABLE notes MODIFY COLUMN title VARCHAR(80)"],
    )
    change.not_flagged(made)
    change.migrate(visible=project.dialect != "sqlite")
    assert not refused(project, "INSERT INTO notes (title) VALUES ('" + "y" * 70 + "')")
    run_sql(project, "DELETE FROM notes WHERE id = 3")
    change.rollback()
    assert rows(project, "SELECT title FROM notes ORDER BY id") == [("Grüße",), ("it's",)]


def test_max_length_narrowed(project: ProjectDir) -> None:
    change = Change(project, TEXTS, [NOTES])
    made = change.make(TEXTS.replace("max_length=20", "max_length=6"))
    change.statements(
        sqlite=["Nothing to run on SQLite"],
        postgresql=["ALTER TABLE notes ALTER COLUMN title TYPE VARCHAR(6)"],
        mysql=["ALTER TABLE notes MODIFY COLUMN title VARCHAR(6)"],
    )
    change.flagged(
        made,
        "notes.title: max_length 20 -> 6; longer values are rejected on PostgreSQL and MySQL "
        "(SQLite keeps them as they are)",
    )
    change.migrate(visible=project.dialect != "sqlite")
    long_title = "INSERT INTO notes (title) VALUES ('seven!!')"
    assert refused(project, long_title) is (project.dialect != "sqlite")
    run_sql(project, "DELETE FROM notes WHERE id > 2")
    change.rollback()
    assert rows(project, "SELECT title FROM notes ORDER BY id") == [("Grüße",), ("it's",)]


PRICES = """
class Product(Model):
    price = Field.Decimal(max_digits=8, decimal_places=2)
"""


def test_decimal_precision_widened(project: ProjectDir) -> None:
    change = Change(project, PRICES, ["INSERT INTO products (price) VALUES (123456.78), (NULL)"])
    made = change.make(
        PRICES.replace("max_digits=8, decimal_places=2", "max_digits=12, decimal_places=4")
    )
    assert "~ alter column products.price (max_digits, decimal_places)" in made.out
    change.statements(
        sqlite=["price NUMERIC(12, 4)"],
        postgresql=["ALTER TABLE products ALTER COLUMN price TYPE NUMERIC(12, 4)"],
        mysql=["ALTER TABLE products MODIFY COLUMN price DECIMAL(12, 4)"],
    )
    change.not_flagged(made)
    change.migrate()
    (value,), (empty,) = rows(project, "SELECT price FROM products ORDER BY id")
    assert Decimal(str(value)) == Decimal("123456.78") and empty is None
    change.rollback()
    (value,), _ = rows(project, "SELECT price FROM products ORDER BY id")
    assert Decimal(str(value)) == Decimal("123456.78")
    if project.dialect != "sqlite":
        numeric = "NUMERIC" if project.dialect == "postgresql" else "DECIMAL"
        assert (
            f"products.price: changing {numeric}(12, 4) to {numeric}(8, 2) may change values: "
            "digits beyond scale 2 are rounded"
        ) in change.down


def test_decimal_precision_narrowed(project: ProjectDir) -> None:
    change = Change(project, PRICES, ["INSERT INTO products (price) VALUES (12.25)"])
    made = change.make(PRICES.replace("decimal_places=2", "decimal_places=1"))
    if project.dialect == "sqlite":
        # SQLite's NUMERIC affinity keeps the value as it is.
        change.not_flagged(made)
        change.migrate()
        assert rows(project, "SELECT price FROM products") == [(12.25,)]
        change.rollback()
        return
    numeric = "NUMERIC" if project.dialect == "postgresql" else "DECIMAL"
    change.flagged(
        made,
        f"products.price: changing {numeric}(8, 2) to {numeric}(8, 1) may change values: digits "
        "beyond scale 1 are rounded",
    )
    change.refuses_to_migrate("1 row holds a value of products.price", "12.25")
    path = project.migrations / CHANGE
    accept = 'accept_value_changes = ["products.price"]\n\n\ndef up(conn):'
    path.write_text(path.read_text().replace("def up(conn):", accept, 1))
    change.migrate()
    assert rows(project, "SELECT price FROM products") == [(Decimal("12.3"),)]
    change.rollback()


STATUS = """
class Post(Model):
    title = Field.String(max_length=40)
    status = Field.Enum(["draft", "published"], default="draft")
"""


def test_enum_value_added(project: ProjectDir) -> None:
    change = Change(
        project, STATUS, ["INSERT INTO posts (title, status) VALUES ('a', 'published')"]
    )
    archived = "INSERT INTO posts (title, status) VALUES ('b', 'archived')"
    assert refused(project, archived)
    made = change.make(STATUS.replace('"published"]', '"published", "archived"]'))
    assert "~ alter column posts.status (choices)" in made.out
    change.statements(
        sqlite=["CHECK (status IN ('draft', 'published', 'archived'))"],
        postgresql=[
            "ALTER TABLE posts DROP CONSTRAINT posts_status_check",
            "ALTER TABLE posts ADD CONSTRAINT posts_status_check "
            "CHECK (status IN ('draft', 'published', 'archived'))",
        ],
        mysql=[
            "DROP CONSTRAINT posts_status_check",
            "ADD CONSTRAINT posts_status_check "
            "CHECK (status IN ('draft', 'published', 'archived'))",
        ],
    )
    change.not_flagged(made)
    change.migrate()
    assert not refused(project, archived)
    run_sql(project, "DELETE FROM posts WHERE status = 'archived'")
    change.rollback()
    assert refused(project, archived)
    assert rows(project, "SELECT title, status FROM posts") == [("a", "published")]


def test_enum_value_removed(project: ProjectDir) -> None:
    change = Change(project, STATUS, ["INSERT INTO posts (title) VALUES ('a')"])
    made = change.make(STATUS.replace(', "published"]', "]"))
    change.flagged(
        made, "posts.status: enum values removed (published); rows holding them are rejected"
    )
    change.migrate()
    assert refused(project, "INSERT INTO posts (status) VALUES ('published')")
    change.rollback()
    assert rows(project, "SELECT title, status FROM posts") == [("a", "draft")]


def test_enum_value_removed_while_rows_hold_it_fails_and_changes_nothing(
    project: ProjectDir,
) -> None:
    change = Change(project, STATUS, ["INSERT INTO posts (status) VALUES ('published')"])
    change.make(STATUS.replace(', "published"]', "]"))
    change.refuses_to_migrate("0002_change")
    assert rows(project, "SELECT status FROM posts") == [("published",)]


# -- indexes ---------------------------------------------------------------------------------

INDEXED = """
class Event(Model):
    __indexes__ = []
    kind = Field.String(max_length=20)
    at = Field.Integer()
    ref = Field.String(max_length=20)
"""

EVENTS = "INSERT INTO events (kind, at, ref) VALUES ('a', 1, 'r1'), ('b', 2, 'r2'), ('a', 3, NULL)"


def _with_indexes(*declared: str, field_index: bool = False) -> str:
    text = INDEXED.replace("__indexes__ = []", f"__indexes__ = [{', '.join(declared)}]")
    return (
        text.replace("at = Field.Integer()", "at = Field.Integer(index=True)")
        if field_index
        else text
    )


def _index_names(project: ProjectDir) -> set[str]:
    if project.dialect == "sqlite":
        found = rows(project, "SELECT name FROM sqlite_master WHERE type = 'index'")
    elif project.dialect == "mysql":
        found = rows(
            project,
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'events' AND INDEX_NAME <> 'PRIMARY'",
        )
    else:
        found = rows(project, "SELECT indexname FROM pg_indexes WHERE tablename = 'events'")
    return {name for (name,) in found if not name.startswith(("sqlite_", "events_pkey"))}


@pytest.mark.parametrize(
    ("declared", "field_index", "name", "sql"),
    [
        ((), True, "idx_events_at", "CREATE INDEX idx_events_at ON events (at)"),
        (
            ('Index("kind", "at")',),
            False,
            "idx_events_kind_at",
            "CREATE INDEX idx_events_kind_at ON events (kind, at)",
        ),
        (
            ('Index("ref", unique=True)',),
            False,
            "uq_events_ref",
            "CREATE UNIQUE INDEX uq_events_ref ON events (ref)",
        ),
    ],
    ids=["single", "composite", "unique"],
)
def test_index_added_and_dropped(
    project: ProjectDir, declared: tuple[str, ...], field_index: bool, name: str, sql: str
) -> None:
    change = Change(project, INDEXED, [EVENTS])
    made = change.make(_with_indexes(*declared, field_index=field_index))
    assert f" {name} on events" in made.out
    change.statements(sqlite=[sql], postgresql=[sql], mysql=[f"INDEX {name} ("])
    change.not_flagged(made)
    assert f"DROP INDEX {name}" in change.down
    change.migrate()
    assert _index_names(project) == {name}
    change.rollback()
    assert _index_names(project) == set()

    # Dropping it, from a history that has it.
    project.ok("migrate")
    project.model("models", INDEXED)
    dropped = project.ok("make", "migration", "drop_index")
    assert f"- drop index {name} on events" in dropped.out
    assert f"DROP INDEX {name}" in project.read("0003_drop_index.py").split("def down")[0]
    project.ok("migrate")
    assert _index_names(project) == set() and causes(project) == (0, set())
    project.ok("migrate", "--rollback")
    assert _index_names(project) == {name}
    assert len(rows(project, "SELECT * FROM events")) == 3


def test_index_changed_under_the_same_name(project: ProjectDir) -> None:
    change = Change(project, _with_indexes('Index("kind", "at", name="ix_events")'), [EVENTS])
    made = change.make(_with_indexes('Index("at", "kind", "ref", name="ix_events")'))
    assert "- drop index ix_events on events" in made.out
    assert "+ add index ix_events on events (at, kind, ref)" in made.out
    up = change.up
    created = "CREATE INDEX ix_events ON events ({})"
    if project.dialect == "mysql":
        created = "ADD INDEX ix_events ({})"
    assert up.index("DROP INDEX ix_events") < up.index(created.format("at, kind, ref"))
    change.migrate()
    change.rollback()
    assert created.format("kind, at") in change.down


def test_index_made_unique(project: ProjectDir) -> None:
    change = Change(project, _with_indexes('Index("ref")'), [EVENTS])
    made = change.make(_with_indexes('Index("ref", unique=True)'))
    assert "- drop index idx_events_ref on events" in made.out
    change.statements(
        sqlite=["CREATE UNIQUE INDEX uq_events_ref ON events (ref)"],
        postgresql=["CREATE UNIQUE INDEX uq_events_ref ON events (ref)"],
        mysql=["DROP INDEX idx_events_ref", "ADD UNIQUE INDEX uq_events_ref (ref)"],
    )
    change.migrate()
    assert refused(project, "INSERT INTO events (ref) VALUES ('r1')")
    change.rollback()
    assert _index_names(project) == {"idx_events_ref"}
    assert not refused(project, "INSERT INTO events (ref) VALUES ('r1')")


# -- foreign keys ----------------------------------------------------------------------------

PARENTS = """
class Team(Model):
    label = Field.String(max_length=40)


class Club(Model):
    label = Field.String(max_length=40)


"""

PLAYER = (
    PARENTS
    + """
class Player(Model):
    name = Field.String(max_length=40)
    team_id = Field.ForeignKey("Team", on_delete="CASCADE", nullable=True)
"""
)

TEAMS = [
    "INSERT INTO teams (label) VALUES ('red'), ('blue')",
    "INSERT INTO clubs (label) VALUES ('one')",
]


def _fk_target(project: ProjectDir) -> list[tuple[Any, ...]]:
    if project.dialect == "sqlite":
        return [(r[2], r[3], r[4], r[6]) for r in rows(project, "PRAGMA foreign_key_list(players)")]
    if project.dialect == "mysql":
        return rows(
            project,
            "SELECT k.REFERENCED_TABLE_NAME, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME, "
            "r.DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS AS r "
            "JOIN information_schema.KEY_COLUMN_USAGE AS k "
            "ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA "
            "AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME "
            "WHERE r.CONSTRAINT_SCHEMA = DATABASE() AND k.TABLE_NAME = 'players'",
        )
    return rows(
        project,
        "SELECT ccu.table_name, kcu.column_name, ccu.column_name, rc.delete_rule "
        "FROM information_schema.referential_constraints rc "
        "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name "
        "JOIN information_schema.constraint_column_usage ccu "
        "ON ccu.constraint_name = rc.constraint_name WHERE kcu.table_name = 'players'",
    )


def test_foreign_key_added_to_an_existing_column(project: ProjectDir) -> None:
    before = PLAYER.replace(
        'Field.ForeignKey("Team", on_delete="CASCADE", nullable=True)', "Field.BigInteger()"
    )
    change = Change(
        project,
        before,
        [*TEAMS, "INSERT INTO players (name, team_id) VALUES ('p', 2), ('q', NULL)"],
    )
    made = change.make(PLAYER)
    assert "+ add foreign key players.team_id -> teams.id ON DELETE CASCADE" in made.out
    assert "+ add index idx_players_team_id on players (team_id)" in made.out
    change.statements(
        sqlite=["team_id INTEGER REFERENCES teams(id) ON DELETE CASCADE"],
        postgresql=[
            "ALTER TABLE players ADD CONSTRAINT fk_players_team_id FOREIGN KEY (team_id) "
            "REFERENCES teams (id) ON DELETE CASCADE"
        ],
        mysql=[
            "ADD CONSTRAINT fk_players_team_id FOREIGN KEY (team_id) "
            "REFERENCES teams (id) ON DELETE CASCADE"
        ],
    )
    change.migrate()
    assert _fk_target(project) == [("teams", "team_id", "id", "CASCADE")]
    assert refused(project, "INSERT INTO players (name, team_id) VALUES ('x', 99)")
    run_sql(project, "DELETE FROM teams WHERE id = 2")
    assert rows(project, "SELECT name FROM players") == [("q",)]
    change.rollback()
    assert _fk_target(project) == []
    assert not refused(project, "INSERT INTO players (name, team_id) VALUES ('x', 99)")


def test_foreign_key_column_added(project: ProjectDir) -> None:
    before = PLAYER.replace(
        '    team_id = Field.ForeignKey("Team", on_delete="CASCADE", nullable=True)\n', ""
    )
    change = Change(project, before, [*TEAMS, "INSERT INTO players (name) VALUES ('p')"])
    made = change.make(PLAYER)
    assert "+ add column players.team_id" in made.out
    change.not_flagged(made)
    change.migrate()
    assert rows(project, "SELECT name, team_id FROM players") == [("p", None)]
    assert _fk_target(project) == [("teams", "team_id", "id", "CASCADE")]
    change.rollback()


def test_foreign_key_dropped(project: ProjectDir) -> None:
    after = PLAYER.replace(
        'Field.ForeignKey("Team", on_delete="CASCADE", nullable=True)', "Field.BigInteger()"
    )
    change = Change(
        project, PLAYER, [*TEAMS, "INSERT INTO players (name, team_id) VALUES ('p', 1)"]
    )
    made = change.make(after)
    assert "- drop foreign key players.team_id -> teams.id" in made.out
    assert "- drop index idx_players_team_id on players" in made.out
    change.statements(
        sqlite=[],
        postgresql=["ALTER TABLE players DROP CONSTRAINT fk_players_team_id"],
        mysql=["DROP FOREIGN KEY fk_players_team_id"],
    )
    change.migrate()
    assert _fk_target(project) == []
    run_sql(project, "DELETE FROM teams WHERE id = 1")
    assert rows(project, "SELECT name, team_id FROM players") == [("p", 1)]
    run_sql(project, "INSERT INTO teams (id, label) VALUES (1, 'red')")
    change.rollback()
    assert _fk_target(project) == [("teams", "team_id", "id", "CASCADE")]


def test_foreign_key_changes_target(project: ProjectDir) -> None:
    change = Change(
        project, PLAYER, [*TEAMS, "INSERT INTO players (name, team_id) VALUES ('p', 1)"]
    )
    made = change.make(PLAYER.replace('ForeignKey("Team"', 'ForeignKey("Club"'))
    assert "- drop foreign key players.team_id -> teams.id" in made.out
    assert "+ add foreign key players.team_id -> clubs.id ON DELETE CASCADE" in made.out
    change.statements(
        sqlite=["team_id INTEGER REFERENCES clubs(id) ON DELETE CASCADE"],
        postgresql=["FOREIGN KEY (team_id) REFERENCES clubs (id) ON DELETE CASCADE"],
        mysql=["DROP FOREIGN KEY fk_players_team_id", "REFERENCES clubs (id) ON DELETE CASCADE"],
    )
    change.migrate()
    assert _fk_target(project) == [("clubs", "team_id", "id", "CASCADE")]
    run_sql(project, "DELETE FROM teams")
    assert rows(project, "SELECT name, team_id FROM players") == [("p", 1)]
    run_sql(project, "INSERT INTO teams (id, label) VALUES (1, 'red'), (2, 'blue')")
    change.rollback()
    assert _fk_target(project) == [("teams", "team_id", "id", "CASCADE")]


def test_foreign_key_target_that_rows_break_fails_and_changes_nothing(
    project: ProjectDir,
) -> None:
    change = Change(
        project, PLAYER, [*TEAMS, "INSERT INTO players (name, team_id) VALUES ('p', 2)"]
    )
    change.make(PLAYER.replace('ForeignKey("Team"', 'ForeignKey("Club"'))
    if project.transactional_ddl:
        change.refuses_to_migrate("foreign key", "players")
    else:
        # MySQL cannot drop and add a key of one name in one statement: the drop commits
        # on its own, the new key is refused, and the migration is recorded as failed.
        result = project.run("migrate")
        assert result.code == 1 and "Traceback" not in result.err
        assert "foreign key" in result.err and "recorded as failed" in result.err
        assert "DROP FOREIGN KEY fk_players_team_id" in result.err
        assert _fk_target(project) == []
        assert "[!] 0002_change (failed)" in project.ok("migrate", "--status").out
    assert rows(project, "SELECT name, team_id FROM players") == [("p", 2)]


def test_foreign_key_changes_on_delete(project: ProjectDir) -> None:
    change = Change(
        project,
        PLAYER,
        [*TEAMS, "INSERT INTO players (name, team_id) VALUES ('p', 1), ('q', 2), ('r', 1)"],
    )
    made = change.make(PLAYER.replace('on_delete="CASCADE"', 'on_delete="SET NULL"'))
    assert "+ add foreign key players.team_id -> teams.id ON DELETE SET NULL" in made.out
    change.statements(
        sqlite=["team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL"],
        postgresql=["REFERENCES teams (id) ON DELETE SET NULL"],
        mysql=["REFERENCES teams (id) ON DELETE SET NULL"],
    )
    change.not_flagged(made)
    change.migrate()
    assert rows(project, "SELECT name, team_id FROM players ORDER BY id") == [
        ("p", 1),
        ("q", 2),
        ("r", 1),
    ]
    run_sql(project, "DELETE FROM teams WHERE id = 1")
    assert rows(project, "SELECT name, team_id FROM players ORDER BY id") == [
        ("p", None),
        ("q", 2),
        ("r", None),
    ]
    change.rollback()
    assert _fk_target(project) == [("teams", "team_id", "id", "CASCADE")]
    run_sql(project, "DELETE FROM teams WHERE id = 2")
    assert rows(project, "SELECT name, team_id FROM players ORDER BY id") == [
        ("p", None),
        ("r", None),
    ]


def test_rebuilding_a_parent_keeps_every_child_row(project: ProjectDir) -> None:
    change = Change(
        project,
        PLAYER,
        [*TEAMS, "INSERT INTO players (name, team_id) VALUES ('p', 1), ('q', 2)"],
    )
    change.make(
        PLAYER.replace(
            "class Team(Model):\n    label = Field.String(max_length=40)",
            'class Team(Model):\n    label = Field.String(max_length=40, default="?")',
        )
    )
    change.migrate()
    assert rows(project, "SELECT name, team_id FROM players ORDER BY id") == [("p", 1), ("q", 2)]
    change.rollback()
    assert rows(project, "SELECT name, team_id FROM players ORDER BY id") == [("p", 1), ("q", 2)]


# -- checks ----------------------------------------------------------------------------------

CHECKED = """
class Account(Model):
    __checks__ = []
    balance = Field.Integer(nullable=False, default=0)
"""


def test_check_added_and_dropped(project: ProjectDir) -> None:
    change = Change(project, CHECKED, ["INSERT INTO accounts (balance) VALUES (10), (0)"])
    with_check = CHECKED.replace("[]", '[Check("balance >= 0", name="balance_not_negative")]')
    made = change.make(with_check)
    assert "+ add check balance_not_negative on accounts" in made.out
    change.statements(
        sqlite=["CONSTRAINT balance_not_negative CHECK (balance >= 0)"],
        postgresql=[
            "ALTER TABLE accounts ADD CONSTRAINT balance_not_negative CHECK (balance >= 0)"
        ],
        mysql=["ALTER TABLE accounts ADD CONSTRAINT balance_not_negative CHECK (balance >= 0)"],
    )
    change.migrate()
    assert refused(project, "INSERT INTO accounts (balance) VALUES (-1)")
    change.rollback()
    assert not refused(project, "INSERT INTO accounts (balance) VALUES (-1)")
    run_sql(project, "DELETE FROM accounts WHERE balance < 0")

    project.ok("migrate")
    project.model("models", CHECKED)
    dropped = project.ok("make", "migration", "drop_check")
    assert "- drop check balance_not_negative on accounts" in dropped.out
    project.ok("migrate")
    assert causes(project) == (0, set())
    assert not refused(project, "INSERT INTO accounts (balance) VALUES (-1)")
    run_sql(project, "DELETE FROM accounts WHERE balance < 0")
    project.ok("migrate", "--rollback")
    assert refused(project, "INSERT INTO accounts (balance) VALUES (-1)")
    assert rows(project, "SELECT balance FROM accounts ORDER BY id") == [(10,), (0,)]


def test_check_added_over_rows_that_break_it_fails_and_changes_nothing(
    project: ProjectDir,
) -> None:
    change = Change(project, CHECKED, ["INSERT INTO accounts (balance) VALUES (-3)"])
    change.make(CHECKED.replace("[]", '[Check("balance >= 0")]'))
    change.refuses_to_migrate("0002_change")


# -- renames ---------------------------------------------------------------------------------

PHONE = USER + "    phone = Field.String(max_length=30, index=True)\n"
MOBILE = USER + "    mobile = Field.String(max_length=30, index=True{hint})\n"
SEED_PHONES = [USERS, "UPDATE users SET phone = '555-' || id"]


def _renamed_column(change: Change, project: ProjectDir, made: Result) -> None:
    assert "~ rename column users.phone to mobile" in made.out
    assert "drop column" not in made.out and "data loss" not in made.err
    change.statements(
        sqlite=["ALTER TABLE users RENAME COLUMN phone TO mobile"],
        postgresql=["ALTER TABLE users RENAME COLUMN phone TO mobile"],
        mysql=["ALTER TABLE users RENAME COLUMN phone TO mobile"],
    )
    change.migrate()
    assert rows(project, "SELECT email, mobile FROM users ORDER BY id") == [
        ("ann@example.com", "555-1"),
        ("bo@example.com", "555-2"),
    ]
    change.rollback()
    assert rows(project, "SELECT phone FROM users ORDER BY id") == [("555-1",), ("555-2",)]


def test_rename_column_from_renamed_from(project: ProjectDir) -> None:
    change = Change(project, PHONE, SEED_PHONES)
    made = change.make(MOBILE.format(hint=', renamed_from="phone"'))
    _renamed_column(change, project, made)


def test_rename_column_from_the_command_line(project: ProjectDir) -> None:
    change = Change(project, PHONE, SEED_PHONES)
    made = change.make(MOBILE.format(hint=""), "--rename", "users.phone=mobile")
    _renamed_column(change, project, made)


def test_rename_column_asked_on_a_terminal(project: ProjectDir) -> None:
    change = Change(project, PHONE, SEED_PHONES)
    project.model("models", MOBILE.format(hint=""))
    code, shown = on_terminal(
        project,
        "make",
        "migration",
        "change",
        answers=[("Did you rename users.phone to users.mobile? [y/N]", "y")],
    )
    assert code == 0, shown
    change.adopt_file()
    _renamed_column(change, project, Result(code, shown, ""))


def test_rename_column_denied_on_a_terminal(project: ProjectDir) -> None:
    change = Change(project, PHONE, SEED_PHONES)
    project.model("models", MOBILE.format(hint=""))
    code, shown = on_terminal(
        project,
        "make",
        "migration",
        "change",
        answers=[("Did you rename users.phone to users.mobile? [y/N]", "n")],
    )
    assert code == 0, shown
    assert "- drop column users.phone" in shown and "+ add column users.mobile" in shown
    assert "data loss: dropping column users.phone deletes its values" in shown
    change.adopt_file()
    change.migrate()
    assert rows(project, "SELECT mobile FROM users") == [(None,), (None,)]


def test_drop_and_add_off_a_terminal_warns_of_a_possible_rename(project: ProjectDir) -> None:
    change = Change(project, PHONE, SEED_PHONES)
    made = change.make(MOBILE.format(hint=""))
    assert "- drop column users.phone" in made.out and "+ add column users.mobile" in made.out
    assert "if this was a rename" in made.err
    assert "--rename users.phone=mobile" in made.err
    change.flagged(made, "dropping column users.phone deletes its values")
    change.migrate()
    assert rows(project, "SELECT mobile FROM users") == [(None,), (None,)]
    change.rollback()


def test_db_column_change_on_the_same_attribute_is_a_rename(project: ProjectDir) -> None:
    change = Change(project, PHONE, SEED_PHONES)
    made = change.make(PHONE.replace("index=True)", 'index=True, db_column="mobile")'))
    assert "if this was a rename" not in made.err
    _renamed_column(change, project, made)


RENAMED_TABLE = USER.replace(
    "class User(Model):", 'class Member(Model):\n    __renamed_from__ = "users"'
)
CHILD = """

class Post(Model):
    author_id = Field.ForeignKey("{parent}", on_delete="CASCADE")
    title = Field.String(max_length=40)
"""


def _renamed_table(change: Change, project: ProjectDir, made: Result) -> None:
    assert "~ rename table users to members" in made.out
    assert "drop table" not in made.out and "data loss" not in made.err
    change.statements(
        sqlite=["ALTER TABLE users RENAME TO members"],
        postgresql=["ALTER TABLE users RENAME TO members"],
        mysql=["RENAME TABLE users TO members"],
    )
    change.migrate()
    assert rows(project, "SELECT email FROM members ORDER BY id") == [
        ("ann@example.com",),
        ("bo@example.com",),
    ]
    assert rows(project, "SELECT author_id, title FROM posts") == [(2, "hello")]
    assert refused(project, "INSERT INTO posts (author_id, title) VALUES (9, 'x')")
    run_sql(project, "DELETE FROM members WHERE id = 2")
    assert rows(project, "SELECT * FROM posts") == []
    run_sql(
        project,
        "INSERT INTO members (id, email, name) VALUES (2, 'bo@example.com', 'Bo')",
        "INSERT INTO posts (author_id, title) VALUES (2, 'hello')",
    )
    change.rollback()
    assert rows(project, "SELECT email FROM users ORDER BY id") == [
        ("ann@example.com",),
        ("bo@example.com",),
    ]
    assert refused(project, "INSERT INTO posts (author_id, title) VALUES (9, 'x')")


TABLE_SEED = [USERS, "INSERT INTO posts (author_id, title) VALUES (2, 'hello')"]


def test_rename_table_from_renamed_from(project: ProjectDir) -> None:
    change = Change(project, USER + CHILD.format(parent="User"), TABLE_SEED)
    made = change.make(RENAMED_TABLE + CHILD.format(parent="Member"))
    _renamed_table(change, project, made)


def test_rename_table_from_the_command_line(project: ProjectDir) -> None:
    change = Change(project, USER + CHILD.format(parent="User"), TABLE_SEED)
    plain = USER.replace("class User", "class Member")
    made = change.make(plain + CHILD.format(parent="Member"), "--rename-table", "users=members")
    _renamed_table(change, project, made)


def test_rename_table_asked_on_a_terminal(project: ProjectDir) -> None:
    change = Change(project, USER + CHILD.format(parent="User"), TABLE_SEED)
    project.model(
        "models", USER.replace("class User", "class Member") + CHILD.format(parent="Member")
    )
    code, shown = on_terminal(
        project,
        "make",
        "migration",
        "change",
        answers=[("Did you rename table users to members? [y/N]", "yes")],
    )
    assert code == 0, shown
    change.adopt_file()
    _renamed_table(change, project, Result(code, shown, ""))


def test_rename_table_and_its_column_together(project: ProjectDir) -> None:
    change = Change(project, PHONE, SEED_PHONES)
    after = MOBILE.format(hint=', renamed_from="phone"').replace(
        "class User(Model):", 'class Member(Model):\n    __renamed_from__ = "users"'
    )
    made = change.make(after)
    assert "~ rename table users to members" in made.out
    assert "~ rename column members.phone to mobile" in made.out
    change.migrate()
    assert rows(project, "SELECT mobile FROM members ORDER BY id") == [("555-1",), ("555-2",)]
    change.rollback()
    assert rows(project, "SELECT phone FROM users ORDER BY id") == [("555-1",), ("555-2",)]


# -- changes that alter no SQL ---------------------------------------------------------------

PYTHON_ONLY = [
    (
        "fields reordered",
        """
class User(Model):
    name = Field.String(max_length=100)
    email = Field.String(max_length=255, nullable=False)
""",
    ),
    (
        "a method, a docstring and a class attribute",
        '''
class User(Model):
    """People who sign in."""

    greeting = "hello"
    email = Field.String(max_length=255, nullable=False)
    name = Field.String(max_length=100)

    def shout(self) -> str:
        return str(self.name).upper()
''',
    ),
    (
        "class renamed, table name kept",
        """
class Person(Model):
    __tablename__ = "users"
    email = Field.String(max_length=255, nullable=False)
    name = Field.String(max_length=100)
""",
    ),
    (
        "attribute renamed, column kept",
        """
class User(Model):
    email = Field.String(max_length=255, nullable=False)
    full_name = Field.String(max_length=100, db_column="name")
""",
    ),
    (
        "nullable and index said out loud",
        """
class User(Model):
    __indexes__ = []
    __checks__ = []
    email = Field.String(max_length=255, nullable=False, unique=False, index=False)
    name = Field.String(max_length=100, nullable=True, default=None)
""",
    ),
    (
        "a rename hint left in after its migration",
        """
class User(Model):
    email = Field.String(max_length=255, nullable=False, renamed_from="mail")
    name = Field.String(max_length=100)
""",
    ),
]


@pytest.mark.parametrize(("what", "source"), PYTHON_ONLY, ids=[w for w, _ in PYTHON_ONLY])
def test_a_change_that_alters_no_sql_makes_no_migration(
    project: ProjectDir, what: str, source: str
) -> None:
    project.model("models", USER)
    project.ok("make", "migration", "initial")
    project.model("models", source)
    result = project.ok("make", "migration", "nothing")
    assert "No changes detected" in result.out, what
    assert project.files() == ["0001_initial.py"]
    assert project.run("check", "--offline").code == 0


def test_reordered_indexes_and_checks_make_no_migration(project: ProjectDir) -> None:
    first = CHECKED.replace(
        "[]",
        '[Check("balance >= 0"), Check("balance < 1000000", name="cap")]\n'
        '    __indexes__ = [Index("balance"), Index("owner", "balance")]\n'
        "    owner = Field.Integer()",
    )
    project.model("models", first)
    project.ok("make", "migration", "initial")
    second = CHECKED.replace(
        "[]",
        '[Check("balance < 1000000", name="cap"), Check("balance >= 0")]\n'
        '    __indexes__ = [Index("owner", "balance", name="idx_accounts_owner_balance"), '
        'Index("balance")]\n'
        "    owner = Field.Integer()",
    )
    project.model("models", second)
    assert "No changes detected" in project.ok("make", "migration", "nothing").out


def test_a_renamed_table_keeps_no_trace_of_its_old_name(project: ProjectDir) -> None:
    change = Change(project, USER, [USERS])
    change.make(RENAMED_TABLE)
    change.migrate()
    renamed = schema_of(project)
    project.model("models", "")
    project.ok("make", "migration", "drop_members")
    project.ok("migrate")
    project.ok("migrate", "--rollback")
    assert schema_of(project) == renamed


def test_make_migration_sees_a_model_edit_made_in_the_same_second(project: ProjectDir) -> None:
    """A .pyc records its source's modification time in whole seconds and its size: an
    edit that keeps both must still be seen."""
    project.model("models", USER)
    path = project.root / "src" / "models" / "models.py"
    os.utime(path, (1_700_000_000, 1_700_000_000))
    env = {"PYTHONDONTWRITEBYTECODE": ""}
    assert project.run("make", "migration", "initial", env=env).code == 0
    project.model("models", USER.replace("max_length=100", "max_length=200"))
    os.utime(path, (1_700_000_000, 1_700_000_000))
    made = project.run("make", "migration", "wider_name", env=env)
    assert made.code == 0 and "~ alter column users.name (max_length)" in made.out, made.out


def test_rename_onto_the_name_of_a_dropped_column_is_refused_with_the_way_out(
    project: ProjectDir,
) -> None:
    """Dropping ``stamp`` and renaming ``amount`` to ``stamp`` in one change is not done
    as a rename (the hint is reported as ignored); two migrations do it."""
    before = "class Item(Model):\n    stamp = Field.Text()\n    amount = Field.Integer()\n"
    change = Change(project, before, ["INSERT INTO items (stamp, amount) VALUES ('a', 5)"])
    renamed = "class Item(Model):\n    stamp = Field.Integer(renamed_from='amount')\n"
    made = change.make(renamed)
    assert "rename of items.amount to stamp ignored" in made.err
    assert "in a migration of its own first" in made.err
    (project.migrations / CHANGE).unlink()
    project.model("models", "class Item(Model):\n    amount = Field.Integer()\n")
    assert "- drop column items.stamp" in project.ok("make", "migration", "drop_stamp").out
    project.model("models", renamed)
    made = project.ok("make", "migration", "rename_amount")
    assert "~ rename column items.amount to stamp" in made.out and "ignored" not in made.err
    project.ok("migrate")
    assert causes(project) == (0, set())
    assert rows(project, "SELECT stamp FROM items") == [(5,)]
    project.ok("migrate", "--rollback")
    assert schema_of(project) == change.before
    assert rows(project, "SELECT stamp, amount FROM items") == [(None, 5)]


def test_rename_a_table_onto_the_name_of_a_dropped_table_is_refused_with_the_way_out(
    project: ProjectDir,
) -> None:
    alpha = 'class Alpha(Model):\n    __tablename__ = "alpha"\n    x = Field.Integer()\n'
    beta = 'class Beta(Model):\n    __tablename__ = "beta"\n    y = Field.Integer()\n'
    seed = ["INSERT INTO alpha (x) VALUES (5)", "INSERT INTO beta (y) VALUES (6)"]
    change = Change(project, alpha + "\n\n" + beta, seed)
    renamed = (
        'class Beta(Model):\n    __tablename__ = "beta"\n    __renamed_from__ = "alpha"\n'
        "    x = Field.Integer()\n"
    )
    made = change.make(renamed)
    assert "rename of table alpha to beta ignored" in made.err
    assert "in a migration of its own first" in made.err
    (project.migrations / CHANGE).unlink()
    project.model("models", alpha)
    assert "- drop table beta" in project.ok("make", "migration", "drop_beta").out
    project.model("models", renamed)
    made = project.ok("make", "migration", "rename_alpha")
    assert "~ rename table alpha to beta" in made.out and "ignored" not in made.err
    project.ok("migrate")
    assert causes(project) == (0, set())
    assert rows(project, "SELECT x FROM beta") == [(5,)]
    project.ok("migrate", "--rollback")
    assert schema_of(project) == change.before
    assert rows(project, "SELECT x FROM alpha") == [(5,)]


def test_down_of_a_nullable_change_tells_the_truth_about_nulls(project: ProjectDir) -> None:
    before = AGES.replace("Field.Integer()", "Field.Integer(nullable=False)")
    change = Change(project, before)
    change.make(AGES)
    assert "one-off value given" not in change.down


def test_new_not_null_column_without_default_asks_for_a_one_off_value(
    project: ProjectDir,
) -> None:
    change = Change(project, USER, [USERS])
    after = USER + "    country = Field.String(max_length=2, nullable=False)\n"
    project.model("models", after)
    refused_run = project.run("make", "migration", "change")
    assert (
        refused_run.code == 1 and "users.country is NOT NULL without a default" in refused_run.err
    )
    assert project.files() == ["0001_initial.py"]
    code, shown = on_terminal(
        project, "make", "migration", "change", answers=[("leave empty to stop", "'NL'")]
    )
    assert code == 0, shown
    assert "+ add column users.country" in shown
    change.adopt_file()
    change.migrate()
    assert rows(project, "SELECT email, country FROM users ORDER BY id") == [
        ("ann@example.com", "NL"),
        ("bo@example.com", "NL"),
    ]
    # The one-off value filled the existing rows; it is no default for new ones.
    assert refused(project, "INSERT INTO users (email) VALUES ('cy@example.com')")
    change.rollback()
    assert db.columns(project.database, "users") == ["id", "email", "name"]


# -- order of dependent changes ----------------------------------------------------------------

CYCLE = """
class Author(Model):
    name = Field.String(max_length=40)
    favourite_id = Field.ForeignKey("Book", on_delete="SET NULL", nullable=True)


class Book(Model):
    title = Field.String(max_length=40)
    author_id = Field.ForeignKey("Author", on_delete="CASCADE")
"""


def test_tables_that_refer_to_each_other_come_and_go_in_one_migration(
    project: ProjectDir,
) -> None:
    change = Change(project, USER, [USERS])
    made = change.make(USER + CYCLE + '    owner_id = Field.ForeignKey("User", nullable=True)\n')
    assert "+ create table authors" in made.out and "+ create table books" in made.out
    change.migrate()
    run_sql(
        project,
        "INSERT INTO authors (name) VALUES ('Le Guin')",
        "INSERT INTO books (title, author_id, owner_id) VALUES ('Earthsea', 1, 2)",
        "UPDATE authors SET favourite_id = 1",
    )
    run_sql(project, "DELETE FROM authors")
    assert rows(project, "SELECT * FROM books") == []
    change.rollback()
    assert {"authors", "books"} & db.tables(project.database) == set()

    project.ok("migrate")
    run_sql(
        project,
        "INSERT INTO authors (name) VALUES ('Le Guin')",
        "INSERT INTO books (title, author_id, owner_id) VALUES ('Earthsea', 1, 1)",
        "UPDATE authors SET favourite_id = 1",
    )
    with_cycle = schema_of(project)
    project.model("models", USER)
    dropped = project.ok("make", "migration", "drop_both")
    assert "- drop table authors" in dropped.out and "- drop table books" in dropped.out
    project.ok("migrate")
    assert causes(project) == (0, set())
    assert schema_of(project) == change.before
    project.ok("migrate", "--rollback")
    assert schema_of(project) == with_cycle
    assert rows(project, "SELECT email FROM users ORDER BY id") == [
        ("ann@example.com",),
        ("bo@example.com",),
    ]


# -- names that need quoting -----------------------------------------------------------------

AWKWARD = """
class Weird(Model):
    __tablename__ = "user data"
    __indexes__ = [Index("select", "it's")]
    sel = Field.Integer(db_column="select", index=True)
    q = Field.String(max_length=10, db_column="it's")
    status = Field.Enum(["o'k", "no;pe"], default="o'k")
"""


def test_awkward_names_through_a_rename_an_alter_and_new_indexes(project: ProjectDir) -> None:
    seed = (
        """INSERT INTO "user data" ("select", "it's", status) """
        "VALUES (7, 'a', 'no;pe'), (NULL, NULL, 'o''k')"
    )
    change = Change(project, AWKWARD, [seed])
    after = (
        AWKWARD.replace('Index("select"', 'Index("from"')
        .replace(
            'Field.Integer(db_column="select", index=True)',
            'Field.BigInteger(db_column="from", renamed_from="select", index=True, '
            "nullable=False, default=1)",
        )
        .replace("max_length=10", "max_length=20")
        .replace('"no;pe"]', '"no;pe", \'say "x"\']')
    )
    made = change.make(after)
    assert "~ rename column user data.select to from" in made.out
    change.statements(
        sqlite=['RENAME COLUMN "select" TO "from"', 'COALESCE("from", 1)'],
        postgresql=[
            'RENAME COLUMN "select" TO "from"',
            'UPDATE "user data" SET "from" = 1 WHERE "from" IS NULL',
        ],
        mysql=[
            "RENAME COLUMN `select` TO `from`",
            "UPDATE `user data` SET `from` = 1 WHERE `from` IS NULL",
        ],
    )
    change.migrate()
    assert rows(project, 'SELECT "from", "it\'s", status FROM "user data" ORDER BY id') == [
        (7, "a", "no;pe"),
        (1, None, "o'k"),
    ]
    assert not refused(project, """INSERT INTO "user data" (status) VALUES ('say "x"')""")
    run_sql(project, """DELETE FROM "user data" WHERE status = 'say "x"'""")
    change.rollback()
    assert rows(project, 'SELECT "select", "it\'s", status FROM "user data" ORDER BY id') == [
        (7, "a", "no;pe"),
        (1, None, "o'k"),
    ]
