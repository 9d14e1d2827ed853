"""Renaming a table or a column renames the indexes and constraints named after it in
place. On PostgreSQL the very same index and constraint objects (same OIDs, same files
on disk) carry the new names: nothing is dropped, built or validated again, so the
rename holds its lock for a moment whatever the table's size. SQLite has no ALTER
INDEX: its indexes are dropped and created under their new names. Either way ``check``
is clean afterwards, and ``down()`` gives the old names back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.behaviour.test_changes import causes, rows, run_sql, schema_of
from tests.behaviour.test_mysql import _query
from tests.behaviour.test_postgres_lock_notes import _squawk, _up_statements
from tests.support import db
from tests.support.project import ProjectDir

#: Rows of the large table: enough that rebuilding its indexes takes seconds.
LARGE_ROWS = 1_000_000

BEFORE = """
class User(Model):
    email = Field.String(max_length=255, unique=True)
    age = Field.Integer(index=True)
    status = Field.Enum(["active", "gone"], default="active")


class Post(Model):
    __indexes__ = [Index("author_id", "score"), Index("slug", unique=True)]
    __checks__ = [Check("score >= 0")]
    author_id = Field.ForeignKey("User", on_delete="CASCADE")
    slug = Field.String(max_length=200, nullable=False)
    score = Field.Integer(default=0, nullable=False)
"""

AFTER = """
class Member(Model):
    __renamed_from__ = "users"
    mail = Field.String(max_length=255, unique=True, renamed_from="email")
    years = Field.Integer(index=True, renamed_from="age")
    status = Field.Enum(["active", "gone"], default="active")


class Article(Model):
    __renamed_from__ = "posts"
    __indexes__ = [Index("writer_id", "score"), Index("slug", unique=True)]
    __checks__ = [Check("score >= 0")]
    writer_id = Field.ForeignKey("Member", on_delete="CASCADE", renamed_from="author_id")
    slug = Field.String(max_length=200, nullable=False)
    score = Field.Integer(default=0, nullable=False)
"""

SEED = [
    "INSERT INTO users (email, age) VALUES ('ann@example.com', 30), ('bo@example.com', 40)",
    "INSERT INTO posts (author_id, slug, score) VALUES (1, 'hello', 3), (2, 'again', 5)",
]

RENAMED = [
    "~ rename index idx_posts_author_id_score to idx_articles_writer_id_score on articles",
    "~ rename index uq_posts_slug to uq_articles_slug on articles",
    "~ rename foreign key fk_posts_author_id to fk_articles_writer_id on articles",
    "~ rename check ck_posts_",
    "~ rename index idx_users_age to idx_members_years on members",
]


def _objects(project: ProjectDir) -> dict[int, tuple[str, str, int]]:
    """PostgreSQL's indexes and constraints of the user tables: OID -> (kind, name, the
    file holding the index's data; 0 for a constraint)."""
    found = db.query(
        project.database,
        "SELECT i.oid::bigint, 'index', i.relname, i.relfilenode::bigint "
        "FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid "
        "JOIN pg_class AS t ON t.oid = x.indrelid "
        "WHERE t.relnamespace = 'public'::regnamespace AND t.relname !~ '^_schemashift' "
        "UNION ALL "
        "SELECT c.oid::bigint, 'constraint', c.conname, 0 FROM pg_constraint AS c "
        "JOIN pg_class AS t ON t.oid = c.conrelid "
        "WHERE t.relnamespace = 'public'::regnamespace AND t.relname !~ '^_schemashift'",
    )
    return {oid: (kind, name, node) for oid, kind, name, node in found}


def _index_names(project: ProjectDir) -> set[str]:
    if project.dialect == "sqlite":
        found = db.query(
            project.database,
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        )
    elif project.dialect == "mysql":
        found = db.query(
            project.database,
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY'",
        )
    else:
        found = db.query(
            project.database, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        )
    return {name for (name,) in found}


def _clean(project: ProjectDir) -> None:
    """Models, files and database agree: no drift, and no change left to make."""
    assert causes(project) == (0, set())
    again = project.ok("make", "migration", "again")
    assert "No changes detected" in again.out, again.out


def _same_objects(before: dict[int, Any], after: dict[int, Any]) -> None:
    """The same indexes and constraints (by OID), none rebuilt (same data files)."""
    assert sorted(after) == sorted(before)
    assert {o: (k, f) for o, (k, _, f) in after.items()} == {
        o: (k, f) for o, (k, _, f) in before.items()
    }


