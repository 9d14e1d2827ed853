"""Filling the implicit ``id`` back from the ids kept when it was dropped (see
:mod:`schemashift.dialects.kept`)."""

from __future__ import annotations

from schemashift.dialects.base import DBConnection
from schemashift.dialects.kept import KeptSQL
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


def _copy_back(t: str, c: str, k: str, key: list[str]) -> str:
    # Compared as text: a key column whose type changed since still matches.
    match = " AND ".join(f"t.{quote(n)}::text = k.{quote(n)}::text" for n in key)
    return f"UPDATE {t} AS t SET {c} = k.{c} FROM {k} AS k WHERE {match}"


def _largest(t: str, c: str, k: str | None) -> str:
    largest = f"SELECT max({c}) FROM {t}"
    return largest if k is None else f"SELECT greatest(({largest}), (SELECT max({c}) FROM {k}))"


def _number_rest(t: str, c: str, base: int) -> list[str]:
    # In the order the rows are stored.
    return [
        f"UPDATE {t} AS t SET {c} = {base} + n.number FROM (SELECT ctid AS place, "
        f"row_number() OVER (ORDER BY ctid) AS number FROM {t} WHERE {c} IS NULL) AS n "
        "WHERE t.ctid = n.place"
    ]


#: PostgreSQL's part of :func:`schemashift.dialects.kept.restore_kept`.
SQL = KeptSQL(quote, fit_name, _columns, _copy_back, _largest, _number_rest)
