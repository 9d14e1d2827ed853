"""The value classes behave as the frozen dataclasses they replace did: what the differ,
the codec, the renderers and the messages rely on."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from schemashift.diff import operations as ops
from schemashift.schema.record import Record, replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table
from tests.support.project import ProjectDir

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class _Column:
    """Column as it was declared before: its repr is the reference."""

    name: str
    kind: str
    nullable: bool = True
    default: str | None = None
    unique: bool = False
    primary_key: bool = False
    autoincrement: bool = False
    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    choices: tuple[str, ...] = ()
    db_type: str | None = None
    attribute: str | None = dataclasses.field(default=None, compare=False)


def _every_record_class() -> list[type[Record]]:
    found: list[type[Record]] = []
    pending: list[type[Record]] = [Record]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub.__module__.startswith("schemashift."):
                found.append(sub)
                pending.append(sub)
    return found


def test_fields_and_defaults_follow_init_in_order() -> None:
    assert Column._fields == tuple(f.name for f in dataclasses.fields(_Column))
    assert Column._defaults == {
        f.name: f.default
        for f in dataclasses.fields(_Column)
        if f.default is not dataclasses.MISSING
    }
    assert ForeignKey._defaults == {"ref_column": "id", "on_delete": "NO ACTION"}
    assert ops.AlterColumn._fields == ("table", "before", "after", "fill")
    # Subclasses that add no field inherit them, with the parent's defaults.
    assert ops.RenameIndex._fields == ("table", "old", "new") and ops.RenameIndex._defaults == {}
    assert ops.Operation._fields == ()


def test_equality_is_same_class_and_compared_fields() -> None:
    a = Column("email", "string", max_length=100, attribute="email")
    assert a == Column("email", "string", max_length=100, attribute="address")
    assert a != Column("email", "string", max_length=101, attribute="email")
    assert Column._compared == Column._fields[:-1]
    assert Table("t", (a,), model="A") == Table("t", (a,), model="B")
    assert Check("c", "x > 0") != Check("c", "x > 1")
    # Another class with the same fields is never equal, as with dataclasses.
    assert ops.AddIndex("t", Index("i", ("a",))) != ops.DropIndex("t", Index("i", ("a",)))
    assert ops.RenameIndex("t", "a", "b") != ops.RenameCheck("t", "a", "b")
    assert a != _Column("email", "string", max_length=100)
    assert (a == "email") is False
    assert ops.CreateTable(Table("t", ())) == ops.CreateTable(Table("t", ()))


def test_equal_values_hash_alike() -> None:
    a = Column("id", "biginteger", primary_key=True, attribute="id")
    b = Column("id", "biginteger", primary_key=True)
    assert hash(a) == hash(b)
    assert hash(a) == hash(_Column("id", "biginteger", primary_key=True))
    assert len({a, b, replace(b, name="pk")}) == 2
    assert len({ops.DropColumn("t", a), ops.DropColumn("t", b)}) == 1
    assert hash(ops.CreateTable(Table("t", (a,)))) == hash(ops.CreateTable(Table("t", (b,))))
    assert Schema.of([Table("t", (a,))]) == Schema({"t": Table("t", (b,))})


def test_values_hold_nothing_but_their_fields() -> None:
    column = Column("a", "text")
    with pytest.raises(AttributeError):
        column.extra = 1  # type: ignore[attr-defined]
    for cls in _every_record_class():
        assert all("__dict__" not in k.__dict__ for k in cls.__mro__), cls


def test_every_field_is_final_for_the_type_checker() -> None:
    """Immutability is enforced by mypy: each field of each value class is ``Final``."""
    for cls in _every_record_class():
        annotations = {
            name: text
            for k in reversed(cls.__mro__)
            for name, text in vars(k).get("__annotations__", {}).items()
        }
        for name in cls._fields:
            assert str(annotations.get(name, "")).startswith("Final["), (cls, name)


def test_the_type_checker_refuses_to_change_a_value(tmp_path: Path) -> None:
    snippet = tmp_path / "change.py"
    snippet.write_text(
        "from schemashift.diff.operations import RenameIndex\n"
        "from schemashift.schema.values import Column\n"
        "column = Column('a', 'text')\n"
        "column.name = 'b'\n"
        "RenameIndex('t', 'a', 'b').new = 'c'\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(snippet)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    found = [line for line in done.stdout.splitlines() if "Cannot assign to final" in line]
    assert len(found) == 2, done.stdout + done.stderr


def test_replace_changes_the_named_fields_only() -> None:
    column = Column("a", "string", max_length=10, attribute="a")
    changed = replace(column, max_length=20, nullable=False)
    assert changed == Column("a", "string", nullable=False, max_length=20)
    assert changed.attribute == "a" and type(changed) is Column
    assert replace(column) == column and replace(column) is not column
    assert replace(ops.RenameForeignKey("t", "a", "b"), new="c") == ops.RenameForeignKey(
        "t", "a", "c"
    )
    assert Table("t", ()).with_(name="u", model="U").model == "U"
    with pytest.raises(TypeError):
        replace(column, colour="red")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "a", "kind": "text"},
        {"name": "n", "kind": "decimal", "max_digits": 9, "decimal_places": 2, "default": "0"},
        {"name": "s", "kind": "enum", "choices": ("a", "b"), "attribute": "s", "db_type": "t"},
    ],
)
def test_repr_is_the_dataclass_one(kwargs: dict[str, object]) -> None:
    # The reference class is called _Column.
    assert "_" + repr(Column(**kwargs)) == repr(_Column(**kwargs))  # type: ignore[arg-type]


def test_repr_of_operations_and_schemas() -> None:
    index = Index("i", ("a", "b"), unique=True)
    assert repr(ops.AddIndex("t", index)) == (
        "AddIndex(table='t', index=Index(name='i', columns=('a', 'b'), unique=True,"
        " where=None, method=None, valid=True))"
    )
    assert repr(ops.RenameCheck("t", "a", "b")) == "RenameCheck(table='t', old='a', new='b')"
    assert repr(Schema()) == "Schema(tables={})"


def test_values_pickle_and_copy() -> None:
    table = Table(
        "t",
        (Column("id", "biginteger", primary_key=True, attribute="id"),),
        indexes=(Index("i", ("id",)),),
        foreign_keys=(ForeignKey("fk", "id", "u"),),
        checks=(Check("c", "id > 0"),),
        model="T",
    )
    op = ops.AddColumn("t", Column("n", "integer", nullable=False), fill="0")
    for value in (table, op, ops.RenameIndex("t", "a", "b"), Schema.of([table])):
        for same in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):
            assert same == value and repr(same) == repr(value)


def test_a_class_whose_init_and_slots_disagree_is_refused() -> None:
    with pytest.raises(TypeError):

        class Missing(Record):
            __slots__ = ("a",)

            def __init__(self, a: int, b: int) -> None:
                self.a = a

    with pytest.raises(TypeError):

        class NoSlots(Record):
            def __init__(self, a: int) -> None:
                self.a = a

    with pytest.raises(TypeError):

        class Starred(Record):
            __slots__ = ("a",)

            def __init__(self, *a: int) -> None:
                self.a = a


def test_loading_values_operations_and_codec_skips_dataclasses_and_typing() -> None:
    code = (
        "import sys, schemashift.migrations.codec\n"
        "print(*[m for m in ('dataclasses', 'typing', 'inspect') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


#: What `make migration` and `check --offline` must not import: ``dataclasses`` (with
#: ``inspect``) and ``typing`` cost more than those commands' own work on a small project,
#: and ``ast`` is only for a migration file the quick read does not vouch for.
_SLOW_IMPORTS = ("dataclasses", "typing", "inspect", "ast")

_TEAM = """
class Team(Model):
    label = Field.String(max_length=40)
