"""Replaying migration files to the schema they produce, without importing them.

Each generated file ends with ``operations = [...]``, a list of plain literals. The file is
parsed (with :mod:`ast`, which runs no code) and only that list is evaluated, so replaying
thousands of files stays fast, no migration code runs, and a file Python could not run
(a syntax error, a NUL byte) is refused here already, naming its line. Generated files
are proven valid and their list read without a syntax tree of the whole file
(:mod:`schemashift.migrations.quickread`); the full parse decides every other file.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.diff.operations import Operation, OperationError
from schemashift.errors import MigrationFileError
from schemashift.migrations.codec import CodecError, operation_from_literal
from schemashift.migrations.files import MigrationFile, parse_source
from schemashift.migrations.quickread import read_literals
from schemashift.schema.values import Schema

NAME = "operations"


def operations_in(source: str | bytes, file: MigrationFile) -> list[Operation]:
    """The operations a migration file declares (none for hand-written files). The whole
    file must be valid Python."""
    if isinstance(source, bytes):
        literals = read_literals(file, source)
        if literals is not None:
            try:
                return [operation_from_literal(lit) for lit in literals]
            except (ValueError, TypeError, CodecError):
                pass  # refused below, naming the line of the list
    return parsed_operations(source, file)


def parsed_operations(source: str | bytes, file: MigrationFile) -> list[Operation]:
    """:func:`operations_in` by a syntax tree of the whole file: what decides (and words
    the refusal of) every file that the quick read does not vouch for."""
    # Imported here: a replay whose files the quick read vouches for never needs it.
    import ast

    tree = parse_source(file, source)
    assigned = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == NAME for t in node.targets)
    ]
    if not assigned:
        return []
    node = assigned[-1]
    try:
        if node is not tree.body[-1]:
            raise ValueError("operations must be the last statement of the file")
        literals = ast.literal_eval(node.value)
        if not isinstance(literals, list):
            raise ValueError("operations must be a list")
        return [operation_from_literal(lit) for lit in literals]
    except (ValueError, TypeError, CodecError) as exc:
        raise MigrationFileError(
            f"{file.path}, line {node.lineno}: the operations list cannot be read ({exc}). "
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
        for op in operations_in(data, file):
            try:
                schema = op.apply(schema)
            except OperationError as exc:
                raise MigrationFileError(
                    f"{file.path.name} does not fit the migrations before it: {exc}. Check "
                    "its operations list against the earlier files."
                ) from exc
    return schema
