"""Exact SQL the SQLite dialect writes for each kind of operation."""

from __future__ import annotations

import ast
from dataclasses import replace

import pytest

from schemashift.dialects.base import Code, Comment, Execute, Step
from schemashift.dialects.sqlite import DIALECT
from schemashift.dialects.sqlite.ddl import default_sql
from schemashift.dialects.sqlite.introspect import comparable_column, stored_default
from schemashift.dialects.sqlite.sqltext import mentions, table_elements
from schemashift.dialects.values import ValueFlag
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
)
from schemashift.migrations.body import render_body
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table

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
AUTHOR_FK = ForeignKey("fk_posts_author_id", "author_id", "users", "id", "CASCADE")
POSTS = Table(
    "posts",
    (ID, Column("author_id", "biginteger", nullable=False), Column("title", "text")),
    indexes=(Index("idx_posts_author_id", ("author_id",)),),
    foreign_keys=(AUTHOR_FK,),
)
BEFORE = Schema.of([USERS, POSTS])

USERS_DDL = (
    "CREATE TABLE {name} (\n"
    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    email TEXT NOT NULL UNIQUE,\n"
    "    name TEXT DEFAULT '',\n"
    "    age INTEGER,\n"
    "    status TEXT DEFAULT 'draft' CHECK (status IN ('draft', 'published')),\n"
    "    CONSTRAINT age_non_negative CHECK (age >= 0)\n"
    ")"
)
CAPTURE = [
    "saved = conn.execute(",
    '    "SELECT sql FROM sqlite_master"',
    "    \" WHERE tbl_name = 'users' AND type IN ('index', 'trigger')\"",
    '    " AND sql IS NOT NULL"',
    "    \" AND name NOT IN ('idx_users_age')\"",
    ").fetchall()",
]


def sql(operations: list[Operation], before: Schema = BEFORE) -> list[str]:
    """The statements rendered for ``operations`` (a rebuild's CREATE TABLE, written as
    ``conn.execute("..." + conn.table_options(...))``, included without the options)."""
    return statements(DIALECT.render(operations, before))


def statements(rendered: list[Step]) -> list[str]:
    """The SQL of ``rendered``, a rebuild's CREATE TABLE included without its options."""
    out = []
    for s in rendered:
        if isinstance(s, Execute):
            out.append(s.sql)
        elif isinstance(s, Code) and "conn.table_options(" in s.line:
            literal = s.line.removeprefix("conn.execute(").rsplit(" + conn.table_options(", 1)[0]
            out.append(ast.literal_eval(literal))
    return out


def steps(operations: list[Operation], before: Schema = BEFORE) -> list[Step]:
    return DIALECT.render(operations, before)


def rebuild_of_users(create: str, insert: str, indexes: tuple[str, ...] = ()) -> list[str]:
    """The statements of a rebuild of ``users`` (an AUTOINCREMENT table)."""
    temp = "_schemashift_new_users"
    return [
        create,
        insert,
        f"DELETE FROM sqlite_sequence WHERE name = '{temp}'",
        f"INSERT INTO sqlite_sequence (name, seq)\n"
        f"SELECT '{temp}', seq FROM sqlite_sequence WHERE name = 'users'",
        "DROP TABLE users",
        "PRAGMA legacy_alter_table = ON",
        f"ALTER TABLE {temp} RENAME TO users",
        "PRAGMA legacy_alter_table = OFF",
        *(indexes or ("CREATE INDEX idx_users_age ON users (age)",)),
    ]


def users_insert(targets: str, values: str) -> str:
    return f"INSERT INTO _schemashift_new_users ({targets})\nSELECT {values} FROM users"


ALL_COLUMNS = "id, email, name, age, status"


# --- quoting and types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("users", "users"),
        ("created_at", "created_at"),
        ("_x1", "_x1"),
        ("order", '"order"'),
        ("select", '"select"'),
        ("true", '"true"'),
        ("Users", '"Users"'),
        ("first name", '"first name"'),
        ('say "hi"', '"say ""hi"""'),
        ("a;drop table x", '"a;drop table x"'),
        ("1st", '"1st"'),
        ("名前", '"名前"'),
    ],
)
def test_quote(name: str, quoted: str) -> None:
    assert DIALECT.quote(name) == quoted


