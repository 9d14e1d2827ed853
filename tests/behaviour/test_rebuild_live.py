"""Table rebuilds start from the live table: what the migration does not change is kept
(columns added by hand or by a migration merged out of order, generated columns,
collations, the rowid and the AUTOINCREMENT counter), and a dropped column that a view
or trigger still uses stops the migration before anything changes. Judged with the
database's own catalog and rows, through the real command line."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support import db
from tests.support.project import ProjectDir

USER = """
class User(Model):
    name = Field.String(max_length=50)
"""
USER_NAME_REQUIRED = """
class User(Model):
    name = Field.String(max_length=50, nullable=False, default="")
"""


def sqlite_path(project: ProjectDir) -> str:
    return project.database.removeprefix("sqlite:///")


def xinfo(project: ProjectDir, table: str) -> list[tuple[str, str, int, int]]:
    """``(name, declared type, notnull, hidden)`` of each column, as SQLite reports them."""
    rows = db.query(
        project.database,
        'SELECT name, type, "notnull", hidden FROM pragma_table_xinfo(?) ORDER BY cid',
        (table,),
    )
    return [(str(n), str(t), int(nn), int(h)) for n, t, nn, h in rows]


def hand_written(project: ProjectDir, name: str, up: str, down: str) -> None:
    """Write a hand-written migration with one statement in ``up`` and in ``down``."""
    project.ok("make", "migration", name, "--empty")
    path = next(project.migrations.glob(f"[0-9]*_{name}.py"))
    path.write_text(
        f'def up(conn):\n    conn.execute("""{up}""")\n\n\n'
        f'def down(conn):\n    conn.execute("""{down}""")\n'
    )


# --- an out-of-order merge -----------------------------------------------------------------


def test_out_of_order_merge_keeps_the_branch_column(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")

    # A branch adds users.email; main, not knowing it, makes users.name NOT NULL.
    project.model("user", USER + "    email = Field.String(max_length=100)\n")
    project.ok("make", "migration", "add_email")
    branch = project.migrations / "0002_add_email.py"
    branch_text = branch.read_text()
    branch.unlink()
    project.model("user", USER_NAME_REQUIRED)
    project.ok("make", "migration", "require_name")
    main = project.migrations / "0002_require_name.py"
    main_text = main.read_text()
    main.unlink()

    # The branch is merged and applied first, then main's older-numbered file arrives.
    (project.migrations / "0003_add_email.py").write_text(branch_text)
    project.ok("migrate")
    for name, email in (("ann", "ann@x.com"), (None, "bob@x.com"), ("cy", None)):
        db.execute(project.database, "INSERT INTO users (name, email) VALUES (?, ?)", (name, email))
    main.write_text(main_text)
    project.ok("migrate")

    rows = [(1, "ann", "ann@x.com"), (2, "", "bob@x.com"), (3, "cy", None)]
    assert db.query(project.database, "SELECT id, name, email FROM users ORDER BY id") == rows
    assert db.columns(project.database, "users") == ["id", "name", "email"]
    if project.dialect == "sqlite":
        assert xinfo(project, "users")[1:] == [("name", "TEXT", 1, 0), ("email", "TEXT", 0, 0)]

    project.ok("migrate", "--rollback")
    assert db.query(project.database, "SELECT id, name, email FROM users ORDER BY id") == rows
    assert db.columns(project.database, "users") == ["id", "name", "email"]


# --- what only the live table has ------------------------------------------------------------


def test_a_column_added_by_hand_survives_an_unrelated_change(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    hand_written(
        project,
        "add_nickname",
        "ALTER TABLE users ADD COLUMN nickname TEXT",
        "ALTER TABLE users DROP COLUMN nickname",
    )
    project.ok("migrate")
    db.execute(project.database, "INSERT INTO users (name, nickname) VALUES ('ann', 'annie')")
    db.execute(project.database, "INSERT INTO users (name, nickname) VALUES (NULL, 'ghost')")

    project.model("user", USER_NAME_REQUIRED)
    project.ok("make", "migration", "require_name")
    project.ok("migrate")
    rows = [(1, "ann", "annie"), (2, "", "ghost")]
    assert db.query(project.database, "SELECT id, name, nickname FROM users ORDER BY id") == rows

    project.ok("migrate", "--rollback")
    assert db.query(project.database, "SELECT id, name, nickname FROM users ORDER BY id") == rows
    assert db.columns(project.database, "users") == ["id", "name", "nickname"]


USER_WITH_EMAIL = """
class User(Model):
    name = Field.String(max_length=50)
    email = Field.String(max_length=100, unique=True)