"""


def _imported(project: ProjectDir, *args: str) -> set[str]:
    """The modules ``schemashift ARGS`` imported, run in its own process."""
    result = project.run(*args, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.code in (0, 1), result.err
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.err.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


def test_make_migration_and_offline_check_skip_dataclasses_typing_inspect_and_ast(
    sqlite_project: ProjectDir,
) -> None:
    sqlite_project.model(
        "user",
        _TEAM
        + """
class User(Model):
    name = Field.Text(nullable=True)
    age = Field.Integer(nullable=True)
    team = Field.ForeignKey("Team", nullable=True)
""",
    )
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.ok("migrate")
    # A rename from a hint, a kind change that may change values (a table rebuild on
    # SQLite), an added column and index: the differ, the ordering and the renderer.
    sqlite_project.model(
        "user",
        _TEAM
        + """
class User(Model):
    __indexes__ = [Index("full_name")]
    full_name = Field.Text(nullable=True, renamed_from="name")
    age = Field.Float(nullable=True)
    team = Field.ForeignKey("Team", nullable=True)
    email = Field.Text(nullable=True)
""",
    )
    for args in (("check", "--offline"), ("make", "migration", "changes")):
        assert sorted(_imported(sqlite_project, *args).intersection(_SLOW_IMPORTS)) == [], args
    assert sqlite_project.files() == ["0001_initial.py", "0002_changes.py"]