def test_renames_rename_derived_index_and_constraint_names(project: ProjectDir) -> None:
    project.model("models", BEFORE)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    run_sql(project, *SEED)
    before = schema_of(project)
    objects = _objects(project) if project.dialect == "postgresql" else {}

    project.model("models", AFTER)
    made = project.ok("make", "migration", "rename")
    for line in RENAMED:
        assert line in made.out, made.out
    changes = [line.strip() for line in made.out.splitlines() if line.startswith("  ")]
    assert all(line.startswith("~ rename ") for line in changes), made.out
    if project.dialect == "mysql":
        # MySQL has no RENAME CONSTRAINT: a foreign key or check with a new name is
        # dropped and added, and adding one copies the table, which is said.
        warned = {line.split(" on ")[0] for line in made.err.splitlines() if "lock:" in line}
        assert warned <= {
            "warning: lock: ADD CONSTRAINT ... CHECK",
            "warning: lock: ADD CONSTRAINT ... FOREIGN KEY",
        }, made.err
    else:
        assert "warning: lock:" not in made.err, made.err
    text = project.read("0002_rename.py")
    up = text.split("def up(conn):")[1].split("def down(conn):")[0]
    if project.dialect == "postgresql":
        for statement in ("DROP INDEX", "CREATE", "ADD CONSTRAINT", "DROP CONSTRAINT", "VALIDATE"):
            assert statement not in up, up
        assert "ALTER INDEX idx_posts_author_id_score RENAME TO idx_articles_writer_id_score" in up
        assert "RENAME CONSTRAINT fk_posts_author_id TO fk_articles_writer_id" in up

    project.ok("migrate")
    _clean(project)
    names = _index_names(project)
    assert {"idx_articles_writer_id_score", "uq_articles_slug", "idx_members_years"} <= names
    assert not {n for n in names if "posts" in n or "users" in n}, names
    assert rows(project, "SELECT mail, years FROM members ORDER BY id") == [
        ("ann@example.com", 30),
        ("bo@example.com", 40),
    ]
    assert rows(project, "SELECT writer_id, slug FROM articles ORDER BY id") == [
        (1, "hello"),
        (2, "again"),
    ]
    if project.dialect == "postgresql":
        renamed = _objects(project)
        _same_objects(objects, renamed)
        assert {name for _, name, _ in renamed.values()} == {
            "members_pkey",
            "members_mail_key",
            "members_status_check",
            "idx_members_years",
            "articles_pkey",
            "idx_articles_writer_id_score",
            "uq_articles_slug",
            "fk_articles_writer_id",
            next(n for _, n, _ in renamed.values() if n.startswith("ck_articles_")),
        }

    project.ok("migrate", "--rollback")
    assert schema_of(project) == before
    assert causes(project) == (1, {"pending"})
    if project.dialect == "postgresql":
        assert _objects(project) == objects


def test_renames_rename_indexes_in_place_on_mysql(mysql_project: ProjectDir) -> None:
    """MySQL renames an index in place (RENAME INDEX); a foreign key or a check it
    cannot rename is dropped and added under the new name, in the same ALTER TABLE."""
    project = mysql_project
    project.model("models", BEFORE)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for statement in SEED:
        _query(project, statement)
    project.model("models", AFTER)
    made = project.ok("make", "migration", "rename")
    for line in RENAMED:
        assert line in made.out, made.out
    up = project.read("0002_rename.py").split("def up(conn):")[1].split("def down(conn):")[0]
    assert "RENAME INDEX idx_posts_author_id_score TO idx_articles_writer_id_score" in up
    assert "RENAME INDEX idx_users_age TO idx_members_years" in up
    assert "DROP INDEX" not in up and "ADD INDEX" not in up and "ADD UNIQUE" not in up, up
    project.ok("migrate")
    assert causes(project) == (0, set())
    assert "No changes detected" in project.ok("make", "migration", "again").out
    names = {
        name
        for (name,) in _query(
            project,
            "SELECT DISTINCT index_name FROM information_schema.statistics "
            "WHERE table_schema = DATABASE()",
        )
    }
    assert {"idx_articles_writer_id_score", "uq_articles_slug", "idx_members_years"} <= names
    assert _query(project, "SELECT mail, years FROM members ORDER BY id") == [
        ("ann@example.com", 30),
        ("bo@example.com", 40),
    ]
    project.ok("migrate", "--rollback")
    assert causes(project) == (1, {"pending"})
    assert _query(project, "SELECT email, age FROM users ORDER BY id") == [
        ("ann@example.com", 30),
        ("bo@example.com", 40),
    ]


def test_a_new_index_name_renames_the_index(project: ProjectDir) -> None:
    source = """
class Post(Model):
    __indexes__ = [Index("slug", "score", name="{name}")]
    slug = Field.String(max_length=200)
    score = Field.Integer()
"""
    project.model("models", source.format(name="by_slug"))
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    before = schema_of(project)
    objects = _objects(project) if project.dialect == "postgresql" else {}
    project.model("models", source.format(name="posts_by_slug_score"))
    made = project.ok("make", "migration", "rename_index")
    assert "~ rename index by_slug to posts_by_slug_score on posts" in made.out, made.out
    assert "drop index" not in made.out and "add index" not in made.out
    project.ok("migrate")
    _clean(project)
    assert "posts_by_slug_score" in _index_names(project)
    if project.dialect == "postgresql":
        _same_objects(objects, _objects(project))
    project.ok("migrate", "--rollback")
    assert schema_of(project) == before


