"""Exact SQL the SQLite dialect writes for each kind of operation."""

from __future__ import annotations

from typing import Any

import pytest

from schemashift.dialects.base import Code, Comment, Execute, Step
from schemashift.dialects.sqlite import DIALECT
from schemashift.dialects.sqlite.ddl import default_sql
from schemashift.dialects.sqlite.introspect import comparable_column, stored_default
from schemashift.dialects.sqlite.live import Rebuild
from schemashift.dialects.sqlite.sqltext import mentions, table_elements
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
    RenameCheck,
    RenameColumn,
    RenameForeignKey,
    RenameIndex,
    RenameTable,
)
from schemashift.migrations.body import render_body
from schemashift.schema.record import replace
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
    "CREATE TABLE users (\n"
    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    email TEXT NOT NULL UNIQUE,\n"
    "    name TEXT DEFAULT '',\n"
    "    age INTEGER,\n"
    "    status TEXT DEFAULT 'draft' CHECK (status IN ('draft', 'published')),\n"
    "    CONSTRAINT age_non_negative CHECK (age >= 0)\n"
    ")"
)


class _Recorder:
    """Stands in for ``conn`` to collect the arguments of ``conn.rebuild_table``."""

    def __init__(self) -> None:
        self.calls: list[Rebuild] = []

    def check_values(self, table: str, column: str, unkept: str) -> None:
        """The value check before a conversion: not what these tests look at."""

    def rebuild_table(self, table: str, create: str, **changes: Any) -> None:
        self.calls.append(
            Rebuild(
                table,
                create,
                changes.get("change", {}),
                changes.get("add", {}),
                tuple(changes.get("drop", ())),
                tuple(changes.get("drop_constraints", ())),
                tuple(changes.get("add_constraints", ())),
            )
        )


def rebuilds(rendered: list[Step]) -> list[Rebuild]:
    """The rebuilds that the ``conn.rebuild_table(...)`` lines of ``rendered`` ask for."""
    recorder = _Recorder()
    exec("\n".join(s.line for s in rendered if isinstance(s, Code)), {"conn": recorder})
    return recorder.calls


def sql(operations: list[Operation], before: Schema = BEFORE) -> list[str | Rebuild]:
    """What the migration runs for ``operations``: each statement's SQL, and each
    rebuild as the :class:`Rebuild` it asks for, in order."""
    out: list[str | Rebuild] = []
    code: list[Step] = []
    for step in DIALECT.render(operations, before):
        if isinstance(step, Execute):
            out.append(step.sql)
        elif isinstance(step, Code):
            code.append(step)
            if step.line == ")":
                out.extend(rebuilds(code))
                code = []
    return out


def steps(operations: list[Operation], before: Schema = BEFORE) -> list[Step]:
    return DIALECT.render(operations, before)


def users(**changes: Any) -> Rebuild:
    """A rebuild of ``users`` into USERS_DDL with the ``(old, new)`` text replacements
    of ``ddl`` and the given changes."""
    create = USERS_DDL
    for old, new in changes.pop("ddl", ()):
        assert old in create
        create = create.replace(old, new)
    return Rebuild("users", create, **changes)


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


def test_a_renamed_index_is_dropped_and_created_under_its_new_name() -> None:
    assert sql(
        [
            RenameColumn("posts", "author_id", "writer_id"),
            RenameIndex("posts", "idx_posts_author_id", "idx_posts_writer_id"),
        ]
    ) == [
        "DROP INDEX idx_posts_author_id",
        "ALTER TABLE posts RENAME COLUMN author_id TO writer_id",
        "CREATE INDEX idx_posts_writer_id ON posts (writer_id)",
    ]


def test_a_renamed_foreign_key_has_nothing_to_run() -> None:
    assert sql([RenameForeignKey("posts", "fk_posts_author_id", "fk_posts_writer")]) == []


