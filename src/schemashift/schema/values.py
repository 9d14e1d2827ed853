"""Immutable values describing a database schema, independent of any dialect.

Everything downstream (the differ, the dialect renderers, introspection, the literals
stored in migration files) speaks in these values. They are frozen so that the differ is
a pure function and so that hypothesis can generate them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

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


@dataclass(frozen=True)
class Column:
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

    name: str
    kind: str
    nullable: bool = True
    default: str | None = None
    unique: bool = False
    primary_key: bool = False
    autoincrement: bool = False
    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    choices: tuple[str, ...] = ()
    db_type: str | None = None
    attribute: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Index:
    """A (possibly unique, possibly composite) index on plain columns.

    Models only make full, valid indexes of the database's default method; the other
    attributes describe what introspection finds in a live database, so that an index
    changed by hand differs: ``where`` is a partial index's predicate, ``method`` an
    access method other than the default (``hash``, ``gin``...), and ``valid`` is False
    for an index the database does not use, such as a failed concurrent build leaves.
    """

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None
    method: str | None = None
    valid: bool = True


@dataclass(frozen=True)
class ForeignKey:
    """A single-column foreign key constraint."""

    name: str
    column: str
    ref_table: str
    ref_column: str = "id"
    on_delete: str = "NO ACTION"


@dataclass(frozen=True)
class Check:
    """A named table CHECK constraint with its SQL expression."""

    name: str
    sql: str


@dataclass(frozen=True)
class Table:
    """A table with its columns (in order), indexes, foreign keys and checks.

    ``model`` names the model class that declares the table, where known: the table's
    identity in the models, so that a changed ``__tablename__`` is a rename. Like
    :attr:`Column.attribute`, no comparison looks at it.
    """

    name: str
    columns: tuple[Column, ...]
    indexes: tuple[Index, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[Check, ...] = ()
    model: str | None = field(default=None, compare=False)

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
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Schema:
    """A whole schema: tables by name. Treat ``tables`` as read-only."""

    tables: Mapping[str, Table] = field(default_factory=dict)

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
        # A copy made in C: the SQL renderers drop hundreds of tables one at a time.
        tables = dict(self.tables)
        tables.pop(name, None)
        return Schema(tables)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and dict(self.tables) == dict(other.tables)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.tables)))