"""


def test_generated_columns_and_collations_survive_an_unrelated_rebuild(
    sqlite_project: ProjectDir,
) -> None:
    project = sqlite_project
    project.model("user", USER_WITH_EMAIL)
    project.ok("make", "migration", "initial")
    initial = project.migrations / "0001_initial.py"
    text = initial.read_text()
    edited = text.replace(
        "    email TEXT UNIQUE\n)",
        "    email TEXT UNIQUE COLLATE NOCASE,\n"
        "    shout TEXT GENERATED ALWAYS AS (upper(name)) STORED,\n"
        "    initial TEXT AS (substr(name, 1, 1)) VIRTUAL\n)",
    )
    assert edited != text
    initial.write_text(edited)
    project.ok("migrate")
    db.execute(project.database, "INSERT INTO users (name, email) VALUES ('ann', 'ann@x.com')")
    db.execute(project.database, "INSERT INTO users (name, email) VALUES (NULL, 'bob@x.com')")
    columns = xinfo(project, "users")

    project.model("user", USER_WITH_EMAIL.replace("max_length=50", 'max_length=50, default="?"'))
    project.ok("make", "migration", "default_name")
    assert "rebuild_table" in project.read("0002_default_name.py")
    project.ok("migrate")

    assert xinfo(project, "users") == columns
    assert [c[3] for c in columns] == [0, 0, 0, 3, 2]
    assert db.query(
        project.database, "SELECT id, name, email, shout, initial FROM users ORDER BY id"
    ) == [(1, "ann", "ann@x.com", "ANN", "a"), (2, None, "bob@x.com", None, None)]
    db.execute(project.database, "INSERT INTO users (email) VALUES ('cy@x.com')")
    assert db.query(project.database, "SELECT name, shout FROM users WHERE id = 3") == [("?", "?")]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(project.database, "INSERT INTO users (name, email) VALUES ('x', 'ANN@X.COM')")

    project.ok("migrate", "--rollback")
    assert xinfo(project, "users") == columns
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(project.database, "INSERT INTO users (name, email) VALUES ('x', 'BOB@x.com')")


# --- views and triggers on a dropped column ----------------------------------------------------

TAGGED = """
class User(Model):
    name = Field.String(max_length=50)
    code = Field.String(max_length=20, unique=True)
"""


def _drop_code_with(project: ProjectDir, *objects: str) -> tuple[dict[str, object], str]:
    """Users with a unique ``code`` that ``objects`` (hand-written SQL) use, then a
    migration dropping ``code``: the snapshot before it, and ``migrate``'s stderr."""
    project.model("user", TAGGED)
    project.ok("make", "migration", "initial")
    for i, statement in enumerate(objects):
        hand_written(project, f"hand_{i}", statement, "SELECT 1")
    project.ok("migrate")
    db.execute(project.database, "INSERT INTO users (name, code) VALUES ('ann', 'a1')")
    db.execute(project.database, "INSERT INTO users (name, code) VALUES ('bob', 'b2')")
    project.model("user", USER)
    project.ok("make", "migration", "drop_code")
    before = db.snapshot(project.database)
    failed = project.run("migrate")
    assert failed.code == 1, failed.out + failed.err
    assert "Traceback" not in failed.err
    assert db.snapshot(project.database) == before
    return before, failed.err


def test_dropping_a_column_a_view_uses_is_refused(project: ProjectDir) -> None:
    _, err = _drop_code_with(
        project,
        "CREATE VIEW coded AS SELECT id, code FROM users",
        "CREATE VIEW names AS SELECT id, name FROM users",
    )
    assert "coded" in err and "names" not in err
    assert db.query(project.database, "SELECT code FROM coded ORDER BY id") == [("a1",), ("b2",)]
    if project.dialect != "postgresql":
        # PostgreSQL refuses by itself; SQLite's rebuild and MySQL's files look first.
        assert "view coded uses column code" in err
        assert "or change it first" in err

    # Doing what the message says lets the column go; the other view keeps working.
    path = project.migrations / "0004_drop_code.py"
    path.write_text(
        path.read_text().replace(
            '    """Apply changes."""\n',
            '    """Apply changes."""\n    conn.execute("DROP VIEW coded")\n',
            1,
        )
    )
    project.ok("migrate")
    assert db.columns(project.database, "users") == ["id", "name"]
    assert db.query(project.database, "SELECT name FROM names ORDER BY id") == [("ann",), ("bob",)]


def test_dropping_a_column_a_trigger_uses_is_refused(sqlite_project: ProjectDir) -> None:
    project = sqlite_project
    _, err = _drop_code_with(
        project,
        "CREATE TABLE audit (code TEXT)",
        "CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN "
        "INSERT INTO audit VALUES (new.code); END",
    )
    assert "trigger users_audit uses column code" in err
    db.execute(project.database, "INSERT INTO users (name, code) VALUES ('cy', 'c3')")
    assert db.query(project.database, "SELECT code FROM audit") == [("a1",), ("b2",), ("c3",)]


