"""Operations as MySQL statements.

MySQL commits every DDL statement on its own, so a migration that fails part-way leaves
the statements before the failing one done. The renderer therefore writes as few
statements as it can: consecutive changes of one table become the clauses of one
``ALTER TABLE`` (which MySQL applies as a whole or not at all), and a new table's
indexes, unique keys and checks are part of its ``CREATE TABLE``.

Every operation is rendered against the schema as it stands just before it, so a drop
knows what it drops and a rename knows which derived names move with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from schemashift.dialects.base import Code, Comment, Execute, Step, sql_literal
from schemashift.dialects.kept import keeps_values, kept_key, kept_table, lost_ids
from schemashift.dialects.mysql import locks
from schemashift.dialects.mysql.defaults import default_sql
from schemashift.dialects.mysql.quoting import (
    enum_check_name,
    fit_name,
    quote,
    string_literal,
    unique_name,
)
from schemashift.dialects.mysql.types import UNBOUNDED, column_type, value_change
from schemashift.dialects.values import RenderState, check_steps
from schemashift.diff import operations as ops
from schemashift.errors import ModelError
from schemashift.schema.record import replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table

#: What every CREATE TABLE says, rather than rely on the server's defaults.
TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"


@dataclass(frozen=True)
class _Clause:
    """One clause of an ``ALTER TABLE``; ``names`` are the columns, indexes and
    constraints it touches (two clauses on one name never share a statement). ``rule``
    says how it runs on a table in use when its text does not tell (a MODIFY COLUMN)."""

    table: str
    text: str
    names: frozenset[str]
    rule: locks.OnlineRule | None = None


_Item = Step | _Clause


def render(operations: Sequence[ops.Operation], before: Schema) -> list[Step]:
    """The steps that turn ``before`` into the schema after ``operations``."""
    refuse_unindexable(ops.apply_all(before, operations), operations)
    state = RenderState(before)
    # Views and triggers are checked before the first statement: MySQL would drop or
    # rename under them and leave them broken, and a refusal then changes nothing.
    items: list[_Item] = [check for op in operations for check in _dependents_check(op)]
    for position, op in enumerate(operations):
        items.extend(Comment(f"WARNING: {w}") for w in op.warnings())
        items.extend(_render_one(op, state, operations[position + 1 :]))
        state.schema = op.apply(state.schema)
        items.extend(_flush_foreign_keys(state))
    items.extend(_flush_foreign_keys(state, final=True))
    return locks.annotate(_merged(items))


def _dependents_check(op: ops.Operation) -> list[_Item]:
    if isinstance(op, (ops.DropTable, ops.RenameTable)):
        table = op.table.name if isinstance(op, ops.DropTable) else op.old
        column: str | None = None
    elif isinstance(op, (ops.DropColumn, ops.RenameColumn)):
        table = op.table
        column = op.column.name if isinstance(op, ops.DropColumn) else op.old
    else:
        return []
    change = "drops" if isinstance(op, (ops.DropTable, ops.DropColumn)) else "renames"
    target = sql_literal(column) if column is not None else "None"
    return [Code(f"conn.check_dependents({sql_literal(table)}, {target}, {sql_literal(change)})")]


def refuse_unindexable(schema: Schema, operations: Sequence[ops.Operation]) -> None:
    """Refuse, before anything is written, an index or unique key on a column whose
    values have no length limit (Text, JSON, Binary): MySQL cannot index those whole."""
    touched = {op.table_name for op in operations}
    for table in schema.tables.values():
        if table.name not in touched:
            continue
        keyed = [(c.name, "unique") for c in table.columns if c.unique and not c.primary_key]
        keyed += [(c.name, "primary key") for c in table.columns if c.primary_key]
        keyed += [(c, f"index {i.name}") for i in table.indexes for c in i.columns]
        for name, what in keyed:
            column = table.column(name)
            if column is not None and column.kind in UNBOUNDED:
                raise ModelError(
                    f"{table.name}.{name} is a {column.kind} column without a length limit, "
                    f"and MySQL cannot index it whole ({what}). Make it a "
                    "String(max_length=...) or remove the index; no file was written."
                )


def _merged(items: Sequence[_Item]) -> list[Step]:
    """Consecutive clauses on one table as one ALTER TABLE (comments between them go
    before it)."""
    steps: list[Step] = []
    group: list[_Clause] = []
    held: list[Step] = []

    def flush() -> None:
        if group:
            table = group[0].table
            clauses = [(c.text, c.rule) for c in group]
            steps.extend(locks.alter_table(table, quote(table), clauses))
        group.clear()
        steps.extend(held)
        held.clear()

    for item in items:
        if isinstance(item, _Clause):
            clash = any(item.names & c.names for c in group)
            if group and (item.table != group[0].table or clash):
                flush()
            group.append(item)
        elif isinstance(item, Comment) and group:
            steps.append(item)
        elif group:
            held.append(item)
            flush()
        else:
            steps.append(item)
    flush()
    return steps


def _flush_foreign_keys(state: RenderState, *, final: bool = False) -> list[_Item]:
    return [
        _clause(t, f"ADD {foreign_key_clause(fk)}", fk.name)
        for t, fk in state.ready_foreign_keys(final=final)
    ]


def _clause(table: str, text: str, *names: str) -> _Clause:
    return _Clause(table, text, frozenset(names))


def _alter(table: str, text: str) -> Execute:
    """An ``ALTER TABLE`` of one clause that stands alone, with its algorithm."""
    (statement,) = locks.alter_table(table, quote(table), [(text, None)])
    assert isinstance(statement, Execute), "a clause that stands alone runs online"
    return statement


def _render_one(
    op: ops.Operation, state: RenderState, later: Sequence[ops.Operation]
) -> list[_Item]:
    renderer = _RENDERERS.get(type(op))
    if renderer is None:
        raise TypeError(f"cannot render {type(op).__name__}")
    return renderer(op, state, later)


# Each renderer takes the operation, the render state and the operations after it.
_Renderer = Callable[[Any, RenderState, Sequence[ops.Operation]], list[_Item]]


def _add_index(op: ops.AddIndex, state: RenderState, _: object) -> list[_Item]:
    added = [_clause(op.table, f"ADD {index_clause(op.index)}", op.index.name)]
    first = op.index.columns[0]
    return _foreign_key_index(state.schema, op.table, first, "", drop=True) + added


def _drop_index(op: ops.DropIndex, state: RenderState, _: object) -> list[_Item]:
    name = op.index.name
    dropped = [_clause(op.table, f"DROP INDEX {quote(name)}", name)]
    return dropped + _foreign_key_index(state.schema, op.table, op.index.columns[0], name)


def _add_foreign_key(op: ops.AddForeignKey, *_: object) -> list[_Item]:
    fk = op.foreign_key
    return [_clause(op.table, f"ADD {foreign_key_clause(fk)}", fk.name, fk.column)]


def _rename_index(op: ops.RenameIndex, *_: object) -> list[_Item]:
    return [_clause(op.table, f"RENAME INDEX {quote(op.old)} TO {quote(op.new)}", op.old, op.new)]


_RENDERERS: dict[type[ops.Operation], _Renderer] = {
    ops.CreateTable: lambda op, state, _: _create_table(op.table, state),
    ops.DropTable: lambda op, state, later: _drop_table(op.table, state.schema, later),
    ops.RenameTable: lambda op, state, _: _rename_table(op, state.schema),
    ops.AddColumn: lambda op, *_: _add_column(op),
    ops.DropColumn: lambda op, state, later: [
        *_kept_ids(op, state.schema, later),
        *_drop_column(op),
    ],
    ops.RenameColumn: lambda op, state, _: _rename_column(op, state.schema),
    ops.AlterColumn: lambda op, state, _: _alter_column(op, state.schema),
    ops.AddIndex: _add_index,
    ops.DropIndex: _drop_index,
    ops.AddForeignKey: _add_foreign_key,
    ops.DropForeignKey: lambda op, state, _: _drop_foreign_key(op, state.schema),
    ops.AddCheck: lambda op, *_: [
        _clause(op.table, f"ADD {check_clause(op.check)}", op.check.name)
    ],
    ops.DropCheck: lambda op, *_: [
        _clause(op.table, f"DROP CONSTRAINT {quote(op.check.name)}", op.check.name)
    ],
    ops.RenameIndex: _rename_index,
    ops.RenameForeignKey: lambda op, state, _: _renamed_constraint(op, state.schema),
    ops.RenameCheck: lambda op, state, _: _renamed_constraint(op, state.schema),
}


# --- pieces shared by several statements -------------------------------------------


def column_definition(column: Column, *, fill: str | None = None, key: bool = True) -> str:
    """``name TYPE [NOT NULL] [DEFAULT ...] [AUTO_INCREMENT] [PRIMARY KEY]``. ``fill`` is
    written as the default of a column that has none (existing rows take it); ``key``
    says whether a primary key column says so inline."""
    parts = [quote(column.name), column_type(column)]
    if not column.nullable or column.primary_key:
        parts.append("NOT NULL")
    default = _default_of(column)
    if default is None and fill is not None and not column.autoincrement:
        default = default_sql(fill, column.kind)
    if default is not None:
        parts.append(f"DEFAULT {default}")
    if column.autoincrement:
        parts.append("AUTO_INCREMENT")
    if column.primary_key and key:
        parts.append("PRIMARY KEY")
    return " ".join(parts)


def _default_of(column: Column) -> str | None:
    if column.autoincrement or column.default is None or column.default.upper() == "NULL":
        return None
    return default_sql(column.default, column.kind)


def enum_check_clause(table: str, column: Column) -> str:
    """``CONSTRAINT <table>_<col>_check CHECK (col IN ('a', 'b'))``."""
    values = ", ".join(string_literal(v) for v in column.choices)
    name = quote(enum_check_name(table, column.name))
    return f"CONSTRAINT {name} CHECK ({quote(column.name)} IN ({values}))"


def unique_clause(table: str, column: str) -> str:
    """``UNIQUE KEY <table>_<col>_key (col)``, the key of a unique column."""
    return f"UNIQUE KEY {quote(unique_name(table, column))} ({quote(column)})"


def index_clause(index: Index) -> str:
    """``[UNIQUE] INDEX name (columns)``."""
    unique = "UNIQUE " if index.unique else ""
    columns = ", ".join(quote(c) for c in index.columns)
    return f"{unique}INDEX {quote(index.name)} ({columns})"


def foreign_key_clause(fk: ForeignKey) -> str:
    """``CONSTRAINT fk FOREIGN KEY (col) REFERENCES t (id) ON DELETE ...``."""
    return (
        f"CONSTRAINT {quote(fk.name)} FOREIGN KEY ({quote(fk.column)}) "
        f"REFERENCES {quote(fk.ref_table)} ({quote(fk.ref_column)}) ON DELETE {fk.on_delete}"
    )


def check_clause(check: Check) -> str:
    """``CONSTRAINT name CHECK (sql)``."""
    return f"CONSTRAINT {quote(check.name)} CHECK ({check.sql})"


def _has_enum(column: Column) -> bool:
    return column.kind == "enum" and bool(column.choices)


def _is_unique(column: Column) -> bool:
    return column.unique and not column.primary_key


# --- tables ---------------------------------------------------------------------------


def _create_table(table: Table, state: RenderState) -> list[_Item]:
    primary_key = table.primary_key
    single = len(primary_key) == 1
    lines = [column_definition(c, key=single) for c in table.columns]
    if len(primary_key) > 1:
        lines.append(f"PRIMARY KEY ({', '.join(quote(c) for c in primary_key)})")
    lines.extend(unique_clause(table.name, c.name) for c in table.columns if _is_unique(c))
    lines.extend(index_clause(i) for i in table.indexes)
    for fk in table.foreign_keys:
        if fk.ref_table == table.name or state.schema.table(fk.ref_table) is not None:
            lines.append(foreign_key_clause(fk))
        else:
            state.waiting.append((table.name, fk))
    lines.extend(enum_check_clause(table.name, c) for c in table.columns if _has_enum(c))
    lines.extend(check_clause(c) for c in table.checks)
    body = ",\n    ".join(lines)
    return [Execute(f"CREATE TABLE {quote(table.name)} (\n    {body}\n) {TABLE_OPTIONS}")]


def _drop_table(table: Table, schema: Schema, later: Sequence[ops.Operation]) -> list[_Item]:
    # A table dropped later in this migration may still reference this one (tables that
    # reference each other); its foreign key has to go first.
    dropped_later = {op.table.name for op in later if isinstance(op, ops.DropTable)}
    items: list[_Item] = [
        _clause(other.name, f"DROP FOREIGN KEY {quote(fk.name)}", fk.name)
        for other in schema.tables.values()
        if other.name in dropped_later
        for fk in other.foreign_keys
        if fk.ref_table == table.name
    ]
    items.append(Execute(f"DROP TABLE {quote(table.name)}"))
    return items


def _rename_table(op: ops.RenameTable, schema: Schema) -> list[_Item]:
    items: list[_Item] = [Execute(f"RENAME TABLE {quote(op.old)} TO {quote(op.new)}")]
    table = schema.table(op.old)
    for column in table.columns if table is not None else ():
        items.extend(_derived_renames(op.new, column, op.old, column.name, column.name))
    return items


def _rename_column(op: ops.RenameColumn, schema: Schema) -> list[_Item]:
    items: list[_Item] = [_alter(op.table, f"RENAME COLUMN {quote(op.old)} TO {quote(op.new)}")]
    table = schema.table(op.table)
    column = table.column(op.old) if table is not None else None
    if column is not None:
        items.extend(_derived_renames(op.table, column, op.table, op.old, op.new))
    return items


def _derived_renames(
    table: str, column: Column, old_table: str, old_column: str, new_column: str
) -> list[_Item]:
    """Keep the names of a column's own key and check in step with its table and name.
    A CHECK cannot be renamed in MySQL: it is dropped and added under the new name."""
    items: list[_Item] = []
    if _is_unique(column):
        old, new = unique_name(old_table, old_column), unique_name(table, new_column)
        if old != new:
            items.append(_clause(table, f"RENAME INDEX {quote(old)} TO {quote(new)}", old, new))
    if _has_enum(column):
        old, new = enum_check_name(old_table, old_column), enum_check_name(table, new_column)
        if old != new:
            renamed = Column(new_column, column.kind, choices=column.choices)
            items.append(_clause(table, f"DROP CONSTRAINT {quote(old)}", old))
            items.append(_clause(table, f"ADD {enum_check_clause(table, renamed)}", new))
    return items


# --- columns --------------------------------------------------------------------------


def _kept_ids(op: ops.DropColumn, schema: Schema, later: Sequence[ops.Operation]) -> list[_Item]:
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
    kept = fit_name(kept_table(table, column.name))
    columns = ", ".join(quote(c) for c in (*key, column.name))
    return [
        Comment(
            f"Each row's {table}.{column.name} is kept in {kept} (by {', '.join(key)}), so "
            f"that {column.name} comes back with it (rolling this migration back, or the "
            f"primary key moving back to {column.name})."
        ),
        Execute(f"DROP TABLE IF EXISTS {quote(kept)}"),
        Execute(f"CREATE TABLE {quote(kept)} AS SELECT {columns} FROM {quote(table)}"),
    ]


def _restored_ids(op: ops.AddColumn) -> list[_Item]:
    """The implicit ``id`` coming back: added bare, filled with the ids kept when it was
    dropped (new ids after the largest for rows that have none), then made the
    AUTO_INCREMENT primary key, which goes on after the largest id."""
    column, table = op.column, op.table
    kept = fit_name(kept_table(table, column.name))
    bare = replace(column, primary_key=False, autoincrement=False, nullable=True)
    return [
        Comment(
            f"Each row gets back the {table}.{column.name} kept in {kept} when "
            f"{column.name} was dropped (an UPDATE of every row); rows without one (added "
            "since) get new ids after the largest."
        ),
        _clause(table, f"ADD COLUMN {column_definition(bare)}", column.name),
        Code(f"conn.restore_kept({sql_literal(table)}, {sql_literal(column.name)})"),
        _clause(table, f"MODIFY COLUMN {column_definition(column, key=False)}", column.name),
        _clause(table, f"ADD PRIMARY KEY ({quote(column.name)})", "+primary"),
    ]


def _add_column(op: ops.AddColumn) -> list[_Item]:
    column, table = op.column, op.table
    if keeps_values(column):
        return _restored_ids(op)
    items: list[_Item] = []
    names = (column.name,)
    if op.fill is not None and not column.nullable and _default_of(column) is None:
        # Existing rows take the one-off value; new rows must say theirs.
        definition = column_definition(column, fill=op.fill)
        items.append(_clause(table, f"ADD COLUMN {definition}", *names))
        items.append(_alter(table, f"ALTER COLUMN {quote(column.name)} DROP DEFAULT"))
    elif _is_unique(column) and column.nullable and _default_of(column) is not None:
        # A UNIQUE column with a default (a dropped column restored by down() mostly):
        # one shared default would collide, so existing rows get NULL and the default
        # applies to new rows, as on the other databases.
        items.append(
            Comment(f"Existing rows get NULL for {table}.{column.name}: one default would collide.")
        )
        bare = column_definition(replace(column, default=None))
        items.append(_clause(table, f"ADD COLUMN {bare}", *names))
        items.append(_clause(table, f"ADD {unique_clause(table, column.name)}", "+unique"))
        default = _default_of(column)
        items.append(_alter(table, f"ALTER COLUMN {quote(column.name)} SET DEFAULT {default}"))
        if _has_enum(column):
            items.append(_clause(table, f"ADD {enum_check_clause(table, column)}", "+check"))
        return items
    else:
        items.append(_clause(table, f"ADD COLUMN {column_definition(column)}", *names))
    if _is_unique(column):
        items.append(_clause(table, f"ADD {unique_clause(table, column.name)}", "+unique"))
    if _has_enum(column):
        items.append(_clause(table, f"ADD {enum_check_clause(table, column)}", "+check"))
    return items


def _drop_column(op: ops.DropColumn) -> list[_Item]:
    column, table = op.column, op.table
    items: list[_Item] = []
    if _has_enum(column):
        # MySQL refuses to drop a column that a CHECK still names.
        name = enum_check_name(table, column.name)
        items.append(_clause(table, f"DROP CONSTRAINT {quote(name)}", name))
    items.append(_clause(table, f"DROP COLUMN {quote(column.name)}", column.name))
    return items


def _renamed_constraint(op: ops.RenameForeignKey | ops.RenameCheck, schema: Schema) -> list[_Item]:
    """MySQL cannot rename a foreign key or a check: it is dropped and added under the
    new name."""
    table = schema.table(op.table)
    assert table is not None, f"rename in unknown table {op.table!r}"
    if isinstance(op, ops.RenameForeignKey):
        fk = next(fk for fk in table.foreign_keys if fk.name == op.old)
        moved = replace(fk, name=op.new)
        return [
            *_drop_foreign_key(ops.DropForeignKey(op.table, fk), schema),
            _clause(op.table, f"ADD {foreign_key_clause(moved)}", moved.name, moved.column),
        ]
    check = next(c for c in table.checks if c.name == op.old)
    return [
        _clause(op.table, f"DROP CONSTRAINT {quote(op.old)}", op.old),
        _clause(op.table, f"ADD {check_clause(replace(check, name=op.new))}", op.new),
    ]


def _foreign_key_index(
    schema: Schema, table_name: str, column: str, dropped: str, *, drop: bool = False
) -> list[_Item]:
    """The index MySQL would have made for a foreign key on ``column``, when the index
    ``dropped`` is the last one the key can use (MySQL refuses to drop that one alone).
    It has the key's name, as MySQL's own has, so introspection sees no index of it.
    With ``drop``, the other way round: that index goes, as an index that can serve the
    key is added (MySQL drops its own then, but not one made by a migration)."""
    table = schema.table(table_name)
    if table is None:
        return []
    fk = next((f for f in table.foreign_keys if f.column == column), None)
    col = table.column(column)
    covered = any(i.name != dropped and i.columns[:1] == (column,) for i in table.indexes) or (
        col is not None
        and (col.primary_key or (col.unique and unique_name(table.name, column) != dropped))
    )
    if fk is None or covered:
        return []
    if drop:
        return [_clause(table_name, f"DROP INDEX {quote(fk.name)}", fk.name)]
    return [_clause(table_name, f"ADD INDEX {quote(fk.name)} ({quote(column)})", fk.name)]


def _drop_foreign_key(op: ops.DropForeignKey, schema: Schema) -> list[_Item]:
    fk = op.foreign_key
    items: list[_Item] = [_clause(op.table, f"DROP FOREIGN KEY {quote(fk.name)}", fk.name)]
    table = schema.table(op.table)
    if table is not None and not any(i.columns[:1] == (fk.column,) for i in table.indexes):
        # With no index of its own to use, MySQL made one under the key's name.
        items.append(_alter(op.table, f"DROP INDEX {quote(fk.name)}"))
    return items


def _alter_column(op: ops.AlterColumn, state_schema: Schema) -> list[_Item]:
    table, before, after = op.table, op.before, op.after
    name = after.name
    items: list[_Item] = []
    enum_changes = _has_enum(before) != _has_enum(after) or (
        _has_enum(after) and before.choices != after.choices
    )
    definition_changes = (
        column_type(before) != column_type(after)
        or before.nullable != after.nullable
        or _default_of(before) != _default_of(after)
        or before.autoincrement != after.autoincrement
        or before.primary_key != after.primary_key
    )
    change = value_change(before, after) if column_type(before) != column_type(after) else None
    if change is not None:
        kinds = (before.kind, after.kind)
        if before.kind == after.kind:
            kinds = (column_type(before), column_type(after))
        items.extend(check_steps(table, name, quote(name), *kinds, change))
    if before.nullable and not after.nullable and not after.primary_key:
        fill = after.default if after.default is not None else op.fill
        if fill is not None:
            col = quote(name)
            # A value, not a DEFAULT: no parentheses needed around a text constant.
            value = default_sql(fill, "string" if after.kind in UNBOUNDED else after.kind)
            items.append(Execute(f"UPDATE {quote(table)} SET {col} = {value} WHERE {col} IS NULL"))
    if _is_unique(before) and not _is_unique(after):
        items.append(_clause(table, f"DROP INDEX {quote(unique_name(table, name))}", "-unique"))
        items.extend(_foreign_key_index(state_schema, table, name, unique_name(table, name)))
    if _has_enum(before) and enum_changes:
        check = enum_check_name(table, name)
        items.append(_clause(table, f"DROP CONSTRAINT {quote(check)}", "-check"))
    if before.primary_key and not after.primary_key:
        items.append(_clause(table, "DROP PRIMARY KEY", "-primary"))
    if definition_changes:
        definition = column_definition(after, key=False)
        rule = locks.modify_rule(before, after, column_type(before), column_type(after))
        items.append(_Clause(table, f"MODIFY COLUMN {definition}", frozenset((name,)), rule))
    if after.primary_key and not before.primary_key:
        items.append(_clause(table, f"ADD PRIMARY KEY ({quote(name)})", "+primary"))
    if _is_unique(after) and not _is_unique(before):
        items.append(_clause(table, f"ADD {unique_clause(table, name)}", "+unique"))
    if _has_enum(after) and enum_changes:
        items.append(_clause(table, f"ADD {enum_check_clause(table, after)}", "+check"))
    return items
