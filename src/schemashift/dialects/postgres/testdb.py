"""The pytest plugin's databases on PostgreSQL: ``CREATE DATABASE ... TEMPLATE``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from schemashift.dialects.base import TemplateCopies
from schemashift.dialects.postgres.connection import driver, libpq_params
from schemashift.url import DatabaseURL

if TYPE_CHECKING:
    from typing_extensions import LiteralString


class TemplateDatabases(TemplateCopies):
    """Databases on the server of a URL, made through one connection to its ``postgres``
    maintenance database (CREATE and DROP DATABASE cannot run inside the database they
    name)."""

    def __init__(self, url: DatabaseURL) -> None:
        psycopg = driver()
        self._url = url
        self._conn = psycopg.connect(
            **libpq_params(url._replace(database="postgres")), autocommit=True
        )

    def _execute(self, statement: LiteralString, *names: str) -> None:
        """Run ``statement`` with ``names`` quoted into its ``{}``."""
        from psycopg import sql

        self._conn.execute(sql.SQL(statement).format(*(sql.Identifier(n) for n in names)))

    def create(self, name: str, folder: Path) -> DatabaseURL:
        self._drop(name)
        self._execute("CREATE DATABASE {}", name)
        return self._url.on_database(name)

    def copy(self, template: DatabaseURL, name: str, folder: Path) -> DatabaseURL:
        assert template.database is not None
        self._drop(name)
        self._execute("CREATE DATABASE {} TEMPLATE {}", name, template.database)
        return self._url.on_database(name)

    def drop(self, url: DatabaseURL) -> None:
        assert url.database is not None
        self._drop(url.database)

    def _drop(self, name: str) -> None:
        # WITH (FORCE) (PostgreSQL 13+) also ends connections a test left open.
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)

    def close(self) -> None:
        self._conn.close()
