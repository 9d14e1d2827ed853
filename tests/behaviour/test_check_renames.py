"""A CHECK that uses a renamed column goes with the rename: PostgreSQL, SQLite and
MariaDB rewrite the check's expression themselves, so the constraint is kept (on
PostgreSQL the very same object, same OID) and only its name moves, where the name is
derived from its SQL. ``check`` is clean afterwards, the check still rejects a bad row,
and ``down()`` goes back."""

from __future__ import annotations

import pytest

from tests.behaviour.test_changes import causes, refused, rows, run_sql, schema_of
from tests.support import db
from tests.support.project import ProjectDir

BEFORE = """
class Post(Model):
    __checks__ = [Check("score >= 0"), Check("score < 1000", name="below_limit")]
    title = Field.String(max_length=100)
    score = Field.Integer(default=0, nullable=False)
"""

AFTER = """
class Post(Model):
    __checks__ = [Check("points >= 0"), Check("points < 1000", name="below_limit")]
    title = Field.String(max_length=100)
    points = Field.Integer(default=0, nullable=False, renamed_from="score")
"""

#: The same check with its table renamed as well.
MOVED = AFTER.replace("class Post(Model):", 'class Article(Model):\n    __renamed_from__ = "posts"')

OLD_NAME = "ck_posts_0d5a974c"


def _checks(project: ProjectDir, table: str = "posts") -> dict[int, tuple[str, str, str | None]]:
    """PostgreSQL's checks on ``table``: OID -> (name, definition, comment)."""
    found = db.query(
        project.database,
        "SELECT oid::bigint, conname, pg_get_constraintdef(oid), "
        "obj_description(oid, 'pg_constraint') FROM pg_constraint "
        f"WHERE conrelid = '{table}'::regclass AND contype = 'c'",
    )
    return {oid: (name, definition, comment) for oid, name, definition, comment in found}


def _rejects(project: ProjectDir, table: str, column: str) -> bool:
    """Whether both checks reject a row breaking them."""
    return refused(
        project, f"INSERT INTO {table} (title, {column}) VALUES ('neg', -1)"
    ) and refused(project, f"INSERT INTO {table} (title, {column}) VALUES ('big', 1000)")


@pytest.mark.parametrize(
    ("after", "table", "new_name"),
    [(AFTER, "posts", "ck_posts_78c450f6"), (MOVED, "articles", "ck_articles_78c450f6")],
    ids=["column", "table-and-column"],
)
def test_a_check_using_a_renamed_column_is_kept_and_renamed(
    project: ProjectDir, after: str, table: str, new_name: str
) -> None:
    project.model("models", BEFORE)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    run_sql(project, "INSERT INTO posts (title, score) VALUES ('a', 3), ('b', 999)")
    before = schema_of(project)
    checks = _checks(project) if project.dialect == "postgresql" else {}

    project.model("models", after)
    made = project.ok("make", "migration", "rename")
    assert f"~ rename column {table}.score to points" in made.out, made.out
    assert f"~ rename check {OLD_NAME} to {new_name} on {table}" in made.out, made.out
    assert "drop check" not in made.out and "add check" not in made.out, made.out
    if project.dialect == "mysql":
        # MySQL has no RENAME CONSTRAINT: the check is added under its new name, which
        # copies the table, and the warning says so.
        warned = [line for line in made.err.splitlines() if "lock:" in line]
        assert all("ADD CONSTRAINT ... CHECK" in line for line in warned), made.err
    else:
        assert "warning: lock:" not in made.err, made.err
    up = project.read("0002_rename.py").split("def up(conn):")[1].split("def down(conn):")[0]
    if project.dialect == "postgresql":
        assert "DROP CONSTRAINT" not in up and "ADD CONSTRAINT" not in up, up
        assert f"RENAME CONSTRAINT {OLD_NAME} TO {new_name}" in up, up
    if project.dialect == "sqlite":
        # SQLite rewrites the checks on RENAME COLUMN; it cannot rename a constraint,
        # so the check whose name moves takes a rebuild, the other none.
        assert f"ALTER TABLE {table} RENAME COLUMN score TO points" in up, up

    project.ok("migrate")
    assert causes(project) == (0, set())
    assert "No changes detected" in project.ok("make", "migration", "again").out
    assert rows(project, f"SELECT title, points FROM {table} ORDER BY title") == [
        ("a", 3),
        ("b", 999),
    ]
    assert _rejects(project, table, "points")
    if project.dialect == "postgresql":
        renamed = _checks(project, table)
        assert sorted(renamed) == sorted(checks)
        assert {name for name, _, _ in renamed.values()} == {new_name, "below_limit"}
        assert {comment for _, _, comment in renamed.values()} == {
            "points >= 0",
            "points < 1000",
        }

    project.ok("migrate", "--rollback")
    assert schema_of(project) == before
    assert causes(project) == (1, {"pending"})
    assert rows(project, "SELECT title, score FROM posts ORDER BY title") == [
        ("a", 3),
        ("b", 999),
    ]
    assert _rejects(project, "posts", "score")
    if project.dialect == "postgresql":
        assert _checks(project) == checks