@pytest.mark.parametrize(
    ("column", "declared"),
    [
        (ID, "INTEGER PRIMARY KEY AUTOINCREMENT"),
        (Column("a", "string", max_length=10), "TEXT"),
        (Column("a", "text"), "TEXT"),
        (Column("a", "enum", choices=("x",)), "TEXT"),
        (Column("a", "json"), "TEXT"),
        (Column("a", "uuid"), "TEXT"),
        (Column("a", "integer"), "INTEGER"),
        (Column("a", "biginteger"), "INTEGER"),
        (Column("a", "float"), "REAL"),
        (Column("a", "decimal", max_digits=10, decimal_places=2), "NUMERIC(10, 2)"),
        (Column("a", "boolean"), "BOOLEAN"),
        (Column("a", "date"), "DATE"),
        (Column("a", "datetime"), "DATETIME"),
        (Column("a", "time"), "TIME"),
        (Column("a", "binary"), "BLOB"),
    ],
)
def test_column_type(column: Column, declared: str) -> None:
    assert DIALECT.column_type(column) == declared


@pytest.mark.parametrize(
    ("default", "written", "stored"),
    [
        ("'draft'", "'draft'", "'draft'"),
        ("0", "0", "0"),
        ("-1.5", "-1.5", "-1.5"),
        ("TRUE", "TRUE", "TRUE"),
        ("NULL", "NULL", "NULL"),
        ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        ("X'00ff'", "X'00ff'", "X'00ff'"),
        ("lower('A')", "(lower('A'))", "lower('A')"),
        ("(1 + 2)", "(1 + 2)", "1 + 2"),
        ("(1) + (2)", "((1) + (2))", "(1) + (2)"),
    ],
)
def test_defaults(default: str, written: str, stored: str) -> None:
    assert default_sql(default) == written
    assert stored_default(default) == stored


def test_tokenizer_splits_create_table_on_top_level_commas_only() -> None:
    elements = table_elements(
        'CREATE TABLE "a, (b" ("x, y" TEXT DEFAULT \'(,\', z NUMERIC(10, 2), CHECK (z IN (1, 2)))'
    )
    assert [[t.text for t in e][:2] for e in elements] == [
        ['"x, y"', "TEXT"],
        ["z", "NUMERIC"],
        ["CHECK", "("],
    ]
    assert mentions("\"Age\" >= 0 AND name != 'age'", "age")
    assert not mentions("name != 'age'", "age")


# --- tables ----------------------------------------------------------------------


def test_create_table_with_every_kind_and_option() -> None:
    table = Table(
        "everything",
        (
            ID,
            Column("s", "string", nullable=False, unique=True, max_length=20, default="'x'"),
            Column("t", "text"),
            Column("i", "integer", default="0"),
            Column("bi", "biginteger"),
            Column("f", "float", default="1.5"),
            Column("d", "decimal", max_digits=10, decimal_places=2, default="'9.99'"),
            Column("b", "boolean", nullable=False, default="TRUE"),
            Column("da", "date"),
            Column("dt", "datetime", default="CURRENT_TIMESTAMP"),
            Column("ti", "time"),
            Column("j", "json"),
            Column("u", "uuid"),
            Column("bl", "binary"),
            Column("e", "enum", choices=("a", "it's")),
            Column("owner_id", "biginteger"),
            Column("order", "integer"),
        ),
        indexes=(
            Index("idx_everything_i", ("i",)),
            Index("uq_everything_u", ("u",), unique=True),
            Index("idx_everything_i_f", ("i", "f")),
        ),
        foreign_keys=(ForeignKey("fk_everything_owner_id", "owner_id", "users", "id", "SET NULL"),),
        checks=(Check("i_small", "i < 100"),),
    )
    assert sql([CreateTable(table)]) == [
        "CREATE TABLE everything (\n"
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    s TEXT NOT NULL UNIQUE DEFAULT 'x',\n"
        "    t TEXT,\n"
        "    i INTEGER DEFAULT 0,\n"
        "    bi INTEGER,\n"
        "    f REAL DEFAULT 1.5,\n"
        "    d NUMERIC(10, 2) DEFAULT '9.99',\n"
        "    b BOOLEAN NOT NULL DEFAULT TRUE,\n"
        "    da DATE,\n"
        "    dt DATETIME DEFAULT CURRENT_TIMESTAMP,\n"
        "    ti TIME,\n"
        "    j TEXT,\n"
        "    u TEXT,\n"
        "    bl BLOB,\n"
        "    e TEXT CHECK (e IN ('a', 'it''s')),\n"
        "    owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,\n"
        '    "order" INTEGER,\n'
        "    CONSTRAINT i_small CHECK (i < 100)\n"
        ")",
        "CREATE INDEX idx_everything_i ON everything (i)",
        "CREATE UNIQUE INDEX uq_everything_u ON everything (u)",
        "CREATE INDEX idx_everything_i_f ON everything (i, f)",
    ]


