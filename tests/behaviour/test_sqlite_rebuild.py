"""SQLite migrations on real files: rows, children, triggers, views and counters survive
table rebuilds, up then down restores the schema exactly, batches and the lock hold."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemashift.dialects import parse_url
from schemashift.dialects.sqlite import DIALECT
from schemashift.dialects.sqlite.connection import SQLiteConnection
from schemashift.diff.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AlterColumn,
    CreateTable,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropTable,
    Operation,
    RenameColumn,
    RenameTable,
    apply_all,
    reverse_all,
)
from schemashift.errors import DatabaseError, LockTimeout, MigrationFailed
from schemashift.migrations.body import render_body
from schemashift.runtime.connection import MigrationConnection
from schemashift.schema.record import replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table
from schemashift.url import DatabaseURL
from tests.support import unprivileged

ROWS = 10_000
ID = Column("id", "biginteger", nullable=False, primary_key=True, autoincrement=True)


# --- helpers ----------------------------------------------------------------------------


def database_url(folder: Path, name: str = "db.sqlite3") -> DatabaseURL:
    return parse_url(f"sqlite:///{name}", folder)


@pytest.fixture
def url(tmp_path: Path) -> DatabaseURL:
    return database_url(tmp_path)


@pytest.fixture
def conn(url: DatabaseURL) -> Iterator[SQLiteConnection]:
    connection = DIALECT.connect(url)
    assert isinstance(connection, SQLiteConnection)
    yield connection
    connection.close()


def migrate(conn: SQLiteConnection, operations: Sequence[Operation], before: Schema) -> Schema:
    """Render ``operations`` into a migration body, run it as ``up(conn)`` inside a batch,
    and return the schema after them."""
    body = render_body(DIALECT.render(operations, before))
    namespace: dict[str, Any] = {}
    exec(f"def up(conn):\n{body}\n", namespace)
    with DIALECT.batch(conn):
        namespace["up"](MigrationConnection(conn, "sqlite"))
    return apply_all(before, list(operations))


def up_and_down(conn: SQLiteConnection, operations: Sequence[Operation], before: Schema) -> Schema:
    """Run ``operations`` and then their reverse; return the schema in between."""
    after = migrate(conn, operations, before)
    assert DIALECT.introspect(conn) == DIALECT.comparable(after)
    restored = migrate(conn, reverse_all(list(operations)), after)
    assert DIALECT.introspect(conn) == DIALECT.comparable(restored)
    assert column_order_free(restored, operations) == column_order_free(before, operations)
    return after


def fingerprint(conn: SQLiteConnection, table: str, columns: Sequence[str]) -> tuple[int, str]:
    """Row count and an ordered hash of the values (with their storage classes)."""
    q = DIALECT.quote
    selected = ", ".join(f"{q(c)}, typeof({q(c)})" for c in columns)
    digest = hashlib.sha256()
    count = 0
    for row in conn.execute(f"SELECT {selected} FROM {q(table)} ORDER BY rowid"):
        digest.update(repr(tuple(row)).encode())
        count += 1
    return count, digest.hexdigest()


def column_order_free(schema: Schema, operations: Sequence[Operation]) -> Schema:
    """``schema`` with its columns sorted when ``operations`` drop one: the down() of a
    dropped column adds it back, and ADD COLUMN can only append."""
    if not any(isinstance(op, DropColumn) for op in operations):
        return schema
    return Schema.of(
        t.with_(columns=tuple(sorted(t.columns, key=lambda c: c.name)))
        for t in schema.tables.values()
    )


# --- a table full of awkward values ------------------------------------------------------

OWNERS = Table("owners", (ID, Column("label", "text")))
ITEM_COLUMNS = (
    ID,
    Column("name", "string", max_length=50),
    Column("code", "string", nullable=False, max_length=20),
    Column("big", "biginteger"),
    Column("ratio", "float"),
    Column("payload", "binary"),
    Column("note", "text", default="'none'"),
    Column("score", "integer"),
    Column("status", "enum", default="'new'", choices=("new", "old")),
    Column("select", "integer"),
    Column('odd "name"', "text"),
    Column("owner_id", "biginteger"),
)
OWNER_FK = ForeignKey("fk_items_owner_id", "owner_id", "owners", "id", "SET NULL")
ITEMS = Table(
    "items",
    ITEM_COLUMNS,
    indexes=(
        Index("idx_items_score", ("score",)),
        Index("uq_items_code", ("code",), unique=True),
        Index("idx_items_owner_id", ("owner_id",)),
    ),
    foreign_keys=(OWNER_FK,),
    checks=(Check("ratio_finite", "ratio IS NULL OR ratio < 1e309"),),
)
TEXTS = ["héllo wörld ✓ 🎉", "it's", 'say "hi"', "back\\slash", "", "line\nbreak", "名前", None]
BIGS = [2**63 - 1, -(2**63), 0, 1, None, 2**53 + 1]
FLOATS = [0.1, -1.5e300, 3.141592653589793, 1e-300, None, 2.0]
BLOBS = [b"", b"\x00\xff\x00", bytes(range(256)), None, "blob ✓ as text".encode("utf-16")]


def fill_items(conn: SQLiteConnection, rows: int = ROWS) -> None:
    conn.execute("BEGIN")
    conn.raw.executemany(
        "INSERT INTO owners (label) VALUES (?)", [(f"owner {i}",) for i in range(10)]
    )
    conn.raw.executemany(
        'INSERT INTO items (name, code, big, ratio, payload, note, score, status, "select", '
        '"odd ""name""", owner_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
            (
                TEXTS[i % len(TEXTS)],
                f"code-{i}",
                BIGS[i % len(BIGS)],
                FLOATS[i % len(FLOATS)],
                BLOBS[i % len(BLOBS)],
                TEXTS[(i * 7) % len(TEXTS)],
                None if i % 3 == 0 else i,
                "old" if i % 2 else "new",
                i * 11,
                TEXTS[(i * 5) % len(TEXTS)],
                None if i % 4 == 0 else 1 + i % 10,
            )
            for i in range(rows)
        ],
    )
    conn.execute("COMMIT")


