"""Operations as PostgreSQL statements.

Every operation is rendered against the schema as it stands just before it (the
renderer replays the operations as it goes), so a drop knows what it drops and a rename
knows which derived constraint names move with it. Statements that lose data carry a
warning comment; those that rewrite a table or hold an ACCESS EXCLUSIVE lock while they
scan it carry a note, so a reviewer sees the cost before running it on a large table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from schemashift.dialects.base import Code, Comment, Execute, Step, sql_literal
from schemashift.dialects.kept import keeps_values, kept_key, kept_table, lost_ids
from schemashift.dialects.postgres.defaults import HEX_BYTES, closing_paren, string_value
from schemashift.dialects.postgres.names import enum_check_name, unique_name
from schemashift.dialects.postgres.quoting import fit_name, quote, string_literal
from schemashift.dialects.postgres.types import (
    column_type,
    rewrites_table,
    using_clause,
    value_change,
)
from schemashift.dialects.values import RenderState, check_steps
from schemashift.diff import operations as ops
from schemashift.schema.record import replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table

# Functions whose value differs per row: a default calling one cannot be stored once in
# the catalog, so adding such a column rewrites the table.
_VOLATILE = re.compile(
    r"\b(random|gen_random_uuid|uuid_generate_v[14]|clock_timestamp|timeofday|nextval"
    r"|txid_current|pg_current_xact_id)\s*\(",
    re.IGNORECASE,
)


def render(operations: Sequence[ops.Operation], before: Schema) -> list[Step]:
    """The steps that turn ``before`` into the schema after ``operations``."""
    state = RenderState(before)
    steps: list[Step] = []
    for position, op in enumerate(operations):
        steps.extend(Comment(f"WARNING: {w}") for w in op.warnings())
        steps.extend(_render_one(op, state, operations[position + 1 :]))
        state.schema = op.apply(state.schema)
        steps.extend(_flush_foreign_keys(state))
    steps.extend(_flush_foreign_keys(state, final=True))
    return steps


def _flush_foreign_keys(state: RenderState, *, final: bool = False) -> list[Step]:
    return [
        Execute(f"ALTER TABLE {quote(t)} ADD {foreign_key_clause(fk)}")
        for t, fk in state.ready_foreign_keys(final=final)
    ]


def _render_one(
    op: ops.Operation, state: RenderState, later: Sequence[ops.Operation]
) -> list[Step]:
    renderer = _RENDERERS.get(type(op))
    if renderer is None:
        raise TypeError(f"cannot render {type(op).__name__}")
    return renderer(op, state, later)


# Each renderer takes the operation, the render state and the operations after it.
_Renderer = Callable[[Any, RenderState, Sequence[ops.Operation]], list[Step]]


def _drop_column_steps(
    op: ops.DropColumn, state: RenderState, later: Sequence[ops.Operation]
) -> list[Step]:
    return [
        *_kept_ids(op, state.schema, later),
        Execute(f"ALTER TABLE {quote(op.table)} DROP COLUMN {quote(op.column.name)}"),
    ]


def _add_check(op: ops.AddCheck, *_: object) -> list[Step]:
    return [
        Execute(f"ALTER TABLE {quote(op.table)} ADD {check_clause(op.check)}"),
        Execute(check_comment(op.table, op.check)),
    ]


def _renamed_constraint(op: ops.RenameForeignKey | ops.RenameCheck, *_: object) -> list[Step]:
    return [_rename_constraint(op.table, op.old, op.new)]


_RENDERERS: dict[type[ops.Operation], _Renderer] = {
    ops.CreateTable: lambda op, state, _: _create_table(op.table, state),
    ops.DropTable: lambda op, state, later: _drop_table(op.table, state.schema, later),
    ops.RenameTable: lambda op, state, _: _rename_table(op, state.schema),
    ops.AddColumn: lambda op, *_: _add_column(op),
    ops.DropColumn: _drop_column_steps,
    ops.RenameColumn: lambda op, state, _: _rename_column(op, state.schema),
    ops.AlterColumn: lambda op, *_: _alter_column(op),
    ops.AddIndex: lambda op, *_: [Execute(create_index(op.table, op.index))],
    ops.DropIndex: lambda op, *_: [Execute(f"DROP INDEX {quote(op.index.name)}")],
    ops.AddForeignKey: lambda op, *_: _add_foreign_key(op.table, op.foreign_key),
    ops.DropForeignKey: lambda op, *_: [_drop_constraint(op.table, op.foreign_key.name)],
    ops.AddCheck: _add_check,
    ops.DropCheck: lambda op, *_: [_drop_constraint(op.table, op.check.name)],
    ops.RenameIndex: lambda op, *_: [
        Execute(f"ALTER INDEX {quote(op.old)} RENAME TO {quote(op.new)}")
    ],
    ops.RenameForeignKey: _renamed_constraint,
    ops.RenameCheck: _renamed_constraint,
}


# --- pieces shared by several statements -------------------------------------------


def column_definition(
    table: str, column: Column, *, inline_primary_key: bool = True, fill: str | None = None
) -> str:
    """``name TYPE [GENERATED ...] [PRIMARY KEY | NOT NULL] [DEFAULT ...] [constraints]``.

    ``fill`` is written as the default of a column that has none (existing rows take it).
    """
    parts = [quote(column.name), column_type(column)]
    if column.autoincrement:
        parts.append("GENERATED BY DEFAULT AS IDENTITY")
    if column.primary_key and inline_primary_key:
        parts.append("PRIMARY KEY")
    elif not column.nullable:
        parts.append("NOT NULL")
    default = _default_of(column)
    if default is None and not column.autoincrement:
        default = fill
    if default is not None:
        parts.append(f"DEFAULT {default}")
    if column.unique and not column.primary_key:
        parts.append(f"CONSTRAINT {quote(unique_name(table, column.name))} UNIQUE")
    if column.kind == "enum" and column.choices:
        parts.append(enum_check_clause(table, column))
    return " ".join(parts)


def enum_check_clause(table: str, column: Column) -> str:
    """``CONSTRAINT <table>_<col>_check CHECK (col IN ('a', 'b'))``."""
    values = ", ".join(string_literal(v) for v in column.choices)
    name = quote(enum_check_name(table, column.name))
    return f"CONSTRAINT {name} CHECK ({quote(column.name)} IN ({values}))"


def foreign_key_clause(fk: ForeignKey) -> str:
    """``CONSTRAINT fk FOREIGN KEY (col) REFERENCES t (id) ON DELETE ...``."""
    return (
        f"CONSTRAINT {quote(fk.name)} FOREIGN KEY ({quote(fk.column)}) "
        f"REFERENCES {quote(fk.ref_table)} ({quote(fk.ref_column)}) ON DELETE {fk.on_delete}"
    )


def check_clause(check: Check) -> str:
    """``CONSTRAINT name CHECK (sql)``."""
    return f"CONSTRAINT {quote(check.name)} CHECK ({check.sql})"


def check_comment(table: str, check: Check) -> str:
    """A comment on the check that keeps its text as written: PostgreSQL stores only a
    rewritten form (``score >= 0`` reads back as ``(score >= 0)``), and introspection
    reads this comment to compare the check with the models exactly."""
    return (
        f"COMMENT ON CONSTRAINT {quote(check.name)} ON {quote(table)} "
        f"IS {string_literal(check.sql)}"
    )


def create_index(table: str, index: Index) -> str:
    """``CREATE [UNIQUE] INDEX name ON table (columns)``."""
    unique = "UNIQUE " if index.unique else ""
    columns = ", ".join(quote(c) for c in index.columns)
    return f"CREATE {unique}INDEX {quote(index.name)} ON {quote(table)} ({columns})"


def _default_of(column: Column) -> str | None:
    if column.autoincrement or column.default is None or column.default.upper() == "NULL":
        return None
    return default_sql(column.default)


def default_sql(expression: str) -> str:
    """``expression`` as it may follow DEFAULT: parenthesised unless it is one literal,
    name or call (``DEFAULT`` takes a restricted expression: ``a IS NULL`` needs them).
    A string literal is rewritten only to escape its control characters."""
    text = expression.strip()
    hex_bytes = HEX_BYTES.fullmatch(text)
    if hex_bytes is not None:
        # X'..' is a bit string to PostgreSQL; bytea takes the '\x..' form.
        return f"'\\x{hex_bytes.group(1).lower()}'::bytea"
    value = string_value(text)
    if value is not None:
        return string_literal(value)
    enclosed = text.startswith("(") and closing_paren(text) == len(text) - 1
    if enclosed or not _space_outside_quotes(text):
        return text
    return f"({text})"


def _space_outside_quotes(text: str) -> bool:
    """Whether ``text`` has whitespace outside its string literals: the sign of an
    expression made of several terms."""
    in_string = False
    for char in text:
        if char == "'":
            in_string = not in_string
        elif char.isspace() and not in_string:
            return True
    return False


def _drop_constraint(table: str, name: str) -> Execute:
    return Execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")


def _rename_constraint(table: str, old: str, new: str) -> Execute:
    return Execute(f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(old)} TO {quote(new)}")


def _alter(table: str, column: str, action: str) -> Execute:
    return Execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} {action}")


# --- tables ---------------------------------------------------------------------------


def _create_table(table: Table, state: RenderState) -> list[Step]:
    primary_key = table.primary_key
    single = len(primary_key) == 1
    lines = [column_definition(table.name, c, inline_primary_key=single) for c in table.columns]
    if len(primary_key) > 1:
        lines.append(f"PRIMARY KEY ({', '.join(quote(c) for c in primary_key)})")
    for fk in table.foreign_keys:
        if fk.ref_table == table.name or state.schema.table(fk.ref_table) is not None:
            lines.append(foreign_key_clause(fk))
        else:
            state.waiting.append((table.name, fk))
    lines.extend(check_clause(c) for c in table.checks)
    body = ",\n    ".join(lines)
    steps: list[Step] = [Execute(f"CREATE TABLE {quote(table.name)} (\n    {body}\n)")]
    steps.extend(Execute(create_index(table.name, i)) for i in table.indexes)
    steps.extend(Execute(check_comment(table.name, c)) for c in table.checks)
    return steps


def _drop_table(table: Table, schema: Schema, later: Sequence[ops.Operation]) -> list[Step]:
    # A table dropped later in this migration may still reference this one (tables that
    # reference each other); its foreign key has to go first.
    dropped_later = {op.table.name for op in later if isinstance(op, ops.DropTable)}
    steps: list[Step] = [
        _drop_constraint(other.name, fk.name)
        for other in schema.tables.values()
        if other.name in dropped_later
        for fk in other.foreign_keys
        if fk.ref_table == table.name
    ]
    steps.append(Execute(f"DROP TABLE {quote(table.name)}"))
    return steps


def _rename_table(op: ops.RenameTable, schema: Schema) -> list[Step]:
    steps: list[Step] = [Execute(f"ALTER TABLE {quote(op.old)} RENAME TO {quote(op.new)}")]
    table = schema.table(op.old)
    for column in table.columns if table is not None else ():
        steps.extend(_derived_renames(op.new, column, op.old, column.name, column.name))
    if table is not None:
        steps.extend(_implicit_renames(table, op.new))
    return steps


def _implicit_renames(table: Table, new: str) -> list[Step]:
    """PostgreSQL names a primary key ``<table>_pkey`` and an identity's sequence
    ``<table>_<column>_seq`` and keeps those names when the table is renamed; rename them
    too, so that the table looks as if it had been created under its new name (and a
    later table with the old name gets the plain names). Names PostgreSQL would have
    shortened are left alone."""
    old = table.name
    steps: list[Step] = []
    if table.primary_key and _fits(f"{old}_pkey") and _fits(f"{new}_pkey"):
        steps.append(_rename_constraint(new, f"{old}_pkey", f"{new}_pkey"))
    for column in table.columns:
        if not column.autoincrement:
            continue
        before, after = f"{old}_{column.name}_seq", f"{new}_{column.name}_seq"
        if _fits(before) and _fits(after):
            steps.append(Execute(f"ALTER SEQUENCE {quote(before)} RENAME TO {quote(after)}"))
    return steps


def _fits(name: str) -> bool:
    return len(name.encode()) <= 63


def _rename_column(op: ops.RenameColumn, schema: Schema) -> list[Step]:
    steps: list[Step] = [
        Execute(f"ALTER TABLE {quote(op.table)} RENAME COLUMN {quote(op.old)} TO {quote(op.new)}")
    ]
    table = schema.table(op.table)
    column = table.column(op.old) if table is not None else None
    if column is not None:
        steps.extend(_derived_renames(op.table, column, op.table, op.old, op.new))
    # PostgreSQL rewrites the checks that use the column; the text kept beside each
    # follows, so that the check stays the same object, comparable to the models.
    renamed = op.apply(schema).table(op.table) if table is not None else None
    before = set(table.checks) if table is not None else set()
    for check in renamed.checks if renamed is not None else ():
        if check not in before:
            steps.append(Execute(check_comment(op.table, check)))
    return steps


def _derived_renames(
    table: str, column: Column, old_table: str, old_column: str, new_column: str
) -> list[Step]:
    """Keep the names of a column's own constraints in step with its table and name."""
    steps: list[Step] = []
    if column.unique and not column.primary_key:
        old, new = unique_name(old_table, old_column), unique_name(table, new_column)
        if old != new:
            steps.append(_rename_constraint(table, old, new))
    if column.kind == "enum" and column.choices:
        old, new = enum_check_name(old_table, old_column), enum_check_name(table, new_column)
        if old != new:
            steps.append(_rename_constraint(table, old, new))
    return steps


