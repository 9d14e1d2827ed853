"""Renames known from the models' identity: a new ``__tablename__`` on the same class and
a new ``db_column`` on the same attribute keep the data, with no question asked; what
identity cannot settle is written as before, with a warning. Also: every drop and add
is warned of as a possible rename, and every change line says what changes.

Each case runs through the real command line on SQLite and PostgreSQL; the database's
own catalog and rows are the judge.
"""

from __future__ import annotations

import re
from typing import Any

from tests.behaviour.test_changes import CHANGE, Change, causes, refused, rows, run_sql
from tests.support.project import ProjectDir

KENNEL = """
class Dog(Model):{options}
    name = Field.String(max_length=40, index=True)
    age = Field.Integer({age})


class Bone(Model):
    dog = Field.ForeignKey("Dog", on_delete="CASCADE"{dog})
    size = Field.Integer()
"""

SEED = [
    "INSERT INTO dogs (name, age) VALUES ('Rex', 3), ('Fido', NULL), ('Bø ''Ace''', 12)",
    "INSERT INTO bones (dog, size) VALUES (1, 10), (3, 30)",
]


def kennel(tablename: str | None = None, age: str = "", dog: str = "") -> str:
    options = f"\n    __tablename__ = {tablename!r}" if tablename else ""
    return KENNEL.format(options=options, age=age, dog=dog)


def indexes_of(project: ProjectDir, table: str) -> set[str]:
    """Index names on ``table``, from the catalog (SQLite's automatic ones left out)."""
    if project.dialect == "sqlite":
        found = rows(
            project,
            f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' "
            "AND name NOT LIKE 'sqlite_%'",
        )
    elif project.dialect == "mysql":
        found = rows(
            project,
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
            f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' "
            "AND INDEX_NAME <> 'PRIMARY'",
        )
    else:
        found = rows(
            project,
            f"SELECT indexname FROM pg_indexes WHERE tablename = '{table}' "
            "AND indexname NOT LIKE '%%_pkey'",
        )
    return {r[0] for r in found}


def references_of(project: ProjectDir, table: str) -> set[tuple[str, str, str]]:
    """``(column, referenced table, referenced column)`` of ``table``'s foreign keys."""
    if project.dialect == "sqlite":
        found = rows(
            project, f'SELECT "from", "table", "to" FROM pragma_foreign_key_list(\'{table}\')'
        )
    elif project.dialect == "mysql":
        found = rows(
            project,
            "SELECT COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "
            "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() "
            f"AND TABLE_NAME = '{table}' AND REFERENCED_TABLE_NAME IS NOT NULL",
        )
    else:
        found = rows(
            project,
            "SELECT a.attname, c.confrelid::regclass::text, r.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1] "
            f"WHERE c.contype = 'f' AND c.conrelid = '{table}'::regclass",
        )
    return {tuple(r) for r in found}  # type: ignore[misc]


def change_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.startswith("  ")]


def no_guessing(made: Any) -> None:
    """A rename known from identity: no drop, no data loss, no possible-rename warning."""
    assert "drop table" not in made.out and "drop column" not in made.out, made.out
    assert "data loss" not in made.err and "if this was a rename" not in made.err, made.err


# -- a new __tablename__ on the same class ---------------------------------------------------


def test_new_tablename_on_the_same_class_is_a_rename(project: ProjectDir) -> None:
    change = Change(project, kennel(), SEED)
    made = change.make(kennel(tablename="hounds"))
    assert "~ rename table dogs to hounds" in made.out
    no_guessing(made)
    change.statements(
        sqlite=["ALTER TABLE dogs RENAME TO hounds"],
        postgresql=["ALTER TABLE dogs RENAME TO hounds"],
        mysql=["RENAME TABLE dogs TO hounds"],
    )
    change.migrate()
    assert rows(project, "SELECT id, name, age FROM hounds ORDER BY id") == [
        (1, "Rex", 3),
        (2, "Fido", None),
        (3, "Bø 'Ace'", 12),
    ]
    assert indexes_of(project, "hounds") == {"idx_hounds_name"}
    assert references_of(project, "bones") == {("dog", "hounds", "id")}
    assert refused(project, "INSERT INTO bones (dog, size) VALUES (99, 1)")
    run_sql(project, "DELETE FROM hounds WHERE id = 3")
    assert rows(project, "SELECT dog FROM bones") == [(1,)]
    run_sql(
        project,
        "INSERT INTO hounds (id, name, age) VALUES (3, 'Bø ''Ace''', 12)",
        "INSERT INTO bones (dog, size) VALUES (3, 30)",
    )
    change.rollback()
    assert rows(project, "SELECT id, name, age FROM dogs ORDER BY id") == [
        (1, "Rex", 3),
        (2, "Fido", None),
        (3, "Bø 'Ace'", 12),
    ]
    assert indexes_of(project, "dogs") == {"idx_dogs_name"}
    assert references_of(project, "bones") == {("dog", "dogs", "id")}