@pytest.fixture
def items(conn: SQLiteConnection) -> Schema:
    schema = migrate(conn, [CreateTable(OWNERS), CreateTable(ITEMS)], Schema())
    fill_items(conn)
    return schema


def col(name: str) -> Column:
    found = ITEMS.column(name)
    assert found is not None
    return found


# Each case: the operations, and the columns whose values they change or lose.
REBUILDS: dict[str, tuple[list[Operation], set[str]]] = {
    "type": ([AlterColumn("items", col("note"), replace(col("note"), kind="json"))], set()),
    "type with cast": (
        [AlterColumn("items", col("select"), replace(col("select"), kind="text"))],
        {"select"},
    ),
    "not null with fill": (
        [AlterColumn("items", col("score"), replace(col("score"), nullable=False), fill="0")],
        {"score"},
    ),
    "default": (
        [AlterColumn("items", col("note"), replace(col("note"), default="'n/a'"))],
        set(),
    ),
    "unique": (
        [AlterColumn("items", col("select"), replace(col("select"), unique=True))],
        set(),
    ),
    "enum values": (
        [
            AlterColumn(
                "items", col("status"), replace(col("status"), choices=("new", "old", "gone"))
            )
        ],
        set(),
    ),
    "drop foreign key": ([DropForeignKey("items", OWNER_FK)], set()),
    "on delete": (
        [
            DropForeignKey("items", OWNER_FK),
            AddForeignKey("items", replace(OWNER_FK, on_delete="CASCADE")),
        ],
        set(),
    ),
    "add check": ([AddCheck("items", Check("score_small", "score < 1000000"))], set()),
    "drop check": ([DropCheck("items", ITEMS.checks[0])], set()),
    "drop indexed column": (
        [DropIndex("items", ITEMS.indexes[0]), DropColumn("items", col("score"))],
        {"score"},
    ),
    "add column with fill": (
        [AddColumn("items", Column("rank", "integer", nullable=False), fill="7")],
        set(),
    ),
    "two changes": (
        [
            AlterColumn("items", col("ratio"), replace(col("ratio"), default="0.5")),
            AlterColumn("items", col("name"), replace(col("name"), kind="text", max_length=None)),
        ],
        set(),
    ),
}


@pytest.mark.parametrize("case", REBUILDS, ids=list(REBUILDS))
def test_rebuild_keeps_every_row(conn: SQLiteConnection, items: Schema, case: str) -> None:
    operations, changed = REBUILDS[case]
    kept = [c.name for c in ITEMS.columns if c.name not in changed]
    before_rows = fingerprint(conn, "items", kept)
    owners_rows = fingerprint(conn, "owners", ["id", "label"])
    before_schema = DIALECT.introspect(conn)
    assert before_rows[0] == ROWS

    after = migrate(conn, operations, items)
    assert DIALECT.introspect(conn) == DIALECT.comparable(after)
    assert fingerprint(conn, "items", kept) == before_rows

    migrate(conn, reverse_all(operations), after)
    assert fingerprint(conn, "items", kept) == before_rows
    assert fingerprint(conn, "owners", ["id", "label"]) == owners_rows
    assert column_order_free(DIALECT.introspect(conn), operations) == column_order_free(
        before_schema, operations
    )


def test_rebuild_converts_a_changed_kind(conn: SQLiteConnection, items: Schema) -> None:
    migrate(conn, [AlterColumn("items", col("select"), replace(col("select"), kind="text"))], items)
    assert conn.execute('SELECT DISTINCT typeof("select") FROM items').fetchall() == [("text",)]


def test_rebuild_fills_nulls(conn: SQLiteConnection, items: Schema) -> None:
    after = replace(col("score"), nullable=False)
    migrate(conn, [AlterColumn("items", col("score"), after, fill="-1")], items)
    assert conn.execute("SELECT count(*) FROM items WHERE score = -1").fetchone() == (
        ROWS // 3 + 1,
    )


# --- the cascade trap ---------------------------------------------------------------------

PARENTS = Table("parents", (ID, Column("name", "text")))
CHILD_COLUMNS = (ID, Column("parent_id", "biginteger"), Column("label", "text"))


