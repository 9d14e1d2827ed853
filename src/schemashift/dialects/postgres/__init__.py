"""PostgreSQL: transactional DDL, an advisory migration lock, catalog introspection.

Importing this package does not import psycopg; the driver is loaded when a connection
is opened, and its absence is then a :class:`~schemashift.errors.ConfigError` that says
how to install it.
"""

from __future__ import annotations

from schemashift.dialects.postgres.dialect import PostgresDialect

DIALECT = PostgresDialect()

__all__ = ["DIALECT", "PostgresDialect"]