def test_a_renamed_check_rebuilds_the_table() -> None:
    (rebuild,) = sql([RenameCheck("users", "age_non_negative", "age_ok")])
    assert isinstance(rebuild, Rebuild)
    assert rebuild.drop_constraints == ("CONSTRAINT age_non_negative CHECK (age >= 0)",)
    assert rebuild.add_constraints == ("CONSTRAINT age_ok CHECK (age >= 0)",)


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
        "    # conn.rebuild_table copies the rows into a new table that replaces the old one.\n"
        "    # The CREATE TABLE below is the table as the models describe it; the rebuild\n"
        "    # takes only the definitions named in change/add from it, and keeps the rest\n"
        "    # (columns, collations, constraints, indexes, triggers, the AUTOINCREMENT\n"
        "    # counter) as the live table has it when the migration runs. It refuses,\n"
        "    # changing nothing, when a view, trigger or index uses a dropped column.\n"
        "    conn.rebuild_table(\n"
        '        "users",\n'
        '        """CREATE TABLE users (\n'
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    email TEXT NOT NULL UNIQUE,\n"
        "    name TEXT DEFAULT '',\n"
        "    age NUMERIC,\n"
        "    status TEXT DEFAULT 'draft' CHECK (status IN ('draft', 'published')),\n"
        "    CONSTRAINT age_non_negative CHECK (age >= 0)\n"
        ')""",\n'
        '        change={"age": "age"},\n'
        "    )"
    )


def test_alter_type_casts() -> None:
    after = replace(AGE, kind="float")
    assert sql([AlterColumn("users", AGE, after)]) == [
        users(ddl=[("age INTEGER", "age REAL")], change={"age": "age"})
    ]


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
    assert rebuilds(rendered) == [
        users(ddl=[("age INTEGER", "age INTEGER NOT NULL")], change={"age": "COALESCE(age, 18)"})
    ]


def test_alter_nullability_fills_with_the_default() -> None:
    after = replace(AGE, nullable=False, default="0")
    assert sql([AlterColumn("users", AGE, after)]) == [
        users(
            ddl=[("age INTEGER", "age INTEGER NOT NULL DEFAULT 0")],
            change={"age": "COALESCE(age, 0)"},
        )
    ]


def test_a_changed_definition_copies_the_values_as_they_are() -> None:
    nullable = sql([AlterColumn("users", EMAIL, replace(EMAIL, nullable=True))])
    assert nullable == [
        users(ddl=[("email TEXT NOT NULL UNIQUE", "email TEXT UNIQUE")], change={"email": "email"})
    ]
    default = sql([AlterColumn("users", NAME, replace(NAME, default="'anonymous'"))])
    assert default == [
        users(
            ddl=[("name TEXT DEFAULT ''", "name TEXT DEFAULT 'anonymous'")], change={"name": "name"}
        )
    ]
    unique = sql([AlterColumn("users", EMAIL, replace(EMAIL, unique=False))])
    assert unique == [
        users(
            ddl=[("email TEXT NOT NULL UNIQUE", "email TEXT NOT NULL")], change={"email": "email"}
        )
    ]
    choices = ("draft", "published", "archived")
    enum = sql([AlterColumn("users", STATUS, replace(STATUS, choices=choices))])
    assert enum == [
        users(ddl=[("'published')", "'published', 'archived')")], change={"status": "status"})
    ]


def test_two_column_changes_are_one_rebuild() -> None:
    rendered = sql(
        [
            AlterColumn("users", AGE, replace(AGE, default="0")),
            AddColumn("users", Column("bio", "text")),
            AlterColumn("users", NAME, replace(NAME, nullable=False)),
        ]
    )
    assert rendered == [
        users(
            ddl=[
                ("name TEXT DEFAULT ''", "name TEXT NOT NULL DEFAULT ''"),
                ("age INTEGER", "age INTEGER DEFAULT 0"),
                ("('draft', 'published')),", "('draft', 'published')),\n    bio TEXT,"),
            ],
            change={"name": "COALESCE(name, '')", "age": "age"},
            add={"bio": None},
        )
    ]


def test_add_column_with_fill_rebuilds() -> None:
    column = Column("nickname", "text", nullable=False)
    (rebuild,) = sql([AddColumn("users", column, fill="'none'")])
    assert isinstance(rebuild, Rebuild)
    assert rebuild.add == {"nickname": "'none'"} and not rebuild.change
    assert "    nickname TEXT NOT NULL,\n" in rebuild.create


