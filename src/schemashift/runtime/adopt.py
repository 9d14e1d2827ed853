"""Adopting an existing database: the initial migration's tables are already there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from schemashift.errors import SchemashiftError

if TYPE_CHECKING:
    from schemashift.dialects.base import DBConnection
    from schemashift.migrations.files import MigrationFile
    from schemashift.project import Project


def adoptable(
    project: Project, conn: DBConnection, pending: Sequence[MigrationFile]
) -> MigrationFile | None:
    """The first pending migration if it only creates tables that all already exist
    exactly as it declares them (it is then recorded without running, like Django's
    "fake initial"); None when its tables do not exist yet. Raises when they exist but
    differ, listing each difference."""
    if not pending or not project.dialect.table_names(conn):
        return None
    # Only now: into an empty database (the usual case) migrate runs without loading the
    # operations, the codec and the schema values, a tenth of applying a large file.
    from schemashift.diff.operations import CreateTable, apply_all
    from schemashift.migrations.history import operations_in
    from schemashift.runtime.drift import describe_drift
    from schemashift.schema.values import Schema

    first = pending[0]
    source = first.read_bytes().decode("utf-8", errors="replace")
    operations = operations_in(source, first)
    if not operations or not all(isinstance(op, CreateTable) for op in operations):
        return None
    dialect = project.dialect
    live = dialect.introspect(conn)
    names = [op.table_name for op in operations]
    present = [n for n in names if n in live.tables]
    if not present:
        return None
    expected = dialect.comparable(apply_all(Schema(), operations))
    live_part = Schema({n: t for n, t in live.tables.items() if n in names})
    differences = describe_drift(expected, live_part)
    if differences:
        raise SchemashiftError(
            f"{first.name} creates tables that already exist in the database, but they differ "
            "from it. Make the models (and this migration) match the database, or the "
            "database match them; nothing was changed.",
            details="\n".join(f"  - {d}" for d in differences),
        )
    return first