def test_rebuilding_a_parent_never_touches_its_children(conn: SQLiteConnection) -> None:
    cascade = Table(
        "cascading",
        CHILD_COLUMNS,
        foreign_keys=(ForeignKey("fk_c", "parent_id", "parents", "id", "CASCADE"),),
    )
    nulling = Table(
        "nulling",
        CHILD_COLUMNS,
        foreign_keys=(ForeignKey("fk_n", "parent_id", "parents", "id", "SET NULL"),),
    )
    schema = migrate(
        conn, [CreateTable(PARENTS), CreateTable(cascade), CreateTable(nulling)], Schema()
    )
    conn.execute("BEGIN")
    for i in range(1, 101):
        conn.execute("INSERT INTO parents (name) VALUES (?)", (f"p{i}",))
        for child in ("cascading", "nulling"):
            conn.execute(f"INSERT INTO {child} (parent_id, label) VALUES (?, 'x')", (i,))
    conn.execute("COMMIT")
    children = {
        t: fingerprint(conn, t, ["id", "parent_id", "label"]) for t in ("cascading", "nulling")
    }

    name = PARENTS.columns[1]
    operations: list[Operation] = [
        AlterColumn("parents", name, replace(name, nullable=False), fill="''")
    ]
    after = migrate(conn, operations, schema)
    migrate(conn, reverse_all(operations), after)

    for table, rows in children.items():
        assert fingerprint(conn, table, ["id", "parent_id", "label"]) == rows
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    conn.execute("DELETE FROM parents WHERE id = 1")
    assert conn.execute("SELECT count(*) FROM cascading").fetchone() == (99,)
    assert conn.execute("SELECT count(*) FROM nulling WHERE parent_id IS NULL").fetchone() == (1,)


# --- triggers, views, hand-made indexes and the AUTOINCREMENT counter -----------------------


def test_triggers_views_and_the_counter_survive(conn: SQLiteConnection) -> None:
    notes = Table("notes", (ID, Column("body", "text"), Column("stars", "integer")))
    schema = migrate(conn, [CreateTable(notes)], Schema())
    hand_made = [
        "CREATE TABLE audit (note_id INTEGER, body TEXT)",
        "CREATE TRIGGER notes_audit AFTER INSERT ON notes BEGIN "
        "INSERT INTO audit VALUES (new.id, new.body); END",
        "CREATE VIEW starred AS SELECT id, body FROM notes WHERE stars > 2",
        "CREATE INDEX notes_body_by_hand ON notes (body)",
    ]
    for statement in hand_made:
        conn.execute(statement)
    for i in range(10):
        conn.execute("INSERT INTO notes (body, stars) VALUES (?, ?)", (f"n{i}", i))
    conn.execute("DELETE FROM notes WHERE id > 7")
    objects = conn.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall()
    view_rows = conn.execute("SELECT * FROM starred ORDER BY id").fetchall()

    stars = notes.columns[2]
    operations: list[Operation] = [AlterColumn("notes", stars, replace(stars, kind="float"))]
    after = migrate(conn, operations, schema)

    assert conn.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall() == objects
    assert conn.execute("SELECT * FROM starred ORDER BY id").fetchall() == view_rows
    conn.execute("INSERT INTO notes (body, stars) VALUES ('after', 5)")
    assert conn.execute("SELECT max(id) FROM notes").fetchone() == (11,)
    assert conn.execute("SELECT * FROM audit WHERE body = 'after'").fetchall() == [(11, "after")]

    migrate(conn, reverse_all(operations), after)
    assert conn.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall() == objects
    conn.execute("INSERT INTO notes (body, stars) VALUES ('after down', 5)")
    assert conn.execute("SELECT count(*) FROM audit").fetchone() == (12,)
    assert conn.execute("SELECT max(id) FROM notes").fetchone() == (12,)


# --- what only the live table has ------------------------------------------------------------

PEOPLE = Table(
    "people",
    (ID, Column("name", "text"), Column("email", "text"), Column("age", "integer")),
    checks=(Check("adult", "age >= 18"),),
)


def live_people(conn: SQLiteConnection, columns: str = "", constraints: str = "") -> Schema:
    """``people`` created by hand as PEOPLE plus extra ``columns`` and ``constraints``,
    holding two rows."""
    conn.execute(
        "CREATE TABLE people (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT COLLATE NOCASE, "
        f"email TEXT, age INTEGER{columns}, CONSTRAINT adult CHECK (age>=18){constraints})"
    )
    conn.execute("CREATE TABLE owners (id INTEGER PRIMARY KEY, label TEXT)")
    conn.execute("INSERT INTO owners VALUES (1, 'o')")
    conn.execute(
        "INSERT INTO people (name, email, age) VALUES ('Ann', 'a@x', 30), ('Bob', NULL, 40)"
    )
    return Schema.of([PEOPLE])


def people_sql(conn: SQLiteConnection) -> str:
    return str(conn.execute("SELECT sql FROM sqlite_master WHERE name = 'people'").fetchone()[0])


