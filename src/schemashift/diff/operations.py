"""Schema operations: values that change one schema into the next.

Each operation carries everything it replaces (a drop keeps the dropped table or
column, an alter keeps the column as it was), so :meth:`Operation.reverse` is always
exact and a generated ``down()`` truly reverts its ``up()``. Operations know no dialect:
renderers in :mod:`schemashift.dialects` turn them into SQL.
"""

from __future__ import annotations

from schemashift.schema.checksql import renamed_in_check
from schemashift.schema.record import Record, replace
from schemashift.schema.values import Schema

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import ClassVar, Final

    from schemashift.schema.values import Check, Column, ForeignKey, Index, Table


class OperationError(ValueError):
    """An operation does not fit the schema it is applied to (history is inconsistent)."""


def _table(schema: Schema, name: str) -> Table:
    table = schema.table(name)
    if table is None:
        raise OperationError(f"table {name!r} does not exist")
    return table


def _rename_in(columns: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    return tuple(new if c == old else c for c in columns)


#: Values for existing rows when ``down()`` re-adds a dropped NOT NULL column that has no
#: default: the data is gone, but the structure must come back on a table with rows.
_ZERO = {
    "integer": "0",
    "biginteger": "0",
    "float": "0",
    "decimal": "0",
    "boolean": "FALSE",
    "date": "'1970-01-01'",
    "datetime": "'1970-01-01 00:00:00'",
    "time": "'00:00:00'",
    "json": "'{}'",
    "uuid": "'00000000-0000-0000-0000-000000000000'",
    "binary": "''",
}


def zero_value(column: Column) -> str:
    """A neutral SQL value of ``column``'s kind (an enum's first value, '' for text)."""
    if column.kind == "enum" and column.choices:
        return "'" + column.choices[0].replace("'", "''") + "'"
    return _ZERO.get(column.kind, "''")


class Operation(Record):
    """Base of every operation. ``table_name`` is the table it touches."""

    __slots__ = ()

    @property
    def table_name(self) -> str:
        raise NotImplementedError

    def apply(self, schema: Schema) -> Schema:
        """The schema after this operation."""
        raise NotImplementedError

    def reverse(self) -> Operation:
        """The operation that undoes this one."""
        raise NotImplementedError

    @property
    def destructive(self) -> bool:
        """True when applying it can lose data."""
        return False

    def describe(self) -> str:
        """One line for humans, e.g. ``+ add column users.phone``."""
        raise NotImplementedError

    def warnings(self) -> tuple[str, ...]:
        """Why it is destructive, and what happens to the data, if it is."""
        return ()


class CreateTable(Operation):
    __slots__ = ("table",)

    table: Final[Table]

    def __init__(self, table: Table) -> None:
        self.table = table

    @property
    def table_name(self) -> str:
        return self.table.name

    def apply(self, schema: Schema) -> Schema:
        if schema.table(self.table.name) is not None:
            raise OperationError(f"table {self.table.name!r} already exists")
        return schema.with_table(self.table)

    def reverse(self) -> Operation:
        return DropTable(self.table)

    def describe(self) -> str:
        return f"+ create table {self.table.name}"


class DropTable(Operation):
    __slots__ = ("table",)

    table: Final[Table]

    def __init__(self, table: Table) -> None:
        self.table = table

    @property
    def table_name(self) -> str:
        return self.table.name

    def apply(self, schema: Schema) -> Schema:
        _table(schema, self.table.name)
        return schema.without_table(self.table.name)

    def reverse(self) -> Operation:
        return CreateTable(self.table)

    @property
    def destructive(self) -> bool:
        return True

    def describe(self) -> str:
        return f"- drop table {self.table.name}"

    def warnings(self) -> tuple[str, ...]:
        return (f"dropping table {self.table.name} deletes all of its rows",)


class RenameTable(Operation):
    __slots__ = ("new", "old")

    old: Final[str]
    new: Final[str]

    def __init__(self, old: str, new: str) -> None:
        self.old = old
        self.new = new

    @property
    def table_name(self) -> str:
        return self.old

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.old)
        if schema.table(self.new) is not None:
            raise OperationError(f"table {self.new!r} already exists")
        tables: dict[str, Table] = {}
        for name, t in schema.tables.items():
            if name == self.old:
                t = table.with_(name=self.new)
            fks = tuple(
                replace(fk, ref_table=self.new) if fk.ref_table == self.old else fk
                for fk in t.foreign_keys
            )
            tables[t.name] = t.with_(foreign_keys=fks) if fks != t.foreign_keys else t
        return Schema(tables)

    def reverse(self) -> Operation:
        return RenameTable(self.new, self.old)

    def describe(self) -> str:
        return f"~ rename table {self.old} to {self.new}"


