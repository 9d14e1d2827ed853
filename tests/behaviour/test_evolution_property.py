"""Random sequences of model evolutions, made and migrated step by step.

Each hypothesis example starts a fresh project and database, then evolves its models a
few times (tables added, dropped and renamed; columns of every kind added, dropped,
renamed and altered; indexes; foreign keys), running ``make migration`` and ``migrate``
after each step through the Python API. Every file must come out the same when made
again; after every step the live schema must be what the models declare (``check``
finds nothing) and the same as a fresh database migrated from zero with the same files;
rolling back one migration at a time must then give back every earlier schema exactly.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import schemashift
from tests.behaviour.test_changes import GENERATED_AT, live_schema
from tests.support import mysql
from tests.support.postgres import admin_url, fresh_database

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
CONSTRUCTORS = {
    "text": "Text",
    "integer": "Integer",
    "biginteger": "BigInteger",
    "float": "Float",
    "boolean": "Boolean",
    "date": "Date",
    "datetime": "DateTime",
    "time": "Time",
    "json": "JSON",
    "uuid": "UUID",
    "binary": "Binary",
}
#: Python source of defaults that suit each kind (strings fit max_length 10).
DEFAULTS = {
    "string": ['"x"', '""', '"it\'s"'],
    "text": ['"two words"', "'say \"hi\"'"],
    "integer": ["0", "7", "-3"],
    "biginteger": ["1099511627776", "0"],
    "float": ["1.5", "-0.25"],
    "decimal": ['"1.25"', '"0"'],
    "boolean": ["True", "False"],
    "date": ["datetime.date(2024, 1, 2)"],
    "datetime": ["datetime.datetime(2024, 1, 2, 3, 4, 5)", 'SQL("CURRENT_TIMESTAMP")'],
    "time": ["datetime.time(12, 30)"],
    "json": ['{"k": [1, 2]}', "[]"],
    "uuid": ['"12345678-1234-5678-1234-567812345678"'],
    "binary": ['b"\\x00\\xff"'],
}
TABLE_NAMES = ("alpha", "beta", "gamma", "delta", "omega")
COLUMN_NAMES = ("amount", "title", "note", "flag", "born", "stamp", "order", "token", "level")
ON_DELETE = ("CASCADE", "SET NULL", "RESTRICT", "NO ACTION")


@dataclass
class Col:
    """A declared field. ``origin`` is its name when the step began (None if new)."""

    name: str
    kind: str  # one of KINDS, or "fk"
    nullable: bool = True
    default: str | None = None
    unique: bool = False
    index: bool = False
    max_length: int = 50
    digits: tuple[int, int] = (8, 2)
    choices: tuple[str, ...] = ("a", "b")
    target: str = ""
    on_delete: str = "CASCADE"
    origin: str | None = None
    was_nullable: bool | None = None


@dataclass
class Tab:
    """A declared model with explicit table name; indexes are (columns, unique)."""

    name: str
    columns: list[Col] = field(default_factory=list)
    indexes: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)
    origin: str | None = None
    dropped: set[str] = field(default_factory=set)


def class_name(table: str) -> str:
    return table.capitalize()


def field_source(col: Col) -> str:
    if col.kind == "fk":
        args = [repr(class_name(col.target)), f"on_delete={col.on_delete!r}", "nullable=True"]
        if not col.index:
            args.append("index=False")
    else:
        if col.kind == "string":
            args = [f"max_length={col.max_length}"]
        elif col.kind == "decimal":
            args = [f"max_digits={col.digits[0]}", f"decimal_places={col.digits[1]}"]
        elif col.kind == "enum":
            args = [repr(list(col.choices))]
        else:
            args = []
        if not col.nullable:
            args.append("nullable=False")
        if col.index:
            args.append("index=True")
        if col.default is not None:
            args.append(f"default={col.default}")
    if col.unique:
        args.append("unique=True")
    if col.origin is not None and col.origin != col.name:
        args.append(f"renamed_from={col.origin!r}")
    kind = {"fk": "ForeignKey", "string": "String", "decimal": "Decimal", "enum": "Enum"}
    return f"Field.{kind.get(col.kind) or CONSTRUCTORS[col.kind]}({', '.join(args)})"


def models_source(tables: list[Tab]) -> str:
    lines = ["import datetime", "", "from schemashift import SQL, Field, Index, Model"]
    for table in tables:
        lines += ["", "", f"class {class_name(table.name)}(Model):"]
        lines.append(f"    __tablename__ = {table.name!r}")
        if table.origin is not None and table.origin != table.name:
            lines.append(f"    __renamed_from__ = {table.origin!r}")
        if table.indexes:
            declared = [
                "Index(" + ", ".join([*map(repr, cols), *(["unique=True"] if u else [])]) + ")"
                for cols, u in table.indexes
            ]
            lines.append(f"    __indexes__ = [{', '.join(declared)}]")
        lines += [f"    {c.name} = {field_source(c)}" for c in table.columns]
        if not table.columns:
            lines.append("    pass")
    return "\n".join(lines) + "\n"


# -- evolutions ----------------------------------------------------------------------------


class Evolver:
    """Draws random changes to a list of tables, keeping the models valid."""

    def __init__(self, data: st.DataObject, tables: list[Tab]) -> None:
        self.data = data
        self.tables = tables
        # Tables dropped in this step: a rename onto one of their names is refused.
        self.retired: set[str] = set()

    def draw(self, strategy: st.SearchStrategy[Any], label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def pick(self, options: Any, label: str) -> Any:
        return self.draw(st.sampled_from(list(options)), label)

    def free_table_name(self) -> str | None:
        taken = {t.name for t in self.tables} | {t.origin for t in self.tables} | self.retired
        free = [n for n in TABLE_NAMES if n not in taken]
        return self.pick(free, "table name") if free else None

    def free_column_name(self, table: Tab, *, renaming: bool = False) -> str | None:
        taken = {c.name for c in table.columns} | {c.origin for c in table.columns}
        if renaming:
            # A rename onto a name dropped in the same step is refused (see
            # test_changes.py::test_rename_onto_the_name_of_a_dropped_column_is_refused_...).
            taken |= table.dropped
        free = [n for n in COLUMN_NAMES if n not in taken]
        return self.pick(free, "column name") if free else None

    @staticmethod
    def needs_default(table: Tab, col: Col) -> bool:
        """Off a terminal, a column of an existing table that becomes NOT NULL (or is
        added NOT NULL) needs a default for the rows the table may hold."""
        return not col.nullable and table.origin is not None and col.was_nullable is not False

    def default_for(self, col: Col, *, required: bool) -> str | None:
        if col.kind == "fk":
            return None
        options: list[str | None] = (
            [repr(c) for c in col.choices] if col.kind == "enum" else list(DEFAULTS[col.kind])
        )
        if not required:
            options.append(None)
        return self.pick(options, f"default of {col.kind}")

    def new_column(self, table: Tab, name: str) -> Col:
        kind = self.pick([*KINDS, "fk"], "kind")
        col = Col(name=name, kind=kind)
        self.shape(col)
        if kind == "fk":
            self.make_foreign_key(col)
            return col
        col.nullable = self.draw(st.booleans(), "nullable")
        col.default = self.default_for(col, required=self.needs_default(table, col))
        col.unique = self.draw(st.booleans(), "unique")
        col.index = self.draw(st.booleans(), "index")
        return col

    def make_foreign_key(self, col: Col) -> None:
        col.kind, col.nullable, col.default = "fk", True, None
        col.target = self.pick([t.name for t in self.tables], "fk target")
        col.on_delete = self.pick(ON_DELETE, "on_delete")
        col.index = self.draw(st.booleans(), "fk indexed")

    def shape(self, col: Col) -> None:
        """Draw the kind-specific options."""
        if col.kind == "string":
            col.max_length = self.pick([10, 50, 255], "max_length")
        elif col.kind == "decimal":
            col.digits = self.pick([(8, 2), (12, 4), (6, 0)], "digits")
        elif col.kind == "enum":
            col.choices = self.pick([("a", "b"), ("a", "b", "c"), ("b", "c"), ("c",)], "choices")

    def step(self) -> list[str]:
        """One evolution step of one or two changes; returns what was done."""
        done = []
        for _ in range(self.draw(st.integers(1, 2), "changes in step")):
            done.append(self.change())
        return done

    def change(self) -> str:
        table = self.pick(self.tables, "table") if self.tables else None
        moves = ["add_table"]
        if table is not None:
            moves += ["add_column", "add_column", "alter_column", "alter_column"]
            moves += ["rename_column", "add_index", "rename_table", "drop_table"]
            if table.columns:
                moves += ["drop_column"]
            if table.indexes:
                moves += ["drop_index"]
        move = self.pick(moves, "move")
        event(move)
        return getattr(self, move)(table)

    def add_table(self, _: Tab | None) -> str:
        name = self.free_table_name()
        if name is None:
            return "no free table name"
        table = Tab(name)
        self.tables.append(table)
        for _ in range(self.draw(st.integers(1, 3), "columns")):
            col_name = self.free_column_name(table)
            if col_name is not None:
                table.columns.append(self.new_column(table, col_name))
        return f"add table {name}"

    def drop_table(self, table: Tab) -> str:
        self.tables.remove(table)
        self.retired.add(table.name)
        for other in self.tables:
            gone = {c.name for c in other.columns if c.kind == "fk" and c.target == table.name}
            other.dropped |= gone
            other.columns = [c for c in other.columns if c.name not in gone]
            other.indexes = [i for i in other.indexes if not gone & set(i[0])]
        return f"drop table {table.name}"

    def rename_table(self, table: Tab) -> str:
        name = self.free_table_name()
        if name is None:
            return "no free table name"
        for other in self.tables:
            for col in other.columns:
                if col.kind == "fk" and col.target == table.name:
                    col.target = name
        old, table.name = table.name, name
        return f"rename table {old} to {name}"

    def add_column(self, table: Tab) -> str:
        name = self.free_column_name(table)
        if name is None:
            return "no free column name"
        table.columns.append(self.new_column(table, name))
        return f"add column {table.name}.{name} {table.columns[-1].kind}"

    def drop_column(self, table: Tab) -> str:
        col = self.pick(table.columns, "column")
        table.columns.remove(col)
        table.dropped.add(col.name)
        table.indexes = [i for i in table.indexes if col.name not in i[0]]
        return f"drop column {table.name}.{col.name}"

    def rename_column(self, table: Tab) -> str:
        if not table.columns:
            return "no column to rename"
        col = self.pick(table.columns, "column")
        name = self.free_column_name(table, renaming=True)
        if name is None:
            return "no free column name"
        old, col.name = col.name, name
        table.indexes = [
            (tuple(name if c == old else c for c in cols), u) for cols, u in table.indexes
        ]
        return f"rename column {table.name}.{old} to {name}"

    def add_index(self, table: Tab) -> str:
        names = [c.name for c in table.columns]
        if not names:
            return "no column to index"
        width = self.draw(st.integers(1, min(2, len(names))), "index width")
        cols = tuple(self.draw(st.permutations(names), "index columns")[:width])
        # One-column indexes are declared unique, so they never clash with index=True.
        unique = width == 1 or self.draw(st.booleans(), "unique index")
        if any(existing == cols for existing, _ in table.indexes):
            return "index exists"
        table.indexes.append((cols, unique))
        return f"add index {table.name}{cols} unique={unique}"

    def drop_index(self, table: Tab) -> str:
        index = self.pick(table.indexes, "index")
        table.indexes.remove(index)
        return f"drop index {table.name}{index[0]}"

    def alter_column(self, table: Tab) -> str:
        if not table.columns:
            return "no column to alter"
        col = self.pick(table.columns, "column")
        before = replace(col)
        if col.kind == "fk":
            aspect = self.pick(["target", "on_delete", "index", "unique", "kind"], "fk aspect")
            event(f"alter foreign key {aspect}")
            if aspect == "target":
                col.target = self.pick([t.name for t in self.tables], "fk target")
            elif aspect == "on_delete":
                col.on_delete = self.pick(ON_DELETE, "on_delete")
            elif aspect == "index":
                col.index = not col.index
            elif aspect == "unique":
                col.unique = not col.unique
            else:
                col.kind = self.pick(["integer", "biginteger"], "kind")
                col.index = False
        else:
            aspects = ["kind", "nullable", "default", "unique", "index"]
            aspects += {"string": ["shape"], "decimal": ["shape"], "enum": ["shape"]}.get(
                col.kind, []
            )
            aspect = self.pick(aspects, "aspect")
            event(f"alter {aspect}")
            if aspect == "kind":
                col.kind = self.pick([*KINDS, "fk"], "new kind")
                self.shape(col)
                if col.kind == "fk":
                    self.make_foreign_key(col)
                else:
                    col.default = self.default_for(col, required=self.needs_default(table, col))
            elif aspect == "shape":
                self.shape(col)
                if col.default is not None and col.kind == "enum":
                    col.default = self.default_for(col, required=True)
            elif aspect == "nullable":
                col.nullable = not col.nullable
                if col.default is None and self.needs_default(table, col):
                    col.default = self.default_for(col, required=True)
            elif aspect == "default":
                col.default = self.default_for(col, required=self.needs_default(table, col))
            elif aspect == "unique":
                col.unique = not col.unique
            else:
                col.index = not col.index
        return f"alter column {table.name}.{col.name}: {before} -> {col}"

    def settle(self) -> None:
        """The step is made: every name is now its own origin."""
        self.retired.clear()
        for table in self.tables:
            table.origin = table.name
            table.dropped.clear()
            for col in table.columns:
                col.origin, col.was_nullable = col.name, col.nullable


# -- projects and databases ----------------------------------------------------------------

_mtime = itertools.count(int(time.time()) + 1)


def write_models(root: Path, tables: list[Tab]) -> None:
    """Write the models, each time with a later modification time (in whole seconds), so
    that Python's bytecode cache can never serve an earlier version of the file."""
    path = root / "src" / "models" / "models.py"
    path.write_text(models_source(tables))
    stamp = next(_mtime)
    os.utime(path, (stamp, stamp))


