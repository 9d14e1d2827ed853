"""Rebuilding a table, for the changes SQLite's ALTER TABLE cannot make.

This follows SQLite's generalized ALTER TABLE procedure
(https://www.sqlite.org/lang_altertable.html, section 7): with foreign-key enforcement
off (the batch turns it off before BEGIN, so dropping a parent table never cascades),
create the new definition under a temporary name, copy every row, drop the old table,
rename the new one into its place, then re-create its indexes and triggers. Each step
below is one small function; :func:`rebuild` lists them in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.dialects.base import Code, Comment, Execute, Step, sql_literal
from schemashift.dialects.sqlite.ddl import create_index, create_table, default_sql
from schemashift.dialects.sqlite.quoting import quote, string_literal
from schemashift.dialects.sqlite.types import copy_expression, is_rowid_alias, placeholder
from schemashift.diff.operations import (
    AddColumn,
    AlterColumn,
    DropColumn,
    Operation,
    RenameColumn,
)
from schemashift.schema.values import Column, Table

#: The rebuilt table's name until it replaces the old one.
TEMP_PREFIX = "_schemashift_new_"


def rebuild(old: Table, new: Table, operations: Sequence[Operation]) -> list[Step]:
    """The steps that turn table ``old`` into ``new`` (same name), keeping every row, its
    indexes, triggers and AUTOINCREMENT counter. ``operations`` are the changes between
    the two, for the explanation and to know where each new column's values come from."""
    temp = TEMP_PREFIX + new.name
    return [
        *explain(new.name, operations),
        *explain_stand_ins(new, operations),
        *capture_extras(old, new),
        # STRICT and WITHOUT ROWID are not in the models; the new table takes the old
        # one's, read when the migration runs.
        Code(
            f"conn.execute({sql_literal(create_table(new, temp))}"
            f" + conn.table_options({sql_literal(old.name)}))"
        ),
        Execute(copy_rows(old, new, temp, operations)),
        *carry_sequence(new, temp),
        Code(f"conn.check_row_count({sql_literal(old.name)}, {sql_literal(temp)})"),
        Execute(f"DROP TABLE {quote(old.name)}"),
        *swap_in(temp, new.name),
        *(Execute(create_index(new.name, index)) for index in new.indexes),
        *restore_extras(),
    ]


def explain(table: str, operations: Sequence[Operation]) -> list[Step]:
    """Why the table is rebuilt, and what data the changes lose."""
    changes = "\n".join(f"  {op.describe()}" for op in operations)
    steps: list[Step] = [
        Comment(
            f"Table {table} is rebuilt: SQLite's ALTER TABLE cannot make these changes.\n"
            f"{changes}\n"
            "The rows are copied into a new table that replaces the old one; indexes,\n"
            "triggers and the AUTOINCREMENT counter are carried over, and foreign keys\n"
            "are checked before the batch commits."
        )
    ]
    steps.extend(Comment(f"WARNING: {w}") for op in operations for w in op.warnings())
    return steps


def stand_ins(new: Table, operations: Sequence[Operation]) -> dict[str, str]:
    """Values for the existing rows of added columns that neither a fill nor the default
    can give (a dropped column restored by ``down()`` mostly): NULL or the row number for
    a UNIQUE column, where one shared default would collide, and the kind's zero value
    for a NOT NULL column without a default."""
    added = {op.column.name for op in operations if isinstance(op, AddColumn) and op.fill is None}
    values: dict[str, str] = {}
    for column in new.columns:
        if column.name not in added:
            continue
        if column.unique and column.nullable and column.default is not None:
            values[column.name] = "NULL"
        elif (column.unique or column.default is None) and not column.nullable:
            values[column.name] = placeholder(column)
    return values


def explain_stand_ins(new: Table, operations: Sequence[Operation]) -> list[Step]:
    """Say which values existing rows get for the columns of :func:`stand_ins`."""
    return [
        Comment(f"Existing rows get {value} for {new.name}.{name}: no value is known for them.")
        for name, value in stand_ins(new, operations).items()
    ]


def capture_extras(old: Table, new: Table) -> list[Step]:
    """Remember the triggers and hand-made indexes that DROP TABLE is about to take with
    it (the modelled indexes are re-created from the new definition instead)."""
    modelled = sorted({index.name for index in (*old.indexes, *new.indexes)})
    clauses = [
        "SELECT sql FROM sqlite_master",
        f" WHERE tbl_name = {string_literal(old.name)} AND type IN ('index', 'trigger')",
        " AND sql IS NOT NULL",
    ]
    if modelled:
        clauses.append(f" AND name NOT IN ({', '.join(string_literal(n) for n in modelled)})")
    return [
        Code("saved = conn.execute("),
        *(Code(f"    {sql_literal(clause)}") for clause in clauses),
        Code(").fetchall()"),
    ]