# --- columns --------------------------------------------------------------------------


def _kept_ids(op: ops.DropColumn, schema: Schema, later: Sequence[ops.Operation]) -> list[Step]:
    """Before the implicit ``id`` leaves (the primary key moving to another field), each
    row's id copied aside with the row's new key, for ``id`` to come back with it (see
    :mod:`schemashift.dialects.kept`); where no key identifies the rows after the
    drop, a flag that the ids are lost."""
    column, table = op.column, op.table
    if not keeps_values(column):
        return []
    key = kept_key(op, schema, later)
    if not key:
        return [lost_ids(table, column.name)]
    name = f"{table}.{column.name}"
    kept = fit_name(kept_table(table, column.name))
    columns = ", ".join(quote(c) for c in (*key, column.name))
    return [
        Comment(
            f"Each row's {name} is kept in {kept} (by {', '.join(key)}), so that "
            f"{column.name} comes back with it (rolling this migration back, or the primary "
            f"key moving back to {column.name})."
        ),
        Execute(f"DROP TABLE IF EXISTS {quote(kept)}"),
        Execute(f"CREATE TABLE {quote(kept)} AS SELECT {columns} FROM {quote(table)}"),
    ]


def _restored_ids(op: ops.AddColumn) -> list[Step]:
    """The implicit ``id`` coming back: added bare, filled with the ids kept when it was
    dropped (new ids after the largest for rows that have none), then made the identity
    primary key, its sequence going on after the largest id."""
    column, table = op.column, op.table
    name = f"{table}.{column.name}"
    kept = fit_name(kept_table(table, column.name))
    bare = replace(column, primary_key=False, autoincrement=False, nullable=True)
    return [
        Comment(
            f"Each row gets back the {name} kept in {kept} when {column.name} was dropped "
            "(an UPDATE of every row); rows without one (added since) get new ids after the "
            "largest."
        ),
        Execute(f"ALTER TABLE {quote(table)} ADD COLUMN {column_definition(table, bare)}"),
        Code(f"conn.restore_kept({sql_literal(table)}, {sql_literal(column.name)})"),
        Execute(f"ALTER TABLE {quote(table)} ADD PRIMARY KEY ({quote(column.name)})"),
        _alter(table, column.name, "ADD GENERATED BY DEFAULT AS IDENTITY"),
        Execute(
            f"SELECT setval(pg_get_serial_sequence({string_literal(quote(table))}, "
            f"{string_literal(column.name)}), max({quote(column.name)})) FROM {quote(table)}"
        ),
    ]


