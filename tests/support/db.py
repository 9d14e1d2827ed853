"""Looking into a test database with the raw drivers (not through schemashift)."""

from __future__ import annotations

import sqlite3
from typing import Any

from schemashift.url import libpq_params, parse_url


def _connect(url: str) -> Any:
    parsed = parse_url(url, root=__import__("pathlib").Path("/"))
    if parsed.dialect == "sqlite":
        assert parsed.path is not None
        return sqlite3.connect(parsed.path)
    import psycopg

    return psycopg.connect(**libpq_params(parsed), autocommit=True)


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (use ``?``; turned into ``%s`` on PostgreSQL)."""
    conn = _connect(url)
    try:
        if not isinstance(conn, sqlite3.Connection):
            sql = sql.replace("?", "%s")
        rows = conn.execute(sql, params).fetchall()
        return [tuple(r) for r in rows]
    finally:
        conn.close()


def execute(url: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Run one statement and commit."""
    conn = _connect(url)
    try:
        if not isinstance(conn, sqlite3.Connection):
            sql = sql.replace("?", "%s")
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def tables(url: str) -> set[str]:
    """User tables, including the tracking table."""
    if url.startswith("sqlite"):
        rows = query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r[0] for r in rows if not r[0].startswith("sqlite_")}
    rows = query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r[0] for r in rows}


def columns(url: str, table: str) -> list[str]:
    """Column names of ``table``, in order."""
    if url.startswith("sqlite"):
        return [r[1] for r in query(url, f'PRAGMA table_info("{table}")')]
    rows = query(
        url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        (table,),
    )
    return [r[0] for r in rows]


def tracking(url: str) -> list[tuple[str, int]]:
    """``(name, batch)`` rows of the tracking table, by name (empty if it is absent)."""
    if "_schemashift_migrations" not in tables(url):
        return []
    return query(url, "SELECT name, batch FROM _schemashift_migrations ORDER BY name")
