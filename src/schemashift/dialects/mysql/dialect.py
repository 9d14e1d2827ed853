"""The MySQL dialect: the contract of :mod:`schemashift.dialects.base`, by delegation to
the modules of this package."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any

from schemashift.dialects.base import Dialect
from schemashift.dialects.mysql import connection, quoting
from schemashift.errors import DatabaseError

if TYPE_CHECKING:
    from schemashift.dialects.base import DBConnection, Step, TemplateCopies
    from schemashift.diff.operations import Operation
    from schemashift.schema.values import Column, Schema
    from schemashift.url import DatabaseURL

#: How long a DDL statement waits for a table's metadata lock before it fails.
DEFAULT_LOCK_TIMEOUT = "5s"


class MySQLDialect(Dialect):
    """MySQL 8 and MariaDB 10.11 or newer. Every DDL statement commits on its own, so a
    migration is applied and recorded alone, and one that fails part-way is recorded as
    failed (see :attr:`Dialect.transactional_ddl`). Stateless; use the shared
    :data:`DIALECT`."""

    name = "mysql"
    url_example = "mysql://USER@HOST:PORT/DATABASE (or mariadb://...)"
    max_identifier_length = quoting.MAX_IDENTIFIER_LENGTH
    placeholder = "%s"
    now_sql = "UTC_TIMESTAMP()"
    transactional_ddl = False
    # TEXT holds 64 KB in MySQL: too little for the text of a large migration file.
    long_text_type = "LONGTEXT"

    def quote(self, identifier: str) -> str:
        return quoting.quote(identifier)

    # Rendering and introspection are imported on first use: `migrate --status` needs
    # neither, and the command line should start fast.
    def column_type(self, column: Column) -> str:
        from schemashift.dialects.mysql import types

        return types.column_type(column)

    def render(self, operations: Sequence[Operation], before: Schema) -> list[Step]:
        from schemashift.dialects.mysql import render

        return render.render(operations, before)

    def named_placeholders(self, sql: str) -> str:
        from schemashift.dialects.placeholders import named_to_pyformat

        return named_to_pyformat(sql, mysql=True)

    def connect(self, url: DatabaseURL, *, create: bool = True) -> DBConnection:
        """A connection in autocommit mode. MySQL databases are never created: ``create``
        is accepted for the contract's sake and a missing database is a DatabaseError."""
        from schemashift.dialects.mysql.lock import program_name

        return connection.open_connection(
            url, lock_timeout=DEFAULT_LOCK_TIMEOUT, program_name=program_name(url.application_name)
        )

    def database_exists(self, url: DatabaseURL) -> bool:
        return connection.database_exists(url)

    def driver_connection(self, url: DatabaseURL) -> Any:
        """A PyMySQL connection, in UTC and utf8mb4 as schemashift's own."""
        pymysql = connection.driver()
        kwargs = connection.connect_kwargs(url)
        kwargs["autocommit"] = False
        return pymysql.connect(**kwargs)

    def template_copies(self, url: DatabaseURL) -> TemplateCopies:
        from schemashift.dialects.mysql.testdb import CopiedDatabases

        return CopiedDatabases(url)

    def set_statement_lock_timeout(self, conn: DBConnection, timeout: str) -> None:
        if isinstance(conn, connection.MySQLConnection):
            conn.lock_timeout = timeout

    def batch(self, conn: DBConnection) -> AbstractContextManager[None]:
        """A transaction: atomic for the tracking table's rows and data statements, but
        a DDL statement inside it commits it implicitly."""
        return _transaction(conn)

    def outside_batch(self, conn: DBConnection) -> AbstractContextManager[None]:
        """No transaction, and each statement waits at most ``lock_wait_timeout`` for a
        table's metadata lock: an ALTER waiting behind a long transaction would otherwise
        hold up every query queued behind it."""
        return _lock_wait_timeout(conn, getattr(conn, "lock_timeout", DEFAULT_LOCK_TIMEOUT))

    def lock(
        self, conn: DBConnection, url: DatabaseURL, timeout: float
    ) -> AbstractContextManager[None]:
        from schemashift.dialects.mysql.lock import named_lock

        if not isinstance(conn, connection.MySQLConnection):
            raise TypeError(f"not a MySQL connection of schemashift: {conn!r}")
        return named_lock(conn, url.database or "(default)", timeout)

    def tracking_table_sql(self, table: str) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ("
            "name VARCHAR(255) PRIMARY KEY, batch INTEGER NOT NULL, applied_at DATETIME NOT NULL, "
            "checksum VARCHAR(64) NOT NULL, duration_ms INTEGER NOT NULL"
            f") {_TABLE_OPTIONS}"
        ]

    def meta_table_sql(self, table: str) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {table} "
            f"(`key` VARCHAR(100) PRIMARY KEY, value TEXT NOT NULL) {_TABLE_OPTIONS}"
        ]

    def meta_upsert_sql(self, table: str) -> str:
        # KEY is a reserved word on MySQL, and ON CONFLICT is not MySQL's spelling.
        p = self.placeholder
        return (
            f"INSERT INTO {table} (`key`, value) VALUES ({p}, {p}) "
            "ON DUPLICATE KEY UPDATE value = VALUES(value)"
        )

    def applied_at_value(self, now: datetime) -> Any:
        # DATETIME holds no zone: the UTC moment without one.
        return now.replace(tzinfo=None)

    def own_table_exists(self, conn: DBConnection, table: str) -> bool:
        sql = (
            "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = %s"
        )
        return conn.execute(sql, (table,)).fetchone() is not None

    def table_names(self, conn: DBConnection) -> set[str]:
        rows = conn.execute(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME NOT LIKE '!_schemashift%%' ESCAPE '!'"
        ).fetchall()
        return {row[0] for row in rows}

    def dependents(self, db: DBConnection, table: str, column: str | None) -> list[str]:
        from schemashift.dialects.mysql import introspect

        return introspect.dependents(db, table, column)

    def restore_kept(
        self,
        db: DBConnection | None,
        execute: Callable[[str], Any],
        table: str,
        column: str,
    ) -> list[str]:
        from schemashift.dialects.kept import restore_kept
        from schemashift.dialects.mysql.kept import SQL

        return restore_kept(db, execute, table, column, SQL)

    def introspect(self, conn: DBConnection, *, exclude: Sequence[str] = ()) -> Schema:
        from schemashift.dialects.mysql import introspect

        return introspect.introspect(conn, exclude)

    def comparable(self, schema: Schema) -> Schema:
        from schemashift.dialects.mysql import introspect

        return introspect.comparable(schema)


_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"


@contextmanager
def _transaction(conn: DBConnection) -> Iterator[None]:
    conn.execute("START TRANSACTION")
    try:
        yield
    except BaseException:
        # If the connection is gone, the server has rolled back on its own.
        with suppress(DatabaseError):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def _lock_wait_timeout(conn: DBConnection, timeout: str | None) -> Iterator[None]:
    value = connection.seconds(timeout) if timeout else None
    if value is not None:
        conn.execute(f"SET SESSION lock_wait_timeout = {value}")
    try:
        yield
    finally:
        if value is not None:
            # Back to the server's setting; a connection that is gone needs nothing.
            with suppress(DatabaseError):
                conn.execute("SET SESSION lock_wait_timeout = DEFAULT")