def test_a_rebuild_keeps_table_constraints_it_does_not_change(conn: SQLiteConnection) -> None:
    schema = live_people(
        conn, ", owner INTEGER", ", UNIQUE (name, email), FOREIGN KEY (owner) REFERENCES owners(id)"
    )
    conn.execute("UPDATE people SET owner = 1")
    email = PEOPLE.columns[2]
    migrate(conn, [AlterColumn("people", email, replace(email, default="'-'"))], schema)
    sql = people_sql(conn)
    assert "UNIQUE (name, email)" in sql and "FOREIGN KEY (owner) REFERENCES owners(id)" in sql
    assert "email TEXT DEFAULT '-'" in sql
    assert conn.execute("SELECT * FROM pragma_foreign_key_list('people')").fetchall() != []
    assert conn.execute("SELECT id, name, email, owner FROM people").fetchall() == [
        (1, "Ann", "a@x", 1),
        (2, "Bob", None, 1),
    ]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute("INSERT INTO people (name, email, age) VALUES ('ann', 'a@x', 20)")


def test_keys_written_as_table_constraints_change_with_their_column(
    conn: SQLiteConnection,
) -> None:
    # As other tools write them: every key a table constraint of its own.
    conn.execute("CREATE TABLE owners (id INTEGER PRIMARY KEY)")
    conn.execute(
        "CREATE TABLE accounts (id INTEGER NOT NULL, email TEXT COLLATE NOCASE, owner_id INTEGER, "
        "PRIMARY KEY (id), UNIQUE (email), FOREIGN KEY(owner_id) REFERENCES owners (id))"
    )
    conn.execute("INSERT INTO owners VALUES (1)")
    conn.execute("INSERT INTO accounts VALUES (5, 'a@x', 1), (9, 'b@x', NULL)")
    schema = DIALECT.introspect(conn)
    accounts = schema.tables["accounts"]
    key, email, _ = accounts.columns
    change: list[Operation] = [
        AlterColumn("accounts", key, replace(key, autoincrement=True)),
        AlterColumn("accounts", email, replace(email, unique=False)),
        DropForeignKey("accounts", accounts.foreign_keys[0]),
    ]
    after = migrate(conn, change, schema)
    assert DIALECT.introspect(conn) == DIALECT.comparable(after)
    assert conn.execute("SELECT * FROM accounts ORDER BY id").fetchall() == [
        (5, "a@x", 1),
        (9, "b@x", None),
    ]
    assert conn.execute("SELECT id FROM accounts WHERE email = 'A@X'").fetchall() == [(5,)]
    restored = migrate(conn, reverse_all(change), after)
    assert DIALECT.introspect(conn) == DIALECT.comparable(restored)


def test_a_changed_column_keeps_its_collation(conn: SQLiteConnection) -> None:
    schema = live_people(conn)
    name = PEOPLE.columns[1]
    change: list[Operation] = [
        AlterColumn("people", name, replace(name, nullable=False), fill="''"),
        # Written "age>=18" in the live table: found by its name.
        DropCheck("people", PEOPLE.checks[0]),
    ]
    migrate(conn, change, schema)
    assert "name TEXT NOT NULL COLLATE NOCASE" in people_sql(conn)
    assert "adult" not in people_sql(conn)
    assert conn.execute("SELECT id FROM people WHERE name = 'ANN'").fetchall() == [(1,)]


def test_rowids_survive_a_table_whose_key_is_not_the_rowid(conn: SQLiteConnection) -> None:
    code = Column("code", "text", nullable=False, primary_key=True)
    label = Column("label", "text")
    schema = migrate(conn, [CreateTable(Table("tags", (code, label)))], Schema())
    conn.execute("INSERT INTO tags (rowid, code, label) VALUES (10, 'a', 'x'), (20, 'b', 'y')")
    migrate(conn, [AlterColumn("tags", label, replace(label, default="'z'"))], schema)
    assert conn.execute("SELECT rowid, code FROM tags ORDER BY rowid").fetchall() == [
        (10, "a"),
        (20, "b"),
    ]


@pytest.mark.parametrize(
    ("extra", "hand_made", "in_the_way"),
    [
        ((", low TEXT AS (lower(email))", ""), (), "its column low"),
        (("", ", CHECK (email <> '')"), (), "its constraint CHECK (email <> '')"),
        (("", ""), ("CREATE INDEX by_email ON people (email)",), "index by_email"),
        (("", ""), ("CREATE VIEW mails AS SELECT p.email FROM people AS p",), "view mails"),
        (
            ("", ""),
            ("CREATE TABLE mail (e TEXT REFERENCES people(email))",),
            "a foreign key of table mail",
        ),
        (
            ("", ""),
            (
                "CREATE TABLE log (e TEXT)",
                "CREATE TRIGGER keep AFTER DELETE ON people BEGIN "
                "INSERT INTO log VALUES (old.email); END",
            ),
            "trigger keep",
        ),
    ],
)
def test_a_dropped_column_that_something_uses_is_refused(
    conn: SQLiteConnection, extra: tuple[str, str], hand_made: tuple[str, ...], in_the_way: str
) -> None:
    schema = live_people(conn, *extra)
    for statement in hand_made:
        conn.execute(statement)
    before = conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
    rows = conn.execute("SELECT * FROM people ORDER BY id").fetchall()
    email = PEOPLE.columns[2]
    with pytest.raises(MigrationFailed) as caught:
        migrate(
            conn,
            [
                AlterColumn("people", PEOPLE.columns[1], replace(PEOPLE.columns[1], default="'x'")),
                DropColumn("people", email),
            ],
            schema,
        )
    assert str(caught.value).startswith(
        f"Cannot rebuild table people: {in_the_way} uses column email, which this migration "
        "drops; drop or change it first"
    )
    assert conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall() == before
    assert conn.execute("SELECT * FROM people ORDER BY id").fetchall() == rows


