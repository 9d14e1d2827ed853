"""A throwaway MySQL/MariaDB database per test, on the server ``scripts/mariadb.sh`` started."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

#: The admin URL printed by ``scripts/mariadb.sh start DIR``.
ENV_VAR = "SCHEMASHIFT_TEST_MYSQL"


def admin_url() -> str | None:
    """The test server's admin URL, or None when no server was given."""
    return os.environ.get(ENV_VAR) or None


def database_url(admin: str, database: str) -> str:
    """``admin`` pointing at ``database`` instead."""
    parts = urlsplit(admin)
    return urlunsplit(parts._replace(path=f"/{database}"))


def connect(url: str) -> Any:
    """A PyMySQL connection (autocommit) to ``url``, for tests that look behind the CLI."""
    import pymysql

    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=unquote(parts.path.lstrip("/")) or None,
        autocommit=True,
        charset="utf8mb4",
    )


@contextmanager
def fresh_database(admin: str) -> Iterator[str]:
    """The URL of a brand-new empty database, dropped afterwards."""
    name = f"t_{secrets.token_hex(8)}"
    conn = connect(admin)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        conn.close()
    try:
        yield database_url(admin, name)
    finally:
        conn = connect(admin)
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()
