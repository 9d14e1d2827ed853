"""Connections through psycopg 3, imported only when a connection is opened.

Errors from the driver become :class:`~schemashift.errors.DatabaseError` with the
server's message, and the password is scrubbed from every message on the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from schemashift.dialects.postgres.quoting import quote
from schemashift.errors import ConfigError, DatabaseError
from schemashift.url import DatabaseURL, redact

if TYPE_CHECKING:
    import psycopg

    from schemashift.dialects.base import Cursor, DBConnection

#: How long a connection attempt may take before giving up (unless the URL says).
CONNECT_TIMEOUT = "10"
#: The ``application_name`` of a connection opened without a command's name.
APPLICATION_NAME = "schemashift"
#: Parameters a URL may carry that hold a secret; libpq gets ``sslpassword`` all the
#: same, but a ``password`` parameter is the URL's password.
_SECRET_PARAMS = {"password", "sslpassword"}
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


def libpq_params(url: DatabaseURL) -> dict[str, str]:
    """Connection keywords for libpq/psycopg (query parameters passed through)."""
    params: dict[str, str] = {}
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = str(url.port)
    if url.user:
        params["user"] = url.user
    if url.password:
        params["password"] = url.password
    if url.database:
        params["dbname"] = url.database
    for key, value in url.query:
        if key not in _SECRET_PARAMS or key == "sslpassword":
            params[key] = value
    return params


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
        self._schema: str | None = None

    def current_schema(self) -> str:
        """The schema this connection creates tables in, which holds schemashift's own
        tables and gives the migration lock its key. Read once: a migration that changes
        ``search_path`` does not move the history elsewhere halfway through a run."""
        if self._schema is None:
            row = self.execute(
                "SELECT current_schema(), current_setting('search_path'), current_user, "
                "current_database()"
            ).fetchone()
            self._schema = _checked_schema(*row)
        return self._schema

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
        if getattr(exc, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            return text
        own = self._own_blockers()
        if own:
            sessions = "; ".join(b.describe() for b in own)
            ends = ", ".join(f"pg_terminate_backend({b.pid})" for b in own)
            return (
                f"{text} Gave up after lock_timeout = {self.lock_timeout}: the table is held "
                f"by a session of another schemashift run ({sessions}), probably left running "
                "by a run that was killed. If no other schemashift run is in progress, end it "
                f"with SELECT {ends}; then run the command again."
            )
        return (
            f"{text} Gave up after lock_timeout = {self.lock_timeout}: another session "
            "is using the table. Try again when it is idle."
        )

    def _own_blockers(self) -> list[Backend]:
        """Sessions of other schemashift runs holding a table of this schema: the likely
        blockers of a statement that gave up waiting. Read on a connection of its own,
        since this one's transaction has just failed."""
        try:
            side = open_connection(self.url, lock_timeout=None)
        except DatabaseError:
            return []
        try:
            schema = self._schema or side.current_schema()
            rows = side.execute(_OWN_BLOCKERS, (self.raw.info.backend_pid, schema)).fetchall()
        except DatabaseError:
            return []
        finally:
            side.close()
        return [Backend(*row) for row in rows]


#: Sessions of other schemashift runs that hold a lock on a table of the given schema.
_OWN_BLOCKERS = """
SELECT DISTINCT a.pid, a.application_name, a.state,
       extract(epoch FROM now() - a.xact_start)::bigint
FROM pg_stat_activity AS a
JOIN pg_locks AS l ON l.pid = a.pid AND l.locktype = 'relation' AND l.granted
JOIN pg_class AS c ON c.oid = l.relation
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE a.datname = current_database() AND a.pid <> %s AND n.nspname = %s
  AND a.application_name LIKE 'schemashift%%'
ORDER BY a.pid
"""


@dataclass(frozen=True)
class Backend:
    """A server session, as a lock-timeout message names it."""

    pid: int
    application_name: str
    state: str | None
    seconds: int | None

    def describe(self) -> str:
        """``server backend pid 4711, application_name 'schemashift migrate', state
        active, transaction open for 42 s``."""
        age = f", transaction open for {self.seconds} s" if self.seconds is not None else ""
        return (
            f"server backend pid {self.pid}, application_name {self.application_name!r}, "
            f"state {self.state or 'unknown'}{age}"
        )


def current_schema(conn: DBConnection) -> str:
    """The current schema of a connection :func:`open_connection` opened (read once)."""
    if not isinstance(conn, PostgresConnection):
        raise TypeError(f"not a PostgreSQL connection of schemashift: {conn!r}")
    return conn.current_schema()


def _checked_schema(current: str | None, path: str, user: str, database: str) -> str:
    """``current``, unless the search path names a schema that does not exist: PostgreSQL
    then quietly takes the next one (often ``public``), and a tenant would be migrated in
    another tenant's schema."""
    for entry in search_path_entries(path):
        if entry == "$user":
            # Skipped by PostgreSQL when the user has no schema of that name.
            if current == user:
                return user
            continue
        if entry != current:
            raise DatabaseError(
                f"Schema {entry} of the connection's search_path ({path}) does not exist in "
                f"database {database} (or this user may not use it). Create it first (CREATE "
                f"SCHEMA {quote(entry)};) or fix the search_path in the URL's options; nothing "
                "was changed."
            )
        return entry
    if current is None:
        raise DatabaseError(
            f"The connection's search_path ({path or 'empty'}) names no schema that exists "
            f"in database {database}. Set one in the URL's options (options=-csearch_path"
            "%3DSCHEMA) or create it; nothing was changed."
        )
    return current


def search_path_entries(path: str) -> list[str]:
    """The schema names of a ``search_path`` setting, as PostgreSQL reads them: quoted
    names as written, unquoted ones in lowercase."""
    entries: list[str] = []
    position = 0
    while position < len(path):
        while position < len(path) and (path[position].isspace() or path[position] == ","):
            position += 1
        if position >= len(path):
            break
        if path[position] == '"':
            end = position + 1
            name = []
            while end < len(path):
                if path[end] == '"' and path[end + 1 : end + 2] == '"':
                    name.append('"')
                    end += 2
                elif path[end] == '"':
                    end += 1
                    break
                else:
                    name.append(path[end])
                    end += 1
            entries.append("".join(name))
            position = end
        else:
            end = path.find(",", position)
            end = len(path) if end < 0 else end
            entries.append(path[position:end].strip().lower())
            position = end
    return entries


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
    else:
        # A fallback: an application_name in the URL (or PGAPPNAME) wins.
        params.setdefault("fallback_application_name", url.application_name or APPLICATION_NAME)
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