def test_create_table_with_composite_and_text_keys() -> None:
    pair = Table(
        "pairs",
        (
            Column("a", "integer", nullable=False, primary_key=True),
            Column("b", "text", nullable=False, primary_key=True),
        ),
    )
    coded = Table("codes", (Column("code", "uuid", nullable=False, primary_key=True),))
    assert sql([CreateTable(pair), CreateTable(coded)]) == [
        "CREATE TABLE pairs (\n"
        "    a INTEGER NOT NULL,\n"
        "    b TEXT NOT NULL,\n"
        "    PRIMARY KEY (a, b)\n"
        ")",
        "CREATE TABLE codes (\n    code TEXT PRIMARY KEY NOT NULL\n)",
    ]


def test_drop_table_warns() -> None:
    assert steps([DropTable(POSTS)]) == [
        Comment("WARNING: dropping table posts deletes all of its rows"),
        Execute("DROP TABLE posts"),
    ]


def test_rename_table() -> None:
    assert sql([RenameTable("users", "people")]) == ["ALTER TABLE users RENAME TO people"]
    assert sql([RenameTable("users", "user list")]) == ['ALTER TABLE users RENAME TO "user list"']


# --- columns in place ------------------------------------------------------------------


def test_add_column() -> None:
    assert sql(
        [
            AddColumn("users", Column("bio", "text")),
            AddColumn("users", Column("score", "integer", nullable=False, default="0")),
            AddColumn("users", Column("kind", "enum", default="'a'", choices=("a", "b"))),
        ]
    ) == [
        "ALTER TABLE users ADD COLUMN bio TEXT",
        "ALTER TABLE users ADD COLUMN score INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE users ADD COLUMN kind TEXT DEFAULT 'a' CHECK (kind IN ('a', 'b'))",
    ]


def test_add_column_with_its_foreign_key_inline() -> None:
    fk = ForeignKey("fk_posts_editor_id", "editor_id", "users", "id", "SET NULL")
    assert sql(
        [
            AddColumn("posts", Column("editor_id", "biginteger")),
            AddForeignKey("posts", fk),
            AddIndex("posts", Index("idx_posts_editor_id", ("editor_id",))),
        ]
    ) == [
        "ALTER TABLE posts ADD COLUMN editor_id INTEGER REFERENCES users(id) ON DELETE SET NULL",
        "CREATE INDEX idx_posts_editor_id ON posts (editor_id)",
    ]


def test_rename_column() -> None:
    assert sql([RenameColumn("users", "name", "full name")]) == [
        'ALTER TABLE users RENAME COLUMN name TO "full name"'
    ]


def test_drop_column_in_place_warns() -> None:
    assert steps([DropColumn("users", NAME)]) == [
        Comment("WARNING: dropping column users.name deletes its values"),
        Execute("ALTER TABLE users DROP COLUMN name"),
    ]


def test_drop_indexed_column_drops_its_index_first() -> None:
    table = USERS.with_(checks=())
    before = Schema.of([table, POSTS])
    index = table.indexes[0]
    assert sql([DropColumn("users", AGE), DropIndex("users", index)], before) == [
        "DROP INDEX idx_users_age",
        "ALTER TABLE users DROP COLUMN age",
    ]


# --- indexes --------------------------------------------------------------------------


def test_indexes() -> None:
    assert sql(
        [
            AddIndex("users", Index("idx_users_name", ("name",))),
            AddIndex("users", Index("uq_users_name", ("name",), unique=True)),
            AddIndex("users", Index("idx_users_name_age", ("name", "age"))),
            AddIndex("users", Index("idx odd", ("order",))),
            DropIndex("users", Index("idx_users_age", ("age",))),
        ]
    ) == [
        "DROP INDEX idx_users_age",
        "CREATE INDEX idx_users_name ON users (name)",
        "CREATE UNIQUE INDEX uq_users_name ON users (name)",
        "CREATE INDEX idx_users_name_age ON users (name, age)",
        'CREATE INDEX "idx odd" ON users ("order")',
    ]


