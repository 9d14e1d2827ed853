"""Reading ``sqlite:///`` URLs. Kept apart from the connection module so that commands
which only read the configuration (``make migration``, ``check --offline``) import
neither ``sqlite3`` nor the connection code. Every command reads its URL: plain URLs are
read without ``pathlib`` and ``urllib.parse`` (with ``ipaddress``), whose imports cost more
than the rest of reading the settings."""

from __future__ import annotations

import os

from schemashift.errors import ConfigError
from schemashift.paths import joined
from schemashift.url import DatabaseURL, redact

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

#: The path of an in-memory database.
MEMORY = ":memory:"


def parse_url(raw: str, root: str | os.PathLike[str]) -> DatabaseURL:
    """``raw``, a ``sqlite:///`` URL, parsed; a relative path is taken relative to the
    project ``root``."""
    rest = raw.partition("://")[2]
    if not rest.startswith("/"):
        raise ConfigError(
            f"SQLite URL {redact(raw)!r} needs three slashes: sqlite:///relative.db or "
            "sqlite:////absolute/path.db."
        )
    target, _, params = rest[1:].partition("?")
    query = _query(raw, params)
    if target == "":
        raise ConfigError("SQLite URL has no file name: use sqlite:///db.sqlite3.")
    if target == MEMORY:
        return DatabaseURL("sqlite", raw, path=MEMORY, query=query)
    if "%" in target:
        from urllib.parse import unquote

        target = unquote(target)
    return DatabaseURL("sqlite", raw, path=joined(root, target), query=query)


def file_url(path: Path) -> DatabaseURL:
    """The URL of the SQLite file at ``path`` (absolute)."""
    from urllib.parse import quote

    return parse_url("sqlite:///" + quote(str(path)), path.parent)


def _query(raw: str, params: str) -> tuple[tuple[str, str], ...]:
    """The parameters of an SQLite URL: only ``timeout`` (seconds, how long a statement
    waits for another connection's lock)."""
    if not params:
        return ()
    from urllib.parse import parse_qsl

    query = tuple(parse_qsl(params, keep_blank_values=True))
    for key, value in query:
        if key != "timeout":
            raise ConfigError(
                f"SQLite URL {redact(raw)!r} has an unknown parameter {key!r}; the only one "
                "is timeout=SECONDS (how long to wait for another connection's lock)."
            )
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds < float("inf"):
            raise ConfigError(
                f"SQLite URL {redact(raw)!r}: timeout must be a number of seconds, 0 or more."
            )
    return query
