"""Correctness checks on a database after a run: no figure may come from a run that
silently did less than its work."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import postgres
from measure import BenchFailure
from workloads import w3
from workloads.spec import Tab

#: Tables a tool keeps for itself (tracking, locks); anything else unexpected fails.
BOOKKEEPING = ("_schemashift", "django_", "alembic_", "_floor", "sqlite_")


def _indexed_columns(conn: sqlite3.Connection, table: str) -> set[tuple[str, ...]]:
    out = set()
    for idx in conn.execute("SELECT name FROM pragma_index_list(?)", (table,)).fetchall():
        cols = conn.execute("SELECT name FROM pragma_index_info(?)", (idx[0],)).fetchall()
        out.add(tuple(c[0] for c in cols))
    return out


def schema(db: Path, tables: Sequence[Tab]) -> None:
    """``db`` holds exactly ``tables`` (plus bookkeeping), each with exactly its columns
    and at least its declared indexes."""
    if not db.exists():
        raise BenchFailure(f"no database at {db}")
    conn = sqlite3.connect(db)
    try:
        live = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        expected = {t.name for t in tables}
        missing = sorted(expected - live)
        extra = sorted(n for n in live - expected if not n.startswith(BOOKKEEPING))
        if missing or extra:
            raise BenchFailure(f"tables missing {missing[:5]} / unexpected {extra[:5]}")
        for tab in tables:
            cols = {
                r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (tab.name,))
            }
            if cols != set(tab.column_names()):
                raise BenchFailure(f"{tab.name} has columns {sorted(cols)}")
            want = set(tab.indexes) | {(c.name,) for c in tab.columns if c.references}
            lacking = want - _indexed_columns(conn, tab.name)
            if lacking:
                raise BenchFailure(f"{tab.name} lacks indexes on {sorted(lacking)}")
    finally:
        conn.close()


def rows_kept(db: Path, facts: w3.Facts) -> None:
    """Every row of the W3 table survived the rebuild with its values, NULL notes became
    '', the integer column holds reals and the column is NOT NULL now."""
    conn = sqlite3.connect(db)
    try:
        t, note, qty = w3.TABLE, w3.NOTE, w3.QTY
        rows, id_sum, empty, nulls, qty_sum, not_real = conn.execute(
            f"SELECT COUNT(*), SUM(id), SUM({note} = ''), SUM({note} IS NULL), "
            f"SUM({qty}), SUM(typeof({qty}) NOT IN ('real', 'null')) FROM {t}"
        ).fetchone()
        notnull = {r[1]: r[3] for r in conn.execute(f"PRAGMA table_info({t})")}[note]
    finally:
        conn.close()
    got = (rows, id_sum, empty, nulls, qty_sum, not_real, notnull)
    want = (facts.rows, facts.id_sum, facts.null_notes, 0, facts.qty_sum, 0, 1)
    if got != want:
        raise BenchFailure(
            "rows, id sum, empty notes, NULL notes, qty sum, non-real qty, NOT NULL: "
            f"got {got}, want {want}"
        )


def pg_schema(server: postgres.Server, database: str, tables: Sequence[Tab]) -> None:
    """As :func:`schema`, for PostgreSQL ``database`` (schema ``public``)."""
    live = postgres.columns(server, database)
    expected = {t.name for t in tables}
    missing = sorted(expected - set(live))
    extra = sorted(n for n in set(live) - expected if not n.startswith(BOOKKEEPING))
    if missing or extra:
        raise BenchFailure(f"tables missing {missing[:5]} / unexpected {extra[:5]}")
    indexed = postgres.indexes(server, database)
    for tab in tables:
        if live[tab.name] != set(tab.column_names()):
            raise BenchFailure(f"{tab.name} has columns {sorted(live[tab.name])}")
        want = set(tab.indexes) | {(c.name,) for c in tab.columns if c.references}
        lacking = want - indexed.get(tab.name, set())
        if lacking:
            raise BenchFailure(f"{tab.name} lacks indexes on {sorted(lacking)}")


def pg_rows_kept(server: postgres.Server, database: str, facts: w3.Facts) -> None:
    """Every row of the W3 table survived on PostgreSQL with its values, NULL notes
    became '', the integer column is a bigint and the note column NOT NULL now."""
    t, note, qty = w3.TABLE, w3.NOTE, w3.QTY
    [row] = server.rows(
        database,
        f"SELECT COUNT(*), SUM(id), COUNT(*) FILTER (WHERE {note} = ''), "
        f"COUNT(*) FILTER (WHERE {note} IS NULL), SUM({qty}), "
        f"(SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        f"WHERE attrelid = '{t}'::regclass AND attname = '{qty}'), "
        f"(SELECT attnotnull FROM pg_attribute "
        f"WHERE attrelid = '{t}'::regclass AND attname = '{note}') FROM {t}",
    )
    got = (*(int(v) for v in row[:5]), row[5], row[6])
    want = (facts.rows, facts.id_sum, facts.null_notes, 0, facts.qty_sum, "bigint", "t")
    if got != want:
        raise BenchFailure(
            "rows, id sum, empty notes, NULL notes, qty sum, qty type, NOT NULL: "
            f"got {got}, want {want}"
        )