# --- rebuilds ---------------------------------------------------------------------------


def test_full_rebuild_body() -> None:
    after = replace(AGE, kind="decimal")
    body = render_body(steps([AlterColumn("users", AGE, after)]))
    assert body == (
        "    # Table users is rebuilt: SQLite's ALTER TABLE cannot make these changes.\n"
        "    #   ~ alter column users.age (kind)\n"
        "    # The rows are copied into a new table that replaces the old one; indexes,\n"
        "    # triggers and the AUTOINCREMENT counter are carried over, and foreign keys\n"
        "    # are checked before the batch commits.\n"
        "    saved = conn.execute(\n"
        '        "SELECT sql FROM sqlite_master"\n'
        "        \" WHERE tbl_name = 'users' AND type IN ('index', 'trigger')\"\n"
        '        " AND sql IS NOT NULL"\n'
        "        \" AND name NOT IN ('idx_users_age')\"\n"
        "    ).fetchall()\n"
        '    conn.execute("""CREATE TABLE _schemashift_new_users (\n'
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    email TEXT NOT NULL UNIQUE,\n"
        "    name TEXT DEFAULT '',\n"
        "    age NUMERIC,\n"
        "    status TEXT DEFAULT 'draft' CHECK (status IN ('draft', 'published')),\n"
        "    CONSTRAINT age_non_negative CHECK (age >= 0)\n"
        ')""" + conn.table_options("users"))\n'
        '    conn.execute("""INSERT INTO _schemashift_new_users (id, email, name, age, status)\n'
        'SELECT id, email, name, age, status FROM users""")\n'
        "    conn.execute(\"DELETE FROM sqlite_sequence WHERE name = '_schemashift_new_users'\")\n"
        '    conn.execute("""INSERT INTO sqlite_sequence (name, seq)\n'
        "SELECT '_schemashift_new_users', seq FROM sqlite_sequence WHERE name = 'users'\"\"\")\n"
        '    conn.check_row_count("users", "_schemashift_new_users")\n'
        '    conn.execute("DROP TABLE users")\n'
        '    conn.execute("PRAGMA legacy_alter_table = ON")\n'
        '    conn.execute("ALTER TABLE _schemashift_new_users RENAME TO users")\n'
        '    conn.execute("PRAGMA legacy_alter_table = OFF")\n'
        '    conn.execute("CREATE INDEX idx_users_age ON users (age)")\n'
        "    for (sql,) in saved:\n"
        "        conn.execute(sql)"
    )


def test_rebuild_steps_in_order() -> None:
    kinds = [
        type(s).__name__ for s in steps([AlterColumn("users", AGE, replace(AGE, kind="decimal"))])
    ]
    assert kinds == ["Comment"] + ["Code"] * 7 + ["Execute"] * 3 + ["Code"] + ["Execute"] * 5 + [
        "Code",
        "Code",
    ]
    rendered = steps([AlterColumn("users", AGE, replace(AGE, kind="decimal"))])
    code = [s.line for s in rendered if isinstance(s, Code)]
    assert code[len(CAPTURE)].startswith('conn.execute("""CREATE TABLE _schemashift_new_users (')
    assert code[len(CAPTURE)].endswith(')""" + conn.table_options("users"))')
    assert code[: len(CAPTURE)] + code[len(CAPTURE) + 1 :] == [
        *CAPTURE,
        'conn.check_row_count("users", "_schemashift_new_users")',
        "for (sql,) in saved:",
        "    conn.execute(sql)",
    ]


def test_alter_type_copies_values_for_the_new_affinity_to_convert() -> None:
    after = replace(AGE, kind="float")
    assert sql([AlterColumn("users", AGE, after)]) == rebuild_of_users(
        USERS_DDL.format(name="_schemashift_new_users").replace("age INTEGER", "age REAL"),
        users_insert(ALL_COLUMNS, "id, email, name, age, status"),
    )


def test_a_conversion_that_may_change_values_is_checked_before_the_rebuild() -> None:
    rendered = steps([AlterColumn("users", AGE, replace(AGE, kind="float"))])
    assert rendered[:4] == [
        ValueFlag(
            "WARNING: users.age: changing integer to float may change values: integers "
            "beyond 2**53 are rounded to the nearest float",
            "users.age",
            True,
        ),
        Comment(
            "migrate refuses while a row holds such a value, unless this file says\n"
            'accept_value_changes = ["users.age"] (after checking the rows).'
        ),
        Code(
            'conn.check_values("users", "age", '
            "\"typeof(age) = 'integer' AND CAST(age AS REAL) <> age\")"
        ),
        Comment(rendered[3].text),
    ]
    assert rendered[3].text.startswith("Table users is rebuilt")  # type: ignore[union-attr]


