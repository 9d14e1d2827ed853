"""A cache of the replayed schema, keyed by the files' checksums.

Replaying means parsing every file's operations list; hashing a file is far cheaper than
parsing it. The cache remembers the schema that a list of ``(name, checksum)`` pairs
produces, so the next run replays only the files added since (usually none or one). It
lives outside the project (``$XDG_CACHE_HOME/schemashift``), is keyed by content, never
by file times, and any problem with it means a cold replay: it can make a command
faster, never answer differently. The schema is kept as :mod:`marshal` tuples in each
value class's field order (with those orders, so that another layout is never misread):
loading it builds the values directly, without a literal to decode.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Sequence
from itertools import starmap
from operator import attrgetter
from pathlib import Path

from schemashift.migrations.files import MigrationFile, checksum_of
from schemashift.migrations.history import replay_sources
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table

#: 2: files are parsed whole, so a cached file is known to be valid Python; schemas
#: cached by version 1 only saw the operations list and are replayed again. 3: a column
#: rename rewrites the checks that use the column. 4: marshal tuples, not JSON literals.
_VERSION = 4

_MEMBERS = (Column, Index, ForeignKey, Check)
#: The field orders the tuples follow.
_LAYOUT = (Table._fields, *(cls._fields for cls in _MEMBERS))
# Each value's fields as a tuple in that order (every class has two fields or more).
_COLUMN, _INDEX, _FOREIGN_KEY, _CHECK = (attrgetter(*cls._fields) for cls in _MEMBERS)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def cache_dir() -> Path:
    """Where cached schemas are kept."""
    from schemashift.caching import cache_root

    return Path(cache_root())


def _pack(table: Table) -> Any:
    return (
        table.name,
        tuple(map(_COLUMN, table.columns)),
        tuple(map(_INDEX, table.indexes)),
        tuple(map(_FOREIGN_KEY, table.foreign_keys)),
        tuple(map(_CHECK, table.checks)),
        table.model,
    )


def _unpack(packed: Any) -> Table:
    name, columns, indexes, fks, checks, model = packed
    return Table(
        name,
        tuple(starmap(Column, columns)),
        tuple(starmap(Index, indexes)),
        tuple(starmap(ForeignKey, fks)),
        tuple(starmap(Check, checks)),
        model,
    )


def _cache_file(folder: Path) -> Path:
    key = checksum_of(str(folder.resolve()).encode())[:24]
    return cache_dir() / f"replay-{key}.marshal"


def _load(path: Path) -> tuple[list[list[str]], Schema] | None:
    try:
        version, layout, files, tables = marshal.loads(path.read_bytes())
        if version != _VERSION or layout != _LAYOUT or not isinstance(files, list):
            return None
        return files, Schema.of(map(_unpack, tables))
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _store(path: Path, files: list[list[str]], schema: Schema) -> None:
    payload = (_VERSION, _LAYOUT, files, tuple(map(_pack, schema.tables.values())))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(payload))
        os.replace(tmp, path)
    except (OSError, ValueError):
        return


def replay_cached(files: Sequence[MigrationFile]) -> Schema:
    """The schema ``files`` produce, as :func:`~schemashift.migrations.history.replay`
    would compute it, reusing the cached schema of an unchanged prefix of ``files``."""
    if not files:
        return Schema()
    folder = files[0].path.parent
    sources = [f.read_bytes() for f in files]
    keys = [[f.name, checksum_of(data)] for f, data in zip(files, sources, strict=True)]
    path = _cache_file(folder)
    cached = _load(path)
    start, schema = 0, Schema()
    if cached is not None:
        cached_keys, cached_schema = cached
        if keys[: len(cached_keys)] == cached_keys:
            start, schema = len(cached_keys), cached_schema
    if start == len(files) and cached is not None:
        return schema
    schema = replay_sources(files[start:], sources[start:], schema)
    _store(path, keys, schema)
    return schema