@contextmanager
def databases(dialect: str, folder: Path) -> Iterator[tuple[str, str]]:
    """Two fresh databases: the project's, and one to migrate from zero."""
    if dialect == "sqlite":
        yield f"sqlite:///{folder / 'db.sqlite3'}", f"sqlite:///{folder / 'zero.sqlite3'}"
        return
    if dialect == "mysql":
        mysql_admin = mysql.admin_url()
        assert mysql_admin is not None
        with mysql.fresh_database(mysql_admin) as live, mysql.fresh_database(mysql_admin) as zero:
            yield live, zero
        return
    admin = admin_url()
    assert admin is not None
    with fresh_database(admin) as live, fresh_database(admin) as zero:
        yield live, zero


def reset(url: str) -> None:
    """Empty a database for another migration from zero."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    if url.startswith("mysql://"):
        name = url.rsplit("/", 1)[1]
        conn = mysql.connect(url)
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE `{name}`")
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


#: Kinds whose values have no length limit: MySQL cannot index them whole, and
#: ``make migration`` refuses such an index or unique key there, by design.
UNINDEXABLE_ON_MYSQL = {"text", "json", "binary"}


def indexable_on_mysql(tables: list[Tab]) -> None:
    """Take indexes and unique keys off the columns MySQL cannot index whole, as a user
    on MySQL has to."""
    for table in tables:
        unbounded = {c.name for c in table.columns if c.kind in UNINDEXABLE_ON_MYSQL}
        for col in table.columns:
            if col.name in unbounded:
                col.unique = col.index = False
        table.indexes = [i for i in table.indexes if not unbounded & set(i[0])]


def evolve_and_roll_back(dialect: str, folder: Path, data: st.DataObject) -> None:
    root = folder / "proj"
    (root / "src" / "models").mkdir(parents=True)
    with databases(dialect, folder) as (live, zero):
        (root / "pyproject.toml").write_text(f'[tool.schemashift]\ndatabase = "{live}"\n')
        project = str(root)
        tables: list[Tab] = []
        evolver = Evolver(data, tables)
        snapshots = [live_schema(live)]
        for number in range(1, data.draw(st.integers(3, 6), label="steps") + 1):
            note(f"step {number}: {evolver.step() if tables else evolver.add_table(None)}")
            if dialect == "mysql":
                indexable_on_mysql(tables)
            write_models(root, tables)
            note(models_source(tables))
            made = schemashift.make_migration(f"step_{number}", project=project)
            if made.path is not None:
                text = made.path.read_text()
                note(text)
                made.path.unlink()
                again = schemashift.make_migration(f"step_{number}", project=project)
                assert again.path is not None
                assert GENERATED_AT.sub("", again.path.read_text()) == GENERATED_AT.sub("", text)
                schemashift.migrate(project=project)
                snapshots.append(live_schema(live))
            evolver.settle()
            assert schemashift.check(project=project) == []
            reset(zero)
            schemashift.migrate(project=project, database=zero)
            assert live_schema(zero) == snapshots[-1]
        for earlier in reversed(snapshots[:-1]):
            schemashift.rollback(project=project, step=1)
            assert live_schema(live) == earlier


SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@settings(max_examples=settings().max_examples, **SETTINGS)
@given(data=st.data())
def test_evolutions_on_sqlite(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    evolve_and_roll_back("sqlite", tmp_path_factory.mktemp("evolve"), data)


@settings(max_examples=max(1, settings().max_examples // 3), **SETTINGS)
@given(data=st.data())
def test_evolutions_on_postgresql(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    if admin_url() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("SCHEMASHIFT_TEST_PG is not set under CI=true: PostgreSQL tests must run.")
        pytest.skip("no PostgreSQL test server (set SCHEMASHIFT_TEST_PG, see scripts/pg.sh)")
    evolve_and_roll_back("postgresql", tmp_path_factory.mktemp("evolve"), data)


def test_a_model_edit_in_the_same_second_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    root = tmp_path / "proj"
    (root / "src" / "models").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[tool.schemashift]\ndatabase = "sqlite:///{tmp_path / "db.sqlite3"}"\n'
    )
    path = root / "src" / "models" / "models.py"
    header = "from schemashift import Field, Model\n\n\nclass Item(Model):\n"
    path.write_text(header + "    size = Field.Integer(default=1)\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    assert schemashift.make_migration("one", project=str(root)).path is not None
    path.write_text(header + "    size = Field.Integer(default=2)\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    made = schemashift.make_migration("two", project=str(root))
    assert [op.describe() for op in made.operations] == ["~ alter column items.size (default)"]