def test_a_float_becoming_text_keeps_its_digits() -> None:
    price = Column("price", "float")
    before = Schema({"t": Table("t", (ID, price))})
    after = replace(price, kind="text")
    insert = sql([AlterColumn("t", price, after)], before)[1]
    assert insert == (
        "INSERT INTO _schemashift_new_t (id, price)\nSELECT id, CASE WHEN typeof(price) = "
        "'real' AND CAST(CAST(price AS TEXT) AS REAL) <> price THEN printf('%!.17g', price) "
        "ELSE price END FROM t"
    )


def test_alter_type_within_a_storage_class_runs_nothing() -> None:
    after = replace(NAME, kind="text", max_length=None)
    assert sql([AlterColumn("users", NAME, after)]) == []
    assert steps([AlterColumn("users", NAME, after)]) == [
        Comment(
            "Nothing to run on SQLite (alter column users.name (kind, max_length)): the "
            "table's SQL is the same."
        )
    ]


def test_alter_nullability_with_fill() -> None:
    after = replace(AGE, nullable=False)
    rendered = steps([AlterColumn("users", AGE, after, fill="18")])
    assert Comment("WARNING: users.age: becomes NOT NULL; existing NULLs are set to 18") in rendered
    executes = statements(rendered)
    assert executes == rebuild_of_users(
        USERS_DDL.format(name="_schemashift_new_users").replace(
            "age INTEGER", "age INTEGER NOT NULL"
        ),
        users_insert(ALL_COLUMNS, "id, email, name, COALESCE(age, 18), status"),
    )


def test_alter_nullability_fills_with_the_default() -> None:
    after = replace(AGE, nullable=False, default="0")
    assert sql([AlterColumn("users", AGE, after)])[1] == users_insert(
        ALL_COLUMNS, "id, email, name, COALESCE(age, 0), status"
    )


def test_alter_nullability_to_nullable() -> None:
    after = replace(EMAIL, nullable=True)
    assert sql([AlterColumn("users", EMAIL, after)])[:2] == [
        USERS_DDL.format(name="_schemashift_new_users").replace(
            "email TEXT NOT NULL UNIQUE", "email TEXT UNIQUE"
        ),
        users_insert(ALL_COLUMNS, ALL_COLUMNS),
    ]


def test_alter_default() -> None:
    after = replace(NAME, default="'anonymous'")
    assert sql([AlterColumn("users", NAME, after)])[:2] == [
        USERS_DDL.format(name="_schemashift_new_users").replace(
            "name TEXT DEFAULT ''", "name TEXT DEFAULT 'anonymous'"
        ),
        users_insert(ALL_COLUMNS, ALL_COLUMNS),
    ]


def test_alter_unique() -> None:
    after = replace(EMAIL, unique=False)
    assert sql([AlterColumn("users", EMAIL, after)])[0] == USERS_DDL.format(
        name="_schemashift_new_users"
    ).replace("email TEXT NOT NULL UNIQUE", "email TEXT NOT NULL")


def test_enum_values() -> None:
    after = replace(STATUS, choices=("draft", "published", "archived"))
    assert sql([AlterColumn("users", STATUS, after)])[0] == USERS_DDL.format(
        name="_schemashift_new_users"
    ).replace("'published')", "'published', 'archived')")


def test_two_column_changes_are_one_rebuild() -> None:
    rendered = sql(
        [
            AlterColumn("users", AGE, replace(AGE, default="0")),
            AddColumn("users", Column("bio", "text")),
            AlterColumn("users", NAME, replace(NAME, nullable=False)),
        ]
    )
    assert rendered == rebuild_of_users(
        USERS_DDL.format(name="_schemashift_new_users")
        .replace("name TEXT DEFAULT ''", "name TEXT NOT NULL DEFAULT ''")
        .replace("age INTEGER", "age INTEGER DEFAULT 0")
        .replace("('draft', 'published')),", "('draft', 'published')),\n    bio TEXT,"),
        users_insert(ALL_COLUMNS, "id, email, COALESCE(name, ''), age, status"),
    )


