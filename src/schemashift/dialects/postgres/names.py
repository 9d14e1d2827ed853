"""Names of the constraints this dialect creates on its own behalf.

A unique column and an enum column each get a constraint that the model does not name.
Naming them after PostgreSQL's own convention (``<table>_<column>_key`` and
``<table>_<column>_check``) makes them predictable, so a later migration can drop them,
and keeps them apart from the ``uq_``-prefixed unique indexes the models declare.
"""

from __future__ import annotations

from schemashift.dialects.postgres.quoting import fit_name


def unique_name(table: str, column: str) -> str:
    """The UNIQUE constraint of ``table.column`` (``Column.unique``)."""
    return fit_name(f"{table}_{column}_key")


def enum_check_name(table: str, column: str) -> str:
    """The CHECK constraint holding the values of the enum column ``table.column``."""
    return fit_name(f"{table}_{column}_check")
