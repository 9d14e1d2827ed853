"""The PostgreSQL dialect against a real server: every operation forwards and back,
introspection agreeing with the modelled schema, batches, and the migration lock.

Needs the server ``scripts/pg.sh`` starts (``SCHEMASHIFT_TEST_PG``); skipped without
one, except under ``CI=true`` where a missing server is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from schemashift.dialects.base import DBConnection, Step
from schemashift.dialects.postgres import DIALECT
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
from schemashift.errors import DatabaseError, LockTimeout
from schemashift.migrations.body import render_body
from schemashift.runtime.connection import MigrationConnection
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table
from schemashift.url import DatabaseURL, parse_url
from tests.support.postgres import admin_url, database_url, fresh_database

ID = Column("id", "biginteger", nullable=False, primary_key=True, autoincrement=True)
EMAIL = Column("email", "string", nullable=False, unique=True, max_length=255)
NAME = Column("name", "string", default="''", max_length=100)
AGE = Column("age", "integer")
STATUS = Column("status", "enum", default="'draft'", choices=("draft", "published"))
USERS = Table(
    "users",
    (ID, EMAIL, NAME, AGE, STATUS),
    indexes=(Index("idx_users_age", ("age",)),),
    checks=(Check("age_non_negative", "age >= 0"),),
)
AUTHOR_ID = Column("author_id", "biginteger", nullable=False)
TITLE = Column("title", "text")
AUTHOR_FK = ForeignKey("fk_posts_author_id", "author_id", "users", "id", "CASCADE")
POSTS = Table(
    "posts",
    (ID, AUTHOR_ID, TITLE),
    indexes=(Index("idx_posts_author_id", ("author_id",)),),
    foreign_keys=(AUTHOR_FK,),
)
BEFORE = Schema.of([USERS, POSTS])
TAGS = Table(
    "tags",
    (
        ID,
        Column("post_id", "biginteger", nullable=False),
        Column("label", "string", nullable=False, unique=True, max_length=30),
        Column("color", "enum", nullable=False, default="'red'", choices=("red", "it's blue")),
    ),
    indexes=(Index("idx_tags_post_id", ("post_id",)),),
    foreign_keys=(ForeignKey("fk_tags_post_id", "post_id", "posts", "id", "SET NULL"),),
    checks=(Check("label_not_blank", "label <> ''"),),
)


def _admin() -> str:
    url = admin_url()
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail("SCHEMASHIFT_TEST_PG is not set under CI=true: PostgreSQL tests must run.")
        pytest.skip("no PostgreSQL test server: run scripts/pg.sh start DIR, export its URL")
    return url


@pytest.fixture
def pg_url() -> Iterator[DatabaseURL]:
    """A brand-new empty database on the test server."""
    with fresh_database(_admin()) as url:
        yield parse_url(url, Path("/"))


@pytest.fixture
def conn(pg_url: DatabaseURL) -> Iterator[DBConnection]:
    """A dialect connection to that database."""
    connection = DIALECT.connect(pg_url)
    yield connection
    connection.close()


def run(conn: DBConnection, steps: list[Step]) -> None:
    """Run ``steps`` the way a migration file would: as the body of ``up(conn)``, in a
    batch."""
    namespace: dict[str, Any] = {}
    source = "def up(conn):\n" + render_body(steps) + "\n"
    exec(compile(source, "<migration>", "exec"), namespace)
    with DIALECT.batch(conn):
        namespace["up"](MigrationConnection(conn, "postgresql"))


def migrate(conn: DBConnection, operations: list[Operation], before: Schema) -> Schema:
    run(conn, DIALECT.render(operations, before))
    return apply_all(before, operations)


def seed(conn: DBConnection) -> None:
    """Create ``BEFORE`` with a few rows, NULLs included."""
    migrate(conn, [CreateTable(USERS), CreateTable(POSTS)], Schema())
    for email, name, age, status in [
        ("a@x.org", "Ann", 30, "draft"),
        ("b@x.org", None, None, "published"),
        ("c@x.org", "Cy", 5, None),
    ]:
        conn.execute(
            "INSERT INTO users (email, name, age, status) VALUES (%s, %s, %s, %s)",
            (email, name, age, status),
        )
    conn.execute("INSERT INTO posts (author_id, title) VALUES (1, '12'), (2, NULL), (1, '7')")


def rows(conn: DBConnection, *tables: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()]
        for t in tables
    }


def by_column_name(schema: Schema) -> Schema:
    return Schema.of(
        t.with_(columns=tuple(sorted(t.columns, key=lambda c: c.name)))
        for t in schema.tables.values()
    )


def test_seeded_schema_reads_back_as_modelled(conn: DBConnection) -> None:
    seed(conn)
    assert DIALECT.introspect(conn) == DIALECT.comparable(BEFORE)


# Each case: operations applied to BEFORE, and the tables whose rows up + down keep.
CASES: dict[str, tuple[list[Operation], tuple[str, ...]]] = {
    "create_table": ([CreateTable(TAGS)], ("users", "posts")),
    "drop_table": ([DropTable(POSTS)], ("users",)),
    "rename_table": ([RenameTable("users", "people")], ("users", "posts")),
    "add_column": (
        [AddColumn("users", Column("phone", "string", default="''", max_length=20))],
        ("users", "posts"),
    ),
    "add_column_not_null_with_fill": (
        [AddColumn("users", Column("code", "integer", nullable=False), fill="7")],
        ("users", "posts"),
    ),
    "add_column_unique_enum_volatile": (
        [
            AddColumn("users", Column("nick", "string", unique=True, max_length=10)),
            AddColumn("users", Column("kind", "enum", choices=("a", "b"))),
            AddColumn(
                "users", Column("token", "uuid", nullable=False, default="gen_random_uuid()")
            ),
        ],
        ("users", "posts"),
    ),
    "drop_column": (
        [
            DropCheck("users", USERS.checks[0]),
            DropIndex("users", USERS.indexes[0]),
            DropColumn("users", AGE),
        ],
        ("posts",),
    ),
    "rename_column": (
        [RenameColumn("users", "email", "mail"), RenameColumn("users", "status", "order")],
        ("users", "posts"),
    ),
    "alter_string_to_text": (
        [AlterColumn("users", NAME, replace(NAME, kind="text", max_length=None))],
        ("users", "posts"),
    ),
    "alter_text_to_integer": (
        [AlterColumn("posts", TITLE, replace(TITLE, kind="integer"))],
        ("users", "posts"),
    ),
    "alter_integer_to_biginteger": (
        [AlterColumn("users", AGE, replace(AGE, kind="biginteger"))],
        ("users", "posts"),
    ),
    "alter_not_null_from_default": (
        [AlterColumn("users", NAME, replace(NAME, nullable=False))],
        ("posts",),
    ),
    "alter_not_null_with_fill": (
        [AlterColumn("users", AGE, replace(AGE, nullable=False), fill="0")],
        ("posts",),
    ),
    "alter_default": (
        [
            AlterColumn("users", AGE, replace(AGE, default="18")),
            AlterColumn("users", NAME, replace(NAME, default=None)),
        ],
        ("users", "posts"),
    ),
    "alter_unique": (
        [
            AlterColumn("users", EMAIL, replace(EMAIL, unique=False)),
            AlterColumn("users", AGE, replace(AGE, unique=True)),
        ],
        ("users", "posts"),
    ),
    "alter_enum": (
        [AlterColumn("users", STATUS, replace(STATUS, choices=("draft", "published", "old")))],
        ("users", "posts"),
    ),
    "alter_enum_to_string": (
        [AlterColumn("users", STATUS, replace(STATUS, kind="string", choices=(), max_length=9))],
        ("users", "posts"),
    ),
    "indexes": (
        [
            AddIndex("users", Index("uq_users_name_age", ("name", "age"), unique=True)),
            DropIndex("users", USERS.indexes[0]),
        ],
        ("users", "posts"),
    ),
    "foreign_keys": (
        [
            DropForeignKey("posts", AUTHOR_FK),
            AddForeignKey(
                "posts", replace(AUTHOR_FK, name="fk_posts_author", on_delete="RESTRICT")
            ),
        ],
        ("users", "posts"),
    ),
    "checks": (
        [
            AddCheck("posts", Check("title_short", "length(title) < 50 OR title IS NULL")),
            DropCheck("users", USERS.checks[0]),
        ],
        ("users", "posts"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_operation_forwards_and_back(conn: DBConnection, case: str) -> None:
    operations, kept = CASES[case]
    seed(conn)
    live_before = DIALECT.introspect(conn)
    rows_before = rows(conn, *kept)

    after = migrate(conn, operations, BEFORE)
    assert DIALECT.introspect(conn) == DIALECT.comparable(after)

    back = migrate(conn, reverse_all(operations), after)
    live_back = DIALECT.introspect(conn)
    assert live_back == DIALECT.comparable(back)
    # A column dropped and added back comes last, as it does in the replayed schema.
    assert by_column_name(live_back) == by_column_name(live_before)
    assert rows(conn, *kept) == rows_before


def test_every_kind_and_odd_names_read_back_exactly(conn: DBConnection) -> None:
    columns = (
        ID,
        Column("s", "string", max_length=20, default="'x'", unique=True),
        Column("t", "text", default="'it''s'"),
        Column("i", "integer", nullable=False, default="-1"),
        Column("b", "biginteger", default="5"),
        Column("f", "float", default="-2.5"),
        Column("d", "decimal", max_digits=10, decimal_places=2, default="'9.90'"),
        Column("d0", "decimal", max_digits=5),
        Column("bo", "boolean", nullable=False, default="TRUE"),
        Column("da", "date", default="'2024-01-02'"),
        Column("dt", "datetime", default="CURRENT_TIMESTAMP"),
        Column("ti", "time", default="'12:00'"),
        Column("j", "json", default='\'{"b": 1, "a": [1, 2]}\''),
        Column("u", "uuid", default="gen_random_uuid()"),
        Column("bi", "binary"),
        Column("e", "enum", choices=("draft", "it's"), default="'draft'"),
        Column("select", "text", default="lower('ABC')"),
        Column('we"ird; col', "integer", default="1 + 2"),
    )
    odd = Table(
        "Odd Table",
        columns,
        indexes=(
            Index("idx_odd_i_b", ("i", "b")),
            Index("uq odd", ('we"ird; col',), unique=True),
        ),
        checks=(Check("i small", "i < 100 AND t LIKE 'x%'"),),
    )
    child = Table(
        "order",
        (ID, Column("odd_id", "biginteger", nullable=False)),
        foreign_keys=(ForeignKey("fk_order_odd_id", "odd_id", "Odd Table", "id", "NO ACTION"),),
    )
    schema = migrate(conn, [CreateTable(child), CreateTable(odd)], Schema())
    assert DIALECT.introspect(conn) == DIALECT.comparable(schema)


def test_changes_by_hand_show_as_differences(conn: DBConnection) -> None:
    seed(conn)
    expected = DIALECT.comparable(BEFORE)
    conn.execute("ALTER TABLE users ALTER COLUMN name SET DEFAULT 'someone'")
    assert DIALECT.introspect(conn) != expected
    conn.execute("ALTER TABLE users ALTER COLUMN name SET DEFAULT ''")
    assert DIALECT.introspect(conn) == expected
    conn.execute("ALTER TABLE users DROP CONSTRAINT age_non_negative")
    conn.execute("ALTER TABLE users ADD CONSTRAINT age_non_negative CHECK (age >= 1)")
    assert DIALECT.introspect(conn) != expected


def test_introspection_leaves_out_bookkeeping_and_excluded_tables(conn: DBConnection) -> None:
    seed(conn)
    for sql in DIALECT.tracking_table_sql("_schemashift_migrations"):
        conn.execute(sql)
        conn.execute(sql)
    conn.execute("CREATE TABLE spatial_ref_sys (x INTEGER)")
    live = DIALECT.introspect(conn, exclude=["spatial_ref_sys"])
    assert sorted(live.tables) == ["posts", "users"]


# --- batches ----------------------------------------------------------------------


def test_a_failing_batch_changes_nothing(conn: DBConnection) -> None:
    seed(conn)
    before = DIALECT.introspect(conn)
    steps = DIALECT.render([CreateTable(TAGS), DropColumn("users", AGE)], BEFORE)
    with pytest.raises(DatabaseError):
        run(conn, [*steps, *DIALECT.render([CreateTable(TAGS)], BEFORE)])
    assert DIALECT.introspect(conn) == before


def test_a_batch_gives_up_waiting_for_a_table_lock(conn: DBConnection, pg_url: DatabaseURL) -> None:
    seed(conn)
    other = DIALECT.connect(pg_url)
    try:
        other.execute("BEGIN")
        other.execute("LOCK TABLE users IN ACCESS SHARE MODE")
        conn.lock_timeout = "200ms"  # type: ignore[attr-defined]
        phone = Column("phone", "text")
        with pytest.raises(DatabaseError) as caught:
            run(conn, DIALECT.render([AddColumn("users", phone)], BEFORE))
        assert "lock_timeout = 200ms" in str(caught.value)
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert DIALECT.introspect(conn) == DIALECT.comparable(BEFORE)


# --- connections ------------------------------------------------------------------


def test_database_exists(pg_url: DatabaseURL) -> None:
    assert DIALECT.database_exists(pg_url)
    missing = parse_url(database_url(_admin(), "t_no_such_database"), Path("/"))
    assert not DIALECT.database_exists(missing)


def test_connection_errors_never_show_the_password() -> None:
    admin = parse_url(_admin(), Path("/"))
    url = parse_url(
        f"postgresql://{admin.user}:pa55word@{admin.host}:{admin.port}/t_no_such_database",
        Path("/"),
    )
    with pytest.raises(DatabaseError) as caught:
        DIALECT.connect(url)
    assert "does not exist" in str(caught.value)
    assert "pa55word" not in str(caught.value)


# --- the migration lock -----------------------------------------------------------

HOLDER = """
import sys, time
from pathlib import Path
from schemashift.dialects.postgres import DIALECT
from schemashift.url import parse_url

with DIALECT.lock(None, parse_url(sys.argv[1], Path("/")), 10):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_a_second_holder_times_out_naming_the_first(
    conn: DBConnection, pg_url: DatabaseURL
) -> None:
    with DIALECT.lock(conn, pg_url, 5):
        with pytest.raises(LockTimeout) as caught, DIALECT.lock(conn, pg_url, 0.3):
            pass
        message = str(caught.value)
        assert f"pid {os.getpid()}" in message
        assert "holding it since" in message
    with DIALECT.lock(conn, pg_url, 0):
        pass


def test_a_killed_holder_releases_the_lock(conn: DBConnection, pg_url: DatabaseURL) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, pg_url.raw], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockTimeout) as caught, DIALECT.lock(conn, pg_url, 0.3):
            pass
        assert f"pid {holder.pid}" in str(caught.value)
        holder.kill()
        holder.wait()
        with DIALECT.lock(conn, pg_url, 60):
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