def test_add_column_with_fill_rebuilds() -> None:
    column = Column("nickname", "text", nullable=False)
    rendered = sql([AddColumn("users", column, fill="'none'")])
    assert rendered[1] == users_insert(f"{ALL_COLUMNS}, nickname", f"{ALL_COLUMNS}, 'none'")
    assert "    nickname TEXT NOT NULL,\n" in rendered[0]


@pytest.mark.parametrize(
    "column",
    [
        Column("stamp", "datetime", default="CURRENT_TIMESTAMP"),
        Column("handle", "text", unique=True),
        Column("slug", "text", default="lower('X')"),
    ],
)
def test_add_column_that_alter_table_refuses_rebuilds(column: Column) -> None:
    rendered = sql([AddColumn("users", column)])
    assert rendered[0].startswith("CREATE TABLE _schemashift_new_users")
    assert rendered[1] == users_insert(ALL_COLUMNS, ALL_COLUMNS)


@pytest.mark.parametrize(
    ("column", "why"),
    [(EMAIL, "unique"), (AGE, "indexed and checked"), (ID, "primary key")],
)
def test_drop_column_that_drop_column_refuses_rebuilds(column: Column, why: str) -> None:
    rendered = sql([DropColumn("users", column)])
    assert rendered[0].startswith("CREATE TABLE _schemashift_new_users"), why
    assert f"    {column.name} " not in rendered[0]


def test_drop_column_used_by_a_check_rebuilds() -> None:
    table = USERS.with_(indexes=())
    rendered = sql(
        [DropColumn("users", AGE), DropCheck("users", table.checks[0])], Schema.of([table])
    )
    assert rendered[1] == users_insert("id, email, name, status", "id, email, name, status")


def test_drop_foreign_key_column_rebuilds_posts() -> None:
    rendered = sql(
        [
            DropIndex("posts", POSTS.indexes[0]),
            DropForeignKey("posts", AUTHOR_FK),
            DropColumn("posts", POSTS.columns[1]),
        ]
    )
    assert rendered == [
        "CREATE TABLE _schemashift_new_posts (\n"
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    title TEXT\n"
        ")",
        "INSERT INTO _schemashift_new_posts (id, title)\nSELECT id, title FROM posts",
        "DELETE FROM sqlite_sequence WHERE name = '_schemashift_new_posts'",
        "INSERT INTO sqlite_sequence (name, seq)\n"
        "SELECT '_schemashift_new_posts', seq FROM sqlite_sequence WHERE name = 'posts'",
        "DROP TABLE posts",
        "PRAGMA legacy_alter_table = ON",
        "ALTER TABLE _schemashift_new_posts RENAME TO posts",
        "PRAGMA legacy_alter_table = OFF",
    ]


def test_add_and_drop_foreign_key() -> None:
    editor = Column("editor_id", "biginteger")
    before = Schema.of([USERS, POSTS.with_(columns=(*POSTS.columns, editor))])
    fk = ForeignKey("fk_posts_editor_id", "editor_id", "users", "id", "SET NULL")
    added = sql([AddForeignKey("posts", fk)], before)
    assert added[0] == (
        "CREATE TABLE _schemashift_new_posts (\n"
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
        "    title TEXT,\n"
        "    editor_id INTEGER REFERENCES users(id) ON DELETE SET NULL\n"
        ")"
    )
    assert added[-1] == "CREATE INDEX idx_posts_author_id ON posts (author_id)"
    dropped = sql([DropForeignKey("posts", AUTHOR_FK)])
    assert dropped[0] == (
        "CREATE TABLE _schemashift_new_posts (\n"
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    author_id INTEGER NOT NULL,\n"
        "    title TEXT\n"
        ")"
    )


def test_change_on_delete_is_one_rebuild() -> None:
    restrict = replace(AUTHOR_FK, on_delete="RESTRICT")
    rendered = sql([DropForeignKey("posts", AUTHOR_FK), AddForeignKey("posts", restrict)])
    assert [s for s in rendered if s.startswith("CREATE TABLE")] == [
        "CREATE TABLE _schemashift_new_posts (\n"
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE RESTRICT,\n"
        "    title TEXT\n"
        ")"
    ]


