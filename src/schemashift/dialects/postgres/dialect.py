"""The PostgreSQL dialect: the contract of :mod:`schemashift.dialects.base`, by delegation
to the modules of this package."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import TYPE_CHECKING, Any

from schemashift.dialects.base import Dialect
from schemashift.dialects.postgres import (
    connection,
    introspect,
    lock,
    locks,
    quoting,
    render,
    types,
)
from schemashift.errors import DatabaseError

if TYPE_CHECKING:
    from schemashift.dialects.base import DBConnection, OnlinePhase, Step, TemplateCopies
    from schemashift.diff.operations import Operation
    from schemashift.schema.values import Column, Schema
    from schemashift.url import DatabaseURL

#: How long a statement in a batch waits for a table lock before the batch fails.
DEFAULT_LOCK_TIMEOUT = "5s"


class PostgresDialect(Dialect):
    """The PostgreSQL dialect.

    ``lock_timeout`` (a PostgreSQL interval, ``"5s"`` by default; ``None`` or ``"0"`` to
    wait forever) bounds how long each statement of a batch waits for a table lock, so
    that a migration stuck behind a long transaction fails and rolls back instead of
    blocking every query queued behind it. A connection from :meth:`connect` starts with
    this value in its own ``lock_timeout`` attribute, which :meth:`batch` reads, so one
    run can change it without touching the shared dialect.
    """

    name = "postgresql"
    url_example = "postgresql://USER@HOST:PORT/DATABASE"
    max_identifier_length = quoting.MAX_IDENTIFIER_LENGTH
    placeholder = "%s"
    now_sql = "now()"
    concurrent_index = True
    online_changes = True

    def __init__(self, lock_timeout: str | None = DEFAULT_LOCK_TIMEOUT) -> None:
        self.lock_timeout = lock_timeout

    def quote(self, identifier: str) -> str:
        return quoting.quote(identifier)

    def render_concurrently(self, operations: Sequence[Operation]) -> list[Step]:
        return render.render_concurrently(operations)

    def online_phases(self, operations: Sequence[Operation], before: Schema) -> list[OnlinePhase]:
        from schemashift.dialects.postgres import online

        return list(online.phases(operations, before))

    def named_placeholders(self, sql: str) -> str:
        from schemashift.dialects.placeholders import named_to_pyformat

        return named_to_pyformat(sql)

    def column_type(self, column: Column) -> str:
        return types.column_type(column)

    def render(self, operations: Sequence[Operation], before: Schema) -> list[Step]:
        return locks.annotate(render.render(operations, before))

    def connect(self, url: DatabaseURL, *, create: bool = True) -> DBConnection:
        """A connection in autocommit mode. PostgreSQL databases are never created:
        ``create`` is accepted for the contract's sake and a missing database is a
        DatabaseError."""
        return connection.open_connection(url, lock_timeout=self.lock_timeout)

    def database_exists(self, url: DatabaseURL) -> bool:
        return connection.database_exists(url)

    def driver_connection(self, url: DatabaseURL) -> Any:
        """A ``psycopg.Connection``."""
        psycopg = connection.driver()
        return psycopg.connect(**connection.libpq_params(url))

    def template_copies(self, url: DatabaseURL) -> TemplateCopies:
        from schemashift.dialects.postgres.testdb import TemplateDatabases

        return TemplateDatabases(url)

    def set_statement_lock_timeout(self, conn: DBConnection, timeout: str) -> None:
        if isinstance(conn, connection.PostgresConnection):
            conn.lock_timeout = timeout

    def batch(self, conn: DBConnection) -> AbstractContextManager[None]:
        return _batch(conn, getattr(conn, "lock_timeout", self.lock_timeout))

    def outside_batch(self, conn: DBConnection) -> AbstractContextManager[None]:
        """No transaction, but the batches' ``lock_timeout`` all the same: an ``ALTER``
        outside a transaction queues the application's queries behind it just as well."""
        return _outside_batch(conn, getattr(conn, "lock_timeout", self.lock_timeout))

    def lock(
        self, conn: DBConnection, url: DatabaseURL, timeout: float
    ) -> AbstractContextManager[None]:
        def open_tagged(application_name: str) -> connection.PostgresConnection:
            return connection.open_connection(
                url, lock_timeout=None, application_name=application_name
            )

        database = url.database or "(default)"
        return lock.advisory_lock(open_tagged, timeout, database, url.application_name)

    def tracking_table_sql(self, table: str) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ("
            "name TEXT PRIMARY KEY, batch INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL, "
            "checksum TEXT NOT NULL, duration_ms INTEGER NOT NULL)"
        ]

    def own_table(self, conn: DBConnection, table: str) -> str:
        """``schema.table`` in the connection's current schema: a name found through the
        search path would be another tenant's (``public``'s) table once that one exists."""
        return f"{quoting.quote(connection.current_schema(conn))}.{quoting.quote(table)}"

    def own_table_exists(self, conn: DBConnection, table: str) -> bool:
        name = self.own_table(conn, table)
        row = conn.execute(f"SELECT to_regclass({self.placeholder})", (name,)).fetchone()
        return row is not None and row[0] is not None

    def table_names(self, conn: DBConnection) -> set[str]:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s "
            "AND tablename NOT LIKE '!_schemashift%%' ESCAPE '!'",
            (connection.current_schema(conn),),
        ).fetchall()
        return {row[0] for row in rows}

    def restore_kept(
        self,
        db: DBConnection | None,
        execute: Callable[[str], Any],
        table: str,
        column: str,
    ) -> list[str]:
        from schemashift.dialects.kept import restore_kept
        from schemashift.dialects.postgres.kept import SQL

        return restore_kept(db, execute, table, column, SQL)

    def introspect(self, conn: DBConnection, *, exclude: Sequence[str] = ()) -> Schema:
        return introspect.introspect(conn, exclude)

    def comparable(self, schema: Schema) -> Schema:
        return introspect.comparable(schema)


@contextmanager
def _outside_batch(conn: DBConnection, lock_timeout: str | None) -> Iterator[None]:
    if lock_timeout:
        conn.execute("SELECT set_config('lock_timeout', %s, false)", (lock_timeout,))
    try:
        yield
    finally:
        # Back to the session's own setting; a connection that is gone needs nothing.
        with suppress(DatabaseError):
            conn.execute("RESET lock_timeout")


@contextmanager
def _batch(conn: DBConnection, lock_timeout: str | None) -> Iterator[None]:
    conn.execute("BEGIN")
    try:
        if lock_timeout:
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout,))
        yield
    except BaseException:
        # If the connection is gone, the server has rolled back on its own.
        with suppress(DatabaseError):
            conn.execute("ROLLBACK")
        raise
    cursor = conn.execute("COMMIT")
    # COMMIT of a transaction an error aborted (and something swallowed) rolls back.
    if getattr(cursor, "statusmessage", "COMMIT") == "ROLLBACK":
        raise DatabaseError(
            "The batch transaction had failed and was rolled back; nothing was changed."
        )


__all__ = ["DEFAULT_LOCK_TIMEOUT", "PostgresDialect"]