def test_a_broken_view_elsewhere_does_not_hide_what_uses_a_dropped_column(
    conn: SQLiteConnection,
) -> None:
    schema = live_people(conn)
    conn.execute("CREATE TABLE gone (x)")
    conn.execute("CREATE VIEW broken AS SELECT x FROM gone")
    conn.execute("CREATE VIEW mails AS SELECT email FROM people")
    conn.execute("PRAGMA legacy_alter_table = ON")
    conn.execute("DROP TABLE gone")
    conn.execute("PRAGMA legacy_alter_table = OFF")
    age = PEOPLE.columns[3]
    drop_email = [DropCheck("people", PEOPLE.checks[0]), DropColumn("people", PEOPLE.columns[2])]
    with pytest.raises(MigrationFailed, match="view mails uses column email"):
        migrate(conn, drop_email, schema)
    after = migrate(
        conn, [DropCheck("people", PEOPLE.checks[0]), DropColumn("people", age)], schema
    )
    assert "age" not in people_sql(conn)
    assert conn.execute("SELECT email FROM mails ORDER BY email").fetchall() == [(None,), ("a@x",)]
    assert after.tables["people"].column("age") is None


def test_a_rebuild_refuses_changes_that_do_not_fit_the_live_table(
    conn: SQLiteConnection,
) -> None:
    schema = live_people(conn)
    conn.execute("ALTER TABLE people DROP COLUMN email")
    email = PEOPLE.columns[2]
    with pytest.raises(MigrationFailed, match="column email, which this migration changes, is not"):
        migrate(conn, [AlterColumn("people", email, replace(email, default="'-'"))], schema)
    conn.execute("ALTER TABLE people ADD COLUMN email TEXT")
    conn.execute("ALTER TABLE people ADD COLUMN phone TEXT")
    phone = Column("phone", "text", nullable=False)
    with pytest.raises(MigrationFailed, match="already has a column phone"):
        migrate(conn, [AddColumn("people", phone, fill="''")], schema)


def test_a_rebuild_that_cannot_keep_the_live_table_refuses(conn: SQLiteConnection) -> None:
    conn.execute("CREATE TABLE pairs (a INTEGER, b TEXT PRIMARY KEY)")
    conn.execute("INSERT INTO pairs VALUES (1, 'x')")
    a = Column("a", "integer")
    schema = Schema.of([Table("pairs", (a, Column("b", "text")))])
    with pytest.raises(MigrationFailed, match="Cannot rebuild table pairs: the live table's"):
        migrate(
            conn, [AlterColumn("pairs", a, replace(a, primary_key=True, nullable=False))], schema
        )
    assert conn.execute("SELECT * FROM pairs").fetchall() == [(1, "x")]
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [
        ("pairs",),
        ("sqlite_autoindex_pairs_1",),
    ]


def test_a_rebuild_outside_a_transaction_is_still_all_or_nothing(
    conn: SQLiteConnection,
) -> None:
    schema = live_people(conn)
    conn.execute("INSERT INTO people (name) VALUES (NULL)")
    before = conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
    name = PEOPLE.columns[1]
    body = render_body(
        DIALECT.render([AlterColumn("people", name, replace(name, nullable=False))], schema)
    )
    namespace: dict[str, Any] = {}
    exec(f"def up(conn):\n{body}\n", namespace)
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"), DIALECT.outside_batch(conn):
        namespace["up"](MigrationConnection(conn, "sqlite"))
    assert not conn.in_transaction
    assert conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall() == before


def test_a_dry_run_shows_the_rebuild(conn: SQLiteConnection) -> None:
    name = PEOPLE.columns[1]
    body = render_body(
        DIALECT.render(
            [AlterColumn("people", name, replace(name, nullable=False), fill="''")],
            Schema.of([PEOPLE]),
        )
    )
    namespace: dict[str, Any] = {}
    exec(f"def up(conn):\n{body}\n", namespace)
    dry = MigrationConnection(None, "sqlite", dry_run=True)
    namespace["up"](dry)
    assert dry.statements[1].startswith("CREATE TABLE _schemashift_new_people (\n")
    assert dry.statements[2] == (
        "INSERT INTO _schemashift_new_people (id, name, email, age)\n"
        "SELECT id, COALESCE(name, ''), email, age FROM people"
    )
    assert dry.statements[4:8] == [
        "DROP TABLE people",
        "PRAGMA legacy_alter_table = ON",
        "ALTER TABLE _schemashift_new_people RENAME TO people",
        "PRAGMA legacy_alter_table = OFF",
    ]