# --- primary keys ------------------------------------------------------------------------------

CODED_TAG = """
class Tag(Model):
    code = Field.String(max_length=20, primary_key=True)
    label = Field.Text()
"""
PLAIN_TAG = """
class Tag(Model):
    code = Field.String(max_length=20, nullable=False, unique=True)
    label = Field.Text()
"""


def _tags(project: ProjectDir) -> list[tuple[object, ...]]:
    return db.query(project.database, "SELECT code, label FROM tags ORDER BY code")


def test_the_implicit_id_comes_back_with_one_value_per_row(project: ProjectDir) -> None:
    project.model("tag", CODED_TAG)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for code in ("c", "a", "b", "d"):
        db.execute(project.database, "INSERT INTO tags (code, label) VALUES (?, ?)", (code, code))
    rows = _tags(project)

    project.model("tag", PLAIN_TAG)
    project.ok("make", "migration", "implicit_id")
    project.ok("migrate")
    assert _tags(project) == rows
    ids = db.query(project.database, "SELECT id, code FROM tags ORDER BY id")
    assert len({i for i, _ in ids}) == 4 and None not in {i for i, _ in ids}
    if project.dialect == "sqlite":
        # Each row keeps its rowid as its id.
        assert ids == [(1, "c"), (2, "a"), (3, "b"), (4, "d")]
        keys = db.query(
            project.database, "SELECT name, type FROM pragma_table_info('tags') WHERE pk"
        )
        assert keys == [("id", "INTEGER")]

    project.ok("migrate", "--rollback")
    assert _tags(project) == rows
    assert db.columns(project.database, "tags") == ["code", "label"]


def test_the_primary_key_moves_to_another_field_and_back(project: ProjectDir) -> None:
    project.model("tag", PLAIN_TAG)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for code in ("c", "a", "b", "d"):
        db.execute(project.database, "INSERT INTO tags (code, label) VALUES (?, ?)", (code, code))
    db.execute(project.database, "DELETE FROM tags WHERE code = 'a'")
    ids = db.query(project.database, "SELECT id, code FROM tags ORDER BY id")
    assert ids == [(1, "c"), (3, "b"), (4, "d")]
    rows = _tags(project)

    project.model("tag", CODED_TAG)
    project.ok("make", "migration", "code_key")
    project.ok("migrate")
    assert db.columns(project.database, "tags") == ["code", "label"]
    assert _tags(project) == rows

    project.ok("migrate", "--rollback")
    assert _tags(project) == rows
    back = db.query(project.database, "SELECT id, code FROM tags ORDER BY id")
    if project.dialect == "sqlite":
        assert back == ids
    else:
        assert len({i for i, _ in back}) == 3

    project.ok("migrate")
    project.model("tag", PLAIN_TAG)
    project.ok("make", "migration", "implicit_id_again")
    project.ok("migrate")
    assert _tags(project) == rows
    again = db.query(project.database, "SELECT id, code FROM tags ORDER BY id")
    assert len({i for i, _ in again}) == 3
    if project.dialect == "sqlite":
        assert again == ids
    project.ok("migrate", "--rollback")
    project.ok("migrate", "--rollback")
    assert _tags(project) == rows


DOG = """
class Dog(Model):
    name = Field.String(max_length=50)
"""


@pytest.mark.parametrize("field", ["Integer", "BigInteger"])
def test_renaming_the_implicit_id_keeps_the_counter(sqlite_project: ProjectDir, field: str) -> None:
    project = sqlite_project
    project.model("dog", DOG)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for name in ("rex", "fido", "max"):
        db.execute(project.database, "INSERT INTO dogs (name) VALUES (?)", (name,))
    db.execute(project.database, "DELETE FROM dogs WHERE name = 'max'")

    project.model(
        "dog",
        f"class Dog(Model):\n    pk = Field.{field}(primary_key=True)\n" + DOG.split("\n", 2)[2],
    )
    project.ok("make", "migration", "pk", "--rename", "dogs.id=pk")
    project.ok("migrate")
    assert db.query(project.database, "SELECT pk, name FROM dogs ORDER BY pk") == [
        (1, "rex"),
        (2, "fido"),
    ]
    assert db.query(project.database, "SELECT seq FROM sqlite_sequence WHERE name = 'dogs'") == [
        (3,)
    ]

    project.ok("migrate", "--rollback")
    assert xinfo(project, "dogs")[0] == ("id", "INTEGER", 0, 0)
    db.execute(project.database, "INSERT INTO dogs (name) VALUES ('bella')")
    assert db.query(project.database, "SELECT id, name FROM dogs ORDER BY id") == [
        (1, "rex"),
        (2, "fido"),
        (4, "bella"),
    ]
