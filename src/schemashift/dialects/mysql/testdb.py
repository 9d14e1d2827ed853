"""The pytest plugin's databases on MySQL: a template database, copied table by table.

MySQL has no ``CREATE DATABASE ... TEMPLATE``. A copy is made from the template's own
``SHOW CREATE`` statements, read once per session (the template does not change once
migrated): every table as it is (``CREATE TABLE ... LIKE`` would lose the foreign keys),
the rows of the tables that have any (the tracking table, rows a data migration wrote),
then the views and the triggers (after the rows, so that no trigger fires on them).
Stored routines and events are not copied.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from schemashift.dialects.base import TemplateCopies
from schemashift.dialects.mysql.connection import MySQLConnection, open_connection
from schemashift.dialects.mysql.quoting import quote
from schemashift.errors import DatabaseError
from schemashift.url import DatabaseURL

#: MySQL's error for a statement naming a table (or view) that does not exist yet.
_NO_SUCH_TABLE = "doesn't exist"
#: How long dropping a database waits for a test's leftover transaction, in seconds.
_DROP_WAIT = 30


@dataclass(frozen=True)
class _Layout:
    """What a copy of the template is made of, as statements to run in the copy."""

    charset: str
    collation: str
    tables: list[str]
    rows: list[str]
    views: list[str]
    triggers: list[str]


class CopiedDatabases(TemplateCopies):
    """Databases on the server of a URL, made through one connection without a default
    database. The URL's user needs the right to create and drop them."""

    def __init__(self, url: DatabaseURL) -> None:
        self._url = url
        self._conn = open_connection(url._replace(database=None), lock_timeout=None)
        # The copy keeps every row as it is: an id of 0 too, which INSERT would otherwise
        # replace by the next AUTO_INCREMENT value.
        self._conn.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
        self._conn.execute(f"SET SESSION lock_wait_timeout = {_DROP_WAIT}")
        self._layouts: dict[str, _Layout] = {}

    def create(self, name: str, folder: Path) -> DatabaseURL:
        self._drop(name)
        try:
            self._conn.execute(
                f"CREATE DATABASE {quote(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        except DatabaseError as exc:
            base = name.rpartition("_test")[0]
            raise DatabaseError(
                f"Cannot create the test database {name}: {exc.message} Allow the URL's user "
                f"to create and drop the test databases: GRANT ALL ON `{base}\\_test%`.* TO "
                f"{self._url.user or 'root'}."
            ) from None
        return self._url.on_database(name)

    def copy(self, template: DatabaseURL, name: str, folder: Path) -> DatabaseURL:
        assert template.database is not None
        layout = self._layouts.get(template.database)
        if layout is None:
            layout = self._layouts[template.database] = _layout(self._conn, template.database)
        self._drop(name)
        self._conn.execute(
            f"CREATE DATABASE {quote(name)} CHARACTER SET {layout.charset} "
            f"COLLATE {layout.collation}"
        )
        self._conn.execute(f"USE {quote(name)}")
        # The tables come in name order, not in the order their foreign keys need.
        self._conn.execute("SET SESSION foreign_key_checks = 0")
        try:
            for statement in layout.tables + layout.rows:
                self._conn.execute(statement)
            # SHOW CREATE VIEW names every table with the template's database.
            source, target = f"{_backticked(template.database)}.", f"{_backticked(name)}."
            _create_views(
                self._conn,
                [view.replace(source, target) for view in layout.views],
            )
            for statement in layout.triggers:
                self._conn.execute(statement)
        finally:
            self._conn.execute("SET SESSION foreign_key_checks = 1")
        return self._url.on_database(name)

    def drop(self, url: DatabaseURL) -> None:
        assert url.database is not None
        self._drop(url.database)

    def _drop(self, name: str) -> None:
        # A connection a test left in a transaction would hold DROP DATABASE up: end the
        # connections to the database first, as PostgreSQL's DROP DATABASE ... WITH (FORCE).
        rows = self._conn.execute(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID()",
            (name,),
        ).fetchall()
        for (thread,) in rows:
            # A connection that ended meanwhile needs no killing.
            with suppress(DatabaseError):
                self._conn.execute(f"KILL CONNECTION {int(thread)}")
        self._conn.execute(f"DROP DATABASE IF EXISTS {quote(name)}")

    def close(self) -> None:
        self._conn.close()


def _layout(conn: MySQLConnection, database: str) -> _Layout:
    """The statements that rebuild the template ``database`` in the current database."""
    schema = conn.execute(
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
        "information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
        (database,),
    ).fetchone()
    listed = conn.execute(
        "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME",
        (database,),
    ).fetchall()
    source = quote(database)
    tables: list[str] = []
    rows: list[str] = []
    views: list[str] = []
    for table, kind in listed:
        where = f"{source}.{quote(table)}"
        if kind == "VIEW":
            views.append(conn.execute(f"SHOW CREATE VIEW {where}").fetchone()[1])
            continue
        tables.append(conn.execute(f"SHOW CREATE TABLE {where}").fetchone()[1])
        if conn.execute(f"SELECT 1 FROM {where} LIMIT 1").fetchone() is not None:
            columns = ", ".join(quote(c) for c in _stored_columns(conn, database, table))
            rows.append(f"INSERT INTO {quote(table)} ({columns}) SELECT {columns} FROM {where}")
    triggers = [
        conn.execute(f"SHOW CREATE TRIGGER {source}.{quote(trigger)}").fetchone()[2]
        for (trigger,) in conn.execute(
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s "
            "ORDER BY ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER",
            (database,),
        ).fetchall()
    ]
    return _Layout(schema[0], schema[1], tables, rows, views, triggers)


def _stored_columns(conn: MySQLConnection, database: str, table: str) -> list[str]:
    """The columns of ``table`` that hold values (generated ones are computed again)."""
    rows = conn.execute(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
        "AND TABLE_NAME = %s AND EXTRA NOT LIKE '%%VIRTUAL GENERATED%%' "
        "AND EXTRA NOT LIKE '%%STORED GENERATED%%' ORDER BY ORDINAL_POSITION",
        (database, table),
    ).fetchall()
    return [row[0] for row in rows]


def _backticked(name: str) -> str:
    """``name`` quoted as SHOW CREATE statements quote every name."""
    return "`" + name.replace("`", "``") + "`"


def _create_views(conn: MySQLConnection, views: list[str]) -> None:
    """Create ``views``, those that others use first (found by trying: MySQL does not
    say which views a view reads)."""
    pending = views
    while pending:
        failed: list[str] = []
        error: DatabaseError | None = None
        for statement in pending:
            try:
                conn.execute(statement)
            except DatabaseError as exc:
                if _NO_SUCH_TABLE not in exc.message:
                    raise
                failed.append(statement)
                error = exc
        if len(failed) == len(pending):
            assert error is not None
            raise error
        pending = failed