# --- exact reverse for every kind of operation ----------------------------------------------

BLOG = Schema.of(
    [
        Table(
            "users",
            (
                ID,
                Column("email", "string", nullable=False, unique=True, max_length=255),
                Column("name", "string", default="''", max_length=100),
                Column("age", "integer"),
                Column("status", "enum", default="'draft'", choices=("draft", "published")),
                Column("joined", "datetime", default="CURRENT_TIMESTAMP"),
                Column("price", "decimal", max_digits=10, decimal_places=2),
            ),
            indexes=(Index("idx_users_age", ("age",)),),
            checks=(Check("age_non_negative", "age >= 0"),),
        ),
        Table(
            "posts",
            (ID, Column("author_id", "biginteger", nullable=False), Column("title", "text")),
            indexes=(Index("idx_posts_author_id", ("author_id",)),),
            foreign_keys=(ForeignKey("fk_posts_author_id", "author_id", "users", "id", "CASCADE"),),
        ),
    ]
)


def blog(table: str, column: str) -> Column:
    found = BLOG.tables[table].column(column)
    assert found is not None
    return found


AUTHOR_FK = BLOG.tables["posts"].foreign_keys[0]
EVERY_KIND: dict[str, list[Operation]] = {
    "create table": [CreateTable(Table("tags", (ID, Column("label", "text", unique=True))))],
    "drop table": [DropTable(BLOG.tables["posts"])],
    "rename table": [RenameTable("users", "people")],
    "add column": [AddColumn("users", Column("bio", "text", default="'-'"))],
    "add column rebuilt": [AddColumn("users", Column("seen", "datetime", default="CURRENT_TIME"))],
    "add column with fk": [
        AddColumn("posts", Column("editor_id", "biginteger")),
        AddForeignKey("posts", ForeignKey("fk_e", "editor_id", "users", "id", "SET NULL")),
    ],
    "drop column": [DropColumn("posts", blog("posts", "title"))],
    "drop column rebuilt": [DropColumn("users", blog("users", "email"))],
    "rename column": [RenameColumn("users", "name", "full name")],
    "add index": [AddIndex("users", Index("idx_users_name_age", ("name", "age")))],
    "add unique index": [AddIndex("users", Index("uq_users_name", ("name",), unique=True))],
    "drop index": [DropIndex("users", Index("idx_users_age", ("age",)))],
    "alter type": [
        AlterColumn("users", blog("users", "age"), replace(blog("users", "age"), kind="float"))
    ],
    "alter nullability": [
        AlterColumn(
            "users", blog("users", "age"), replace(blog("users", "age"), nullable=False), fill="0"
        )
    ],
    "alter default": [
        AlterColumn("users", blog("users", "name"), replace(blog("users", "name"), default="'x'"))
    ],
    "alter unique": [
        AlterColumn("users", blog("users", "email"), replace(blog("users", "email"), unique=False))
    ],
    "alter precision": [
        AlterColumn("users", blog("users", "price"), replace(blog("users", "price"), max_digits=12))
    ],
    "enum values": [
        AlterColumn(
            "users", blog("users", "status"), replace(blog("users", "status"), choices=("draft",))
        )
    ],
    "add foreign key": [
        DropForeignKey("posts", AUTHOR_FK),
        AddForeignKey("posts", replace(AUTHOR_FK, on_delete="RESTRICT")),
    ],
    "drop foreign key": [DropForeignKey("posts", AUTHOR_FK)],
    "add check": [AddCheck("users", Check("email_has_at", "email LIKE '%@%'"))],
    "drop check": [DropCheck("users", BLOG.tables["users"].checks[0])],
}


@pytest.mark.parametrize("case", EVERY_KIND, ids=list(EVERY_KIND))
def test_up_then_down_restores_the_schema_exactly(conn: SQLiteConnection, case: str) -> None:
    migrate(conn, [CreateTable(t) for t in BLOG.tables.values()], Schema())
    assert DIALECT.introspect(conn) == DIALECT.comparable(BLOG)
    conn.execute("INSERT INTO users (email, name, age) VALUES ('a@x', 'a', 1), ('b@x', 'b', 2)")
    conn.execute("INSERT INTO posts (author_id, title) VALUES (1, 't1'), (2, 't2')")
    before = DIALECT.introspect(conn)
    kept = fingerprint(conn, "users", ["id", "name", "age", "status", "joined", "price"])

    up_and_down(conn, EVERY_KIND[case], BLOG)

    restored = column_order_free(DIALECT.introspect(conn), EVERY_KIND[case])
    assert restored == column_order_free(before, EVERY_KIND[case])
    assert fingerprint(conn, "users", ["id", "name", "age", "status", "joined", "price"]) == kept
    rows_lost = isinstance(EVERY_KIND[case][0], DropTable)
    assert conn.execute("SELECT count(*) FROM posts").fetchone() == ((0,) if rows_lost else (2,))