class AddColumn(Operation):
    """Add ``column``. ``fill`` is a one-off SQL value for existing rows of a NOT NULL
    column that has no default."""

    __slots__ = ("column", "fill", "table")

    table: Final[str]
    column: Final[Column]
    fill: Final[str | None]

    def __init__(self, table: str, column: Column, fill: str | None = None) -> None:
        self.table = table
        self.column = column
        self.fill = fill

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        if table.column(self.column.name) is not None:
            raise OperationError(f"column {self.table}.{self.column.name} already exists")
        return schema.with_table(table.with_(columns=(*table.columns, self.column)))

    def reverse(self) -> Operation:
        return DropColumn(self.table, self.column)

    def describe(self) -> str:
        return f"+ add column {self.table}.{self.column.name}"


class DropColumn(Operation):
    __slots__ = ("column", "table")

    table: Final[str]
    column: Final[Column]

    def __init__(self, table: str, column: Column) -> None:
        self.table = table
        self.column = column

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        if table.column(self.column.name) is None:
            raise OperationError(f"column {self.table}.{self.column.name} does not exist")
        cols = tuple(c for c in table.columns if c.name != self.column.name)
        return schema.with_table(table.with_(columns=cols))

    def reverse(self) -> Operation:
        col = self.column
        # A unique column cannot take one value for every row; the dialect picks one
        # per row (SQLite: the rowid) when no fill is given.
        needs_value = (
            not col.nullable and col.default is None and not col.primary_key and not col.unique
        )
        return AddColumn(self.table, col, fill=zero_value(col) if needs_value else None)

    @property
    def destructive(self) -> bool:
        return True

    def describe(self) -> str:
        return f"- drop column {self.table}.{self.column.name}"

    def warnings(self) -> tuple[str, ...]:
        return (f"dropping column {self.table}.{self.column.name} deletes its values",)


class RenameColumn(Operation):
    __slots__ = ("new", "old", "table")

    table: Final[str]
    old: Final[str]
    new: Final[str]

    def __init__(self, table: str, old: str, new: str) -> None:
        self.table = table
        self.old = old
        self.new = new

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        col = table.column(self.old)
        if col is None:
            raise OperationError(f"column {self.table}.{self.old} does not exist")
        if table.column(self.new) is not None:
            raise OperationError(f"column {self.table}.{self.new} already exists")
        cols = tuple(replace(c, name=self.new) if c.name == self.old else c for c in table.columns)
        idxs = tuple(
            replace(i, columns=_rename_in(i.columns, self.old, self.new)) for i in table.indexes
        )
        fks = tuple(
            replace(fk, column=self.new) if fk.column == self.old else fk
            for fk in table.foreign_keys
        )
        # The databases rewrite the checks that use the column themselves (the check is
        # the same object, now naming the new column): so does the schema.
        checks = tuple(
            replace(c, sql=renamed_in_check(c.sql, self.old, self.new)) for c in table.checks
        )
        schema = schema.with_table(
            table.with_(columns=cols, indexes=idxs, foreign_keys=fks, checks=checks)
        )
        # Foreign keys of other tables that point at the renamed column follow it.
        for t in list(schema.tables.values()):
            moved = tuple(
                replace(fk, ref_column=self.new)
                if fk.ref_table == self.table and fk.ref_column == self.old
                else fk
                for fk in t.foreign_keys
            )
            if moved != t.foreign_keys:
                schema = schema.with_table(t.with_(foreign_keys=moved))
        return schema

    def reverse(self) -> Operation:
        return RenameColumn(self.table, self.new, self.old)

    def describe(self) -> str:
        return f"~ rename column {self.table}.{self.old} to {self.new}"