def _add_column(op: ops.AddColumn) -> list[Step]:
    column, table = op.column, op.table
    if keeps_values(column):
        return _restored_ids(op)
    steps: list[Step] = []
    default = _default_of(column)
    if column.autoincrement or (default is not None and _VOLATILE.search(default)):
        steps.append(
            Comment(
                f"NOTE: {table}.{column.name} gets a value computed for every existing row: "
                "the table is rewritten under an ACCESS EXCLUSIVE lock (reads and writes wait)."
            )
        )
    if op.fill is not None and not column.nullable and default is None:
        # Existing rows take the one-off value; new rows must say theirs.
        definition = column_definition(table, column, fill=op.fill)
        steps.append(Execute(f"ALTER TABLE {quote(table)} ADD COLUMN {definition}"))
        steps.append(_alter(table, column.name, "DROP DEFAULT"))
        return steps
    if op.fill is None and not column.autoincrement:
        stand_in = _stand_in(table, column, default)
        if stand_in is not None:
            return [*steps, *stand_in]
    definition = column_definition(table, column)
    steps.append(Execute(f"ALTER TABLE {quote(table)} ADD COLUMN {definition}"))
    return steps


def _stand_in(table: str, column: Column, default: str | None) -> list[Step] | None:
    """The statements adding a UNIQUE column with a default (a dropped column restored
    by ``down()`` mostly), or None when a plain ADD COLUMN does: one shared default
    would collide, so existing rows get NULL and the default applies to new rows, as
    SQLite's rebuild does."""
    if not (column.unique and column.nullable and default is not None):
        return None
    return [
        Comment(f"Existing rows get NULL for {table}.{column.name}: one default would collide."),
        Execute(
            f"ALTER TABLE {quote(table)} ADD COLUMN "
            + column_definition(table, replace(column, default=None))
        ),
        _alter(table, column.name, f"SET DEFAULT {default}"),
    ]


