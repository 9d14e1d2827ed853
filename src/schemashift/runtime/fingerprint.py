"""What decides whether the models differ from the migration files, as one hash.

``evolve`` at application start-up usually has nothing to do, yet finding that out means
replaying the whole history and building the models' schema. Whether the two differ is
a function of the migration files (names and bytes), of the code that declares the
models, and of schemashift itself; so once a full comparison found nothing to do,
``evolve`` keeps a hash of those inputs in the database (``_schemashift_meta``), and the
next run that computes the same hash knows the answer without the comparison.

The code that declares the models is every source file the comparison loaded from the
project folder, plus the files of every class in each model's method resolution order
and of each class-level value's type (a field class from a library). The hash names
those files; a changed, added or removed file, another model module, another version of
schemashift or Python, or another dialect give another hash, and the full comparison.
"""

from __future__ import annotations

import os
import sys

from schemashift.hashing import sha256 as _sha256

# Imported by the start-up check of evolve (runtime.startup), which must stay light.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from schemashift.config import Settings
    from schemashift.migrations.files import MigrationFile

#: The ``_schemashift_meta`` key that keeps the hash and the source files it covers.
KEY = "evolve_fingerprint"
_FORMAT = "1"


def _header(
    settings: Settings, dialect: str, files: Sequence[MigrationFile], known: Mapping[str, str]
) -> bytes:
    from schemashift.config import model_modules

    pairs = [(f.name, known.get(f.name) or f.checksum(dialect)) for f in files]
    return header(dialect, model_modules(settings), pairs)


def header(dialect: str, modules: Sequence[str], checksums: Iterable[tuple[str, str]]) -> bytes:
    """What the hash covers besides the source files: the versions, the dialect, the
    model modules and every migration file's ``(name, checksum)``, in order."""
    from schemashift import __version__

    parts = [
        _FORMAT,
        __version__,
        f"{sys.version_info[0]}.{sys.version_info[1]}",
        dialect,
        repr(list(modules)),
        *(f"{name} {checksum}" for name, checksum in checksums),
    ]
    return "\n".join(parts).encode("utf-8")


def digest(head: bytes, sources: Iterable[str]) -> str | None:
    """The hash of ``head`` and the bytes of ``sources`` (None when one cannot be read,
    which never matches a recorded hash)."""
    digests = []
    for path in sources:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        digests.append((path, _sha256(data).digest()))
    return digest_of(head, digests)


def digest_of(head: bytes, sources: Iterable[tuple[str, bytes]]) -> str:
    """The hash of ``head`` and of the source files given as ``(path, SHA-256 digest of
    the file's bytes)``."""
    h = _sha256(head)
    for path, file_digest in sources:
        h.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
        h.update(file_digest)
    return str(h.hexdigest())


def matches(
    recorded: str | None,
    settings: Settings,
    dialect: str,
    files: Sequence[MigrationFile],
    known: Mapping[str, str],
) -> bool:
    """Whether ``recorded`` (a value written by :func:`record_value`) is the hash of the
    inputs as they are now. ``known`` maps file names to checksums already verified
    against the files (the applied ones, after the integrity check); the other files
    are read."""
    if not recorded:
        return False
    value, _, listed = recorded.partition("\n")
    sources = listed.split("\n") if listed else []
    return digest(_header(settings, dialect, files, known), sources) == value


def record_value(
    settings: Settings, dialect: str, files: Sequence[MigrationFile], known: Mapping[str, str]
) -> str | None:
    """The value to keep after a full comparison found nothing to do: the hash, then the
    source files it covers, one a line. Call it after the comparison, which loaded the
    models. None when a source cannot be named (nothing is then recorded)."""
    from schemashift.discovery import load_models

    sources = _sources(settings, load_models(settings))
    if any("\n" in s for s in sources):
        return None
    value = digest(_header(settings, dialect, files, known), sources)
    return None if value is None else "\n".join([value, *sources])


def _sources(settings: Settings, models: Sequence[type]) -> list[str]:
    root = os.path.join(settings.root_path, "")
    migrations = os.path.join(settings.migrations_path, "")
    found: set[str] = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.endswith(".py"):
            path = os.path.realpath(file)
            if path.startswith(root) and not path.startswith(migrations):
                found.add(path)
    classes: set[type] = set()
    for model in models:
        classes.update(model.__mro__)
        values = [*vars(model).values(), *getattr(model, "__schemashift_fields__", {}).values()]
        for value in values:
            classes.update(type(value).__mro__)
    for cls in classes:
        file = getattr(sys.modules.get(cls.__module__), "__file__", None)
        if isinstance(file, str) and file.endswith(".py"):
            found.add(os.path.realpath(file))
    return sorted(found)
