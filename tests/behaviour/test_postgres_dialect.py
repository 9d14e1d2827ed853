"""The PostgreSQL dialect against a real server: every operation forwards and back,
introspection agreeing with the modelled schema, batches, and the migration lock.

Needs the server ``scripts/pg.sh`` starts (``SCHEMASHIFT_TEST_PG``); skipped without
one, except under ``CI=true`` where a missing server is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemashift.dialects import parse_url
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
from schemashift.schema.record import replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table
from schemashift.url import DatabaseURL
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


def test_a_batch_whose_error_was_swallowed_is_not_committed(conn: DBConnection) -> None:
    seed(conn)
    with pytest.raises(DatabaseError, match="rolled back"), DIALECT.batch(conn):
        conn.execute("ALTER TABLE users ADD COLUMN phone TEXT")
        with pytest.raises(DatabaseError):
            conn.execute("SELECT no_such_column FROM users")
    assert DIALECT.introspect(conn) == DIALECT.comparable(BEFORE)


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
from schemashift.dialects import parse_url

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


# --- one schema per tenant ---------------------------------------------------------------


def on_path(url: DatabaseURL, search_path: str) -> DatabaseURL:
    """``url`` whose connections start with ``search_path``."""
    options = quote(f"-csearch_path={search_path}", safe="")
    return parse_url(f"{url.raw}?options={options}", Path("/"))


def test_a_tenant_schema_sees_only_itself(conn: DBConnection, pg_url: DatabaseURL) -> None:
    seed(conn)
    for sql in DIALECT.tracking_table_sql(DIALECT.own_table(conn, "_schemashift_migrations")):
        conn.execute(sql)
    conn.execute('CREATE SCHEMA "Tenant A"')
    tenant = DIALECT.connect(on_path(pg_url, r'"Tenant\ A",public'))
    try:
        assert DIALECT.own_table(tenant, "_schemashift_migrations") == (
            '"Tenant A"._schemashift_migrations'
        )
        assert not DIALECT.own_table_exists(tenant, "_schemashift_migrations")
        assert DIALECT.own_table_exists(conn, "_schemashift_migrations")
        assert DIALECT.table_names(tenant) == set()
        assert DIALECT.introspect(tenant) == Schema()
        migrate(tenant, [CreateTable(USERS)], Schema())
        assert DIALECT.introspect(tenant) == DIALECT.comparable(Schema.of([USERS]))
        assert DIALECT.introspect(conn) == DIALECT.comparable(BEFORE)
        # A search_path changed later does not move the history elsewhere.
        tenant.execute("SET search_path TO public")
        assert DIALECT.own_table(tenant, "_schemashift_migrations").startswith('"Tenant A".')
    finally:
        tenant.close()


def test_each_schema_has_its_own_migration_lock(conn: DBConnection, pg_url: DatabaseURL) -> None:
    conn.execute("CREATE SCHEMA tenant1")
    tenant_url = on_path(pg_url, "tenant1,public")
    with DIALECT.lock(conn, pg_url, 5):
        with DIALECT.lock(conn, tenant_url, 0):
            with pytest.raises(LockTimeout) as caught, DIALECT.lock(conn, tenant_url, 0.2):
                pass
            assert "schema tenant1 in database" in str(caught.value)
        with pytest.raises(LockTimeout) as caught, DIALECT.lock(conn, pg_url, 0.2):
            pass
        assert "schema public in database" in str(caught.value)


@pytest.mark.parametrize(
    ("search_path", "missing"),
    [("tenant9,public", "tenant9"), (r'"Tenant\ 9",public', "Tenant 9"), ('"$user"', None)],
)
def test_a_search_path_whose_schema_is_missing_is_refused(
    conn: DBConnection, pg_url: DatabaseURL, search_path: str, missing: str | None
) -> None:
    if missing is None:
        conn.execute("DROP SCHEMA public CASCADE")
    tenant = DIALECT.connect(on_path(pg_url, search_path))
    try:
        with pytest.raises(DatabaseError) as caught:
            DIALECT.own_table(tenant, "_schemashift_migrations")
        assert (missing or "search_path") in str(caught.value)
        assert "nothing was changed" in str(caught.value)
    finally:
        tenant.close()


def test_a_schema_named_after_the_user_comes_first(conn: DBConnection, pg_url: DatabaseURL) -> None:
    user = conn.execute("SELECT current_user").fetchone()[0]
    conn.execute(f'CREATE SCHEMA "{user}"')
    other = DIALECT.connect(pg_url)
    try:
        assert DIALECT.own_table(other, "t") == f"{DIALECT.quote(user)}.t"
    finally:
        other.close()


# --- hypothesis: any defaults, any single column change --------------------------------

KINDS = (
    "string",
    "text",
    "integer",
    "biginteger",
    "float",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "time",
    "json",
    "uuid",
    "binary",
    "enum",
)
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
# Default expressions reach the file as the model layer wrote them: printable text only.
_PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")))
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@st.composite
def columns(draw: st.DrawFn, name: str) -> Column:
    """A column of any kind with a literal default of that kind, or none."""
    kind = draw(st.sampled_from(KINDS))
    shape: dict[str, Any] = {}
    if kind == "string":
        shape["max_length"] = draw(st.integers(1, 300))
    if kind == "decimal":
        digits = draw(st.integers(1, 20))
        shape.update(max_digits=digits, decimal_places=draw(st.integers(0, digits)))
    if kind == "enum":
        shape["choices"] = tuple(draw(st.lists(_TEXT, min_size=1, max_size=4, unique=True)))
    literals: dict[str, st.SearchStrategy[str]] = {
        "string": _PRINTABLE.filter(lambda s: len(s) <= shape.get("max_length", 0)).map(
            _sql_string
        ),
        "text": _PRINTABLE.map(_sql_string),
        "integer": st.integers(-(2**31), 2**31 - 1).map(str),
        "biginteger": st.integers(-(2**63), 2**63 - 1).map(str),
        "float": st.floats(allow_nan=False, allow_infinity=False).map(repr),
        "boolean": st.sampled_from(["TRUE", "FALSE"]),
        "date": st.dates().map(lambda d: f"'{d.isoformat()}'"),
        "datetime": st.datetimes(
            min_value=datetime(1900, 1, 1),
            max_value=datetime(2200, 1, 1),
            timezones=st.just(timezone.utc),
        ).map(lambda d: f"'{d.isoformat()}'"),
        "time": st.times().map(lambda t: f"'{t.isoformat()}'"),
        "json": _JSON.map(lambda v: _sql_string(json.dumps(v))),
        "uuid": st.uuids().map(lambda u: f"'{str(u).upper()}'"),
        "binary": st.binary(max_size=8).map(lambda b: f"'\\x{b.hex()}'"),
        "enum": st.sampled_from(shape.get("choices", ("",))).map(_sql_string),
    }
    if kind == "decimal":
        places, digits = shape["decimal_places"], shape["max_digits"]
        literals["decimal"] = st.integers(-(10**digits) + 1, 10**digits - 1).map(
            lambda n: str(Decimal(n).scaleb(-places))
        )
    default = draw(st.none() | literals[kind])
    return Column(
        name,
        kind,
        nullable=draw(st.booleans()),
        default=default,
        unique=draw(st.booleans()),
        **shape,
    )


@pytest.fixture(scope="module")
def shared_conn() -> Iterator[DBConnection]:
    """One database for all the examples of a property (each uses its own table)."""
    with fresh_database(_admin()) as url:
        connection = DIALECT.connect(parse_url(url, Path("/")))
        yield connection
        connection.close()


def _fresh_table(conn: DBConnection, table: Table) -> Schema:
    conn.execute(f"DROP TABLE IF EXISTS {DIALECT.quote(table.name)}")
    return migrate(conn, [CreateTable(table)], Schema())


def _live(conn: DBConnection, name: str) -> Table | None:
    """The table ``name`` as introspected (the shared database holds other tables)."""
    return DIALECT.introspect(conn).table(name)


def _modelled(schema: Schema, name: str) -> Table | None:
    return DIALECT.comparable(schema).table(name)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_defaults_read_back_as_modelled(shared_conn: DBConnection, data: st.DataObject) -> None:
    names = [f"c{i}" for i in range(data.draw(st.integers(1, 6)))]
    table = Table("prop_defaults", (ID, *(data.draw(columns(n)) for n in names)))
    schema = _fresh_table(shared_conn, table)
    assert _live(shared_conn, table.name) == _modelled(schema, table.name)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_single_column_change_reverses(shared_conn: DBConnection, data: st.DataObject) -> None:
    before_column = data.draw(columns("c"))
    after_column = data.draw(columns("c"))
    table = Table("prop_alter", (ID, before_column, Column("other", "text")))
    before = _fresh_table(shared_conn, table)
    operations: list[Operation] = [AlterColumn("prop_alter", before_column, after_column)]

    after = migrate(shared_conn, operations, before)
    assert _live(shared_conn, "prop_alter") == _modelled(after, "prop_alter")
    back = migrate(shared_conn, reverse_all(operations), after)
    assert _live(shared_conn, "prop_alter") == _modelled(back, "prop_alter")
    assert back == before
