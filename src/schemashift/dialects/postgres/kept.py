"""Filling the implicit ``id`` back from the ids kept when it was dropped (see
:mod:`schemashift.dialects.kept`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemashift.dialects.base import DBConnection
from schemashift.dialects.kept import kept_table
from schemashift.dialects.postgres.quoting import fit_name, quote


def _columns(db: DBConnection, table: str) -> list[str] | None:
    """The columns of ``table`` (found through the search path, as the migration's own
    statements find it), or None when there is no such table."""
    found = db.execute("SELECT to_regclass(%s)::oid::bigint", (quote(table),)).fetchone()
    if found is None or found[0] is None:
        return None
    rows = db.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        (found[0],),
    ).fetchall()
    return [row[0] for row in rows]


def restore_kept(
    db: DBConnection | None, execute: Callable[[str], Any], table: str, column: str
) -> list[str]:
    """Fill ``table.column`` (a nullable column just added) with each row's kept value,
    matched by the other columns of the hidden table; the rows without one get new
    values after the largest, in the order the rows are stored; the hidden table goes."""
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
    largest = f"SELECT max({c}) FROM {t}"
    if kept_columns is not None and column in kept_columns and key and set(key) <= live:
        # Compared as text: a key column whose type changed since still matches.
        match = " AND ".join(f"t.{quote(n)}::text = k.{quote(n)}::text" for n in key)
        execute(f"UPDATE {t} AS t SET {c} = k.{c} FROM {k} AS k WHERE {match}")
        largest = f"SELECT greatest(({largest}), (SELECT max({c}) FROM {k}))"
    row = db.execute(largest).fetchone()
    base = int(row[0]) if row is not None and row[0] is not None else 0
    execute(
        f"UPDATE {t} AS t SET {c} = {base} + n.number FROM (SELECT ctid AS place, "
        f"row_number() OVER (ORDER BY ctid) AS number FROM {t} WHERE {c} IS NULL) AS n "
        "WHERE t.ctid = n.place"
    )
    if kept_columns is not None:
        execute(f"DROP TABLE {k}")
    return []