def test_introspect_sees_hand_made_drift(conn: SQLiteConnection) -> None:
    migrate(conn, [CreateTable(t) for t in BLOG.tables.values()], Schema())
    conn.execute("ALTER TABLE users ADD COLUMN extra TEXT")
    assert DIALECT.introspect(conn) != DIALECT.comparable(BLOG)
    live_posts = DIALECT.introspect(conn).tables["posts"]
    assert live_posts == DIALECT.comparable(BLOG).tables["posts"]
    assert live_posts.foreign_keys == (
        ForeignKey("author_id", "author_id", "users", "id", "CASCADE"),
    )
    assert "users" not in DIALECT.introspect(conn, exclude=["users"]).tables


def test_tracking_table_is_not_introspected(conn: SQLiteConnection) -> None:
    for statement in DIALECT.tracking_table_sql("_schemashift_migrations"):
        conn.execute(statement)
        conn.execute(statement)
    conn.execute(
        "INSERT INTO _schemashift_migrations VALUES ('0001_x', 1, '2026-01-01 00:00:00', 'ab', 3)"
    )
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute(
            "INSERT INTO _schemashift_migrations VALUES (?, ?, ?, ?, ?)",
            ("0001_x", 2, "2026-01-02 00:00:00", "a", 1),
        )
    assert DIALECT.introspect(conn) == Schema()


# --- hypothesis: any table, any single alteration ------------------------------------------

NAMES = ["a", "b_2", "select", 'q "x"', "名前", "with space", "Upper"]
SAME_STORAGE = {
    "string": "text",
    "text": "json",
    "json": "uuid",
    "uuid": "string",
    "integer": "biginteger",
    "biginteger": "integer",
}
DEFAULTS = {
    "string": "'d'",
    "text": "''",
    "json": "'{}'",
    "uuid": "'00000000-0000-0000-0000-000000000000'",
    "integer": "7",
    "biginteger": "-1",
    "float": "0.5",
    "boolean": "FALSE",
    "binary": "X'00'",
    "datetime": "CURRENT_TIMESTAMP",
}


def value(kind: str, i: int) -> Any:
    """A distinct value of ``kind`` for row ``i``."""
    if kind in ("integer", "biginteger"):
        return i * 1_000_003 - 2**40
    if kind == "float":
        return i / 7
    if kind == "boolean":
        return i
    if kind == "binary":
        return i.to_bytes(4, "big") + b"\x00"
    if kind == "datetime":
        return f"2026-01-01 00:00:{i:02d}"
    return f"v{i} ✓ '\""


@st.composite
def tables(draw: st.DrawFn) -> Table:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    columns = [ID]
    for name in names:
        kind = draw(st.sampled_from(sorted(DEFAULTS)))
        columns.append(
            Column(
                name,
                kind,
                nullable=draw(st.booleans()),
                default=draw(st.sampled_from([None, DEFAULTS[kind]])),
                unique=draw(st.booleans()),
            )
        )
    indexed = draw(st.sampled_from(names))
    return Table("t", tuple(columns), indexes=(Index("idx_t", (indexed,)),))


@st.composite
def alterations(draw: st.DrawFn, table: Table) -> list[Operation]:
    column = draw(st.sampled_from(table.columns[1:]))
    other_kind = SAME_STORAGE.get(column.kind, column.kind)
    choices: list[Operation] = [
        AlterColumn("t", column, replace(column, nullable=not column.nullable), fill="NULL"),
        AlterColumn("t", column, replace(column, default=None if column.default else "NULL")),
        AlterColumn("t", column, replace(column, unique=not column.unique)),
        AlterColumn("t", column, replace(column, kind=other_kind)),
        AddColumn("t", Column("added", "text", default=draw(st.sampled_from([None, "'z'"])))),
        AddColumn("t", Column("added", "text", nullable=False), fill="'f'"),
        RenameColumn("t", column.name, "renamed"),
        RenameTable("t", "t2"),
        AddIndex("t", Index("idx_more", (column.name,), unique=column.unique)),
        DropIndex("t", table.indexes[0]),
        AddCheck("t", Check("always", f"{DIALECT.quote(column.name)} IS NULL OR 1")),
    ]
    # Dropping a column drops its index with it, as the differ does.
    drop_index = [DropIndex("t", i) for i in table.indexes if column.name in i.columns]
    return draw(
        st.sampled_from([[op] for op in choices] + [[*drop_index, DropColumn("t", column)]])
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_alteration_reverses(tmp_path: Path, data: st.DataObject) -> None:
    table = data.draw(tables())
    operations = data.draw(alterations(table))
    path = tmp_path / f"h{abs(hash((table, tuple(operations))))}.sqlite3"
    if path.exists():
        path.unlink()
    conn = DIALECT.connect(database_url(tmp_path, path.name))
    assert isinstance(conn, SQLiteConnection)
    try:
        schema = migrate(conn, [CreateTable(table)], Schema())
        names = [c.name for c in table.columns[1:]]
        rows = data.draw(st.integers(min_value=0, max_value=12))
        for i in range(rows):
            values = [value(c.kind, i) for c in table.columns[1:]]
            marks = ", ".join("?" for _ in values)
            conn.execute(
                f"INSERT INTO t ({', '.join(DIALECT.quote(n) for n in names)}) VALUES ({marks})",
                values,
            )
        dropped = {op.column.name for op in operations if isinstance(op, DropColumn)}
        kept = ["id", *(n for n in names if n not in dropped)]
        before_rows = fingerprint(conn, "t", kept)
        before = DIALECT.introspect(conn)

        up_and_down(conn, operations, schema)

        restored = column_order_free(DIALECT.introspect(conn), operations)
        assert restored == column_order_free(before, operations)
        assert fingerprint(conn, "t", kept) == before_rows
    finally:
        conn.close()


# --- batches --------------------------------------------------------------------------------


def test_batch_refuses_to_run_inside_an_outer_transaction(conn: SQLiteConnection) -> None:
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(DatabaseError, match="open transaction"), DIALECT.batch(conn):
        conn.execute("DROP TABLE t")
    assert conn.in_transaction
    conn.execute("COMMIT")
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_batch_rolls_back_on_error(conn: SQLiteConnection) -> None:
    schema = migrate(conn, [CreateTable(t) for t in BLOG.tables.values()], Schema())
    before = DIALECT.introspect(conn)
    with pytest.raises(MigrationFailed), DIALECT.batch(conn):
        migration = MigrationConnection(conn, "sqlite")
        migration.execute("DROP TABLE posts")
        raise MigrationFailed("boom")
    assert DIALECT.introspect(conn) == before == DIALECT.comparable(schema)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("PRAGMA legacy_alter_table").fetchone() == (0,)


def test_batch_refuses_to_commit_broken_foreign_keys(conn: SQLiteConnection) -> None:
    migrate(conn, [CreateTable(t) for t in BLOG.tables.values()], Schema())
    conn.execute("INSERT INTO users (email) VALUES ('a@x')")
    conn.execute("INSERT INTO posts (author_id) VALUES (1)")
    with pytest.raises(DatabaseError, match="rolled back") as caught, DIALECT.batch(conn):
        conn.execute("DELETE FROM users")
    assert "posts row 1 -> users" in str(caught.value)
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)
    assert not conn.in_transaction


