"""Names with quotes, spaces, semicolons, keywords and unicode work and run nothing else."""

from __future__ import annotations

from tests.support import db
from tests.support.project import ProjectDir

HOSTILE = """
# Indexed columns are Strings: MySQL cannot index a Text column whole.
class Order(Model):
    __tablename__ = 'select "x"; DROP TABLE victims; --'
    __indexes__ = [Index("from", "naïve column")]

    group_ = Field.String(max_length=20, db_column="group", default="it's")
    naive = Field.String(max_length=50, db_column="naïve column")
    semi = Field.Integer(db_column="a;b", default=0, nullable=False)
    frm = Field.Integer(db_column="from", index=True)
    quoted = Field.String(max_length=50, db_column='say "hi"', unique=True)


class Victim(Model):
    name = Field.Text()
"""


def test_hostile_identifiers_round_trip(project: ProjectDir) -> None:
    project.model("order", HOSTILE)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    table = 'select "x"; DROP TABLE victims; --'
    assert {table, "victims"} <= db.tables(project.database)
    assert db.columns(project.database, table) == [
        "id",
        "group",
        "naïve column",
        "a;b",
        "from",
        'say "hi"',
    ]
    quoted = '"' + table.replace('"', '""') + '"'
    db.execute(project.database, f'INSERT INTO {quoted} ("naïve column") VALUES (?)', ("v",))
    assert db.query(project.database, f'SELECT "group", "a;b" FROM {quoted}') == [("it's", 0)]
    assert project.ok("check").code == 0
    project.model("order", HOSTILE.replace('"from", "naïve column"', '"a;b"'))
    project.ok("make", "migration", "move_index")
    project.ok("migrate")
    assert project.ok("check").code == 0
    project.ok("migrate", "--rollback")
    project.ok("migrate", "--rollback")
    assert db.tables(project.database) - {"_schemashift_migrations", "_schemashift_meta"} == set()


def test_overlong_name_is_refused_at_make_migration(project: ProjectDir) -> None:
    long_name = "t" * 200
    project.model("long", f"class Long(Model):\n    __tablename__ = '{long_name}'\n")
    result = project.run("make", "migration", "initial")
    assert result.code == 1 and "Traceback" not in result.err
    assert long_name in result.err or "too long" in result.err or "longer" in result.err
    assert project.files() == []
