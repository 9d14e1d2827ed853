"""Connections through psycopg 3, imported only when a connection is opened.

Errors from the driver become :class:`~schemashift.errors.DatabaseError` with the
server's message, and the password is scrubbed from every message on the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from types import ModuleType
from typing import TYPE_CHECKING, Any

from schemashift.errors import ConfigError, DatabaseError
from schemashift.url import DatabaseURL, libpq_params, redact

if TYPE_CHECKING:
    import psycopg

    from schemashift.dialects.base import Cursor

#: How long a connection attempt may take before giving up (unless the URL says).
CONNECT_TIMEOUT = "10"
_LOCK_NOT_AVAILABLE = "55P03"
_UNKNOWN_DATABASE = "does not exist"


def driver() -> ModuleType:
    """The psycopg module, or a ConfigError saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise ConfigError(
            "PostgreSQL support needs psycopg: pip install 'schemashift[postgres]'"
        ) from None
    return psycopg


class PostgresConnection:
    """A psycopg connection in autocommit mode: ``BEGIN``/``COMMIT`` are explicit.

    ``lock_timeout`` is how long each statement of a batch may wait for a table lock
    (a PostgreSQL interval such as ``"5s"``; ``None`` or ``"0"`` waits forever).
    """

    dialect = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any], url: DatabaseURL, lock_timeout: str | None):
        self.raw = raw
        self.url = url
        self.lock_timeout = lock_timeout

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        """Run one statement and return its cursor; driver errors become DatabaseError."""
        psycopg = driver()
        try:
            cursor: Cursor = self.raw.execute(sql, params)
        except psycopg.Error as exc:
            raise DatabaseError(self._message(exc)) from exc
        return cursor

    def close(self) -> None:
        """Close the connection; closing a broken one is not an error."""
        with suppress(Exception):
            self.raw.close()

    def _message(self, exc: Exception) -> str:
        text = error_text(exc, self.url)
        if getattr(exc, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return (
                f"{text} Gave up after lock_timeout = {self.lock_timeout}: another session "
                "is using the table. Try again when it is idle."
            )
        return text


def error_text(exc: Exception, url: DatabaseURL) -> str:
    """The driver's message for ``exc`` as one sentence, with no password in it."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(exc)
    text = " ".join(primary.split()).removeprefix("connection failed: ")
    text = text or type(exc).__name__
    detail = getattr(diag, "message_detail", None)
    if detail:
        text = f"{text.rstrip('.')}: {detail.strip()}"
    if not text.endswith((".", "?", "!")):
        text += "."
    return scrub(text, url)


def scrub(text: str, url: DatabaseURL) -> str:
    """``text`` with the URL's password masked wherever it appears."""
    text = redact(text)
    if url.password:
        text = text.replace(url.password, "***")
    return text


def open_connection(
    url: DatabaseURL, *, lock_timeout: str | None, application_name: str | None = None
) -> PostgresConnection:
    """Connect to ``url``; an unreachable server or a missing database is a DatabaseError
    that names the URL without its password."""
    psycopg = driver()
    params = libpq_params(url)
    params.setdefault("connect_timeout", CONNECT_TIMEOUT)
    if application_name is not None:
        params["application_name"] = application_name
    try:
        raw = psycopg.connect(autocommit=True, **params)
    except psycopg.Error as exc:
        reason = error_text(exc, url)
        # Chaining would carry the driver's own text, which may quote the conninfo.
        raise DatabaseError(
            f"Cannot connect to PostgreSQL at {url.redacted()}: {reason} Check that the "
            "server is running, the database exists and the URL's user may connect."
        ) from None
    return PostgresConnection(raw, url, lock_timeout)


def database_exists(url: DatabaseURL) -> bool:
    """Whether the database of ``url`` exists; other connection failures still raise."""
    try:
        conn = open_connection(url, lock_timeout=None)
    except DatabaseError as exc:
        if _UNKNOWN_DATABASE in exc.message and url.database and url.database in exc.message:
            return False
        raise
    conn.close()
    return True