# --- connections ----------------------------------------------------------------------------


def test_connect_creates_a_private_file(tmp_path: Path) -> None:
    url = database_url(tmp_path, "new.sqlite3")
    assert not DIALECT.database_exists(url)
    DIALECT.connect(url).close()
    assert DIALECT.database_exists(url)
    assert stat.S_IMODE(os.stat(tmp_path / "new.sqlite3").st_mode) == 0o600


def test_connect_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    url = database_url(tmp_path, "missing.sqlite3")
    with pytest.raises(DatabaseError, match="does not exist"):
        DIALECT.connect(url, create=False)
    assert not (tmp_path / "missing.sqlite3").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [("no/such/folder/db.sqlite3", "Cannot create"), ("not_a_db.sqlite3", "Cannot open")],
)
def test_connect_explains_unusable_paths(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "not_a_db.sqlite3").write_text("hello, not a database " * 100)
    with pytest.raises(DatabaseError, match=message) as caught:
        DIALECT.connect(database_url(tmp_path, name))
    assert "\n" not in str(caught.value)


def test_connect_refuses_a_read_only_file() -> None:
    with unprivileged.folder() as folder:
        DIALECT.connect(database_url(folder, "ro.sqlite3")).close()
        unprivileged.hand_over(folder)
        os.chmod(folder / "ro.sqlite3", 0o400)
        opened = unprivileged.run(folder, "-c", OPEN_RO)
    assert opened.code == 1 and "DatabaseError" in opened.err, opened
    assert "ro.sqlite3 is not writable" in opened.err


OPEN_RO = (
    "from pathlib import Path\n"
    "from schemashift.dialects.sqlite import DIALECT\n"
    "from schemashift.dialects import parse_url\n"
    "DIALECT.connect(parse_url('sqlite:///ro.sqlite3', Path.cwd()))\n"
)


def test_memory_database(tmp_path: Path) -> None:
    url = parse_url("sqlite:///:memory:", tmp_path)
    conn = DIALECT.connect(url)
    with DIALECT.lock(conn, url, 0), DIALECT.batch(conn):
        conn.execute("CREATE TABLE t (x)")
    assert conn.dialect == "sqlite"
    conn.close()


# --- the migration lock ---------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from schemashift.dialects.sqlite import DIALECT
    from schemashift.dialects import parse_url
    from pathlib import Path
    url = parse_url("sqlite:///db.sqlite3", Path(sys.argv[1]))
    conn = DIALECT.connect(url)
    with DIALECT.lock(conn, url, 10):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def test_lock_names_its_holder_and_dies_with_it(tmp_path: Path, url: DatabaseURL) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        conn = DIALECT.connect(url)
        with pytest.raises(LockTimeout) as caught, DIALECT.lock(conn, url, 0.2):
            pytest.fail("the lock was taken twice")
        message = str(caught.value)
        assert f"pid {holder.pid} on host {socket.gethostname()}" in message
        assert "waited 0.2 s" in message and "--lock-timeout" in message
        lock_file = Path(str(url.path) + ".schemashift-lock")
        assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600

        holder.send_signal(signal.SIGKILL)
        holder.wait()
        with DIALECT.lock(conn, url, 0):
            pass
        conn.close()
    finally:
        holder.kill()
        holder.wait()
