"""Random sequences of model evolutions, made and migrated step by step.

Each hypothesis example starts a fresh project and database, then evolves its models a
few times (tables added, dropped and renamed; columns of every kind added, dropped,
renamed and altered; indexes; foreign keys), running ``make migration`` and ``migrate``
after each step through the Python API. Every file must come out the same when made
again; after every step the live schema must be what the models declare (``check``
finds nothing) and the same as a fresh database migrated from zero with the same files;
rolling back one migration at a time must then give back every earlier schema exactly.

Every table gets rows when it is made (NULLs, and edge values of each kind: numeric
text, spaces, unicode, integers beyond 2**53, floats whose shortest text has 17 digits),
and every row is read back through the database after every step and every rollback:
a kept column keeps each value exactly (type and digits), an added one holds its default,
a converted one keeps its NULLs, and rolling a conversion back gives back the values it
started from. A step that the rows cannot take (a conversion refused or failing on a
value, a new uniqueness over equal values) must change nothing; the test then accepts
the value changes as a reviewer would (``accept_value_changes``), or drops the step.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import itertools
import json
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import schemashift
from schemashift.errors import SchemashiftError
from tests.behaviour.test_changes import GENERATED_AT, live_schema
from tests.support import mysql
from tests.support.db import mysql_connection
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
        if col.kind == "decimal" and col.digits[1] < 2:
            # A default must fit the column's decimal places.
            options = ['"0"', '"7"']
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
                if col.default is not None and col.kind in ("enum", "decimal"):
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


# -- rows ----------------------------------------------------------------------------------

#: A value as read back: its Python type and repr, so that a change of storage class
#: (SQLite's 1 becoming 1.0) or of the last digit of a float is a change.
Cell = tuple[str, str]
#: Each table's rows: id -> column -> cell.
State = dict[str, dict[int, dict[str, Cell]]]

#: Edge values each kind keeps (strings fit max_length 10; integers fit 32 bits).
EDGE: dict[str, list[Any]] = {
    "string": ["0.0", "1e3", " ", "N/A", "007", "7.5", "12abc", "", "é漢字🙂", "it's"],
    "text": ["0.0", "1e3", " ", "N/A", "9007199254740993", "0.30000000000000004", "a\nb"],
    "integer": [0, -1, 7, 2147483647, -2147483648],
    "biginteger": [9007199254740993, 2**53, -(2**63), 2**63 - 1, 0],
    "float": [0.30000000000000004, 1e300, 5e-324, -0.25, 2.0**53, 123456789.123, 1.0],
    "boolean": [True, False],
    "date": [datetime.date(2024, 2, 29), datetime.date(1999, 12, 31)],
    "datetime": [
        datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        datetime.datetime(2000, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc),
    ],
    "time": [datetime.time(12, 30), datetime.time(23, 59, 59, 123456)],
    "json": [{"k": [1, 2.5, None]}, [], {"big": 9007199254740993}, {"s": "é"}],
    "uuid": [uuid.UUID("12345678-1234-5678-1234-567812345678"), uuid.UUID(int=0)],
    "binary": [b"\x00\xff", b"", b"0.0"],
}
#: Decimal values as text with exactly the scale of their digits.
DECIMALS = {
    (8, 2): ["123456.78", "-0.01", "0.00", "1.25"],
    (12, 4): ["12345678.1234", "-0.0001", "0.5000", "7.0000"],
    (6, 0): ["123456", "-7", "0"],
}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def cell(value: Any) -> Cell:
    return type(value).__name__, repr(value)


def edge_values(col: Col) -> list[Any]:
    if col.kind == "enum":
        return list(col.choices)
    if col.kind == "decimal":
        return list(DECIMALS[col.digits])
    return list(EDGE[col.kind])


def to_param(dialect: str, kind: str, value: Any) -> Any:
    """A value as the driver takes it: SQLite gets text for what it stores as text."""
    if value is None:
        return None
    if dialect == "sqlite":
        if kind in ("date", "time", "uuid"):
            return str(value)
        if kind == "datetime":
            return value.replace(tzinfo=None).isoformat(sep=" ")
        if kind == "json":
            return json.dumps(value)
        return value
    if dialect == "mysql":
        if kind == "uuid":
            return str(value)
        if kind == "datetime":
            return value.replace(tzinfo=None)
        if kind == "json":
            return json.dumps(value)
        if kind == "decimal":
            return decimal.Decimal(value)
        return value
    if kind == "json":
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    return value


def read_back(dialect: str, kind: str, value: Any) -> Any:
    """What reading an inserted value gives: the column's affinity turns numeric text
    into a number on SQLite (NUMERIC keeps an integral value as an integer)."""
    param = to_param(dialect, kind, value)
    if value is None:
        return None
    if dialect == "sqlite" and kind == "decimal":
        exact = decimal.Decimal(value)
        return int(exact) if exact == exact.to_integral_value() else float(value)
    if dialect in ("sqlite", "mysql") and kind == "boolean":
        return int(value)
    if dialect == "mysql" and kind == "time":
        # PyMySQL reads TIME as the duration since midnight.
        return datetime.timedelta(
            hours=value.hour,
            minutes=value.minute,
            seconds=value.second,
            microseconds=value.microsecond,
        )
    if kind == "json" and dialect == "postgresql":
        return value
    return param


def connect(url: str) -> Any:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA foreign_keys = ON")
        return conn
    if url.startswith("mysql://"):
        return mysql_connection(url)
    import psycopg

    return psycopg.connect(url, autocommit=True)


def raw_rows(url: str, tables: list[Tab]) -> dict[str, dict[int, dict[str, Any]]]:
    """Every row of every table, read through the database, by id."""
    out: dict[str, dict[int, dict[str, Any]]] = {}
    conn = connect(url)
    try:
        for table in tables:
            names = [c.name for c in table.columns]
            selected = ", ".join(q(n) for n in ["id", *names])
            rows = conn.execute(f"SELECT {selected} FROM {q(table.name)} ORDER BY id")
            out[table.name] = {r[0]: dict(zip(names, r[1:], strict=True)) for r in rows}
    finally:
        conn.close()
    return out


def fingerprint(url: str, tables: list[Tab]) -> State:
    """Every row of every table as cells."""
    return {
        table: {i: {n: cell(v) for n, v in row.items()} for i, row in rows.items()}
        for table, rows in raw_rows(url, tables).items()
    }


def column_of(state: State, table: str, column: str) -> dict[int, Cell]:
    return {i: row[column] for i, row in state[table].items()}


NULL = cell(None)


class Filler:
    """Draws rows for a new table and inserts them, checking they read back as given."""

    def __init__(self, data: st.DataObject, dialect: str, url: str) -> None:
        self.data, self.dialect, self.url = data, dialect, url

    def constrained(self, table: Tab, col: Col) -> bool:
        return col.unique or any(u and col.name in cols for cols, u in table.indexes)

    def fill(self, table: Tab, state: State) -> None:
        draw = self.data.draw
        ids = sorted(draw(st.lists(st.integers(1, 20), max_size=3, unique=True), label="ids"))
        pools: dict[str, list[Any]] = {}
        for col in table.columns:
            if col.kind == "fk":
                continue
            values = edge_values(col)
            if self.dialect == "mysql" and self.constrained(table, col):
                # MariaDB's PAD SPACE collations compare '' and ' ' as equal in a key.
                values = [v for v in values if v != " "]
            pools[col.name] = draw(st.permutations(values), label=f"{col.name}")
            if not col.nullable and self.constrained(table, col):
                ids = ids[: len(pools[col.name])]
        rows: list[dict[str, Any]] = []
        for number, row_id in enumerate(ids):
            row: dict[str, Any] = {}
            for col in table.columns:
                null = col.nullable and draw(st.booleans(), label=f"{col.name} null")
                if col.kind == "fk":
                    targets = list(state.get(col.target, {}))
                    if col.target == table.name:
                        targets = [r["id"] for r in rows]
                    if self.constrained(table, col):
                        targets = [t for t in targets if all(r[col.name] != t for r in rows)]
                    row[col.name] = None if null or not targets else draw(st.sampled_from(targets))
                elif null:
                    row[col.name] = None
                else:
                    pool = pools[col.name]
                    row[col.name] = pool[number % len(pool)]
                    if self.constrained(table, col) and number >= len(pool):
                        row[col.name] = None
            rows.append({"id": row_id, **row})
        names = [c.name for c in table.columns]
        marks = ", ".join(["?" if self.dialect == "sqlite" else "%s"] * (len(names) + 1))
        sql = f"INSERT INTO {q(table.name)} ({', '.join(q(n) for n in ['id', *names])}) "
        sql += f"VALUES ({marks})"
        kinds = {c.name: "biginteger" if c.kind == "fk" else c.kind for c in table.columns}
        conn = connect(self.url)
        try:
            for row in rows:
                conn.execute(
                    sql, [row["id"], *(to_param(self.dialect, kinds[n], row[n]) for n in names)]
                )
            conn.commit()
        finally:
            conn.close()
        note(f"rows of {table.name}: {rows}")
        read = raw_rows(self.url, [table])[table.name]
        assert list(read) == ids
        for row in rows:
            for name in names:
                expected = read_back(self.dialect, kinds[name], row[name])
                got = read[row["id"]][name]
                if isinstance(expected, datetime.datetime):
                    # Read back in the session's time zone: the same instant.
                    assert got == expected, (table.name, name, row)
                else:
                    assert cell(got) == cell(expected), (table.name, name, row)


# -- what a step may do to the rows ----------------------------------------------------------


def by_name(tables: list[Tab]) -> dict[str, Tab]:
    return {t.name: t for t in tables}


def converts(old: Col, new: Col) -> bool:
    """A change of kind (or of a Decimal's digits) converts every value."""
    return old.kind != new.kind or (new.kind == "decimal" and old.digits != new.digits)


def may_fail(before: list[Tab], after: list[Tab]) -> bool:
    """Whether the step holds a change that rows may reject: a conversion, a narrower
    shape, a new uniqueness (a default or a NULL fill repeats one value), a new foreign
    key."""
    old_tables = by_name(before)
    for table in after:
        if table.origin is None:
            continue
        old = old_tables[table.origin]
        old_cols = {c.name: c for c in old.columns}
        renamed = {c.name: c.origin for c in table.columns}
        old_unique = {cols for cols, u in old.indexes if u}
        for cols, unique in table.indexes:
            if unique and tuple(renamed.get(c) for c in cols) not in old_unique:
                return True
        for col in table.columns:
            if col.origin is None:
                if col.unique and col.default is not None:
                    return True
                continue
            was = old_cols[col.origin]
            shape = (was.max_length, was.choices, was.digits, was.target)
            if converts(was, col) or shape != (col.max_length, col.choices, col.digits, col.target):
                return True
            if col.unique and (not was.unique or (was.nullable and not col.nullable)):
                return True
            if col.kind == "fk" and was.kind != "fk":
                return True
    return False


@dataclass
class Applied:
    """An applied step: the models before and after it (with the origins of the
    names), the rows before it and right after it, and the columns whose value changes
    the file accepts."""

    before: list[Tab]
    after: list[Tab]
    rows_before: State
    rows_after: State
    accepted: set[str]


def check_filled(got: dict[int, Cell], col: Col, where: str) -> None:
    """The values existing rows get in an added column: its default (NULL without one),
    or, where one shared value would collide in a UNIQUE column, NULL or distinct
    stand-ins, and the kind's zero for a NOT NULL column without a default."""
    values = list(got.values())
    if col.unique:
        real = [v for v in values if v != NULL]
        assert len(set(real)) == len(real), where
    else:
        assert len(set(values)) <= 1, where
        if col.default is None and col.nullable:
            assert set(values) <= {NULL}, where
        else:
            assert NULL not in values, where
    if not col.nullable:
        assert NULL not in values, where


def check_forward(step: Applied, now: State) -> None:
    """After ``up()``: kept columns keep every value, added ones hold their default for
    every row, NULLs of a column made NOT NULL hold one value, converted ones keep their
    NULLs; no row is lost or added."""
    old_tables = by_name(step.before)
    for table in step.after:
        if table.origin is None:
            assert now[table.name] == {}
            continue
        old = old_tables[table.origin]
        old_cols = {c.name: c for c in old.columns}
        before = step.rows_before[old.name]
        assert list(now[table.name]) == list(before), f"rows of {table.name}"
        for col in table.columns:
            got = column_of(now, table.name, col.name)
            where = f"{table.name}.{col.name}"
            if col.origin is None:
                check_filled(got, col, where)
                continue
            was = old_cols[col.origin]
            had = column_of(step.rows_before, old.name, was.name)
            if converts(was, col):
                assert {i: v == NULL for i, v in got.items()} == {
                    i: v == NULL for i, v in had.items()
                }, where
            elif was.nullable and not col.nullable:
                filled = {got[i] for i, v in had.items() if v == NULL}
                assert len(filled) <= 1 and NULL not in filled, where
                assert {i: v for i, v in got.items() if had[i] != NULL} == {
                    i: v for i, v in had.items() if v != NULL
                }, where
            else:
                assert got == had, where


def check_backward(step: Applied, before_rollback: State, now: State) -> None:
    """After ``down()``: every row is still there; a column ``up()`` dropped is back
    with its default; a converted column is back to its values before ``up()`` unless
    they were changed since (or accepted as changed); every other value is as it was."""
    new_tables = {t.origin: t for t in step.after if t.origin is not None}
    for old in step.before:
        if old.name not in new_tables:
            assert now[old.name] == {}, f"{old.name} comes back empty"
            continue
        table = new_tables[old.name]
        assert list(now[old.name]) == list(before_rollback[table.name]), f"rows of {old.name}"
        new_cols = {c.origin: c for c in table.columns if c.origin is not None}
        for was in old.columns:
            got = column_of(now, old.name, was.name)
            where = f"{old.name}.{was.name}"
            if was.name not in new_cols:
                check_filled(got, was, where)
                continue
            col = new_cols[was.name]
            current = column_of(before_rollback, table.name, col.name)
            if not converts(was, col):
                assert got == current, where
            elif f"{table.name}.{col.name}" not in step.accepted and current == column_of(
                step.rows_after, table.name, col.name
            ):
                assert got == column_of(step.rows_before, old.name, was.name), where
            else:
                assert {i: v == NULL for i, v in got.items()} == {
                    i: v == NULL for i, v in current.items()
                }, where


def rollback_may_fail(step: Applied, now: State) -> bool:
    """Whether ``down()`` of ``step`` may meet rows it cannot take, after a later step
    lost data (its own ``down()`` gave back NULLs or one default for every row), each
    case flagged in the file: a column becoming NOT NULL again over NULLs (without a
    default, or with one that repeats in a UNIQUE column), or UNIQUE again over equal
    values, a converted column whose values are no longer the ones
    ``up()`` wrote, or a dropped UNIQUE NOT NULL column coming back into a table with
    rows (no stand-in value per row always exists: an Enum, a Boolean)."""
    old_tables = by_name(step.before)
    for table in step.after:
        if table.origin is None:
            continue
        old = old_tables[table.origin]
        kept = {c.origin: c for c in table.columns if c.origin is not None}
        for was in old.columns:
            col = kept.get(was.name)
            if col is None:
                if was.unique and not was.nullable and len(now[table.name]) > 1:
                    return True
                continue
            values = list(column_of(now, table.name, col.name).values())
            # NULLs are filled with the default, if any: one value for every such row.
            refilled = was.default is None or (was.unique and values.count(NULL) > 1)
            if not was.nullable and col.nullable and NULL in values and refilled:
                return True
            real = [v for v in values if v != NULL]
            if was.unique and not col.unique and len(set(real)) < len(real):
                return True
            if converts(was, col) and column_of(now, table.name, col.name) != column_of(
                step.rows_after, table.name, col.name
            ):
                return True
    return False


#: What a failure says when some statements of the migration took effect (MySQL).
PART_WAY = "commits each DDL statement on its own"

ACCEPT = re.compile(r"accept_value_changes = \[(\"[^\]]*\")\]")


def migrate_step(project: str, path: Path) -> tuple[set[str], str | None]:
    """Migrate; a refusal of value changes is answered by accepting them in the file,
    as a reviewer would after checking the rows. Returns the accepted columns and the
    error that made the migration fail, if any."""
    accepted: set[str] = set()
    while True:
        try:
            schemashift.migrate(project=project)
            return accepted, None
        except SchemashiftError as error:
            found = ACCEPT.search(str(error))
            if found is None or json.loads(found.group(1)) in accepted:
                return accepted, str(error)
            accepted.add(json.loads(found.group(1)))
            # Above up(): the operations list must stay the file's last statement.
            text = re.sub(r"(?m)^accept_value_changes = .*\n", "", path.read_text())
            line = f"accept_value_changes = {json.dumps(sorted(accepted))}\n\n\n"
            path.write_text(text.replace("def up(conn):", line + "def up(conn):", 1))


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
        filler = Filler(data, dialect, live)
        snapshots = [live_schema(live)]
        applied: list[Applied] = []
        rows: State = {}
        for number in range(1, data.draw(st.integers(3, 6), label="steps") + 1):
            before = copy.deepcopy(tables)
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
                accepted, failed = migrate_step(project, again.path)
                if failed is not None:
                    # Rows the change cannot take: refused or rolled back, nothing changed.
                    note(f"migrate failed: {failed}")
                    event(f"migrate failed: {failed.splitlines()[0][:60]}")
                    assert may_fail(before, tables), failed
                    if PART_WAY in failed:
                        # MySQL commits each DDL statement: what ran before the failing
                        # one stays, the migration is recorded as failed, and recovery is
                        # by hand. The message must say so; the example ends here.
                        assert "recorded as failed" in failed, failed
                        return
                    assert live_schema(live) == snapshots[-1]
                    assert fingerprint(live, before) == rows
                    again.path.unlink()
                    tables[:] = before
                    evolver.retired.clear()
                    write_models(root, tables)
                    assert schemashift.check(project=project) == []
                    continue
                step = Applied(before, copy.deepcopy(tables), rows, {}, accepted)
                step.rows_after = fingerprint(live, tables)
                check_forward(step, step.rows_after)
                applied.append(step)
                for table in tables:
                    if table.origin is None:
                        filler.fill(table, fingerprint(live, tables))
                rows = fingerprint(live, tables)
                snapshots.append(live_schema(live))
            evolver.settle()
            assert schemashift.check(project=project) == []
            reset(zero)
            schemashift.migrate(project=project, database=zero)
            assert live_schema(zero) == snapshots[-1]
        for earlier, step in zip(reversed(snapshots[:-1]), reversed(applied), strict=True):
            current, schema = fingerprint(live, step.after), live_schema(live)
            try:
                schemashift.rollback(project=project, step=1)
            except SchemashiftError as error:
                # Rows a later rollback gave back without their values: see
                # rollback_may_fail. Nothing may have changed.
                note(f"rollback failed: {error}")
                assert rollback_may_fail(step, current), error
                if PART_WAY in str(error):
                    # As above: MySQL keeps what ran, and the message says what that was.
                    return
                assert live_schema(live) == schema
                assert fingerprint(live, step.after) == current
                event(f"rollback failed: {str(error).splitlines()[0][:60]}")
                return
            assert live_schema(live) == earlier
            check_backward(step, current, fingerprint(live, step.before))


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
