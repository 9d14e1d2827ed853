"""A throwaway PostgreSQL database per test, on the server ``scripts/pg.sh`` started."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

#: The admin URL printed by ``scripts/pg.sh start DIR``.
ENV_VAR = "SCHEMASHIFT_TEST_PG"


def admin_url() -> str | None:
    """The test server's admin URL, or None when no server was given."""
    return os.environ.get(ENV_VAR) or None


def database_url(admin: str, database: str) -> str:
    """``admin`` pointing at ``database`` instead."""
    parts = urlsplit(admin)
    return urlunsplit(parts._replace(path=f"/{database}"))


@contextmanager
def fresh_database(admin: str) -> Iterator[str]:
    """The URL of a brand-new empty database, dropped (connections and all) afterwards."""
    import psycopg

    name = f"t_{secrets.token_hex(8)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