def test_a_new_index_name_with_concurrently_renames_the_index(pg_project: ProjectDir) -> None:
    source = """
class Post(Model):
    __indexes__ = [Index("slug", name="{name}")]
    slug = Field.String(max_length=200)
"""
    pg_project.model("models", source.format(name="by_slug"))
    pg_project.ok("make", "migration", "initial")
    pg_project.ok("migrate")
    objects = _objects(pg_project)
    pg_project.model("models", source.format(name="posts_by_slug"))
    made = pg_project.ok("make", "migration", "rename_index", "--concurrently")
    assert "~ rename index by_slug to posts_by_slug on posts" in made.out, made.out
    assert "atomic = False" in pg_project.read("0002_rename_index.py")
    pg_project.ok("migrate")
    _clean(pg_project)
    _same_objects(objects, _objects(pg_project))
    pg_project.ok("migrate", "--rollback")
    assert _objects(pg_project) == objects


def test_indexes_that_swap_names_are_dropped_and_added(project: ProjectDir) -> None:
    """Two renames that each wait for the other's name cannot run one after the
    other: the indexes are dropped and created again, as before."""
    source = """
class Post(Model):
    __indexes__ = [Index("slug", name="{a}"), Index("score", name="{b}")]
    slug = Field.String(max_length=200)
    score = Field.Integer()
"""
    project.model("models", source.format(a="first", b="second"))
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    project.model("models", source.format(a="second", b="first"))
    made = project.ok("make", "migration", "swap")
    assert "rename index" not in made.out and "drop index first" in made.out, made.out
    project.ok("migrate")
    _clean(project)
    project.ok("migrate", "--rollback")


def test_squawk_finds_nothing_to_say_about_a_rename(pg_project: ProjectDir) -> None:
    """squawk, the independent judge, flags DROP INDEX, CREATE INDEX and constraints
    added without NOT VALID; a rename migration has none of them."""
    pg_project.model("models", BEFORE)
    pg_project.ok("make", "migration", "initial")
    pg_project.model("models", AFTER)
    pg_project.ok("make", "migration", "rename")
    statements, noted = _up_statements(pg_project.migrations / "0002_rename.py")
    assert _squawk(statements, pg_project.root) == []
    assert not any(noted)


LARGE_BEFORE = """
class Account(Model):
    name = Field.String(max_length=40)


class Event(Model):
    __checks__ = [Check("code >= 0")]
    account_id = Field.ForeignKey("Account", on_delete="CASCADE")
    code = Field.Integer(index=True, nullable=False, default=0)
"""

LARGE_AFTER = """
class Account(Model):
    name = Field.String(max_length=40)


class Entry(Model):
    __renamed_from__ = "events"
    __checks__ = [Check("code >= 0")]
    holder_id = Field.ForeignKey("Account", on_delete="CASCADE", renamed_from="account_id")
    code = Field.Integer(index=True, nullable=False, default=0)
"""


@pytest.mark.slow
def test_renaming_a_large_table_keeps_its_indexes_and_constraints(
    pg_project: ProjectDir,
) -> None:
    project = pg_project
    project.model("models", LARGE_BEFORE)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    # Loaded in bulk, to keep the test quick: the indexes are built once the rows are in
    # (under their own names and definitions) and the foreign key's per-row trigger is
    # skipped, the rows being known to satisfy it.
    run_sql(
        project,
        "INSERT INTO accounts (name) VALUES ('a'), ('b')",
        "SET LOCAL session_replication_role = replica",
        "DROP INDEX idx_events_account_id",
        "DROP INDEX idx_events_code",
        "INSERT INTO events (account_id, code) "
        f"SELECT 1 + g % 2, g % 100 FROM generate_series(1, {LARGE_ROWS}) AS g",
        "CREATE INDEX idx_events_account_id ON events (account_id)",
        "CREATE INDEX idx_events_code ON events (code)",
    )
    assert causes(project) == (0, set())
    objects = _objects(project)
    assert {name for _, name, _ in objects.values()} >= {
        "idx_events_account_id",
        "idx_events_code",
        "fk_events_account_id",
    }

    project.model("models", LARGE_AFTER)
    made = project.ok("make", "migration", "rename")
    assert "~ rename index idx_events_account_id to idx_entries_holder_id on entries" in made.out
    assert "~ rename index idx_events_code to idx_entries_code on entries" in made.out
    assert "warning: lock:" not in made.err, made.err
    project.ok("migrate")
    _clean(project)
    renamed = _objects(project)
    _same_objects(objects, renamed)
    assert {name for _, name, _ in renamed.values()} >= {
        "idx_entries_holder_id",
        "idx_entries_code",
        "fk_entries_holder_id",
        "entries_pkey",
    }
    assert rows(project, "SELECT count(*) FROM entries") == [(LARGE_ROWS,)]

    project.ok("migrate", "--rollback")
    assert _objects(project) == objects
    assert causes(project) == (1, {"pending"})
    project.ok("migrate")
    _clean(project)
    _same_objects(objects, _objects(project))
