"""The ids of a table kept aside while its implicit ``id`` is gone.

When the primary key moves from the implicit ``id`` to another field, PostgreSQL and
MySQL drop the column with its values (SQLite keeps them as the rowid). So that ``id``
comes back with the id each row had (rolling the migration back, or the primary key
moving back), the migration that drops it first copies each row's id, with the
columns that identify the row afterwards (the table's new primary key), into a hidden
table ``_schemashift_kept_<table>_<column>``; the migration that adds the column back
fills it from there, gives the rows that have no kept id (added since) new ids after
the largest one, and drops the hidden table. ``check`` never looks at it (its name
starts with ``_schemashift``).
"""

from __future__ import annotations

from schemashift.dialects.values import ValueFlag
from schemashift.diff.operations import apply_all
from schemashift.schema.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, Final

    from schemashift.dialects.protocols import DBConnection
    from schemashift.diff.operations import DropColumn, Operation
    from schemashift.schema.values import Column, Schema

PREFIX = "_schemashift_kept_"


def keeps_values(column: Column) -> bool:
    """Whether ``column`` is an implicit ``id`` kind of column: an autoincrement primary
    key, whose values only the database gives and no one could write back."""
    return column.autoincrement and column.primary_key


def kept_table(table: str, column: str) -> str:
    """The hidden table keeping ``table.column``'s values (each dialect shortens it to
    fit its identifiers)."""
    return f"{PREFIX}{table}_{column}"


def kept_key(op: DropColumn, schema: Schema, later: Sequence[Operation]) -> tuple[str, ...]:
    """The columns that identify a row once ``op`` has dropped its column from the table
    of ``schema``: the table's primary key after the whole migration (``later`` being
    the operations after ``op``), when every one of its columns is there right after the
    drop; otherwise none, and the values cannot be kept."""
    after = op.apply(schema)
    final = apply_all(after, later).table(op.table)
    table = after.table(op.table)
    if final is None or table is None:
        return ()
    key = final.primary_key
    if any(table.column(name) is None for name in key):
        return ()
    return key


def lost_ids(table: str, column: str) -> ValueFlag:
    """The flag on an implicit ``id`` dropped where :func:`kept_key` finds no key."""
    name = f"{table}.{column}"
    return ValueFlag(
        f"WARNING: {name}: the rows get new ids, not these, when {column} comes back: no "
        "column identifies the rows without it",
        name,
    )


class KeptSQL(Record):
    """What :func:`restore_kept` needs of a database: its identifiers and the few
    statements that differ between databases."""

    quote: Final[Callable[[str], str]]
    fit_name: Final[Callable[[str], str]]
    #: The columns of a table, or None when there is no such table.
    columns: Final[Callable[[DBConnection, str], list[str] | None]]
    #: ``(table, column, kept, key)`` (quoted names; ``key`` unquoted) → the UPDATE that
    #: copies each kept value back into the row with the same key.
    copy_back: Final[Callable[[str, str, str, list[str]], str]]
    #: ``(table, column, kept or None)`` (quoted) → the SELECT of the largest value.
    largest: Final[Callable[[str, str, str | None], str]]
    #: ``(table, column, base)`` → the statements numbering the rows still without a
    #: value from ``base + 1`` on.
    number_rest: Final[Callable[[str, str, int], list[str]]]

    __slots__ = ("columns", "copy_back", "fit_name", "largest", "number_rest", "quote")

    def __init__(
        self,
        quote: Callable[[str], str],
        fit_name: Callable[[str], str],
        columns: Callable[[DBConnection, str], list[str] | None],
        copy_back: Callable[[str, str, str, list[str]], str],
        largest: Callable[[str, str, str | None], str],
        number_rest: Callable[[str, str, int], list[str]],
    ) -> None:
        self.quote = quote
        self.fit_name = fit_name
        self.columns = columns
        self.copy_back = copy_back
        self.largest = largest
        self.number_rest = number_rest


def restore_kept(
    db: DBConnection | None,
    execute: Callable[[str], Any],
    table: str,
    column: str,
    sql: KeptSQL,
) -> list[str]:
    """Fill ``table.column`` (a nullable column just added) with each row's kept value,
    matched by the other columns of the hidden table; the rows without one get new
    values after the largest; the hidden table goes. On a dry run (no ``db``) the
    comment that stands for those statements."""
    kept = sql.fit_name(kept_table(table, column))
    t, c, k = sql.quote(table), sql.quote(column), sql.quote(kept)
    if db is None:
        return [
            f"-- {table}.{column}: each row's value kept in {kept} (when there is one), "
            "new values after the largest for the other rows; then DROP TABLE IF EXISTS "
            f"{kept}"
        ]
    kept_columns = sql.columns(db, kept)
    live = set(sql.columns(db, table) or ())
    key = [name for name in kept_columns or () if name != column]
    restored = kept_columns is not None and column in kept_columns and key and set(key) <= live
    if restored:
        execute(sql.copy_back(t, c, k, key))
    row = db.execute(sql.largest(t, c, k if restored else None)).fetchone()
    base = int(row[0]) if row is not None and row[0] is not None else 0
    for statement in sql.number_rest(t, c, base):
        execute(statement)
    if kept_columns is not None:
        execute(f"DROP TABLE {k}")
    return []
