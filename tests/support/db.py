"""Looking into a test database with the raw drivers (not through schemashift)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from schemashift.dialects import parse_url
from schemashift.dialects.postgres.connection import libpq_params
from tests.support.mysql import connect as mysql_connect


def dialect_of(url: str) -> str:
    """``"sqlite"``, ``"postgresql"`` or ``"mysql"``: the database ``url`` names."""
    return parse_url(url, root=Path("/")).dialect


class MySQL:
    """A PyMySQL connection behind the ``execute(...).fetchall()`` shape of the others.

    ANSI_QUOTES and PIPES_AS_CONCAT let the tests' raw SQL quote identifiers in double
    quotes and join strings with ``||`` on all three databases; they are set on this
    connection only, never on schemashift's."""

    def __init__(self, url: str) -> None:
        self.raw = mysql_connect(url)
        self.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES,PIPES_AS_CONCAT')")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        cursor = self.raw.cursor()
        # PyMySQL formats the statement only when given parameters (a lone % stays).
        cursor.execute(sql, params or None)
        return cursor

    def commit(self) -> None:
        self.raw.commit()

    def close(self) -> None:
        self.raw.close()


def mysql_connection(url: str) -> MySQL:
    """A raw autocommit connection to the MySQL database of ``url``."""
    return MySQL(url)


def _connect(url: str) -> Any:
    parsed = parse_url(url, root=Path("/"))
    if parsed.dialect == "sqlite":
        assert parsed.path is not None
        return sqlite3.connect(parsed.path)
    if parsed.dialect == "mysql":
        return MySQL(url)
    import psycopg

    return psycopg.connect(**libpq_params(parsed), autocommit=True)


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (use ``?``; turned into ``%s`` on PostgreSQL and MySQL)."""
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
    if dialect_of(url) == "mysql":
        rows = query(
            url,
            "SELECT TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
        )
        return {r[0] for r in rows}
    rows = query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r[0] for r in rows}


def columns(url: str, table: str) -> list[str]:
    """Column names of ``table``, in order."""
    if url.startswith("sqlite"):
        return [r[0] for r in query(url, "SELECT name FROM pragma_table_info(?)", (table,))]
    # MySQL's information_schema spans every database of the server.
    schema = "AND table_schema = DATABASE() " if dialect_of(url) == "mysql" else ""
    rows = query(
        url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        f"{schema}ORDER BY ordinal_position",
        (table,),
    )
    return [r[0] for r in rows]


def tracking(url: str) -> list[tuple[str, int]]:
    """``(name, batch)`` rows of the tracking table, by name (empty if it is absent)."""
    if "_schemashift_migrations" not in tables(url):
        return []
    return query(url, "SELECT name, batch FROM _schemashift_migrations ORDER BY name")


def snapshot(url: str, *, ignore_ids: bool = False) -> dict[str, Any]:
    """Schema and data of every table (tracking table included), for exact comparison.
    ``ignore_ids`` leaves out ``id`` values: PostgreSQL sequences never roll back, so a
    killed run leaves gaps that a clean run does not."""
    out: dict[str, Any] = {}
    if url.startswith("sqlite"):
        master = query(
            url,
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        out["schema"] = master
        seq = "sqlite_sequence" in {r[0] for r in query(url, "SELECT name FROM sqlite_master")}
        out["sequence"] = query(url, "SELECT * FROM sqlite_sequence ORDER BY name") if seq else []
    elif dialect_of(url) == "mysql":
        out["schema"] = query(
            url,
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "ORDER BY TABLE_NAME, ORDINAL_POSITION",
        )
        out["indexes"] = query(
            url,
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME "
            "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
            "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        )
        out["constraints"] = query(
            url,
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE "
            "FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() "
            "ORDER BY TABLE_NAME, CONSTRAINT_NAME",
        )
    else:
        out["schema"] = query(
            url,
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position",
        )
        out["indexes"] = query(
            url,
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "ORDER BY indexname",
        )
    for table in sorted(tables(url)):
        quoted = '"' + table.replace('"', '""') + '"'
        rows = query(url, f"SELECT * FROM {quoted}")
        names = columns(url, table)
        if ignore_ids and "id" in names:
            at = names.index("id")
            rows = [r[:at] + r[at + 1 :] for r in rows]
        if table == "_schemashift_migrations":
            rows = [(r[0], r[1], r[3]) for r in rows]  # times and durations vary
        out[f"rows:{table}"] = sorted(rows, key=repr)
    return out