def _alter_column(op: ops.AlterColumn) -> list[Step]:
    table, before, after = op.table, op.before, op.after
    name = after.name
    steps: list[Step] = []
    old_type, new_type = column_type(before), column_type(after)
    type_changes = old_type != new_type
    old_default, new_default = _default_of(before), _default_of(after)
    had_enum = before.kind == "enum" and bool(before.choices)
    has_enum = after.kind == "enum" and bool(after.choices)
    enum_changes = had_enum != has_enum or (has_enum and before.choices != after.choices)
    was_unique = before.unique and not before.primary_key
    is_unique = after.unique and not after.primary_key

    change = value_change(before, after) if type_changes else None
    if change is not None:
        old, new = (before.kind, after.kind) if before.kind != after.kind else (old_type, new_type)
        steps.extend(check_steps(table, name, quote(name), old, new, change))
    if was_unique and not is_unique:
        steps.append(_drop_constraint(table, unique_name(table, name)))
    if had_enum and enum_changes:
        steps.append(_drop_constraint(table, enum_check_name(table, name)))
    if before.primary_key and not after.primary_key:
        steps.append(_drop_constraint(table, f"{table}_pkey"))
    if before.autoincrement and not after.autoincrement:
        steps.append(_alter(table, name, "DROP IDENTITY"))
    if old_default is not None and (type_changes or new_default is None):
        # The old default may not convert to the new type: drop it first.
        steps.append(_alter(table, name, "DROP DEFAULT"))
    if type_changes:
        if rewrites_table(before, after):
            steps.append(
                Comment(
                    f"NOTE: changing {table}.{name} to {new_type} rewrites the table and its "
                    "indexes under an ACCESS EXCLUSIVE lock (reads and writes wait)."
                )
            )
        using = using_clause(before, after)
        action = f"TYPE {new_type}" + (f" USING {using}" if using else "")
        steps.append(_alter(table, name, action))
    if new_default is not None and (type_changes or new_default != old_default):
        steps.append(_alter(table, name, f"SET DEFAULT {new_default}"))
    if after.autoincrement and not before.autoincrement:
        steps.extend(_add_identity(table, name))
    steps.extend(_nullability(op))
    if after.primary_key and not before.primary_key:
        steps.append(Execute(f"ALTER TABLE {quote(table)} ADD PRIMARY KEY ({quote(name)})"))
    if is_unique and not was_unique:
        steps.append(
            Execute(
                f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(unique_name(table, name))} "
                f"UNIQUE ({quote(name)})"
            )
        )
    if has_enum and enum_changes:
        steps.append(Execute(f"ALTER TABLE {quote(table)} ADD {enum_check_clause(table, after)}"))
    return steps