def column_sources(
    old: Table, operations: Sequence[Operation]
) -> tuple[dict[str, str | None], dict[str, str]]:
    """For each column after ``operations``, the old column its values come from (None
    for a new column), and the one-off fill values given for some of them."""
    origin: dict[str, str | None] = {c.name: c.name for c in old.columns}
    fills: dict[str, str] = {}
    for op in operations:
        if isinstance(op, AddColumn):
            origin[op.column.name] = None
            if op.fill is not None:
                fills[op.column.name] = op.fill
        elif isinstance(op, DropColumn):
            origin.pop(op.column.name, None)
            fills.pop(op.column.name, None)
        elif isinstance(op, RenameColumn):
            origin[op.new] = origin.pop(op.old, None)
            if op.old in fills:
                fills[op.new] = fills.pop(op.old)
        elif isinstance(op, AlterColumn):
            if op.before.name != op.after.name:
                origin[op.after.name] = origin.pop(op.before.name, None)
            if op.fill is not None:
                fills[op.after.name] = op.fill
    return origin, fills


def source_expression(column: Column, source: Column | None, fill: str | None) -> str | None:
    """The SELECT expression giving ``column`` its values from old column ``source``
    (converted when the kind changes, NULLs filled when it becomes NOT NULL), or None
    for a new column that simply takes its default."""
    if source is None:
        return None if fill is None else default_sql(fill)
    expression = copy_expression(source, column, quote(source.name))
    replacement = fill if fill is not None else column.default
    if source.nullable and not column.nullable and replacement is not None:
        expression = f"COALESCE({expression}, {default_sql(replacement)})"
    return expression


def copy_rows(old: Table, new: Table, temp: str, operations: Sequence[Operation]) -> str:
    """INSERT ... SELECT copying every row of ``old`` into the new table."""
    origin, fills = column_sources(old, operations)
    fills.update(stand_ins(new, operations))
    pairs: list[tuple[str, str]] = []
    for column in new.columns:
        source_name = origin.get(column.name)
        source = old.column(source_name) if source_name is not None else None
        expression = source_expression(column, source, fills.get(column.name))
        if expression is not None:
            pairs.append((quote(column.name), expression))
    if not pairs:
        # Every old column is gone: still one new row per old row.
        first = new.columns[0]
        value = default_sql(first.default) if first.default is not None else "NULL"
        pairs.append((quote(first.name), value))
    targets = ", ".join(name for name, _ in pairs)
    values = ", ".join(expression for _, expression in pairs)
    return f"INSERT INTO {quote(temp)} ({targets})\nSELECT {values} FROM {quote(old.name)}"


def carry_sequence(new: Table, temp: str) -> list[Step]:
    """Give the new table the old one's AUTOINCREMENT counter, so that ids of deleted
    rows are never handed out again. The old table's row in sqlite_sequence disappears
    with it, and the new table's row follows its rename."""
    if not any(c.autoincrement and is_rowid_alias(c, new.primary_key) for c in new.columns):
        return []
    return [
        Execute(f"DELETE FROM sqlite_sequence WHERE name = {string_literal(temp)}"),
        Execute(
            f"INSERT INTO sqlite_sequence (name, seq)\nSELECT {string_literal(temp)}, seq "
            f"FROM sqlite_sequence WHERE name = {string_literal(new.name)}"
        ),
    ]


def swap_in(temp: str, name: str) -> list[Step]:
    """Rename the new table into place. Legacy mode leaves views and triggers that name
    the table untouched: they read it again by name once the rename is done, whereas
    the modern rename would refuse while they point at the dropped table."""
    return [
        Execute("PRAGMA legacy_alter_table = ON"),
        Execute(f"ALTER TABLE {quote(temp)} RENAME TO {quote(name)}"),
        Execute("PRAGMA legacy_alter_table = OFF"),
    ]


def restore_extras() -> list[Step]:
    """Re-create the triggers and hand-made indexes remembered by :func:`capture_extras`."""
    return [Code("for (sql,) in saved:"), Code("    conn.execute(sql)")]