def narrowing_reasons(before: Column, after: Column, fill: str | None = None) -> tuple[str, ...]:
    """Why changing ``before`` into ``after`` may lose or reject existing values (``fill``
    is the one-off value for existing NULLs, if one was given). What a change of kind or
    of decimal scale does to the values depends on the database: each dialect's
    conversion table (``value_change`` in its ``types`` module) says, and its renderer
    flags it next to the conversion."""
    reasons: list[str] = []
    where = after.name
    if (
        after.max_length is not None
        and (before.max_length is None or after.max_length < before.max_length)
        and after.kind == "string"
    ):
        reasons.append(
            f"{where}: max_length {before.max_length} -> {after.max_length}; longer values "
            "are rejected on PostgreSQL and MySQL (SQLite keeps them as they are)"
        )
    if after.choices and set(before.choices) - set(after.choices):
        gone = ", ".join(sorted(set(before.choices) - set(after.choices)))
        reasons.append(f"{where}: enum values removed ({gone}); rows holding them are rejected")
    if before.nullable and not after.nullable:
        value = after.default if after.default is not None else fill
        reasons.append(
            f"{where}: becomes NOT NULL; existing NULLs are set to {value}"
            if value is not None
            else f"{where}: becomes NOT NULL with no default; this fails if a row holds NULL"
        )
    if not before.unique and after.unique:
        reasons.append(f"{where}: becomes UNIQUE; the migration fails if duplicates exist")
    return tuple(reasons)


#: What an altered column's change line names, in this order: every part of a column's
#: definition but its name (a rename is an operation of its own).
_DESCRIBED = (
    "kind",
    "nullable",
    "default",
    "unique",
    "max_length",
    "max_digits",
    "decimal_places",
    "choices",
    "primary_key",
    "autoincrement",
)


class AlterColumn(Operation):
    """Change a column's definition in place. ``fill`` is a one-off SQL value for
    existing NULLs when the column becomes NOT NULL without a default."""

    __slots__ = ("after", "before", "fill", "table")

    table: Final[str]
    before: Final[Column]
    after: Final[Column]
    fill: Final[str | None]

    def __init__(self, table: str, before: Column, after: Column, fill: str | None = None) -> None:
        self.table = table
        self.before = before
        self.after = after
        self.fill = fill

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        if table.column(self.before.name) is None:
            raise OperationError(f"column {self.table}.{self.before.name} does not exist")
        cols = tuple(self.after if c.name == self.before.name else c for c in table.columns)
        return schema.with_table(table.with_(columns=cols))

    def reverse(self) -> Operation:
        return AlterColumn(self.table, self.after, self.before)

    @property
    def destructive(self) -> bool:
        return bool(narrowing_reasons(self.before, self.after, self.fill))

    def describe(self) -> str:
        changed = [f for f in _DESCRIBED if getattr(self.before, f) != getattr(self.after, f)]
        return f"~ alter column {self.table}.{self.after.name} ({', '.join(changed) or 'nothing'})"

    def warnings(self) -> tuple[str, ...]:
        return tuple(
            f"{self.table}.{r}" for r in narrowing_reasons(self.before, self.after, self.fill)
        )


class AddIndex(Operation):
    __slots__ = ("index", "table")

    table: Final[str]
    index: Final[Index]

    def __init__(self, table: str, index: Index) -> None:
        self.table = table
        self.index = index

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        if table.index(self.index.name) is not None:
            raise OperationError(f"index {self.index.name!r} already exists")
        return schema.with_table(table.with_(indexes=(*table.indexes, self.index)))

    def reverse(self) -> Operation:
        return DropIndex(self.table, self.index)

    def describe(self) -> str:
        kind = "unique index" if self.index.unique else "index"
        return f"+ add {kind} {self.index.name} on {self.table} ({', '.join(self.index.columns)})"


class DropIndex(Operation):
    __slots__ = ("index", "table")

    table: Final[str]
    index: Final[Index]

    def __init__(self, table: str, index: Index) -> None:
        self.table = table
        self.index = index

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        if table.index(self.index.name) is None:
            raise OperationError(f"index {self.index.name!r} does not exist")
        idxs = tuple(i for i in table.indexes if i.name != self.index.name)
        return schema.with_table(table.with_(indexes=idxs))

    def reverse(self) -> Operation:
        return AddIndex(self.table, self.index)

    def describe(self) -> str:
        return f"- drop index {self.index.name} on {self.table}"


class AddForeignKey(Operation):
    __slots__ = ("foreign_key", "table")

    table: Final[str]
    foreign_key: Final[ForeignKey]

    def __init__(self, table: str, foreign_key: ForeignKey) -> None:
        self.table = table
        self.foreign_key = foreign_key

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        if any(fk.name == self.foreign_key.name for fk in table.foreign_keys):
            raise OperationError(f"foreign key {self.foreign_key.name!r} already exists")
        return schema.with_table(table.with_(foreign_keys=(*table.foreign_keys, self.foreign_key)))

    def reverse(self) -> Operation:
        return DropForeignKey(self.table, self.foreign_key)

    def describe(self) -> str:
        fk = self.foreign_key
        return (
            f"+ add foreign key {self.table}.{fk.column} -> {fk.ref_table}.{fk.ref_column}"
            f" ON DELETE {fk.on_delete}"
        )


