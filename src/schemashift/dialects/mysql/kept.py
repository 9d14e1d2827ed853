"""Filling the implicit ``id`` back from the ids kept when it was dropped (see
:mod:`schemashift.dialects.kept`)."""

from __future__ import annotations

from schemashift.dialects.base import DBConnection
from schemashift.dialects.kept import KeptSQL
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


def _copy_back(t: str, c: str, k: str, key: list[str]) -> str:
    match = " AND ".join(f"t.{quote(n)} = k.{quote(n)}" for n in key)
    return f"UPDATE {t} AS t JOIN {k} AS k ON {match} SET t.{c} = k.{c}"


def _largest(t: str, c: str, k: str | None) -> str:
    largest = f"SELECT MAX({c}) FROM {t}"
    if k is None:
        return largest
    return f"SELECT GREATEST(COALESCE(({largest}), 0), COALESCE(MAX({c}), 0)) FROM {k}"


def _number_rest(t: str, c: str, base: int) -> list[str]:
    return [
        f"SET @schemashift_id = {base}",
        f"UPDATE {t} SET {c} = (@schemashift_id := @schemashift_id + 1) WHERE {c} IS NULL",
    ]


#: MySQL's part of :func:`schemashift.dialects.kept.restore_kept`.
SQL = KeptSQL(quote, fit_name, _columns, _copy_back, _largest, _number_rest)