def _add_identity(table: str, column: str) -> list[Step]:
    # The new sequence starts at 1; move it past the values already there.
    return [
        _alter(table, column, "ADD GENERATED BY DEFAULT AS IDENTITY"),
        Execute(
            f"SELECT setval(pg_get_serial_sequence({string_literal(quote(table))}, "
            f"{string_literal(column)}), coalesce(max({quote(column)}), 0) + 1, false) "
            f"FROM {quote(table)}"
        ),
    ]


def _nullability(op: ops.AlterColumn) -> list[Step]:
    table, before, after = op.table, op.before, op.after
    name = after.name
    if before.nullable and not after.nullable and not after.primary_key:
        steps: list[Step] = []
        fill = _default_of(after) or op.fill
        if fill is not None:
            col = quote(name)
            steps.append(Execute(f"UPDATE {quote(table)} SET {col} = {fill} WHERE {col} IS NULL"))
        steps.append(
            Comment(f"NOTE: SET NOT NULL reads all of {table} under an ACCESS EXCLUSIVE lock.")
        )
        steps.append(_alter(table, name, "SET NOT NULL"))
        return steps
    if not before.nullable and after.nullable and not before.primary_key:
        return [_alter(table, name, "DROP NOT NULL")]
    return []


def _add_foreign_key(table: str, fk: ForeignKey) -> list[Step]:
    # NOT VALID takes only a brief lock; VALIDATE then checks existing rows while
    # writes go on (when the migration runs outside a transaction, atomic = False).
    return [
        Execute(f"ALTER TABLE {quote(table)} ADD {foreign_key_clause(fk)} NOT VALID"),
        Execute(f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(fk.name)}"),
    ]


