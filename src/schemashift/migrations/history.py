"""Replaying migration files to the schema they produce, without importing them.

Each generated file ends with ``operations = [...]``, a list of plain literals. Only that
tail is parsed (with :mod:`ast`), so replaying thousands of files stays fast and no
migration code runs.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from schemashift.diff.operations import Operation, OperationError
from schemashift.errors import MigrationFileError
from schemashift.migrations.files import MigrationFile
from schemashift.schema.codec import CodecError, operation_from_literal
from schemashift.schema.values import Schema

MARKER = "\noperations = "


def operations_in(source: str, file: MigrationFile) -> list[Operation]:
    """The operations a migration file declares (none for hand-written files)."""
    at = source.rfind(MARKER)
    if at < 0:
        return []
    line = source.count("\n", 0, at) + 2
    tail = source[at + 1 :]
    try:
        tree = ast.parse(tail, filename=str(file.path))
        node = tree.body[0]
        if len(tree.body) != 1 or not isinstance(node, ast.Assign):
            raise ValueError("operations must be the last statement of the file")
        literals = ast.literal_eval(node.value)
        if not isinstance(literals, list):
            raise ValueError("operations must be a list")
        return [operation_from_literal(lit) for lit in literals]
    except (SyntaxError, ValueError, CodecError) as exc:
        raise MigrationFileError(
            f"{file.path}, line {line}: the operations list cannot be read ({exc}). "
            "Restore it as generated, or remove it if the file is hand-written."
        ) from exc


def replay(files: Sequence[MigrationFile], start: Schema | None = None) -> Schema:
    """The schema produced by applying ``files`` in order to ``start`` (empty)."""
    return replay_sources(files, [f.read_bytes() for f in files], start or Schema())


def replay_sources(
    files: Sequence[MigrationFile], sources: Sequence[bytes], schema: Schema
) -> Schema:
    """:func:`replay` of files whose bytes are already read."""
    for file, data in zip(files, sources, strict=True):
        source = data.decode("utf-8", errors="replace")
        for op in operations_in(source, file):
            try:
                schema = op.apply(schema)
            except OperationError as exc:
                raise MigrationFileError(
                    f"{file.path.name} does not fit the migrations before it: {exc}. Check "
                    "its operations list against the earlier files."
                ) from exc
    return schema
