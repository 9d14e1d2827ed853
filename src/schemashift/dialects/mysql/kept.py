"""Filling the implicit ``id`` back from the ids kept when it was dropped (see
:mod:`schemashift.dialects.kept`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemashift.dialects.base import DBConnection
from schemashift.dialects.kept import kept_table
from schemashift.dialects.mysql.quoting import fit_name, quote


def _columns(db: DBConnection, table: str) -> list[str] | None:
    """The columns of ``table`` in the current database, or None when there is no such
    table."""
    rows = db.execute(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        (table,),
    ).fetchall()
    return [row[0] for row in rows] or None


def restore_kept(
    db: DBConnection | None, execute: Callable[[str], Any], table: str, column: str
) -> list[str]:
    """Fill ``table.column`` (a nullable column just added) with each row's kept value,
    matched by the other columns of the hidden table; the rows without one get new
    values after the largest; the hidden table goes."""
    kept = fit_name(kept_table(table, column))
    t, c, k = quote(table), quote(column), quote(kept)
    if db is None:
        return [
            f"-- {table}.{column}: each row's value kept in {kept} (when there is one), "
            "new values after the largest for the other rows; then DROP TABLE IF EXISTS "
            f"{kept}"
        ]
    kept_columns = _columns(db, kept)
    live = set(_columns(db, table) or ())
    key = [name for name in kept_columns or () if name != column]
    largest = f"SELECT MAX({c}) FROM {t}"
    if kept_columns is not None and column in kept_columns and key and set(key) <= live:
        match = " AND ".join(f"t.{quote(n)} = k.{quote(n)}" for n in key)
        execute(f"UPDATE {t} AS t JOIN {k} AS k ON {match} SET t.{c} = k.{c}")
        largest = f"SELECT GREATEST(COALESCE(({largest}), 0), COALESCE(MAX({c}), 0)) FROM {k}"
    row = db.execute(largest).fetchone()
    base = int(row[0]) if row is not None and row[0] is not None else 0
    execute(f"SET @schemashift_id = {base}")
    execute(f"UPDATE {t} SET {c} = (@schemashift_id := @schemashift_id + 1) WHERE {c} IS NULL")
    if kept_columns is not None:
        execute(f"DROP TABLE {k}")
    return []