def test_no_action_foreign_key_leaves_the_clause_out() -> None:
    fk = replace(AUTHOR_FK, on_delete="NO ACTION")
    rendered = sql([DropForeignKey("posts", AUTHOR_FK), AddForeignKey("posts", fk)])
    assert "    author_id INTEGER NOT NULL REFERENCES users(id),\n" in rendered[0]


def test_add_and_drop_check() -> None:
    check = Check("name_not_empty", "name <> ''")
    added = sql([AddCheck("users", check)])
    assert added[0] == USERS_DDL.format(name="_schemashift_new_users").replace(
        "CHECK (age >= 0)", "CHECK (age >= 0),\n    CONSTRAINT name_not_empty CHECK (name <> '')"
    )
    dropped = sql([DropCheck("users", USERS.checks[0])])
    assert dropped[0] == USERS_DDL.format(name="_schemashift_new_users").replace(
        "),\n    CONSTRAINT age_non_negative CHECK (age >= 0)\n)", ")\n)"
    )


def test_rename_splits_a_run_and_stays_a_plain_statement() -> None:
    rendered = sql(
        [
            AlterColumn("users", AGE, replace(AGE, default="1")),
            RenameColumn("users", "name", "nick"),
        ]
    )
    assert rendered[-1] == "ALTER TABLE users RENAME COLUMN name TO nick"
    assert sum(s.startswith("CREATE TABLE") for s in rendered) == 1


def test_rebuild_of_a_table_without_autoincrement_keeps_no_counter() -> None:
    table = Table(
        "tags",
        (Column("label", "text", nullable=False, primary_key=True), Column("weight", "integer")),
    )
    rendered = sql(
        [AlterColumn("tags", table.columns[1], replace(table.columns[1], default="1"))],
        Schema.of([table]),
    )
    assert rendered == [
        "CREATE TABLE _schemashift_new_tags (\n"
        "    label TEXT PRIMARY KEY NOT NULL,\n"
        "    weight INTEGER DEFAULT 1\n"
        ")",
        "INSERT INTO _schemashift_new_tags (label, weight)\nSELECT label, weight FROM tags",
        "DROP TABLE tags",
        "PRAGMA legacy_alter_table = ON",
        "ALTER TABLE _schemashift_new_tags RENAME TO tags",
        "PRAGMA legacy_alter_table = OFF",
    ]


def test_odd_names_are_quoted_everywhere() -> None:
    col = Column('say "hi"', "integer")
    table = Table("my table", (ID, col), indexes=(Index("idx x", ('say "hi"',)),))
    rendered = sql([AlterColumn("my table", col, replace(col, default="0"))], Schema.of([table]))
    assert rendered[1] == (
        'INSERT INTO "_schemashift_new_my table" (id, "say ""hi""")\n'
        'SELECT id, "say ""hi""" FROM "my table"'
    )
    assert 'CREATE INDEX "idx x" ON "my table" ("say ""hi""")' in rendered
    capture = [
        s.line
        for s in steps(
            [AlterColumn("my table", col, replace(col, default="0"))], Schema.of([table])
        )
        if isinstance(s, Code)
    ]
    assert "    \" WHERE tbl_name = 'my table' AND type IN ('index', 'trigger')\"" in capture


def test_comparable_reduces_kinds() -> None:
    assert comparable_column(Column("a", "string", max_length=9), ()) == Column("a", "text")
    assert comparable_column(Column("a", "json"), ()) == Column("a", "text")
    assert comparable_column(Column("a", "biginteger"), ()) == Column("a", "integer")
    assert comparable_column(ID, ("id",)) == replace(ID, kind="integer")
    assert comparable_column(STATUS, ()) == STATUS


def test_restoring_a_dropped_not_null_column_gives_rows_stand_in_values() -> None:
    after_drop = Schema.of([USERS.with_(columns=(ID, NAME, AGE, STATUS)), POSTS])
    rendered = steps([DropColumn("users", EMAIL).reverse()], after_drop)
    assert (
        Comment(
            "Existing rows get CAST(rowid AS TEXT) for users.email: no value is known for them."
        )
        in rendered
    )
    insert = statements(rendered)[1]
    assert insert == users_insert(
        "id, name, age, status, email", "id, name, age, status, (CAST(rowid AS TEXT))"
    )
    plain = replace(EMAIL, unique=False)
    rendered = steps([AddColumn("users", plain)], after_drop)
    assert statements(rendered)[1] == users_insert(
        "id, name, age, status, email", "id, name, age, status, ''"
    )
