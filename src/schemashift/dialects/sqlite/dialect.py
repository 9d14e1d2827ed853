"""The SQLite dialect: the contract of :mod:`schemashift.dialects.base`, by delegation
to the modules of this package."""

from __future__ import annotations

from schemashift.dialects.base import Dialect
from schemashift.dialects.sqlite import urls

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from contextlib import AbstractContextManager
    from datetime import datetime
    from os import PathLike
    from typing import Any

    from schemashift.dialects.base import DBConnection, Step, TemplateCopies
    from schemashift.diff.operations import Operation
    from schemashift.schema.values import Column, Schema
    from schemashift.url import DatabaseURL


class SQLiteDialect(Dialect):
    """SQLite 3.35 or newer (DROP COLUMN). Stateless; use the shared :data:`DIALECT`."""

    name = "sqlite"
    url_example = "sqlite:///path/to/db.sqlite3"
    # SQLite places no practical limit on identifier length; this keeps names readable
    # and leaves room for the prefix of a rebuild's temporary table.
    max_identifier_length = 128
    placeholder = "?"
    now_sql = "strftime('%Y-%m-%d %H:%M:%S', 'now')"
    # As a batch does: a table rebuild must not cascade into the rows that refer to it.
    script_preamble = ("PRAGMA foreign_keys = OFF;",)

    def parse_url(self, raw: str, root: str | PathLike[str]) -> DatabaseURL:
        return urls.parse_url(raw, root)

    def quote(self, identifier: str) -> str:
        from schemashift.dialects.sqlite import quoting

        return quoting.quote(identifier)

    # Rendering, introspection and even the connection module (with sqlite3) are
    # imported on first use: `migrate --status` needs no rendering, `make migration` and
    # `check --offline` no connection, and the command line should start fast.
    def column_type(self, column: Column) -> str:
        from schemashift.dialects.sqlite import types

        return types.column_type(column)

    def render(self, operations: Sequence[Operation], before: Schema) -> list[Step]:
        from schemashift.dialects.sqlite import render

        return render.render(operations, before)

    def connect(self, url: DatabaseURL, *, create: bool = True) -> DBConnection:
        from schemashift.dialects.sqlite import connection

        return connection.connect(url, create=create)

    def database_exists(self, url: DatabaseURL) -> bool:
        # Here rather than in the connection module, which imports sqlite3: status on a
        # project without a database never needs it.
        import os

        return url.path == urls.MEMORY or os.path.isfile(str(url.path))

    def driver_connection(self, url: DatabaseURL) -> Any:
        """A ``sqlite3.Connection``, with the URL's busy timeout."""
        import sqlite3

        from schemashift.dialects.sqlite import connection

        return sqlite3.connect(str(url.path), timeout=connection.busy_timeout(url))

    def template_copies(self, url: DatabaseURL) -> TemplateCopies:
        from schemashift.dialects.sqlite.testdb import FileCopies

        return FileCopies()

    def batch(self, conn: DBConnection) -> AbstractContextManager[None]:
        from schemashift.dialects.sqlite import connection

        return connection.batch(conn)

    def outside_batch(self, conn: DBConnection) -> AbstractContextManager[None]:
        from schemashift.dialects.sqlite import connection

        return connection.foreign_keys_off(conn)

    def lock(
        self, conn: DBConnection, url: DatabaseURL, timeout: float
    ) -> AbstractContextManager[None]:
        from schemashift.dialects.sqlite import lock

        return lock.lock(conn, url, timeout)

    def tracking_table_sql(self, table: str) -> list[str]:
        from schemashift.dialects.sqlite import connection

        return connection.tracking_table_sql(table)

    def applied_at_value(self, now: datetime) -> Any:
        # SQLite has no timestamp type: the tracking table keeps the UTC text.
        return now.strftime("%Y-%m-%d %H:%M:%S")

    def own_table_exists(self, conn: DBConnection, table: str) -> bool:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return conn.execute(sql, (table,)).fetchone() is not None

    def table_names(self, conn: DBConnection) -> set[str]:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' "
            "ESCAPE '!' AND name NOT LIKE '!_schemashift%' ESCAPE '!'"
        ).fetchall()
        return {row[0] for row in rows}

    def introspect(self, conn: DBConnection, *, exclude: Sequence[str] = ()) -> Schema:
        from schemashift.dialects.sqlite import introspect

        return introspect.introspect(conn, exclude)

    def comparable(self, schema: Schema) -> Schema:
        from schemashift.dialects.sqlite import introspect

        return introspect.comparable(schema)

    def remove_created(self, conn: DBConnection) -> None:
        from schemashift.dialects.sqlite import connection

        connection.remove_created(conn)

    def table_options(self, db: DBConnection, table: str) -> str:
        # STRICT and WITHOUT ROWID follow the column list; a rebuild keeps them.
        row = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        tail = row[0].rsplit(")", 1)[-1].upper() if row and row[0] else ""
        words = " ".join(tail.replace(",", " ").split())
        options = [o for o in ("STRICT", "WITHOUT ROWID") if o in words]
        return " " + ", ".join(options) if options else ""

    def rebuild_table(
        self,
        db: DBConnection | None,
        execute: Callable[[str], Any],
        table: str,
        create: str,
        change: dict[str, str],
        add: dict[str, str | None],
        drop: tuple[str, ...],
        drop_constraints: tuple[str, ...],
        add_constraints: tuple[str, ...],
    ) -> list[str]:
        from schemashift.dialects.sqlite.live import Rebuild, planned, rebuild_live

        spec = Rebuild(table, create, change, add, drop, drop_constraints, add_constraints)
        if db is None:
            return planned(spec)
        rebuild_live(spec, db, execute)
        return []

    def send_warnings(self, conn: DBConnection, warn: Callable[[str], None]) -> None:
        from schemashift.dialects.sqlite import connection

        if isinstance(conn, connection.SQLiteConnection):
            conn.warn = warn
