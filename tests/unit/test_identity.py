"""Identity in the schema: what the models record (a table's model class, a column's
attribute), how the operations literal carries it, and that files without it read back
exactly as before."""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from schemashift import Field, Model
from schemashift.diff import operations as ops
from schemashift.migrations.codec import (
    operation_from_literal,
    operation_to_literal,
    table_from_literal,
    table_to_literal,
)
from schemashift.migrations.files import MigrationFile
from schemashift.migrations.history import replay_sources
from schemashift.schema.from_models import schema_from_models
from schemashift.schema.record import replace
from schemashift.schema.values import Column, Schema, Table
from tests.unit.test_differ import identified, schemas


def identities(t: Table) -> tuple[str | None, tuple[str | None, ...]]:
    """What equality leaves out: the model and the columns' attributes."""
    return t.model, tuple(c.attribute for c in t.columns)


def through_a_file(op: ops.Operation) -> ops.Operation:
    """``op`` written into a migration file's literal and read back."""
    return operation_from_literal(ast.literal_eval(repr(operation_to_literal(op))))


# -- from the models -----------------------------------------------------------------------


class Dog(Model):
    __tablename__ = "hounds"
    name = Field.String(max_length=40)
    age = Field.Integer(db_column="years")


def test_models_record_their_class_and_attributes() -> None:
    table = schema_from_models([Dog]).schema.tables["hounds"]
    assert table.model == "Dog"
    assert [(c.name, c.attribute) for c in table.columns] == [
        ("id", None),
        ("name", "name"),
        ("years", "age"),
    ]


def test_models_sharing_a_class_name_are_told_apart_by_module() -> None:
    first = type("Pet", (Model,), {"__module__": "zoo.cats", "__tablename__": "cats"})
    second = type("Pet", (Model,), {"__module__": "zoo.dogs", "__tablename__": "dogs"})
    tables = schema_from_models([first, second, Dog]).schema.tables
    assert (tables["cats"].model, tables["dogs"].model) == ("zoo.cats.Pet", "zoo.dogs.Pet")
    assert tables["hounds"].model == "Dog"


# -- through the operations literal --------------------------------------------------------


@settings(deadline=None)
@given(st.data(), schemas())
def test_identity_survives_the_literal(data: st.DataObject, plain: Schema) -> None:
    s = data.draw(identified(plain))
    for table in s.tables.values():
        back = table_from_literal(ast.literal_eval(repr(table_to_literal(table))))
        assert back == table and identities(back) == identities(table)
        created = through_a_file(ops.CreateTable(table))
        assert isinstance(created, ops.CreateTable)
        assert identities(created.table) == identities(table)
        for column in table.columns:
            added = through_a_file(ops.AddColumn(table.name, column))
            assert isinstance(added, ops.AddColumn)
            assert added.column == column and added.column.attribute == column.attribute
            altered = through_a_file(
                ops.AlterColumn(table.name, replace(column, attribute=None), column)
            )
            assert isinstance(altered, ops.AlterColumn)
            assert (altered.before.attribute, altered.after.attribute) == (None, column.attribute)


def test_unknown_identity_is_not_written() -> None:
    table = Table("t", (Column("x", "integer"),))
    assert table_to_literal(table) == {"name": "t", "columns": [{"name": "x", "kind": "integer"}]}
    known = table_to_literal(Table("t", (Column("x", "integer", attribute="y"),), model="T"))
    assert known == {
        "name": "t",
        "columns": [{"name": "x", "kind": "integer", "attribute": "y"}],
        "model": "T",
    }


OLD_FILE = '''"""
schemashift migration: initial
Generated at: 2026-11-25 10:00:00
"""


def up(conn):
    """Apply changes."""
    conn.execute("CREATE TABLE dogs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)")


def down(conn):
    """Revert changes."""
    conn.execute("DROP TABLE dogs")


operations = [
    {'op': 'create_table', 'table': {'name': 'dogs', 'columns': [{'name': 'id', 'kind': 'biginteger', 'nullable': False, 'primary_key': True, 'autoincrement': True}, {'name': 'name', 'kind': 'string', 'max_length': 40}]}},
    {'op': 'add_column', 'table': 'dogs', 'column': {'name': 'age', 'kind': 'integer'}},
]
'''  # noqa: E501


def test_a_file_without_identity_replays_as_before() -> None:
    file = MigrationFile("0001_initial", 1, "0001_initial.py")
    replayed = replay_sources([file], [OLD_FILE.encode()], Schema())
    dogs = replayed.tables["dogs"]
    assert dogs == Table(
        "dogs",
        (
            Column("id", "biginteger", nullable=False, primary_key=True, autoincrement=True),
            Column("name", "string", max_length=40),
            Column("age", "integer"),
        ),
    )
    assert identities(dogs) == (None, (None, None, None))
    # Written back, it is the literal it came from.
    literals = [operation_to_literal(ops.CreateTable(dogs.with_(columns=dogs.columns[:2])))]
    assert repr(literals[0]) in OLD_FILE
