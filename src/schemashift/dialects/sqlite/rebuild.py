"""Rebuilding a table, for the changes SQLite's ALTER TABLE cannot make.

The migration file says what the rebuild changes — the table's new CREATE TABLE for
review, and which columns it redefines, adds and drops, with where their values come
from — in one call of ``conn.rebuild_table``. That call works from the table as it is
when the migration runs (:mod:`schemashift.dialects.sqlite.live`), so whatever the
live table has beyond what the migration files know is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.dialects.base import Code, Comment, Step, sql_literal
from schemashift.dialects.sqlite.ddl import (
    column_definition,
    create_table,
    default_sql,
    table_constraints,
)
from schemashift.dialects.sqlite.quoting import quote
from schemashift.dialects.sqlite.types import copy_expression, is_rowid_alias, placeholder
from schemashift.diff.operations import AddColumn, AlterColumn, Operation
from schemashift.schema.values import Column, Table

_ROWID_NAMES = ("rowid", "_rowid_", "oid")


def rebuild(old: Table, new: Table, operations: Sequence[Operation]) -> list[Step]:
    """The steps that turn table ``old`` into ``new`` (same name, same column names for
    the columns both have), keeping every row. ``operations`` are the changes between
    the two, for the explanation and to know the values of changed and added columns."""
    return [
        *explain(new.name, operations),
        *explain_stand_ins(old, new, operations),
        *call(old, new, operations),
    ]


def explain(table: str, operations: Sequence[Operation]) -> list[Step]:
    """Why the table is rebuilt, what is kept, and what data the changes lose."""
    changes = "\n".join(f"  {op.describe()}" for op in operations)
    steps: list[Step] = [
        Comment(
            f"Table {table} is rebuilt: SQLite's ALTER TABLE cannot make these changes.\n"
            f"{changes}\n"
            "conn.rebuild_table copies the rows into a new table that replaces the old one.\n"
            "The CREATE TABLE below is the table as the models describe it; the rebuild\n"
            "takes only the definitions named in change/add from it, and keeps the rest\n"
            "(columns, collations, constraints, indexes, triggers, the AUTOINCREMENT\n"
            "counter) as the live table has it when the migration runs. It refuses,\n"
            "changing nothing, when a view, trigger or index uses a dropped column."
        )
    ]
    steps.extend(Comment(f"WARNING: {w}") for op in operations for w in op.warnings())
    return steps


def rowid_name(old: Table) -> str:
    """How the old table's rowid is named in SQL: ``rowid`` unless a column has that name."""
    taken = {c.name.lower() for c in old.columns}
    return next((n for n in _ROWID_NAMES if n not in taken), "rowid")


def stand_ins(old: Table, new: Table, operations: Sequence[Operation]) -> dict[str, str]:
    """Values for the existing rows of added columns that neither a fill nor the default
    can give (a dropped column restored by ``down()`` mostly): the row's rowid for a
    column that becomes the rowid (the implicit ``id`` coming back), NULL or the row
    number for a UNIQUE column, where one shared default would collide, and the kind's
    zero value for a NOT NULL column without a default."""
    added = {op.column.name for op in operations if isinstance(op, AddColumn) and op.fill is None}
    values: dict[str, str] = {}
    for column in new.columns:
        if column.name not in added:
            continue
        unique = column.unique or column.primary_key
        if is_rowid_alias(column, new.primary_key):
            values[column.name] = rowid_name(old)
        elif unique and column.nullable and column.default is not None:
            values[column.name] = "NULL"
        elif (unique or column.default is None) and not column.nullable:
            values[column.name] = placeholder(column)
    return values


def explain_stand_ins(old: Table, new: Table, operations: Sequence[Operation]) -> list[Step]:
    """Say which values existing rows get for the columns of :func:`stand_ins`."""
    return [
        Comment(f"Existing rows get {value} for {new.name}.{name}: no value is known for them.")
        for name, value in stand_ins(old, new, operations).items()
    ]


def fills(operations: Sequence[Operation]) -> dict[str, str]:
    """The one-off values given for existing rows (NULLs of a column becoming NOT NULL,
    rows of an added NOT NULL column), by column."""
    found: dict[str, str] = {}
    for op in operations:
        if isinstance(op, AddColumn) and op.fill is not None:
            found[op.column.name] = op.fill
        elif isinstance(op, AlterColumn) and op.fill is not None:
            found[op.after.name] = op.fill
    return found


def source_expression(column: Column, source: Column, fill: str | None) -> str:
    """The SELECT expression giving ``column`` its values from old column ``source``
    (converted when the kind changes, NULLs filled when it becomes NOT NULL)."""
    expression = copy_expression(source, column, quote(source.name))
    replacement = fill if fill is not None else column.default
    if source.nullable and not column.nullable and replacement is not None:
        expression = f"COALESCE({expression}, {default_sql(replacement)})"
    return expression


def changes(
    old: Table, new: Table, operations: Sequence[Operation]
) -> tuple[dict[str, str], dict[str, str | None], list[str]]:
    """The columns the rebuild redefines (each with its values from the old row), adds
    (each with the value for existing rows, None for its default) and drops. A column
    whose SQL definition and values stay the same is not changed: the live table's
    definition of it is kept."""
    filled = fills(operations)
    stand_in = stand_ins(old, new, operations)
    changed: dict[str, str] = {}
    added: dict[str, str | None] = {}
    for column in new.columns:
        before = old.column(column.name)
        if before is None:
            value = filled.get(column.name)
            added[column.name] = (
                default_sql(value) if value is not None else stand_in.get(column.name)
            )
            continue
        expression = source_expression(column, before, filled.get(column.name))
        definition = column_definition(column, new, new.foreign_keys)
        if (
            expression != quote(column.name)
            or column_definition(before, old, old.foreign_keys) != definition
        ):
            changed[column.name] = expression
    dropped = [c.name for c in old.columns if new.column(c.name) is None]
    return changed, added, dropped


def _mapping(values: dict[str, str] | dict[str, str | None]) -> str:
    items = ", ".join(
        f"{sql_literal(k)}: {'None' if v is None else sql_literal(v)}" for k, v in values.items()
    )
    return "{" + items + "}"


def _listing(values: list[str]) -> str:
    return "[" + ", ".join(sql_literal(v) for v in values) + "]"


def call(old: Table, new: Table, operations: Sequence[Operation]) -> list[Step]:
    """The ``conn.rebuild_table(...)`` call, one argument a line."""
    changed, added, dropped = changes(old, new, operations)
    old_constraints = table_constraints(old)
    new_constraints = table_constraints(new)
    arguments = [
        sql_literal(new.name),
        sql_literal(create_table(new)),
        *([f"change={_mapping(changed)}"] if changed else []),
        *([f"add={_mapping(added)}"] if added else []),
        *([f"drop={_listing(dropped)}"] if dropped else []),
    ]
    removed = [c for c in old_constraints if c not in new_constraints]
    if removed:
        arguments.append(f"drop_constraints={_listing(removed)}")
    extra = [c for c in new_constraints if c not in old_constraints]
    if extra:
        arguments.append(f"add_constraints={_listing(extra)}")
    return [
        Code("conn.rebuild_table("),
        *(Code(f"    {argument},") for argument in arguments),
        Code(")"),
    ]
