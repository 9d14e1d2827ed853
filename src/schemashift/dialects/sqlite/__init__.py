"""SQLite: ALTER TABLE where it suffices, table rebuilds where it does not.

``DIALECT`` is the shared instance that :func:`schemashift.dialects.get_dialect` returns.
"""

from __future__ import annotations

from schemashift.dialects.sqlite.dialect import SQLiteDialect

DIALECT = SQLiteDialect()

__all__ = ["DIALECT", "SQLiteDialect"]
