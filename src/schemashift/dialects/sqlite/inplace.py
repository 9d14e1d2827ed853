"""What SQLite's own ALTER TABLE can do: each operation as plain statements, or None
when the table has to be rebuilt instead (https://www.sqlite.org/lang_altertable.html)."""

from __future__ import annotations

from collections.abc import Callable

from schemashift.dialects.base import Execute, Step
from schemashift.dialects.sqlite.ddl import (
    column_definition,
    create_index,
    create_table,
    is_constant_default,
    is_null_default,
)
from schemashift.dialects.sqlite.quoting import quote
from schemashift.dialects.sqlite.sqltext import mentions
from schemashift.diff.operations import (
    AddColumn,
    AddForeignKey,
    AddIndex,
    CreateTable,
    DropColumn,
    DropIndex,
    DropTable,
    Operation,
    RenameColumn,
    RenameForeignKey,
    RenameTable,
)
from schemashift.schema.values import ForeignKey, Schema, Table

#: Foreign keys declared inline by an ADD COLUMN in the same run, by column name.
InlineKeys = dict[str, tuple[ForeignKey, ...]]


def _table(schema: Schema, name: str) -> Table:
    table = schema.table(name)
    assert table is not None, f"operation on unknown table {name!r}"
    return table


def _create_table(op: CreateTable, schema: Schema, inline: InlineKeys) -> list[Step]:
    table = op.table
    steps: list[Step] = [Execute(create_table(table))]
    steps.extend(Execute(create_index(table.name, index)) for index in table.indexes)
    return steps


def _drop_table(op: DropTable, schema: Schema, inline: InlineKeys) -> list[Step]:
    return [Execute(f"DROP TABLE {quote(op.table.name)}")]


def _rename_table(op: RenameTable, schema: Schema, inline: InlineKeys) -> list[Step]:
    return [Execute(f"ALTER TABLE {quote(op.old)} RENAME TO {quote(op.new)}")]


def _add_column(op: AddColumn, schema: Schema, inline: InlineKeys) -> list[Step] | None:
    column = op.column
    keys = inline.get(column.name, ())
    if (
        op.fill is not None
        or column.primary_key
        or column.unique
        or not is_constant_default(column.default)
        or (not column.nullable and is_null_default(column.default))
        or (keys and not is_null_default(column.default))
    ):
        return None
    definition = column_definition(column, None, keys)
    return [Execute(f"ALTER TABLE {quote(op.table)} ADD COLUMN {definition}")]


def _drop_column(op: DropColumn, schema: Schema, inline: InlineKeys) -> list[Step] | None:
    table = _table(schema, op.table)
    name = op.column.name
    column = table.column(name) or op.column
    if (
        column.primary_key
        or column.unique
        or any(name in index.columns for index in table.indexes)
        or any(fk.column == name for fk in table.foreign_keys)
        or any(mentions(check.sql, name) for check in table.checks)
    ):
        return None
    return [Execute(f"ALTER TABLE {quote(op.table)} DROP COLUMN {quote(name)}")]


def _rename_column(op: RenameColumn, schema: Schema, inline: InlineKeys) -> list[Step]:
    return [
        Execute(f"ALTER TABLE {quote(op.table)} RENAME COLUMN {quote(op.old)} TO {quote(op.new)}")
    ]


def _add_index(op: AddIndex, schema: Schema, inline: InlineKeys) -> list[Step]:
    return [Execute(create_index(op.table, op.index))]


def _drop_index(op: DropIndex, schema: Schema, inline: InlineKeys) -> list[Step]:
    return [Execute(f"DROP INDEX {quote(op.index.name)}")]


def _add_foreign_key(op: AddForeignKey, schema: Schema, inline: InlineKeys) -> list[Step] | None:
    # Only as part of the ADD COLUMN that declares it inline; SQLite has no ADD CONSTRAINT.
    return [] if op.foreign_key in inline.get(op.foreign_key.column, ()) else None


def _rename_foreign_key(op: RenameForeignKey, schema: Schema, inline: InlineKeys) -> list[Step]:
    # SQLite keeps no name for a foreign key: there is nothing to rename.
    return []


_RENDERERS: dict[type[Operation], Callable[..., list[Step] | None]] = {
    CreateTable: _create_table,
    DropTable: _drop_table,
    RenameTable: _rename_table,
    AddColumn: _add_column,
    DropColumn: _drop_column,
    RenameColumn: _rename_column,
    AddIndex: _add_index,
    DropIndex: _drop_index,
    AddForeignKey: _add_foreign_key,
    RenameForeignKey: _rename_foreign_key,
}


def in_place(op: Operation, schema: Schema, inline: InlineKeys) -> list[Step] | None:
    """The statements doing ``op`` on ``schema`` with ALTER TABLE, CREATE/DROP INDEX and
    the like, or None when only a rebuild of the table can do it."""
    renderer = _RENDERERS.get(type(op))
    return None if renderer is None else renderer(op, schema, inline)


def inline_keys(operations: list[Operation]) -> InlineKeys:
    """Foreign keys added to columns that the same run adds: ADD COLUMN declares them."""
    added = {op.column.name for op in operations if isinstance(op, AddColumn)}
    keys: InlineKeys = {}
    for op in operations:
        if isinstance(op, AddForeignKey) and op.foreign_key.column in added:
            column = op.foreign_key.column
            keys[column] = (*keys.get(column, ()), op.foreign_key)
    return keys
