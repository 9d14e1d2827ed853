"""A cache of the replayed schema, keyed by the files' checksums.

Replaying means parsing every file's operations list; hashing a file is far cheaper than
parsing it. The cache remembers the schema that a list of ``(name, checksum)`` pairs
produces, so the next run replays only the files added since (usually none or one). It
lives outside the project (``$XDG_CACHE_HOME/schemashift``), is keyed by content, never
by file times, and any problem with it means a cold replay: it can make a command
faster, never answer differently.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from schemashift.migrations.codec import table_from_literal, table_to_literal
from schemashift.migrations.files import MigrationFile, checksum_of
from schemashift.migrations.history import replay_sources
from schemashift.schema.values import Schema

#: 2: files are parsed whole, so a cached file is known to be valid Python; schemas
#: cached by version 1 only saw the operations list and are replayed again. 3: a column
#: rename rewrites the checks that use the column.
_VERSION = 3


def cache_dir() -> Path:
    """Where cached schemas are kept."""
    from schemashift.caching import cache_root

    return Path(cache_root())


def _cache_file(folder: Path) -> Path:
    key = checksum_of(str(folder.resolve()).encode())[:24]
    return cache_dir() / f"replay-{key}.json"


def _load(path: Path) -> tuple[list[list[str]], Schema] | None:
    # json only here and in _store: a project without migrations never needs it.
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != _VERSION:
            return None
        schema = Schema.of(table_from_literal(t) for t in data["tables"])
        return data["files"], schema
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _store(path: Path, files: list[list[str]], schema: Schema) -> None:
    payload = {
        "version": _VERSION,
        "files": files,
        "tables": [table_to_literal(t) for t in schema.tables.values()],
    }
    import json

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
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
