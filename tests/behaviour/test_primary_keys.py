"""The implicit ``id`` when the primary key moves to another field and back, with rows
whose ids have gaps: every row gets its id back, on every database (SQLite's rowid
outlives the column; PostgreSQL and MySQL keep the ids aside in a hidden table while the
column is gone), and a row added meanwhile gets a new id after the largest; and the
values rows get in a UNIQUE column that comes back. Judged with the database's own rows,
through the real command line."""

from __future__ import annotations

from tests.behaviour.test_changes import causes
from tests.support import db
from tests.support.project import ProjectDir

WITH_ID = """
class Tag(Model):
    code = Field.String(max_length=20, nullable=False, unique=True)
    label = Field.Text()
"""
KEYED_BY_CODE = """
class Tag(Model):
    code = Field.String(max_length=20, primary_key=True)
    label = Field.Text()
"""
OLD_IDS = [(1, "c1", "one"), (3, "c3", "three"), (7, "c7", "seven")]
#: A row added while the key is ``code``: it never had an id, and gets one after the
#: largest the table ever gave.
ADDED = (8, "c9", "nine")
KEPT = "_schemashift_kept_tags_id"
RENUMBERED = "the rows get new ids"


def _rows(project: ProjectDir) -> list[tuple[object, ...]]:
    return db.query(project.database, "SELECT code, label FROM tags ORDER BY code")


def _ids(project: ProjectDir) -> list[tuple[object, ...]]:
    return db.query(project.database, "SELECT id, code, label FROM tags ORDER BY id")


def _kept(project: ProjectDir) -> set[str]:
    return {t for t in db.tables(project.database) if t.startswith("_schemashift_kept")}


def test_the_primary_key_moves_away_from_id_and_back_with_rows(project: ProjectDir) -> None:
    project.model("tag", WITH_ID)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for number, label in enumerate(["one", "two", "three", "four", "five", "six", "seven"], 1):
        db.execute(
            project.database, "INSERT INTO tags (code, label) VALUES (?, ?)", (f"c{number}", label)
        )
    db.execute(project.database, "DELETE FROM tags WHERE id NOT IN (1, 3, 7)")
    assert _ids(project) == OLD_IDS

    project.model("tag", KEYED_BY_CODE)
    away = project.ok("make", "migration", "code_key")
    project.ok("migrate")
    assert db.columns(project.database, "tags") == ["code", "label"]
    assert _rows(project) == [row[1:] for row in OLD_IDS]
    # The hidden table holding the ids is no drift.
    assert causes(project) == (0, set())
    assert _kept(project) == (set() if project.dialect == "sqlite" else {KEPT})
    db.execute(project.database, "INSERT INTO tags (code, label) VALUES ('c9', 'nine')")

    project.model("tag", WITH_ID)
    back = project.ok("make", "migration", "id_again")
    project.ok("migrate")
    assert _ids(project) == [*OLD_IDS, ADDED]
    assert _kept(project) == set()
    assert causes(project) == (0, set())
    away_file, back_file = project.read("0002_code_key.py"), project.read("0003_id_again.py")
    assert RENUMBERED not in away.err + back.err + away_file + back_file
    assert "restores the structure of tags.id" not in away_file + back_file
    if project.dialect != "sqlite":
        up = away_file.split("def down(conn):")[0]
        assert f"CREATE TABLE {KEPT} AS SELECT code, id FROM tags" in up, up
        assert 'conn.restore_kept("tags", "id")' in back_file.split("def down(conn):")[0]

    # New rows take ids after every id the table holds, on every database.
    db.execute(project.database, "INSERT INTO tags (code, label) VALUES ('c10', 'ten')")
    (newest,) = db.query(project.database, "SELECT id FROM tags WHERE code = 'c10'")[0]
    assert newest == 9
    db.execute(project.database, "DELETE FROM tags WHERE code = 'c10'")

    project.ok("migrate", "--rollback", "--step", "1")
    assert db.columns(project.database, "tags") == ["code", "label"]
    assert causes(project) == (1, {"pending"})
    project.ok("migrate", "--rollback", "--step", "1")
    assert _ids(project) == [*OLD_IDS, ADDED]
    assert _kept(project) == set()
    assert causes(project) == (1, {"pending"})


def test_the_implicit_id_comes_back_without_kept_ids(project: ProjectDir) -> None:
    """Ids dropped by a migration that kept none (written before the ids were kept, or
    the hidden table dropped by hand) cannot come back: the rows get new ids, 1, 2, 3
    in the order the rows are stored."""
    project.model("tag", WITH_ID)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    project.model("tag", KEYED_BY_CODE)
    project.ok("make", "migration", "code_key")
    project.ok("migrate")
    for code in ("a", "b", "c"):
        db.execute(project.database, "INSERT INTO tags (code) VALUES (?)", (code,))
    for table in _kept(project):
        db.execute(project.database, f"DROP TABLE {table}")
    project.model("tag", WITH_ID)
    project.ok("make", "migration", "id_again")
    project.ok("migrate")
    assert sorted(i for i, *_ in _ids(project)) == [1, 2, 3]
    assert causes(project) == (0, set())


def test_rolling_back_a_dropped_unique_column_with_a_default_keeps_the_rows(
    project: ProjectDir,
) -> None:
    # Not a primary key, but the same question: which value existing rows get when a
    # column they never had a value in comes back, here a UNIQUE one whose one default
    # would collide (PostgreSQL used to fail the rollback on two rows).
    project.model("tag", WITH_ID + "    rank = Field.Integer(default=0, unique=True)\n")
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for code, rank in (("a", 1), ("b", 2)):
        db.execute(project.database, "INSERT INTO tags (code, rank) VALUES (?, ?)", (code, rank))
    project.model("tag", WITH_ID)
    project.ok("make", "migration", "drop_rank")
    project.ok("migrate")
    project.ok("migrate", "--rollback")
    assert db.query(project.database, "SELECT code, rank FROM tags ORDER BY code") == [
        ("a", None),
        ("b", None),
    ]
    db.execute(project.database, "INSERT INTO tags (code) VALUES ('c')")
    assert db.query(project.database, "SELECT rank FROM tags WHERE code = 'c'") == [(0,)]
