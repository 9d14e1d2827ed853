"""MySQL 8 and MariaDB 10.11+: DDL that commits on its own, a ``GET_LOCK`` migration lock,
``information_schema`` introspection.

Importing this package does not import PyMySQL; the driver is loaded when a connection
is opened, and its absence is then a :class:`~schemashift.errors.ConfigError` that says
how to install it.

``DIALECT`` is the shared instance that :func:`schemashift.dialects.get_dialect` returns.
"""

from __future__ import annotations

from schemashift.dialects.mysql.dialect import MySQLDialect

DIALECT = MySQLDialect()

__all__ = ["DIALECT", "MySQLDialect"]