def render_concurrently(operations: Sequence[ops.Operation]) -> list[Step]:
    """Index changes as ``CREATE/DROP INDEX CONCURRENTLY``, which build or remove an index
    without blocking writes but cannot run inside a transaction (the migration is then
    written with ``atomic = False``). Only index operations are accepted; a renamed
    index is renamed in place.

    Such a migration is not rolled back when it fails, so every statement may run again:
    ``IF [NOT] EXISTS``, and a failed build's INVALID leftover is dropped before the index
    is built afresh."""
    steps: list[Step] = []
    for op in operations:
        if isinstance(op, ops.AddIndex):
            unique = "UNIQUE " if op.index.unique else ""
            columns = ", ".join(quote(c) for c in op.index.columns)
            steps.extend(_drop_invalid(op.index.name))
            steps.append(
                Execute(
                    f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {quote(op.index.name)} "
                    f"ON {quote(op.table)} ({columns})"
                )
            )
        elif isinstance(op, ops.DropIndex):
            steps.append(Execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(op.index.name)}"))
        elif isinstance(op, ops.RenameIndex):
            # A catalog change; IF EXISTS lets a run that stopped after it run again.
            steps.append(
                Execute(f"ALTER INDEX IF EXISTS {quote(op.old)} RENAME TO {quote(op.new)}")
            )
        else:
            raise ValueError(f"not an index operation: {op.describe()}")
    return steps


def _drop_invalid(index: str) -> list[Step]:
    """Drop index ``index`` of the current schema if it is INVALID: what a failed
    ``CREATE INDEX CONCURRENTLY`` leaves behind, and ``IF NOT EXISTS`` would keep."""
    check = "SELECT 1 FROM pg_index WHERE NOT indisvalid AND indexrelid = "
    regclass = f"to_regclass(quote_ident(current_schema()) || {string_literal('.' + quote(index))})"
    drop = f"DROP INDEX CONCURRENTLY IF EXISTS {quote(index)}"
    return [
        Comment("A failed earlier run leaves an INVALID index behind: build it afresh."),
        Code("if conn.execute("),
        Code(f"    {sql_literal(check)}"),
        Code(f"    {sql_literal(regclass)}"),
        Code(").fetchone():"),
        Code(f"    conn.execute({sql_literal(drop)})"),
    ]