@pytest.mark.parametrize(
    "column",
    [
        Column("stamp", "datetime", default="CURRENT_TIMESTAMP"),
        Column("handle", "text", unique=True),
        Column("slug", "text", default="lower('X')"),
    ],
)
def test_add_column_that_alter_table_refuses_rebuilds(column: Column) -> None:
    (rebuild,) = sql([AddColumn("users", column)])
    assert isinstance(rebuild, Rebuild)
    assert rebuild.add == {column.name: None} and not rebuild.change and not rebuild.drop


@pytest.mark.parametrize(
    ("column", "why"),
    [(EMAIL, "unique"), (AGE, "indexed and checked"), (ID, "primary key")],
)
def test_drop_column_that_drop_column_refuses_rebuilds(column: Column, why: str) -> None:
    (*_, rebuild) = sql([DropColumn("users", column)])
    assert isinstance(rebuild, Rebuild), why
    assert rebuild.drop == (column.name,)
    assert f"    {column.name} " not in rebuild.create


def test_drop_column_used_by_a_check_rebuilds() -> None:
    table = USERS.with_(indexes=())
    rendered = sql(
        [DropColumn("users", AGE), DropCheck("users", table.checks[0])], Schema.of([table])
    )
    assert rendered == [
        Rebuild(
            "users",
            "CREATE TABLE users (\n"
            "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
            "    email TEXT NOT NULL UNIQUE,\n"
            "    name TEXT DEFAULT '',\n"
            "    status TEXT DEFAULT 'draft' CHECK (status IN ('draft', 'published'))\n"
            ")",
            drop=("age",),
            drop_constraints=("CONSTRAINT age_non_negative CHECK (age >= 0)",),
        )
    ]


def test_index_changes_stay_statements_around_the_rebuild() -> None:
    rendered = sql(
        [
            DropIndex("posts", POSTS.indexes[0]),
            DropForeignKey("posts", AUTHOR_FK),
            DropColumn("posts", POSTS.columns[1]),
            AddIndex("posts", Index("idx_posts_title", ("title",))),
        ]
    )
    assert rendered == [
        "DROP INDEX idx_posts_author_id",
        Rebuild(
            "posts",
            "CREATE TABLE posts (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    title TEXT\n)",
            drop=("author_id",),
        ),
        "CREATE INDEX idx_posts_title ON posts (title)",
    ]


def test_an_index_change_beside_a_change_sqlite_does_not_see_copies_nothing() -> None:
    after = replace(NAME, kind="text", max_length=None)
    rendered = steps(
        [AlterColumn("users", NAME, after), AddIndex("users", Index("idx_name", ("name",)))]
    )
    assert rebuilds(rendered) == []
    assert [s.sql for s in rendered if isinstance(s, Execute)] == [
        "CREATE INDEX idx_name ON users (name)"
    ]


def test_add_and_drop_foreign_key() -> None:
    editor = Column("editor_id", "biginteger")
    before = Schema.of([USERS, POSTS.with_(columns=(*POSTS.columns, editor))])
    fk = ForeignKey("fk_posts_editor_id", "editor_id", "users", "id", "SET NULL")
    (added,) = sql([AddForeignKey("posts", fk)], before)
    assert added == Rebuild(
        "posts",
        "CREATE TABLE posts (\n"
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
        "    title TEXT,\n"
        "    editor_id INTEGER REFERENCES users(id) ON DELETE SET NULL\n"
        ")",
        change={"editor_id": "editor_id"},
    )
    (dropped,) = sql([DropForeignKey("posts", AUTHOR_FK)])
    assert dropped == Rebuild(
        "posts",
        "CREATE TABLE posts (\n"
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    author_id INTEGER NOT NULL,\n"
        "    title TEXT\n"
        ")",
        change={"author_id": "author_id"},
    )


def test_change_on_delete_is_one_rebuild() -> None:
    restrict = replace(AUTHOR_FK, on_delete="RESTRICT")
    (rebuild,) = sql([DropForeignKey("posts", AUTHOR_FK), AddForeignKey("posts", restrict)])
    assert isinstance(rebuild, Rebuild)
    assert rebuild.change == {"author_id": "author_id"}
    assert rebuild.create == (
        "CREATE TABLE posts (\n"
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE RESTRICT,\n"
        "    title TEXT\n"
        ")"
    )


def test_no_action_foreign_key_leaves_the_clause_out() -> None:
    fk = replace(AUTHOR_FK, on_delete="NO ACTION")
    (rebuild,) = sql([DropForeignKey("posts", AUTHOR_FK), AddForeignKey("posts", fk)])
    assert isinstance(rebuild, Rebuild)
    assert "    author_id INTEGER NOT NULL REFERENCES users(id),\n" in rebuild.create