class DropForeignKey(Operation):
    __slots__ = ("foreign_key", "table")

    table: Final[str]
    foreign_key: Final[ForeignKey]

    def __init__(self, table: str, foreign_key: ForeignKey) -> None:
        self.table = table
        self.foreign_key = foreign_key

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        fks = tuple(fk for fk in table.foreign_keys if fk.name != self.foreign_key.name)
        if len(fks) == len(table.foreign_keys):
            raise OperationError(f"foreign key {self.foreign_key.name!r} does not exist")
        return schema.with_table(table.with_(foreign_keys=fks))

    def reverse(self) -> Operation:
        return AddForeignKey(self.table, self.foreign_key)

    def describe(self) -> str:
        fk = self.foreign_key
        return f"- drop foreign key {self.table}.{fk.column} -> {fk.ref_table}.{fk.ref_column}"


class AddCheck(Operation):
    __slots__ = ("check", "table")

    table: Final[str]
    check: Final[Check]

    def __init__(self, table: str, check: Check) -> None:
        self.table = table
        self.check = check

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        if any(c.name == self.check.name for c in table.checks):
            raise OperationError(f"check {self.check.name!r} already exists")
        return schema.with_table(table.with_(checks=(*table.checks, self.check)))

    def reverse(self) -> Operation:
        return DropCheck(self.table, self.check)

    def describe(self) -> str:
        return f"+ add check {self.check.name} on {self.table}"

    def warnings(self) -> tuple[str, ...]:
        return ()


class DropCheck(Operation):
    __slots__ = ("check", "table")

    table: Final[str]
    check: Final[Check]

    def __init__(self, table: str, check: Check) -> None:
        self.table = table
        self.check = check

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        checks = tuple(c for c in table.checks if c.name != self.check.name)
        if len(checks) == len(table.checks):
            raise OperationError(f"check {self.check.name!r} does not exist")
        return schema.with_table(table.with_(checks=checks))

    def reverse(self) -> Operation:
        return AddCheck(self.table, self.check)

    def describe(self) -> str:
        return f"- drop check {self.check.name} on {self.table}"


class _RenameMember(Operation):
    """Give the index, foreign key or check ``old`` of ``table`` the name ``new``,
    keeping the object itself (a table or column rename moves the names derived from
    it this way)."""

    __slots__ = ("new", "old", "table")

    table: Final[str]
    old: Final[str]
    new: Final[str]
    #: The :class:`Table` field that holds the renamed object, and what messages call it.
    members: ClassVar[str]
    noun: ClassVar[str]

    def __init__(self, table: str, old: str, new: str) -> None:
        self.table = table
        self.old = old
        self.new = new

    @property
    def table_name(self) -> str:
        return self.table

    def apply(self, schema: Schema) -> Schema:
        table = _table(schema, self.table)
        current = getattr(table, self.members)
        names = {m.name for m in current}
        if self.old not in names:
            raise OperationError(f"{self.noun} {self.old!r} does not exist")
        if self.new in names:
            raise OperationError(f"{self.noun} {self.new!r} already exists")
        renamed = tuple(replace(m, name=self.new) if m.name == self.old else m for m in current)
        return schema.with_table(table.with_(**{self.members: renamed}))

    def reverse(self) -> Operation:
        return type(self)(self.table, self.new, self.old)

    def describe(self) -> str:
        return f"~ rename {self.noun} {self.old} to {self.new} on {self.table}"


class RenameIndex(_RenameMember):
    """Give index ``old`` of ``table`` the name ``new``, keeping the index itself."""

    __slots__ = ()

    members = "indexes"
    noun = "index"


class RenameForeignKey(_RenameMember):
    """Give foreign key ``old`` of ``table`` the name ``new``, keeping the constraint."""

    __slots__ = ()

    members = "foreign_keys"
    noun = "foreign key"


class RenameCheck(_RenameMember):
    """Give check ``old`` of ``table`` the name ``new``, keeping the constraint."""

    __slots__ = ()

    members = "checks"
    noun = "check"


def apply_all(schema: Schema, operations: Sequence[Operation]) -> Schema:
    """The schema after applying ``operations`` in order."""
    for op in operations:
        schema = op.apply(schema)
    return schema


def reverse_all(operations: Sequence[Operation]) -> list[Operation]:
    """The operations that undo ``operations``, in the order they must run."""
    return [op.reverse() for op in reversed(operations)]