def test_model_moved_to_another_module_and_renamed_table_is_still_a_rename(
    project: ProjectDir,
) -> None:
    change = Change(project, kennel(), SEED)
    project.remove_model("models")
    project.model("kennel", kennel(tablename="hounds"))
    made = project.ok("make", "migration", "moved")
    assert "~ rename table dogs to hounds" in made.out
    no_guessing(made)
    change.migrate()
    assert rows(project, "SELECT name FROM hounds ORDER BY id") == [
        ("Rex",),
        ("Fido",),
        ("Bø 'Ace'",),
    ]
    change.rollback()
    assert rows(project, "SELECT count(*) FROM dogs") == [(3,)]


def test_class_and_table_renamed_at_once_is_not_guessed(project: ProjectDir) -> None:
    change = Change(project, kennel(), SEED)
    renamed = kennel(tablename="hounds").replace("class Dog", "class Hound")
    made = change.make(renamed.replace('"Dog"', '"Hound"'))
    assert "- drop table dogs" in made.out and "+ create table hounds" in made.out
    assert "--rename-table dogs=hounds" in made.err
    (project.migrations / CHANGE).unlink()
    made = change.make(renamed.replace('"Dog"', '"Hound"'), "--rename-table", "dogs=hounds")
    assert "~ rename table dogs to hounds" in made.out
    change.migrate()
    assert rows(project, "SELECT count(*) FROM hounds") == [(3,)]


def test_two_classes_swapping_table_names_keep_each_table_with_a_warning(
    project: ProjectDir,
) -> None:
    pets = """
class Cat(Model):{cat}
    name = Field.String(max_length=40)


class Dog(Model):{dog}
    name = Field.String(max_length=40)
"""
    Change(
        project,
        pets.format(cat="", dog=""),
        ["INSERT INTO cats (name) VALUES ('Tom')", "INSERT INTO dogs (name) VALUES ('Rex')"],
    )
    project.model(
        "models",
        pets.format(cat='\n    __tablename__ = "dogs"', dog='\n    __tablename__ = "cats"'),
    )
    made = project.ok("make", "migration", "swap")
    assert "No changes detected" in made.out
    assert "rename" not in made.out
    assert "model Cat moved from table cats to table dogs" in made.err, made.err
    assert "two migrations" in made.err
    assert project.files() == ["0001_initial.py"]
    assert rows(project, "SELECT name FROM cats") == [("Tom",)]
    assert rows(project, "SELECT name FROM dogs") == [("Rex",)]


# -- a new db_column on the same attribute ---------------------------------------------------


def test_new_db_column_on_the_same_attribute_is_a_rename(project: ProjectDir) -> None:
    change = Change(project, kennel(), SEED)
    made = change.make(kennel(age='db_column="years"', dog=', db_column="dog_id"'))
    assert "~ rename column dogs.age to years" in made.out
    assert "~ rename column bones.dog to dog_id" in made.out
    no_guessing(made)
    change.statements(
        sqlite=["ALTER TABLE dogs RENAME COLUMN age TO years"],
        postgresql=["ALTER TABLE dogs RENAME COLUMN age TO years"],
        mysql=["ALTER TABLE dogs RENAME COLUMN age TO years"],
    )
    change.migrate()
    assert rows(project, "SELECT id, years FROM dogs ORDER BY id") == [
        (1, 3),
        (2, None),
        (3, 12),
    ]
    assert rows(project, "SELECT dog_id, size FROM bones ORDER BY size") == [(1, 10), (3, 30)]
    assert references_of(project, "bones") == {("dog_id", "dogs", "id")}
    assert indexes_of(project, "bones") == {"idx_bones_dog_id"}
    assert refused(project, "INSERT INTO bones (dog_id, size) VALUES (99, 1)")
    change.rollback()
    assert rows(project, "SELECT id, age FROM dogs ORDER BY id") == [(1, 3), (2, None), (3, 12)]
    assert rows(project, "SELECT dog, size FROM bones ORDER BY size") == [(1, 10), (3, 30)]
    assert references_of(project, "bones") == {("dog", "dogs", "id")}