def test_add_and_drop_check() -> None:
    check = Check("name_not_empty", "name <> ''")
    assert sql([AddCheck("users", check)]) == [
        users(
            ddl=[
                (
                    "CHECK (age >= 0)",
                    "CHECK (age >= 0),\n    CONSTRAINT name_not_empty CHECK (name <> '')",
                )
            ],
            add_constraints=("CONSTRAINT name_not_empty CHECK (name <> '')",),
        )
    ]
    assert sql([DropCheck("users", USERS.checks[0])]) == [
        users(
            ddl=[("),\n    CONSTRAINT age_non_negative CHECK (age >= 0)\n)", ")\n)")],
            drop_constraints=("CONSTRAINT age_non_negative CHECK (age >= 0)",),
        )
    ]


def test_a_composite_key_is_a_table_constraint() -> None:
    a = Column("a", "integer", nullable=False, primary_key=True)
    b = Column("b", "text", nullable=False)
    pairs = Table("pairs", (a, b))
    (rebuild,) = sql([AlterColumn("pairs", b, replace(b, primary_key=True))], Schema.of([pairs]))
    assert rebuild == Rebuild(
        "pairs",
        "CREATE TABLE pairs (\n"
        "    a INTEGER NOT NULL,\n"
        "    b TEXT NOT NULL,\n"
        "    PRIMARY KEY (a, b)\n"
        ")",
        change={"a": "a"},
        add_constraints=("PRIMARY KEY (a, b)",),
    )


def test_rename_splits_a_run_and_stays_a_plain_statement() -> None:
    rendered = sql(
        [
            AlterColumn("users", AGE, replace(AGE, default="1")),
            RenameColumn("users", "name", "nick"),
        ]
    )
    assert rendered[-1] == "ALTER TABLE users RENAME COLUMN name TO nick"
    assert sum(isinstance(s, Rebuild) for s in rendered) == 1


def test_a_change_that_renames_is_a_rename_then_the_change() -> None:
    after = replace(AGE, name="years", default="1")
    rendered = sql([AlterColumn("users", AGE, after)])
    assert rendered[0] == "ALTER TABLE users RENAME COLUMN age TO years"
    assert isinstance(rendered[1], Rebuild)
    assert rendered[1].change == {"years": "years"}
    assert "    years INTEGER DEFAULT 1,\n" in rendered[1].create


def test_odd_names_are_quoted_everywhere() -> None:
    col = Column('say "hi"', "integer")
    table = Table("my table", (ID, col), indexes=(Index("idx x", ('say "hi"',)),))
    (rebuild,) = sql([AlterColumn("my table", col, replace(col, default="0"))], Schema.of([table]))
    assert rebuild == Rebuild(
        "my table",
        'CREATE TABLE "my table" (\n'
        "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        '    "say ""hi""" INTEGER DEFAULT 0\n'
        ")",
        change={'say "hi"': '"say ""hi"""'},
    )


def test_the_implicit_id_coming_back_takes_each_row_s_rowid() -> None:
    code = Column("code", "text", nullable=False, primary_key=True)
    tags = Table("tags", (code, Column("label", "text")))
    rendered = steps(
        [AddColumn("tags", ID), AlterColumn("tags", code, replace(code, primary_key=False))],
        Schema.of([tags]),
    )
    assert Comment("Existing rows get rowid for tags.id: no value is known for them.") in rendered
    (rebuild,) = rebuilds(rendered)
    assert rebuild.add == {"id": "rowid"}
    assert rebuild.change == {"code": "code"}
    shadowed = Table("tags", (Column("code", "text"), Column("rowid", "integer")))
    (rebuild,) = rebuilds(steps([AddColumn("tags", ID)], Schema.of([shadowed])))
    assert rebuild.add == {"id": "_rowid_"}


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
    assert [r.add for r in rebuilds(rendered)] == [{"email": "CAST(rowid AS TEXT)"}]
    plain = replace(EMAIL, unique=False)
    rendered = steps([AddColumn("users", plain)], after_drop)
    assert [r.add for r in rebuilds(rendered)] == [{"email": "''"}]
