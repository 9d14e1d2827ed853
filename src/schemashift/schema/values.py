"""Immutable values describing a database schema, independent of any dialect.

Everything downstream (the differ, the dialect renderers, introspection, the literals
stored in migration files) speaks in these values. They are frozen so that the differ is
a pure function and so that hypothesis can generate them (see
:mod:`schemashift.schema.record` for why they are no dataclasses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from schemashift.schema.record import Record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

#: Column kinds, named after the model field kinds. A foreign key column takes the kind
#: of the key it references; the implicit ``id`` key is a ``biginteger``.
KINDS: tuple[str, ...] = (
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

ON_DELETE_ACTIONS: tuple[str, ...] = ("CASCADE", "SET NULL", "RESTRICT", "NO ACTION")


class Column(Record):
    """One column. ``default`` is an SQL expression (already rendered from a literal).

    ``attribute`` is the model field's attribute name, where known: the column's identity
    in the models, so that a changed ``db_column`` is a rename. It is not part of the
    column's definition, so no comparison looks at it (two columns that differ only in it
    are equal).

    ``db_type`` is the exact type as the database names it, in a dialect whose types tell
    apart more than ``kind`` and its sizes do (PostgreSQL: ``timestamp`` from
    ``timestamptz``, ``smallint`` from ``integer``). Only the dialect's introspected and
    comparable forms fill it in; schemas from models and migrations leave it None.
    """

    __slots__ = (
        "attribute",
        "autoincrement",
        "choices",
        "db_type",
        "decimal_places",
        "default",
        "kind",
        "max_digits",
        "max_length",
        "name",
        "nullable",
        "primary_key",
        "unique",
    )
    _uncompared = ("attribute",)

    name: Final[str]
    kind: Final[str]
    nullable: Final[bool]
    default: Final[str | None]
    unique: Final[bool]
    primary_key: Final[bool]
    autoincrement: Final[bool]
    max_length: Final[int | None]
    max_digits: Final[int | None]
    decimal_places: Final[int | None]
    choices: Final[tuple[str, ...]]
    db_type: Final[str | None]
    attribute: Final[str | None]

    def __init__(
        self,
        name: str,
        kind: str,
        nullable: bool = True,
        default: str | None = None,
        unique: bool = False,
        primary_key: bool = False,
        autoincrement: bool = False,
        max_length: int | None = None,
        max_digits: int | None = None,
        decimal_places: int | None = None,
        choices: tuple[str, ...] = (),
        db_type: str | None = None,
        attribute: str | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.nullable = nullable
        self.default = default
        self.unique = unique
        self.primary_key = primary_key
        self.autoincrement = autoincrement
        self.max_length = max_length
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self.choices = choices
        self.db_type = db_type
        self.attribute = attribute


class Index(Record):
    """A (possibly unique, possibly composite) index on plain columns.

    Models only make full, valid indexes of the database's default method; the other
    attributes describe what introspection finds in a live database, so that an index
    changed by hand differs: ``where`` is a partial index's predicate, ``method`` an
    access method other than the default (``hash``, ``gin``...), and ``valid`` is False
    for an index the database does not use, such as a failed concurrent build leaves.
    """

    __slots__ = ("columns", "method", "name", "unique", "valid", "where")

    name: Final[str]
    columns: Final[tuple[str, ...]]
    unique: Final[bool]
    where: Final[str | None]
    method: Final[str | None]
    valid: Final[bool]

    def __init__(
        self,
        name: str,
        columns: tuple[str, ...],
        unique: bool = False,
        where: str | None = None,
        method: str | None = None,
        valid: bool = True,
    ) -> None:
        self.name = name
        self.columns = columns
        self.unique = unique
        self.where = where
        self.method = method
        self.valid = valid


class ForeignKey(Record):
    """A single-column foreign key constraint."""

    __slots__ = ("column", "name", "on_delete", "ref_column", "ref_table")

    name: Final[str]
    column: Final[str]
    ref_table: Final[str]
    ref_column: Final[str]
    on_delete: Final[str]

    def __init__(
        self,
        name: str,
        column: str,
        ref_table: str,
        ref_column: str = "id",
        on_delete: str = "NO ACTION",
    ) -> None:
        self.name = name
        self.column = column
        self.ref_table = ref_table
        self.ref_column = ref_column
        self.on_delete = on_delete


class Check(Record):
    """A named table CHECK constraint with its SQL expression."""

    __slots__ = ("name", "sql")

    name: Final[str]
    sql: Final[str]

    def __init__(self, name: str, sql: str) -> None:
        self.name = name
        self.sql = sql


class Table(Record):
    """A table with its columns (in order), indexes, foreign keys and checks.

    ``model`` names the model class that declares the table, where known: the table's
    identity in the models, so that a changed ``__tablename__`` is a rename. Like
    :attr:`Column.attribute`, no comparison looks at it.
    """

    __slots__ = ("checks", "columns", "foreign_keys", "indexes", "model", "name")
    _uncompared = ("model",)

    name: Final[str]
    columns: Final[tuple[Column, ...]]
    indexes: Final[tuple[Index, ...]]
    foreign_keys: Final[tuple[ForeignKey, ...]]
    checks: Final[tuple[Check, ...]]
    model: Final[str | None]

    def __init__(
        self,
        name: str,
        columns: tuple[Column, ...],
        indexes: tuple[Index, ...] = (),
        foreign_keys: tuple[ForeignKey, ...] = (),
        checks: tuple[Check, ...] = (),
        model: str | None = None,
    ) -> None:
        self.name = name
        self.columns = columns
        self.indexes = indexes
        self.foreign_keys = foreign_keys
        self.checks = checks
        self.model = model

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or None."""
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def index(self, name: str) -> Index | None:
        """The index called ``name``, or None."""
        for idx in self.indexes:
            if idx.name == name:
                return idx
        return None

    @property
    def primary_key(self) -> tuple[str, ...]:
        """Names of the primary-key columns, in column order."""
        return tuple(c.name for c in self.columns if c.primary_key)

    def with_(self, **changes: object) -> Table:
        """A copy with some attributes replaced."""
        return replace(self, **changes)


class Schema(Record):
    """A whole schema: tables by name. Treat ``tables`` as read-only."""

    __slots__ = ("tables",)

    tables: Final[Mapping[str, Table]]

    def __init__(self, tables: Mapping[str, Table] | None = None) -> None:
        # None stands for a new empty dict, as a shared default would be shared.
        self.tables = {} if tables is None else tables

    @classmethod
    def of(cls, tables: Iterable[Table]) -> Schema:
        """A schema holding ``tables``."""
        return cls({t.name: t for t in tables})

    def table(self, name: str) -> Table | None:
        """The table called ``name``, or None."""
        return self.tables.get(name)

    def with_table(self, table: Table) -> Schema:
        """A copy with ``table`` added or replaced."""
        return Schema({**self.tables, table.name: table})

    def without_table(self, name: str) -> Schema:
        """A copy without the table called ``name``."""
        # Copied and trimmed in C: a migration of thousands of tables applies as many
        # drops when its down() is rendered, and a Python-level copy made that quadratic.
        tables = dict(self.tables)
        tables.pop(name, None)
        return Schema(tables)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and dict(self.tables) == dict(other.tables)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.tables)))