def test_new_db_column_and_kind_on_the_same_attribute_is_a_rename_and_an_alter(
    project: ProjectDir,
) -> None:
    change = Change(project, kennel(), SEED)
    made = change.make(
        kennel(age='db_column="years"').replace("age = Field.Integer(", "age = Field.BigInteger(")
    )
    assert "~ rename column dogs.age to years" in made.out
    assert "~ alter column dogs.years (kind)" in made.out
    no_guessing(made)
    change.migrate()
    assert rows(project, "SELECT years FROM dogs ORDER BY id") == [(3,), (None,), (12,)]
    change.rollback()
    assert rows(project, "SELECT age FROM dogs ORDER BY id") == [(3,), (None,), (12,)]


# -- files written before identity was recorded ----------------------------------------------

IDENTITY = re.compile(r", '(?:model|attribute)': '[^']*'")


def test_files_without_identity_replay_as_before(project: ProjectDir) -> None:
    project.model("models", kennel())
    project.ok("make", "migration", "initial")
    path = project.migrations / "0001_initial.py"
    # The file as a version that recorded no identity wrote it.
    old = IDENTITY.sub("", path.read_text())
    assert "'model'" not in old and "'attribute'" not in old
    path.write_text(old)
    assert project.run("check", "--offline").code == 0
    assert "No changes detected" in project.ok("make", "migration", "nothing").out
    project.ok("migrate")
    run_sql(project, *SEED)
    assert causes(project) == (0, set())
    # Identity unknown: a new __tablename__ is written as before, and warned of.
    project.model("models", kennel(tablename="hounds", age='db_column="years"'))
    made = project.ok("make", "migration", "change")
    assert "- drop table dogs" in made.out and "+ create table hounds" in made.out
    assert "--rename-table dogs=hounds" in made.err
    assert path.read_text() == old
    assert causes(project) == (1, {"pending"})


def test_files_with_identity_are_unchanged_by_later_runs(project: ProjectDir) -> None:
    change = Change(project, kennel(), SEED)
    first = (project.migrations / "0001_initial.py").read_bytes()
    change.make(kennel(tablename="hounds"))
    change.migrate()
    assert (project.migrations / "0001_initial.py").read_bytes() == first
    assert causes(project) == (0, set())


# -- possible renames of any kind, and change lines ------------------------------------------


def test_drop_and_add_of_different_kinds_warns_of_a_possible_rename(project: ProjectDir) -> None:
    change = Change(project, kennel(), SEED)
    made = change.make(
        kennel()
        .replace("age = Field.Integer()", "years = Field.Text()")
        .replace("class Bone(Model):", "class Toy(Model):")
        .replace("size = Field.Integer()", "size = Field.Float()")
    )
    assert "- drop column dogs.age" in made.out and "+ add column dogs.years" in made.out
    assert (
        "dogs.age was dropped and dogs.years added: if this was a rename, run make migration "
        "again with --rename dogs.age=years" in made.err
    ), made.err
    assert (
        "table bones was dropped and table toys added: if this was a rename, run make "
        "migration again with --rename-table bones=toys" in made.err
    ), made.err


def test_every_change_line_says_what_changes_for_a_primary_key(project: ProjectDir) -> None:
    Change(project, kennel(), SEED)
    project.model(
        "models",
        kennel().replace(
            "class Dog(Model):",
            'class Dog(Model):\n    pk = Field.BigInteger(primary_key=True, renamed_from="id")',
        ),
    )
    made = project.ok("make", "migration", "change")
    lines = change_lines(made.out)
    assert "~ rename column dogs.id to pk" in lines, made.out
    assert all(not line.endswith("()") for line in lines), made.out
    alters = [line for line in lines if line.startswith("~ alter column")]
    assert all(re.search(r"\([a-z_]+(, [a-z_]+)*\)$", line) for line in alters), made.out
