"""What the settings are when ``pyproject.toml`` says nothing, and where their parsed
table is cached: shared by :mod:`schemashift.config` and the start-up check of
``evolve()`` (:mod:`schemashift.runtime.startup`), which must read the settings exactly
as config does without importing it. Imports only ``os`` and ``sys``."""

from __future__ import annotations

import os
import sys

DEFAULT_DATABASE = "sqlite:///db.sqlite3"
DEFAULT_MIGRATIONS = "src/migrations"
DEFAULT_MODELS_DIR = "src/models"

#: Every key ``[tool.schemashift]`` may hold; anything else is refused, with a guess.
KNOWN_KEYS = (
    "database",
    "models",
    "migrations",
    "lock_timeout",
    "statement_lock_timeout",
    "ignore_tables",
    "online",
    "evolve_locks",
    "dialects",
)

# Parsing TOML means importing tomllib, which costs more than the rest of reading the
# settings: the parsed table is kept in the cache folder, keyed by the whole text of
# pyproject.toml (compared in full, never by file times) and by the Python version. A
# missing or unreadable entry means parsing again: the cache never changes a setting.
SETTINGS_CACHE_FORMAT = 1


def settings_cache_file(pyproject: str | os.PathLike[str]) -> str:
    """Where the parsed ``[tool.schemashift]`` table of ``pyproject`` is cached."""
    from schemashift.caching import cache_root
    from schemashift.hashing import checksum_of

    key = checksum_of(os.path.realpath(pyproject).encode("utf-8", "surrogateescape"))[:24]
    return os.path.join(cache_root(), f"settings-{key}.marshal")


def settings_cache_key(text: str) -> tuple[int, tuple[int, ...], str]:
    """What a cached table must have been stored with to be the table of ``text``."""
    return (SETTINGS_CACHE_FORMAT, tuple(sys.version_info[:3]), text)


def modules_in(folder: str) -> list[str]:
    """The model modules of a models folder: every ``.py`` file not starting with ``_``
    or ``.``, by name, as modules of the package the folder is."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    package = os.path.basename(folder)
    return [
        f"{package}.{name[:-3]}"
        for name in sorted(names)
        if name.endswith(".py") and not name.startswith(("_", "."))
    ]
